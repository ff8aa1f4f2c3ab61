//! Websites and domains: the registrable domain of a site (scheme, `www.`, path, port stripped), with Cyrillic
//! `.рф` domains kept in Unicode whichever way they were written (`xn--80a...xn--p1ai` and `пример.рф` are one
//! key). Sites on website builders and social networks (`dictionaries/web_platforms.txt`) are identified by their
//! own sub-domain or first path segment, since the platform's domain is shared by thousands of clients.

use crate::dict::{Dictionaries, PlatformKind};

/// A plain ASCII host (letters, digits, hyphens, dots; no punycode label): IDNA leaves it as it is.
fn plain_ascii_host(host: &str) -> bool {
    host.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
        && !host.contains("xn--")
        && !host.starts_with(['.', '-'])
        && !host.contains("..")
}

/// A host name in canonical Unicode lower case, or `None` when it is not a plausible domain.
pub fn canonical_host(host: &str) -> Option<String> {
    let host = host.trim().trim_end_matches('.').to_lowercase();
    if host.is_empty() || !host.contains('.') || host.contains(char::is_whitespace) {
        return None;
    }
    if plain_ascii_host(&host) {
        return Some(host);
    }
    let ascii = idna::domain_to_ascii(&host).ok()?;
    if ascii.is_empty() || ascii.split('.').any(|l| l.is_empty()) {
        return None;
    }
    let (unicode, res) = idna::domain_to_unicode(&ascii);
    res.ok()?;
    Some(unicode)
}

/// The registrable domain of a canonical host (`mail.romashka.ru` → `romashka.ru`, `romashka.msk.ru` stays).
pub fn registrable(host: &str) -> Option<String> {
    if plain_ascii_host(host) {
        return psl::domain_str(host).map(str::to_string);
    }
    let ascii = idna::domain_to_ascii(host).ok()?;
    let dom = psl::domain_str(&ascii)?;
    let (unicode, res) = idna::domain_to_unicode(dom);
    res.ok()?;
    Some(unicode)
}

/// Normalises a website value to the key that identifies the site's owner.
pub fn normalize_website(value: &str, dict: &Dictionaries) -> Option<String> {
    let mut v = value.trim();
    if v.is_empty() {
        return None;
    }
    if let Some(at) = v.rfind('@') {
        // An email typed into the website field: its domain is the site.
        v = &v[at + 1..];
    }
    let lower = v.to_lowercase();
    let mut rest = lower.as_str();
    for scheme in ["https://", "http://", "ftp://", "//"] {
        if let Some(r) = rest.strip_prefix(scheme) {
            rest = r;
            break;
        }
    }
    let (host_port, path) = match rest.find(['/', '?', '#']) {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    let host_port = host_port.rsplit('@').next().unwrap_or(host_port);
    let host = host_port.split(':').next().unwrap_or(host_port);
    let mut host = canonical_host(host)?;
    while let Some(h) = host.strip_prefix("www.").or_else(|| host.strip_prefix("www2.")) {
        host = h.to_string();
    }
    let reg = registrable(&host)?;
    match dict.web_platforms.get(&reg) {
        Some(PlatformKind::Subdomain) if host != reg => Some(host),
        Some(PlatformKind::Path) => {
            let seg = path.trim_start_matches('/').split(['/', '?', '#']).next().unwrap_or("");
            if seg.is_empty() { Some(reg) } else { Some(format!("{reg}/{seg}")) }
        }
        _ => Some(reg),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn websites_table() {
        let d = Dictionaries::embedded();
        let cases: &[(&str, Option<&str>)] = &[
            ("https://www.Romashka.ru/contacts?x=1", Some("romashka.ru")),
            ("romashka.ru", Some("romashka.ru")),
            ("http://shop.romashka.ru:8080/", Some("romashka.ru")),
            ("www.romashka.msk.ru", Some("romashka.msk.ru")),
            ("ромашка.рф", Some("ромашка.рф")),
            ("http://xn--80aa3agjl3d.xn--p1ai/", Some("ромашка.рф")),
            ("РОМАШКА.РФ", Some("ромашка.рф")),
            ("romashka.tilda.ws", Some("romashka.tilda.ws")),
            ("https://vk.com/romashka_media", Some("vk.com/romashka_media")),
            ("info@romashka.ru", Some("romashka.ru")),
            ("нет сайта", None),
            ("localhost", None),
            ("", None),
        ];
        for (input, want) in cases {
            assert_eq!(normalize_website(input, d).as_deref(), *want, "{input:?}");
        }
    }
}
