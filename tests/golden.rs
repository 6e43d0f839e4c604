//! Golden files of the full expansion, one per example and layout. Each golden file is the
//! rendered folder tree: every file with a `# file: PATH` header, exactly as `render --output-dir`
//! writes it. Regenerate with `UPDATE_GOLDEN=1 cargo test --test golden`, then read the diff.

use monitoring_stack::{output_dir, render};
use std::path::Path;

fn tree_text(example: &str) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let input = std::fs::read(root.join(example)).expect("example exists");
    let objects =
        render(&input).unwrap_or_else(|errors| panic!("{example} is invalid: {errors:?}"));
    let mut text = String::new();
    for (path, content) in output_dir::files(&objects) {
        text.push_str(&format!("# file: {path}\n{content}"));
    }
    text
}

fn check(example: &str, golden: &str) {
    let actual = tree_text(example);
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(golden);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, &actual).expect("write golden");
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|_| {
        panic!(
            "missing {}: run UPDATE_GOLDEN=1 cargo test --test golden",
            path.display()
        )
    });
    if actual != expected {
        let line = actual
            .lines()
            .zip(expected.lines())
            .position(|(a, e)| a != e)
            .map_or(actual.lines().count().min(expected.lines().count()), |n| n);
        panic!(
            "{example} no longer renders like tests/golden/{golden} (first difference at line {}):\n  actual:   {:?}\n  expected: {:?}\nIf the change is intended: UPDATE_GOLDEN=1 cargo test --test golden, and review the diff.",
            line + 1,
            actual.lines().nth(line),
            expected.lines().nth(line)
        );
    }
}

#[test]
fn seed_flux_layout() {
    check("krm/examples/seed.yaml", "seed-flux.yaml");
}

#[test]
fn seed_flat_layout() {
    check("krm/kustomize/legacy-plugin/stack.yaml", "seed-flat.yaml");
}

#[test]
fn minimal_example() {
    check("krm/examples/minimal.yaml", "minimal.yaml");
}

#[test]
fn rendering_is_deterministic() {
    assert_eq!(
        tree_text("krm/examples/seed.yaml"),
        tree_text("krm/examples/seed.yaml")
    );
}

#[test]
fn collectors_logs_only() {
    check(
        "krm/examples/collectors-logs-only.yaml",
        "collectors-logs-only.yaml",
    );
}

#[test]
fn collectors_metrics_only() {
    check(
        "krm/examples/collectors-metrics-only.yaml",
        "collectors-metrics-only.yaml",
    );
}

#[test]
fn collectors_custom_exclusions() {
    check(
        "krm/examples/collectors-custom.yaml",
        "collectors-custom.yaml",
    );
}

#[test]
fn collectors_full() {
    check("krm/examples/collectors-full.yaml", "collectors-full.yaml");
}

#[test]
fn grafana_without_oidc() {
    check("krm/examples/grafana-no-oidc.yaml", "grafana-no-oidc.yaml");
}

#[test]
fn grafana_ingress() {
    check("krm/examples/grafana-ingress.yaml", "grafana-ingress.yaml");
}

#[test]
fn grafana_httproute() {
    check(
        "krm/examples/grafana-httproute.yaml",
        "grafana-httproute.yaml",
    );
}

#[test]
fn grafana_extra_rules_and_contact_points() {
    check(
        "krm/examples/grafana-alerting.yaml",
        "grafana-alerting.yaml",
    );
}

/// A fleet's edge cluster (issue 20): collectors and exporters only, writing to the central
/// stack's gateways and to a destination; no Loki, Mimir or Grafana.
#[test]
fn fleet_edge() {
    check("krm/examples/edge.yaml", "edge.yaml");
}

/// A standalone stack with two destinations (issue 20): a Loki behind a private CA with a
/// bearer token, a Prometheus endpoint with basic auth and its own tenant.
#[test]
fn standalone_with_destinations() {
    check("krm/examples/destinations.yaml", "destinations.yaml");
}

/// A fleet's central stack (issue 20): multi-tenant Loki and Mimir, their gateways exposed
/// through Ingresses with basic auth, Istio policies, the tenants' datasources.
#[test]
fn fleet_central() {
    check("krm/examples/central.yaml", "central.yaml");
}
