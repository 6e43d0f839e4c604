//! One MonitoringStack from the spec grammar (every field, mostly valid values, sometimes hostile
//! ones) straight into the spec layer and the expansion: the typed reader, the field validators,
//! the cross-field checks and every component's objects. No ResourceList around it and no YAML
//! written or read back, so it runs thousands of times a second; `scenario` covers the rest.
#![no_main]

use libfuzzer_sys::arbitrary::Unstructured;
use libfuzzer_sys::fuzz_target;
use monitoring_stack::{spec, stack};
use monitoring_stack_fuzz::{invariants, stack_gen::Gen};

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let Ok(object) = Gen::new(&mut u).stack("main") else {
        return;
    };
    if std::env::var_os("MONITORING_STACK_FUZZ_PRINT").is_some() {
        eprintln!(
            "{}",
            monitoring_stack::yaml::to_string(&object)
        );
    }
    match spec::parse_stack(&object) {
        Err(errors) => invariants::check_spec_errors(&errors),
        Ok(parsed) => invariants::check_expansion(&parsed, &stack::expand(&parsed)),
    }
});
