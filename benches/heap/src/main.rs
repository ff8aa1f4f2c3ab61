//! Where the batch's memory goes: live heap bytes, allocations and RSS after each stage of `dedup` (read,
//! normalise, match, release), and the heap of each part of the normalised cards.
//!
//! A counting allocator around mimalloc (the binary's allocator); with `--features system` around the system
//! allocator instead, so that `valgrind --tool=massif` sees every allocation and its call stack:
//!
//! ```text
//! cd benches/heap && cargo build --release
//! target/release/heapx /path/to/crm.csv
//! cargo build --release --features system
//! valgrind --tool=massif --depth=40 --massif-out-file=massif.out target/release/heapx crm.csv   # 100k cards: ~30 s
//! ```
//!
//! `heapx --run dedup crm.csv --out DIR` runs the real command instead (any `firmdedup` command line after
//! `--run`) and prints, every 100 ms, the most live heap bytes seen in that window; with `FIRMDEDUP_TRACE=1` the
//! stage laps come on the same stream, so each stage's live peak can be read off beside them.
//!
//! A separate crate because firmdedup itself forbids `unsafe` (a global allocator is an unsafe trait).
use std::alloc::{GlobalAlloc, Layout};
use std::sync::atomic::{AtomicIsize, AtomicUsize, Ordering::Relaxed};

struct Counting;
static LIVE: AtomicIsize = AtomicIsize::new(0);
static COUNT: AtomicIsize = AtomicIsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        let n = LIVE.fetch_add(l.size() as isize, Relaxed) + l.size() as isize;
        COUNT.fetch_add(1, Relaxed);
        PEAK.fetch_max(n as usize, Relaxed);
        unsafe { Inner.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        LIVE.fetch_sub(l.size() as isize, Relaxed);
        COUNT.fetch_sub(1, Relaxed);
        unsafe { Inner.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        let v = LIVE.fetch_add(n as isize - l.size() as isize, Relaxed) + n as isize - l.size() as isize;
        PEAK.fetch_max(v as usize, Relaxed);
        unsafe { Inner.realloc(p, l, n) }
    }
}
#[cfg(not(feature = "system"))]
use mimalloc::MiMalloc as Inner;
#[cfg(feature = "system")]
use std::alloc::System as Inner;

#[global_allocator]
static G: Counting = Counting;

fn rss() -> u64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap();
    s.lines().find(|l| l.starts_with("VmRSS")).unwrap().split_whitespace().nth(1).unwrap().parse::<u64>().unwrap()
        / 1024
}
fn show(what: &str) {
    eprintln!(
        "{what:<28} live {:>6} MB  allocations {:>9}  peak {:>6} MB  rss {:>6} MB",
        LIVE.load(Relaxed) >> 20,
        COUNT.load(Relaxed),
        PEAK.load(Relaxed) >> 20,
        rss()
    );
}

