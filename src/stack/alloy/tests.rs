//! The writer against an independent parser (`testkit/src/alloy_syntax`, shared with the integration
//! tests): every configuration the collectors can produce parses, uses only components from
//! [`COMPONENTS`], passes the test-side table of Alloy's arguments, and every string comes back
//! exactly as it went in.

use monitoring_stack_testkit::alloy_syntax;

use super::config::{
    quote, Block, Component, ComponentBlock, Config, Expr, Ident, Key, Statements, COMPONENTS,
};
use crate::spec::parse_stack;
use crate::stack::{expand, Context};
use alloy_syntax::{attribute, blocks, parse, schema, Stmt};

/// Strings that break naive quoting, Helm's `tpl` or Flux's substitution.
const NASTY: &[&str] = &[
    "",
    "plain",
    "with \"quotes\"",
    r"back\slash\\ and \n literally",
    "new\nline\r\n and\ttab",
    "{{ .Release.Name }}",
    "{{{ triple }}}",
    "${VAR} and $${escaped} and $1 and ${1}",
    "$",
    "{",
    "trailing {",
    "ünïcödé — 日本 😀",
    "ctrl \u{1} \u{7f} \u{85} \u{2028} \u{feff}",
    "\\\"{{${",
];

fn stack(spec: &str) -> crate::spec::MonitoringStack {
    let text = format!(
        "apiVersion: monitoring-stack.dev/v1alpha1\nkind: MonitoringStack\nmetadata: {{name: main}}\nspec:\n  grafana: {{hostname: g.example.com}}\n{spec}"
    );
    let value: serde_yaml_ng::Value = serde_yaml_ng::from_str(&text).expect("test YAML");
    parse_stack(&value).unwrap_or_else(|e| panic!("{spec}: {e:?}"))
}

