//! A labelled synthetic CRM base: fictional firms, their legal entities and the cards managers typed for them,
//! with the noise of hand entry and the traps of real bases, plus the truth (which card is which entity and firm).
//!
//! Deterministic for a seed, whatever the number of threads: firms are planned and filled in chunks, each with
//! its own random stream derived from the seed and the chunk number. Every rate is in [`Rates`].

mod words;

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;

use chrono::{Duration, NaiveDate};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::Serialize;

use words::*;

use crate::dict::Dictionaries;

/// Every rate of the generator, in one place (`firmdedup synth --print-rates` prints them).
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct Rates {
    /// Share of firms with 2, 3, 4 and 5-6 legal entities (the rest have one).
    pub entities_2_3_4_6: [f64; 4],
    /// Share of multi-entity firms that hold the owner's ИП.
    pub owner_ip: f64,
    /// How sister entities are named: sharing the root ("Ромашка" / "Ромашка-Медиа"), sharing a brand, unrelated.
    pub sister_naming_root_brand_other: [f64; 3],
    /// Share of sister entities that share no visible signal with the rest of the firm (no common domain, phone,
    /// person or brand): invisible to any matcher.
    pub sister_invisible: f64,
    /// Legal forms of single companies: ООО, АО, ПАО, ЗАО, ИП (the rest: АНО, МУП, ОАО).
    pub forms_ooo_ao_pao_zao_ip: [f64; 5],
    /// Firms whose name is one of the very common names (Вектор, Альфа ...).
    pub common_name: f64,
    /// Legal entities with branches (same ИНН, another КПП, another city); 1-3 branches each.
    pub branches: f64,
    /// Cards per legal entity: share with 1, 2, 3, and 4-8 cards.
    pub cards_1_2_3_8: [f64; 4],
    /// Firms with a corporate domain; share of their sister entities using it.
    pub domain: f64,
    /// Share of sister entities using the firm's domain.
    pub domain_shared: f64,
    /// Firms with a `.рф` domain (of those with a domain).
    pub domain_rf: f64,
    /// Firms with a brand; share of cards showing it.
    pub brand: f64,
    /// Share of cards that show the brand, when there is one.
    pub brand_on_card: f64,
    /// Share of sister entities that name the firm's director as their decision-maker.
    pub director_shared: f64,
    /// Share of sister entities that carry the owner's mobile.
    pub owner_mobile_shared: f64,
    /// Cards: ИНН present; of present: mistyped, a КПП instead, an ОГРН instead, a sister's ИНН.
    pub inn_present: f64,
    /// Of ИНН present: one digit mistyped.
    pub inn_typo: f64,
    /// Of ИНН present: the КПП typed instead.
    pub inn_is_kpp: f64,
    /// Of ИНН present: the ОГРН typed instead.
    pub inn_is_ogrn: f64,
    /// Of ИНН present on a sister's card: the sister's ИНН.
    pub inn_sibling: f64,
    /// ИНН of regions 01-09 written without the leading zero.
    pub inn_zero_dropped: f64,
    /// Of cards with an ИНН: the ИНН (and КПП) written into the name with their labels, the fields left empty
    /// (`ООО «Ромашка» ИНН 7707083893`, `… (ИНН …, КПП …)`: a spreadsheet without those columns).
    pub inn_in_name: f64,
    /// Of cards with a contact: one phone and one e-mail of the card written in the contact's cell instead of
    /// their own (`Иванов И.И., +7 916 123-45-67, ivanov@alfa.ru`).
    pub contact_inline: f64,
    /// Cards with КПП; with ОГРН.
    pub kpp_present: f64,
    /// Cards with ОГРН.
    pub ogrn_present: f64,
    /// Cards with the entity's phone; with a second (mobile or branch) phone.
    pub phone_main: f64,
    /// Cards with the owner's or director's mobile.
    pub phone_mobile: f64,
    /// Phones written as a local number without area code (3-digit codes only).
    pub phone_local: f64,
    /// Phones with an extension.
    pub phone_ext: f64,
    /// Phones destroyed by Excel (7.91E+10).
    pub phone_excel: f64,
    /// Cards with a corporate email (when the firm has a domain); with a personal public email.
    pub email_corporate: f64,
    /// Cards with a personal address on a public mail service.
    pub email_public: f64,
    /// Cards with the website (when there is one).
    pub website: f64,
    /// Cards with a decision-maker; of those, with a job title.
    pub contact: f64,
    /// Contacts with a job title.
    pub contact_position: f64,
    /// Cards with an address.
    pub address: f64,
    /// Names: legal form missing, written in full, written at the end.
    pub form_missing: f64,
    /// Legal form written in full.
    pub form_full: f64,
    /// Legal form written at the end.
    pub form_end: f64,
    /// Names with one typo (a letter replaced, dropped, doubled or two swapped).
    pub name_typo: f64,
    /// Names written in Latin letters (ICAO, GOST or informal).
    pub name_latin: f64,
    /// Names with Latin look-alike letters inside Cyrillic words.
    pub name_homoglyph: f64,
    /// Names in upper case.
    pub name_upper: f64,
    /// Names with a branch or city tag written after them (`X - СПб`, `X (Самара)`, `X филиал Ростов`, `X (г.
    /// Тольятти)` …), the card's own city. 0 draws nothing (the bases of the profiles without it stay as they were).
    #[serde(default)]
    pub name_tag: f64,
    /// Cards of a firm with a brand whose name is written beside the brand, either way round (`Бренд (ООО «X»)`,
    /// `Бренд / ООО «X»`, `ООО «X» (Бренд)`, `Бренд [ООО «X»]` …). 0 draws nothing.
    #[serde(default)]
    pub name_brand_beside: f64,
    /// Legal entities of a big client, typed by every manager: 12 to 40 cards instead of the usual few. 0 draws
    /// nothing.
    #[serde(default)]
    pub big_client: f64,
    /// Cards in the pool (no manager).
    pub pool: f64,
    /// Legal entities whose cards are all held by one manager.
    pub single_manager: f64,
    /// Firms in business centres (sharing the reception phone and the building), per firm.
    pub business_centre: f64,
    /// Cards of business-centre tenants showing the reception phone.
    pub bc_phone_on_card: f64,
    /// Small firms served by an outsourced accountant.
    pub accountant: f64,
    /// Cards of those firms showing the accountant's phone, email and name.
    pub accountant_on_card: f64,
    /// Firms that are clients of an advertising agency.
    pub agency_client: f64,
    /// Cards of agency clients showing the agency's phone and email.
    pub agency_on_card: f64,
}

impl Default for Rates {
    fn default() -> Self {
        Rates {
            entities_2_3_4_6: [0.12, 0.05, 0.02, 0.01],
            owner_ip: 0.3,
            sister_naming_root_brand_other: [0.5, 0.2, 0.3],
            sister_invisible: 0.1,
            forms_ooo_ao_pao_zao_ip: [0.62, 0.07, 0.01, 0.03, 0.22],
            common_name: 0.05,
            branches: 0.05,
            cards_1_2_3_8: [0.5, 0.27, 0.12, 0.11],
            domain: 0.65,
            domain_shared: 0.6,
            domain_rf: 0.05,
            brand: 0.15,
            brand_on_card: 0.5,
            director_shared: 0.5,
            owner_mobile_shared: 0.4,
            inn_present: 0.65,
            inn_typo: 0.03,
            inn_is_kpp: 0.015,
            inn_is_ogrn: 0.015,
            inn_sibling: 0.02,
            inn_zero_dropped: 0.5,
            inn_in_name: 0.0,
            contact_inline: 0.0,
            kpp_present: 0.3,
            ogrn_present: 0.15,
            phone_main: 0.85,
            phone_mobile: 0.3,
            phone_local: 0.08,
            phone_ext: 0.1,
            phone_excel: 0.005,
            email_corporate: 0.55,
            email_public: 0.25,
            website: 0.35,
            contact: 0.55,
            contact_position: 0.4,
            address: 0.5,
            form_missing: 0.25,
            form_full: 0.07,
            form_end: 0.08,
            name_typo: 0.06,
            name_latin: 0.05,
            name_homoglyph: 0.03,
            name_upper: 0.08,
            name_tag: 0.0,
            name_brand_beside: 0.0,
            big_client: 0.0,
            pool: 0.15,
            single_manager: 0.5,
            business_centre: 0.08,
            bc_phone_on_card: 0.5,
            accountant: 0.06,
            accountant_on_card: 0.4,
            agency_client: 0.1,
            agency_on_card: 0.35,
        }
    }
}

/// The named kinds of base `synth --profile` makes, besides `default`: each changes what the matcher leans on.
pub const PROFILES: [&str; 6] = ["default", "sparse", "spelling", "people", "agency", "hub"];

