//! Fleets (issue 20): roles, remote endpoints and destinations in the spec, what an edge stack
//! is (and is not), and the `fleet` command's fit checks, each failure naming its field.

use monitoring_stack::fleet::{check, Member};
use monitoring_stack::render;
use monitoring_stack::spec::parse_stack;
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn stack_of(text: &str) -> monitoring_stack::spec::MonitoringStack {
    let value: serde_yaml_ng::Value = serde_yaml_ng::from_str(text).expect("yaml");
    parse_stack(&value).unwrap_or_else(|e| panic!("invalid: {e:?}"))
}

/// (field, message) of every error of a stack named `main` with this spec body.
fn errors(spec: &str) -> Vec<(String, String)> {
    let input = format!(
        "apiVersion: monitoring-stack.dev/v1alpha1\nkind: MonitoringStack\nmetadata:\n  name: main\nspec:\n{spec}"
    );
    match render(input.as_bytes()) {
        Ok(_) => Vec::new(),
        Err(results) => results
            .into_iter()
            .map(|r| (r.field.unwrap_or_default(), r.message))
            .collect(),
    }
}

fn assert_error(spec: &str, field: &str, words: &str) {
    let found = errors(spec);
    assert!(
        found.iter().any(|(f, m)| f == field && m.contains(words)),
        "expected an error at {field} saying {words:?} for\n{spec}\ngot {found:?}"
    );
}

const EDGE: &str = "  role: edge\n  remote:\n    metrics:\n      url: https://mimir.example.com\n";

#[test]
fn spec_errors_name_the_field() {
    assert_error(
        &format!("{EDGE}  loki:\n    retention: 7d\n"),
        "spec.loki",
        "an edge stack runs no Loki",
    );
    assert_error(
        &format!("{EDGE}  grafana:\n    hostname: g.example.com\n"),
        "spec.grafana",
        "no Grafana",
    );
    assert_error("  role: edge\n", "spec.remote", "needs somewhere to write");
    assert_error(
        "  grafana: {hostname: g.example.com}\n  remote:\n    logs: {url: https://loki.example.com}\n",
        "spec.remote",
        "only an edge stack",
    );
    assert_error(
        "  role: central\n  grafana: {hostname: g.example.com}\n  mimir: {multiTenancy: false}\n",
        "spec.mimir.multiTenancy",
        "multi-tenancy stays on",
    );
    assert_error(
        "  role: central\n  grafana: {hostname: g.example.com}\n",
        "spec.central.lokiHostname",
        "required for role central",
    );
    assert_error(
        "  role: central\n  grafana: {hostname: g.example.com}\n  central: {lokiHostname: l.example.com, mimirHostname: m.example.com, tenants: [main]}\n",
        "spec.central.tenants[0]",
        "this cluster's own tenant",
    );
    assert_error(
        "  role: central\n  grafana: {hostname: g.example.com}\n  central: {exposure: {type: LoadBalancer}}\n",
        "spec.central.exposure.type",
        "unknown value `LoadBalancer`",
    );
    assert_error(
        "  role: edge\n  remote:\n    metrics:\n      url: https://mimir.example.com/api/v1/push\n",
        "spec.remote.metrics.url",
        "base URL",
    );
    assert_error(
        "  role: edge\n  remote:\n    metrics:\n      url: http://mimir.example.com\n      auth: {bearerToken: {name: t, key: token}}\n",
        "spec.remote.metrics.url",
        "clear text",
    );
    assert_error(
        "  role: edge\n  remote:\n    metrics:\n      url: https://mimir.example.com\n      auth: {bearerToken: {name: t, key: token}}\n      tls: {insecureSkipVerify: true}\n",
        "spec.remote.metrics.tls.insecureSkipVerify",
        "whoever answers",
    );
    assert_error(
        "  role: edge\n  destinations:\n    - {name: a, type: loki, url: https://l.example.com/loki/api/v1/push}\n    - {name: a, type: loki, url: https://l2.example.com/loki/api/v1/push}\n",
        "spec.destinations[1].name",
        "unique",
    );
    assert_error(
        "  role: edge\n  destinations:\n    - name: a\n      type: prometheus\n      url: https://p.example.com/push\n      auth: {basic: {username: \"a:b\", password: {name: s, key: k}}}\n",
        "spec.destinations[0].auth.basic.username",
        "basic-auth user name",
    );
    assert_error(
        "  role: edge\n  destinations:\n    - name: a\n      type: prometheus\n      url: https://p.example.com/push\n      relabelRules: [{action: replace}]\n",
        "spec.destinations[0].relabelRules[0].targetLabel",
        "required for action replace",
    );
    // A collector switched on with nowhere to send is still refused, naming the new ways out.
    assert_error(
        "  role: edge\n  remote:\n    logs: {url: https://loki.example.com}\n  alloy:\n    metrics: {enabled: true}\n",
        "spec.alloy.metrics.enabled",
        "spec.remote.metrics",
    );
}

