//! Matching: blocking (nodes, postings, candidate pairs), pairwise scoring, and the whole grouping, on a
//! normalised synthetic base. The end-to-end figures at 10k / 100k / 1M cards are in BENCHMARKS.md
//! (`benches/e2e.sh`); these isolate the stages for profiling a change.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use firmdedup::Dictionaries;
use firmdedup::config::Config;
use firmdedup::matching::block::prepare;
use firmdedup::matching::firm::group;
use firmdedup::matching::score::{Level, score};
use firmdedup::normalize::{NormCard, normalize_card};
use firmdedup::synth::{Rates, SynthOptions, generate};

fn normalised(n: usize) -> Vec<NormCard> {
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 1).unwrap();
    let base = generate(&SynthOptions { cards: n, seed: 7, today, rates: Rates::default() });
    let d = Dictionaries::embedded();
    base.cards.iter().map(|c| c.to_card()).map(|c| normalize_card(&c, d)).collect()
}

fn bench(c: &mut Criterion) {
    let cfg = Config::default();
    let n = 20_000;
    let norm = normalised(n);
    let mut g = c.benchmark_group("matching");
    g.throughput(Throughput::Elements(n as u64));
    g.bench_function(BenchmarkId::new("block", n), |b| b.iter(|| prepare(&norm, &cfg).pairs.len()));

    let p = prepare(&norm, &cfg);
    g.throughput(Throughput::Elements(p.pairs.len() as u64));
    g.bench_function(BenchmarkId::new("score_pairs", p.pairs.len()), |b| {
        b.iter(|| {
            p.pairs
                .iter()
                .filter(|&&(a, b)| {
                    score(&p, &cfg, &p.nodes[a as usize], &p.nodes[b as usize], Level::Entity).score > 0.0
                })
                .count()
        })
    });

    g.throughput(Throughput::Elements(n as u64));
    g.bench_function(BenchmarkId::new("group", n), |b| b.iter(|| group(&norm, &cfg, &[]).entity_of_card.len()));
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10).measurement_time(std::time::Duration::from_secs(5));
    targets = bench
}
criterion_main!(benches);
