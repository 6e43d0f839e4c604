//! Stacks for packages that hold several of them (issue 16): each with its own name, namespaces
//! and `flux.path` (`<package>/<name>`), as the protocol, kpt and deployability tests need them.

/// Where the package of several stacks sits in the repository.
pub const PACKAGE_PATH: &str = "./k8s/clusters/main/infrastructure/monitoring";

/// A flux-layout stack named `name` whose every component namespace ends in `-<name>`, its
/// `flux.path` `<PACKAGE_PATH>/<name>`; `local_config` marks it
/// `config.kubernetes.io/local-config` (for kpt, which then keeps it out of the cluster).
pub fn named_stack(name: &str, local_config: bool) -> String {
    let annotations = if local_config {
        "  annotations:\n    config.kubernetes.io/local-config: \"true\"\n"
    } else {
        ""
    };
    let mut text = format!(
        "apiVersion: monitoring-stack.dev/v1alpha1\nkind: MonitoringStack\nmetadata:\n  name: {name}\n{annotations}spec:\n  flux:\n    namespace: monitoring-{name}\n    path: {PACKAGE_PATH}/{name}\n  grafana:\n    hostname: {name}.example.com\n    namespace: grafana-{name}\n"
    );
    for (component, folder) in [
        ("grafanaOperator", "grafana-operator"),
        ("loki", "loki"),
        ("mimir", "mimir"),
        ("alloyOperator", "alloy-operator"),
        ("alloy", "alloy"),
        ("kubeStateMetrics", "kube-state-metrics"),
        ("nodeExporter", "node-exporter"),
    ] {
        text.push_str(&format!("  {component}:\n    namespace: {folder}-{name}\n"));
    }
    text
}
