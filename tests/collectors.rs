//! The collection half of the stack: the `Alloy` collectors, the exporters, the operator and
//! their self-monitoring, checked through the public `render` entry point.
//!
//! - every `Alloy` CR validates strictly against the pinned CRD and its spec uses only Alloy chart
//!   values (`support::check_alloy_cr_spec`);
//! - every generated Alloy configuration parses with the independent parser in `alloy_syntax`,
//!   passes its table of Alloy's components and arguments, resolves every reference, and never
//!   contains `{{` (Helm `tpl`) or `${` (Flux substitution);
//! - the collectors have the shape the design asks for (node-local DaemonSet, clustered
//!   StatefulSet), send to the shared gateway URLs with tenants and the cluster label, and follow
//!   their backends; spec errors name the field.

use monitoring_stack_testkit::alloy_syntax;
mod support;

use alloy_syntax::{attribute, blocks, parse, schema, Expr, Stmt};
use monitoring_stack::render;
use serde_json::Value;
use std::path::Path;

/// Examples whose collectors are checked (the golden variants and the seed).
const EXAMPLES: &[&str] = &[
    "krm/examples/seed.yaml",
    "krm/examples/minimal.yaml",
    "krm/examples/collectors-logs-only.yaml",
    "krm/examples/collectors-metrics-only.yaml",
    "krm/examples/collectors-custom.yaml",
    "krm/examples/collectors-full.yaml",
    "krm/examples/edge.yaml",
    "krm/examples/destinations.yaml",
    "krm/examples/central.yaml",
];

const HEAD: &str = "apiVersion: monitoring-stack.dev/v1alpha1\nkind: MonitoringStack\nmetadata:\n  name: main\nspec:\n  grafana:\n    hostname: g.example.com\n";

fn to_json(objects: Vec<serde_yaml_ng::Value>) -> Vec<Value> {
    objects
        .into_iter()
        .map(|o| support::yaml_to_json(o).expect("JSON-compatible"))
        .collect()
}

fn example(path: &str) -> Vec<Value> {
    let input = std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join(path)).expect("example");
    to_json(render(&input).unwrap_or_else(|e| panic!("{path}: {e:?}")))
}

/// Renders `HEAD` plus `spec` (indented two spaces under `spec:`).
fn spec(spec: &str) -> Vec<Value> {
    let input = format!("{HEAD}{spec}");
    to_json(render(input.as_bytes()).unwrap_or_else(|e| panic!("{spec}: {e:?}")))
}

/// The (field, message) of every error a spec gives.
fn errors(spec: &str) -> Vec<(String, String)> {
    let input = format!("{HEAD}{spec}");
    match render(input.as_bytes()) {
        Ok(_) => Vec::new(),
        Err(results) => results
            .into_iter()
            .map(|r| (r.field.unwrap_or_default(), r.message))
            .collect(),
    }
}

fn text<'a>(object: &'a Value, pointer: &str) -> &'a str {
    object
        .pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_default()
}

fn find<'a>(objects: &'a [Value], kind: &str, name: &str) -> Option<&'a Value> {
    objects
        .iter()
        .find(|o| text(o, "/kind") == kind && text(o, "/metadata/name") == name)
}

fn alloys(objects: &[Value]) -> Vec<&Value> {
    objects
        .iter()
        .filter(|o| text(o, "/kind") == "Alloy")
        .collect()
}

fn content(alloy: &Value) -> &str {
    text(alloy, "/spec/alloy/configMap/content")
}

fn parsed(alloy: &Value) -> Vec<Stmt> {
    let config = content(alloy);
    parse(config).unwrap_or_else(|e| panic!("{}: {e}\n{config}", text(alloy, "/metadata/name")))
}

/// The bodies of the blocks at `path` (`loki.write/endpoint`), with their labels.
fn blocks_at<'a>(file: &'a [Stmt], path: &str) -> Vec<(Option<String>, &'a [Stmt])> {
    blocks(file)
        .into_iter()
        .filter(|(p, _, _)| p.join("/") == path)
        .map(|(_, label, body)| (label, body))
        .collect()
}

fn string_attr(body: &[Stmt], name: &str) -> Option<String> {
    attribute(body, name)
        .and_then(Expr::as_str)
        .map(String::from)
}

fn object_attr(body: &[Stmt], name: &str) -> Vec<(String, String)> {
    match attribute(body, name) {
        Some(Expr::Object(fields)) => fields
            .iter()
            .map(|(k, v)| {
                (
                    k.clone(),
                    v.as_str().unwrap_or("<not a string>").to_string(),
                )
            })
            .collect(),
        other => panic!("{name} is not an object: {other:?}"),
    }
}

