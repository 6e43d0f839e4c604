//! In-process benchmarks of `monitoring_stack::process` (PERFORMANCE.md): the seed example,
//! and ResourceLists of 1,000 / 10,000 objects of the mix (benches/support) passed through
//! while the minimal stack is expanded next to them. `cargo bench --bench process`.

mod support;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::hint::black_box;

fn seed(c: &mut Criterion) {
    let input = support::seed_list();
    assert!(!monitoring_stack::process(input.as_bytes()).failed);
    c.bench_function("process/seed", |b| {
        b.iter(|| monitoring_stack::process(black_box(input.as_bytes())))
    });
}

fn pass_through(c: &mut Criterion) {
    let mut group = c.benchmark_group("process/pass-through");
    group.sample_size(20);
    for n in [1_000, 10_000] {
        let input = support::resource_list(n);
        assert!(!monitoring_stack::process(input.as_bytes()).failed);
        group.throughput(Throughput::Bytes(input.len() as u64));
        group.bench_function(format!("{n} objects"), |b| {
            b.iter(|| monitoring_stack::process(black_box(input.as_bytes())))
        });
    }
    group.finish();
}

criterion_group!(benches, seed, pass_through);
criterion_main!(benches);