impl Rates {
    /// The rates of a named profile (`default`, `sparse`, `spelling`, `people`, `agency`, `hub`, or `random`,
    /// which draws every rate from the seed); `None` for an unknown name.
    pub fn profile(name: &str, seed: u64) -> Option<Rates> {
        let mut r = Rates::default();
        match name {
            "default" => {}
            // Few identifiers and contacts: ИНН on 30% of cards, many cards with a name only.
            "sparse" => {
                r.inn_present = 0.3;
                r.phone_main = 0.5;
                r.phone_mobile = 0.15;
                r.email_corporate = 0.3;
                r.email_public = 0.15;
                r.website = 0.15;
                r.contact = 0.3;
                r.address = 0.3;
                r.kpp_present = 0.1;
                r.ogrn_present = 0.05;
                // A spreadsheet's habits: requisites in the name, a contact's cell with the phone and e-mail.
                r.inn_in_name = 0.2;
                r.contact_inline = 0.3;
            }
            // Names written every which way: forms missing, in full or at the end, typos, Latin, look-alikes.
            "spelling" => {
                r.form_missing = 0.45;
                r.form_full = 0.2;
                r.form_end = 0.2;
                r.name_typo = 0.15;
                r.name_latin = 0.12;
                r.name_homoglyph = 0.08;
                r.name_upper = 0.2;
                r.branches = 0.15;
                r.name_tag = 0.12;
                r.name_brand_beside = 0.4;
            }
            // People everywhere: contacts on most cards, many ИП, owners' ИП beside their companies.
            "people" => {
                r.contact = 0.85;
                r.owner_ip = 0.6;
                r.forms_ooo_ao_pao_zao_ip = [0.45, 0.05, 0.01, 0.02, 0.47];
                r.director_shared = 0.7;
                r.owner_mobile_shared = 0.6;
            }
            // Accountants, agencies and business centres on many cards; sisters' ИНН typed on cards.
            "agency" => {
                r.accountant = 0.2;
                r.accountant_on_card = 0.7;
                r.agency_client = 0.3;
                r.agency_on_card = 0.6;
                r.business_centre = 0.2;
                r.inn_sibling = 0.08;
            }
            // Very common names and reception phones.
            "hub" => {
                r.common_name = 0.35;
                r.business_centre = 0.3;
                r.bc_phone_on_card = 0.85;
                r.inn_present = 0.45;
                r.big_client = 0.005;
            }
            "random" => {
                let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x05ee_d0f5_a7e5);
                let v = serde_json::to_value(&r).ok()?;
                let mut m: serde_json::Map<String, serde_json::Value> = v.as_object()?.clone();
                for (_, x) in m.iter_mut() {
                    // A rate of 0 (a habit only some profiles have) stays 0 and draws nothing, so adding one
                    // leaves every other rate's draw as it was.
                    if let Some(f) = x.as_f64().filter(|&f| f > 0.0) {
                        // Each rate from half to one and a half of its default, within 0..1.
                        let k: f64 = rng.random_range(0.5..1.5);
                        *x = serde_json::json!((f * k).clamp(0.0, 1.0));
                    }
                }
                r = serde_json::from_value(serde_json::Value::Object(m)).ok()?;
            }
            _ => return None,
        }
        Some(r)
    }
}

/// What to generate.
#[derive(Debug, Clone)]
pub struct SynthOptions {
    /// Number of cards.
    pub cards: usize,
    /// Random seed.
    pub seed: u64,
    /// The "today" of the base: activity dates fall in the two years before it.
    pub today: NaiveDate,
    /// The rates.
    pub rates: Rates,
}

/// One generated card.
#[derive(Debug, Clone, Default)]
pub struct SynthCard {
    /// Card id.
    pub id: u64,
    /// Truth: legal entity.
    pub entity: u64,
    /// Truth: firm.
    pub firm: u64,
    /// Name as typed.
    pub name: String,
    /// ИНН field.
    pub inn: String,
    /// КПП field.
    pub kpp: String,
    /// ОГРН field.
    pub ogrn: String,
    /// Brand.
    pub brand: String,
    /// Address.
    pub address: String,
    /// Work phones.
    pub work_phones: Vec<String>,
    /// Mobile phones.
    pub mobile_phones: Vec<String>,
    /// Emails.
    pub emails: Vec<String>,
    /// Website.
    pub website: String,
    /// Contacts.
    pub contacts: Vec<String>,
    /// Manager login.
    pub manager: String,
    /// Last activity.
    pub last_activity: Option<NaiveDate>,
}

impl SynthCard {
    /// The card as firmdedup reads it from the canonical export (work and mobile phones in one field), for
    /// benchmarks and tests that skip the CSV round trip.
    pub fn to_card(&self) -> crate::card::Card {
        crate::card::Card {
            line: 0,
            id: self.id.to_string(),
            name: self.name.clone(),
            inn: self.inn.clone(),
            kpp: self.kpp.clone(),
            ogrn: self.ogrn.clone(),
            brand: self.brand.clone(),
            address: vec![self.address.clone()],
            phones: self.work_phones.iter().chain(&self.mobile_phones).cloned().collect(),
            emails: self.emails.clone(),
            website: self.website.clone(),
            contacts: self.contacts.clone(),
            manager: self.manager.clone(),
            last_activity: self.last_activity.map(|d| d.to_string()).unwrap_or_default(),
        }
    }
}

/// A generated base.
pub struct Base {
    /// The cards, by id.
    pub cards: Vec<SynthCard>,
    /// Number of firms.
    pub firms: usize,
    /// Number of legal entities.
    pub entities: usize,
}

const CHUNK: usize = 2048;

fn rng_for(seed: u64, stream: u64, chunk: u64) -> ChaCha8Rng {
    let mut r = ChaCha8Rng::seed_from_u64(seed ^ stream.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    r.set_stream(chunk);
    r
}

fn pick<'a, T>(rng: &mut ChaCha8Rng, v: &'a [T]) -> &'a T {
    &v[rng.random_range(0..v.len())]
}

/// Zipf-like pick: index `i` with weight 1/(i+10).
fn zipf(rng: &mut ChaCha8Rng, n: usize) -> usize {
    // Inverse transform of a continuous 1/(x+10) density on [0, n).
    let u: f64 = rng.random();
    let a = 10.0f64;
    let x = a * ((1.0 + n as f64 / a).powf(u)) - a;
    (x as usize).min(n - 1)
}

fn chance(rng: &mut ChaCha8Rng, p: f64) -> bool {
    rng.random_bool(p.clamp(0.0, 1.0))
}

fn from_dist(rng: &mut ChaCha8Rng, ps: &[f64]) -> usize {
    let u: f64 = rng.random();
    let mut acc = 0.0;
    for (i, p) in ps.iter().enumerate() {
        acc += p;
        if u < acc {
            return i;
        }
    }
    ps.len()
}

// ---- Identifiers --------------------------------------------------------------------------------------------

fn inn10(region: &str, n: u64) -> String {
    let p = format!("{region}{:02}{:05}", 1 + (n / 100_000) % 99, n % 100_000);
    crate::normalize::ids::inn10_with_check(&p).expect("nine digits")
}

fn inn12(region: &str, n: u64) -> String {
    let p = format!("{region}{:02}{:06}", 1 + (n / 1_000_000) % 99, n % 1_000_000);
    crate::normalize::ids::inn12_with_check(&p).expect("ten digits")
}

fn ogrn13(region: &str, n: u64, year: u32) -> String {
    let p = format!("1{:02}{region}{:07}", year % 100, n % 10_000_000);
    let v: u64 = p.parse().unwrap_or(0);
    format!("{p}{}", v % 11 % 10)
}

fn ogrnip15(region: &str, n: u64, year: u32) -> String {
    let p = format!("3{:02}{region}{:09}", year % 100, n % 1_000_000_000);
    let v: u64 = p.parse().unwrap_or(0);
    format!("{p}{}", v % 13 % 10)
}

/// A bijection on `0..10^digits`, so distinct slots get distinct local numbers.
fn perm(x: u64, digits: u32) -> u64 {
    let m = 10u64.pow(digits);
    (x % m * 7_919_311 + 1_234_567) % m
}

fn local_number(code: &str, slot: u64) -> String {
    let digits = 10 - code.len() as u32;
    let n = perm(slot, digits);
    format!("{:0width$}", n, width = digits as usize)
}

fn mobile_number(slot: u64) -> (String, String) {
    let code = format!("9{:02}", 10 + (slot / 10_000_000) % 89);
    (code, format!("{:07}", perm(slot % 10_000_000, 7)))
}

// ---- Text noise ------------------------------------------------------------------------------------------------

#[derive(Clone, Copy)]
enum Scheme {
    Icao,
    GostB,
    Informal,
}

fn translit_word(w: &str, s: Scheme) -> String {
    let mut out = String::with_capacity(w.len() * 2);
    let mut first = true;
    for c in w.chars() {
        let upper = c.is_uppercase();
        let l = c.to_lowercase().next().unwrap_or(c);
        let t: &str = match (l, s) {
            ('а', _) => "a",
            ('б', _) => "b",
            ('в', _) => "v",
            ('г', _) => "g",
            ('д', _) => "d",
            ('е', Scheme::Informal) if first => "ye",
            ('е', _) | ('ё', _) | ('э', _) => "e",
            ('ж', _) => "zh",
            ('з', _) => "z",
            ('и', _) => "i",
            ('й', Scheme::Icao) => "i",
            ('й', _) => "y",
            ('к', _) => "k",
            ('л', _) => "l",
            ('м', _) => "m",
            ('н', _) => "n",
            ('о', _) => "o",
            ('п', _) => "p",
            ('р', _) => "r",
            ('с', _) => "s",
            ('т', _) => "t",
            ('у', _) => "u",
            ('ф', _) => "f",
            ('х', Scheme::GostB) => "x",
            ('х', Scheme::Informal) => "h",
            ('х', _) => "kh",
            ('ц', Scheme::GostB) => "cz",
            ('ц', Scheme::Informal) => "c",
            ('ц', _) => "ts",
            ('ч', _) => "ch",
            ('ш', _) => "sh",
            ('щ', Scheme::GostB) => "shh",
            ('щ', Scheme::Informal) => "sch",
            ('щ', _) => "shch",
            ('ъ', _) | ('ь', _) => "",
            ('ы', _) => "y",
            ('ю', Scheme::Icao) => "iu",
            ('ю', _) => "yu",
            ('я', Scheme::Icao) => "ia",
            ('я', _) => "ya",
            _ => {
                out.push(c);
                first = false;
                continue;
            }
        };
        if upper {
            let mut cs = t.chars();
            if let Some(f) = cs.next() {
                out.extend(f.to_uppercase());
                out.push_str(cs.as_str());
            }
        } else {
            out.push_str(t);
        }
        first = false;
    }
    out
}

