//! The `alloy-operator/` and `alloy/` folders: the operator's HelmRelease, and the two `Alloy`
//! collectors it runs — `alloy-logs` (pod logs → Loki, [`logs`]) and `alloy-metrics`
//! (PodMonitors, ServiceMonitors, kubelet, cAdvisor → Mimir, [`metrics`]). Their configuration
//! text is built from the typed model in [`config`], the only Alloy writer.
//!
//! A collector follows its backend: with Loki off there is no `alloy-logs`, with Mimir off no
//! `alloy-metrics` (switching one on explicitly while its backend is off is a spec error).

pub mod config;
pub mod logs;
pub mod metrics;
#[cfg(test)]
mod tests;

use super::object::{self, object};
use super::{with_resources, ChartFolder, Component, Context};
use crate::spec::{ExtraValues, RelabelRule, Resources};
use crate::versions;
use config::{Block, Expr, Statements};
use serde::Serialize;
use serde_json::json;
use serde_yaml_ng::Value;

pub const OPERATOR_FOLDER: &str = "alloy-operator";
pub const FOLDER: &str = "alloy";

/// The `Alloy` custom resource (its spec is the Alloy chart's values).
pub const ALLOY_API_VERSION: &str = "collectors.grafana.com/v1alpha1";
pub const ALLOY_KIND: &str = "Alloy";
pub const LOGS_NAME: &str = "alloy-logs";
pub const METRICS_NAME: &str = "alloy-metrics";

pub fn operator(ctx: &Context) -> Option<Component> {
    let spec = &ctx.spec().alloy_operator;
    if !spec.enabled {
        return None;
    }
    // The operator's own ServiceMonitor (its chart's switch): alloy-metrics scrapes it.
    // Its chart's pod context leaves seccomp unset: Pod Security "restricted" needs it.
    let values = json!({
        "serviceMonitor": { "enabled": true },
        "podSecurityContext": super::restricted_seccomp(),
    });
    // The collectors it runs read PodMonitors and ServiceMonitors: the operator's release waits
    // for the CRDs, and the alloy folder waits for the operator.
    Some(ChartFolder::of_chart(OPERATOR_FOLDER, spec, versions::ALLOY_OPERATOR, values).build(ctx))
}

pub fn collectors(ctx: &Context) -> Option<Component> {
    let spec = &ctx.spec().alloy;
    if !spec.enabled {
        return None;
    }
    let namespace = spec.namespace.as_str();
    let mut component = Component::new(FOLDER, namespace, vec![OPERATOR_FOLDER]);
    component.push(
        "namespace.yaml",
        ctx.namespace(namespace, super::PodSecurity::Restricted),
    );

    let cluster = ctx.cluster_name();
    if let (true, Some(url)) = (spec.logs.runs(ctx.spec().loki.enabled), ctx.loki_push_url()) {
        let text = logs::config(
            &spec.logs,
            &logs::Sink {
                url,
                tenant: ctx.loki_tenant(),
                cluster,
            },
        )
        .render();
        // Every node runs pods worth logging, tainted or not.
        let values = json!({
            "controller": {
                "type": "daemonset",
                "tolerations": [ { "operator": "Exists" } ],
                "volumes": data_volume(),
            },
            "alloy": alloy_values(&text, &spec.logs.resources, json!({})),
            // Alloy's own metrics, scraped by alloy-metrics.
            "serviceMonitor": { "enabled": true },
            "global": restricted_pod()["global"],
            "configReloader": restricted_pod()["configReloader"],
        });
        component.push(
            &format!("{LOGS_NAME}.yaml"),
            alloy_cr(ctx, LOGS_NAME, namespace, values, &spec.logs.values),
        );
    }
    if let (true, Some(url)) = (
        spec.metrics.runs(ctx.spec().mimir.enabled),
        ctx.mimir_push_url(),
    ) {
        let mut config = metrics::config(
            &spec.metrics,
            &metrics::Sink {
                url,
                tenant: ctx.mimir_tenant(),
                cluster,
            },
        );
        if let (true, Some(address)) = (ctx.spec().mimir.rules.enabled, ctx.mimir_url()) {
            config.push(metrics::rules_sync(&address, ctx.mimir_tenant(), cluster));
        }
        let text = config.render();
        let values = json!({
            "controller": {
                "type": "statefulset",
                "replicas": spec.metrics.replicas,
                "volumes": data_volume(),
            },
            "alloy": alloy_values(
                &text,
                &spec.metrics.resources,
                json!({ "clustering": { "enabled": true, "name": METRICS_NAME } }),
            ),
            "serviceMonitor": { "enabled": true },
            "global": restricted_pod()["global"],
            "configReloader": restricted_pod()["configReloader"],
        });
        component.push(
            &format!("{METRICS_NAME}.yaml"),
            alloy_cr(ctx, METRICS_NAME, namespace, values, &spec.metrics.values),
        );
    }
    Some(component)
}

