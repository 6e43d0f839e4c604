//! Structured MonitoringStack specs (every field, mostly valid values, sometimes hostile ones),
//! wrapped in ResourceLists with unrelated items, a second stack or an earlier run's output:
//! reaches the cross-field validation, the expansion, upsert and prune. Up to five runs of
//! `process` per input and every output read back, so about a hundred inputs a second; the `spec`
//! target searches the spec layer and the expansion alone, far faster.
#![no_main]

use libfuzzer_sys::arbitrary::Unstructured;
use libfuzzer_sys::fuzz_target;
use monitoring_stack_fuzz::{invariants, stack_gen};

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let Ok(scenario) = stack_gen::scenario(&mut u) else {
        return;
    };
    // Set MONITORING_STACK_FUZZ_PRINT=1 to see the list(s) a crashing input stands for
    // (`cargo fuzz run spec ARTIFACT`); save them under fuzz/regressions/ as a test.
    let print = std::env::var_os("MONITORING_STACK_FUZZ_PRINT").is_some();
    let earlier = scenario.earlier_list().map(|list| {
        if print {
            eprintln!("--- earlier run ---\n{list}");
        }
        invariants::check(list.as_bytes()).1
    });
    let list = scenario.list(earlier.as_ref());
    if print {
        eprintln!("--- run under test ---\n{list}");
    }
    let (output, _) = invariants::check(list.as_bytes());
    if earlier.is_some() && !output.failed {
        invariants::check_prune(list.as_bytes(), &output);
    }
});