/// Runs a firmdedup command line, printing the live heap's window peaks as it goes.
fn run(args: Vec<String>) {
    use clap::Parser;
    let cli = firmdedup::cli::Cli::parse_from(std::iter::once("firmdedup".to_string()).chain(args));
    static WINDOW: AtomicUsize = AtomicUsize::new(0);
    let t0 = std::time::Instant::now();
    std::thread::spawn(move || {
        loop {
            for _ in 0..10 {
                WINDOW.fetch_max(LIVE.load(Relaxed).max(0) as usize, Relaxed);
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            let w = WINDOW.swap(0, Relaxed);
            eprintln!("{:7.2}s live max {:>6} MB  rss {:>6} MB", t0.elapsed().as_secs_f64(), w >> 20, rss());
        }
    });
    let r = firmdedup::cmd::run(cli);
    eprintln!("done: {:?}; peak live {} MB", r.map(|_| ()), PEAK.load(Relaxed) >> 20);
}

fn main() {
    use firmdedup::*;
    let argv: Vec<String> = std::env::args().skip(1).collect();
    if argv.first().map(String::as_str) == Some("--run") {
        return run(argv[1..].to_vec());
    }
    let path = std::path::PathBuf::from(&argv[0]);
    let dict = Dictionaries::embedded();
    let opts = firmdedup::ingest::IngestOptions::default();
    let cfg = firmdedup::config::Config::default();
    {
        use firmdedup::normalize::*;
        eprintln!(
            "sizes: NormCard {} NormName {} Ids {} Address {} Phone {} Email {} Person {} NameToken {} Invalid {}",
            std::mem::size_of::<NormCard>(),
            std::mem::size_of::<name::NormName>(),
            std::mem::size_of::<ids::Ids>(),
            std::mem::size_of::<address::Address>(),
            std::mem::size_of::<phone::Phone>(),
            std::mem::size_of::<email::Email>(),
            std::mem::size_of::<person::Person>(),
            std::mem::size_of::<name::NameToken>(),
            std::mem::size_of::<Invalid>()
        );
        eprintln!(
            "sizes: LinkRecord {} EvidencePart {} Evidence {}",
            std::mem::size_of::<firmdedup::matching::evidence::LinkRecord>(),
            std::mem::size_of::<firmdedup::matching::evidence::EvidencePart>(),
            std::mem::size_of::<firmdedup::matching::evidence::Evidence>(),
        );
    }
    show("start");
    let (_ing, cards) = pipeline::read_ordered(&path, &opts, dict).unwrap();
    show("read");
    let (texts, norm) = pipeline::normalize_all(cards, dict, progress::Progress::new(true));
    show("normalize");
    breakdown(&norm);
    drop(texts);
    show("  without texts");
    let mut g = matching::firm::group(&norm, &cfg, &[]);
    show("group");
    {
        let p = &g.prepared;
        let node_heap: usize = p
            .nodes
            .iter()
            .map(|n| {
                (if n.cards.spilled() { n.cards.capacity() * 4 } else { 0 })
                    + n.inn.as_ref().map_or(0, |x| x.len())
                    + n.keys.len() * 16
                    + n.names.iter().map(|v| 48 + v.compact.len() + v.person.as_ref().map_or(0, |_| 64)).sum::<usize>()
                    + n.brands.len() * std::mem::size_of::<matching::block::NameVar>()
                    + n.persons.len() * std::mem::size_of::<matching::block::PersonLite>()
            })
            .sum();
        let mb = |x: usize| x >> 20;
        eprintln!(
            "  prepared: nodes {} x {} B + heap {} MB; pairs {} MB; card_keys {} MB; postings {} MB; tokens {}+{} ids; unique/grouped/mail pairs {} MB; links {} x {} B",
            p.nodes.len(),
            std::mem::size_of::<matching::block::Node>(),
            mb(node_heap),
            mb(p.pairs.capacity() * 8),
            mb(p.card_keys.capacity() * 8 + p.card_key_start.capacity() * 4),
            mb(p.weighted_postings.capacity() * 16),
            p.tokens.len(),
            p.token_text.len(),
            mb((p.unique_name_pairs.capacity() + p.grouped_name_pairs.capacity()) * 8 + p.mail_pairs.capacity() * 64),
            g.links.len(),
            std::mem::size_of::<matching::evidence::LinkRecord>(),
        );
    }
    g.prepared.release_matching_data();
    show("  released");
    let (entities, firms) = groups::summarize(&norm, &g.entity_of_card, g.n_entities, &g.firm_of_entity, g.n_firms);
    show("  summaries");
    let mut cards_of_firm: Vec<Vec<u32>> = vec![Vec::new(); g.n_firms];
    for (i, &e) in g.entity_of_card.iter().enumerate() {
        cards_of_firm[g.firm_of_entity[e as usize] as usize].push(i as u32);
    }
    let today = chrono_today();
    let own = ownership::compute(&norm, &cards_of_firm, &cfg.ownership, today);
    drop(cards_of_firm);
    show("  ownership");
    let plan = ownership::plan(&norm, &g.firms_of_cards(), &own, &cfg.ownership, today);
    show("  plan");
    let ids = (report::dedup::batch_ids('E', g.n_entities), report::dedup::batch_ids('F', g.n_firms));
    show("  batch ids");
    drop((entities, firms, own, plan, ids));
    show("  without summaries");
    let links = std::mem::take(&mut g.links);
    drop(links);
    show("  without links");
    drop(g);
    show("  without grouping");
    drop(norm);
    show("without norm");
}

/// A fixed day, as the reports' figures depend on it.
fn chrono_today() -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(2026, 11, 1).unwrap()
}

