//! The metric allow-lists keep every metric the stack's own queries read.
//!
//! The lists are read from what the stack deploys — the `prometheus.relabel` keep rules in the
//! `alloy-metrics` configuration (kubelet, cAdvisor, API server) and the charts' ServiceMonitor
//! `metricRelabelings` (kube-state-metrics, node-exporter) — and every PromQL expression from
//! the generated objects is parsed (`promql-parser`): the Grafana alert rules
//! (`GrafanaAlertRuleGroup`), and `PrometheusRule` and `GrafanaDashboard` objects when the stack
//! ships them. A metric an allow-list would drop fails the test, naming the rule or panel.
//!
//! Which list a selector goes through: the list of its `job="..."` matcher when that job has
//! one; without a job matcher, the list of the source whose metric family it is (`container_`
//! and `machine_` from cAdvisor, `kubelet_` from the kubelet, `kube_` from kube-state-metrics,
//! `node_` from node-exporter, `apiserver_` and `aggregator_` from the API server); `up` must
//! pass every list. Recording-rule outputs (names with `:`) are checked where they are recorded.

mod support;

use monitoring_stack::render;
use promql_parser::label::MatchOp;
use promql_parser::parser::{self, Expr, VectorSelector};
use serde_json::Value;
use std::collections::BTreeMap;

const EXAMPLES: &[&str] = &[
    "krm/examples/seed.yaml",
    "krm/examples/minimal.yaml",
    "krm/examples/grafana-alerting.yaml",
    "krm/examples/collectors-full.yaml",
];

/// Metric families by name prefix: (prefix, job of the source that exposes them).
const FAMILIES: &[(&str, &str)] = &[
    ("container_", "cadvisor"),
    ("machine_", "cadvisor"),
    ("kubelet_", "kubelet"),
    ("kube_", "kube-state-metrics"),
    ("node_", "node-exporter"),
    ("apiserver_", "apiserver"),
    ("aggregator_", "apiserver"),
];

fn objects(path: &str) -> Vec<Value> {
    support::render_example(path)
}

fn text<'a>(object: &'a Value, pointer: &str) -> &'a str {
    object
        .pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_default()
}

/// job → the metric names its allow-list keeps, as deployed.
fn deployed_lists(objects: &[Value]) -> BTreeMap<String, Vec<String>> {
    let mut lists = BTreeMap::new();
    for object in objects {
        match text(object, "/kind") {
            "Alloy" => {
                let config = text(object, "/spec/alloy/configMap/content");
                // `prometheus.relabel "<job>" { ... rule { source_labels = ["__name__"]
                // regex = "a|b" action = "keep" } }`: the generator names the relabel after
                // the job it filters.
                for block in config.split("prometheus.relabel \"").skip(1) {
                    let (job, body) = block.split_once('"').expect("label");
                    let body = body.split("\n}\n").next().unwrap_or_default();
                    assert!(body.contains("[\"__name__\"]") && body.contains("\"keep\""));
                    let regex = body
                        .lines()
                        .find_map(|l| l.trim().strip_prefix("regex"))
                        .and_then(|l| l.trim().strip_prefix('='))
                        .map(|l| l.trim().trim_matches('"'))
                        .expect("a regex");
                    lists.insert(job.to_string(), split(regex));
                }
            }
            "HelmRelease" => {
                let name = text(object, "/metadata/name");
                let relabelings = match name {
                    "kube-state-metrics" => {
                        object.pointer("/spec/values/prometheus/monitor/http/metricRelabelings")
                    }
                    "node-exporter" => {
                        object.pointer("/spec/values/prometheus/monitor/metricRelabelings")
                    }
                    _ => None,
                };
                for rule in relabelings.and_then(Value::as_array).into_iter().flatten() {
                    assert_eq!(text(rule, "/action"), "keep");
                    assert_eq!(rule["sourceLabels"], serde_json::json!(["__name__"]));
                    lists.insert(name.to_string(), split(text(rule, "/regex")));
                }
            }
            _ => {}
        }
    }
    lists
}

fn split(regex: &str) -> Vec<String> {
    regex.split('|').map(String::from).collect()
}

/// (where, PromQL) of every query the objects ship.
fn expressions(objects: &[Value]) -> Vec<(String, String)> {
    support::promql::shipped_expressions(objects)
}

fn selectors<'a>(expr: &'a Expr, out: &mut Vec<&'a VectorSelector>) {
    match expr {
        Expr::Aggregate(e) => {
            selectors(&e.expr, out);
            if let Some(p) = &e.param {
                selectors(p, out);
            }
        }
        Expr::Unary(e) => selectors(&e.expr, out),
        Expr::Binary(e) => {
            selectors(&e.lhs, out);
            selectors(&e.rhs, out);
        }
        Expr::Paren(e) => selectors(&e.expr, out),
        Expr::Subquery(e) => selectors(&e.expr, out),
        Expr::VectorSelector(vs) => out.push(vs),
        Expr::MatrixSelector(ms) => out.push(&ms.vs),
        Expr::Call(call) => call.args.args.iter().for_each(|a| selectors(a, out)),
        _ => {}
    }
}

