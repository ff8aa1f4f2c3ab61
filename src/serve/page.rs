//! The managers' page of `firmdedup serve`: one search field whose value is recognised by its form (ИНН, phone,
//! e-mail, site or name), optional fields, "кто я", and the answer in Russian words first, then the firms.
//!
//! The page is one self-contained HTML document rendered on the server: no script at all, its one style block
//! allowed by a per-response nonce, nothing fetched from the network, and every value from the state or the
//! request HTML-escaped here, so a CRM name carrying markup stays text.

use std::fmt::Write as _;

use chrono::NaiveDate;
use rusqlite::{Connection, OptionalExtension};

use super::CheckParams;
use crate::check::Answer;
use crate::config::OwnershipConfig;
use crate::ownership::Access;

/// What the one search field was recognised as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// Company name.
    Name,
    /// ИНН, КПП-looking or ОГРН digits (the check says which).
    Inn,
    /// Phone number (an extension allowed).
    Phone,
    /// E-mail address.
    Email,
    /// Website.
    Website,
}

impl Field {
    /// The field in Russian, for the hint under the search field.
    pub fn label(self) -> &'static str {
        match self {
            Field::Name => "название",
            Field::Inn => "ИНН",
            Field::Phone => "телефон",
            Field::Email => "e-mail",
            Field::Website => "сайт",
        }
    }
}

/// Recognises what a manager typed by its form: `@` → e-mail; 9, 10, 12, 13 or 15 digits → ИНН (or КПП/ОГРН,
/// which the check names); otherwise mostly digits (and `+ ( ) -`, an extension word allowed) → phone; a
/// domain → site; anything else → name.
pub fn classify(q: &str) -> Field {
    let q = q.trim();
    if q.contains('@') {
        return Field::Email;
    }
    let compact: String = q.chars().filter(|c| !c.is_whitespace() && !"-().".contains(*c)).collect();
    if !compact.is_empty() && compact.chars().all(|c| c.is_ascii_digit()) {
        return match compact.len() {
            9 | 10 | 12 | 13 | 15 => Field::Inn,
            n if n >= 5 => Field::Phone,
            _ => Field::Name,
        };
    }
    let digits = q.chars().filter(char::is_ascii_digit).count();
    let letters = q.chars().filter(|c| c.is_alphabetic()).count();
    let starts_like_phone = q.starts_with(|c: char| c.is_ascii_digit() || c == '+' || c == '(');
    if starts_like_phone && digits >= 6 && letters <= 4 {
        return Field::Phone;
    }
    let lower = q.to_lowercase();
    let is_domain = !q.contains(char::is_whitespace)
        && lower.split('/').next().is_some_and(|host| {
            let host = host.strip_prefix("www.").unwrap_or(host);
            let labels: Vec<&str> = host.split('.').collect();
            labels.len() >= 2
                && labels.iter().all(|l| !l.is_empty() && l.chars().all(|c| c.is_alphanumeric() || c == '-'))
                && labels.last().is_some_and(|tld| tld.chars().count() >= 2 && tld.chars().all(char::is_alphabetic))
        });
    if lower.starts_with("http://") || lower.starts_with("https://") || is_domain {
        return Field::Website;
    }
    Field::Name
}

/// What the page's form holds (as typed, shown back in the fields).
#[derive(Debug, Clone, Default)]
pub struct Form {
    /// The one search field.
    pub q: String,
    /// Optional: name.
    pub name: String,
    /// Optional: ИНН.
    pub inn: String,
    /// Optional: phone.
    pub phone: String,
    /// Optional: e-mail.
    pub email: String,
    /// Optional: site.
    pub website: String,
    /// Optional: brand.
    pub brand: String,
    /// Optional: decision-maker.
    pub contact: String,
    /// "Кто я": the manager's login.
    pub me: String,
}

