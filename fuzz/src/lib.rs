//! Shared code of the fuzz targets, from the dev-only test kit (`testkit/`): the invariants every
//! run must keep, and the grammar that turns fuzzer bytes into MonitoringStack specs.

pub use monitoring_stack_testkit::{invariants, stack_gen};
