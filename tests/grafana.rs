//! Grafana's part of the expansion (`grafana-operator/` and `grafana/`): every object against
//! its pinned CRD (plus the CEL rules JSON Schema cannot express), no secret literal anywhere,
//! Flux substitution kept off placeholders, selectors, grafana.ini strings, persistence, the
//! three exposure paths, datasource uids and the alert rules that use them, and a Rust-side
//! syntax check of every PromQL / LogQL rule expression.

mod support;

use monitoring_stack::render;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The examples that exercise Grafana (the seed and minimal stacks plus the Grafana variants).
const EXAMPLES: &[&str] = &[
    "krm/examples/seed.yaml",
    "krm/examples/minimal.yaml",
    "krm/examples/grafana-no-oidc.yaml",
    "krm/examples/grafana-ingress.yaml",
    "krm/examples/grafana-httproute.yaml",
    "krm/examples/grafana-alerting.yaml",
];

const GRAFANA_API: &str = "grafana.integreatly.org/v1beta1";
const SUBSTITUTE: &str = "kustomize.toolkit.fluxcd.io/substitute";
const INSTANCE_LABEL: &str = "monitoring-stack.dev/grafana";

// ---------------------------------------------------------------------------------------------
// Rendering helpers

fn to_json(objects: Vec<serde_yaml_ng::Value>) -> Vec<Value> {
    objects
        .into_iter()
        .map(|o| support::yaml_to_json(o).expect("generated objects are JSON-compatible"))
        .collect()
}

fn rendered(example: &str) -> Vec<Value> {
    let input =
        std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join(example)).expect("example exists");
    to_json(render(&input).unwrap_or_else(|e| panic!("{example} is invalid: {e:?}")))
}

const HEAD: &str =
    "apiVersion: monitoring-stack.dev/v1alpha1\nkind: MonitoringStack\nmetadata:\n  name: main\nspec:\n";

/// Renders a stack whose `spec` body is `spec` (indented by two spaces already).
fn inline(spec: &str) -> Vec<Value> {
    let text = format!("{HEAD}{spec}");
    to_json(render(text.as_bytes()).unwrap_or_else(|e| panic!("{spec}: {e:?}")))
}

/// The error messages of an invalid stack.
fn inline_errors(spec: &str) -> String {
    let text = format!("{HEAD}{spec}");
    match render(text.as_bytes()) {
        Ok(_) => panic!("expected an error for:\n{spec}"),
        Err(results) => format!("{results:?}"),
    }
}

fn text<'a>(object: &'a Value, pointer: &str) -> &'a str {
    object
        .pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_default()
}

fn path_of(object: &Value) -> &str {
    text(
        object,
        "/metadata/annotations/internal.config.kubernetes.io~1path",
    )
}

/// The objects of the `grafana/` and `grafana-operator/` folders.
fn grafana_part(objects: &[Value]) -> Vec<&Value> {
    objects
        .iter()
        .filter(|o| {
            path_of(o).starts_with("grafana/") || path_of(o).starts_with("grafana-operator/")
        })
        .collect()
}

fn of_kind<'a>(objects: &'a [Value], kind: &str) -> Vec<&'a Value> {
    objects
        .iter()
        .filter(|o| text(o, "/kind") == kind)
        .collect()
}

fn one<'a>(objects: &'a [Value], kind: &str, name: &str) -> &'a Value {
    objects
        .iter()
        .find(|o| text(o, "/kind") == kind && text(o, "/metadata/name") == name)
        .unwrap_or_else(|| panic!("no {kind} {name}"))
}

fn describe(object: &Value) -> String {
    format!(
        "{} {}/{}",
        text(object, "/kind"),
        text(object, "/metadata/namespace"),
        text(object, "/metadata/name")
    )
}

/// Stacks beyond the examples that reach the remaining branches.
const VARIANTS: &[&str] = &[
    // Slack off, a user contact point as the policy's root, no default rules.
    "  grafana:\n    hostname: g.example.com\n    alerting:\n      defaultRules: false\n      slack: {enabled: false}\n      contactPoints:\n        - name: mail\n          receivers: [{type: email, settings: {addresses: ops@example.com}}]\n",
    // Nothing to alert to: no contact point, no policy.
    "  grafana:\n    hostname: g.example.com\n    alerting:\n      slack: {enabled: false}\n",
    // HTTPRoute without TLS and without a listener name; Loki switched off.
    "  grafana:\n    hostname: g.example.com\n    tls: {enabled: false}\n    exposure:\n      type: HTTPRoute\n      gateway: {name: gw, namespace: infra}\n  loki: {enabled: false}\n",
    // Ingress without TLS; Mimir and the exporters off.
    "  grafana:\n    hostname: g.example.com\n    tls: {enabled: false}\n    exposure: {type: Ingress}\n  mimir: {enabled: false}\n  kubeStateMetrics: {enabled: false}\n  nodeExporter: {enabled: false}\n",
    // The escape hatch merged into the Grafana CR spec, and a custom StorageClass.
    "  cluster: {storageClass: fast-ssd}\n  grafana:\n    hostname: g.example.com\n    values:\n      deployment:\n        spec:\n          replicas: 1\n      preferences:\n        homeDashboardUid: home\n",
];

fn all_renders() -> Vec<(String, Vec<Value>)> {
    let mut out: Vec<(String, Vec<Value>)> = EXAMPLES
        .iter()
        .map(|e| (e.to_string(), rendered(e)))
        .collect();
    out.extend(
        VARIANTS
            .iter()
            .enumerate()
            .map(|(i, v)| (format!("variant {i}"), inline(v))),
    );
    out
}

// ---------------------------------------------------------------------------------------------
// CRD validation

/// The `x-kubernetes-validations` (CEL) rules of the CRDs that the JSON Schema conversion drops,
/// checked by hand for what we generate.
fn cel_rules(object: &Value) -> Vec<String> {
    let mut errors = Vec::new();
    let what = describe(object);
    match text(object, "/kind") {
        "GrafanaNotificationPolicy" => {
            let route = &object["spec"]["route"];
            for forbidden in [
                "continue",
                "match_re",
                "matchers",
                "object_matchers",
                "mute_time_intervals",
                "active_time_intervals",
            ] {
                if route.get(forbidden).is_some() {
                    errors.push(format!("{what}: the root route may not have {forbidden}"));
                }
            }
        }
        "GrafanaAlertRuleGroup" | "GrafanaFolder" => {
            let spec = &object["spec"];
            let (a, b) = if text(object, "/kind") == "GrafanaFolder" {
                ("parentFolderRef", "parentFolderUID")
            } else {
                ("folderRef", "folderUID")
            };
            let count = [a, b].iter().filter(|k| spec.get(**k).is_some()).count();
            let required = text(object, "/kind") == "GrafanaAlertRuleGroup";
            if count > 1 || (required && count != 1) {
                errors.push(format!("{what}: exactly one of {a} / {b}"));
            }
        }
        "Grafana" => {
            let tls = &object["spec"]["client"]["tls"];
            if tls.get("insecureSkipVerify").is_some() && tls.get("certSecretRef").is_some() {
                errors.push(format!(
                    "{what}: insecureSkipVerify and certSecretRef together"
                ));
            }
        }
        _ => {}
    }
    if let Some(receivers) = object.pointer("/spec/receivers").and_then(Value::as_array) {
        for value_from in receivers
            .iter()
            .filter_map(|r| r.get("valuesFrom").and_then(Value::as_array))
            .flatten()
        {
            let source = &value_from["valueFrom"];
            if source.get("secretKeyRef").is_some() == source.get("configMapKeyRef").is_some() {
                errors.push(format!("{what}: valueFrom needs exactly one source"));
            }
        }
    }
    errors
}

#[test]
fn every_grafana_object_validates_strictly() {
    let Some(schemas) = support::crd_schemas() else {
        return;
    };
    let mut checked = BTreeSet::new();
    for (name, objects) in all_renders() {
        let mut errors = Vec::new();
        for object in grafana_part(&objects) {
            if (text(object, "/apiVersion"), text(object, "/kind")) == ("v1", "Namespace") {
                continue;
            }
            checked.insert(text(object, "/kind").to_string());
            if let Err(problems) = schemas.validate(object) {
                errors.extend(problems);
            }
            errors.extend(cel_rules(object));
        }
        assert!(errors.is_empty(), "{name}:\n{}", errors.join("\n"));
    }
    // Every kind this component generates was seen at least once.
    for kind in [
        "HelmRelease",
        "Grafana",
        "GrafanaDatasource",
        "GrafanaFolder",
        "GrafanaAlertRuleGroup",
        "GrafanaContactPoint",
        "GrafanaNotificationPolicy",
        "ServiceMonitor",
        "Certificate",
        "HTTPRoute",
    ] {
        assert!(
            checked.contains(kind),
            "{kind} never generated: {checked:?}"
        );
    }
}