/// The configuration text of every Alloy CR the spec generates, by CR name.
fn configs(spec: &str) -> Vec<(String, String)> {
    expand(&stack(spec))
        .into_iter()
        .filter(|g| g.object.get("kind").and_then(|k| k.as_str()) == Some("Alloy"))
        .map(|g| {
            let name = g.object["metadata"]["name"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            let text = g.object["spec"]["alloy"]["configMap"]["content"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            (name, text)
        })
        .collect()
}

/// Spec variants that together switch on every option of the collectors.
const VARIANTS: &[&str] = &[
    "",
    "  loki: {multiTenancy: true}\n  mimir: {multiTenancy: true, tenant: ops}\n  cluster: {name: edge-1}\n",
    "  alloy:\n    metrics: {scrapeKubelet: false, scrapeCadvisor: false}\n",
    "  alloy:\n    metrics: {scrapeKubelet: false}\n",
    "  alloy:\n    logs:\n      excludeNamespaces: [kube-system, noisy]\n      relabelRules:\n        - {action: drop, sourceLabels: [__meta_kubernetes_pod_label_logs], regex: 'off|false'}\n        - {sourceLabels: [__meta_kubernetes_pod_node_name], targetLabel: node}\n        - {action: labelmap, regex: '__meta_kubernetes_pod_label_team_(.+)', replacement: 'team_$1'}\n        - {action: hashmod, sourceLabels: [pod], modulus: 8, targetLabel: shard}\n        - {action: labeldrop, regex: 'tmp_.*'}\n        - {action: keepequal, sourceLabels: [a], targetLabel: b}\n    metrics:\n      writeRelabelRules:\n        - {action: drop, sourceLabels: [__name__], regex: 'apiserver_request_duration_seconds_bucket|etcd_.*'}\n        - {action: replace, sourceLabels: [a, b], separator: '-', regex: '(.*)-(.*)', targetLabel: 'x_${1}', replacement: '$2'}\n      extraScrapes:\n        - {name: router, targets: ['router.lan:9100', '10.0.0.1:9100']}\n        - {name: nas-1, targets: ['[fd00::1]:9100'], metricsPath: /probe, scheme: https, interval: 30s, labels: {site: home, 'null': x}}\n",
    "  loki: {enabled: false}\n",
    "  mimir: {enabled: false}\n",
    "  mimir: {rules: {enabled: false}}\n",
    "  alloy:\n    events: {namespaces: [default, apps]}\n    nodeLogs: {enabled: true, units: [kubelet.service, 'systemd-journald@x.service']}\n    metrics:\n      annotationAutodiscovery: true\n      controlPlane: {scheduler: true, controllerManager: true, etcd: true}\n      allowLists: {cadvisor: [container_oom_events_total], apiServer: ['a:b_c']}\n",
    "  alloy:\n    metrics:\n      controlPlane: {apiServer: false, coreDns: false}\n      allowLists: {enabled: false}\n",
];

#[test]
fn every_configuration_parses_and_uses_only_listed_components() {
    let mut used = Vec::new();
    for variant in VARIANTS {
        for (name, text) in configs(variant) {
            let what = format!("{name} of {variant:?}");
            assert!(
                !text.contains("{{"),
                "{what}: `{{{{` reaches Helm's tpl:\n{text}"
            );
            assert!(!text.contains("${"), "{what}: `${{` reaches Flux:\n{text}");
            let file = parse(&text).unwrap_or_else(|e| panic!("{what}: {e}\n{text}"));
            let problems = schema::check(&file);
            assert!(
                problems.is_empty(),
                "{what}:\n{}\n{text}",
                problems.join("\n")
            );
            let unresolved = schema::unresolved_references(&file);
            assert!(unresolved.is_empty(), "{what}: {unresolved:?}");
            for stmt in &file {
                let Stmt::Block { name, .. } = stmt else {
                    panic!("{what}: top-level attribute")
                };
                let component = name.join(".");
                assert!(
                    COMPONENTS.contains(&component.as_str()),
                    "{what}: {component} is not in COMPONENTS"
                );
                used.push(component);
            }
        }
    }
    // Every listed component is emitted by some variant (the list holds no stale names).
    for component in COMPONENTS {
        assert!(
            used.iter().any(|u| u == component),
            "{component} never emitted"
        );
    }
}

/// Issue 18: alloy-metrics loads the PrometheusRules into Mimir's ruler through the gateway, as
/// the tenant it writes as, limited to and labelled with its cluster; not with rules off.
#[test]
fn rules_sync_follows_mimir_rules() {
    let metrics = |spec: &str| {
        configs(spec)
            .into_iter()
            .find(|(name, _)| name == "alloy-metrics")
            .map(|(_, text)| text)
            .expect("alloy-metrics")
    };
    let text = metrics("  mimir: {multiTenancy: true, tenant: ops}\n  cluster: {name: edge-1}\n");
    assert!(
        text.contains("mimir.rules.kubernetes \"rules\" {"),
        "{text}"
    );
    assert!(
        text.contains("address         = \"http://mimir-gateway.mimir.svc.cluster.local\""),
        "{text}"
    );
    assert!(text.contains("tenant_id       = \"ops\""), "{text}");
    assert!(text.contains("value      = \"edge-1\""), "{text}");
    assert!(!metrics("").contains("tenant_id"));
    assert!(!metrics("  mimir: {rules: {enabled: false}}\n").contains("mimir.rules.kubernetes"));
}

#[test]
fn the_component_list_matches_what_the_tests_know_of_alloy() {
    let mut listed = COMPONENTS.to_vec();
    listed.sort_unstable();
    let mut known = schema::components();
    known.sort_unstable();
    assert_eq!(listed, known);
}

#[test]
fn strings_round_trip_through_writer_and_parser() {
    for text in NASTY {
        let mut config = Config::new(&[]);
        config.push(
            ComponentBlock::new(Component::LokiWrite, Ident::fixed("x"))
                .attr(
                    "external_labels",
                    Expr::Object(vec![(Key::fixed("k"), (*text).into())]),
                )
                .block(Block::new("endpoint").attr("url", *text)),
        );
        let rendered = config.render();
        assert!(
            !rendered.contains("{{") && !rendered.contains("${"),
            "{rendered}"
        );
        let file = parse(&rendered).unwrap_or_else(|e| panic!("{text:?}: {e}\n{rendered}"));
        let (_, _, body) = &blocks(&file)[1];
        assert_eq!(attribute(body, "url").and_then(|e| e.as_str()), Some(*text));
        let Stmt::Block { body, .. } = &file[0] else {
            panic!()
        };
        let Some(alloy_syntax::Expr::Object(fields)) = attribute(body, "external_labels") else {
            panic!()
        };
        assert_eq!(fields[0].1.as_str(), Some(*text));
        // One literal per string: the quoted form is the writer's `quote`.
        assert!(rendered.contains(&quote(text)));
    }
}

#[test]
fn keys_round_trip() {
    for key in [
        "cluster",
        "X-Scope-OrgID",
        "null",
        "true",
        "a.b",
        "with space",
        "ü",
    ] {
        let mut config = Config::new(&[]);
        config.push(
            ComponentBlock::new(Component::LokiWrite, Ident::fixed("x")).attr(
                "external_labels",
                Expr::Object(vec![(Key::new(key).expect("writable"), "v".into())]),
            ),
        );
        let rendered = config.render();
        let file = parse(&rendered).unwrap_or_else(|e| panic!("{key:?}: {e}\n{rendered}"));
        let Stmt::Block { body, .. } = &file[0] else {
            panic!()
        };
        let Some(alloy_syntax::Expr::Object(fields)) = attribute(body, "external_labels") else {
            panic!()
        };
        assert_eq!(fields[0].0, key);
    }
}

#[test]
fn user_relabel_strings_reach_alloy_unchanged() {
    let mut spec = String::from("  alloy:\n    logs:\n      relabelRules:\n");
    for text in NASTY {
        let quoted = yaml_quote(text);
        spec.push_str(&format!(
            "        - {{sourceLabels: [a], separator: {quoted}, targetLabel: t, replacement: {quoted}}}\n"
        ));
    }
    let configs = configs(&spec);
    let (_, text) = configs
        .iter()
        .find(|(name, _)| name == "alloy-logs")
        .expect("alloy-logs");
    let file = parse(text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let rules: Vec<_> = blocks(&file)
        .into_iter()
        .filter(|(path, _, body)| {
            path.join("/") == "discovery.relabel/rule"
                && attribute(body, "target_label").and_then(|e| e.as_str()) == Some("t")
        })
        .collect();
    assert_eq!(rules.len(), NASTY.len());
    for ((_, _, body), text) in rules.iter().zip(NASTY) {
        assert_eq!(
            attribute(body, "replacement").and_then(|e| e.as_str()),
            Some(*text)
        );
        assert_eq!(
            attribute(body, "separator").and_then(|e| e.as_str()),
            Some(*text)
        );
    }
}

#[test]
fn collectors_follow_their_backends() {
    let names =
        |variant: &str| -> Vec<String> { configs(variant).into_iter().map(|c| c.0).collect() };
    assert_eq!(names(""), ["alloy-logs", "alloy-metrics", "alloy-events"]);
    assert_eq!(names("  loki: {enabled: false}\n"), ["alloy-metrics"]);
    assert_eq!(
        names("  mimir: {enabled: false}\n"),
        ["alloy-logs", "alloy-events"]
    );
    assert_eq!(
        names("  alloy: {logs: {enabled: false}}\n"),
        ["alloy-metrics", "alloy-events"]
    );
    assert_eq!(
        names("  alloy: {metrics: {enabled: false}}\n"),
        ["alloy-logs", "alloy-events"]
    );
    assert_eq!(
        names("  alloy: {events: {enabled: false}, nodeLogs: {enabled: true}}\n"),
        ["alloy-logs", "alloy-metrics", "alloy-node-logs"]
    );
    assert!(names("  alloy: {enabled: false}\n").is_empty());
}

#[test]
fn sinks_come_from_the_shared_endpoints() {
    let stack = stack("  loki: {multiTenancy: true}\n  mimir: {multiTenancy: true, tenant: ops}\n");
    let ctx = Context::new(&stack);
    let texts =
        configs("  loki: {multiTenancy: true}\n  mimir: {multiTenancy: true, tenant: ops}\n");
    let logs = parse(&texts[0].1).expect("logs");
    let metrics = parse(&texts[1].1).expect("metrics");
    let find = |file: &[Stmt], path: &str, attr: &str| -> Option<String> {
        blocks(file)
            .into_iter()
            .find(|(p, _, _)| p.join("/") == path)
            .and_then(|(_, _, body)| {
                attribute(body, attr)
                    .and_then(|e| e.as_str())
                    .map(String::from)
            })
    };
    assert_eq!(
        find(&logs, "loki.write/endpoint", "url"),
        ctx.loki_push_url()
    );
    assert_eq!(
        find(&logs, "loki.write/endpoint", "tenant_id").as_deref(),
        ctx.loki_tenant()
    );
    assert_eq!(
        find(&metrics, "prometheus.remote_write/endpoint", "url"),
        ctx.mimir_push_url()
    );
    let headers = blocks(&metrics)
        .into_iter()
        .find(|(p, _, _)| p.join("/") == "prometheus.remote_write/endpoint")
        .and_then(|(_, _, body)| attribute(body, "headers").cloned());
    let Some(alloy_syntax::Expr::Object(headers)) = headers else {
        panic!("no headers")
    };
    assert_eq!(headers[0].0, "X-Scope-OrgID");
    assert_eq!(headers[0].1.as_str(), ctx.mimir_tenant());

    // Without multi-tenancy: no tenant at all.
    let texts = configs("");
    let logs = parse(&texts[0].1).expect("logs");
    assert_eq!(find(&logs, "loki.write/endpoint", "tenant_id"), None);
    assert!(!texts[1].1.contains("X-Scope-OrgID"));
}

/// A YAML double-quoted scalar with every character outside printable ASCII escaped.
fn yaml_quote(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            ' '..='~' => out.push(c),
            c if (c as u32) <= 0xffff => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push_str(&format!("\\U{:08x}", c as u32)),
        }
    }
    out.push('"');
    out
}