trait Heap {
    fn heap(&self) -> usize;
}
impl Heap for String {
    fn heap(&self) -> usize {
        if self.capacity() == 0 { 0 } else { (self.capacity() + 15) / 16 * 16 }
    }
}
impl Heap for Box<str> {
    fn heap(&self) -> usize {
        if self.is_empty() { 0 } else { self.len().div_ceil(16) * 16 }
    }
}
impl Heap for compact_str::CompactString {
    fn heap(&self) -> usize {
        if !self.is_heap_allocated() { 0 } else { (self.capacity() + 15) / 16 * 16 }
    }
}
fn hs<T: Heap>(s: &T) -> usize {
    s.heap()
}
fn ho<T: Heap>(s: &Option<T>) -> usize {
    s.as_ref().map_or(0, |x| x.heap())
}
fn hv<T>(v: &Vec<T>) -> usize {
    if v.capacity() == 0 { 0 } else { (v.capacity() * std::mem::size_of::<T>() + 15) / 16 * 16 }
}
/// A boxed slice's heap (its length is its capacity).
fn hb<T>(v: &[T]) -> usize {
    if v.is_empty() { 0 } else { (std::mem::size_of_val(v) + 15) / 16 * 16 }
}
fn name_heap(n: &firmdedup::normalize::name::NormName) -> (usize, usize, usize) {
    let toks = hb(&n.tokens) + n.tokens.iter().map(|t| t.heap_bytes()).sum::<usize>();
    let person = n.person.as_ref().map_or(0, |p| {
        std::mem::size_of::<firmdedup::normalize::person::Person>() + hs(&p.surname) + ho(&p.first) + ho(&p.position)
    });
    (toks, hs(&n.display_core) + ho(&n.legal_form) + ho(&n.branch) + ho(&n.bracket_brand), person)
}
fn breakdown(norm: &[firmdedup::normalize::NormCard]) {
    let mut f = std::collections::BTreeMap::<&str, usize>::new();
    let mut add = |k, v| *f.entry(k).or_insert(0) += v;
    for n in norm {
        let (t, o, p) = name_heap(&n.name);
        add("name.tokens", t);
        add("name.other", o);
        add("name.person", p);
        if let Some(b) = &n.brand {
            let (t, o, p) = name_heap(b);
            add("brand", t + o + p + std::mem::size_of::<firmdedup::normalize::name::NormName>());
        }
        let i = &n.ids;
        add(
            "ids",
            // The ИНН, КПП and ОГРН sit in the card's own buffer: only the rare part is on the heap.
            i.rare.as_ref().map_or(0, |r| {
                std::mem::size_of::<firmdedup::normalize::ids::RareIds>()
                    + ho(&r.inn_invalid)
                    + hv(&r.inn_other)
                    + ho(&r.kpp_invalid)
                    + ho(&r.ogrn_invalid)
                    + hv(&r.notes)
            }),
        );
        add(
            "addresses",
            hb(&n.addresses)
                + n.addresses
                    .iter()
                    .map(|a| {
                        // The packed parts: one allocation of their total length.
                        [a.postcode(), a.city(), a.street(), a.street_type(), a.house(), a.building(), a.office()]
                            .iter()
                            .map(|x| x.map_or(0, str::len))
                            .sum::<usize>()
                    })
                    .sum::<usize>(),
        );
        add("phones", hb(&n.phones) + n.phones.iter().map(|x| hs(&x.number) + ho(&x.ext)).sum::<usize>());
        add("emails", hb(&n.emails) + n.emails.iter().map(|x| hs(&x.address)).sum::<usize>());
        add("website", ho(&n.website));
        add(
            "contacts",
            hb(&n.contacts) + n.contacts.iter().map(|p| hs(&p.surname) + ho(&p.first) + ho(&p.position)).sum::<usize>(),
        );
        add("manager", ho(&n.manager));
        add("invalid", n.invalid.as_ref().map_or(0, |_| 100));
        add("n.addresses", n.addresses.len());
        add("n.phones", n.phones.len());
        add("n.emails", n.emails.len());
        add("n.contacts", n.contacts.len());
        add("n.tokens", n.name.tokens.len());
    }
    eprintln!(
        "NormCard inline {} bytes x {} = {} MB",
        std::mem::size_of::<firmdedup::normalize::NormCard>(),
        norm.len(),
        std::mem::size_of::<firmdedup::normalize::NormCard>() * norm.len() >> 20
    );
    for (k, v) in f {
        eprintln!("  {k:<14} {:>6} MB  {:>8.3} B/card", v >> 20, v as f64 / norm.len() as f64);
    }
}
