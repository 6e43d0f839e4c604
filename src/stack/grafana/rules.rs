//! `GrafanaAlertRuleGroup`s: the stack's own rules (is data arriving, are Loki and Mimir
//! ingesting, are collectors sending, are disks filling, are the stack's pods healthy) and the
//! users' groups from the spec. Both are built from one model, [`Rule`]: an instant query (`A`)
//! on the Mimir or Loki datasource, by its stable uid, and a threshold expression (`B`) that is
//! the rule's condition.
//!
//! A default rule exists only when what it watches is deployed (Loki rules need Loki, rules on
//! kube-state-metrics series need kube-state-metrics, ...). Rules over metrics that may not be
//! scraped (Loki's and Mimir's own) use `noDataState: OK`: no series, no problem. The two
//! "nothing arrives" rules use `noDataState: Alerting`: silence is the problem they look for.

use super::alerting::STACK_FOLDER;
use super::{instance_selector, namespace, InstanceSelector, GRAFANA_API, LOKI_UID, MIMIR_UID};
use crate::json::json;
use crate::spec::{AlertingSpec, NoDataState, RuleDatasource, RuleGroupSpec, Severity};
use crate::stack::object::object;
use crate::stack::Context;
use serde::Serialize;
use serde_yaml_ng::Value;
use std::collections::{BTreeMap, BTreeSet};

/// The uid Grafana gives server-side expressions.
const EXPRESSION_UID: &str = "__expr__";
/// How far back each query looks (seconds); covers the widest range in the default rules'
/// selectors except `predict_linear`'s, which reads its own range.
const QUERY_WINDOW: u32 = 600;

/// When a series fires.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Threshold {
    Above(f64),
    Below(f64),
}

/// One alert rule, default or from the spec.
#[derive(Debug, Clone)]
pub struct Rule {
    pub uid: String,
    pub title: String,
    pub datasource: RuleDatasource,
    pub expr: String,
    pub threshold: Threshold,
    pub for_duration: String,
    pub severity: Severity,
    pub summary: String,
    pub description: Option<String>,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    pub no_data_state: NoDataState,
}

/// One rule group: one `GrafanaAlertRuleGroup` object.
#[derive(Debug, Clone)]
pub struct Group {
    pub name: String,
    pub folder: String,
    /// Evaluation interval, as a Go duration.
    pub interval: String,
    pub rules: Vec<Rule>,
}

pub fn objects(ctx: &Context) -> Vec<Value> {
    groups(ctx).iter().map(|g| group_object(ctx, g)).collect()
}

/// The folders the groups live in (each becomes a `GrafanaFolder`).
pub fn folders(ctx: &Context) -> BTreeSet<String> {
    crate::collections::set_of(groups(ctx).into_iter().map(|g| g.folder))
}

/// Default groups first, then the spec's, in spec order.
pub fn groups(ctx: &Context) -> Vec<Group> {
    let alerting = &ctx.spec().grafana.alerting;
    let mut out = Vec::new();
    if alerting.default_rules {
        out.extend(default_groups(ctx));
    }
    out.extend(alerting.rule_groups.iter().map(user_group));
    out
}

fn user_group(spec: &RuleGroupSpec) -> Group {
    let rules = spec
        .rules
        .iter()
        .map(|rule| {
            let threshold = match (rule.above, rule.below) {
                (None, Some(below)) => Threshold::Below(below),
                (above, _) => Threshold::Above(above.unwrap_or(0.0)),
            };
            Rule {
                uid: rule.uid.to_string(),
                title: rule.title.clone(),
                datasource: rule.datasource,
                expr: rule.expr.to_string(),
                threshold,
                for_duration: rule.for_duration.to_string(),
                severity: rule.severity,
                summary: rule.summary.clone().unwrap_or_else(|| rule.title.clone()),
                description: rule.description.clone(),
                labels: crate::collections::map_of(
                    rule.labels.iter().map(|(k, v)| (k.to_string(), v.clone())),
                ),
                annotations: crate::collections::map_of(
                    rule.annotations
                        .iter()
                        .map(|(k, v)| (k.to_string(), v.clone())),
                ),
                no_data_state: rule.no_data_state,
            }
        })
        .collect();
    Group {
        name: spec.name.to_string(),
        folder: spec
            .folder
            .as_ref()
            .map_or(STACK_FOLDER.to_string(), |f| f.to_string()),
        interval: spec.interval.to_go_duration(),
        rules,
    }
}