fn metric_name(vs: &VectorSelector) -> Option<String> {
    vs.name.clone().or_else(|| {
        vs.matchers
            .matchers
            .iter()
            .find(|m| m.name == "__name__" && matches!(m.op, MatchOp::Equal))
            .map(|m| m.value.clone())
    })
}

fn job(vs: &VectorSelector) -> Option<&str> {
    vs.matchers
        .matchers
        .iter()
        .find(|m| m.name == "job" && matches!(m.op, MatchOp::Equal))
        .map(|m| m.value.as_str())
}

/// The problems of one rendered stack, and the number of (expression, metric) pairs checked.
fn check(objects: &[Value]) -> (Vec<String>, usize) {
    let lists = deployed_lists(objects);
    let mut problems = Vec::new();
    let mut checked = 0;
    for (at, expr) in expressions(objects) {
        let parsed = match parser::parse(&expr) {
            Ok(parsed) => parsed,
            Err(e) => {
                problems.push(format!("{at}: does not parse as PromQL ({e}): {expr}"));
                continue;
            }
        };
        let mut found = Vec::new();
        selectors(&parsed, &mut found);
        for vs in found {
            let Some(metric) = metric_name(vs) else {
                continue;
            };
            if metric.contains(':') {
                continue;
            }
            checked += 1;
            let through: Vec<&str> = match job(vs) {
                Some(job) if lists.contains_key(job) => vec![job],
                Some(_) => Vec::new(),
                None if metric == "up" => lists.keys().map(String::as_str).collect(),
                None => FAMILIES
                    .iter()
                    .filter(|(prefix, _)| metric.starts_with(prefix))
                    .map(|(_, job)| *job)
                    .filter(|job| lists.contains_key(*job))
                    .collect(),
            };
            for job in through {
                if !lists[job].contains(&metric) {
                    problems.push(format!(
                        "{at}: reads {metric}, which the {job} allow-list drops: add it to the list in src/stack/allow_lists.rs"
                    ));
                }
            }
        }
    }
    (problems, checked)
}

#[test]
fn allow_lists_keep_every_metric_the_shipped_queries_read() {
    for example in EXAMPLES {
        let objects = objects(example);
        let lists = deployed_lists(&objects);
        let (problems, checked) = check(&objects);
        assert!(problems.is_empty(), "{example}:\n{}", problems.join("\n"));
        assert!(
            checked > 0,
            "{example}: no shipped expression read a metric"
        );
        eprintln!(
            "{example}: {checked} metric reads checked against {} allow-lists ({})",
            lists.len(),
            lists
                .iter()
                .map(|(job, names)| format!("{job}: {}", names.len()))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
}

#[test]
fn every_allow_listed_source_is_filtered_by_default() {
    let lists = deployed_lists(&objects("krm/examples/collectors-full.yaml"));
    let jobs: Vec<&str> = lists.keys().map(String::as_str).collect();
    assert_eq!(
        jobs,
        [
            "apiserver",
            "cadvisor",
            "kube-state-metrics",
            "kubelet",
            "node-exporter"
        ]
    );
    for (job, names) in &lists {
        assert!(names.contains(&"up".to_string()), "{job} drops up");
    }
    // The example's additions are in.
    assert!(lists["cadvisor"].contains(&"container_oom_events_total".to_string()));
    assert!(lists["kube-state-metrics"].contains(&"kube_pod_labels".to_string()));
    assert!(lists["node-exporter"].contains(&"node_pressure_cpu_waiting_seconds_total".to_string()));
}

#[test]
fn a_dropped_metric_fails_the_check() {
    // The check itself: a rule reading a metric outside the lists is reported.
    let mut objects = objects("krm/examples/seed.yaml");
    let rule_group = objects
        .iter_mut()
        .find(|o| text(o, "/kind") == "GrafanaAlertRuleGroup")
        .expect("a rule group");
    rule_group["spec"]["rules"][0]["data"][0]["model"]["expr"] =
        Value::String("sum(rate(container_cpu_load_average_10s[5m])) + sum(node_entropy_available_bits{job=\"node-exporter\"})".into());
    let (problems, _) = check(&objects);
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(
        problems[0].contains("container_cpu_load_average_10s") && problems[0].contains("cadvisor")
    );
    assert!(problems[1].contains("node_entropy_available_bits"));
}

#[test]
fn switching_the_lists_off_keeps_everything() {
    let input = "apiVersion: monitoring-stack.dev/v1alpha1\nkind: MonitoringStack\nmetadata:\n  name: main\nspec:\n  grafana:\n    hostname: g.example.com\n  alloy:\n    metrics:\n      allowLists:\n        enabled: false\n";
    let objects: Vec<Value> = render(input.as_bytes())
        .expect("renders")
        .into_iter()
        .map(|o| support::yaml_to_json(o).expect("JSON"))
        .collect();
    assert!(deployed_lists(&objects).is_empty());
    let metrics = objects
        .iter()
        .find(|o| text(o, "/metadata/name") == "alloy-metrics")
        .expect("alloy-metrics");
    assert!(!text(metrics, "/spec/alloy/configMap/content").contains("prometheus.relabel"));
}
