//! Column mapping: which column of the export feeds which canonical card field, by header aliases (English and
//! Russian, case-, space- and punctuation-insensitive) or by the user's `--map field=Header`.

use serde::Serialize;

use crate::card::Field;
use crate::dict::Dictionaries;
use crate::normalize::text::header_key;

/// The mapping of an export's columns.
#[derive(Debug, Clone, Serialize)]
pub struct ColumnMap {
    /// The header of each column, as written.
    pub headers: Vec<String>,
    /// The field each column feeds, if any (unknown columns are kept and ignored).
    pub fields: Vec<Option<Field>>,
    /// Columns read only when the other columns of their field are empty (1С's `Полное наименование` beside
    /// `Наименование`).
    pub fallback: Vec<usize>,
    /// amoCRM's `Тип` column (`контакт` / `компания`), when the export mixes people and companies.
    pub kind: Option<usize>,
    /// amoCRM's `Компания` beside `Наименование`: the company a contact row belongs to.
    pub contact_company: Option<usize>,
    /// Single-valued fields fed by more than one column (the first non-empty one, in file order, is used).
    pub doubled: Vec<(Field, Vec<usize>)>,
}

/// A `--map` that cannot be applied.
#[derive(Debug, thiserror::Error)]
pub enum MapError {
    /// Not of the form `field=Header`.
    #[error("--map {0:?}: expected field=Header, e.g. --map phones=\"Мобильный телефон\" (or field= to clear a field)")]
    Syntax(String),
    /// Unknown field name.
    #[error("--map {spec:?}: unknown field {field:?}; fields are: {}", Field::ALL.iter().map(|f| f.name()).collect::<Vec<_>>().join(", "))]
    UnknownField {
        /// The whole argument.
        spec: String,
        /// The field name given.
        field: String,
    },
    /// The header is not in the file.
    #[error("--map {spec:?}: the file has no column {header:?}; its columns are: {}", found.join(", "))]
    NoSuchColumn {
        /// The whole argument.
        spec: String,
        /// The header given.
        header: String,
        /// The headers present.
        found: Vec<String>,
    },
}

/// Parses `field=Header` arguments; `field=` (nothing after `=`) clears the field (its header is empty).
pub fn parse_maps(specs: &[String]) -> Result<Vec<(Field, String)>, MapError> {
    specs
        .iter()
        .map(|spec| {
            let (f, h) = spec.split_once('=').ok_or_else(|| MapError::Syntax(spec.clone()))?;
            let field = Field::from_name(f)
                .ok_or_else(|| MapError::UnknownField { spec: spec.clone(), field: f.trim().to_string() })?;
            Ok((field, h.trim().to_string()))
        })
        .collect()
}

/// Header keys read only when the other columns of their field are empty: 1С's full name beside the short one,
/// Bitrix24's ОГРНИП beside ОГРН (a requisite has one or the other).
const FALLBACK_KEYS: &[&str] =
    &["полноенаименование", "наименованиеполное", "fullname", "огрнип", "реквизитогрнип", "реквизитроссияогрнип"];
/// The key of amoCRM's contact-or-company column.
const KIND_KEYS: &[&str] = &["тип", "типконтакта", "type"];
/// The key of a contact's company in amoCRM.
const CONTACT_COMPANY_KEYS: &[&str] = &["компания", "company"];