impl Form {
    /// The question, with the search field put into the field it was recognised as (an optional field filled
    /// in explicitly wins); `None` when nothing was asked.
    pub fn params(&self) -> Option<CheckParams> {
        let v = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
        let mut p = CheckParams {
            name: v(&self.name),
            inn: v(&self.inn),
            phone: v(&self.phone),
            email: v(&self.email),
            website: v(&self.website),
            brand: v(&self.brand),
            contact: v(&self.contact),
            manager: v(&self.me),
            limit: None,
        };
        if let Some(q) = v(&self.q) {
            let slot = match classify(&q) {
                Field::Name => &mut p.name,
                Field::Inn => &mut p.inn,
                Field::Phone => &mut p.phone,
                Field::Email => &mut p.email,
                Field::Website => &mut p.website,
            };
            if slot.is_none() {
                *slot = Some(q);
            }
        }
        let asked = [&p.name, &p.inn, &p.phone, &p.email, &p.website, &p.brand, &p.contact];
        asked.iter().any(|x| x.is_some()).then_some(p)
    }
}

/// What the state says beyond the answer, to word the statuses: the owner's idle days per listed firm, and the
/// asking manager's count against the limit.
#[derive(Debug, Clone, Default)]
pub struct Extra {
    /// Days since the owner's last activity, per match (same order).
    pub idle_days: Vec<Option<i64>>,
    /// Firms the asking manager holds.
    pub my_firms: u32,
    /// Firms a manager may hold.
    pub limit: u32,
}

impl Extra {
    /// Reads them in the same read transaction as the answer.
    pub fn read(conn: &Connection, a: &Answer, me: &str, today: NaiveDate) -> rusqlite::Result<Extra> {
        let mut idle_days = Vec::with_capacity(a.matches.len());
        for m in &a.matches {
            let last: Option<String> = conn
                .query_row("SELECT owner_last_activity FROM firms WHERE firm_id = ?1", [&m.firm_id], |r| r.get(0))
                .optional()?;
            idle_days.push(
                last.and_then(|s| NaiveDate::parse_from_str(&s, "%Y-%m-%d").ok()).map(|d| (today - d).num_days()),
            );
        }
        let my_firms = if me.is_empty() {
            0
        } else {
            conn.query_row("SELECT count(*) FROM firms WHERE owner = ?1", [me], |r| r.get::<_, i64>(0))? as u32
        };
        let policy: OwnershipConfig = conn
            .query_row("SELECT value FROM meta WHERE key = 'ownership'", [], |r| r.get::<_, String>(0))
            .optional()?
            .and_then(|s| serde_json::from_str(&s).ok())
            .unwrap_or_default();
        Ok(Extra { idle_days, my_firms, limit: policy.limit })
    }
}

/// What to show under the form.
#[derive(Debug)]
pub enum Outcome {
    /// Nothing asked yet.
    Nothing,
    /// The answer.
    Answer(Box<Answer>, Extra),
    /// A question that cannot be asked (the check's message).
    Error(String),
    /// The state could not be read.
    Failure(String),
}