/// A default rule with the common parts filled in.
#[allow(clippy::too_many_arguments)]
fn rule(
    uid: &str,
    title: &str,
    component: &str,
    datasource: RuleDatasource,
    expr: String,
    threshold: Threshold,
    for_duration: &str,
    severity: Severity,
    no_data_state: NoDataState,
    summary: &str,
    description: &str,
) -> Rule {
    Rule {
        uid: format!("{}{uid}", AlertingSpec::RESERVED_PREFIX),
        title: title.to_string(),
        datasource,
        expr,
        threshold,
        for_duration: for_duration.to_string(),
        severity,
        summary: summary.to_string(),
        description: Some(description.to_string()),
        labels: crate::collections::map_of([("component".to_string(), component.to_string())]),
        annotations: BTreeMap::new(),
        no_data_state,
    }
}

/// The stack's own rules, grouped by concern; a group without rules is left out.
pub fn default_groups(ctx: &Context) -> Vec<Group> {
    use NoDataState::{Alerting, OK};
    use RuleDatasource::{Loki, Mimir};
    use Severity::{Critical, Warning};
    use Threshold::{Above, Below};
    let spec = ctx.spec();
    let mimir = spec.mimir.enabled;
    let loki = spec.loki.enabled;
    let alloy_metrics = spec.alloy.enabled && spec.alloy.metrics.runs(mimir);
    let alloy_logs = spec.alloy.enabled && spec.alloy.logs.runs(loki);
    let alloy_ns = spec.alloy.namespace.as_str();
    let stack_ns = stack_namespaces(ctx);

    let mut collection = Vec::new();
    if mimir && alloy_metrics {
        collection.push(rule(
            "metrics-missing",
            "No metrics arriving in Mimir",
            "alloy",
            Mimir,
            "sum(count_over_time(up[5m]))".into(),
            Below(1.0),
            "5m",
            Critical,
            Alerting,
            "No samples have reached Mimir for at least 10 minutes",
            &format!("alloy-metrics (namespace {alloy_ns}) is not sending, or Mimir is not ingesting: check the alloy-metrics pods and the Mimir distributors and ingesters."),
        ));
        collection.push(rule(
            "target-down",
            "Scrape target down",
            "alloy",
            Mimir,
            "min by (namespace, job, instance) (up)".into(),
            Below(1.0),
            "10m",
            Warning,
            OK,
            "{{ $labels.job }} target {{ $labels.instance }} in {{ $labels.namespace }} is down",
            "alloy-metrics cannot scrape this target: the pod is down, its metrics port changed, or a NetworkPolicy blocks the scrape.",
        ));
        collection.push(rule(
            "remote-write-failing",
            "Collector failing to send metrics",
            "alloy",
            Mimir,
            "sum by (namespace, pod) (rate(prometheus_remote_storage_samples_failed_total[5m]))"
                .into(),
            Above(0.0),
            "15m",
            Warning,
            OK,
            "{{ $labels.pod }} fails to write samples to Mimir",
            "Samples are rejected or lost on the way to mimir-gateway: check the collector's logs and Mimir's limits.",
        ));
    }
    if loki && alloy_logs {
        collection.push(rule(
            "logs-missing",
            "No logs arriving in Loki",
            "alloy",
            Loki,
            "sum(count_over_time({namespace=~\".+\"}[5m]))".into(),
            Below(1.0),
            "10m",
            Critical,
            Alerting,
            "No log lines have reached Loki for at least 15 minutes",
            &format!("alloy-logs (namespace {alloy_ns}) is not sending, or Loki is not ingesting: check the alloy-logs pods and the Loki distributors and ingesters."),
        ));
    }
    if mimir && loki && alloy_logs && alloy_metrics {
        collection.push(rule(
            "log-push-failing",
            "Collector dropping log lines",
            "alloy",
            Mimir,
            "sum by (namespace, pod) (rate(loki_write_dropped_entries_total[5m]))".into(),
            Above(0.0),
            "15m",
            Warning,
            OK,
            "{{ $labels.pod }} drops log lines it cannot send to Loki",
            "loki.write gives up on batches: check the collector's logs and Loki's rate limits.",
        ));
    }

    let mut ingestion = Vec::new();
    if mimir && loki {
        ingestion.push(rule(
            "loki-request-errors",
            "Loki requests failing",
            "loki",
            Mimir,
            "100 * sum by (namespace, job, route) (rate(loki_request_duration_seconds_count{status_code=~\"5..\"}[5m])) / sum by (namespace, job, route) (rate(loki_request_duration_seconds_count[5m]))".into(),
            Above(5.0),
            "15m",
            Critical,
            OK,
            "{{ $labels.job }} fails {{ printf \"%.1f\" $values.A.Value }}% of {{ $labels.route }} requests",
            "More than 5% of Loki's requests on this route end in a server error: pushes or queries are failing.",
        ));
        ingestion.push(rule(
            "loki-discarding",
            "Loki discarding log lines",
            "loki",
            Mimir,
            "sum by (namespace, reason) (rate(loki_discarded_samples_total[5m]))".into(),
            Above(0.0),
            "15m",
            Warning,
            OK,
            "Loki discards log lines: {{ $labels.reason }}",
            "Loki rejects incoming lines (rate limits, too old, too long): raise the limit or fix the sender.",
        ));
    }
    if mimir {
        ingestion.push(rule(
            "mimir-request-errors",
            "Mimir requests failing",
            "mimir",
            Mimir,
            "100 * sum by (namespace, job, route) (rate(cortex_request_duration_seconds_count{status_code=~\"5..\", route!~\"ready|debug_pprof\"}[5m])) / sum by (namespace, job, route) (rate(cortex_request_duration_seconds_count{route!~\"ready|debug_pprof\"}[5m]))".into(),
            Above(5.0),
            "15m",
            Critical,
            OK,
            "{{ $labels.job }} fails {{ printf \"%.1f\" $values.A.Value }}% of {{ $labels.route }} requests",
            "More than 5% of Mimir's requests on this route end in a server error: writes or queries are failing.",
        ));
        ingestion.push(rule(
            "mimir-discarding",
            "Mimir discarding samples",
            "mimir",
            Mimir,
            "sum by (namespace, reason) (rate(cortex_discarded_samples_total[5m]))".into(),
            Above(0.0),
            "15m",
            Warning,
            OK,
            "Mimir discards samples: {{ $labels.reason }}",
            "Mimir rejects incoming samples (limits, out of order, too old): raise the tenant's limit or fix the sender.",
        ));
    }

    let mut storage = Vec::new();
    if mimir {
        storage.push(rule(
            "volume-filling",
            "Volume almost full",
            "storage",
            Mimir,
            format!("100 * min by (namespace, persistentvolumeclaim) (kubelet_volume_stats_available_bytes{{namespace=~\"{stack_ns}\"}} / kubelet_volume_stats_capacity_bytes{{namespace=~\"{stack_ns}\"}})"),
            Below(10.0),
            "5m",
            Critical,
            OK,
            "{{ $labels.persistentvolumeclaim }} in {{ $labels.namespace }} has {{ printf \"%.1f\" $values.A.Value }}% space left",
            "A stack volume is almost full: grow the PVC (persistence.size) or shorten the retention.",
        ));
        storage.push(rule(
            "volume-filling-fast",
            "Volume full within 4 days",
            "storage",
            Mimir,
            format!("min by (namespace, persistentvolumeclaim) (predict_linear(kubelet_volume_stats_available_bytes{{namespace=~\"{stack_ns}\"}}[6h], 4 * 24 * 3600))"),
            Below(0.0),
            "1h",
            Warning,
            OK,
            "{{ $labels.persistentvolumeclaim }} in {{ $labels.namespace }} fills up within 4 days",
            "At the rate of the last 6 hours this volume is full in less than 4 days.",
        ));
    }
    if mimir && spec.node_exporter.enabled {
        let filesystems = "fstype!~\"tmpfs|overlay|squashfs|ramfs|nsfs\", mountpoint!~\"/(run|var/lib/kubelet)/.*\"";
        storage.push(rule(
            "node-disk-filling",
            "Node filesystem almost full",
            "storage",
            Mimir,
            format!("100 * min by (instance, mountpoint) (node_filesystem_avail_bytes{{{filesystems}}} / node_filesystem_size_bytes{{{filesystems}}})"),
            Below(10.0),
            "15m",
            Warning,
            OK,
            "{{ $labels.mountpoint }} on {{ $labels.instance }} has {{ printf \"%.1f\" $values.A.Value }}% space left",
            "A node filesystem is almost full: local volumes, images and logs on it will fail to write.",
        ));
    }

    let mut workloads = Vec::new();
    if mimir && spec.kube_state_metrics.enabled {
        workloads.push(rule(
            "pod-crash-looping",
            "Stack pod restarting",
            "kubernetes",
            Mimir,
            format!("max by (namespace, pod, container) (increase(kube_pod_container_status_restarts_total{{namespace=~\"{stack_ns}\"}}[15m]))"),
            Above(2.0),
            "5m",
            Warning,
            OK,
            "{{ $labels.container }} in {{ $labels.namespace }}/{{ $labels.pod }} restarted {{ printf \"%.0f\" $values.A.Value }} times in 15 minutes",
            "A container of the monitoring stack keeps restarting: read its previous logs (kubectl logs --previous).",
        ));
        workloads.push(rule(
            "replicas-unavailable",
            "Stack workload has unavailable replicas",
            "kubernetes",
            Mimir,
            format!("max by (namespace, deployment) (kube_deployment_spec_replicas{{namespace=~\"{stack_ns}\"}} - kube_deployment_status_replicas_available{{namespace=~\"{stack_ns}\"}}) or max by (namespace, statefulset) (kube_statefulset_replicas{{namespace=~\"{stack_ns}\"}} - kube_statefulset_status_replicas_ready{{namespace=~\"{stack_ns}\"}})"),
            Above(0.0),
            "15m",
            Warning,
            OK,
            "{{ $labels.namespace }}/{{ $labels.deployment }}{{ $labels.statefulset }} is missing {{ printf \"%.0f\" $values.A.Value }} replicas",
            "Replicas of a stack workload have not been ready for 15 minutes: check scheduling, image pulls and probes.",
        ));
    }

    [
        ("collection", collection),
        ("ingestion", ingestion),
        ("storage", storage),
        ("workloads", workloads),
    ]
    .into_iter()
    .filter(|(_, rules)| !rules.is_empty())
    .map(|(name, rules)| Group {
        name: format!("{}{name}", AlertingSpec::RESERVED_PREFIX),
        folder: STACK_FOLDER.to_string(),
        interval: "1m".to_string(),
        rules,
    })
    .collect()
}