#[test]
fn alloy_resources_validate_against_the_crd_and_the_chart_values() {
    let Some(schemas) = support::crd_schemas() else {
        return;
    };
    let reference = support::reference_dir().expect("reference present with the schemas");
    for path in EXAMPLES {
        let objects = example(path);
        assert!(!alloys(&objects).is_empty(), "{path}: no Alloy collectors");
        for alloy in alloys(&objects) {
            let name = text(alloy, "/metadata/name");
            if let Err(problems) = schemas.validate(alloy) {
                panic!("{path} {name}:\n{}", problems.join("\n"));
            }
            let problems = support::check_alloy_cr_spec(&reference, &alloy["spec"]);
            assert!(
                problems.is_empty(),
                "{path} {name}:\n{}",
                problems.join("\n")
            );
        }
    }
}

#[test]
fn chart_value_checks_catch_a_wrong_alloy_path() {
    // The helper is able to fail on what this module writes: a misspelt key is reported.
    let Some(reference) = support::reference_dir() else {
        return;
    };
    let objects = example("krm/examples/seed.yaml");
    let mut spec = alloys(&objects)[0]["spec"].clone();
    spec["alloy"]["clustring"] = serde_json::json!({ "enabled": true });
    let problems = support::check_alloy_cr_spec(&reference, &spec);
    assert!(
        problems.iter().any(|p| p.contains("alloy.clustring")),
        "{problems:?}"
    );
}

#[test]
fn alloy_configurations_parse_and_use_only_known_components() {
    for path in EXAMPLES {
        for alloy in alloys(&example(path)) {
            let name = text(alloy, "/metadata/name");
            let config = content(alloy);
            assert!(
                !config.contains("{{"),
                "{path} {name}: Helm tpl would run `{{{{`"
            );
            assert!(
                !config.contains("${"),
                "{path} {name}: Flux would substitute `${{`"
            );
            let file = parsed(alloy);
            let problems = schema::check(&file);
            assert!(
                problems.is_empty(),
                "{path} {name}:\n{}\n{config}",
                problems.join("\n")
            );
            let unresolved = schema::unresolved_references(&file);
            assert!(unresolved.is_empty(), "{path} {name}: {unresolved:?}");
        }
    }
}

#[test]
fn logs_collector_is_a_daemonset_tailing_its_own_node_through_the_api() {
    let objects = example("krm/examples/seed.yaml");
    let logs = find(&objects, "Alloy", "alloy-logs").expect("alloy-logs");
    assert_eq!(text(logs, "/metadata/namespace"), "alloy");
    assert_eq!(text(logs, "/spec/controller/type"), "daemonset");
    assert_eq!(
        logs.pointer("/spec/controller/tolerations"),
        Some(&serde_json::json!([{ "operator": "Exists" }]))
    );
    // API tailing: no host log mounts, only the data volume (an emptyDir, no hostPath).
    assert!(logs.pointer("/spec/alloy/mounts/varlog").is_none());
    assert!(logs
        .pointer("/spec/alloy/mounts/dockercontainers")
        .is_none());
    assert_eq!(
        logs.pointer("/spec/controller/volumes/extra"),
        Some(&serde_json::json!([{ "name": "alloy-data", "emptyDir": {} }]))
    );
    assert_eq!(text(logs, "/spec/alloy/storagePath"), "/var/lib/alloy");
    assert_eq!(
        logs.pointer("/spec/serviceMonitor/enabled"),
        Some(&Value::Bool(true))
    );

    let file = parsed(logs);
    let selectors = blocks_at(&file, "discovery.kubernetes/selectors");
    assert_eq!(selectors.len(), 1);
    let field = attribute(selectors[0].1, "field").expect("field selector");
    let Expr::Binary(lhs, "+", rhs) = field else {
        panic!("{field:?}")
    };
    assert_eq!(lhs.as_str(), Some("spec.nodeName="));
    let Expr::Call(function, args) = rhs.as_ref() else {
        panic!("{rhs:?}")
    };
    assert_eq!(
        function.path(),
        Some(vec!["sys".to_string(), "env".to_string()])
    );
    assert_eq!(args[0].as_str(), Some("HOSTNAME"));

    assert_eq!(blocks_at(&file, "loki.source.kubernetes").len(), 1);
    assert!(blocks_at(&file, "loki.source.kubernetes/clustering").is_empty());
    // The labels every stream gets.
    let targets: Vec<String> = blocks_at(&file, "discovery.relabel/rule")
        .iter()
        .filter_map(|(_, body)| string_attr(body, "target_label"))
        .collect();
    assert_eq!(targets, ["namespace", "pod", "container", "app", "job"]);
}