#[test]
fn cel_checks_catch_what_they_look_for() {
    let bad_policy = serde_json::json!({
        "kind": "GrafanaNotificationPolicy",
        "spec": { "route": { "receiver": "x", "object_matchers": [["a", "=", "b"]] } },
    });
    assert_eq!(cel_rules(&bad_policy).len(), 1);
    let bad_group = serde_json::json!({
        "kind": "GrafanaAlertRuleGroup",
        "spec": { "folderRef": "a", "folderUID": "b", "rules": [] },
    });
    assert_eq!(cel_rules(&bad_group).len(), 1);
    let bad_receiver = serde_json::json!({
        "kind": "GrafanaContactPoint",
        "spec": { "receivers": [{ "valuesFrom": [{ "targetPath": "url", "valueFrom": {} }] }] },
    });
    assert_eq!(cel_rules(&bad_receiver).len(), 1);
}

#[test]
fn operator_release_watches_grafana_and_is_monitored() {
    let objects = rendered("krm/examples/seed.yaml");
    let release = one(&objects, "HelmRelease", "grafana-operator");
    assert_eq!(text(release, "/spec/values/watchNamespaces"), "grafana");
    assert_eq!(
        release.pointer("/spec/values/serviceMonitor/enabled"),
        Some(&Value::Bool(true))
    );
    // The ServiceMonitor needs the prometheus-operator CRDs first.
    assert_eq!(
        text(release, "/spec/dependsOn/0/name"),
        "prometheus-crds",
        "{release:#}"
    );
    assert_eq!(text(release, "/spec/install/crds"), "CreateReplace");
    if let Some(reference) = support::reference_dir() {
        let errors =
            support::check_helm_values(&reference, "grafana-operator", &release["spec"]["values"]);
        assert!(errors.is_empty(), "{}", errors.join("\n"));
    }
}

#[test]
fn grafana_namespace_is_restricted_and_in_the_mesh() {
    let objects = rendered("krm/examples/seed.yaml");
    let namespace = one(&objects, "Namespace", "grafana");
    assert_eq!(
        text(
            namespace,
            "/metadata/labels/pod-security.kubernetes.io~1enforce"
        ),
        "restricted"
    );
    assert_eq!(
        text(namespace, "/metadata/labels/istio.io~1dataplane-mode"),
        "ambient"
    );
    // What "restricted" demands of the pod, set explicitly in the CR's overlay.
    let grafana = one(&objects, "Grafana", "grafana");
    let pod = &grafana["spec"]["deployment"]["spec"]["template"]["spec"];
    assert_eq!(pod["securityContext"]["runAsNonRoot"], Value::Bool(true));
    assert_eq!(
        text(pod, "/securityContext/seccompProfile/type"),
        "RuntimeDefault"
    );
    let container = &pod["containers"][0];
    assert_eq!(text(container, "/name"), "grafana");
    let security = &container["securityContext"];
    assert_eq!(security["allowPrivilegeEscalation"], Value::Bool(false));
    assert_eq!(security["capabilities"]["drop"], serde_json::json!(["ALL"]));
    assert_eq!(security["runAsNonRoot"], Value::Bool(true));
}

// ---------------------------------------------------------------------------------------------
// Secrets

/// Keys whose value must never be a literal in generated output.
fn is_secret_key(key: &str) -> bool {
    let key: String = key
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_ascii_lowercase();
    [
        "password",
        "secret",
        "token",
        "apikey",
        "secretkey",
        "integrationkey",
        "routingkey",
        "webhook",
        "webhookurl",
        "credentials",
        "authorization",
    ]
    .iter()
    .any(|s| key.ends_with(s))
}

/// Every string that sits under a secret-looking key, or looks like a credential wherever it is.
fn secret_literals(value: &Value, path: &str, found: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                let here = format!("{path}/{key}");
                // References are what we want: a Secret's name and key.
                let reference = matches!(
                    key.as_str(),
                    "secretKeyRef" | "secretName" | "secretRef" | "webhookSecret" | "certSecretRef"
                );
                let flag = matches!(inner, Value::Bool(_))
                    || matches!(inner.as_str(), Some("true" | "false"));
                if !reference
                    && is_secret_key(key)
                    && !inner.is_object()
                    && !inner.is_null()
                    && !flag
                {
                    found.push(format!("{here} = {inner}"));
                }
                if !reference {
                    secret_literals(inner, &here, found);
                }
            }
        }
        Value::Array(items) => {
            for (i, inner) in items.iter().enumerate() {
                secret_literals(inner, &format!("{path}/{i}"), found);
            }
        }
        Value::String(text) => {
            for pattern in [
                "hooks.slack.com",
                "xoxb-",
                "xoxp-",
                "-----BEGIN",
                "Bearer ",
                "client_secret=",
                "://user:",
            ] {
                if text.contains(pattern) {
                    found.push(format!("{path} contains {pattern:?}"));
                }
            }
        }
        _ => {}
    }
}

#[test]
fn the_secret_scan_finds_literals() {
    let mut found = Vec::new();
    let planted = serde_json::json!({
        "config": { "auth.generic_oauth": { "client_secret": "hunter2" } },
        "receivers": [{ "settings": { "url": "https://hooks.slack.com/services/T0/B0/x", "token": "t" } }],
        "env": [{ "valueFrom": { "secretKeyRef": { "name": "a", "key": "password" } } }],
    });
    secret_literals(&planted, "", &mut found);
    assert_eq!(found.len(), 3, "{found:#?}");
}

#[test]
fn no_secret_value_token_or_webhook_url_appears_in_the_output() {
    for (name, objects) in all_renders() {
        for object in grafana_part(&objects) {
            let mut found = Vec::new();
            secret_literals(object, "", &mut found);
            // Receiver settings are checked stricter: a URL there is a webhook with its token.
            for receiver in object
                .pointer("/spec/receivers")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                for key in receiver["settings"]
                    .as_object()
                    .into_iter()
                    .flatten()
                    .map(|(k, _)| k)
                {
                    if key.to_ascii_lowercase().ends_with("url") && !key.contains("icon") {
                        found.push(format!("settings.{key}"));
                    }
                }
            }
            assert!(found.is_empty(), "{name}: {}: {found:#?}", describe(object));
        }
    }
}