/// An edge stack: the collectors, exporters, operator and monitor CRDs, and nothing that
/// names Loki, Mimir or Grafana in this cluster.
#[test]
fn an_edge_stack_has_no_storage_no_grafana_and_no_reference_to_them() {
    let input = std::fs::read(root().join("krm/examples/edge.yaml")).expect("example");
    let objects = render(&input).expect("valid");
    let text = monitoring_stack::yaml::to_string(&serde_yaml_ng::Value::Sequence(objects.clone()));
    for absent in [
        "svc.cluster.local",
        "loki-gateway",
        "mimir-gateway",
        "grafana.integreatly.org",
        "GrafanaDatasource",
        "BucketClaim",
    ] {
        assert!(
            !text.contains(absent),
            "an edge stack's output mentions {absent:?}"
        );
    }
    let folders: std::collections::BTreeSet<String> = monitoring_stack::output_dir::files(&objects)
        .keys()
        .filter_map(|path| path.split_once('/').map(|(folder, _)| folder.to_string()))
        .collect();
    assert_eq!(
        folders.into_iter().collect::<Vec<_>>(),
        [
            "alloy",
            "alloy-operator",
            "kube-state-metrics",
            "node-exporter",
            "prometheus-crds"
        ]
    );
    // The central gateways get this cluster's tenant, its cluster label and its credentials.
    assert!(text.contains("https://mimir.monitoring.example.com/api/v1/push"));
    assert!(text.contains("https://loki.monitoring.example.com/loki/api/v1/push"));
    assert!(
        text.contains("tenant_id       = \"edge-a\"") || text.contains("tenant_id = \"edge-a\"")
    );
    assert!(text.contains("password = sys.env(\"CENTRAL_METRICS_PASSWORD\")"));
}

fn fleet_bin(args: &[&str]) -> (i32, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_monitoring-stack"))
        .args(args)
        .output()
        .expect("run");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// A copy of the example fleet in a temporary folder, with `edit` applied to one file.
fn fleet_copy(name: &str, file: &str, from: &str, to: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ms-fleet-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("fleet")).expect("mkdir");
    std::fs::create_dir_all(dir.join("examples")).expect("mkdir");
    for (source, target) in [
        ("krm/fleet/fleet.yaml", "fleet/fleet.yaml"),
        ("krm/fleet/edge-b.yaml", "fleet/edge-b.yaml"),
        ("krm/examples/central.yaml", "examples/central.yaml"),
        ("krm/examples/edge.yaml", "examples/edge.yaml"),
    ] {
        let mut text = std::fs::read_to_string(root().join(source)).expect("example");
        if target == file {
            assert!(text.contains(from), "{source} has no {from:?}");
            text = text.replacen(from, to, 1);
        }
        std::fs::write(dir.join(target), text).expect("write");
    }
    dir
}

