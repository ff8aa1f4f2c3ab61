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
}

/// A `--map` that cannot be applied.
#[derive(Debug, thiserror::Error)]
pub enum MapError {
    /// Not of the form `field=Header`.
    #[error("--map {0:?}: expected field=Header, e.g. --map phones=\"Мобильный телефон\"")]
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

/// Parses `field=Header` arguments.
pub fn parse_maps(specs: &[String]) -> Result<Vec<(Field, String)>, MapError> {
    specs
        .iter()
        .map(|spec| {
            let (f, h) = spec.split_once('=').ok_or_else(|| MapError::Syntax(spec.clone()))?;
            let field = Field::from_name(f)
                .ok_or_else(|| MapError::UnknownField { spec: spec.clone(), field: f.trim().to_string() })?;
            if h.trim().is_empty() {
                return Err(MapError::Syntax(spec.clone()));
            }
            Ok((field, h.trim().to_string()))
        })
        .collect()
}

impl ColumnMap {
    /// Maps `headers` by the aliases in `dictionaries/headers.tsv`, then applies the user's overrides: a field
    /// named in `--map` takes exactly the columns given there.
    pub fn build(headers: &[String], maps: &[(Field, String)], dict: &Dictionaries) -> Result<ColumnMap, MapError> {
        let keys: Vec<String> = headers.iter().map(|h| header_key(h)).collect();
        let mut fields: Vec<Option<Field>> =
            keys.iter().map(|k| dict.headers.iter().find(|(alias, _)| alias == k).map(|(_, f)| *f)).collect();
        let overridden: Vec<Field> = maps.iter().map(|(f, _)| *f).collect();
        for f in fields.iter_mut() {
            if f.is_some_and(|x| overridden.contains(&x)) {
                *f = None;
            }
        }
        for (field, header) in maps {
            let want = header_key(header);
            let col = keys.iter().position(|k| *k == want).ok_or_else(|| MapError::NoSuchColumn {
                spec: format!("{}={header}", field.name()),
                header: header.clone(),
                found: headers.to_vec(),
            })?;
            fields[col] = Some(*field);
        }
        Ok(ColumnMap { headers: headers.to_vec(), fields })
    }

    /// The columns that feed `field`, in file order.
    pub fn columns_of(&self, field: Field) -> Vec<usize> {
        self.fields.iter().enumerate().filter(|(_, f)| **f == Some(field)).map(|(i, _)| i).collect()
    }

    /// True when some column feeds `field`.
    pub fn has(&self, field: Field) -> bool {
        self.fields.contains(&Some(field))
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
        assert_eq!(m.columns_of(Field::Phones), [2, 3]);
        assert!(ColumnMap::build(&headers, &parse_maps(&["phones=Факс".into()]).unwrap(), d).is_err());
        assert!(parse_maps(&["телефон".into()]).is_err());
        assert!(parse_maps(&["fax=Факс".into()]).is_err());
    }
}
