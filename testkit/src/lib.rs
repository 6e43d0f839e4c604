//! Test code shared across trees (dev-only): [`invariants`] (what every run of the function
//! keeps; the property and hostile-input tests and the fuzz targets check the very same
//! promises), [`stack_gen`] (MonitoringStack specs from bytes; the fuzz targets and the Helm
//! conformance test) and [`alloy_syntax`] (an Alloy configuration parser independent of the
//! writer; its unit tests and the collectors' tests), and [`packages`] (stacks for packages
//! of several).

pub mod alloy_syntax;
pub mod invariants;
pub mod packages;
pub mod stack_gen;

/// The fuzzers' byte source, for callers of [`stack_gen`] outside the fuzz targets.
pub use arbitrary;