#[test]
fn secrets_are_read_by_reference() {
    let objects = rendered("krm/examples/seed.yaml");
    let grafana = one(&objects, "Grafana", "grafana");
    let oauth = &grafana["spec"]["config"]["auth.generic_oauth"];
    assert!(oauth.get("client_secret").is_none(), "{oauth:#}");
    let container = &grafana["spec"]["deployment"]["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(text(container, "/name"), "grafana");
    let env = container["env"].as_array().expect("env");
    let secret = env
        .iter()
        .find(|e| text(e, "/name") == "GF_AUTH_GENERIC_OAUTH_CLIENT_SECRET")
        .expect("the client secret comes from the environment");
    assert_eq!(text(secret, "/valueFrom/secretKeyRef/name"), "grafana-oidc");
    assert_eq!(text(secret, "/valueFrom/secretKeyRef/key"), "client-secret");
    assert!(secret.get("value").is_none());

    let slack = one(&objects, "GrafanaContactPoint", "slack");
    let receiver = &slack["spec"]["receivers"][0];
    assert_eq!(text(receiver, "/type"), "slack");
    assert_eq!(text(receiver, "/settings/recipient"), "#it-alerts");
    assert!(receiver["settings"].get("url").is_none());
    let from = &receiver["valuesFrom"][0];
    assert_eq!(text(from, "/targetPath"), "url");
    assert_eq!(
        text(from, "/valueFrom/secretKeyRef/name"),
        "grafana-slack-webhook"
    );
    assert_eq!(text(from, "/valueFrom/secretKeyRef/key"), "url");
    // Deprecated top-level fields are ignored by the operator when receivers is set.
    assert!(slack["spec"].get("settings").is_none() && slack["spec"].get("valuesFrom").is_none());

    // The variant's own Secret names reach the output.
    let objects = rendered("krm/examples/grafana-no-oidc.yaml");
    let slack = one(&objects, "GrafanaContactPoint", "slack");
    assert_eq!(
        text(
            slack,
            "/spec/receivers/0/valuesFrom/0/valueFrom/secretKeyRef/name"
        ),
        "lab-slack"
    );
    let grafana = one(&objects, "Grafana", "grafana");
    assert!(grafana["spec"]["config"]
        .get("auth.generic_oauth")
        .is_none());
    assert!(
        grafana["spec"]["config"].get("auth").is_none(),
        "login form stays on"
    );
}

#[test]
fn secret_literals_in_the_spec_are_rejected() {
    let errors = inline_errors(
        "  grafana:\n    hostname: g.example.com\n    alerting:\n      contactPoints:\n        - name: hook\n          receivers: [{type: slack, settings: {url: \"https://hooks.slack.com/services/T0/B0/x\"}}]\n",
    );
    assert!(errors.contains("settings.url"), "{errors}");
    let errors = inline_errors(
        "  grafana:\n    hostname: g.example.com\n    config:\n      auth.generic_oauth: {client_secret: hunter2}\n",
    );
    assert!(errors.contains("client_secret"), "{errors}");
}

// ---------------------------------------------------------------------------------------------
// Flux substitution

fn has_placeholder(value: &Value) -> bool {
    match value {
        Value::String(s) => s.contains("${"),
        Value::Array(items) => items.iter().any(has_placeholder),
        Value::Object(map) => map
            .iter()
            .any(|(k, v)| k.contains("${") || has_placeholder(v)),
        _ => false,
    }
}

#[test]
fn flux_substitution_is_off_exactly_where_placeholders_are() {
    // The generated Grafana objects carry no `${...}` of their own.
    for (name, objects) in all_renders() {
        for object in grafana_part(&objects) {
            assert!(
                !has_placeholder(object),
                "{name}: {} has a placeholder",
                describe(object)
            );
            assert!(
                object
                    .pointer(&format!(
                        "/metadata/annotations/{}",
                        SUBSTITUTE.replace('/', "~1")
                    ))
                    .is_none(),
                "{name}: {} needlessly opts out of substitution",
                describe(object)
            );
        }
    }
    // Placeholders users put into free-form parts are protected.
    let objects = inline(
        "  grafana:\n    hostname: g.example.com\n    alerting:\n      contactPoints:\n        - name: hook\n          receivers:\n            - type: webhook\n              settings: {title: \"${not_for_flux}\"}\n              secrets: {url: {name: hook, key: url}}\n      ruleGroups:\n        - name: mine\n          rules:\n            - {uid: a, title: A, expr: up, description: \"costs ${amount}\"}\n",
    );
    let mut protected = BTreeSet::new();
    for object in grafana_part(&objects) {
        let annotation = object
            .pointer(&format!(
                "/metadata/annotations/{}",
                SUBSTITUTE.replace('/', "~1")
            ))
            .and_then(Value::as_str);
        assert_eq!(
            annotation.is_some(),
            has_placeholder(object),
            "{}",
            describe(object)
        );
        if let Some(value) = annotation {
            assert_eq!(value, "disabled");
            protected.insert(describe(object));
        }
    }
    assert_eq!(
        protected,
        BTreeSet::from([
            "GrafanaAlertRuleGroup grafana/mine".to_string(),
            "GrafanaContactPoint grafana/hook".to_string(),
        ])
    );
}

// ---------------------------------------------------------------------------------------------
// The instance and its configuration

#[test]
fn every_cr_selects_the_stack_grafana() {
    for (name, objects) in all_renders() {
        let grafana = one(&objects, "Grafana", "grafana");
        let labels = grafana["metadata"]["labels"].as_object().expect("labels");
        assert_eq!(
            labels.get(INSTANCE_LABEL).and_then(Value::as_str),
            Some("main")
        );
        let namespace = text(grafana, "/metadata/namespace");
        let others: Vec<&Value> = objects
            .iter()
            .filter(|o| text(o, "/apiVersion") == GRAFANA_API && text(o, "/kind") != "Grafana")
            .collect();
        assert!(!others.is_empty(), "{name}");
        for object in others {
            let what = describe(object);
            let selector = object["spec"]["instanceSelector"]["matchLabels"]
                .as_object()
                .unwrap_or_else(|| panic!("{name}: {what} has no instanceSelector"));
            assert!(!selector.is_empty(), "{name}: {what}");
            for (key, value) in selector {
                assert_eq!(labels.get(key), Some(value), "{name}: {what} selects {key}");
            }
            // Same namespace: no cross-namespace import needed (or allowed).
            assert_eq!(
                text(object, "/metadata/namespace"),
                namespace,
                "{name}: {what}"
            );
            assert!(object["spec"].get("allowCrossNamespaceImport").is_none());
        }
    }
}

#[test]
fn grafana_ini_values_are_strings() {
    for (name, objects) in all_renders() {
        let grafana = one(&objects, "Grafana", "grafana");
        let config = grafana["spec"]["config"].as_object().expect("config");
        for (section, settings) in config {
            for (key, value) in settings.as_object().expect("section is a mapping") {
                assert!(value.is_string(), "{name}: {section}.{key} = {value}");
            }
        }
    }
    // YAML booleans from the spec arrive as the strings Grafana reads.
    let objects = rendered("krm/examples/grafana-ingress.yaml");
    let grafana = one(&objects, "Grafana", "grafana");
    assert_eq!(
        grafana["spec"]["config"]["users"]["viewers_can_edit"],
        Value::String("false".into())
    );
    // Generated values are strings too, not YAML booleans.
    let seed = rendered("krm/examples/seed.yaml");
    let config = &one(&seed, "Grafana", "grafana")["spec"]["config"];
    assert_eq!(
        config["auth"]["disable_login_form"],
        Value::String("true".into())
    );
}

#[test]
fn oidc_logs_in_through_keycloak_with_role_mapping() {
    let objects = rendered("krm/examples/grafana-ingress.yaml");
    let config = &one(&objects, "Grafana", "grafana")["spec"]["config"];
    let oauth = &config["auth.generic_oauth"];
    let issuer = "https://sso.example.com/realms/ops";
    assert_eq!(text(oauth, "/enabled"), "true");
    assert_eq!(text(oauth, "/client_id"), "grafana-prod");
    assert_eq!(
        text(oauth, "/auth_url"),
        format!("{issuer}/protocol/openid-connect/auth")
    );
    assert_eq!(
        text(oauth, "/token_url"),
        format!("{issuer}/protocol/openid-connect/token")
    );
    assert_eq!(
        text(oauth, "/api_url"),
        format!("{issuer}/protocol/openid-connect/userinfo")
    );
    assert_eq!(text(oauth, "/groups_attribute_path"), "realm_access.roles");
    assert_eq!(
        text(oauth, "/role_attribute_path"),
        "contains(realm_access.roles[*] || `[]`, 'grafana-admin') && 'Admin' || contains(realm_access.roles[*] || `[]`, 'grafana-editor') && 'Editor' || 'Viewer'"
    );
    assert_eq!(text(config, "/auth/disable_login_form"), "true");
    assert_eq!(
        text(config, "/server/root_url"),
        "https://grafana.prod.example.com/"
    );
}

#[test]
fn persistence_is_a_pvc_on_the_storage_class() {
    let check = |objects: &[Value], storage_class: &str, size: &str| {
        let spec = &one(objects, "Grafana", "grafana")["spec"];
        let pvc = &spec["persistentVolumeClaim"]["spec"];
        assert_eq!(text(pvc, "/storageClassName"), storage_class);
        assert_eq!(text(pvc, "/resources/requests/storage"), size);
        assert_eq!(pvc["accessModes"], serde_json::json!(["ReadWriteOnce"]));
        let deployment = &spec["deployment"]["spec"];
        assert_eq!(text(deployment, "/strategy/type"), "Recreate");
        let volumes = deployment["template"]["spec"]["volumes"]
            .as_array()
            .expect("volumes");
        let data = volumes
            .iter()
            .find(|v| text(v, "/name") == "grafana-data")
            .expect("the grafana-data volume");
        assert_eq!(
            text(data, "/persistentVolumeClaim/claimName"),
            "grafana-pvc"
        );
        // The PVC is writable by Grafana's user.
        assert_eq!(
            deployment["template"]["spec"]["securityContext"]["fsGroup"],
            serde_json::json!(10001)
        );
    };
    check(
        &rendered("krm/examples/seed.yaml"),
        "ssd-replicated-retain",
        "10Gi",
    );
    check(
        &rendered("krm/examples/grafana-ingress.yaml"),
        "ssd-replicated-retain",
        "5Gi",
    );
    check(&inline(VARIANTS[4]), "fast-ssd", "10Gi");

    let objects = rendered("krm/examples/grafana-no-oidc.yaml");
    let spec = &one(&objects, "Grafana", "grafana")["spec"];
    assert!(spec.get("persistentVolumeClaim").is_none());
    assert!(spec["deployment"]["spec"].get("strategy").is_none());
    assert!(spec["deployment"]["spec"]["template"]["spec"]
        .get("volumes")
        .is_none());
}

#[test]
fn escape_hatch_values_are_merged_into_the_cr() {
    let objects = inline(VARIANTS[4]);
    let spec = &one(&objects, "Grafana", "grafana")["spec"];
    assert_eq!(spec["deployment"]["spec"]["replicas"], serde_json::json!(1));
    // Merged, not replaced: the generated overlay is still there.
    assert_eq!(text(spec, "/deployment/spec/strategy/type"), "Recreate");
    assert_eq!(text(spec, "/preferences/homeDashboardUid"), "home");
}

// ---------------------------------------------------------------------------------------------
// Exposure

fn kinds(objects: &[Value]) -> BTreeSet<String> {
    grafana_part(objects)
        .iter()
        .map(|o| text(o, "/kind").to_string())
        .collect()
}

#[test]
fn load_balancer_with_tls_makes_grafana_serve_https() {
    let objects = rendered("krm/examples/seed.yaml");
    let spec = &one(&objects, "Grafana", "grafana")["spec"];
    let service = &spec["service"];
    assert_eq!(text(service, "/spec/type"), "LoadBalancer");
    assert_eq!(text(service, "/spec/loadBalancerClass"), "mikrolb");
    assert_eq!(service["spec"]["ports"][0]["port"], serde_json::json!(443));
    assert_eq!(text(service, "/spec/ports/0/targetPort"), "grafana-http");
    assert_eq!(text(spec, "/config/server/protocol"), "https");
    assert_eq!(
        text(spec, "/config/server/root_url"),
        "https://grafana.astaup.de/"
    );
    let pod = &spec["deployment"]["spec"]["template"]["spec"];
    let tls_volume = pod["volumes"]
        .as_array()
        .expect("volumes")
        .iter()
        .find(|v| text(v, "/secret/secretName") == "grafana-tls")
        .expect("the certificate's Secret is mounted");
    let mount = &pod["containers"][0]["volumeMounts"][0];
    assert_eq!(text(mount, "/name"), text(tls_volume, "/name"));
    assert_eq!(
        text(spec, "/config/server/cert_file"),
        format!("{}/tls.crt", text(mount, "/mountPath"))
    );
    assert_eq!(
        text(pod, "/containers/0/readinessProbe/httpGet/scheme"),
        "HTTPS"
    );
    assert_eq!(
        spec["client"]["tls"]["insecureSkipVerify"],
        Value::Bool(true)
    );
    let certificate = one(&objects, "Certificate", "grafana");
    assert_eq!(text(certificate, "/spec/secretName"), "grafana-tls");
    assert_eq!(text(certificate, "/spec/dnsNames/0"), "grafana.astaup.de");
    assert_eq!(text(certificate, "/spec/issuerRef/kind"), "ClusterIssuer");
    assert_eq!(text(certificate, "/spec/issuerRef/name"), "letsencrypt");
    let monitor = one(&objects, "ServiceMonitor", "grafana");
    assert_eq!(text(monitor, "/spec/endpoints/0/scheme"), "https");
    assert_eq!(
        text(monitor, "/spec/endpoints/0/tlsConfig/serverName"),
        "grafana.astaup.de"
    );
    assert!(!kinds(&objects).contains("HTTPRoute"));
}

#[test]
fn load_balancer_without_tls_stays_plain() {
    let objects = rendered("krm/examples/grafana-no-oidc.yaml");
    let spec = &one(&objects, "Grafana", "grafana")["spec"];
    assert_eq!(text(spec, "/service/spec/type"), "LoadBalancer");
    assert!(spec["service"]["spec"].get("loadBalancerClass").is_none());
    assert_eq!(
        spec["service"]["spec"]["ports"][0]["port"],
        serde_json::json!(80)
    );
    assert_eq!(
        text(
            spec,
            "/service/metadata/annotations/metallb.universe.tf~1address-pool"
        ),
        "lab"
    );
    assert_eq!(
        text(spec, "/config/server/root_url"),
        "http://grafana.lab.example.com/"
    );
    assert!(spec["config"]["server"].get("protocol").is_none());
    assert!(spec.get("client").is_none());
    assert!(
        spec["config"].get("security").is_none(),
        "no secure cookies over http"
    );
    assert!(!kinds(&objects).contains("Certificate"));
}

#[test]
fn ingress_gets_its_certificate_from_the_cluster_issuer() {
    let objects = rendered("krm/examples/grafana-ingress.yaml");
    let spec = &one(&objects, "Grafana", "grafana")["spec"];
    let ingress = &spec["ingress"];
    assert_eq!(
        text(
            ingress,
            "/metadata/annotations/cert-manager.io~1cluster-issuer"
        ),
        "letsencrypt-prod"
    );
    assert_eq!(
        text(
            ingress,
            "/metadata/annotations/nginx.ingress.kubernetes.io~1proxy-body-size"
        ),
        "16m"
    );
    assert_eq!(text(ingress, "/spec/ingressClassName"), "nginx");
    assert_eq!(
        text(ingress, "/spec/rules/0/host"),
        "grafana.prod.example.com"
    );
    let backend = &ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"];
    assert_eq!(text(backend, "/name"), "grafana-service");
    assert_eq!(backend["port"]["number"], serde_json::json!(3000));
    assert_eq!(text(ingress, "/spec/tls/0/secretName"), "grafana-tls");
    assert_eq!(
        text(ingress, "/spec/tls/0/hosts/0"),
        "grafana.prod.example.com"
    );
    // The Service stays ClusterIP; cert-manager's ingress-shim makes the certificate.
    assert!(spec["service"].get("spec").is_none());
    assert!(!kinds(&objects).contains("Certificate"));
    assert!(!kinds(&objects).contains("HTTPRoute"));
    assert!(spec["config"]["server"].get("protocol").is_none());
}

#[test]
fn http_route_attaches_to_the_gateway() {
    let objects = rendered("krm/examples/grafana-httproute.yaml");
    let route = one(&objects, "HTTPRoute", "grafana");
    let parent = &route["spec"]["parentRefs"][0];
    assert_eq!(text(parent, "/name"), "public");
    assert_eq!(text(parent, "/namespace"), "gateway-system");
    assert_eq!(text(parent, "/sectionName"), "https-grafana");
    assert_eq!(text(route, "/spec/hostnames/0"), "grafana.example.com");
    let backend = &route["spec"]["rules"][0]["backendRefs"][0];
    assert_eq!(text(backend, "/name"), "grafana-service");
    assert_eq!(backend["port"], serde_json::json!(3000));
    let certificate = one(&objects, "Certificate", "grafana");
    assert_eq!(text(certificate, "/spec/dnsNames/0"), "grafana.example.com");
    let spec = &one(&objects, "Grafana", "grafana")["spec"];
    assert!(spec.get("ingress").is_none() && spec["service"].get("spec").is_none());
    assert_eq!(
        text(spec, "/config/server/root_url"),
        "https://grafana.example.com/"
    );

    // Without TLS there is nothing to certify.
    let objects = inline(VARIANTS[2]);
    assert!(kinds(&objects).contains("HTTPRoute"));
    assert!(!kinds(&objects).contains("Certificate"));
}

#[test]
fn grafana_is_scraped_through_its_service() {
    for (name, objects) in all_renders() {
        let monitor = one(&objects, "ServiceMonitor", "grafana");
        let service = &one(&objects, "Grafana", "grafana")["spec"]["service"];
        let labels = service["metadata"]["labels"].as_object().expect("labels");
        for (key, value) in monitor["spec"]["selector"]["matchLabels"]
            .as_object()
            .expect("selector")
        {
            assert_eq!(labels.get(key), Some(value), "{name}");
        }
        assert_eq!(text(monitor, "/spec/endpoints/0/port"), "grafana", "{name}");
        assert_eq!(
            text(monitor, "/spec/endpoints/0/path"),
            "/metrics",
            "{name}"
        );
        let config = &one(&objects, "Grafana", "grafana")["spec"]["config"];
        assert_eq!(text(config, "/metrics/enabled"), "true");
    }
}

// ---------------------------------------------------------------------------------------------
// Datasources and rules

#[test]
fn datasources_have_stable_uids_and_tenants() {
    let objects = rendered("krm/examples/seed.yaml");
    let loki = one(&objects, "GrafanaDatasource", "loki");
    let mimir = one(&objects, "GrafanaDatasource", "mimir");
    assert_eq!(text(loki, "/spec/uid"), "loki");
    assert_eq!(text(loki, "/spec/datasource/uid"), "loki");
    assert_eq!(text(loki, "/spec/datasource/type"), "loki");
    assert_eq!(
        text(loki, "/spec/datasource/url"),
        "http://loki-gateway.loki.svc.cluster.local"
    );
    assert_eq!(loki["spec"]["datasource"]["isDefault"], Value::Bool(false));
    assert_eq!(text(mimir, "/spec/uid"), "mimir");
    assert_eq!(text(mimir, "/spec/datasource/type"), "prometheus");
    assert_eq!(
        text(mimir, "/spec/datasource/url"),
        "http://mimir-gateway.mimir.svc.cluster.local/prometheus"
    );
    assert_eq!(mimir["spec"]["datasource"]["isDefault"], Value::Bool(true));
    for source in [loki, mimir] {
        assert!(source["spec"]["datasource"]["jsonData"]
            .get("httpHeaderName1")
            .is_none());
        assert!(source["spec"]["datasource"].get("secureJsonData").is_none());
        // No valuesFrom: nothing secret to fill in, so no placeholder either.
        assert!(source["spec"].get("valuesFrom").is_none());
    }

    let objects = rendered("krm/examples/grafana-ingress.yaml");
    for (name, tenant) in [("loki", "prod-eu"), ("mimir", "ops")] {
        let source = &one(&objects, "GrafanaDatasource", name)["spec"]["datasource"];
        assert_eq!(text(source, "/jsonData/httpHeaderName1"), "X-Scope-OrgID");
        assert_eq!(text(source, "/secureJsonData/httpHeaderValue1"), tenant);
    }
}

struct RuleRef<'a> {
    group: String,
    rule: &'a Value,
}

