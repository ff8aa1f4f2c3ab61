//! Normalisers: throughput on cards of the synthetic base, and per value kind.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use firmdedup::Dictionaries;
use firmdedup::card::Card;
use firmdedup::normalize::{self, normalize_card};
use firmdedup::synth::{Rates, SynthOptions, generate};

fn sample_cards(n: usize) -> Vec<Card> {
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 1).unwrap();
    let base = generate(&SynthOptions { cards: n, seed: 42, today, rates: Rates::default() });
    base.cards.iter().map(|c| c.to_card()).collect()
}

fn bench(c: &mut Criterion) {
    let d = Dictionaries::embedded();
    let cards = sample_cards(5_000);
    let mut g = c.benchmark_group("normalize");
    g.throughput(Throughput::Elements(cards.len() as u64));
    g.bench_function(BenchmarkId::new("card", cards.len()), |b| {
        b.iter(|| cards.iter().map(|c| normalize_card(c, d)).filter(|n| n.ids.inn().is_some()).count())
    });
    g.bench_function("name", |b| {
        b.iter(|| cards.iter().map(|c| normalize::normalize_name(&c.name, d).tokens.len()).sum::<usize>())
    });
    g.bench_function("phones", |b| {
        b.iter(|| cards.iter().map(|c| normalize::parse_phones(&c.phones, None).0.len()).sum::<usize>())
    });
    g.bench_function("emails", |b| {
        b.iter(|| cards.iter().flat_map(|c| c.emails.iter()).filter_map(|e| normalize::parse_email(e, d)).count())
    });
    g.bench_function("address", |b| {
        b.iter(|| cards.iter().flat_map(|c| c.address.iter()).filter_map(|a| normalize::parse_address(a, d)).count())
    });
    g.bench_function("contacts", |b| {
        b.iter(|| cards.iter().flat_map(|c| c.contacts.iter()).filter_map(|p| normalize::parse_person(p, d)).count())
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10).measurement_time(std::time::Duration::from_secs(3));
    targets = bench
}
criterion_main!(benches);