fn typo(rng: &mut ChaCha8Rng, w: &str) -> String {
    let mut cs: Vec<char> = w.chars().collect();
    if cs.len() < 5 {
        return w.to_string();
    }
    let i = rng.random_range(1..cs.len() - 1);
    match rng.random_range(0..4) {
        0 => {
            cs.remove(i);
        }
        1 => {
            let c = cs[i];
            cs.insert(i, c);
        }
        2 => cs.swap(i, i + 1),
        _ => {
            let pool: Vec<char> = "аоеиуснтрлкмвпд".chars().collect();
            cs[i] = *pick(rng, &pool);
        }
    }
    cs.into_iter().collect()
}

fn homoglyphs(rng: &mut ChaCha8Rng, w: &str) -> String {
    w.chars()
        .map(|c| {
            let lat = match c {
                'А' => 'A',
                'В' => 'B',
                'Е' => 'E',
                'К' => 'K',
                'М' => 'M',
                'Н' => 'H',
                'О' => 'O',
                'Р' => 'P',
                'С' => 'C',
                'Т' => 'T',
                'Х' => 'X',
                'а' => 'a',
                'е' => 'e',
                'о' => 'o',
                'р' => 'p',
                'с' => 'c',
                'х' => 'x',
                _ => return c,
            };
            if chance(rng, 0.4) { lat } else { c }
        })
        .collect()
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

fn invented(rng: &mut ChaCha8Rng) -> String {
    let n = if chance(rng, 0.6) { 2 } else { 3 };
    let mut s = String::new();
    for _ in 0..n {
        s.push_str(pick::<&str>(rng, ONSETS));
        s.push_str(pick::<&str>(rng, VOWELS));
    }
    s.push_str(pick::<&str>(rng, CODAS));
    capitalize(&s)
}

// ---- The world ------------------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
struct Person {
    surname: String,
    first: String,
    patronymic: String,
    mobile: String,
    slot: u64,
}

fn make_person(rng: &mut ChaCha8Rng, slot: u64) -> Person {
    let female = chance(rng, 0.4);
    // Real surnames are very diverse: a third come from the list of common ones (drawn Zipf-like), the rest are
    // made of syllables and a surname ending.
    let made;
    let s: &str = if chance(rng, 0.35) {
        SURNAMES[zipf(rng, SURNAMES.len())]
    } else {
        let mut w = String::new();
        for _ in 0..rng.random_range(1..=2) {
            w.push_str(pick::<&str>(rng, ONSETS));
            w.push_str(pick::<&str>(rng, &VOWELS[..7]));
        }
        w.push_str(pick::<&str>(rng, &["ов", "ев", "ин", "кий", "енко", "ук", "ых", "иков", "анов", "ецкий"]));
        made = capitalize(&w);
        &made
    };
    let surname = if female {
        if let Some(stem) = s.strip_suffix("ий") {
            format!("{stem}ая")
        } else if s.ends_with("ко") || s.ends_with("ук") || s.ends_with("ый") {
            s.to_string()
        } else {
            format!("{s}а")
        }
    } else {
        s.to_string()
    };
    let father = pick(rng, MALE_NAMES);
    let first = if female { (*pick(rng, FEMALE_NAMES)).to_string() } else { pick(rng, MALE_NAMES).0.to_string() };
    let patronymic = if female { father.2 } else { father.1 }.to_string();
    let (code, num) = mobile_number(slot);
    Person { surname, first, patronymic, mobile: format!("{code}{num}"), slot }
}

#[derive(Debug, Clone)]
struct Place {
    city: usize,
    street: usize,
    street_type: usize,
    house: u32,
    office: Option<u32>,
}

/// A shared-value trap: a business centre, an accountant or an agency.
#[derive(Debug, Clone)]
struct Trap {
    phone: (String, String),
    email: String,
    person: Option<Person>,
    place: Option<Place>,
}

struct World {
    centres: Vec<Trap>,
    accountants: Vec<Trap>,
    agencies: Vec<Trap>,
    managers: Vec<String>,
    city_weights: Vec<u32>,
}

#[derive(Debug, Clone)]
struct EntityPlan {
    form: &'static str,
    city: usize,
    cards: usize,
    branches: Vec<usize>,
    ip: bool,
}

#[derive(Debug, Clone)]
struct FirmPlan {
    entities: Vec<EntityPlan>,
    /// The business centre the first entity rents in (its city is the centre's).
    bc: Option<usize>,
}

fn pick_city(rng: &mut ChaCha8Rng, weights: &[u32]) -> usize {
    let total: u32 = weights.iter().sum();
    let mut u = rng.random_range(0..total);
    for (i, w) in weights.iter().enumerate() {
        if u < *w {
            return i;
        }
        u -= w;
    }
    0
}

fn plan_firm(rng: &mut ChaCha8Rng, r: &Rates, world: &World) -> FirmPlan {
    let n = match from_dist(rng, &r.entities_2_3_4_6) {
        0 => 2,
        1 => 3,
        2 => 4,
        3 => rng.random_range(5..=6),
        _ => 1,
    };
    let bc =
        (chance(rng, r.business_centre) && !world.centres.is_empty()).then(|| rng.random_range(0..world.centres.len()));
    let city = match bc.and_then(|b| world.centres[b].place.as_ref()) {
        Some(p) => p.city,
        None => pick_city(rng, &world.city_weights),
    };
    let mut entities = Vec::with_capacity(n);
    for e in 0..n {
        let ip = if n > 1 && e == n - 1 && chance(rng, r.owner_ip) {
            true
        } else {
            from_dist(rng, &r.forms_ooo_ao_pao_zao_ip) == 4 && n == 1
        };
        let form = if ip {
            "ИП"
        } else {
            match from_dist(rng, &r.forms_ooo_ao_pao_zao_ip[..4]) {
                0 => "ООО",
                1 => "АО",
                2 => "ПАО",
                3 => "ЗАО",
                _ => *pick(rng, &["ООО", "ООО", "АНО", "МУП", "ОАО"]),
            }
        };
        let ecity = if e == 0 || chance(rng, 0.7) { city } else { pick_city(rng, &world.city_weights) };
        let cards = match from_dist(rng, &r.cards_1_2_3_8) {
            0 => 1,
            1 => 2,
            2 => 3,
            _ => rng.random_range(4..=8),
        };
        let cards = if r.big_client > 0.0 && chance(rng, r.big_client) { rng.random_range(12..=40) } else { cards };
        let branches = if !ip && chance(rng, r.branches) {
            (0..rng.random_range(1..=3)).map(|_| pick_city(rng, &world.city_weights)).collect()
        } else {
            Vec::new()
        };
        entities.push(EntityPlan { form, city: ecity, cards, branches, ip });
    }
    FirmPlan { entities, bc }
}

/// Generates a base.
pub fn generate(opts: &SynthOptions) -> Base {
    let r = &opts.rates;
    let seed = opts.seed;
    let mut master = rng_for(seed, 0, 0);
    let n = opts.cards.max(1);
    let est_firms = (n as f64 / 2.6).ceil() as usize + 1;
    let city_weights: Vec<u32> = CITIES.iter().map(|c| c.3).collect();
    let managers: Vec<String> = (1..=(n / 700).clamp(8, 2000)).map(|i| format!("manager{i:02}")).collect();

    // Slots for unique phone numbers: per area code, a counter.
    let mut code_slots: std::collections::BTreeMap<&str, u64> = std::collections::BTreeMap::new();
    let mut take_slot = |code: &'static str| -> u64 {
        let s = code_slots.entry(code).or_insert(0);
        *s += 1;
        *s - 1
    };
    let mut person_slot = 0u64;

    // Traps.
    let mut mk_trap = |rng: &mut ChaCha8Rng, with_person: bool, with_place: bool, kind: &str, i: usize| -> Trap {
        let city = pick_city(rng, &city_weights);
        let code = CITIES[city].1;
        let slot = take_slot(code);
        let person = with_person.then(|| {
            person_slot += 1;
            make_person(rng, 50_000_000 + person_slot)
        });
        let place = with_place.then(|| Place {
            city,
            street: rng.random_range(0..STREETS.len()),
            street_type: 0,
            house: rng.random_range(1..200),
            office: None,
        });
        let email = match kind {
            "agency" => {
                format!("manager@ra-{}{}.ru", translit_word(&invented(rng).to_lowercase(), Scheme::Informal), i)
            }
            "accountant" => {
                let p = person
                    .as_ref()
                    .map(|p| translit_word(&p.surname.to_lowercase(), Scheme::Informal))
                    .unwrap_or_default();
                format!("buh.{p}{i}@{}", pick(rng, PUBLIC_MAIL))
            }
            _ => format!("reception{i}@bc-{}.ru", translit_word(&invented(rng).to_lowercase(), Scheme::Informal)),
        };
        Trap { phone: (code.to_string(), local_number(code, slot)), email, person, place }
    };
    let centres: Vec<Trap> = (0..(est_firms as f64 * r.business_centre / 25.0).ceil() as usize)
        .map(|i| mk_trap(&mut master, false, true, "bc", i))
        .collect();
    let accountants: Vec<Trap> = (0..(est_firms as f64 * r.accountant / 12.0).ceil() as usize)
        .map(|i| mk_trap(&mut master, true, false, "accountant", i))
        .collect();
    let agencies: Vec<Trap> = (0..(est_firms as f64 * r.agency_client / 60.0).ceil() as usize)
        .map(|i| mk_trap(&mut master, true, true, "agency", i))
        .collect();
    let world = World { centres, accountants, agencies, managers, city_weights: city_weights.clone() };

    // Plan firms chunk by chunk until there are enough cards.
    let mut plans: Vec<FirmPlan> = Vec::new();
    let mut total = 0usize;
    let mut chunk_no = 0u64;
    while total < n {
        let chunk_count = ((n - total) as f64 / 2.6 / CHUNK as f64).ceil().max(1.0) as u64;
        let chunks: Vec<Vec<FirmPlan>> = (chunk_no..chunk_no + chunk_count)
            .into_par_iter()
            .map(|c| {
                let mut rng = rng_for(seed, 1, c);
                (0..CHUNK).map(|_| plan_firm(&mut rng, r, &world)).collect()
            })
            .collect();
        chunk_no += chunk_count;
        for ch in chunks {
            for p in ch {
                if total >= n {
                    break;
                }
                total += p.entities.iter().map(|e| e.cards).sum::<usize>();
                plans.push(p);
            }
        }
    }

    // Dense numbering: entity ids, phone slots per area code, person slots.
    struct Numbers {
        entity0: u64,
        person0: u64,
        slots: Vec<Vec<u64>>,
    }
    let mut entity_no = 0u64;
    let mut numbers: Vec<Numbers> = Vec::with_capacity(plans.len());
    for p in &plans {
        let mut slots = Vec::new();
        for e in &p.entities {
            let mut s = vec![take_slot(CITIES[e.city].1)];
            for &b in &e.branches {
                s.push(take_slot(CITIES[b].1));
            }
            slots.push(s);
        }
        numbers.push(Numbers { entity0: entity_no, person0: person_slot, slots });
        entity_no += p.entities.len() as u64;
        person_slot += 3;
    }

    // Fill firms in parallel, each from its own stream.
    let firms_cards: Vec<Vec<SynthCard>> = plans
        .par_iter()
        .zip(numbers.par_iter())
        .enumerate()
        .map(|(f, (plan, num))| {
            let mut rng = rng_for(seed, 2, f as u64);
            fill_firm(&mut rng, r, &world, opts.today, f as u64, plan, num.entity0, num.person0, &num.slots)
        })
        .collect();
    let mut cards: Vec<SynthCard> = firms_cards.into_iter().flatten().collect();
    cards.truncate(n);
    // Card ids: a random permutation of 1..=n (cards of one entity are typed at different times).
    let mut ids: Vec<u64> = (1..=cards.len() as u64).collect();
    for i in (1..ids.len()).rev() {
        let j = master.random_range(0..=i);
        ids.swap(i, j);
    }
    for (c, id) in cards.iter_mut().zip(ids) {
        c.id = id;
    }
    cards.par_sort_by_key(|c| c.id);
    let firms = {
        let mut v: Vec<u64> = cards.iter().map(|c| c.firm).collect();
        v.sort_unstable();
        v.dedup();
        v.len()
    };
    let entities = {
        let mut v: Vec<u64> = cards.iter().map(|c| c.entity).collect();
        v.sort_unstable();
        v.dedup();
        v.len()
    };
    Base { cards, firms, entities }
}