fn rules(objects: &[Value]) -> Vec<RuleRef<'_>> {
    of_kind(objects, "GrafanaAlertRuleGroup")
        .into_iter()
        .flat_map(|g| {
            let group = text(g, "/metadata/name").to_string();
            g["spec"]["rules"]
                .as_array()
                .into_iter()
                .flatten()
                .map(move |rule| RuleRef {
                    group: group.clone(),
                    rule,
                })
        })
        .collect()
}

#[test]
fn rules_reference_the_datasources_by_uid() {
    for (name, objects) in all_renders() {
        let uids: BTreeMap<&str, &str> = of_kind(&objects, "GrafanaDatasource")
            .into_iter()
            .map(|d| {
                (
                    text(d, "/spec/datasource/uid"),
                    text(d, "/spec/datasource/type"),
                )
            })
            .collect();
        let folders: BTreeSet<&str> = of_kind(&objects, "GrafanaFolder")
            .into_iter()
            .map(|f| text(f, "/metadata/name"))
            .collect();
        let mut seen_uids = BTreeSet::new();
        for group in of_kind(&objects, "GrafanaAlertRuleGroup") {
            assert!(
                folders.contains(text(group, "/spec/folderRef")),
                "{name}: {} is in a folder that is not generated",
                describe(group)
            );
            assert_eq!(text(group, "/spec/name"), text(group, "/metadata/name"));
        }
        for RuleRef { group, rule } in rules(&objects) {
            let what = format!("{name}: {group}/{}", text(rule, "/uid"));
            assert!(
                seen_uids.insert(text(rule, "/uid").to_string()),
                "{what}: duplicate uid"
            );
            let data = rule["data"].as_array().expect("data");
            let refs: Vec<&str> = data.iter().map(|d| text(d, "/refId")).collect();
            assert_eq!(refs, ["A", "B"], "{what}");
            assert_eq!(text(rule, "/condition"), "B", "{what}");
            let query = &data[0];
            let uid = text(query, "/datasourceUid");
            let kind = uids
                .get(uid)
                .unwrap_or_else(|| panic!("{what}: datasource {uid} is not generated"));
            assert_eq!(text(query, "/model/datasource/uid"), uid, "{what}");
            assert_eq!(text(query, "/model/datasource/type"), *kind, "{what}");
            assert_eq!(text(query, "/model/refId"), "A", "{what}");
            let threshold = &data[1];
            assert_eq!(text(threshold, "/datasourceUid"), "__expr__", "{what}");
            assert_eq!(text(threshold, "/model/type"), "threshold", "{what}");
            assert_eq!(text(threshold, "/model/expression"), "A", "{what}");
            let evaluator = text(threshold, "/model/conditions/0/evaluator/type");
            assert!(matches!(evaluator, "gt" | "lt"), "{what}: {evaluator}");
            assert!(
                matches!(
                    text(rule, "/labels/severity"),
                    "critical" | "warning" | "info"
                ),
                "{what}"
            );
            assert!(!text(rule, "/annotations/summary").is_empty(), "{what}");
        }
    }
}

