//! Shared code of the fuzz targets: the invariants every run must keep, and the grammar that
//! turns fuzzer bytes into MonitoringStack specs.

pub mod invariants;
pub mod stack_gen;