struct EntityData {
    gid: u64,
    core: String,
    form: &'static str,
    ip_person: Option<Person>,
    inn: String,
    ogrn: String,
    kpp: String,
    place: Place,
    phone: (String, String),
    branches: Vec<(usize, String, (String, String), Place)>,
    domain: Option<String>,
    director: Person,
    mobile_of: Option<Person>,
    brand: Option<String>,
    bc: Option<usize>,
    accountant: Option<usize>,
    agency: Option<usize>,
}

#[allow(clippy::too_many_arguments)]
fn fill_firm(
    rng: &mut ChaCha8Rng,
    r: &Rates,
    world: &World,
    today: NaiveDate,
    firm: u64,
    plan: &FirmPlan,
    entity0: u64,
    person0: u64,
    slots: &[Vec<u64>],
) -> Vec<SynthCard> {
    // The firm's name root, brand, domain, people.
    let root = if chance(rng, r.common_name) {
        (*pick(rng, COMMON_NAMES)).to_string()
    } else {
        match rng.random_range(0..10) {
            0..=3 => invented(rng),
            4..=6 => format!("{}{}", pick(rng, PREFIXES), pick(rng, SUFFIXES)),
            7 => format!("{} {}", pick(rng, ADJECTIVES), pick(rng, NOUNS)),
            _ => format!("{} {}", pick(rng, SECTORS), capitalize(&invented(rng).to_lowercase())),
        }
    };
    let brand = chance(rng, r.brand)
        .then(|| if chance(rng, 0.5) { root.clone() } else { capitalize(&invented(rng).to_lowercase()) });
    let owner = make_person(rng, person0);
    let director = if chance(rng, 0.5) { owner.clone() } else { make_person(rng, person0 + 1) };
    let domain = chance(rng, r.domain).then(|| {
        let base = translit_word(&root.to_lowercase().replace(' ', "-"), Scheme::Informal);
        if chance(rng, r.domain_rf) {
            format!("{}-{}.рф", root.to_lowercase().replace(' ', "-"), firm % 1000)
        } else {
            format!("{base}-{}.ru", radix36(firm))
        }
    });
    let small = plan.entities.len() == 1;
    let bc = plan.bc;
    let accountant = (small && chance(rng, r.accountant) && !world.accountants.is_empty())
        .then(|| rng.random_range(0..world.accountants.len()));
    let agency =
        (chance(rng, r.agency_client) && !world.agencies.is_empty()).then(|| rng.random_range(0..world.agencies.len()));
    let naming = from_dist(rng, &r.sister_naming_root_brand_other);

    let mut ents: Vec<EntityData> = Vec::new();
    for (e, ep) in plan.entities.iter().enumerate() {
        let gid = entity0 + e as u64;
        let region = CITIES[ep.city].2;
        let invisible = e > 0 && chance(rng, r.sister_invisible);
        let (core, ip_person) = if ep.ip {
            let p = if e == 0 || !invisible { owner.clone() } else { make_person(rng, person0 + 2) };
            (format!("{} {} {}", p.surname, p.first, p.patronymic), Some(p))
        } else if e == 0 {
            (root.clone(), None)
        } else if invisible || naming == 2 {
            (capitalize(&invented(rng).to_lowercase()), None)
        } else if naming == 0 {
            let suffix = *pick(
                rng,
                &["Медиа", "Трейд", "Групп", "Сервис", "Логистик", "Девелопмент", "Строй", "Плюс", "Холдинг", "Регион"],
            );
            (if chance(rng, 0.5) { format!("{root}-{suffix}") } else { format!("{root} {suffix}") }, None)
        } else {
            (capitalize(&invented(rng).to_lowercase()), None)
        };
        let year = 2000 + (gid % 24) as u32;
        let inn = if ep.ip { inn12(region, gid) } else { inn10(region, gid) };
        let ogrn = if ep.ip { ogrnip15(region, gid, year) } else { ogrn13(region, gid, year) };
        let kpp = if ep.ip { String::new() } else { format!("{}01001", &inn[..4]) };
        let place = match bc.map(|b| &world.centres[b]) {
            Some(t) if e == 0 => {
                let mut p = t.place.clone().unwrap_or_else(|| random_place(rng, ep.city));
                p.office = Some(rng.random_range(1..600));
                p
            }
            _ => random_place(rng, ep.city),
        };
        // The slot was taken from the counter of the entity's own city code.
        let code = CITIES[ep.city].1;
        let phone = (code.to_string(), local_number(code, slots[e][0]));
        let branches = ep
            .branches
            .iter()
            .enumerate()
            .map(|(k, &bcity)| {
                let bcode = CITIES[bcity].1;
                let bkpp = format!("{}{:02}43{:03}", CITIES[bcity].2, 1 + (gid % 97), k + 1);
                (bcity, bkpp, (bcode.to_string(), local_number(bcode, slots[e][k + 1])), random_place(rng, bcity))
            })
            .collect();
        let shares = e == 0 || !invisible;
        let edomain = domain.clone().filter(|_| shares && (e == 0 || chance(rng, r.domain_shared)));
        let edirector = if !shares {
            make_person(rng, person0 + 2)
        } else if e == 0 || chance(rng, r.director_shared) {
            director.clone()
        } else {
            make_person(rng, person0 + 2)
        };
        let mobile_of = if !shares {
            None
        } else if e == 0 || chance(rng, r.owner_mobile_shared) {
            Some(owner.clone())
        } else {
            None
        };
        let ebrand = if naming == 1 && shares {
            brand.clone().or(Some(root.clone()))
        } else if e == 0 {
            brand.clone()
        } else {
            None
        };
        ents.push(EntityData {
            gid,
            core,
            form: ep.form,
            ip_person,
            inn,
            ogrn,
            kpp,
            place,
            phone,
            branches,
            domain: edomain,
            director: edirector,
            mobile_of,
            brand: ebrand,
            bc: if e == 0 { bc } else { None },
            accountant,
            agency: if e == 0 { agency } else { None },
        });
    }

    let sibling_inns: Vec<String> = ents.iter().map(|e| e.inn.clone()).collect();
    let mut cards = Vec::new();
    for (e, ed) in ents.iter().enumerate() {
        let ep = &plan.entities[e];
        let single = chance(rng, r.single_manager);
        let own_manager = pick(rng, &world.managers).clone();
        for k in 0..ep.cards {
            let branch = if !ed.branches.is_empty() && k > 0 && chance(rng, 0.4) {
                Some(&ed.branches[rng.random_range(0..ed.branches.len())])
            } else {
                None
            };
            let mut c = SynthCard { entity: ed.gid, firm, ..SynthCard::default() };
            c.name = render_name(rng, r, ed);
            if r.name_tag > 0.0 && chance(rng, r.name_tag) {
                let place = branch.map(|b| &b.3).unwrap_or(&ed.place);
                c.name = with_branch_tag(rng, &c.name, CITIES[place.city].0);
            }
            if r.name_brand_beside > 0.0
                && let Some(b) = &ed.brand
                && chance(rng, r.name_brand_beside)
            {
                c.name = beside_brand(rng, &c.name, b);
            }
            // Identifiers.
            if chance(rng, r.inn_present) {
                let u: f64 = rng.random();
                let zero = ed.inn.starts_with('0') && chance(rng, r.inn_zero_dropped);
                c.inn = if u < r.inn_typo {
                    let mut d: Vec<u8> = ed.inn.bytes().collect();
                    let i = rng.random_range(0..d.len());
                    d[i] = b'0' + ((d[i] - b'0' + rng.random_range(1..10)) % 10);
                    String::from_utf8(d).unwrap_or_default()
                } else if u < r.inn_typo + r.inn_is_kpp && !ed.kpp.is_empty() {
                    ed.kpp.clone()
                } else if u < r.inn_typo + r.inn_is_kpp + r.inn_is_ogrn {
                    ed.ogrn.clone()
                } else if u < r.inn_typo + r.inn_is_kpp + r.inn_is_ogrn + r.inn_sibling && sibling_inns.len() > 1 {
                    sibling_inns[(e + 1) % sibling_inns.len()].clone()
                } else if zero {
                    ed.inn[1..].to_string()
                } else {
                    format_inn(rng, &ed.inn)
                };
            }
            if chance(rng, r.kpp_present) {
                c.kpp = branch.map(|b| b.1.clone()).unwrap_or_else(|| ed.kpp.clone());
            }
            if chance(rng, r.ogrn_present) {
                c.ogrn = ed.ogrn.clone();
            }
            // Phones.
            let (code, local) = branch.map(|b| &b.2).unwrap_or(&ed.phone);
            if chance(rng, r.phone_main) {
                c.work_phones.push(render_phone(rng, r, code, local));
            }
            if let Some(p) = &ed.mobile_of
                && chance(rng, r.phone_mobile)
            {
                c.mobile_phones.push(render_phone(rng, r, &p.mobile[..3], &p.mobile[3..]));
            }
            if let Some(b) = ed.bc
                && chance(rng, r.bc_phone_on_card)
            {
                let t = &world.centres[b];
                c.work_phones.push(render_phone(rng, r, &t.phone.0, &t.phone.1));
            }
            // Emails and website.
            if let Some(d) = &ed.domain {
                if chance(rng, r.email_corporate) {
                    let local = match rng.random_range(0..4) {
                        0 => "info".to_string(),
                        1 => "sales".to_string(),
                        2 => "office".to_string(),
                        _ => translit_word(&ed.director.surname.to_lowercase(), Scheme::Informal),
                    };
                    let mut em = format!("{local}@{d}");
                    if chance(rng, 0.05) {
                        em = em.to_uppercase();
                    }
                    c.emails.push(em);
                }
                if chance(rng, r.website) {
                    c.website = render_site(rng, d);
                }
            }
            if chance(rng, r.email_public) {
                let p = &ed.director;
                c.emails.push(format!(
                    "{}.{}{}@{}",
                    translit_word(&p.surname.to_lowercase(), Scheme::Informal),
                    translit_word(&p.first.to_lowercase(), Scheme::Informal).chars().next().unwrap_or('x'),
                    p.slot % 1000,
                    PUBLIC_MAIL[(p.slot % PUBLIC_MAIL.len() as u64) as usize]
                ));
            }
            // Contacts.
            if chance(rng, r.contact) {
                c.contacts.push(render_person(rng, r, &ed.director));
            }
            if let Some(a) = ed.accountant
                && chance(rng, r.accountant_on_card)
            {
                let t = &world.accountants[a];
                c.work_phones.push(render_phone(rng, r, &t.phone.0, &t.phone.1));
                c.emails.push(t.email.clone());
                if let Some(p) = &t.person {
                    c.contacts.push(format!(
                        "{} {}.{}., бухгалтер",
                        p.surname,
                        first_char(&p.first),
                        first_char(&p.patronymic)
                    ));
                }
            }
            if let Some(a) = ed.agency
                && chance(rng, r.agency_on_card)
            {
                let t = &world.agencies[a];
                c.work_phones.push(render_phone(rng, r, &t.phone.0, &t.phone.1));
                c.emails.push(t.email.clone());
                if let Some(p) = &t.person
                    && chance(rng, 0.5)
                {
                    c.contacts.push(format!("{} {} (рекламное агентство)", p.first, p.surname));
                }
            }
            if chance(rng, r.address) {
                let place = branch.map(|b| &b.3).unwrap_or(&ed.place);
                c.address = render_address(rng, place);
            }
            if let Some(b) = &ed.brand
                && chance(rng, r.brand_on_card)
            {
                c.brand = b.clone();
            }
            // Drawn only where a profile has the habit, so that the other profiles' bases stay as they were.
            if r.inn_in_name > 0.0 && !c.inn.is_empty() && chance(rng, r.inn_in_name) {
                c.name = if c.kpp.is_empty() {
                    format!("{} ИНН {}", c.name, c.inn)
                } else {
                    format!("{} (ИНН {}, КПП {})", c.name, c.inn, c.kpp)
                };
                c.inn.clear();
                c.kpp.clear();
            }
            if r.contact_inline > 0.0 && !c.contacts.is_empty() && chance(rng, r.contact_inline) {
                let mut inline: Vec<String> = Vec::new();
                inline.extend(c.mobile_phones.pop().or_else(|| c.work_phones.pop()));
                inline.extend(c.emails.pop());
                if !inline.is_empty() {
                    c.contacts[0] = format!("{}, {}", c.contacts[0], inline.join(", "));
                }
            }
            c.manager = if chance(rng, r.pool) {
                String::new()
            } else if single {
                own_manager.clone()
            } else {
                pick(rng, &world.managers).clone()
            };
            c.last_activity =
                if chance(rng, 0.9) { Some(today - Duration::days(rng.random_range(0..730))) } else { None };
            cards.push(c);
        }
    }
    cards
}

