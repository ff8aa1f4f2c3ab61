//! Emails: trimmed, lower case, `mailto:` and display names removed; the domain extracted (Unicode for `.рф`);
//! public mail domains (`dictionaries/public_email_domains.txt`) marked as not corporate.

use compact_str::{CompactString, format_compact};
use serde::Serialize;

use crate::dict::Dictionaries;
use crate::normalize::website::{canonical_host, registrable};

/// A normalised email address.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Email {
    /// The whole address, lower case.
    pub address: CompactString,
    /// The registrable domain of the address (`romashka.ru` for `a@mail.romashka.ru`).
    pub domain: CompactString,
    /// True for public mail services (mail.ru, gmail.com ...): the domain says nothing about the company.
    pub public: bool,
}

/// Parses one email value; `None` when it is not an address.
pub fn parse_email(value: &str, dict: &Dictionaries) -> Option<Email> {
    let mut v = value.trim();
    if let (Some(a), Some(b)) = (v.find('<'), v.rfind('>'))
        && a < b
    {
        v = &v[a + 1..b];
    }
    let v = v.trim().trim_start_matches("mailto:").trim_matches(|c: char| c == '.' || c == '"' || c == '\'');
    let (local, host) = v.rsplit_once('@')?;
    let local = local.trim().to_lowercase();
    if local.is_empty() || local.contains(char::is_whitespace) || local.contains('@') {
        return None;
    }
    let host = canonical_host(host)?;
    let domain = registrable(&host).unwrap_or_else(|| host.clone());
    let public = dict.is_public_email_domain(&host) || dict.is_public_email_domain(&domain);
    Some(Email { address: format_compact!("{local}@{host}"), domain: domain.into(), public })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_table() {
        let d = Dictionaries::embedded();
        let cases: &[(&str, Option<(&str, &str, bool)>)] = &[
            ("Info@Romashka.RU", Some(("info@romashka.ru", "romashka.ru", false))),
            ("  sales@mail.romashka.ru ", Some(("sales@mail.romashka.ru", "romashka.ru", false))),
            ("mailto:ivanov@mail.ru", Some(("ivanov@mail.ru", "mail.ru", true))),
            ("Иван Иванов <ivan@gmail.com>", Some(("ivan@gmail.com", "gmail.com", true))),
            ("почта@ромашка.рф", Some(("почта@ромашка.рф", "ромашка.рф", false))),
            ("info@xn--80aa3agjl3d.xn--p1ai", Some(("info@ромашка.рф", "ромашка.рф", false))),
            ("не указан", None),
            ("@romashka.ru", None),
            ("info@localhost", None),
        ];
        for (input, want) in cases {
            let got = parse_email(input, d).map(|e| (e.address.to_string(), e.domain.to_string(), e.public));
            let want = want.map(|(a, b, c)| (a.to_string(), b.to_string(), c));
            assert_eq!(got, want, "{input:?}");
        }
    }
}