#[test]
fn metrics_collector_is_a_clustered_statefulset() {
    let objects = example("krm/examples/collectors-metrics-only.yaml");
    let metrics = find(&objects, "Alloy", "alloy-metrics").expect("alloy-metrics");
    assert_eq!(text(metrics, "/spec/controller/type"), "statefulset");
    assert_eq!(
        metrics.pointer("/spec/controller/replicas"),
        Some(&Value::from(3))
    );
    assert_eq!(
        metrics.pointer("/spec/alloy/clustering/enabled"),
        Some(&Value::Bool(true))
    );
    let file = parsed(metrics);
    let mut scraping = 0;
    for (path, _, body) in blocks(&file) {
        let component = path[0].as_str();
        if path.len() == 1
            && (component.starts_with("prometheus.operator.") || component == "prometheus.scrape")
        {
            scraping += 1;
            let clustering = body.iter().find_map(|stmt| match stmt {
                Stmt::Block { name, body, .. } if name == &["clustering"] => Some(body),
                _ => None,
            });
            let enabled = clustering.and_then(|b| attribute(b, "enabled"));
            assert_eq!(
                enabled,
                Some(&Expr::Bool(true)),
                "{component} is not clustered"
            );
        }
    }
    // servicemonitors, podmonitors, kubelet, apiserver, coredns, router, garage-admin
    // (cAdvisor is off).
    assert_eq!(scraping, 7);
    let jobs: Vec<String> = blocks_at(&file, "prometheus.scrape")
        .iter()
        .filter_map(|(_, body)| string_attr(body, "job_name"))
        .collect();
    assert_eq!(
        jobs,
        ["kubelet", "apiserver", "coredns", "router", "garage-admin"]
    );

    let router = blocks_at(&file, "prometheus.scrape")
        .into_iter()
        .find(|(label, _)| label.as_deref() == Some("extra_router"))
        .expect("extra_router");
    let Some(Expr::Array(targets)) = attribute(router.1, "targets") else {
        panic!("targets")
    };
    assert_eq!(targets.len(), 2);
    let Expr::Object(fields) = &targets[1] else {
        panic!("{:?}", targets[1])
    };
    assert_eq!(fields[0].0, "__address__");
    assert_eq!(fields[0].1.as_str(), Some("10.0.0.1:9100"));
    assert_eq!(fields[1].0, "site");
    let garage = blocks_at(&file, "prometheus.scrape")
        .into_iter()
        .find(|(label, _)| label.as_deref() == Some("extra_garage_admin"))
        .expect("extra_garage_admin");
    assert_eq!(string_attr(garage.1, "scheme").as_deref(), Some("https"));
    assert_eq!(
        string_attr(garage.1, "scrape_interval").as_deref(),
        Some("2m")
    );

    let relabel = blocks_at(
        &file,
        "prometheus.remote_write/endpoint/write_relabel_config",
    );
    assert_eq!(relabel.len(), 1);
    assert_eq!(string_attr(relabel[0].1, "action").as_deref(), Some("drop"));
}

#[test]
fn collectors_send_to_the_gateways_with_tenant_and_cluster_label() {
    // Defaults: no tenant, cluster label = the stack's name.
    let objects = example("krm/examples/seed.yaml");
    let logs = parsed(find(&objects, "Alloy", "alloy-logs").expect("logs"));
    let (_, write) = &blocks_at(&logs, "loki.write")[0];
    assert_eq!(
        object_attr(write, "external_labels"),
        [("cluster".into(), "main".into())]
    );
    let (_, endpoint) = &blocks_at(&logs, "loki.write/endpoint")[0];
    assert_eq!(
        string_attr(endpoint, "url").as_deref(),
        Some("http://loki-gateway.loki.svc.cluster.local/loki/api/v1/push")
    );
    assert_eq!(string_attr(endpoint, "tenant_id"), None);
    let metrics = parsed(find(&objects, "Alloy", "alloy-metrics").expect("metrics"));
    let (_, endpoint) = &blocks_at(&metrics, "prometheus.remote_write/endpoint")[0];
    assert_eq!(
        string_attr(endpoint, "url").as_deref(),
        Some("http://mimir-gateway.mimir.svc.cluster.local/api/v1/push")
    );
    assert!(attribute(endpoint, "headers").is_none());

    // Multi-tenancy: Loki's tenant defaults to the cluster name, Mimir's is set.
    let objects = example("krm/examples/collectors-custom.yaml");
    let logs = parsed(find(&objects, "Alloy", "alloy-logs").expect("logs"));
    let (_, endpoint) = &blocks_at(&logs, "loki.write/endpoint")[0];
    assert_eq!(string_attr(endpoint, "tenant_id").as_deref(), Some("seed"));
    let (_, write) = &blocks_at(&logs, "loki.write")[0];
    assert_eq!(
        object_attr(write, "external_labels"),
        [("cluster".into(), "seed".into())]
    );

    let objects = example("krm/examples/collectors-metrics-only.yaml");
    let metrics = parsed(find(&objects, "Alloy", "alloy-metrics").expect("metrics"));
    let (_, endpoint) = &blocks_at(&metrics, "prometheus.remote_write/endpoint")[0];
    assert_eq!(
        object_attr(endpoint, "headers"),
        [("X-Scope-OrgID".into(), "platform".into())]
    );
    let (_, write) = &blocks_at(&metrics, "prometheus.remote_write")[0];
    assert_eq!(
        object_attr(write, "external_labels"),
        [("cluster".into(), "edge-1".into())]
    );
}