fn radix36(mut n: u64) -> String {
    let digits = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut s = Vec::new();
    loop {
        s.push(digits[(n % 36) as usize]);
        n /= 36;
        if n == 0 {
            break;
        }
    }
    s.reverse();
    String::from_utf8(s).unwrap_or_default()
}

fn first_char(s: &str) -> char {
    s.chars().next().unwrap_or('?')
}

fn random_place(rng: &mut ChaCha8Rng, city: usize) -> Place {
    Place {
        city,
        street: rng.random_range(0..STREETS.len()),
        street_type: rng.random_range(0..STREET_TYPES.len()),
        house: rng.random_range(1..150),
        office: chance(rng, 0.6).then(|| rng.random_range(1..400)),
    }
}

fn format_inn(rng: &mut ChaCha8Rng, inn: &str) -> String {
    match rng.random_range(0..20) {
        0 => format!("{} {} {}", &inn[..4], &inn[4..7], &inn[7..]),
        1 => format!(" {inn} "),
        _ => inn.to_string(),
    }
}

fn render_name(rng: &mut ChaCha8Rng, r: &Rates, e: &EntityData) -> String {
    let mut core = e.core.clone();
    if let Some(p) = &e.ip_person
        && chance(rng, 0.4)
    {
        core = format!("{} {}.{}.", p.surname, first_char(&p.first), first_char(&p.patronymic));
    }
    if core.contains('-') && chance(rng, 0.3) {
        core = core.replace('-', if chance(rng, 0.5) { " " } else { "" });
    }
    if core.contains('ё') && chance(rng, 0.5) {
        core = core.replace('ё', "е");
    }
    let latin = e.ip_person.is_none() && chance(rng, r.name_latin);
    if chance(rng, r.name_typo) {
        let words: Vec<&str> = core.split(' ').collect();
        let i = rng.random_range(0..words.len());
        let mut w: Vec<String> = words.iter().map(|s| s.to_string()).collect();
        w[i] = typo(rng, &w[i]);
        core = w.join(" ");
    }
    if latin {
        let scheme = *pick(rng, &[Scheme::Icao, Scheme::GostB, Scheme::Informal]);
        core = core.split(' ').map(|w| translit_word(w, scheme)).collect::<Vec<_>>().join(" ");
    } else if chance(rng, r.name_homoglyph) {
        core = homoglyphs(rng, &core);
    }
    let quoted = match rng.random_range(0..5) {
        0 | 1 => format!("«{core}»"),
        2 => format!("\"{core}\""),
        3 if !latin => format!("„{core}“"),
        _ => core.clone(),
    };
    let form_full = match e.form {
        "ООО" => "Общество с ограниченной ответственностью",
        "АО" => "Акционерное общество",
        "ПАО" => "Публичное акционерное общество",
        "ЗАО" => "Закрытое акционерное общество",
        "ИП" => "Индивидуальный предприниматель",
        "АНО" => "Автономная некоммерческая организация",
        "МУП" => "Муниципальное унитарное предприятие",
        _ => e.form,
    };
    let form_latin = match e.form {
        "ООО" => *pick(rng, &["LLC", "OOO", "Ltd"]),
        "АО" | "ЗАО" | "ОАО" => "JSC",
        "ПАО" => "PJSC",
        _ => e.form,
    };
    let u: f64 = rng.random();
    let mut name = if e.form == "ИП" {
        if u < r.form_missing / 2.0 {
            core
        } else if u < r.form_missing / 2.0 + r.form_full {
            format!("{form_full} {core}")
        } else {
            format!("ИП {core}")
        }
    } else if u < r.form_missing {
        quoted
    } else if latin {
        if chance(rng, 0.5) { format!("{form_latin} {core}") } else { format!("{core} {form_latin}") }
    } else if u < r.form_missing + r.form_full {
        format!("{form_full} {quoted}")
    } else if u < r.form_missing + r.form_full + r.form_end {
        format!("{core}, {}", e.form)
    } else {
        format!("{} {quoted}", e.form)
    };
    if chance(rng, r.name_upper) {
        name = name.to_uppercase();
    }
    name
}

