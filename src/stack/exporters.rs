//! The `kube-state-metrics/` and `node-exporter/` folders: the two exporters, each with the
//! ServiceMonitor its chart creates (scraped by `alloy-metrics` like every other monitor).

use super::flux::PinnedChart;
use super::{with_resources, ChartFolder, Component, Context};
use crate::versions;
use serde_json::json;

pub const KUBE_STATE_METRICS_FOLDER: &str = "kube-state-metrics";
pub const NODE_EXPORTER_FOLDER: &str = "node-exporter";

pub fn kube_state_metrics(ctx: &Context) -> Option<Component> {
    let spec = &ctx.spec().kube_state_metrics;
    if !spec.enabled {
        return None;
    }
    let values = json!({
        "prometheus": {
            "monitor": {
                "enabled": true,
                // The series describe other objects: their `namespace`, `pod`, ... labels must
                // win over the scrape target's own.
                "http": { "honorLabels": true },
            },
        },
    });
    Some(
        ChartFolder {
            folder: KUBE_STATE_METRICS_FOLDER,
            namespace: spec.namespace.as_str(),
            chart: PinnedChart::new(versions::KUBE_STATE_METRICS, spec.chart_version.as_ref()),
            values: with_resources(values, "resources", &spec.resources),
            extra: &spec.values,
            uses_monitor_crds: true,
            depends_on: Vec::new(),
            staged: false,
            namespace_labels: &[],
        }
        .build(ctx),
    )
}

pub fn node_exporter(ctx: &Context) -> Option<Component> {
    let spec = &ctx.spec().node_exporter;
    if !spec.enabled {
        return None;
    }
    let values = json!({
        // Service, and so the `job` label, `node-exporter`: what the node and kubernetes
        // mixins' dashboards and alerts select on.
        "fullnameOverride": "node-exporter",
        "prometheus": {
            "monitor": {
                "enabled": true,
                // `instance` is the node's name, not its IP:port (hostNetwork), as dashboards
                // expect.
                "relabelings": [{
                    "action": "replace",
                    "sourceLabels": ["__meta_kubernetes_pod_node_name"],
                    "targetLabel": "instance",
                }],
            },
        },
        // Every node, tainted or not, has metrics worth having.
        "tolerations": [ { "operator": "Exists" } ],
    });
    Some(
        ChartFolder {
            folder: NODE_EXPORTER_FOLDER,
            namespace: spec.namespace.as_str(),
            chart: PinnedChart::new(versions::NODE_EXPORTER, spec.chart_version.as_ref()),
            values: with_resources(values, "resources", &spec.resources),
            extra: &spec.values,
            uses_monitor_crds: true,
            depends_on: Vec::new(),
            // node-exporter reads the host (hostNetwork, hostPID): its namespace must admit it.
            staged: false,
            namespace_labels: &[("pod-security.kubernetes.io/enforce", "privileged")],
        }
        .build(ctx),
    )
}
