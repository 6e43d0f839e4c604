//! The whole function on arbitrary bytes: whatever arrives on stdin, the run ends with a
//! ResourceList that parses, keeps every item, and agrees with its exit status.
#![no_main]

use libfuzzer_sys::fuzz_target;
use monitoring_stack_fuzz::invariants;

fuzz_target!(|data: &[u8]| {
    invariants::check(data);
});