/// A city tag after a name, as managers write them: the city, its common abbreviation or its consonants
/// (`Смр` for Самара), after a dash, in brackets, after `филиал`, `ОП`, `г.`.
fn with_branch_tag(rng: &mut ChaCha8Rng, name: &str, city: &str) -> String {
    let abbr = match city {
        "Москва" => "Мск".to_string(),
        "Санкт-Петербург" => "СПб".to_string(),
        "Екатеринбург" => "Екб".to_string(),
        "Новосибирск" => "Нск".to_string(),
        "Нижний Новгород" => "Н.Новгород".to_string(),
        _ => {
            // The first letter and the next two consonants: Смр, Лпц, Крснд → Крс.
            let mut cs = city.chars();
            let first: String = cs.next().into_iter().collect();
            first + &cs.filter(|c| !"аеёиоуыэюя-".contains(*c)).take(2).collect::<String>()
        }
    };
    match rng.random_range(0..10) {
        0 => format!("{name} - {abbr}"),
        1 => format!("{name} - {abbr}."),
        2 => format!("{name} ({city})"),
        3 => format!("{name} филиал {city}"),
        4 => format!("{name} (г. {city})"),
        5 => format!("{name} г. {city}"),
        6 => format!("{name}, филиал в г. {city}"),
        7 => format!("{name} (ф-л {city})"),
        8 => format!("{name} — {abbr}"),
        _ => format!("{name} ОП {city}"),
    }
}

/// A name written beside the firm's brand, either way round.
fn beside_brand(rng: &mut ChaCha8Rng, name: &str, brand: &str) -> String {
    match rng.random_range(0..8) {
        0 | 1 => format!("{brand} ({name})"),
        2 => format!("{brand} / {name}"),
        3 => format!("{brand} - {name}"),
        4 => format!("{name} ({brand})"),
        5 => format!("{brand} [{name}]"),
        6 => format!("{brand}, {name}"),
        _ => format!("{name} (бренд {brand})"),
    }
}

fn render_phone(rng: &mut ChaCha8Rng, r: &Rates, code: &str, local: &str) -> String {
    if chance(rng, r.phone_excel) {
        return format!("7.{}E+10", &code[..2]);
    }
    let ext = if chance(rng, r.phone_ext) { format!(" доб. {}", rng.random_range(10..999)) } else { String::new() };
    // People outside Moscow and St Petersburg write their city number without the code.
    if code.len() == 3 && !matches!(code, "495" | "499" | "812") && !code.starts_with('9') && chance(rng, r.phone_local)
    {
        return format!("{}-{}-{}{ext}", &local[..3], &local[3..5], &local[5..]);
    }
    let full = format!("{code}{local}");
    let (a, b, c, d) = (&full[..3], &full[3..6], &full[6..8], &full[8..]);
    let s = match rng.random_range(0..8) {
        0 => format!("+7 ({a}) {b}-{c}-{d}"),
        1 => format!("8 ({a}) {b}-{c}-{d}"),
        2 => format!("8{full}"),
        3 => format!("+7{full}"),
        4 => format!("8-{a}-{b}-{c}-{d}"),
        5 => format!("7 {a} {b} {c} {d}"),
        6 => format!("тел. 8 {a} {b}{c}{d}"),
        _ => format!("+7 {a} {b}{c}{d}"),
    };
    format!("{s}{ext}")
}

fn render_site(rng: &mut ChaCha8Rng, d: &str) -> String {
    let host = if d.ends_with(".рф") && chance(rng, 0.3) {
        idna::domain_to_ascii(d).unwrap_or_else(|_| d.to_string())
    } else {
        d.to_string()
    };
    match rng.random_range(0..5) {
        0 => format!("https://www.{host}/"),
        1 => format!("http://{host}"),
        2 => format!("www.{host}"),
        3 => format!("https://{host}/contacts"),
        _ => host,
    }
}

fn render_person(rng: &mut ChaCha8Rng, r: &Rates, p: &Person) -> String {
    let (s, f, o) = (&p.surname, &p.first, &p.patronymic);
    let mut text = match rng.random_range(0..6) {
        0 | 1 => format!("{s} {f} {o}"),
        2 => format!("{s} {}.{}.", first_char(f), first_char(o)),
        3 => format!("{f} {s}"),
        4 => format!("{}.{}. {s}", first_char(f), first_char(o)),
        _ => format!("{} {}. {}.", s.to_uppercase(), first_char(f), first_char(o)),
    };
    if chance(rng, r.contact_position) {
        let pos = pick(rng, POSITIONS);
        text = if chance(rng, 0.7) { format!("{text}, {pos}") } else { format!("{pos} {text}") };
    }
    text
}

fn render_address(rng: &mut ChaCha8Rng, p: &Place) -> String {
    let city = CITIES[p.city].0;
    let street = STREETS[p.street];
    let types = STREET_TYPES[p.street_type];
    let t = types[rng.random_range(0..types.len())].trim();
    let office = p.office;
    let mut s = String::new();
    match rng.random_range(0..5) {
        0 => {
            let _ = write!(s, "г. {city}, {t} {street}, д. {}", p.house);
            if let Some(o) = office {
                let _ = write!(s, ", оф. {o}");
            }
        }
        1 => {
            let _ = write!(s, "{city}, {street} {t}, дом {}", p.house);
            if let Some(o) = office {
                let _ = write!(s, ", офис {o}");
            }
        }
        2 => {
            let _ = write!(s, "{}, г {city}, {t} {street}, д {}", 400_000 + p.house * 7, p.house);
            if let Some(o) = office {
                let _ = write!(s, ", пом. {o}");
            }
        }
        3 => {
            let sep = if t.ends_with('.') { "" } else { " " };
            let _ = write!(s, "г.{city} {t}{sep}{street} д.{}", p.house);
            if let Some(o) = office {
                let _ = write!(s, " оф.{o}");
            }
        }
        _ => {
            let _ = write!(s, "{city}, {street}, {}", p.house);
            if let Some(o) = office {
                let _ = write!(s, "-{o}");
            }
        }
    }
    s
}

// ---- Queries for the managers' check ----------------------------------------------------------------------

/// A question a manager might ask, and the truth about it.
#[derive(Debug, Clone, Default)]
pub struct QueryRow {
    /// Number.
    pub id: u64,
    /// Name asked.
    pub name: String,
    /// ИНН asked.
    pub inn: String,
    /// Phone asked.
    pub phone: String,
    /// Email asked.
    pub email: String,
    /// Site asked.
    pub website: String,
    /// Brand asked.
    pub brand: String,
    /// Contact asked.
    pub contact: String,
    /// Card ids of the firm asked about (empty: a firm that is not in the base).
    pub expected_cards: Vec<u64>,
    /// The firm asked about (truth), for an existing one.
    pub firm: Option<u64>,
    /// What is asked fits another firm of the base just as well: every value given (normalised) is also on a
    /// card of another firm (a name carried by many firms, an agency's email). No tool can tell them apart.
    pub ambiguous: bool,
}

/// Makes `n` queries: half about firms of the base (a noisy, partial description taken from one of their cards:
/// name, name and phone, ИНН, phone, email, name and contact, site), half about firms that are not in the base,
/// many with confusingly similar names (an existing firm's name with another word, or one of the very common
/// names).
pub fn queries(base: &Base, opts: &SynthOptions, n: usize, dict: &Dictionaries) -> Vec<QueryRow> {
    let mut rng = rng_for(opts.seed, 3, 0);
    let mut by_firm: std::collections::BTreeMap<u64, Vec<usize>> = std::collections::BTreeMap::new();
    for (i, c) in base.cards.iter().enumerate() {
        by_firm.entry(c.firm).or_default().push(i);
    }
    let firms: Vec<u64> = by_firm.keys().copied().collect();
    let mut out = Vec::with_capacity(n);
    // Firms that are not in the base, made like the others, with numbers outside the base's ranges.
    let city_weights: Vec<u32> = CITIES.iter().map(|c| c.3).collect();
    let world = World {
        centres: Vec::new(),
        accountants: Vec::new(),
        agencies: Vec::new(),
        managers: vec!["manager01".into()],
        city_weights,
    };
    for k in 0..n {
        let existing = k % 2 == 0 && !firms.is_empty();
        let (card, expected): (SynthCard, Vec<u64>) = if existing {
            let f = firms[rng.random_range(0..firms.len())];
            let cards = &by_firm[&f];
            let c = base.cards[cards[rng.random_range(0..cards.len())]].clone();
            (c, cards.iter().map(|&i| base.cards[i].id).collect())
        } else {
            let plan = plan_firm(&mut rng, &opts.rates, &world);
            let slots: Vec<Vec<u64>> = plan
                .entities
                .iter()
                .map(|e| (0..=e.branches.len() as u64).map(|b| 6_000_000 + k as u64 * 4 + b).collect())
                .collect();
            let mut cards = fill_firm(
                &mut rng,
                &opts.rates,
                &world,
                opts.today,
                9_000_000 + k as u64,
                &plan,
                8_000_000 + k as u64 * 8,
                40_000_000 + k as u64 * 3,
                &slots,
            );
            let mut c = cards.swap_remove(rng.random_range(0..cards.len()));
            // A confusingly similar name: an existing firm's name with another word, or a very common name.
            match rng.random_range(0..10) {
                0..=3 if !base.cards.is_empty() => {
                    let other = &base.cards[rng.random_range(0..base.cards.len())];
                    let word =
                        *pick(&mut rng, &["Плюс", "Сервис", "Групп", "Регион", "Трейд", "Нова", "Экспресс", "Центр"]);
                    c.name = format!("{} {word}", other.name.trim_matches(|ch: char| !ch.is_alphanumeric()));
                }
                4..=5 => c.name = format!("ООО «{}»", pick(&mut rng, COMMON_NAMES)),
                _ => {}
            }
            (c, Vec::new())
        };
        let firm = if existing { Some(card.firm) } else { None };
        let mut q = QueryRow { id: k as u64 + 1, expected_cards: expected, firm, ..QueryRow::default() };
        let phone = card.work_phones.iter().chain(&card.mobile_phones).find(|p| !p.contains('E')).cloned();
        let pattern = rng.random_range(0..100);
        match pattern {
            0..=19 => q.name = card.name.clone(),
            20..=39 => {
                q.name = card.name.clone();
                q.phone = phone.clone().unwrap_or_default();
            }
            40..=54 if !card.inn.trim().is_empty() => q.inn = card.inn.clone(),
            55..=69 if phone.is_some() => q.phone = phone.clone().unwrap_or_default(),
            70..=79 if !card.emails.is_empty() => q.email = card.emails[0].clone(),
            80..=89 if !card.contacts.is_empty() => {
                q.name = card.name.clone();
                q.contact = card.contacts[0].split(',').next().unwrap_or("").to_string();
            }
            90..=99 if !card.website.is_empty() => q.website = card.website.clone(),
            _ => {
                q.name = card.name.clone();
                q.phone = phone.unwrap_or_default();
            }
        }
        // Managers type too: a typo in the name now and then.
        if !q.name.is_empty() && chance(&mut rng, 0.15) {
            let words: Vec<String> = q.name.split(' ').map(str::to_string).collect();
            let i = rng.random_range(0..words.len());
            let mut w = words.clone();
            w[i] = typo(&mut rng, &w[i]);
            q.name = w.join(" ");
        }
        // A client's new mobile, not yet on any card: the name must find the firm.
        if existing && !q.name.is_empty() && chance(&mut rng, 0.12) {
            let n: u32 = rng.random_range(0..100_000_000);
            q.phone =
                format!("+7 9{:02} {:03}-{:02}-{:02}", n / 1_000_000, n / 1000 % 1000, n / 100 % 10 * 10, n % 100);
        }
        out.push(q);
    }
    mark_ambiguous(base, &mut out, dict);
    out
}