/// Escapes text for HTML content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Percent-encodes a cookie value (everything but ASCII letters, digits and `-._~`).
pub fn percent_encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// Decodes [`percent_encode`]; a malformed escape is kept as it is, bad UTF-8 replaced.
pub fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
        if b[i] == b'%'
            && let (Some(h), Some(l)) = (b.get(i + 1).and_then(|c| hex(*c)), b.get(i + 2).and_then(|c| hex(*c)))
        {
            out.push(h * 16 + l);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// "1 день", "3 дня", "12 дней": the look-up's own wording ([`crate::check::texts::days_ru`]).
pub fn days(n: i64) -> String {
    crate::check::texts::days_ru(n)
}

fn has_cyrillic(s: &str) -> bool {
    s.chars().any(|c| ('\u{400}'..='\u{4FF}').contains(&c))
}

/// A firm's status for the asking manager, in Russian: the check's own text when it is Russian, otherwise
/// worded here from the status code.
pub fn status_words(code: Access, text: &str, owner: Option<&str>, idle: Option<i64>, extra: &Extra) -> String {
    if has_cyrillic(text) {
        return text.to_string();
    }
    let owner = owner.unwrap_or("другим менеджером");
    let limit = format!("у вас уже {} из {}", extra.my_firms, extra.limit);
    match code {
        Access::Pool => "В копилке — можно взять".into(),
        Access::Yours => "Ваша фирма".into(),
        Access::Held => match idle {
            Some(d) => {
                format!("Закреплена за {owner}, последняя активность {} назад — можно только смотреть историю", days(d))
            }
            None => format!("Закреплена за {owner}, активность не записана — можно только смотреть историю"),
        },
        Access::StaleClaimable => match idle {
            Some(d) => format!("Закреплена за {owner}, но без активности {} — можно забрать", days(d)),
            None => format!("Закреплена за {owner}, но активность не записана — можно забрать"),
        },
        Access::AtLimit if text.starts_with("stale") => match idle {
            Some(d) => format!("Закреплена за {owner} без активности {} — забрать можно, но {limit}", days(d)),
            None => format!("Закреплена за {owner} без активности — забрать можно, но {limit}"),
        },
        Access::AtLimit => format!("Свободна, но {limit}"),
    }
}

const STYLE: &str = "body{font:16px/1.45 system-ui,sans-serif;max-width:52rem;margin:1.5rem auto;padding:0 1rem;color:#1d1d1f}\
h1{font-size:1.3rem;margin:0 0 1rem}form{display:grid;gap:.6rem}label{display:block;font-size:.9rem;color:#555}\
input{font:inherit;padding:.45rem .6rem;border:1px solid #bbb;border-radius:6px;width:100%;box-sizing:border-box}\
#q{font-size:1.15rem}.row{display:grid;grid-template-columns:1fr 1fr;gap:.6rem}button{font:inherit;padding:.5rem 1.2rem;\
border:0;border-radius:6px;background:#1a5fb4;color:#fff;cursor:pointer;justify-self:start}\
details{border:1px solid #ddd;border-radius:6px;padding:.4rem .7rem}.hint{font-size:.85rem;color:#666}\
#verdict{font-size:1.35rem;font-weight:600;margin:1.2rem 0 .2rem}.free{color:#26802b}.taken{color:#b3261e}.unsure{color:#8a5a00}\
.mine{color:#1a5fb4}.error{color:#b3261e;font-weight:600}section.firm{border-top:1px solid #ddd;padding:.6rem 0}\
section.firm h2{font-size:1.05rem;margin:.2rem 0}.similar{color:#777;font-weight:normal;font-size:.9rem}\
dl{display:grid;grid-template-columns:max-content 1fr;gap:.15rem .8rem;margin:.4rem 0}dt{color:#555}dd{margin:0}\
ul{margin:.2rem 0;padding-left:1.2rem}";

fn input(out: &mut String, id: &str, label: &str, value: &str, extra: &str) {
    let _ = write!(
        out,
        "<div><label for=\"{id}\">{label}</label><input id=\"{id}\" name=\"{id}\" value=\"{}\"{extra}></div>",
        escape(value)
    );
}

fn class_of(code: Access) -> &'static str {
    match code {
        Access::Pool | Access::StaleClaimable => "free",
        Access::Yours => "mine",
        Access::Held | Access::AtLimit => "taken",
    }
}

