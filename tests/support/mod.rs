//! Shared integration-test helpers: offline checks of generated manifests against the upstream
//! reference material in `../shared/reference` (CRD schemas, chart values; see its NOTES.md).
//!
//! Usage from an integration test (`tests/<name>.rs`):
//!
//! ```ignore
//! mod support;
//!
//! #[test]
//! fn output_matches_crds() {
//!     let Some(schemas) = support::crd_schemas() else { return }; // skipped outside CI
//!     let objs = support::load_yaml_stream(&output_text);
//!     let errors = schemas.validate_all(&objs);
//!     assert!(errors.is_empty(), "{}", errors.join("\n"));
//! }
//! ```
#![allow(dead_code)]

mod core;
mod crds;
pub mod deploy;
pub mod flux_order;
pub mod helm;
mod helm_values;
pub mod pod_security;
pub mod promql;
pub mod references;
pub mod wasm;
mod yaml;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

// Re-exports for the test binaries; each binary uses a different subset.
#[allow(unused_imports)]
pub use core::validate_core;
#[allow(unused_imports)]
pub use crds::{
    api_group, is_dns1123_label, is_dns1123_subdomain, to_strict_json_schema, yaml_files_under,
    CrdSchemas, Scope,
};
#[allow(unused_imports)]
pub use helm_values::{
    check_alloy_cr_spec, check_helm_values, check_values_against, free_form_for, FREE_FORM_VALUES,
};
#[allow(unused_imports)]
pub use yaml::{load_yaml_doc, load_yaml_stream, try_load_yaml_stream, yaml_to_json};

/// Every example stack file: `krm/examples/*.yaml` and `krm/kustomize/*/stack.yaml`, sorted.
pub fn example_files() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files: Vec<PathBuf> = std::fs::read_dir(root.join("krm/examples"))
        .expect("krm/examples")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    // The fleet's own stacks (its other files name stacks in krm/examples).
    for entry in std::fs::read_dir(root.join("krm/fleet")).expect("krm/fleet") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "yaml")
            && std::fs::read_to_string(&path)
                .is_ok_and(|text| text.contains("\nkind: MonitoringStack\n"))
        {
            files.push(path);
        }
    }
    for dir in std::fs::read_dir(root.join("krm/kustomize")).expect("krm/kustomize") {
        let stack = dir.expect("entry").path().join("stack.yaml");
        if stack.exists() {
            files.push(stack);
        }
    }
    files.sort();
    assert!(files.len() >= 10, "examples not found: {files:?}");
    files
}

/// The objects an example (a path relative to the crate) renders to, as JSON.
pub fn render_example(example: &str) -> Vec<serde_json::Value> {
    let input = std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join(example))
        .unwrap_or_else(|e| panic!("{example}: {e}"));
    monitoring_stack::render(&input)
        .unwrap_or_else(|errors| panic!("{example} is invalid: {errors:?}"))
        .into_iter()
        .map(|o| yaml_to_json(o).expect("generated objects are JSON-compatible"))
        .collect()
}

/// Where the reference material lives: `<crate>/../shared/reference`.
pub fn default_reference_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/reference")
}

/// Whether the `CI` environment variable says we run in CI (`true`/`1`, case-insensitive).
pub fn running_in_ci() -> bool {
    std::env::var("CI")
        .map(|v| v.eq_ignore_ascii_case("true") || v == "1")
        .unwrap_or(false)
}

/// The reference directory, if present. When it is missing: panics in CI (`CI=true`, where it is
/// always provided); otherwise prints a loud warning and returns `None` so the caller can skip.
pub fn reference_dir() -> Option<PathBuf> {
    reference_dir_at(&default_reference_path(), running_in_ci())
}

/// [`reference_dir`] for an explicit path and CI flag (testable without touching the environment).
pub fn reference_dir_at(path: &Path, in_ci: bool) -> Option<PathBuf> {
    if path.join("crds").is_dir() && path.join("charts").is_dir() {
        return Some(path.canonicalize().unwrap_or_else(|_| path.to_owned()));
    }
    if in_ci {
        panic!(
            "reference material not found at {} (expected crds/ and charts/ inside); CI must \
             provide ../shared/reference next to the crate",
            path.display()
        );
    }
    eprintln!();
    eprintln!("==================================================================");
    eprintln!("SKIPPED: ../shared/reference not found; schema checks did not run");
    eprintln!("         (looked for {})", path.display());
    eprintln!("==================================================================");
    eprintln!();
    None
}

/// The CRD schemas of [`reference_dir`], loaded once per test binary and shared by its tests.
/// `None` (after the warning) when the reference directory is absent outside CI.
pub fn crd_schemas() -> Option<&'static CrdSchemas> {
    static SCHEMAS: OnceLock<CrdSchemas> = OnceLock::new();
    let reference = reference_dir()?;
    Some(SCHEMAS.get_or_init(|| CrdSchemas::load_with_repository_crds(&reference)))
}