/// Normalised keys of what a query gives: (field, key).
fn query_keys(q: &QueryRow, dict: &Dictionaries) -> Vec<(u8, String)> {
    use crate::normalize as n;
    let mut keys = Vec::new();
    let mut add = |field: u8, key: Option<String>| keys.push((field, key.unwrap_or_default()));
    if !q.name.trim().is_empty() {
        add(0, Some(n::normalize_name(&q.name, dict).compact()));
    }
    if !q.inn.trim().is_empty() {
        add(1, n::normalize_ids(&q.inn, "", "").inn().map(str::to_string));
    }
    if !q.phone.trim().is_empty() {
        add(2, n::parse_phones(std::slice::from_ref(&q.phone), None).0.first().map(|p| p.number.to_string()));
    }
    if !q.email.trim().is_empty() {
        add(3, n::parse_email(&q.email, dict).map(|e| e.address.to_string()));
    }
    if !q.website.trim().is_empty() {
        add(4, n::normalize_website(&q.website, dict));
    }
    if !q.brand.trim().is_empty() {
        add(5, Some(n::normalize_name(&q.brand, dict).compact()));
    }
    if !q.contact.trim().is_empty() {
        add(6, n::parse_person(&q.contact, dict).map(|p| p.key()));
    }
    keys
}

/// The same keys on a card, for the fields in `wanted`.
fn card_keys(c: &SynthCard, wanted: &[bool; 7], dict: &Dictionaries) -> Vec<(u8, String)> {
    use crate::normalize as n;
    let mut keys = Vec::new();
    if wanted[0] {
        keys.push((0, n::normalize_name(&c.name, dict).compact()));
    }
    if wanted[1]
        && let Some(inn) = n::normalize_ids(&c.inn, "", "").inn().map(str::to_string)
    {
        keys.push((1, inn.to_string()));
    }
    if wanted[2] {
        let phones: Vec<String> = c.work_phones.iter().chain(&c.mobile_phones).cloned().collect();
        keys.extend(n::parse_phones(&phones, None).0.into_iter().map(|p| (2, p.number.to_string())));
    }
    if wanted[3] {
        keys.extend(c.emails.iter().filter_map(|e| n::parse_email(e, dict)).map(|e| (3, e.address.to_string())));
    }
    if wanted[4]
        && let Some(w) = n::normalize_website(&c.website, dict)
    {
        keys.push((4, w));
    }
    if wanted[5] && !c.brand.trim().is_empty() {
        keys.push((5, n::normalize_name(&c.brand, dict).compact()));
    }
    if wanted[6] {
        keys.extend(c.contacts.iter().filter_map(|p| n::parse_person(p, dict)).map(|p| (6, p.key())));
    }
    keys
}

/// Marks the queries about existing firms whose every given value (normalised as firmdedup does) fits another firm
/// of the base as well as the right one. Values on no card of the base are left out: a name shared by several firms
/// plus a phone the base does not hold fits those firms equally. A name fits a firm by spelling: the same
/// normalised name, or one edit apart (one letter left out, added, changed or two swapped); another firm fits as
/// well when its closest name is no farther than the right firm's — a misspelt «Сальстрой» fits every firm named
/// «Стальстрой» alike.
fn mark_ambiguous(base: &Base, queries: &mut [QueryRow], dict: &Dictionaries) {
    let asked: Vec<Vec<(u8, String)>> = queries.iter().map(|q| query_keys(q, dict)).collect();
    let mut wanted_fields = [false; 7];
    let mut wanted: rustc_hash::FxHashSet<(u8, String)> = rustc_hash::FxHashSet::default();
    // The asked names' spellings one letter shorter (and the names themselves): two names one edit apart share one.
    let mut by_variant: rustc_hash::FxHashMap<String, Vec<u32>> = rustc_hash::FxHashMap::default();
    for (i, (q, keys)) in queries.iter().zip(&asked).enumerate() {
        if q.firm.is_none() {
            continue;
        }
        for k in keys.iter().filter(|k| !k.1.is_empty()) {
            if k.0 == 0 {
                for v in one_letter_less(&k.1) {
                    let qs = by_variant.entry(v).or_default();
                    if qs.last() != Some(&(i as u32)) {
                        qs.push(i as u32);
                    }
                }
            } else {
                wanted_fields[k.0 as usize] = true;
                wanted.insert(k.clone());
            }
        }
    }
    // Firms carrying each wanted key.
    let found: Vec<((u8, String), u64)> = base
        .cards
        .par_iter()
        .flat_map_iter(|c| {
            card_keys(c, &wanted_fields, dict).into_iter().filter(|k| wanted.contains(k)).map(move |k| (k, c.firm))
        })
        .collect();
    let mut firms_of: rustc_hash::FxHashMap<(u8, String), Vec<u64>> = rustc_hash::FxHashMap::default();
    for (k, f) in found {
        let v = firms_of.entry(k).or_default();
        if !v.contains(&f) {
            v.push(f);
        }
    }
    // How close each firm's names come to each asked name: 0 the same, 1 one edit apart.
    let asked_name = |i: usize| asked[i].iter().find(|k| k.0 == 0).map(|k| k.1.as_str()).unwrap_or("");
    let name_hits: Vec<(u32, u64, u8)> = if by_variant.is_empty() {
        Vec::new()
    } else {
        base.cards
            .par_iter()
            .flat_map_iter(|c| {
                let name = crate::normalize::normalize_name(&c.name, dict).compact();
                let mut hits: Vec<(u32, u64, u8)> = Vec::new();
                if !name.is_empty() {
                    for v in one_letter_less(&name) {
                        for &i in by_variant.get(&v).map(Vec::as_slice).unwrap_or_default() {
                            hits.push((i, c.firm, u8::from(asked_name(i as usize) != name)));
                        }
                    }
                }
                hits
            })
            .collect()
    };
    let mut name_fit: Vec<rustc_hash::FxHashMap<u64, u8>> = vec![rustc_hash::FxHashMap::default(); queries.len()];
    for (i, f, d) in name_hits {
        let e = name_fit[i as usize].entry(f).or_insert(d);
        *e = (*e).min(d);
    }
    for ((q, keys), fit) in queries.iter_mut().zip(&asked).zip(&name_fit) {
        let Some(firm) = q.firm else { continue };
        // Another firm that carries every value given.
        let mut others: Option<Vec<u64>> = None;
        for k in keys {
            let carriers: Vec<u64> = if k.0 == 0 {
                if fit.is_empty() {
                    continue;
                }
                let right = fit.get(&firm).copied().unwrap_or(u8::MAX);
                let mut c: Vec<u64> = fit.iter().filter(|&(&f, &d)| f != firm && d <= right).map(|(&f, _)| f).collect();
                c.sort_unstable();
                c
            } else {
                // A value no card of the base carries tells the firms apart no more than leaving it out would.
                let Some(all) = firms_of.get(k) else { continue };
                all.iter().copied().filter(|&f| f != firm).collect()
            };
            others = Some(match others {
                None => carriers,
                Some(prev) => prev.into_iter().filter(|f| carriers.contains(f)).collect(),
            });
        }
        q.ambiguous = others.is_some_and(|o| !o.is_empty());
    }
}

/// A word and every spelling of it one letter shorter (the deletion neighbourhood of distance one): two words at
/// most one edit apart — a letter left out, added, changed, or two neighbours swapped — share one of them.
fn one_letter_less(word: &str) -> Vec<String> {
    let mut out = vec![word.to_string()];
    for (at, ch) in word.char_indices() {
        let mut v = String::with_capacity(word.len());
        v.push_str(&word[..at]);
        v.push_str(&word[at + ch.len_utf8()..]);
        if !out.contains(&v) {
            out.push(v);
        }
    }
    out
}