impl ColumnMap {
    /// Maps `headers` by the aliases in `dictionaries/headers.tsv`, then applies the user's `--map`: a column
    /// named there is added to a multi-valued field (phones, emails, contacts, address) and replaces the detected
    /// columns of a single-valued one; `field=` with no header clears the field.
    pub fn build(headers: &[String], maps: &[(Field, String)], dict: &Dictionaries) -> Result<ColumnMap, MapError> {
        let keys: Vec<String> = headers.iter().map(|h| header_key(h)).collect();
        let mut fields: Vec<Option<Field>> =
            keys.iter().map(|k| dict.headers.iter().find(|(alias, _)| alias == k).map(|(_, f)| *f)).collect();
        let kind = keys.iter().position(|k| KIND_KEYS.contains(&k.as_str()));
        // `Компания` beside another name column is the contact's company, not this card's name.
        let mut contact_company = None;
        let name_cols = fields.iter().filter(|f| **f == Some(Field::Name)).count();
        if name_cols > 1
            && let Some(c) = (0..keys.len())
                .find(|&i| fields[i] == Some(Field::Name) && CONTACT_COMPANY_KEYS.contains(&keys[i].as_str()))
        {
            fields[c] = None;
            contact_company = Some(c);
        }
        // The user's mapping.
        let mut explicit: Vec<usize> = Vec::new();
        for (field, header) in maps {
            if header.is_empty() {
                for (i, f) in fields.iter_mut().enumerate() {
                    if *f == Some(*field) && !explicit.contains(&i) {
                        *f = None;
                    }
                }
                continue;
            }
            let want = header_key(header);
            let col = keys.iter().position(|k| *k == want).ok_or_else(|| MapError::NoSuchColumn {
                spec: format!("{}={header}", field.name()),
                header: header.clone(),
                found: headers.to_vec(),
            })?;
            if !field.is_multi() {
                for (i, f) in fields.iter_mut().enumerate() {
                    if *f == Some(*field) && !explicit.contains(&i) {
                        *f = None;
                    }
                }
            }
            if contact_company == Some(col) {
                contact_company = None;
            }
            fields[col] = Some(*field);
            explicit.push(col);
        }
        let fallback: Vec<usize> = (0..keys.len())
            .filter(|&i| {
                let Some(f) = fields[i] else { return false };
                !explicit.contains(&i)
                    && FALLBACK_KEYS.contains(&keys[i].as_str())
                    && (0..keys.len())
                        .any(|j| j != i && fields[j] == Some(f) && !FALLBACK_KEYS.contains(&keys[j].as_str()))
            })
            .collect();
        let mut doubled = Vec::new();
        for f in Field::ALL.iter().filter(|f| !f.is_multi()) {
            let cols: Vec<usize> =
                (0..keys.len()).filter(|&i| fields[i] == Some(*f) && !fallback.contains(&i)).collect();
            if cols.len() > 1 {
                doubled.push((*f, cols));
            }
        }
        Ok(ColumnMap { headers: headers.to_vec(), fields, fallback, kind, contact_company, doubled })
    }

    /// The columns that feed `field`: the main ones in file order, then the fallbacks.
    pub fn columns_of(&self, field: Field) -> Vec<usize> {
        let of = |fb: bool| {
            self.fields
                .iter()
                .enumerate()
                .filter(move |(i, f)| **f == Some(field) && self.fallback.contains(i) == fb)
                .map(|(i, _)| i)
        };
        of(false).chain(of(true)).collect()
    }

    /// True when some column feeds `field`.
    pub fn has(&self, field: Field) -> bool {
        self.fields.contains(&Some(field))
    }

    /// True when the row's `Тип` (amoCRM's all-contacts-and-companies export) says it is a person.
    pub fn is_contact_row(&self, values: &[&str]) -> bool {
        self.kind.and_then(|k| values.get(k)).is_some_and(|v| {
            let v = crate::normalize::text::simple_lower(v.trim());
            v == "контакт" || v == "contact" || v == "контакты"
        })
    }

