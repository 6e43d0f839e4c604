//! The `alloy-operator/` and `alloy/` folders: the operator's HelmRelease, and the two `Alloy`
//! collectors it runs — `alloy-logs` (pod logs → Loki, [`logs`]) and `alloy-metrics`
//! (PodMonitors, ServiceMonitors, kubelet, cAdvisor → Mimir, [`metrics`]). Their configuration
//! text is built from the typed model in [`config`], the only Alloy writer.
//!
//! A collector follows its backend: with Loki off there is no `alloy-logs`, with Mimir off no
//! `alloy-metrics` (switching one on explicitly while its backend is off is a spec error).

pub mod config;
pub mod events;
pub mod logs;
pub mod metrics;
pub mod node_logs;
#[cfg(test)]
mod tests;
pub mod write;

use super::object::{self, object};
use super::{with_resources, ChartFolder, Component, Context};
use crate::json::json;
use crate::spec::{ExtraValues, RelabelRule, Resources};
use crate::versions;
use config::{Block, Expr, Statements};
use serde_yaml_ng::Value;

pub const OPERATOR_FOLDER: &str = "alloy-operator";
pub const FOLDER: &str = "alloy";

/// The `Alloy` custom resource (its spec is the Alloy chart's values).
pub const ALLOY_API_VERSION: &str = "collectors.grafana.com/v1alpha1";
pub const ALLOY_KIND: &str = "Alloy";
pub const LOGS_NAME: &str = "alloy-logs";
pub const METRICS_NAME: &str = "alloy-metrics";
pub const EVENTS_NAME: &str = "alloy-events";
pub const NODE_LOGS_NAME: &str = "alloy-node-logs";
/// The node-logs collector's folder (its namespace is Pod Security `privileged`).
pub const NODE_LOGS_FOLDER: &str = "alloy-node-logs";

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
    let log_writers = ctx.writers(write::Signal::Logs);
    let metric_writers = ctx.writers(write::Signal::Metrics);
    // alloy-logs and alloy-events send to the same writers, with the same credentials.
    let log_sink = logs::Sink {
        writers: &log_writers,
        cluster,
    };
    let log_needs = write::pod_needs(&log_writers.iter().collect::<Vec<_>>());
    let ships_logs = ctx.spec().ships_logs();
    if spec.logs.runs(ships_logs) {
        let text = logs::config(&spec.logs, &log_sink).render();
        // Every node runs pods worth logging, tainted or not.
        let values = restricted_collector(
            json!({
                "type": "daemonset",
                "tolerations": [ { "operator": "Exists" } ],
                "volumes": data_volume(&log_needs),
            }),
            alloy_values(&text, &spec.logs.resources, &log_needs, json!({})),
            rbac(rbac::logs()),
        );
        component.push(
            &format!("{LOGS_NAME}.yaml"),
            alloy_cr(ctx, LOGS_NAME, namespace, values, &spec.logs.values),
        );
    }
    if spec.metrics.runs(ctx.spec().ships_metrics()) {
        let mut config = metrics::config(
            &spec.metrics,
            &metrics::Sink {
                writers: &metric_writers,
                cluster,
            },
        );
        let mut writers: Vec<&write::Writer> = metric_writers.iter().collect();
        let rules = ctx
            .rules_writer()
            .filter(|_| ctx.spec().mimir.rules.enabled);
        if let Some(rules) = &rules {
            config.push(metrics::rules_sync(rules, cluster));
            writers.push(rules);
            // An edge has no Mimir folder: the mixins' rules for what runs here come with the
            // collectors, and the syncer loads them into the central ruler as this tenant.
            if !ctx.spec().mimir.enabled {
                for rule in super::mimir::prometheus_rules(ctx, namespace) {
                    component.push("prometheusrules.yaml", rule);
                }
            }
        }
        let needs = write::pod_needs(&writers);
        let text = config.render();
        let values = restricted_collector(
            json!({
                "type": "statefulset",
                "replicas": spec.metrics.replicas,
                "volumes": data_volume(&needs),
            }),
            alloy_values(
                &text,
                &spec.metrics.resources,
                &needs,
                json!({ "clustering": { "enabled": true, "name": METRICS_NAME } }),
            ),
            rbac(rbac::metrics(&spec.metrics)),
        );
        component.push(
            &format!("{METRICS_NAME}.yaml"),
            alloy_cr(ctx, METRICS_NAME, namespace, values, &spec.metrics.values),
        );
    }
    if spec.events.runs(ships_logs) {
        let text = events::config(&spec.events, &log_sink).render();
        // One replica: the events source has no clustering, and two would send each event twice.
        let values = restricted_collector(
            json!({
                "type": "deployment",
                "replicas": 1,
                "volumes": data_volume(&log_needs),
            }),
            alloy_values(&text, &spec.events.resources, &log_needs, json!({})),
            rbac(rbac::events()),
        );
        component.push(
            &format!("{EVENTS_NAME}.yaml"),
            alloy_cr(ctx, EVENTS_NAME, namespace, values, &spec.events.values),
        );
    }
    Some(component)
}