#[test]
fn collectors_follow_their_backends() {
    let names = |objects: &[Value]| -> Vec<String> {
        alloys(objects)
            .iter()
            .map(|a| text(a, "/metadata/name").to_string())
            .collect()
    };
    assert_eq!(
        names(&spec("")),
        ["alloy-logs", "alloy-metrics", "alloy-events"]
    );
    assert_eq!(
        names(&spec("  loki: {enabled: false}\n")),
        ["alloy-metrics"]
    );
    assert_eq!(
        names(&spec("  mimir: {enabled: false}\n")),
        ["alloy-logs", "alloy-events"]
    );
    assert_eq!(
        names(&spec(
            "  loki: {enabled: false}\n  mimir: {enabled: false}\n"
        )),
        Vec::<String>::new()
    );
    assert_eq!(
        names(&example("krm/examples/collectors-logs-only.yaml")),
        ["alloy-logs", "alloy-events"]
    );
    assert_eq!(
        names(&example("krm/examples/collectors-full.yaml")),
        [
            "alloy-logs",
            "alloy-metrics",
            "alloy-events",
            "alloy-node-logs"
        ]
    );
    assert_eq!(
        names(&example("krm/examples/collectors-metrics-only.yaml")),
        ["alloy-metrics"]
    );

    // Switched on explicitly with the backend off: an error naming the field, not a silent skip.
    let found = errors("  loki: {enabled: false}\n  alloy: {logs: {enabled: true}}\n");
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, "spec.alloy.logs.enabled");
    assert!(found[0].1.contains("spec.loki.enabled"), "{}", found[0].1);
    let found = errors("  mimir: {enabled: false}\n  alloy: {metrics: {enabled: true}}\n");
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, "spec.alloy.metrics.enabled");
    let found = errors(
        "  loki: {enabled: false}\n  alloy: {events: {enabled: true}, nodeLogs: {enabled: true}}\n",
    );
    let fields: Vec<&str> = found.iter().map(|(f, _)| f.as_str()).collect();
    assert_eq!(
        fields,
        ["spec.alloy.events.enabled", "spec.alloy.nodeLogs.enabled"]
    );
    // With the whole alloy component off, nothing is checked.
    assert!(errors(
        "  mimir: {enabled: false}\n  alloy: {enabled: false, metrics: {enabled: true}}\n"
    )
    .is_empty());
}

#[test]
fn spec_errors_name_the_field() {
    let cases = [
        (
            "  alloy:\n    logs:\n      relabelRules:\n        - {action: dorp}\n",
            "spec.alloy.logs.relabelRules[0].action",
            "did you mean `drop`?",
        ),
        (
            "  alloy:\n    logs:\n      relabelRules:\n        - {sourceLabels: [ok, 9bad]}\n",
            "spec.alloy.logs.relabelRules[0].sourceLabels[1]",
            "label name",
        ),
        (
            "  alloy:\n    logs:\n      relabelRules:\n        - {sourceLabels: [a]}\n",
            "spec.alloy.logs.relabelRules[0].targetLabel",
            "required for action replace",
        ),
        (
            "  alloy:\n    logs:\n      relabelRules:\n        - {regex: '(?!x).*', targetLabel: a}\n",
            "spec.alloy.logs.relabelRules[0].regex",
            "lookahead",
        ),
        (
            "  alloy:\n    logs:\n      relabelRules:\n        - {regex: '(a', targetLabel: a}\n",
            "spec.alloy.logs.relabelRules[0].regex",
            "not closed",
        ),
        (
            "  alloy:\n    logs:\n      relabelRules:\n        - {targetLabel: 'a-b'}\n",
            "spec.alloy.logs.relabelRules[0].targetLabel",
            "target label",
        ),
        (
            "  alloy:\n    logs:\n      relabelRules:\n        - {action: labeldrop, regex: x, sourceLabels: [a]}\n",
            "spec.alloy.logs.relabelRules[0].sourceLabels",
            "only regex",
        ),
        (
            "  alloy:\n    metrics:\n      writeRelabelRules:\n        - {action: hashmod, sourceLabels: [a], targetLabel: s}\n",
            "spec.alloy.metrics.writeRelabelRules[0].modulus",
            "hashmod",
        ),
        (
            "  alloy:\n    metrics:\n      writeRelabelRules:\n        - {action: lowercase, sourceLabels: [a], targetLabel: s, replacement: x}\n",
            "spec.alloy.metrics.writeRelabelRules[0].replacement",
            "no replacement",
        ),
        (
            "  alloy:\n    metrics:\n      extraScrapes:\n        - {name: r, targets: ['router:99999']}\n",
            "spec.alloy.metrics.extraScrapes[0].targets[0]",
            "host:port",
        ),
        (
            "  alloy:\n    metrics:\n      extraScrapes:\n        - {name: r, targets: []}\n",
            "spec.alloy.metrics.extraScrapes[0].targets",
            "at least one",
        ),
        (
            "  alloy:\n    metrics:\n      extraScrapes:\n        - {name: r, targets: ['a:1']}\n        - {name: r, targets: ['b:1']}\n",
            "spec.alloy.metrics.extraScrapes[1].name",
            "unique",
        ),
        (
            "  alloy:\n    metrics:\n      extraScrapes:\n        - {name: r, targets: ['a:1'], metricsPath: 'metrics'}\n",
            "spec.alloy.metrics.extraScrapes[0].metricsPath",
            "URL path",
        ),
        (
            "  alloy:\n    metrics:\n      extraScrapes:\n        - {name: r, targets: ['a:1'], scheme: ftp}\n",
            "spec.alloy.metrics.extraScrapes[0].scheme",
            "unknown value `ftp`",
        ),
        (
            "  alloy:\n    metrics:\n      extraScrapes:\n        - {name: r, targets: ['a:1'], labels: {__address__: x}}\n",
            "spec.alloy.metrics.extraScrapes[0].labels",
            "reserved",
        ),
        (
            "  alloy:\n    metrics:\n      scrapeInterval: 1d\n",
            "spec.alloy.metrics.scrapeInterval",
            "duration",
        ),
        (
            "  alloy:\n    metrics:\n      replicas: 0\n",
            "spec.alloy.metrics.replicas",
            "at least 1",
        ),
        (
            "  alloy:\n    metrics:\n      scrapeCadvsor: false\n",
            "spec.alloy.metrics.scrapeCadvsor",
            "did you mean `scrapeCadvisor`?",
        ),
        (
            "  alloy:\n    logs:\n      excludeNamespaces: [Kube-System]\n",
            "spec.alloy.logs.excludeNamespaces[0]",
            "DNS-1123",
        ),
    ];
    for (snippet, field, needle) in cases {
        let found = errors(snippet);
        assert_eq!(found.len(), 1, "{snippet}: {found:?}");
        assert_eq!(found[0].0, field, "{snippet}");
        assert!(found[0].1.contains(needle), "{snippet}: {}", found[0].1);
    }
}