#[test]
fn default_rules_follow_what_is_deployed() {
    let uids = |objects: &[Value]| -> BTreeSet<String> {
        rules(objects)
            .iter()
            .map(|r| text(r.rule, "/uid").to_string())
            .collect()
    };
    let seed = uids(&rendered("krm/examples/seed.yaml"));
    for expected in [
        "stack-metrics-missing",
        "stack-logs-missing",
        "stack-target-down",
        "stack-remote-write-failing",
        "stack-log-push-failing",
        "stack-loki-request-errors",
        "stack-loki-discarding",
        "stack-mimir-request-errors",
        "stack-mimir-discarding",
        "stack-volume-filling",
        "stack-volume-filling-fast",
        "stack-node-disk-filling",
        "stack-pod-crash-looping",
        "stack-replicas-unavailable",
    ] {
        assert!(seed.contains(expected), "{expected} missing: {seed:?}");
    }
    // Loki off: no Loki datasource, no rule on Loki or about it.
    let objects = inline(VARIANTS[2]);
    assert!(of_kind(&objects, "GrafanaDatasource")
        .iter()
        .all(|d| text(d, "/metadata/name") != "loki"));
    let without_loki = uids(&objects);
    assert!(rules(&objects)
        .iter()
        .all(|r| text(r.rule, "/data/0/datasourceUid") != "loki"));
    for gone in [
        "stack-logs-missing",
        "stack-loki-request-errors",
        "stack-log-push-failing",
    ] {
        assert!(!without_loki.contains(gone), "{gone}");
    }
    assert!(without_loki.contains("stack-metrics-missing"));
    // Mimir off: only the Loki rule is left; the exporters' rules go with the exporters.
    let objects = inline(VARIANTS[3]);
    assert_eq!(
        uids(&objects),
        BTreeSet::from(["stack-logs-missing".to_string()])
    );
    // Rules and contact point off.
    let objects = inline(VARIANTS[0]);
    assert!(rules(&objects).is_empty());
    // The dashboards' folders (issue 18) stay; no folder for alert rules.
    assert!(of_kind(&objects, "GrafanaFolder")
        .iter()
        .all(|f| text(f, "/metadata/name").starts_with("dashboards-")));
}

#[test]
fn notification_policy_routes_to_the_contact_points() {
    let objects = rendered("krm/examples/seed.yaml");
    let policy = one(&objects, "GrafanaNotificationPolicy", "monitoring-stack");
    let route = &policy["spec"]["route"];
    assert_eq!(text(route, "/receiver"), "slack");
    assert_eq!(
        route["group_by"],
        serde_json::json!(["grafana_folder", "alertname"])
    );
    assert_eq!(text(route, "/group_wait"), "30s");
    assert_eq!(text(route, "/group_interval"), "5m");
    assert_eq!(text(route, "/repeat_interval"), "4h");
    assert!(route.get("routes").is_none());

    let objects = rendered("krm/examples/grafana-alerting.yaml");
    let policy = one(&objects, "GrafanaNotificationPolicy", "monitoring-stack");
    let route = &policy["spec"]["route"];
    assert_eq!(text(route, "/repeat_interval"), "12h");
    let receivers: BTreeSet<&str> = of_kind(&objects, "GrafanaContactPoint")
        .into_iter()
        .map(|c| text(c, "/spec/name"))
        .collect();
    assert!(receivers.contains(text(route, "/receiver")));
    let children = route["routes"].as_array().expect("child routes");
    assert_eq!(children.len(), 2);
    for child in children {
        assert!(receivers.contains(text(child, "/receiver")), "{child}");
    }
    assert_eq!(
        children[0]["object_matchers"],
        serde_json::json!([
            ["team", "=", "shop"],
            ["severity", "=~", "critical|warning"]
        ])
    );
    assert_eq!(children[1]["continue"], Value::Bool(true));
    // Rules of the user's folder live in a generated GrafanaFolder of that name.
    assert_eq!(
        text(one(&objects, "GrafanaFolder", "shop"), "/spec/uid"),
        "shop"
    );

    // Slack off: the first user contact point takes the root.
    let objects = inline(VARIANTS[0]);
    let policy = one(&objects, "GrafanaNotificationPolicy", "monitoring-stack");
    assert_eq!(text(policy, "/spec/route/receiver"), "mail");
    // No contact point at all: no policy, Grafana keeps its own.
    assert!(of_kind(&inline(VARIANTS[1]), "GrafanaNotificationPolicy").is_empty());
}