/// The node-logs collector (opt-in): its own folder and namespace, Pod Security `privileged`,
/// so the `alloy` namespace stays `restricted`.
pub fn node_logs(ctx: &Context) -> Option<Component> {
    let spec = &ctx.spec().alloy;
    if !spec.enabled || !spec.node_logs.enabled || !ctx.spec().ships_logs() {
        return None;
    }
    let writers = ctx.writers(write::Signal::Logs);
    let node_logs = &spec.node_logs;
    let namespace = node_logs.namespace.as_str();
    let mut component = Component::new(NODE_LOGS_FOLDER, namespace, vec![OPERATOR_FOLDER]);
    component.push(
        "namespace.yaml",
        ctx.namespace(
            namespace,
            super::PodSecurity::Privileged(
                "alloy-node-logs reads each node's systemd journal through read-only hostPath \
                 mounts (/var/log, /run/log/journal, /etc/machine-id) as root",
            ),
        ),
    );
    let text = node_logs::config(
        node_logs,
        &logs::Sink {
            writers: &writers,
            cluster: ctx.cluster_name(),
        },
    )
    .render();
    let needs = write::pod_needs(&writers.iter().collect::<Vec<_>>());
    let mut volumes = vec![json!({ "name": STORAGE_VOLUME, "emptyDir": {} })];
    let mut mounts = vec![json!({ "name": STORAGE_VOLUME, "mountPath": STORAGE_PATH })];
    for (name, path, kind) in JOURNAL_MOUNTS {
        volumes.push(json!({ "name": name, "hostPath": { "path": path, "type": kind } }));
        mounts.push(json!({ "name": name, "mountPath": path, "readOnly": true }));
    }
    volumes.extend(needs.volumes.iter().cloned());
    mounts.extend(needs.mounts.iter().cloned());
    let values = json!({
        "controller": {
            "type": "daemonset",
            "tolerations": [ { "operator": "Exists" } ],
            "volumes": { "extra": volumes },
        },
        "alloy": alloy_values(
            &text,
            &node_logs.resources,
            &write::PodNeeds { env: needs.env, ..Default::default() },
            json!({
                "mounts": { "extra": mounts },
                // The journal's files are root's (mode 0640): root, but nothing more — no
                // capabilities, no privilege escalation, the runtime's seccomp profile.
                "securityContext": {
                    "runAsUser": 0,
                    "runAsGroup": 0,
                    "runAsNonRoot": false,
                    "allowPrivilegeEscalation": false,
                    "capabilities": { "drop": ["ALL"] },
                    "seccompProfile": { "type": "RuntimeDefault" },
                },
            }),
        ),
        "serviceMonitor": { "enabled": true },
        // It reads no Kubernetes API.
        "rbac": { "create": false },
        "global": {
            "podSecurityContext": { "seccompProfile": { "type": "RuntimeDefault" } },
        },
        "configReloader": restricted_pod()["configReloader"],
    });
    component.push(
        &format!("{NODE_LOGS_NAME}.yaml"),
        alloy_cr(ctx, NODE_LOGS_NAME, namespace, values, &node_logs.values),
    );
    Some(component)
}

/// The host paths the journal reader mounts read-only: (volume, path, hostPath type). The
/// persistent journal's `/var/log/journal` is reached through `/var/log`, which every node has:
/// creating `/var/log/journal` where it is missing would switch journald to persistent storage
/// at its next start. `/run/log/journal` (the volatile journal, on tmpfs) is created when
/// missing, which changes nothing on the host across a reboot.
const JOURNAL_MOUNTS: [(&str, &str, &str); 3] = [
    ("host-var-log", "/var/log", "Directory"),
    ("journal-run", "/run/log/journal", "DirectoryOrCreate"),
    ("machine-id", "/etc/machine-id", "File"),
];

pub mod rbac {
    //! The ClusterRole rules of each collector: exactly what its sources read, instead of the
    //! Alloy chart's broad default (which includes Secrets and ConfigMaps cluster-wide). Each is
    //! (namespaced resources, cluster-scoped resources and URLs): the chart's `rbac.rules` and
    //! `rbac.clusterRules`, both rendered into the one ClusterRole.
    use crate::json::json;
    use crate::spec::AlloyMetricsSpec;
    use serde_json::Value;

    const READ: [&str; 3] = ["get", "list", "watch"];