#[test]
fn user_strings_reach_alloy_exactly_and_never_reach_helm_or_flux() {
    let objects = example("krm/examples/collectors-custom.yaml");
    let logs = find(&objects, "Alloy", "alloy-logs").expect("logs");
    let file = parsed(logs);
    let replacement = |target: &str| -> Option<String> {
        blocks_at(&file, "discovery.relabel/rule")
            .into_iter()
            .find(|(_, body)| string_attr(body, "target_label").as_deref() == Some(target))
            .and_then(|(_, body)| string_attr(body, "replacement"))
    };
    assert_eq!(replacement("team").as_deref(), Some("${1}"));
    assert_eq!(
        replacement("note").as_deref(),
        Some("{{ not a \"template\" }}")
    );
    let regex = blocks_at(&file, "discovery.relabel/rule")
        .into_iter()
        .find(|(_, body)| string_attr(body, "target_label").as_deref() == Some("team"))
        .and_then(|(_, body)| string_attr(body, "regex"));
    assert_eq!(regex.as_deref(), Some(r"team-(\w+)"));
    // Nothing in the object is left for Flux to substitute, so it needs no opt-out.
    let whole = serde_json::to_string(logs).expect("json");
    assert!(!whole.contains("${") && !whole.contains("{{"), "{whole}");

    // The excluded namespaces are dropped before anything else.
    let rules = blocks_at(&file, "discovery.relabel/rule");
    assert_eq!(string_attr(rules[0].1, "action").as_deref(), Some("drop"));
    assert_eq!(
        string_attr(rules[0].1, "regex").as_deref(),
        Some("kube-system|kube-node-lease|flux-system")
    );

    // Raw user values with `${...}` are the user's: the object opts out of Flux substitution.
    let objects = spec(
        "  alloy:\n    logs:\n      values:\n        alloy:\n          extraEnv: [{name: A, value: '${NOT_FOR_FLUX}'}]\n",
    );
    let logs = find(&objects, "Alloy", "alloy-logs").expect("logs");
    assert_eq!(
        text(
            logs,
            "/metadata/annotations/kustomize.toolkit.fluxcd.io~1substitute"
        ),
        "disabled"
    );
}

#[test]
fn user_values_are_merged_last() {
    let objects = example("krm/examples/collectors-custom.yaml");
    let logs = find(&objects, "Alloy", "alloy-logs").expect("logs");
    assert_eq!(
        text(logs, "/spec/controller/priorityClassName"),
        "system-node-critical"
    );
    assert_eq!(text(logs, "/spec/controller/type"), "daemonset");
    assert_eq!(text(logs, "/spec/alloy/resources/limits/memory"), "512Mi");
    let objects =
        spec("  alloy:\n    metrics:\n      values:\n        controller: {replicas: 5}\n");
    let metrics = find(&objects, "Alloy", "alloy-metrics").expect("metrics");
    assert_eq!(
        metrics.pointer("/spec/controller/replicas"),
        Some(&Value::from(5))
    );
}