/// The whole page.
pub fn render(form: &Form, outcome: &Outcome, nonce: &str) -> String {
    let mut o = String::with_capacity(8 * 1024);
    let _ = write!(
        o,
        "<!doctype html><html lang=\"ru\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" \
         content=\"width=device-width,initial-scale=1\"><title>Проверка клиента — firmdedup</title>\
         <style nonce=\"{}\">{STYLE}</style></head><body><h1>Чей это клиент?</h1>\
         <form method=\"get\" action=\"/\" autocomplete=\"off\">",
        escape(nonce)
    );
    input(
        &mut o,
        "q",
        "Название, ИНН, телефон или e-mail клиента",
        &form.q,
        " autofocus placeholder=\"ООО Ромашка, 7701234567, +7 495 123-45-67, info@romashka.ru\"",
    );
    if !form.q.trim().is_empty() {
        let _ = write!(o, "<p class=\"hint\" id=\"recognised\">Понято как: {}</p>", classify(&form.q).label());
    }
    let open = [&form.name, &form.inn, &form.phone, &form.email, &form.website, &form.brand, &form.contact]
        .iter()
        .any(|s| !s.trim().is_empty());
    let _ = write!(
        o,
        "<details{}><summary>Уточнить (необязательно)</summary><div class=\"row\">",
        if open { " open" } else { "" }
    );
    input(&mut o, "name", "Название", &form.name, "");
    input(&mut o, "inn", "ИНН или ОГРН", &form.inn, " inputmode=\"numeric\"");
    input(&mut o, "phone", "Телефон", &form.phone, " inputmode=\"tel\"");
    input(&mut o, "email", "E-mail", &form.email, "");
    input(&mut o, "website", "Сайт", &form.website, "");
    input(&mut o, "brand", "Бренд", &form.brand, "");
    input(&mut o, "contact", "Контактное лицо (ЛПР)", &form.contact, "");
    o.push_str("</div></details><div class=\"row\">");
    input(&mut o, "me", "Кто я (ваш логин в CRM; запомнится в этом браузере)", &form.me, "");
    o.push_str("</div><button type=\"submit\" id=\"go\">Проверить</button></form>");

    match outcome {
        Outcome::Nothing => o.push_str(
            "<p class=\"hint\">Введите, что вы знаете о клиенте, и нажмите «Проверить». Ответ — из ночной сверки базы.</p>",
        ),
        Outcome::Error(e) => {
            let _ = write!(o, "<p id=\"verdict\" class=\"error\">Не понял запрос</p><p class=\"error\">{}</p>", escape(e));
        }
        Outcome::Failure(e) => {
            let _ = write!(
                o,
                "<p id=\"verdict\" class=\"error\">Сервис не смог прочитать базу</p><p>{}</p>\
                 <p class=\"hint\">Сообщите администратору CRM.</p>",
                escape(e)
            );
        }
        Outcome::Answer(a, extra) => render_answer(&mut o, a, extra),
    }
    o.push_str("</body></html>\n");
    o
}