    pub type Rules = (Vec<Value>, Vec<Value>);

    fn resources(group: &str, resources: &[&str]) -> Value {
        json!({ "apiGroups": [group], "resources": resources, "verbs": READ })
    }

    /// `alloy-logs`: discovers pods, tails their logs (`loki.source.kubernetes`), reads
    /// namespaces.
    pub fn logs() -> Rules {
        (
            vec![resources("", &["pods", "pods/log"])],
            vec![resources("", &["namespaces"])],
        )
    }

    /// `alloy-events`: watches core/v1 events (`loki.source.kubernetes_events`), nothing else.
    /// The chart's template needs a non-empty cluster list too, so the one rule is in both.
    pub fn events() -> Rules {
        let events = resources("", &["events"]);
        (vec![events.clone()], vec![events])
    }

    /// `alloy-metrics`: the monitors and the objects they select, the nodes and their
    /// `nodes/metrics` subresource (kubelet, cAdvisor) when those are scraped, and
    /// `nonResourceURLs: [/metrics]` (get) for the API server, scheduler and
    /// controller-manager. Never `nodes/proxy`: the kubelet is scraped directly.
    pub fn metrics(spec: &AlloyMetricsSpec) -> Rules {
        let namespaced = vec![
            resources("monitoring.coreos.com", &["podmonitors", "servicemonitors"]),
            resources("", &["endpoints", "pods", "services"]),
            resources("discovery.k8s.io", &["endpointslices"]),
        ];
        let mut cluster = vec![resources("", &["namespaces"])];
        if spec.scrape_kubelet || spec.scrape_cadvisor {
            cluster.push(resources("", &["nodes"]));
            cluster.push(
                json!({ "apiGroups": [""], "resources": ["nodes/metrics"], "verbs": ["get"] }),
            );
        }
        let cp = &spec.control_plane;
        if cp.api_server || cp.scheduler || cp.controller_manager {
            cluster.push(json!({ "nonResourceURLs": ["/metrics"], "verbs": ["get"] }));
        }
        (namespaced, cluster)
    }
}

/// The chart's `rbac` values: one ClusterRole of exactly `namespaced` (`rbac.rules`) and
/// `cluster` (`rbac.clusterRules`), replacing the chart's defaults (which grant Secrets and
/// ConfigMaps cluster-wide). The chart's template concatenates the two lists and needs both
/// non-empty.
fn rbac(
    (namespaced, cluster): (Vec<serde_json::Value>, Vec<serde_json::Value>),
) -> serde_json::Value {
    debug_assert!(!namespaced.is_empty() && !cluster.is_empty());
    json!({ "create": true, "rules": namespaced, "clusterRules": cluster })
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
    needs: &write::PodNeeds,
    extra: serde_json::Value,
) -> serde_json::Value {
    let mut mounts = vec![json!({ "name": STORAGE_VOLUME, "mountPath": STORAGE_PATH })];
    mounts.extend(needs.mounts.iter().cloned());
    let mut values = json!({
        "configMap": { "content": config_text },
        "storagePath": STORAGE_PATH,
        "mounts": { "extra": mounts },
        "enableReporting": false,
        "securityContext": restricted_container(ALLOY_UID),
    });
    if !needs.env.is_empty() {
        values["extraEnv"] = json!(needs.env);
    }
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

/// The chart values every restricted collector shares around its controller, Alloy settings and
/// RBAC: its own ServiceMonitor (scraped by alloy-metrics) and the restricted pod and reloader
/// contexts.
fn restricted_collector(
    controller: serde_json::Value,
    alloy: serde_json::Value,
    rbac: serde_json::Value,
) -> serde_json::Value {
    let restricted = restricted_pod();
    json!({
        "controller": controller,
        "alloy": alloy,
        "serviceMonitor": { "enabled": true },
        "rbac": rbac,
        "global": restricted["global"],
        "configReloader": restricted["configReloader"],
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

/// The chart's `controller.volumes`: the data volume and the writers' CA bundles.
fn data_volume(needs: &write::PodNeeds) -> serde_json::Value {
    let mut volumes = vec![json!({ "name": STORAGE_VOLUME, "emptyDir": {} })];
    volumes.extend(needs.volumes.iter().cloned());
    json!({ "extra": volumes })
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
    let mut spec = object::from_json(values);
    object::merge(&mut spec, &Value::Mapping(extra.0.clone()));
    // The YAML value as it is: through serde it would pass serde_json and come back.
    let mut body = serde_yaml_ng::Mapping::with_capacity(1);
    body.insert("spec".into(), spec);
    object(
        ALLOY_API_VERSION,
        ALLOY_KIND,
        ctx.meta(name, Some(namespace)),
        Value::Mapping(body),
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