    /// The warnings a person should read before trusting the mapping: two columns feeding one single-valued
    /// field.
    pub fn warnings(&self) -> Vec<String> {
        self.doubled
            .iter()
            .map(|(f, cols)| {
                let names: Vec<String> = cols.iter().map(|&c| format!("«{}»", self.headers[c])).collect();
                format!(
                    "columns {} all feed the single-valued field {}: the first non-empty one, in this order, is used (choose one with --map {}=<header>)",
                    names.join(", "),
                    f.name(),
                    f.name()
                )
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn bitrix_headers_map() {
        let d = Dictionaries::embedded();
        let headers = h(&[
            "ID",
            "Название компании",
            "ИНН",
            "Рабочий телефон",
            "Мобильный телефон",
            "Рабочий E-mail",
            "Ответственный",
            "Что-то своё",
        ]);
        let m = ColumnMap::build(&headers, &[], d).unwrap();
        assert_eq!(m.columns_of(Field::Phones), [3, 4]);
        assert_eq!(m.columns_of(Field::Id), [0]);
        assert_eq!(m.columns_of(Field::Manager), [6]);
        assert_eq!(m.fields[7], None);
    }

    #[test]
    fn map_overrides() {
        let d = Dictionaries::embedded();
        let headers = h(&["Код", "Клиент", "Тел1", "Тел2", "Телефон"]);
        let maps = parse_maps(&["phones=Тел1".into(), "phones= тел2".into()]).unwrap();
        let m = ColumnMap::build(&headers, &maps, d).unwrap();
        // --map adds to a multi-valued field: the detected `Телефон` stays.
        assert_eq!(m.columns_of(Field::Phones), [2, 3, 4]);
        let m = ColumnMap::build(&headers, &parse_maps(&["phones=".into()]).unwrap(), d).unwrap();
        assert!(!m.has(Field::Phones), "phones= clears the field");
        let m = ColumnMap::build(&headers, &parse_maps(&["phones=".into(), "phones=Тел2".into()]).unwrap(), d).unwrap();
        assert_eq!(m.columns_of(Field::Phones), [3]);
        // A single-valued field takes exactly the mapped column.
        let m = ColumnMap::build(&headers, &parse_maps(&["id=Тел1".into()]).unwrap(), d).unwrap();
        assert_eq!(m.columns_of(Field::Id), [2]);
        assert!(ColumnMap::build(&headers, &parse_maps(&["phones=Факс".into()]).unwrap(), d).is_err());
        assert!(parse_maps(&["телефон".into()]).is_err());
        assert!(parse_maps(&["phones=".into()]).is_ok());
        assert!(parse_maps(&["fax=Факс".into()]).is_err());
    }
}

#[cfg(test)]
mod alias_tests {
    use super::*;

    fn map(headers: &[&str]) -> ColumnMap {
        let h: Vec<String> = headers.iter().map(|s| s.to_string()).collect();
        ColumnMap::build(&h, &[], Dictionaries::embedded()).unwrap()
    }

    fn field_of(m: &ColumnMap, header: &str) -> Option<Field> {
        m.fields[m.headers.iter().position(|h| h == header).unwrap()]
    }

    #[test]
    fn real_crm_headers_land_in_their_fields() {
        let cases: &[(&str, Option<Field>)] = &[
            ("Реквизит: ИНН", Some(Field::Inn)),
            ("Реквизит (Россия): ИНН", Some(Field::Inn)),
            ("Реквизит: КПП", Some(Field::Kpp)),
            ("Реквизит: ОГРН", Some(Field::Ogrn)),
            ("Телефон для рассылок", Some(Field::Phones)),
            ("E-mail для рассылок", Some(Field::Emails)),
            ("Номер факса", Some(Field::Phones)),
            ("Рабочий прямой телефон", Some(Field::Phones)),
            ("Личный email", Some(Field::Emails)),
            ("Рабочий email", Some(Field::Emails)),
            ("Факс", Some(Field::Phones)),
            ("Домашний телефон", Some(Field::Phones)),
            ("Код", Some(Field::Id)),
            ("Город", Some(Field::Address)),
            ("Последний звонок", Some(Field::LastActivity)),
            ("Дата последнего контакта", Some(Field::LastActivity)),
            ("Ответственные", Some(Field::Manager)),
            ("ID клиента", Some(Field::Id)),
            // RetailCRM's field labels (customer, legal entity) and Мегаплан's payer fields.
            ("Внешний ID клиента", Some(Field::Id)),
            ("Адрес регистрации", Some(Field::Address)),
            ("Менеджер клиента", Some(Field::Manager)),
            ("ИНН плательщика", Some(Field::Inn)),
            ("КПП плательщика", Some(Field::Kpp)),
            ("ОГРН плательщика", Some(Field::Ogrn)),
            ("Юр адрес плательщика", Some(Field::Address)),
            ("Дата последней коммуникации", Some(Field::LastActivity)),
            ("Корр. счёт", None),
            ("Расчётный счёт", None),
            ("БИК", None),
        ];
        for (h, want) in cases {
            assert_eq!(field_of(&map(&["x", h]), h), *want, "{h}");
        }
    }

    #[test]
    fn full_name_is_a_fallback_and_not_a_double() {
        let m = map(&["Код", "Наименование", "Полное наименование", "ИНН"]);
        assert_eq!(m.columns_of(Field::Name), [1, 2]);
        assert_eq!(m.fallback, [2]);
        assert!(m.doubled.is_empty());
    }

    #[test]
    fn two_columns_for_one_single_field_are_warned() {
        let m = map(&["ID", "Код", "Название компании", "Наименование"]);
        let d: Vec<Field> = m.doubled.iter().map(|(f, _)| *f).collect();
        assert_eq!(d, [Field::Id, Field::Name]);
        assert_eq!(m.warnings().len(), 2);
        assert!(m.warnings()[0].contains("«ID», «Код»"), "{:?}", m.warnings());
    }

    #[test]
    fn amocrm_company_beside_name_is_the_contacts_company() {
        let m = map(&["Тип", "Наименование", "Компания", "Рабочий телефон"]);
        assert_eq!(m.columns_of(Field::Name), [1]);
        assert_eq!(m.contact_company, Some(2));
        assert_eq!(m.kind, Some(0));
        assert!(m.is_contact_row(&["контакт", "Иванов", "Ромашка", ""]));
        assert!(!m.is_contact_row(&["компания", "Ромашка", "", ""]));
        // A file whose only name column is `Компания` reads it as the name.
        let m = map(&["ID", "Компания"]);
        assert_eq!(m.columns_of(Field::Name), [1]);
        assert!(m.contact_company.is_none());
    }
}