#[test]
fn operators_and_exporters_monitor_themselves_and_wait_for_the_crds() {
    let objects = example("krm/examples/seed.yaml");
    let release = |name: &str| find(&objects, "HelmRelease", name).expect(name).clone();
    let operator = release("alloy-operator");
    assert_eq!(
        operator.pointer("/spec/values/serviceMonitor/enabled"),
        Some(&Value::Bool(true))
    );
    let ksm = release("kube-state-metrics");
    assert_eq!(
        ksm.pointer("/spec/values/prometheus/monitor/enabled"),
        Some(&Value::Bool(true))
    );
    assert_eq!(
        ksm.pointer("/spec/values/prometheus/monitor/http/honorLabels"),
        Some(&Value::Bool(true))
    );
    let node = release("node-exporter");
    assert_eq!(
        text(&node, "/spec/chart/spec/chart"),
        "prometheus-node-exporter"
    );
    assert_eq!(
        node.pointer("/spec/values/prometheus/monitor/enabled"),
        Some(&Value::Bool(true))
    );
    assert_eq!(
        node.pointer("/spec/values/tolerations"),
        Some(&serde_json::json!([{ "operator": "Exists" }]))
    );
    assert_eq!(
        text(&node, "/spec/values/fullnameOverride"),
        "node-exporter"
    );
    for object in [&operator, &ksm, &node] {
        let depends: Vec<&str> = object
            .pointer("/spec/dependsOn")
            .and_then(Value::as_array)
            .map(|d| d.iter().map(|e| text(e, "/name")).collect())
            .unwrap_or_default();
        assert_eq!(
            depends,
            ["prometheus-crds"],
            "{}",
            text(object, "/metadata/name")
        );
    }
    for alloy in alloys(&objects) {
        assert_eq!(
            alloy.pointer("/spec/serviceMonitor/enabled"),
            Some(&Value::Bool(true))
        );
    }
    // The collectors start after the operator (and through it, after the CRDs).
    let alloy_ks = objects
        .iter()
        .find(|o| text(o, "/kind") == "Kustomization" && text(o, "/metadata/name") == "alloy")
        .expect("alloy Kustomization");
    assert_eq!(
        alloy_ks
            .pointer("/spec/dependsOn/0/name")
            .and_then(Value::as_str),
        Some("alloy-operator")
    );
}

#[test]
fn collector_value_types_accept_and_reject_what_alloy_does() {
    use monitoring_stack::spec::values::{
        LabelName, RelabelRegex, ScrapeTarget, TargetLabel, UrlPath,
    };
    for good in [
        "",
        "(.*)",
        "a|b",
        r"team-(\w+)",
        r"[)(]",
        r"[]a]",
        r"[^]a]",
        r"\(",
        "(?P<name>x)",
        "(?i)abc",
        "[[:alpha:]]+",
        "a{2,3}",
        "x*?",
    ] {
        assert!(RelabelRegex::parse(good).is_ok(), "{good:?}");
    }
    for bad in [
        r"(a)\1", "(?=a)", "(?!a)", "(?<=a)b", "(?<!a)b", "(?>a)", "a++", "[abc", "a)", "(a", "\\",
    ] {
        assert!(RelabelRegex::parse(bad).is_err(), "{bad:?}");
    }
    for good in ["node", "_x", "$1", "${1}_x", "a$b", "x_${name}"] {
        assert!(TargetLabel::parse(good).is_ok(), "{good:?}");
    }
    for bad in ["", "1a", "$", "${}", "${a", "a-b", "a.b"] {
        assert!(TargetLabel::parse(bad).is_err(), "{bad:?}");
    }
    for good in ["a", "_a1", "__name__"] {
        assert!(LabelName::parse(good).is_ok(), "{good:?}");
    }
    for bad in ["", "1a", "a-b", "ä"] {
        assert!(LabelName::parse(bad).is_err(), "{bad:?}");
    }
    for good in [
        "router.lan:9100",
        "10.0.0.1:9100",
        "[fd00::1]:9100",
        "Host-1:1",
    ] {
        assert!(ScrapeTarget::parse(good).is_ok(), "{good:?}");
    }
    for bad in [
        "router",
        "router:0",
        ":80",
        "a b:1",
        "-a:1",
        "http://a:1",
        "[x]:1",
    ] {
        assert!(ScrapeTarget::parse(bad).is_err(), "{bad:?}");
    }
    assert!(UrlPath::parse("/metrics/cadvisor").is_ok());
    for bad in ["metrics", "/a b", "/a?b=1", "/a#x", ""] {
        assert!(UrlPath::parse(bad).is_err(), "{bad:?}");
    }
}