/// Every operator is read back as the same string by a YAML 1.1 reader (PyYAML, like go-yaml
/// v2): a bare `=` would be the `!!value` type there, so the writer must quote it.
#[test]
fn object_matcher_operators_survive_yaml_1_1() {
    let input = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("krm/examples/grafana-alerting.yaml"),
    )
    .expect("example");
    let objects = render(&input).expect("valid");
    let files = monitoring_stack::output_dir::files(&objects);
    let alerting = &files["grafana/alerting.yaml"];
    assert!(alerting.contains("- \"=\"\n"), "a bare = in:\n{alerting}");
    assert!(alerting.contains("- \"!=\"\n"));
    let python = std::process::Command::new("python3")
        .args([
            "-c",
            "import sys, yaml, json; print(json.dumps([d for d in yaml.safe_load_all(sys.stdin)]))",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn();
    let Ok(mut child) = python else {
        eprintln!("skipping the PyYAML read-back: python3 not available");
        return;
    };
    use std::io::Write;
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(alerting.as_bytes())
        .expect("write");
    let output = child.wait_with_output().expect("python3 runs");
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        if stderr.contains("No module named 'yaml'") {
            eprintln!("skipping the PyYAML read-back: PyYAML not installed");
            return;
        }
        panic!("PyYAML cannot read grafana/alerting.yaml: {stderr}");
    }
    let documents: Vec<Value> = serde_json::from_slice(&output.stdout).expect("json");
    let policy = documents
        .iter()
        .find(|d| text(d, "/kind") == "GrafanaNotificationPolicy")
        .expect("policy");
    let operators: Vec<&str> = policy["spec"]["route"]["routes"]
        .as_array()
        .expect("routes")
        .iter()
        .flat_map(|r| r["object_matchers"].as_array().expect("matchers"))
        .map(|m| m[1].as_str().expect("operator read back as a string"))
        .collect();
    assert_eq!(operators, ["=", "=~", "!="]);
}

// ---------------------------------------------------------------------------------------------
// Expression check: PromQL and LogQL, as far as a tokenizer can go.
//
// Checked: balanced (), [], {} and closed string literals; every name called as a function is
// a known PromQL/LogQL function or aggregation; `by`/`without`/`on`/`ignoring`/`group_*`
// lists hold label names; selectors hold `label op "value"` matchers with =, !=, =~, !~; a
// LogQL stream selector has a non-empty matcher; ranges are durations (or subqueries); range
// functions get a range vector as their first argument and nothing else does; operators
// outside selectors are known binary (or, in LogQL, filter) operators; LogQL has no bare
// metric names; the result is an instant vector, not a range.
//
// Not checked: types beyond range/instant (scalar vs vector arguments, arity), whether the
// metrics and labels exist, RE2 syntax of regex matchers, LogQL parser and formatter stages,
// vector matching cardinality, and whether Grafana's templates in annotations execute.

#[derive(Debug, Clone, Copy, PartialEq)]
enum Lang {
    PromQL,
    LogQL,
}

const PROMQL_FUNCTIONS: &[&str] = &[
    "abs",
    "absent",
    "absent_over_time",
    "acos",
    "acosh",
    "asin",
    "asinh",
    "atan",
    "atanh",
    "avg_over_time",
    "ceil",
    "changes",
    "clamp",
    "clamp_max",
    "clamp_min",
    "cos",
    "cosh",
    "count_over_time",
    "day_of_month",
    "day_of_week",
    "day_of_year",
    "days_in_month",
    "deg",
    "delta",
    "deriv",
    "double_exponential_smoothing",
    "exp",
    "floor",
    "histogram_avg",
    "histogram_count",
    "histogram_fraction",
    "histogram_quantile",
    "histogram_stddev",
    "histogram_stdvar",
    "histogram_sum",
    "holt_winters",
    "hour",
    "idelta",
    "increase",
    "irate",
    "label_join",
    "label_replace",
    "last_over_time",
    "ln",
    "log10",
    "log2",
    "mad_over_time",
    "max_over_time",
    "min_over_time",
    "minute",
    "month",
    "pi",
    "predict_linear",
    "present_over_time",
    "quantile_over_time",
    "rad",
    "rate",
    "resets",
    "round",
    "scalar",
    "sgn",
    "sin",
    "sinh",
    "sort",
    "sort_by_label",
    "sort_by_label_desc",
    "sort_desc",
    "sqrt",
    "stddev_over_time",
    "stdvar_over_time",
    "sum_over_time",
    "tan",
    "tanh",
    "time",
    "timestamp",
    "vector",
    "year",
];
const PROMQL_AGGREGATIONS: &[&str] = &[
    "avg",
    "bottomk",
    "count",
    "count_values",
    "group",
    "limit_ratio",
    "limitk",
    "max",
    "min",
    "quantile",
    "stddev",
    "stdvar",
    "sum",
    "topk",
];
const LOGQL_FUNCTIONS: &[&str] = &[
    "absent_over_time",
    "avg_over_time",
    "bytes_over_time",
    "bytes_rate",
    "count_over_time",
    "first_over_time",
    "label_replace",
    "last_over_time",
    "max_over_time",
    "min_over_time",
    "quantile_over_time",
    "rate",
    "rate_counter",
    "stddev_over_time",
    "stdvar_over_time",
    "sum_over_time",
    "vector",
];
const LOGQL_AGGREGATIONS: &[&str] = &[
    "avg",
    "bottomk",
    "count",
    "max",
    "min",
    "sort",
    "sort_desc",
    "stddev",
    "stdvar",
    "sum",
    "topk",
];
/// Functions whose first argument is a range vector (both languages).
const RANGE_FUNCTIONS: &[&str] = &[
    "absent_over_time",
    "avg_over_time",
    "bytes_over_time",
    "bytes_rate",
    "changes",
    "count_over_time",
    "delta",
    "deriv",
    "double_exponential_smoothing",
    "first_over_time",
    "holt_winters",
    "idelta",
    "increase",
    "irate",
    "last_over_time",
    "mad_over_time",
    "max_over_time",
    "min_over_time",
    "predict_linear",
    "present_over_time",
    "quantile_over_time",
    "rate",
    "rate_counter",
    "resets",
    "stddev_over_time",
    "stdvar_over_time",
    "sum_over_time",
];
/// Modifiers followed by a label list in parentheses.
const LABEL_LISTS: &[&str] = &[
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
];
const KEYWORDS: &[&str] = &["and", "or", "unless", "bool", "offset"];
const BINARY_OPERATORS: &[&str] = &[
    "+", "-", "*", "/", "%", "^", "==", "!=", ">", "<", ">=", "<=",
];
const LOGQL_FILTERS: &[&str] = &["|=", "!=", "|~", "!~", "|"];
const MATCH_OPERATORS: &[&str] = &["=", "!=", "=~", "!~"];

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Ident(String),
    Number(String),
    Str(String),
    Op(String),
    Open(char),
    Close(char),
    Comma,
    Colon,
}

fn tokenize(expr: &str) -> Result<Vec<Token>, String> {
    let chars: Vec<char> = expr.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            c if c.is_whitespace() => i += 1,
            '"' | '\'' | '`' => {
                let mut value = String::new();
                i += 1;
                loop {
                    let Some(&d) = chars.get(i) else {
                        return Err(format!("string opened with {c} is not closed"));
                    };
                    i += 1;
                    if d == '\\' && c != '`' {
                        value.push(*chars.get(i).ok_or("dangling escape")?);
                        i += 1;
                    } else if d == c {
                        break;
                    } else {
                        value.push(d);
                    }
                }
                tokens.push(Token::Str(value));
            }
            c if c.is_ascii_alphabetic() || c == '_' => {
                let start = i;
                while i < chars.len()
                    && (chars[i].is_ascii_alphanumeric() || matches!(chars[i], '_' | ':'))
                {
                    i += 1;
                }
                tokens.push(Token::Ident(chars[start..i].iter().collect()));
            }
            c if c.is_ascii_digit() || c == '.' => {
                let start = i;
                while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '.') {
                    i += 1;
                }
                tokens.push(Token::Number(chars[start..i].iter().collect()));
            }
            '(' | '[' | '{' => {
                tokens.push(Token::Open(c));
                i += 1;
            }
            ')' | ']' | '}' => {
                tokens.push(Token::Close(c));
                i += 1;
            }
            ',' => {
                tokens.push(Token::Comma);
                i += 1;
            }
            ':' => {
                tokens.push(Token::Colon);
                i += 1;
            }
            _ if "=!~<>|+-*/%^".contains(c) => {
                let start = i;
                while i < chars.len() && "=!~<>|+-*/%^".contains(chars[i]) {
                    i += 1;
                }
                tokens.push(Token::Op(chars[start..i].iter().collect()));
            }
            _ => return Err(format!("unexpected character {c:?}")),
        }
    }
    Ok(tokens)
}