#[test]
fn the_example_fleet_fits_and_renders_each_cluster_like_render() {
    let (code, stderr) = fleet_bin(&["fleet", "krm/fleet/fleet.yaml"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("3 cluster(s) fit together (central, edge-a, edge-b)"));

    let out = std::env::temp_dir().join(format!("ms-fleet-out-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let dir = out.to_str().expect("utf-8 path");
    let (code, stderr) = fleet_bin(&["fleet", "krm/fleet/fleet.yaml", "--output-dir", dir]);
    assert_eq!(code, 0, "{stderr}");
    for (folder, stack) in [
        ("central", "krm/examples/central.yaml"),
        ("edge-a", "krm/examples/edge.yaml"),
        ("edge-b", "krm/fleet/edge-b.yaml"),
    ] {
        let input = std::fs::read(root().join(stack)).expect("stack");
        let objects = render(&input).expect("valid");
        for (path, content) in monitoring_stack::output_dir::files(&objects) {
            let written = std::fs::read_to_string(out.join(folder).join(&path))
                .unwrap_or_else(|_| panic!("{folder}/{path} not written"));
            assert_eq!(written, content, "{folder}/{path}");
        }
    }
    let (code, stderr) = fleet_bin(&[
        "fleet",
        "krm/fleet/fleet.yaml",
        "--output-dir",
        dir,
        "--check",
    ]);
    assert_eq!(code, 0, "{stderr}");
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn a_mismatched_host_fails_naming_the_field() {
    let dir = fleet_copy(
        "host",
        "fleet/edge-b.yaml",
        "url: https://mimir.monitoring.example.com",
        "url: https://mimir.other.example.com",
    );
    let (code, stderr) = fleet_bin(&[
        "fleet",
        dir.join("fleet/fleet.yaml").to_str().expect("path"),
    ]);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("edge-b.yaml: spec.remote.metrics.url: \"https://mimir.other.example.com\" is not a host the central stack exposes")
            && stderr.contains("spec.central.mimirHostname"),
        "{stderr}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_duplicate_tenant_fails_naming_the_field() {
    let dir = fleet_copy(
        "tenant",
        "fleet/edge-b.yaml",
        "      url: https://loki.monitoring.example.com\n",
        "      url: https://loki.monitoring.example.com\n      tenant: edge-a\n",
    );
    let (code, stderr) = fleet_bin(&[
        "fleet",
        dir.join("fleet/fleet.yaml").to_str().expect("path"),
    ]);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("edge-b.yaml: spec.remote.logs.tenant: tenant \"edge-a\" is already written by ../examples/edge.yaml"),
        "{stderr}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_missing_secret_fails_naming_the_field() {
    let dir = fleet_copy(
        "secret",
        "fleet/fleet.yaml",
        "        - alloy/central-ca\n",
        "",
    );
    let (code, stderr) = fleet_bin(&[
        "fleet",
        dir.join("fleet/fleet.yaml").to_str().expect("path"),
    ]);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("edge-b.yaml: spec.remote.logs.tls.caSecret: Secret alloy/central-ca is not one cluster edge-b declares")
            && stderr.contains("spec.remote.metrics.tls.caSecret"),
        "{stderr}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

const CENTRAL: &str = "apiVersion: monitoring-stack.dev/v1alpha1\nkind: MonitoringStack\nmetadata: {name: central}\nspec:\n  role: central\n  grafana: {hostname: g.example.com}\n  central: {lokiHostname: l.example.com, mimirHostname: m.example.com, tenants: [a]}\n";

fn edge(name: &str, extra: &str) -> String {
    format!("apiVersion: monitoring-stack.dev/v1alpha1\nkind: MonitoringStack\nmetadata: {{name: {name}}}\nspec:\n  role: edge\n  remote:\n    metrics:\n      url: https://m.example.com\n      auth: {{basic: {{username: {name}, password: {{name: gw, key: password}}}}}}\n{extra}")
}

#[test]
fn fleet_checks_cover_centrals_labels_and_unread_tenants() {
    let central = stack_of(CENTRAL);
    let a = stack_of(&edge("a", ""));
    let b = stack_of(&edge("b", "  cluster: {name: a}\n"));
    let secrets = |names: &[&str]| names.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let central_secrets = secrets(&[
        "loki/monitoring-gateway-htpasswd",
        "mimir/monitoring-gateway-htpasswd",
        "alloy/monitoring-gateway-client",
        "grafana/monitoring-gateway-client",
    ]);
    let edge_secrets = secrets(&["alloy/gw"]);
    let member = |file, stack, secrets| Member {
        file,
        stack,
        secrets,
    };

    // The good case: no misfit.
    let fits = check(
        "fleet.yaml",
        &[
            member("central.yaml", &central, &central_secrets),
            member("a.yaml", &a, &edge_secrets),
        ],
    );
    assert_eq!(fits, Vec::new());

    // b reuses a's cluster label (and so its default tenant); the central Grafana does not
    // read b... and a missing central is its own misfit.
    let misfits: Vec<String> = check(
        "fleet.yaml",
        &[
            member("central.yaml", &central, &central_secrets),
            member("a.yaml", &a, &edge_secrets),
            member("b.yaml", &b, &edge_secrets),
        ],
    )
    .iter()
    .map(ToString::to_string)
    .collect();
    assert!(
        misfits
            .iter()
            .any(|m| m
                .starts_with("b.yaml: spec.cluster.name: cluster label \"a\" is also a.yaml's")),
        "{misfits:?}"
    );
    assert!(
        misfits.iter().any(|m| m
            .starts_with("b.yaml: spec.remote.metrics.tenant: tenant \"a\" is already written")),
        "{misfits:?}"
    );

    let lonely = check("fleet.yaml", &[member("a.yaml", &a, &edge_secrets)]);
    assert_eq!(lonely.len(), 1, "{lonely:?}");
    assert_eq!(lonely[0].field, "spec.clusters");

    let second = stack_of(&CENTRAL.replace("name: central", "name: central2"));
    let two = check(
        "fleet.yaml",
        &[
            member("central.yaml", &central, &central_secrets),
            member("central2.yaml", &second, &central_secrets),
        ],
    );
    assert!(
        two.iter()
            .any(|m| m.file == "fleet.yaml" && m.field == "spec.clusters[1].stack"),
        "{two:?}"
    );
    // The central stack reads tenant "a", which nobody writes here.
    assert!(
        two.iter()
            .any(|m| m.file == "central.yaml" && m.field == "spec.central.tenants[0]"),
        "{two:?}"
    );

    // An edge the central Grafana does not read, and one without credentials.
    let c = stack_of(&edge("c", "").replace(
        "      auth: {basic: {username: c, password: {name: gw, key: password}}}\n",
        "",
    ));
    let unread = check(
        "fleet.yaml",
        &[
            member("central.yaml", &central, &central_secrets),
            member("a.yaml", &a, &edge_secrets),
            member("c.yaml", &c, &edge_secrets),
        ],
    );
    assert!(
        unread.iter().any(|m| m.file == "central.yaml"
            && m.field == "spec.central.tenants"
            && m.message.contains("c.yaml writes as tenant \"c\"")),
        "{unread:?}"
    );
    assert!(
        unread
            .iter()
            .any(|m| m.file == "c.yaml" && m.field == "spec.remote.metrics.auth"),
        "{unread:?}"
    );

    // A central stack's own Secrets are checked like the edges'.
    let missing = check(
        "fleet.yaml",
        &[
            member("central.yaml", &central, &edge_secrets),
            member("a.yaml", &a, &edge_secrets),
        ],
    );
    assert!(
        missing.iter().any(|m| m.file == "central.yaml"
            && m.field == "spec.central.auth.htpasswdSecret"
            && m.message
                .contains("Secret loki/monitoring-gateway-htpasswd")),
        "{missing:?}"
    );
}

mod variants {
    //! Held-out variants of the fleet fields (styles no example or golden has): any mix of
    //! roles, endpoints, credentials, TLS and destinations renders, keeps every credential out
    //! of the text, and reads every Secret from a declared prerequisite.
    use monitoring_stack::render;
    use proptest::prelude::*;

    fn auth() -> impl Strategy<Value = String> {
        prop_oneof![
            Just(String::new()),
            "[a-z0-9]{1,8}".prop_map(|user| format!(
                "auth: {{basic: {{username: \"{user}\", password: {{name: pw-{user}, key: password}}}}}}"
            )),
            "[a-z]{1,8}".prop_map(|name| format!(
                "auth: {{bearerToken: {{name: tok-{name}, key: token}}}}"
            )),
        ]
    }

    fn tls() -> impl Strategy<Value = String> {
        prop_oneof![
            Just(String::new()),
            Just("tls: {caSecret: {name: private-ca, key: ca.crt}}".to_string()),
            Just("tls: {serverName: gateway.internal}".to_string()),
        ]
    }

    /// One endpoint as a flow mapping, with `url` and optional tenant, auth and TLS.
    fn endpoint(url: &'static str) -> impl Strategy<Value = String> {
        (proptest::option::of("[a-z]{1,6}"), auth(), tls()).prop_map(move |(tenant, auth, tls)| {
            let mut fields = vec![format!("url: {url}")];
            if let Some(tenant) = tenant {
                fields.push(format!("tenant: t-{tenant}"));
            }
            fields.extend([auth, tls].into_iter().filter(|f| !f.is_empty()));
            format!("{{{}}}", fields.join(", "))
        })
    }

    fn destination() -> impl Strategy<Value = String> {
        (
            prop_oneof![Just("prometheus"), Just("loki")],
            endpoint("https://sink.example.net/push"),
            any::<bool>(),
        )
            .prop_map(|(kind, endpoint, relabel)| {
                // The endpoint's fields, plus name, type and maybe a rule.
                let inner = endpoint
                    .strip_prefix('{')
                    .and_then(|e| e.strip_suffix('}'))
                    .unwrap_or(&endpoint);
                let rule = if relabel {
                    ", relabelRules: [{action: labeldrop, regex: pod}]"
                } else {
                    ""
                };
                format!("{{type: {kind}, {inner}{rule}}}")
            })
    }

    fn spec() -> impl Strategy<Value = String> {
        (
            any::<bool>(),
            proptest::option::of(endpoint("https://loki.central.example.com")),
            proptest::option::of(endpoint("https://mimir.central.example.com")),
            prop::collection::vec(destination(), 0..4),
            any::<bool>(),
        )
            .prop_map(|(edge, logs, metrics, destinations, node_logs)| {
                // Node logs need a log writer (else the spec is refused, as it should be).
                let node_logs = node_logs
                    && (!edge
                        || logs.is_some()
                        || destinations.iter().any(|d| d.contains("type: loki")));
                let mut spec = String::new();
                if edge {
                    spec.push_str("  role: edge\n");
                    let mut remote = Vec::new();
                    if let Some(logs) = logs {
                        remote.push(format!("logs: {logs}"));
                    }
                    // An edge needs somewhere to write.
                    remote.push(format!(
                        "metrics: {}",
                        metrics
                            .unwrap_or_else(|| "{url: https://mimir.central.example.com}".into())
                    ));
                    spec.push_str(&format!("  remote: {{{}}}\n", remote.join(", ")));
                } else {
                    spec.push_str("  grafana: {hostname: g.example.com}\n");
                }
                if node_logs {
                    spec.push_str("  alloy: {nodeLogs: {enabled: true}}\n");
                }
                let named: Vec<String> = destinations
                    .iter()
                    .enumerate()
                    .map(|(i, d)| d.replacen('{', &format!("{{name: d{i}, "), 1))
                    .collect();
                spec.push_str(&format!("  destinations: [{}]\n", named.join(", ")));
                spec
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 48, failure_persistence: None, ..ProptestConfig::default() })]

        #[test]
        fn any_fleet_variant_renders_with_credentials_only_from_declared_secrets(spec in spec()) {
            let input = format!(
                "apiVersion: monitoring-stack.dev/v1alpha1\nkind: MonitoringStack\nmetadata:\n  name: main\nspec:\n{spec}"
            );
            let objects = match render(input.as_bytes()) {
                Ok(objects) => objects,
                Err(errors) => {
                    // Refused only for what the spec forbids: credentials with a plain URL
                    // never occur here, so any error is a defect.
                    return Err(TestCaseError::fail(format!("{spec}: {errors:?}")));
                }
            };
            let text = monitoring_stack::yaml::to_string(&serde_yaml_ng::Value::Sequence(objects.clone()));
            // No credential is written: every password and token is an environment variable.
            for line in text.lines().map(str::trim_start) {
                for key in ["password ", "password=", "bearer_token "] {
                    if line.starts_with(key) {
                        prop_assert!(line.contains("sys.env(\""), "{line}");
                    }
                }
            }
            // Every Secret an env var or volume reads is a declared prerequisite in its namespace.
            let prerequisites = monitoring_stack::prerequisites(input.as_bytes()).expect("valid");
            let declared = |namespace: &str, name: &str| {
                prerequisites.iter().any(|p| {
                    p.kind == "Secret" && p.name == name && p.namespace.as_deref() == Some(namespace)
                })
            };
            for object in &objects {
                if object["kind"].as_str() != Some("Alloy") {
                    continue;
                }
                let namespace = object["metadata"]["namespace"].as_str().unwrap_or_default();
                let spec = serde_json::to_value(&object["spec"]).expect("json");
                let envs = spec.pointer("/alloy/extraEnv").and_then(|e| e.as_array()).cloned().unwrap_or_default();
                for env in envs {
                    let name = env.pointer("/valueFrom/secretKeyRef/name").and_then(|n| n.as_str()).unwrap_or_default();
                    prop_assert!(declared(namespace, name), "{namespace}/{name} is read but not a prerequisite");
                }
                let volumes = spec.pointer("/controller/volumes/extra").and_then(|e| e.as_array()).cloned().unwrap_or_default();
                for volume in volumes {
                    if let Some(name) = volume.pointer("/secret/secretName").and_then(|n| n.as_str()) {
                        prop_assert!(declared(namespace, name), "{namespace}/{name} is mounted but not a prerequisite");
                    }
                }
            }
        }
    }
}