/// Where Alloy keeps its data (log positions, the remote-write WAL): an `emptyDir`, so a
/// restarted container resumes where it stopped instead of re-sending its containers' logs.
const STORAGE_VOLUME: &str = "alloy-data";
const STORAGE_PATH: &str = "/var/lib/alloy";

/// The chart's `alloy` values: the configuration, resources, the data volume, no usage
/// reporting, plus `extra`.
fn alloy_values(
    config_text: &str,
    resources: &Resources,
    extra: serde_json::Value,
) -> serde_json::Value {
    let mut values = json!({
        "configMap": { "content": config_text },
        "storagePath": STORAGE_PATH,
        "mounts": { "extra": [ { "name": STORAGE_VOLUME, "mountPath": STORAGE_PATH } ] },
        "enableReporting": false,
        "securityContext": restricted_container(ALLOY_UID),
    });
    if let (Some(values), serde_json::Value::Object(extra)) = (values.as_object_mut(), extra) {
        values.extend(extra);
    }
    with_resources(values, "resources", resources)
}

/// Alloy's image runs as root unless told otherwise; its `alloy` user is UID 473 (Alloy's
/// "run as non-root" docs). The config reloader's image runs as `nobody`.
const ALLOY_UID: u32 = 473;
const RELOADER_UID: u32 = 65534;

/// A container context that meets Pod Security "restricted" and names the user, so the
/// kubelet's runAsNonRoot check passes for images that would start as root.
fn restricted_container(uid: u32) -> serde_json::Value {
    json!({
        "runAsNonRoot": true,
        "runAsUser": uid,
        "runAsGroup": uid,
        "allowPrivilegeEscalation": false,
        "capabilities": { "drop": ["ALL"] },
        "seccompProfile": { "type": "RuntimeDefault" },
    })
}

/// The chart's pod-level context (`global.podSecurityContext`) and the config reloader's
/// container context: together with the `alloy` container's, Pod Security "restricted".
fn restricted_pod() -> serde_json::Value {
    json!({
        "global": {
            "podSecurityContext": {
                "runAsNonRoot": true,
                "fsGroup": ALLOY_UID,
                "seccompProfile": { "type": "RuntimeDefault" },
            },
        },
        "configReloader": { "securityContext": restricted_container(RELOADER_UID) },
    })
}

/// The chart's `controller.volumes` holding the data volume.
fn data_volume() -> serde_json::Value {
    json!({ "extra": [ { "name": STORAGE_VOLUME, "emptyDir": {} } ] })
}

/// An `Alloy` CR: `values` (the chart values this module renders) with the user's `extra`
/// merged over them last.
fn alloy_cr(
    ctx: &Context,
    name: &str,
    namespace: &str,
    values: serde_json::Value,
    extra: &ExtraValues,
) -> Value {
    #[derive(Serialize)]
    struct Body {
        spec: Value,
    }
    impl crate::stack::object::SerdeBody for Body {}
    let mut spec = object::from_json(values);
    object::merge(&mut spec, &Value::Mapping(extra.0.clone()));
    object(
        ALLOY_API_VERSION,
        ALLOY_KIND,
        ctx.meta(name, Some(namespace)),
        Body { spec },
    )
}

/// A relabel rule of the spec as an Alloy block (`rule`, `write_relabel_config`). Fields the
/// spec leaves unset are left out (Alloy's defaults apply); the action is always written.
pub(crate) fn relabel_rule(block: &'static str, rule: &RelabelRule) -> Block {
    let mut out = Block::new(block);
    if !rule.source_labels.is_empty() {
        out = out.attr(
            "source_labels",
            Expr::strings(rule.source_labels.iter().map(|l| l.as_str())),
        );
    }
    out.attr_opt("separator", rule.separator.as_deref())
        .attr_opt("regex", rule.regex.as_ref().map(|r| r.as_str()))
        .attr_opt("modulus", rule.modulus)
        .attr_opt(
            "target_label",
            rule.target_label.as_ref().map(|t| t.as_str()),
        )
        .attr_opt("replacement", rule.replacement.as_deref())
        .attr("action", rule.action.as_str())
}
