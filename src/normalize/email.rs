//! Emails: trimmed, lower case, `mailto:` and display names removed; the domain extracted (Unicode for `.рф`);
//! public mail domains (`dictionaries/public_email_domains.txt`) marked as not corporate.

use compact_str::{CompactString, format_compact};
use serde::Serialize;

use crate::dict::Dictionaries;
use crate::normalize::website::{canonical_host, registrable};

/// A normalised email address.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Email {
    /// The whole address, lower case.
    pub address: CompactString,
    /// Where the registrable domain starts in `address`: the domain is the end of the host (labels are read one by
    /// one, also for `.рф`), so it is not stored twice — a million-card base has a million addresses.
    domain_at: u16,
    /// True for public mail services (mail.ru, gmail.com ...): the domain says nothing about the company.
    pub public: bool,
}

impl Email {
    /// The registrable domain of the address (`romashka.ru` for `a@mail.romashka.ru`).
    pub fn domain(&self) -> &str {
        &self.address[self.domain_at as usize..]
    }
}

impl Serialize for Email {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("Email", 3)?;
        st.serialize_field("address", &self.address)?;
        st.serialize_field("domain", self.domain())?;
        st.serialize_field("public", &self.public)?;
        st.end()
    }
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
    let address = format_compact!("{local}@{host}");
    // The registrable domain is the host's last labels (were it ever not, the whole host stands for it); an
    // address too long to index is no address (RFC 5321: 254 bytes at most).
    let at = if address.ends_with(domain.as_str()) { address.len() - domain.len() } else { local.len() + 1 };
    let domain_at = u16::try_from(at).ok()?;
    Some(Email { address, domain_at, public })
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
            ("Отдел@Почта.Ромашка.РФ", Some(("отдел@почта.ромашка.рф", "ромашка.рф", false))),
            ("не указан", None),
            ("@romashka.ru", None),
            ("info@localhost", None),
        ];
        for (input, want) in cases {
            let got = parse_email(input, d).map(|e| (e.address.to_string(), e.domain().to_string(), e.public));
            let want = want.map(|(a, b, c)| (a.to_string(), b.to_string(), c));
            assert_eq!(got, want, "{input:?}");
        }
    }
}