/// A regex alternation of the namespaces the stack runs in (DNS labels: no escaping needed).
fn stack_namespaces(ctx: &Context) -> String {
    let spec = ctx.spec();
    let namespaces: BTreeSet<&str> = crate::collections::set_of(
        [
            (
                spec.grafana_operator.enabled,
                &spec.grafana_operator.namespace,
            ),
            (spec.grafana.enabled, &spec.grafana.namespace),
            (spec.loki.enabled, &spec.loki.namespace),
            (spec.mimir.enabled, &spec.mimir.namespace),
            (spec.alloy_operator.enabled, &spec.alloy_operator.namespace),
            (spec.alloy.enabled, &spec.alloy.namespace),
            (
                spec.kube_state_metrics.enabled,
                &spec.kube_state_metrics.namespace,
            ),
            (spec.node_exporter.enabled, &spec.node_exporter.namespace),
        ]
        .into_iter()
        .filter(|(enabled, _)| *enabled)
        .map(|(_, namespace)| namespace.as_str()),
    );
    namespaces.into_iter().collect::<Vec<_>>().join("|")
}

fn group_object(ctx: &Context, group: &Group) -> Value {
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Spec<'a> {
        instance_selector: InstanceSelector,
        name: &'a str,
        folder_ref: &'a str,
        interval: &'a str,
        // `rules` comes last, added below as JSON values are: through serde each rule was
        // rebuilt key by key.
    }
    #[derive(Serialize)]
    struct Body<'a> {
        spec: Spec<'a>,
    }
    let mut body = crate::stack::object::to_json(&Body {
        spec: Spec {
            instance_selector: instance_selector(ctx),
            name: &group.name,
            folder_ref: &group.folder,
            interval: &group.interval,
        },
    });
    body["spec"]["rules"] = serde_json::Value::Array(group.rules.iter().map(rule_json).collect());
    object(
        GRAFANA_API,
        "GrafanaAlertRuleGroup",
        ctx.meta(&group.name, Some(namespace(ctx))),
        body,
    )
}

