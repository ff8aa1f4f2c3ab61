//! The CRM card as read from an export, in canonical fields, before normalisation.

use serde::Serialize;

/// The canonical fields of a CRM card.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    /// The card's id in the CRM.
    Id,
    /// Company name as typed.
    Name,
    /// ИНН.
    Inn,
    /// КПП.
    Kpp,
    /// ОГРН / ОГРНИП.
    Ogrn,
    /// Brand / trade mark.
    Brand,
    /// Address (several columns may feed it: legal, actual).
    Address,
    /// Phones (multi-valued).
    Phones,
    /// Emails (multi-valued).
    Emails,
    /// Website.
    Website,
    /// Contacts / decision-makers (multi-valued).
    Contacts,
    /// The responsible manager (empty: the card is in the pool).
    Manager,
    /// Date of last activity.
    LastActivity,
}

impl Field {
    /// Every field, in canonical order.
    pub const ALL: [Field; 13] = [
        Field::Id,
        Field::Name,
        Field::Inn,
        Field::Kpp,
        Field::Ogrn,
        Field::Brand,
        Field::Address,
        Field::Phones,
        Field::Emails,
        Field::Website,
        Field::Contacts,
        Field::Manager,
        Field::LastActivity,
    ];

    /// The canonical (English, snake_case) name, as used in `--map` and in canonical CSV headers.
    pub fn name(self) -> &'static str {
        match self {
            Field::Id => "id",
            Field::Name => "name",
            Field::Inn => "inn",
            Field::Kpp => "kpp",
            Field::Ogrn => "ogrn",
            Field::Brand => "brand",
            Field::Address => "address",
            Field::Phones => "phones",
            Field::Emails => "emails",
            Field::Website => "website",
            Field::Contacts => "contacts",
            Field::Manager => "manager",
            Field::LastActivity => "last_activity",
        }
    }

    /// Parses a canonical field name (also accepts `phone`, `email`, `contact`).
    pub fn from_name(s: &str) -> Option<Field> {
        let s = s.trim().to_ascii_lowercase();
        Some(match s.as_str() {
            "id" => Field::Id,
            "name" => Field::Name,
            "inn" => Field::Inn,
            "kpp" => Field::Kpp,
            "ogrn" => Field::Ogrn,
            "brand" => Field::Brand,
            "address" => Field::Address,
            "phones" | "phone" => Field::Phones,
            "emails" | "email" => Field::Emails,
            "website" | "site" => Field::Website,
            "contacts" | "contact" => Field::Contacts,
            "manager" => Field::Manager,
            "last_activity" | "lastactivity" => Field::LastActivity,
            _ => return None,
        })
    }

    /// Whether several source columns are joined into this field as separate values.
    pub fn is_multi(self) -> bool {
        matches!(self, Field::Phones | Field::Emails | Field::Contacts | Field::Address)
    }
}

/// One CRM card in canonical fields, as text. Multi-valued fields are already split into values.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Card {
    /// The physical line of the export where the row starts (1-based, header is line 1).
    pub line: u64,
    /// The CRM id, unchanged (or `L<line>` when the export has no id column).
    pub id: String,
    /// Company name as typed.
    pub name: String,
    /// ИНН as typed.
    pub inn: String,
    /// КПП as typed.
    pub kpp: String,
    /// ОГРН as typed.
    pub ogrn: String,
    /// Brand as typed.
    pub brand: String,
    /// Addresses (one per source column that had one).
    pub address: Vec<String>,
    /// Phone values.
    pub phones: Vec<String>,
    /// Email values.
    pub emails: Vec<String>,
    /// Website as typed.
    pub website: String,
    /// Contact values.
    pub contacts: Vec<String>,
    /// Responsible manager (empty: in the pool).
    pub manager: String,
    /// Last activity as typed.
    pub last_activity: String,
}

/// What is kept of a card's text once it is normalised: its id and its name as typed (for the outputs).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CardText {
    /// The CRM id.
    pub id: compact_str::CompactString,
    /// The name as typed.
    pub name: String,
}

#[cfg(test)]
impl Card {
    /// A card for unit tests: id, name, ИНН, phones and e-mails as typed, nothing else.
    pub(crate) fn sample(id: &str, name: &str, inn: &str, phones: &[&str], emails: &[&str]) -> Card {
        Card {
            id: id.into(),
            name: name.into(),
            inn: inn.into(),
            phones: phones.iter().map(|s| s.to_string()).collect(),
            emails: emails.iter().map(|s| s.to_string()).collect(),
            ..Card::default()
        }
    }
}