fn is_duration(text: &str) -> bool {
    let mut rest = text;
    let mut parts = 0;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        if digits == 0 {
            return false;
        }
        rest = &rest[digits..];
        let unit = ["ms", "s", "m", "h", "d", "w", "y"]
            .into_iter()
            .find(|u| rest.starts_with(u));
        match unit {
            Some(u) => rest = &rest[u.len()..],
            None => return false,
        }
        parts += 1;
    }
    parts > 0
}

fn is_label_name(text: &str) -> bool {
    let mut chars = text.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// An open `(` with what it belongs to.
struct Frame {
    function: Option<String>,
    argument: usize,
    range_in_first: bool,
}

fn check_expr(expr: &str, lang: Lang) -> Result<(), String> {
    let tokens = tokenize(expr)?;
    let (functions, aggregations) = match lang {
        Lang::PromQL => (PROMQL_FUNCTIONS, PROMQL_AGGREGATIONS),
        Lang::LogQL => (LOGQL_FUNCTIONS, LOGQL_AGGREGATIONS),
    };
    let mut frames: Vec<Frame> = Vec::new();
    let mut top_level_range = false;
    let mut i = 0;
    while i < tokens.len() {
        match &tokens[i] {
            Token::Ident(name) => {
                let next_is_paren = tokens.get(i + 1) == Some(&Token::Open('('));
                if LABEL_LISTS.contains(&name.as_str()) {
                    if !next_is_paren {
                        return Err(format!("{name} needs a label list in parentheses"));
                    }
                    let mut j = i + 2;
                    let mut expect_label = true;
                    loop {
                        match tokens.get(j) {
                            Some(Token::Close(')')) => break,
                            Some(Token::Ident(label)) if expect_label && is_label_name(label) => {
                                expect_label = false
                            }
                            Some(Token::Comma) if !expect_label => expect_label = true,
                            other => return Err(format!("bad label list after {name}: {other:?}")),
                        }
                        j += 1;
                    }
                    i = j + 1;
                    continue;
                }
                if next_is_paren {
                    if !functions.contains(&name.as_str()) && !aggregations.contains(&name.as_str())
                    {
                        return Err(format!("unknown function {name}()"));
                    }
                    frames.push(Frame {
                        function: Some(name.clone()),
                        argument: 0,
                        range_in_first: false,
                    });
                    i += 2;
                    continue;
                }
                let after_by = matches!(tokens.get(i + 1), Some(Token::Ident(n)) if LABEL_LISTS.contains(&n.as_str()));
                let aggregation_by = aggregations.contains(&name.as_str()) && after_by;
                if KEYWORDS.contains(&name.as_str()) || aggregation_by {
                    // `sum by (x) (...)`: the aggregation's call follows the label list.
                    if aggregation_by {
                        let close = tokens[i + 2..]
                            .iter()
                            .position(|t| *t == Token::Close(')'))
                            .ok_or("unclosed label list")?;
                        if tokens.get(i + 2 + close + 1) != Some(&Token::Open('(')) {
                            return Err(format!(
                                "{name} by (...) needs its argument in parentheses"
                            ));
                        }
                        // Check the label list, then open the call frame.
                        check_expr_label_list(&tokens[i + 1..i + 2 + close + 1])?;
                        frames.push(Frame {
                            function: Some(name.clone()),
                            argument: 0,
                            range_in_first: false,
                        });
                        i = i + 2 + close + 2;
                        continue;
                    }
                    i += 1;
                    continue;
                }
                if lang == Lang::LogQL
                    && !matches!(i.checked_sub(1).map(|p| &tokens[p]), Some(Token::Op(op)) if op == "|")
                {
                    return Err(format!("{name}: LogQL has no metric names (a stream selector {{...}} was expected)"));
                }
                i += 1;
            }
            Token::Open('{') => {
                let close = tokens[i..]
                    .iter()
                    .position(|t| *t == Token::Close('}'))
                    .ok_or("unclosed selector")?;
                let inner = &tokens[i + 1..i + close];
                let mut non_empty = false;
                for matcher in inner.split(|t| *t == Token::Comma) {
                    match matcher {
                        [Token::Ident(label), Token::Op(op), Token::Str(value)]
                            if is_label_name(label) && MATCH_OPERATORS.contains(&op.as_str()) =>
                        {
                            let empty_compatible = value.is_empty()
                                || op.starts_with('!')
                                || (op == "=~" && matches!(value.as_str(), ".*" | "^.*$"));
                            non_empty |= !empty_compatible;
                        }
                        [] if inner.is_empty() => {}
                        other => return Err(format!("bad matcher {other:?}")),
                    }
                }
                if lang == Lang::LogQL && !non_empty {
                    return Err(
                        "a LogQL stream selector needs a matcher that is not empty-compatible"
                            .into(),
                    );
                }
                i += close + 1;
            }
            Token::Open('[') => {
                let close = tokens[i..]
                    .iter()
                    .position(|t| *t == Token::Close(']'))
                    .ok_or("unclosed range")?;
                let inner = &tokens[i + 1..i + close];
                let ok = match inner {
                    [Token::Number(d)] => is_duration(d),
                    [Token::Number(d), Token::Colon] => is_duration(d),
                    [Token::Number(d), Token::Colon, Token::Number(s)] => {
                        is_duration(d) && is_duration(s)
                    }
                    _ => false,
                };
                if !ok {
                    return Err(format!("bad range {inner:?}"));
                }
                match frames.last_mut() {
                    Some(frame) => {
                        let is_range_function = frame
                            .function
                            .as_deref()
                            .is_some_and(|f| RANGE_FUNCTIONS.contains(&f));
                        if !is_range_function || frame.argument != 0 {
                            return Err(format!(
                                "a range vector is not an argument of {}()",
                                frame.function.as_deref().unwrap_or("")
                            ));
                        }
                        frame.range_in_first = true;
                    }
                    None => top_level_range = true,
                }
                i += close + 1;
            }
            Token::Open('(') => {
                frames.push(Frame {
                    function: None,
                    argument: 0,
                    range_in_first: false,
                });
                i += 1;
            }
            Token::Open(c) => return Err(format!("unexpected {c}")),
            Token::Close(')') => {
                let frame = frames.pop().ok_or("unbalanced )")?;
                if let Some(function) = &frame.function {
                    if RANGE_FUNCTIONS.contains(&function.as_str()) && !frame.range_in_first {
                        return Err(format!("{function}() needs a range vector (x[5m])"));
                    }
                }
                i += 1;
            }
            Token::Close(c) => return Err(format!("unbalanced {c}")),
            Token::Comma => {
                let frame = frames.last_mut().ok_or("a comma outside any call")?;
                if frame.function.is_none() {
                    return Err("a comma inside plain parentheses".into());
                }
                frame.argument += 1;
                i += 1;
            }
            Token::Colon => return Err("a colon outside a subquery".into()),
            Token::Op(op) => {
                let logql =
                    LOGQL_FILTERS.contains(&op.as_str()) || MATCH_OPERATORS.contains(&op.as_str());
                let known =
                    BINARY_OPERATORS.contains(&op.as_str()) || (lang == Lang::LogQL && logql);
                if !known {
                    return Err(format!("unknown operator {op}"));
                }
                i += 1;
            }
            Token::Number(_) | Token::Str(_) => i += 1,
        }
    }
    if !frames.is_empty() {
        return Err("unbalanced (".into());
    }
    if top_level_range {
        return Err("the query returns a range vector; alert rules need an instant vector".into());
    }
    Ok(())
}

/// `by (a, b)` as tokens `by ( a , b )`.
fn check_expr_label_list(tokens: &[Token]) -> Result<(), String> {
    let [Token::Ident(_), Token::Open('('), inner @ .., Token::Close(')')] = tokens else {
        return Err(format!("bad label list {tokens:?}"));
    };
    for (n, token) in inner.iter().enumerate() {
        let ok = if n % 2 == 0 {
            matches!(token, Token::Ident(l) if is_label_name(l))
        } else {
            *token == Token::Comma
        };
        if !ok {
            return Err(format!("bad label list {tokens:?}"));
        }
    }
    Ok(())
}

/// The labels a query keeps (`by (...)` lists); `None` when it does not aggregate them away.
fn kept_labels(expr: &str) -> Option<BTreeSet<String>> {
    let tokens = tokenize(expr).ok()?;
    let mut labels = BTreeSet::new();
    let mut aggregates = false;
    for (i, token) in tokens.iter().enumerate() {
        if *token == Token::Ident("by".into()) {
            aggregates = true;
            for t in tokens[i + 2..]
                .iter()
                .take_while(|t| **t != Token::Close(')'))
            {
                if let Token::Ident(l) = t {
                    labels.insert(l.clone());
                }
            }
        }
    }
    aggregates.then_some(labels)
}

/// Grafana template references in annotations: balanced `{{ }}`, `$labels.x` that the query
/// keeps, `$values.X` of an existing refId.
fn check_templates(
    text: &str,
    refs: &[&str],
    kept: Option<&BTreeSet<String>>,
) -> Result<(), String> {
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let end = rest[start..].find("}}").ok_or("unclosed {{")? + start;
        let action = &rest[start + 2..end];
        for (n, part) in action.split("$labels.").enumerate().skip(1) {
            let label: String = part
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if let Some(kept) = kept {
                if !kept.contains(&label) {
                    return Err(format!("$labels.{label} (use {n}) is aggregated away"));
                }
            }
        }
        for part in action.split("$values.").skip(1) {
            let id: String = part
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric())
                .collect();
            if !refs.contains(&id.as_str()) {
                return Err(format!("$values.{id} names no query or expression"));
            }
        }
        rest = &rest[end + 2..];
    }
    if rest.contains("}}") {
        return Err("unopened }}".into());
    }
    Ok(())
}