/// Writes queries.csv.
pub fn write_queries(queries: &[QueryRow], dir: &Path) -> std::io::Result<()> {
    let mut w = csv_writer(&dir.join("queries.csv"))?;
    w.write_record([
        "query_id",
        "name",
        "inn",
        "phone",
        "email",
        "website",
        "brand",
        "contact",
        "expected_cards",
        "ambiguous",
    ])
    .map_err(io)?;
    for q in queries {
        let exp = q.expected_cards.iter().map(|c| c.to_string()).collect::<Vec<_>>().join(";");
        w.write_record([
            q.id.to_string().as_str(),
            &q.name,
            &q.inn,
            &q.phone,
            &q.email,
            &q.website,
            &q.brand,
            &q.contact,
            &exp,
            if q.ambiguous { "1" } else { "0" },
        ])
        .map_err(io)?;
    }
    w.flush()
}

// ---- Writing -------------------------------------------------------------------------------------------------

/// Which files to write.
#[derive(Debug, Clone, Copy)]
pub struct Formats {
    /// crm.csv: UTF-8, comma, canonical headers, ISO dates.
    pub canonical: bool,
    /// crm_bitrix_1251.csv: windows-1251, `;`, Bitrix24 headers, dd.mm.yyyy dates.
    pub bitrix: bool,
}

fn csv_writer(path: &Path) -> std::io::Result<csv::Writer<std::io::BufWriter<std::fs::File>>> {
    let f = std::fs::File::create(path)?;
    Ok(csv::WriterBuilder::new().from_writer(std::io::BufWriter::with_capacity(1 << 20, f)))
}

fn io(e: csv::Error) -> std::io::Error {
    std::io::Error::other(e.to_string())
}

/// Writes the base: crm.csv and/or crm_bitrix_1251.csv, and truth.csv.
pub fn write(base: &Base, dir: &Path, formats: Formats) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    if formats.canonical {
        let mut w = csv_writer(&dir.join("crm.csv"))?;
        w.write_record([
            "id",
            "name",
            "inn",
            "kpp",
            "ogrn",
            "brand",
            "address",
            "phones",
            "emails",
            "website",
            "contacts",
            "manager",
            "last_activity",
        ])
        .map_err(io)?;
        for c in &base.cards {
            let phones: Vec<&str> = c.work_phones.iter().chain(&c.mobile_phones).map(String::as_str).collect();
            w.write_record([
                c.id.to_string().as_str(),
                &c.name,
                &c.inn,
                &c.kpp,
                &c.ogrn,
                &c.brand,
                &c.address,
                &phones.join("; "),
                &c.emails.join(", "),
                &c.website,
                &c.contacts.join("\n"),
                &c.manager,
                &c.last_activity.map(|d| d.to_string()).unwrap_or_default(),
            ])
            .map_err(io)?;
        }
        w.flush()?;
    }
    if formats.bitrix {
        // Built as UTF-8 in memory chunk by chunk, then encoded to windows-1251.
        let f = std::fs::File::create(dir.join("crm_bitrix_1251.csv"))?;
        let mut out = std::io::BufWriter::with_capacity(1 << 20, f);
        let header = "ID;Название компании;ИНН;КПП;ОГРН;Торговая марка;Фактический адрес;Рабочий телефон;Мобильный телефон;Рабочий e-mail;Сайт;Контакты;Ответственный;Дата последней активности\r\n";
        out.write_all(&encoding_rs::WINDOWS_1251.encode(header).0)?;
        for chunk in base.cards.chunks(10_000) {
            let mut w =
                csv::WriterBuilder::new().delimiter(b';').terminator(csv::Terminator::CRLF).from_writer(Vec::new());
            for c in chunk {
                w.write_record([
                    c.id.to_string().as_str(),
                    &c.name,
                    &c.inn,
                    &c.kpp,
                    &c.ogrn,
                    &c.brand,
                    &c.address,
                    &c.work_phones.join(", "),
                    &c.mobile_phones.join(", "),
                    &c.emails.join("; "),
                    &c.website,
                    &c.contacts.join("; "),
                    &c.manager,
                    &c.last_activity.map(|d| d.format("%d.%m.%Y").to_string()).unwrap_or_default(),
                ])
                .map_err(io)?;
            }
            let bytes = w.into_inner().map_err(|e| std::io::Error::other(e.to_string()))?;
            let text = String::from_utf8(bytes).map_err(std::io::Error::other)?;
            out.write_all(&encoding_rs::WINDOWS_1251.encode(&text).0)?;
        }
        out.flush()?;
    }
    let mut w = csv_writer(&dir.join("truth.csv"))?;
    w.write_record(["id", "entity_id", "firm_id"]).map_err(io)?;
    for c in &base.cards {
        w.write_record([c.id.to_string(), format!("E{}", c.entity), format!("F{}", c.firm)]).map_err(io)?;
    }
    w.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profiles_differ_and_random_follows_the_seed() {
        let d = serde_json::to_string(&Rates::default()).unwrap();
        assert_eq!(serde_json::to_string(&Rates::profile("default", 1).unwrap()).unwrap(), d);
        for p in PROFILES.iter().skip(1).chain(&["random"]) {
            let r = serde_json::to_string(&Rates::profile(p, 1).unwrap()).unwrap();
            assert_ne!(r, d, "profile {p} changes some rate");
        }
        let r1 = serde_json::to_string(&Rates::profile("random", 1).unwrap()).unwrap();
        let r1b = serde_json::to_string(&Rates::profile("random", 1).unwrap()).unwrap();
        let r2 = serde_json::to_string(&Rates::profile("random", 2).unwrap()).unwrap();
        assert_eq!(r1, r1b);
        assert_ne!(r1, r2);
        assert!(Rates::profile("nope", 1).is_none());
        assert_eq!(Rates::profile("sparse", 1).unwrap().inn_present, 0.3);
    }
    use crate::normalize::ids::{inn10_valid, inn12_valid, ogrn13_valid, ogrnip15_valid};

    fn opts(cards: usize, seed: u64) -> SynthOptions {
        SynthOptions { cards, seed, today: NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(), rates: Rates::default() }
    }

    #[test]
    fn identifiers_are_valid_and_numbers_unique() {
        assert!(inn10_valid(&inn10("77", 123)));
        assert!(inn12_valid(&inn12("02", 123_456)));
        assert!(ogrn13_valid(&ogrn13("77", 42, 2015)));
        assert!(ogrnip15_valid(&ogrnip15("63", 42, 2015)));
        let mut seen = std::collections::HashSet::new();
        for s in 0..100_000 {
            assert!(seen.insert(local_number("495", s)));
        }
    }

    #[test]
    fn exact_card_count_and_deterministic() {
        let a = generate(&opts(3000, 7));
        let b = generate(&opts(3000, 7));
        assert_eq!(a.cards.len(), 3000);
        assert!(a.firms > 500 && a.entities >= a.firms);
        let key = |b: &Base| b.cards.iter().map(|c| (c.id, c.name.clone(), c.entity)).collect::<Vec<_>>();
        assert_eq!(key(&a), key(&b));
        let c = generate(&opts(3000, 8));
        assert_ne!(key(&a), key(&c));
    }

    #[test]
    fn words_one_edit_apart_share_a_spelling_one_letter_shorter() {
        let share = |a: &str, b: &str| one_letter_less(a).iter().any(|v| one_letter_less(b).contains(v));
        assert!(share("телекомком", "телекмоком")); // two letters swapped
        assert!(share("стальстрой", "сальстрой")); // one left out
        assert!(share("вектор", "вуктор")); // one changed
        assert!(!share("вектор", "вкетро"));
        assert_eq!(one_letter_less("аа"), ["аа", "а"]);
    }

    #[test]
    fn a_query_is_ambiguous_only_when_another_firm_carries_everything_asked() {
        let card = |id: u64, firm: u64, name: &str, phone: &str| SynthCard {
            id,
            entity: firm,
            firm,
            name: name.into(),
            work_phones: vec![phone.into()],
            ..SynthCard::default()
        };
        let base = Base {
            cards: vec![
                card(1, 10, "ООО «Химвест»", "+7 495 111-22-33"),
                card(2, 11, "Химвест", "+7 495 444-55-66"),
                card(3, 12, "ООО «Редкоимя»", "+7 495 777-88-99"),
            ],
            firms: 3,
            entities: 3,
        };
        let q = |name: &str, phone: &str, firm: u64| QueryRow {
            name: name.into(),
            phone: phone.into(),
            firm: Some(firm),
            expected_cards: vec![1],
            ..QueryRow::default()
        };
        let mut qs = vec![
            q("АО Химвест", "", 10),
            q("Химвест", "8 (495) 111-22-33", 10),
            q("Редкоимя", "", 12),
            q("Химвест с опечаткой", "", 10),
            q("Химвест", "+7 495 000-00-00", 10),
            q("Хмвест", "", 10),
            q("Редкоим", "", 12),
            QueryRow { name: "Химвест".into(), ..QueryRow::default() },
        ];
        mark_ambiguous(&base, &mut qs, Dictionaries::embedded());
        let flags: Vec<bool> = qs.iter().map(|q| q.ambiguous).collect();
        // The name alone fits firm 11 too; with the phone only firm 10; a rare or unknown name fits nobody else; a
        // phone no card carries leaves the shared name as ambiguous as alone; a misspelt shared name fits both
        // firms one edit away, a misspelt rare one only its own; a question about a new firm is never marked.
        assert_eq!(flags, [true, false, false, false, true, true, false, false]);
    }
}
