//! Issue 18: the vendored mixins and what the stack ships from them.
//!
//! - `vendored_files_match_the_transform`: `vendor/mixins/` holds exactly what its offline
//!   transform step (`vendor.sh transform`) makes of the raw upstream files (needs python3 with
//!   PyYAML: SKIPPED without, failing under CI);
//! - `shipped_queries_match_the_collection`: every `GrafanaDashboard` the default stack ships
//!   decodes (`gzipJson`) to a JSON model naming only our datasource uids; every PromQL
//!   expression in it and in every shipped `PrometheusRule` parses (promql-parser), selects only
//!   `job`s the collectors produce, and reads only series a shipped rule records or a deployed
//!   component exports (an allow-list of metric name prefixes per scraped component, below:
//!   exact metric lists are not knowable offline); every LogQL stream selector uses only labels
//!   `alloy-logs` attaches. It prints the numbers checked.

mod support;

use support::promql::{datasource_uid, gunzip, substitute, walk_panels};

use base64::Engine as _;
use monitoring_stack::render;
use promql_parser::label::MatchOp;
use promql_parser::parser::{self, Expr, VectorSelector};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn files_under(dir: &Path) -> BTreeSet<PathBuf> {
    let mut out = BTreeSet::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("readable dir").flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.insert(path.strip_prefix(dir).expect("under dir").to_path_buf());
            }
        }
    }
    out
}

