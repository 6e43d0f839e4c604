//! Memory on every path, errors and JSON included (issue 16, class 4b): a run may hold at most
//! 3x its input plus 50 MB at its peak. The input itself is one of the three, so what `process`
//! allocates beyond what it had may reach 2x the input plus 50 MB. Counted by a global
//! allocator that records the peak of live bytes: deterministic, no timing involved.
//!
//! The inputs are `bench/run.sh`'s (benches/support): an alias-heavy item past the node budget
//! (the error must come before the document's events are held), 3.9 million flow scalars in one
//! unowned item, 100,000 objects as a JSON ResourceList, a 10 MB list behind a `%YAML` directive
//! and with CR LF line breaks, a 10 MB list whose last item has a duplicate key, and a 10 MB
//! list followed by a second document.

#[path = "../benches/support/mod.rs"]
mod support;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is passed on to the system allocator unchanged; only counters are kept.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let pointer = unsafe { System.alloc(layout) };
        if !pointer.is_null() {
            let live = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(live, Ordering::Relaxed);
        }
        pointer
    }

    unsafe fn dealloc(&self, pointer: *mut u8, layout: Layout) {
        unsafe { System.dealloc(pointer, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, pointer: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let moved = unsafe { System.realloc(pointer, layout, new_size) };
        if !moved.is_null() {
            if new_size >= layout.size() {
                let grown = new_size - layout.size();
                let live = LIVE.fetch_add(grown, Ordering::Relaxed) + grown;
                PEAK.fetch_max(live, Ordering::Relaxed);
            } else {
                LIVE.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
            }
        }
        moved
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const MB: usize = 1 << 20;

/// Bytes `process` allocated beyond what was live when it started, at its peak, and whether
/// the run failed.
fn peak_of_process(input: &[u8]) -> (usize, bool, String) {
    let before = LIVE.load(Ordering::Relaxed);
    PEAK.store(before, Ordering::Relaxed);
    let output = monitoring_stack::process(input);
    let peak = PEAK.load(Ordering::Relaxed) - before;
    (peak, output.failed, output.stderr)
}

/// One test, so that no other test allocates while a peak is measured.
#[test]
fn peak_memory_stays_within_three_times_the_input_plus_50_mb() {
    let ten_mb = support::resource_list_of_size(10_000_000).0;
    let duplicate_key = support::with_duplicate_key_in_last_item(&ten_mb);
    let cases: Vec<(&str, String, bool)> = vec![
        (
            "9 MB alias-heavy item past the node budget",
            support::alias_heavy_list(1_800_000),
            true,
        ),
        (
            "3.9 million flow scalars in one item",
            support::flow_scalars_list(3_900_000),
            false,
        ),
        (
            "100,000 objects as a JSON ResourceList",
            support::as_json(&support::compact_resource_list(100_000)),
            false,
        ),
        (
            "10 MB list behind %YAML 1.1",
            format!("%YAML 1.1\n---\n{ten_mb}"),
            false,
        ),
        (
            "10 MB list with CR LF line breaks",
            ten_mb.replace('\n', "\r\n"),
            false,
        ),
        (
            "10 MB list with lone CR line breaks",
            ten_mb.replace('\n', "\r"),
            false,
        ),
        (
            "10 MB list, a duplicate key in its last item",
            duplicate_key,
            true,
        ),
        (
            "10 MB list followed by a second document (an error)",
            format!("{ten_mb}---\nkind: ConfigMap\n"),
            true,
        ),
    ];
    let mut problems = Vec::new();
    for (name, input, fails) in cases {
        let (peak, failed, stderr) = peak_of_process(input.as_bytes());
        let limit = 2 * input.len() + 50 * MB;
        eprintln!(
            "{name}: input {:.1} MB, peak {:.1} MB allocated (limit {:.1} MB), failed: {failed}",
            input.len() as f64 / MB as f64,
            peak as f64 / MB as f64,
            limit as f64 / MB as f64
        );
        assert_eq!(failed, fails, "{name}: {stderr}");
        if name.contains("node budget") {
            assert!(stderr.contains("MAX_NODES"), "{name}: {stderr}");
        }
        if peak > limit {
            problems.push(format!(
                "{name}: {:.1} MB allocated at the peak, more than 2 x {:.1} MB + 50 MB",
                peak as f64 / MB as f64,
                input.len() as f64 / MB as f64
            ));
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}