/// Every ClusterRole rule a collector gets: (collector, rule as `group/resource verbs` or
/// `nonResourceURL verbs`), once each, from the `rbac` values of its `Alloy` CR: the chart
/// renders exactly `rbac.rules` followed by `rbac.clusterRules` into one ClusterRole
/// (`deployability.rs` renders it with real Helm), and both are always set, so the chart's
/// defaults (Secrets, ConfigMaps, ...) never apply.
fn rbac_rules(objects: &[Value]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for alloy in alloys(objects) {
        let name = text(alloy, "/metadata/name").to_string();
        let rbac = alloy
            .pointer("/spec/rbac")
            .expect("every collector sets its RBAC");
        if rbac.get("create") == Some(&Value::Bool(false)) {
            continue;
        }
        assert!(rbac.get("namespaces").is_none(), "{name}: one ClusterRole");
        for list in ["rules", "clusterRules"] {
            let rules = rbac
                .get(list)
                .and_then(Value::as_array)
                .unwrap_or_else(|| panic!("{name}: rbac.{list} not set"));
            assert!(
                !rules.is_empty(),
                "{name}: the chart's template needs rbac.{list}"
            );
            for rule in rules {
                let verbs: Vec<&str> = rule["verbs"]
                    .as_array()
                    .expect("verbs")
                    .iter()
                    .filter_map(Value::as_str)
                    .collect();
                let verbs = verbs.join(",");
                let mut push = |rule: String| {
                    if !out.contains(&(name.clone(), rule.clone())) {
                        out.push((name.clone(), rule));
                    }
                };
                if let Some(urls) = rule.get("nonResourceURLs").and_then(Value::as_array) {
                    for url in urls {
                        push(format!("{} {verbs}", url.as_str().unwrap_or("")));
                    }
                    continue;
                }
                for group in rule["apiGroups"].as_array().expect("apiGroups") {
                    for resource in rule["resources"].as_array().expect("resources") {
                        push(format!(
                            "{}/{} {verbs}",
                            group.as_str().unwrap_or(""),
                            resource.as_str().unwrap_or("")
                        ));
                    }
                }
            }
        }
    }
    out
}

#[test]
fn collectors_get_exactly_the_rbac_their_sources_need() {
    let read = "get,list,watch";
    let expected_full: Vec<(&str, String)> = [
        ("alloy-logs", format!("/pods {read}")),
        ("alloy-logs", format!("/pods/log {read}")),
        ("alloy-logs", format!("/namespaces {read}")),
        (
            "alloy-metrics",
            format!("monitoring.coreos.com/podmonitors {read}"),
        ),
        (
            "alloy-metrics",
            format!("monitoring.coreos.com/servicemonitors {read}"),
        ),
        ("alloy-metrics", format!("/endpoints {read}")),
        ("alloy-metrics", format!("/pods {read}")),
        ("alloy-metrics", format!("/services {read}")),
        (
            "alloy-metrics",
            format!("discovery.k8s.io/endpointslices {read}"),
        ),
        ("alloy-metrics", format!("/namespaces {read}")),
        ("alloy-metrics", format!("/nodes {read}")),
        ("alloy-metrics", "/nodes/metrics get".to_string()),
        ("alloy-metrics", "/metrics get".to_string()),
        ("alloy-events", format!("/events {read}")),
    ]
    .into_iter()
    .collect();
    for path in [
        "krm/examples/seed.yaml",
        "krm/examples/collectors-full.yaml",
    ] {
        let rules = rbac_rules(&example(path));
        let got: Vec<(&str, String)> = rules.iter().map(|(c, r)| (c.as_str(), r.clone())).collect();
        assert_eq!(got, expected_full, "{path}");
        assert!(
            !rules.iter().any(|(_, r)| r.contains("nodes/proxy")
                || r.contains("secrets")
                || r.contains("configmaps")
                || r.contains('*')),
            "{path}: {rules:?}"
        );
    }
    // Without the kubelet, cAdvisor and the control plane, the node and /metrics rules go.
    let rules = rbac_rules(&spec(
        "  alloy:\n    metrics:\n      scrapeKubelet: false\n      scrapeCadvisor: false\n      controlPlane: {apiServer: false}\n",
    ));
    assert!(
        !rules
            .iter()
            .any(|(_, r)| r.starts_with("/nodes") || r.starts_with("/metrics")),
        "{rules:?}"
    );
    // The node-logs collector reads no API: no ClusterRole at all.
    let objects = example("krm/examples/collectors-full.yaml");
    let node_logs = find(&objects, "Alloy", "alloy-node-logs").expect("alloy-node-logs");
    assert_eq!(
        node_logs.pointer("/spec/rbac/create"),
        Some(&Value::Bool(false))
    );
}