fn render_answer(o: &mut String, a: &Answer, extra: &Extra) {
    let words = |i: usize| {
        let m = &a.matches[i];
        status_words(m.status, &m.status_text, m.owner.as_deref(), extra.idle_days.get(i).copied().flatten(), extra)
    };
    match a.matches.first() {
        Some(m) if a.found => {
            let _ = write!(o, "<p id=\"verdict\" class=\"{}\">{}</p>", class_of(m.status), escape(&words(0)));
            let _ = write!(o, "<p id=\"firm\">Это фирма {} ({}).</p>", escape(&m.name), escape(&m.firm_id));
        }
        // Not found, but the look-up cannot call it free (a name carried by several firms, only a mistyped ИНН or
        // a КПП): its own verdict, never "Фирма свободна".
        _ if has_cyrillic(&a.verdict) && !a.verdict.starts_with(&crate::check::texts::free(crate::check::Lang::Ru)) => {
            let _ = write!(o, "<p id=\"verdict\" class=\"unsure\">{}</p>", escape(&a.verdict));
        }
        _ => {
            o.push_str("<p id=\"verdict\" class=\"free\">Фирма свободна</p>");
            let detail = if has_cyrillic(&a.verdict) {
                a.verdict.clone()
            } else if a.matches.is_empty() {
                "В базе нет ничего похожего: клиент новый, его можно брать.".to_string()
            } else {
                "Такого клиента в базе нет; ниже — фирмы, которые на него только похожи.".to_string()
            };
            let _ = write!(o, "<p id=\"detail\">{}</p>", escape(&detail));
        }
    }
    if let Some(note) = &a.manager_note {
        let _ = write!(o, "<p id=\"manager-note\">{}</p>", escape(note));
    }
    for (i, m) in a.matches.iter().enumerate() {
        let _ = write!(
            o,
            "<section class=\"firm\"><h2>{}. {} <span class=\"hint\">{}</span>",
            i + 1,
            escape(&m.name),
            escape(&m.firm_id)
        );
        if !m.same_firm {
            o.push_str(" <span class=\"similar\">— похожа, но не та же</span>");
        }
        let _ = write!(o, "</h2><p class=\"{}\">{}</p><dl>", class_of(m.status), escape(&words(i)));
        let list = |o: &mut String, dt: &str, items: &[String]| {
            if !items.is_empty() {
                let joined: Vec<String> = items.iter().map(|s| escape(s)).collect();
                let _ = write!(o, "<dt>{dt}</dt><dd>{}</dd>", joined.join("; "));
            }
        };
        list(o, "Юрлица", &m.legal_entities);
        list(o, "Бренды", &m.brands);
        let _ = write!(
            o,
            "<dt>Владелец</dt><dd>{}</dd>",
            m.owner.as_deref().map(escape).unwrap_or_else(|| "нет (копилка)".into())
        );
        list(o, "Менеджеры на карточках", &m.managers);
        if let Some(d) = &m.last_activity {
            let _ = write!(o, "<dt>Последняя активность</dt><dd>{}</dd>", escape(d));
        }
        let _ = write!(o, "<dt>Карточек</dt><dd>{}</dd><dt>Совпадение</dt><dd>{:.2}</dd></dl>", m.cards, m.score);
        if !m.evidence.is_empty() {
            o.push_str("<p class=\"hint\">Почему:</p><ul>");
            for e in &m.evidence {
                let _ = write!(o, "<li>{}</li>", escape(e));
            }
            o.push_str("</ul>");
        }
        o.push_str("</section>");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_search_field_is_recognised_by_its_form() {
        let table = [
            ("7701234567", Field::Inn),
            ("770123456789", Field::Inn),
            ("1027700132195", Field::Inn),
            ("770101001", Field::Inn),
            ("+7 (495) 123-45-67", Field::Phone),
            ("8 800 555-35-35", Field::Phone),
            ("495 123 45 67 д.869", Field::Phone),
            ("+7 495 123-45-67 доб. 12", Field::Phone),
            ("info@romashka.ru", Field::Email),
            ("romashka.ru", Field::Website),
            ("https://romashka.ru/contacts", Field::Website),
            ("www.ромашка.рф", Field::Website),
            ("ООО «Ромашка»", Field::Name),
            ("Ромашка Медиа", Field::Name),
            ("585 Золотой", Field::Name),
            ("1С-Битрикс", Field::Name),
            ("Romashka", Field::Name),
        ];
        for (q, want) in table {
            assert_eq!(classify(q), want, "{q}");
        }
    }

    #[test]
    fn markup_is_escaped() {
        assert_eq!(
            escape("<script>alert('1')</script> & \"x\""),
            "&lt;script&gt;alert(&#39;1&#39;)&lt;/script&gt; &amp; &quot;x&quot;"
        );
    }

    #[test]
    fn cookie_values_round_trip() {
        for s in ["ivanova", "Иванова А.", "a;b=c%", "%zz"] {
            assert_eq!(percent_decode(&percent_encode(s)), s);
        }
        assert_eq!(percent_decode("%zz%4"), "%zz%4");
    }

    #[test]
    fn russian_day_counts() {
        let table = [
            (1, "1 день"),
            (2, "2 дня"),
            (5, "5 дней"),
            (11, "11 дней"),
            (12, "12 дней"),
            (21, "21 день"),
            (140, "140 дней"),
            (104, "104 дня"),
        ];
        for (n, want) in table {
            assert_eq!(days(n), want);
        }
    }

    #[test]
    fn statuses_in_russian_from_the_code() {
        let e = Extra { idle_days: vec![], my_firms: 200, limit: 200 };
        let w = |code: Access, text: &str, idle| status_words(code, text, Some("ivanova"), idle, &e);
        assert_eq!(w(Access::Pool, "in the pool: anyone may take it", None), "В копилке — можно взять");
        assert_eq!(w(Access::Yours, "you already hold it", Some(3)), "Ваша фирма");
        assert_eq!(
            w(Access::Held, "held by ivanova (last activity 12 days ago): …", Some(12)),
            "Закреплена за ivanova, последняя активность 12 дней назад — можно только смотреть историю"
        );
        assert_eq!(
            w(Access::StaleClaimable, "stale and claimable: …", Some(140)),
            "Закреплена за ivanova, но без активности 140 дней — можно забрать"
        );
        assert_eq!(
            w(Access::AtLimit, "claimable but you are at your limit (200/200)", None),
            "Свободна, но у вас уже 200 из 200"
        );
        // The check's own Russian text is shown as it is.
        assert_eq!(w(Access::Held, "Закреплена за ivanova", Some(1)), "Закреплена за ivanova");
    }
}