/// The datasource uid and Grafana plugin type of a rule's query.
pub fn datasource_of(datasource: RuleDatasource) -> (&'static str, &'static str) {
    match datasource {
        RuleDatasource::Mimir => (MIMIR_UID, "prometheus"),
        RuleDatasource::Loki => (LOKI_UID, "loki"),
    }
}

fn number(value: f64) -> serde_json::Value {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        json!(value as i64)
    } else {
        json!(value)
    }
}

/// A Grafana-managed rule: query `A`, threshold `B` (the condition).
fn rule_json(rule: &Rule) -> serde_json::Value {
    let (uid, kind) = datasource_of(rule.datasource);
    let mut query = json!({
        "refId": "A",
        "datasource": { "type": kind, "uid": uid },
        "expr": rule.expr,
        "intervalMs": 60000,
        "maxDataPoints": 43200,
    });
    match rule.datasource {
        RuleDatasource::Mimir => {
            query["instant"] = json!(true);
            query["range"] = json!(false);
        }
        RuleDatasource::Loki => query["queryType"] = json!("instant"),
    }
    let (evaluator, value) = match rule.threshold {
        Threshold::Above(v) => ("gt", v),
        Threshold::Below(v) => ("lt", v),
    };
    let condition = json!({
        "refId": "B",
        "type": "threshold",
        "expression": "A",
        "datasource": { "type": EXPRESSION_UID, "uid": EXPRESSION_UID },
        "conditions": [{ "evaluator": { "type": evaluator, "params": [number(value)] } }],
    });
    let mut labels = rule.labels.clone();
    labels.insert("severity".into(), severity_name(rule.severity).into());
    let mut annotations = rule.annotations.clone();
    annotations.insert("summary".into(), rule.summary.clone());
    if let Some(description) = &rule.description {
        annotations.insert("description".into(), description.clone());
    }
    let window = json!({ "from": QUERY_WINDOW, "to": 0 });
    json!({
        "uid": rule.uid,
        "title": rule.title,
        "condition": "B",
        "data": [
            { "refId": "A", "datasourceUid": uid, "relativeTimeRange": window, "model": query },
            {
                "refId": "B",
                "datasourceUid": EXPRESSION_UID,
                "relativeTimeRange": window,
                "model": condition,
            },
        ],
        "for": rule.for_duration,
        "noDataState": no_data_name(rule.no_data_state),
        "execErrState": "Error",
        "labels": labels,
        "annotations": annotations,
    })
}

fn severity_name(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "critical",
        Severity::Warning => "warning",
        Severity::Info => "info",
    }
}

fn no_data_name(state: NoDataState) -> &'static str {
    match state {
        NoDataState::OK => "OK",
        NoDataState::NoData => "NoData",
        NoDataState::Alerting => "Alerting",
        NoDataState::KeepLast => "KeepLast",
    }
}