#[test]
fn events_are_collected_once_with_low_cardinality_labels() {
    let objects = example("krm/examples/collectors-full.yaml");
    let events = find(&objects, "Alloy", "alloy-events").expect("alloy-events");
    assert_eq!(text(events, "/metadata/namespace"), "alloy");
    assert_eq!(text(events, "/spec/controller/type"), "deployment");
    assert_eq!(
        events.pointer("/spec/controller/replicas"),
        Some(&Value::from(1))
    );
    let file = parsed(events);
    let source = blocks_at(&file, "loki.source.kubernetes_events");
    assert_eq!(source.len(), 1);
    assert_eq!(
        string_attr(source[0].1, "job_name").as_deref(),
        Some("kubernetes-events")
    );
    let Some(Expr::Array(namespaces)) = attribute(source[0].1, "namespaces") else {
        panic!("namespaces")
    };
    assert_eq!(namespaces.len(), 3);
    // kind, name, reason and type: structured metadata, not stream labels.
    let metadata = blocks_at(&file, "loki.process/stage.structured_metadata");
    let keys: Vec<String> = object_attr(metadata[0].1, "values")
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    assert_eq!(keys, ["kind", "name", "reason", "type"]);
    assert!(blocks_at(&file, "loki.process/stage.labels").is_empty());
    // The seed watches every namespace.
    let seed = example("krm/examples/seed.yaml");
    let events = find(&seed, "Alloy", "alloy-events").expect("alloy-events in the seed");
    let file = parsed(events);
    assert!(attribute(
        blocks_at(&file, "loki.source.kubernetes_events")[0].1,
        "namespaces"
    )
    .is_none());
}

#[test]
fn node_logs_live_in_their_own_privileged_namespace() {
    let objects = example("krm/examples/collectors-full.yaml");
    let node_logs = find(&objects, "Alloy", "alloy-node-logs").expect("alloy-node-logs");
    assert_eq!(text(node_logs, "/metadata/namespace"), "alloy-node-logs");
    assert_eq!(text(node_logs, "/spec/controller/type"), "daemonset");
    let namespace = find(&objects, "Namespace", "alloy-node-logs").expect("namespace");
    assert_eq!(
        text(
            namespace,
            "/metadata/labels/pod-security.kubernetes.io~1enforce"
        ),
        "privileged"
    );
    assert!(text(
        namespace,
        "/metadata/annotations/monitoring-stack.dev~1pod-security-reason"
    )
    .contains("journal"));
    // The other collectors stay restricted.
    let alloy = find(&objects, "Namespace", "alloy").expect("alloy namespace");
    assert_eq!(
        text(
            alloy,
            "/metadata/labels/pod-security.kubernetes.io~1enforce"
        ),
        "restricted"
    );
    let file = parsed(node_logs);
    let journal = blocks_at(&file, "loki.source.journal");
    assert_eq!(
        string_attr(journal[0].1, "matches").as_deref(),
        Some("_SYSTEMD_UNIT=kubelet.service _SYSTEMD_UNIT=containerd.service")
    );
    let volumes = node_logs["spec"]["controller"]["volumes"]["extra"].to_string();
    for path in ["/var/log", "/run/log/journal", "/etc/machine-id"] {
        assert!(volumes.contains(path), "{path}: {volumes}");
    }
    // Off by default.
    assert!(find(
        &example("krm/examples/seed.yaml"),
        "Alloy",
        "alloy-node-logs"
    )
    .is_none());
}

#[test]
fn control_plane_jobs_follow_their_switches_and_the_mixins() {
    let jobs = |objects: &[Value]| -> Vec<String> {
        let metrics = find(objects, "Alloy", "alloy-metrics").expect("alloy-metrics");
        blocks_at(&parsed(metrics), "prometheus.scrape")
            .iter()
            .filter_map(|(_, body)| string_attr(body, "job_name"))
            .collect()
    };
    assert_eq!(
        jobs(&example("krm/examples/seed.yaml")),
        ["kubelet", "cadvisor", "apiserver", "coredns"]
    );
    assert_eq!(
        jobs(&example("krm/examples/collectors-full.yaml")),
        [
            "kubelet",
            "cadvisor",
            "apiserver",
            "coredns",
            "kube-scheduler",
            "kube-controller-manager",
            "etcd",
            "annotations"
        ]
    );
    let objects = example("krm/examples/collectors-full.yaml");
    let file = parsed(find(&objects, "Alloy", "alloy-metrics").expect("alloy-metrics"));
    let apiserver = blocks_at(&file, "prometheus.scrape")
        .into_iter()
        .find(|(label, _)| label.as_deref() == Some("apiserver"))
        .expect("apiserver");
    assert_eq!(string_attr(apiserver.1, "scheme").as_deref(), Some("https"));
    let tls = blocks_at(&file, "prometheus.scrape/tls_config");
    assert!(tls
        .iter()
        .any(|(_, b)| string_attr(b, "server_name").as_deref() == Some("kubernetes")));
    // Allow-listed scrapes go through their relabel, the others straight to Mimir.
    let relabels: Vec<Option<String>> = blocks_at(&file, "prometheus.relabel")
        .into_iter()
        .map(|(label, _)| label)
        .collect();
    assert_eq!(
        relabels,
        [
            Some("kubelet".to_string()),
            Some("cadvisor".to_string()),
            Some("apiserver".to_string())
        ]
    );
}