#[test]
fn rule_expressions_pass_the_syntax_check() {
    let mut checked = 0;
    for (name, objects) in all_renders() {
        for RuleRef { group, rule } in rules(&objects) {
            let what = format!("{name}: {group}/{}", text(rule, "/uid"));
            let query = &rule["data"][0];
            let lang = match text(query, "/model/datasource/type") {
                "prometheus" => Lang::PromQL,
                "loki" => Lang::LogQL,
                other => panic!("{what}: datasource type {other}"),
            };
            let expr = text(query, "/model/expr");
            check_expr(expr, lang).unwrap_or_else(|e| panic!("{what}: {e}\n  {expr}"));
            let refs: Vec<&str> = rule["data"]
                .as_array()
                .expect("data")
                .iter()
                .map(|d| text(d, "/refId"))
                .collect();
            let kept = kept_labels(expr);
            for (key, value) in rule["annotations"].as_object().into_iter().flatten() {
                check_templates(value.as_str().unwrap_or_default(), &refs, kept.as_ref())
                    .unwrap_or_else(|e| panic!("{what}: annotation {key}: {e}"));
            }
            checked += 1;
        }
    }
    assert!(checked > 30, "only {checked} rules checked");
}

#[test]
fn the_syntax_check_rejects_broken_queries() {
    use Lang::{LogQL, PromQL};
    let good = [
        ("sum by (job) (rate(http_requests_total{code=~\"5..\"}[5m])) / sum by (job) (rate(http_requests_total[5m]))", PromQL),
        ("max_over_time(rate(x[5m])[1h:1m])", PromQL),
        ("a - on (pod) group_left (node) b", PromQL),
        ("sum(count_over_time({namespace=\"a\"} |= \"x\" [5m]))", LogQL),
        ("sum by (pod) (rate({app=\"a\"} | json | level=\"error\" [1m]))", LogQL),
    ];
    for (expr, lang) in good {
        check_expr(expr, lang).unwrap_or_else(|e| panic!("{expr}: {e}"));
    }
    let bad = [
        ("sum(rate(x[5m])", PromQL, "unbalanced"),
        ("sum(rate(x[5m])))", PromQL, "unbalanced"),
        ("rat(x[5m])", PromQL, "unknown function"),
        ("rate(x)", PromQL, "needs a range vector"),
        ("sum(x[5m])", PromQL, "not an argument"),
        ("x[5m]", PromQL, "range vector"),
        ("rate(x[5x])", PromQL, "bad range"),
        ("x{a==\"b\"}", PromQL, "bad matcher"),
        ("x{a=b}", PromQL, "bad matcher"),
        ("sum by (1a) (x)", PromQL, "label list"),
        ("x => 1", PromQL, "unknown operator"),
        ("x{a=\"b}", PromQL, "not closed"),
        ("count_over_time({}[5m])", LogQL, "stream selector"),
        ("count_over_time({a=~\".*\"}[5m])", LogQL, "stream selector"),
        ("sum(rate(up[5m]))", LogQL, "no metric names"),
        ("bytes_rate(x[5m])", PromQL, "unknown function"),
    ];
    for (expr, lang, needle) in bad {
        match check_expr(expr, lang) {
            Ok(()) => panic!("{expr} passed"),
            Err(e) => assert!(e.contains(needle), "{expr}: {e}"),
        }
    }
    let kept = kept_labels("sum by (namespace) (x)");
    assert!(check_templates("{{ $labels.pod }}", &["A", "B"], kept.as_ref()).is_err());
    assert!(check_templates("{{ $values.C.Value }}", &["A", "B"], None).is_err());
    assert!(check_templates("{{ $labels.namespace", &["A"], None).is_err());
    assert!(check_templates(
        "{{ $labels.namespace }} at {{ $values.A.Value }}",
        &["A"],
        kept.as_ref()
    )
    .is_ok());
}

/// Issue 16, class 8: with Slack off, the root route (every alert no matcher route takes) goes
/// to `rootReceiver`, else to the first contact point without matchers, never to one whose
/// matchers say it wants only some alerts; when every contact point matches, `rootReceiver` is
/// required.
#[test]
fn the_root_receiver_is_never_a_matching_contact_point_by_accident() {
    let base =
        "  grafana:\n    hostname: g.example.com\n    alerting:\n      slack: {enabled: false}\n";
    let pager = "        - name: dba-pager\n          matchers: [{label: severity, op: \"!~\", value: info}]\n          receivers: [{type: email, settings: {addresses: dba@example.com}}]\n";
    let mail = "        - name: team-mail\n          receivers: [{type: email, settings: {addresses: team@example.com}}]\n";
    let root = |objects: &[Value]| {
        let policy = one(objects, "GrafanaNotificationPolicy", "monitoring-stack");
        text(&policy["spec"]["route"], "/receiver").to_string()
    };
    // The pager first: the contact point without matchers is still the root.
    let objects = inline(&format!("{base}      contactPoints:\n{pager}{mail}"));
    assert_eq!(root(&objects), "team-mail");
    let policy = one(&objects, "GrafanaNotificationPolicy", "monitoring-stack");
    assert_eq!(
        policy["spec"]["route"]["routes"][0]["receiver"],
        serde_json::json!("dba-pager")
    );
    // Only the pager: an error at rootReceiver that names it.
    let errors = inline_errors(&format!("{base}      contactPoints:\n{pager}"));
    assert!(
        errors.contains("spec.grafana.alerting.rootReceiver") && errors.contains("dba-pager"),
        "{errors}"
    );
    // Named explicitly, it is the root (the user's choice).
    let objects = inline(&format!(
        "{base}      rootReceiver: dba-pager\n      contactPoints:\n{pager}"
    ));
    assert_eq!(root(&objects), "dba-pager");
    // An explicit root overrides Slack too; one that names nothing is an error.
    let objects = inline(&format!(
        "  grafana:\n    hostname: g.example.com\n    alerting:\n      rootReceiver: team-mail\n      contactPoints:\n{mail}"
    ));
    assert_eq!(root(&objects), "team-mail");
    let errors = inline_errors(&format!("{base}      rootReceiver: nobody\n"));
    assert!(
        errors.contains("spec.grafana.alerting.rootReceiver")
            && errors.contains("names no contact point"),
        "{errors}"
    );
    // Slack on and no rootReceiver: Slack, as before.
    let objects = inline(&format!(
        "  grafana:\n    hostname: g.example.com\n    alerting:\n      contactPoints:\n{pager}"
    ));
    assert_eq!(root(&objects), "slack");
}