#[test]
fn vendored_files_match_the_transform() {
    let python = Command::new("python3")
        .args(["-c", "import yaml"])
        .status()
        .is_ok_and(|s| s.success());
    if !python {
        assert!(!support::running_in_ci(), "python3 with PyYAML is needed");
        eprintln!("SKIPPED: python3 with PyYAML not found");
        return;
    }
    let vendor = repo().join("vendor/mixins");
    let out = std::env::temp_dir().join(format!("mixins-transform-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    std::fs::create_dir_all(&out).expect("scratch dir");
    let status = Command::new(vendor.join("vendor.sh"))
        .arg("transform")
        .arg(&out)
        .status()
        .expect("vendor.sh runs");
    assert!(status.success(), "vendor.sh transform failed");
    let mut compared = 0;
    for sub in ["dashboards", "rules"] {
        let produced = files_under(&out.join(sub));
        let committed = files_under(&vendor.join(sub));
        assert_eq!(produced, committed, "files of vendor/mixins/{sub}");
        for file in produced {
            let a = std::fs::read(out.join(sub).join(&file)).expect("produced");
            let b = std::fs::read(vendor.join(sub).join(&file)).expect("committed");
            // gzip bytes may differ between zlib builds: compare what they hold.
            let (a, b) = if file.extension().is_some_and(|e| e == "gz") {
                (gunzip(&a), gunzip(&b))
            } else {
                (a, b)
            };
            assert!(a == b, "vendor/mixins/{sub}/{} differs from the transform's output: run vendor/mixins/vendor.sh transform", file.display());
            compared += 1;
        }
    }
    let a = std::fs::read(out.join("vendored.rs")).expect("produced");
    let b = std::fs::read(vendor.join("vendored.rs")).expect("committed");
    assert!(
        a == b,
        "vendor/mixins/vendored.rs differs: run vendor/mixins/vendor.sh transform"
    );
    let _ = std::fs::remove_dir_all(&out);
    eprintln!(
        "vendor/mixins: {} files equal the transform's output",
        compared + 1
    );
}

// ---------------------------------------------------------------------------------------------

/// Jobs the default stack's collectors produce: alloy-metrics' own scrapes, the exporters'
/// ServiceMonitors (job = Service name), Alloy, the operators and Grafana; Loki's and Mimir's
/// ServiceMonitors relabel `job` to `<namespace>/<component>` (checked by [`job_known`]).
const JOBS: &[&str] = &[
    "kubelet",
    "cadvisor",
    "node-exporter",
    "kube-state-metrics",
    "alloy-logs",
    "alloy-metrics",
    "alloy-operator",
    "grafana-operator",
    "grafana-service",
];

fn job_known(job: &str) -> bool {
    JOBS.contains(&job)
        || job
            .split_once('/')
            .is_some_and(|(ns, component)| matches!(ns, "loki" | "mimir") && !component.is_empty())
}

/// Metric name prefixes each scraped component exports (its documentation's metric families;
/// the exact list depends on the running version and is not knowable offline).
const PREFIXES: &[(&str, &[&str])] = &[
    ("scrape (synthetic)", &["up", "scrape_"]),
    ("ruler (synthetic)", &["ALERTS", "ALERTS_FOR_STATE"]),
    (
        "kubelet",
        &[
            "kubelet_",
            "storage_operation_",
            "volume_manager_",
            "rest_client_",
            "kubernetes_build_info",
        ],
    ),
    ("cadvisor", &["container_", "machine_"]),
    ("node-exporter", &["node_"]),
    ("kube-state-metrics", &["kube_"]),
    (
        "mimir",
        &[
            "cortex_",
            "thanos_",
            "mimir_",
            "memberlist_",
            "alertmanager_",
        ],
    ),
    ("loki", &["loki_", "querier_", "promtail_"]),
    (
        "alloy",
        &["alloy_", "prometheus_", "loki_", "cluster_", "otelcol_"],
    ),
    ("every Go process", &["go_", "process_"]),
];

fn exported(metric: &str) -> bool {
    PREFIXES.iter().any(|(_, prefixes)| {
        prefixes
            .iter()
            .any(|p| metric == *p || (p.ends_with('_') && metric.starts_with(p)))
    })
}

fn selectors<'a>(expr: &'a Expr, out: &mut Vec<&'a VectorSelector>) {
    match expr {
        Expr::Aggregate(a) => {
            selectors(&a.expr, out);
            if let Some(p) = &a.param {
                selectors(p, out);
            }
        }
        Expr::Unary(u) => selectors(&u.expr, out),
        Expr::Binary(b) => {
            selectors(&b.lhs, out);
            selectors(&b.rhs, out);
        }
        Expr::Paren(p) => selectors(&p.expr, out),
        Expr::Subquery(s) => selectors(&s.expr, out),
        Expr::VectorSelector(v) => out.push(v),
        Expr::MatrixSelector(m) => out.push(&m.vs),
        Expr::Call(c) => c.args.args.iter().for_each(|a| selectors(a, out)),
        _ => {}
    }
}

#[derive(Default)]
struct Report {
    expressions: usize,
    failures: Vec<String>,
}

impl Report {
    fn promql(&mut self, source: &str, expr: &str, recorded: &BTreeSet<String>) {
        self.expressions += 1;
        let text = substitute(expr);
        let ast = match parser::parse(&text) {
            Ok(ast) => ast,
            Err(e) => {
                self.failures
                    .push(format!("{source}: does not parse ({e}): {text}"));
                return;
            }
        };
        let mut found = Vec::new();
        selectors(&ast, &mut found);
        for vs in found {
            let name = vs.name.clone().or_else(|| {
                vs.matchers
                    .matchers
                    .iter()
                    .find(|m| m.name == "__name__" && m.op == MatchOp::Equal)
                    .map(|m| m.value.clone())
            });
            if let Some(name) = name {
                if !recorded.contains(&name) && !exported(&name) {
                    self.failures.push(format!("{source}: reads {name}, which no shipped rule records and no deployed component exports"));
                }
            }
            for m in vs.matchers.matchers.iter().filter(|m| m.name == "job") {
                let literal = !m.value.contains('$') && !m.value.contains("grafana_variable");
                match &m.op {
                    MatchOp::Equal if literal && !job_known(&m.value) => {
                        self.failures.push(format!(
                            "{source}: selects job {:?}, which no collector produces",
                            m.value
                        ))
                    }
                    MatchOp::Re(re)
                        if literal
                            && !JOBS
                                .iter()
                                .chain(
                                    [
                                        "loki/distributor",
                                        "mimir/distributor",
                                        "mimir/ingester",
                                        "loki/ingester",
                                        "loki/querier",
                                        "mimir/querier",
                                    ]
                                    .iter(),
                                )
                                .any(|j| re.is_match(j)) =>
                    {
                        self.failures.push(format!(
                            "{source}: job =~ {:?} matches no job the collectors produce",
                            m.value
                        ))
                    }
                    _ => {}
                }
            }
        }
    }

    fn logql(&mut self, source: &str, expr: &str) {
        const STREAM_LABELS: &[&str] = &["namespace", "pod", "container", "app", "job", "cluster"];
        self.expressions += 1;
        let text = expr.replace("{{", "").replace("}}", "");
        let mut rest = text.as_str();
        let mut any = false;
        while let Some(start) = rest.find('{') {
            let Some(len) = rest[start..].find('}') else {
                break;
            };
            let selector = &rest[start + 1..start + len];
            any = true;
            for part in selector.split(',') {
                let label = part.split(['=', '!']).next().unwrap_or_default().trim();
                if !label.is_empty() && !STREAM_LABELS.contains(&label) {
                    self.failures.push(format!(
                        "{source}: stream label {label:?} is not one alloy-logs attaches"
                    ));
                }
            }
            rest = &rest[start + len..];
        }
        if !any {
            self.failures
                .push(format!("{source}: no stream selector in {expr:?}"));
        }
    }
}

fn uids_in(value: &Value, out: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            for (key, item) in map {
                if key == "datasource" {
                    if let Some(uid) = datasource_uid(Some(item)) {
                        out.insert(uid);
                    }
                }
                uids_in(item, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|i| uids_in(i, out)),
        _ => {}
    }
}

#[test]
fn shipped_queries_match_the_collection() {
    let input = std::fs::read(repo().join("krm/examples/seed.yaml")).expect("seed example");
    let objects: Vec<Value> = render(&input)
        .expect("seed renders")
        .into_iter()
        .map(|o| support::yaml_to_json(o).expect("JSON-compatible"))
        .collect();
    let of_kind =
        |kind: &str| -> Vec<&Value> { objects.iter().filter(|o| o["kind"] == kind).collect() };
    let rules = of_kind("PrometheusRule");
    let dashboards = of_kind("GrafanaDashboard");
    assert!(!rules.is_empty() && !dashboards.is_empty());

    let mut recorded = BTreeSet::new();
    let mut rule_count = 0;
    for object in &rules {
        for group in object["spec"]["groups"].as_array().expect("groups") {
            for rule in group["rules"].as_array().expect("rules") {
                rule_count += 1;
                if let Some(name) = rule["record"].as_str() {
                    recorded.insert(name.to_string());
                }
            }
        }
    }

    let mut report = Report::default();
    for object in &rules {
        let name = object["metadata"]["name"].as_str().unwrap_or_default();
        for group in object["spec"]["groups"].as_array().expect("groups") {
            for rule in group["rules"].as_array().expect("rules") {
                let id = rule["record"]
                    .as_str()
                    .or(rule["alert"].as_str())
                    .unwrap_or_default();
                let expr = match &rule["expr"] {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                report.promql(&format!("PrometheusRule {name} {id}"), &expr, &recorded);
            }
        }
    }

    let ours: BTreeSet<&str> = [
        "mimir",
        "loki",
        "-- Mixed --",
        "-- Grafana --",
        "-- Dashboard --",
        "grafana",
    ]
    .into();
    let mut panel_count = 0;
    let mut per_area: BTreeMap<String, usize> = BTreeMap::new();
    for object in &dashboards {
        let name = object["metadata"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let Some(gzip) = object["spec"]["gzipJson"].as_str() else {
            continue; // users' own dashboards: not ours to check
        };
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(gzip)
            .expect("gzipJson is base64");
        let model: Value = serde_json::from_slice(&gunzip(&bytes)).expect("dashboard JSON parses");
        *per_area
            .entry(
                object["spec"]["folderRef"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            )
            .or_default() += 1;
        let mut uids = BTreeSet::new();
        uids_in(&model, &mut uids);
        for uid in &uids {
            if !ours.contains(uid.as_str()) {
                report
                    .failures
                    .push(format!("dashboard {name}: names datasource uid {uid:?}"));
            }
        }
        let mut panels = Vec::new();
        walk_panels(
            model["panels"].as_array().map_or(&[][..], Vec::as_slice),
            &mut panels,
        );
        for panel in panels {
            if panel["type"] != "row" {
                panel_count += 1;
            }
            let panel_uid = datasource_uid(panel.get("datasource"));
            for target in panel["targets"].as_array().map_or(&[][..], Vec::as_slice) {
                let Some(expr) = target["expr"].as_str().filter(|e| !e.trim().is_empty()) else {
                    continue;
                };
                let uid = datasource_uid(target.get("datasource")).or(panel_uid.clone());
                let source = format!(
                    "dashboard {name} panel {:?}",
                    panel["title"].as_str().unwrap_or_default()
                );
                if uid.as_deref() == Some("loki") {
                    report.logql(&source, expr);
                } else {
                    report.promql(&source, expr, &recorded);
                }
            }
        }
        for variable in model["templating"]["list"]
            .as_array()
            .map_or(&[][..], Vec::as_slice)
        {
            let query = variable["query"]
                .as_str()
                .or(variable["query"]["query"].as_str())
                .unwrap_or_default();
            let inner = query
                .strip_prefix("label_values(")
                .or(query.strip_prefix("query_result("))
                .and_then(|q| q.strip_suffix(')'));
            if let (Some(inner), "query") = (inner, variable["type"].as_str().unwrap_or_default()) {
                // label_values(selector, label): the selector part.
                let selector = match inner.rsplit_once(',') {
                    Some((s, label))
                        if !label.contains('}') && query.starts_with("label_values") =>
                    {
                        s
                    }
                    _ => inner,
                };
                if !selector.trim().is_empty() && !selector.contains('(')
                    || query.starts_with("query_result")
                {
                    report.promql(
                        &format!("dashboard {name} variable {}", variable["name"]),
                        selector,
                        &recorded,
                    );
                }
            }
        }
    }

    eprintln!(
        "checked {} dashboards ({:?}), {panel_count} panels, {} expressions, {} PrometheusRules with {rule_count} rules ({} recorded series)",
        dashboards.len(),
        per_area,
        report.expressions,
        rules.len(),
        recorded.len()
    );
    assert!(
        report.failures.is_empty(),
        "{} problems:\n{}",
        report.failures.len(),
        report.failures.join("\n")
    );
}

/// The ruler path of the seed stack: Mimir's release runs the ruler on the shared bucket (prefix
/// `ruler`) and an Alertmanager whose fallback configuration routes to Slack; alloy-metrics
/// syncs the PrometheusRules to the ruler through Mimir's gateway; the PrometheusRules sit in
/// Mimir's release folder.
#[test]
fn the_ruler_path_is_wired() {
    let input = std::fs::read(repo().join("krm/examples/seed.yaml")).expect("seed example");
    let objects: Vec<(String, Value)> = render(&input)
        .expect("seed renders")
        .into_iter()
        .map(|object| {
            let object = support::yaml_to_json(object).expect("JSON");
            let path = object["metadata"]["annotations"]["internal.config.kubernetes.io/path"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            (path, object)
        })
        .collect();
    let mimir = objects
        .iter()
        .map(|(_, o)| o)
        .find(|o| o["kind"] == "HelmRelease" && o["metadata"]["name"] == "mimir")
        .expect("Mimir's HelmRelease");
    let values = &mimir["spec"]["values"];
    assert_eq!(values["ruler"]["enabled"], true);
    assert_eq!(
        values["mimir"]["structuredConfig"]["ruler_storage"]["storage_prefix"],
        "ruler"
    );
    let fallback = values["alertmanager"]["fallbackConfig"]
        .as_str()
        .expect("a fallback configuration");
    assert!(fallback.contains("\"api_url_file\""), "{fallback}");
    let alloy = objects
        .iter()
        .map(|(_, o)| o)
        .find(|o| o["kind"] == "Alloy" && o["metadata"]["name"] == "alloy-metrics")
        .expect("alloy-metrics");
    let config = alloy["spec"]["alloy"]["configMap"]["content"]
        .as_str()
        .unwrap_or_default();
    let namespace = mimir["metadata"]["namespace"].as_str().unwrap_or_default();
    assert!(
        config.contains("mimir.rules.kubernetes \"rules\""),
        "{config}"
    );
    assert!(
        config.contains(&format!(
            "\"http://mimir-gateway.{namespace}.svc.cluster.local\""
        )),
        "{config}"
    );
    let rules: Vec<&String> = objects
        .iter()
        .filter(|(_, o)| o["kind"] == "PrometheusRule")
        .map(|(path, _)| path)
        .collect();
    assert!(!rules.is_empty());
    for path in rules {
        assert!(path.starts_with("mimir/release/"), "{path:?}");
    }
}
