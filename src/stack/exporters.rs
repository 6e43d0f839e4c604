//! The `kube-state-metrics/` and `node-exporter/` folders: the two exporters, each with the
//! ServiceMonitor its chart creates (scraped by `alloy-metrics` like every other monitor).

use super::allow_lists::{self, Source};
use super::{ChartFolder, Component, Context};
use crate::json::json;
use crate::versions;

/// The ServiceMonitor `metricRelabelings` that keep only `source`'s allow-list: empty when the
/// allow-lists are off.
fn allow_list_relabelings(ctx: &Context, source: Source) -> serde_json::Value {
    match allow_lists::kept(&ctx.spec().alloy.metrics.allow_lists, source) {
        Some(names) => json!([{
            "action": "keep",
            "sourceLabels": ["__name__"],
            "regex": allow_lists::regex(&names),
        }]),
        None => json!([]),
    }
}

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
                // Only the allow-listed series (the chart's main endpoint; its self-metrics
                // endpoint is off).
                "http": {
                    "honorLabels": true,
                    "metricRelabelings": allow_list_relabelings(ctx, Source::KubeStateMetrics),
                },
            },
        },
    });
    Some(
        ChartFolder::of_chart(
            KUBE_STATE_METRICS_FOLDER,
            spec,
            versions::KUBE_STATE_METRICS,
            values,
        )
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
                "metricRelabelings": allow_list_relabelings(ctx, Source::NodeExporter),
            },
        },
        // Every node, tainted or not, has metrics worth having.
        "tolerations": [ { "operator": "Exists" } ],
    });
    Some(
        ChartFolder {
            pod_security: super::PodSecurity::Privileged(
                "node-exporter reads the node's /proc and /sys through hostPath mounts, with the \
                 host's network and PID namespaces",
            ),
            ..ChartFolder::of_chart(NODE_EXPORTER_FOLDER, spec, versions::NODE_EXPORTER, values)
        }
        .build(ctx),
    )
}
