//! Safety of what the function generates, over the output of every example
//! (`krm/examples/*.yaml`, `krm/kustomize/*/stack.yaml`):
//!
//! - every Pod template the function writes (the storage setup Jobs, the Grafana CR's deployment
//!   overlay) meets Pod Security "restricted", and security settings handed to charts never
//!   weaken it (the pods charts render are checked as Helm renders them, in
//!   `tests/deployability.rs`); the one exception is the opt-in journal reader
//!   (`spec.alloy.nodeLogs`), root with three read-only host paths in its own privileged
//!   namespace;
//! - every image and chart is pinned (a tag or digest, never `latest`, exact chart versions);
//! - RBAC names the objects it grants (`resourceNames`) and never uses wildcards; the one
//!   documented exception is `create` on Secrets, which RBAC cannot scope by name;
//! - no Secret value, token, password or webhook URL appears literally anywhere;
//! - every namespace the output uses is created by it or is a declared prerequisite
//!   (the library's prerequisites table, `monitoring-stack prerequisites`).

mod support;

use serde_yaml_ng::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every example stack and its rendered objects.
fn outputs() -> Vec<(String, Value, Vec<Value>)> {
    support::example_files()
        .into_iter()
        .map(|path| {
            let bytes = std::fs::read(&path).expect("example");
            let stack: Value = serde_yaml_ng::from_slice(&bytes).expect("example YAML");
            let objects = monitoring_stack::render(&bytes)
                .unwrap_or_else(|e| panic!("{} does not render: {e:?}", path.display()));
            let name = path
                .strip_prefix(root())
                .unwrap_or(&path)
                .display()
                .to_string();
            (name, stack, objects)
        })
        .collect()
}

fn text<'a>(value: &'a Value, path: &[&str]) -> Option<&'a str> {
    get(value, path)?.as_str()
}

fn get<'a>(value: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(value, |v, key| v.get(*key))
}

fn name_of(object: &Value) -> String {
    format!(
        "{} {}/{}",
        text(object, &["kind"]).unwrap_or("?"),
        text(object, &["metadata", "namespace"]).unwrap_or(""),
        text(object, &["metadata", "name"]).unwrap_or("?")
    )
}

/// Calls `f(path, key, value)` for every mapping entry below `value`.
fn walk(value: &Value, path: &mut Vec<String>, f: &mut dyn FnMut(&[String], &str, &Value)) {
    match value {
        Value::Mapping(map) => {
            for (key, child) in map {
                let key = key
                    .as_str()
                    .map(String::from)
                    .unwrap_or_else(|| format!("{key:?}"));
                f(path, &key, child);
                path.push(key);
                walk(child, path, f);
                path.pop();
            }
        }
        Value::Sequence(items) => {
            for (i, child) in items.iter().enumerate() {
                path.push(format!("[{i}]"));
                walk(child, path, f);
                path.pop();
            }
        }
        Value::Tagged(tagged) => walk(&tagged.value, path, f),
        _ => {}
    }
}

/// Every string in `value`, with its path.
fn strings(value: &Value) -> Vec<(String, String)> {
    fn go(value: &Value, path: &str, out: &mut Vec<(String, String)>) {
        match value {
            Value::String(s) => out.push((path.to_string(), s.clone())),
            Value::Mapping(map) => {
                for (k, v) in map {
                    let key = k
                        .as_str()
                        .map(String::from)
                        .unwrap_or_else(|| format!("{k:?}"));
                    if let Value::String(s) = k {
                        out.push((format!("{path}.<key>"), s.clone()));
                    }
                    go(v, &format!("{path}.{key}"), out);
                }
            }
            Value::Sequence(items) => {
                for (i, v) in items.iter().enumerate() {
                    go(v, &format!("{path}[{i}]"), out);
                }
            }
            Value::Tagged(t) => go(&t.value, path, out),
            _ => {}
        }
    }
    let mut out = Vec::new();
    go(value, "", &mut out);
    out
}

// ---------------------------------------------------------------------------------------------
// Pod Security "restricted" (support::pod_security). Chart pods are checked as Helm renders
// them, in tests/deployability.rs.

/// The Pod templates of the function's own workloads: (object, pod spec as JSON).
fn pod_templates(objects: &[Value]) -> Vec<(String, serde_json::Value)> {
    objects
        .iter()
        .filter_map(|object| {
            let json = support::yaml_to_json(object.clone()).ok()?;
            let pod = support::pod_security::pod_spec(&json)?.clone();
            Some((name_of(object), pod))
        })
        .collect()
}

#[test]
fn the_functions_own_pod_templates_meet_restricted() {
    let mut checked = BTreeSet::new();
    let mut problems = Vec::new();
    for (example, _, objects) in outputs() {
        for (object, pod) in pod_templates(&objects) {
            checked.insert(object.split(' ').next().unwrap_or_default().to_string());
            for problem in support::pod_security::restricted_violations(&pod) {
                problems.push(format!("{example}: {object}: {problem}"));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    // The setup Jobs and the Grafana overlay were found (a template the check misses fails).
    assert!(
        checked.contains("Job") && checked.contains("Grafana"),
        "{checked:?}"
    );
}

/// The namespace of the opt-in journal reader (`spec.alloy.nodeLogs`), when it is on.
fn node_logs_namespace(stack: &Value) -> Option<String> {
    let node_logs = get(stack, &["spec", "alloy", "nodeLogs"])?;
    (get(node_logs, &["enabled"]).and_then(Value::as_bool) == Some(true)).then(|| {
        get(node_logs, &["namespace"])
            .and_then(Value::as_str)
            .unwrap_or("alloy-node-logs")
            .to_string()
    })
}

/// Keys under which charts take security settings, and the values that would weaken
/// "restricted" if the function handed them over.
#[test]
fn security_settings_handed_to_charts_never_weaken_restricted() {
    let mut problems = Vec::new();
    for (example, stack, objects) in outputs() {
        let node_logs_namespace = node_logs_namespace(&stack);
        for object in &objects {
            let kind = text(object, &["kind"]).unwrap_or_default();
            // The one documented exception: the opt-in journal reader, alone in its privileged
            // namespace, mounts the host's journal read-only as root (README "Collection").
            let journal_reader = kind == "Alloy"
                && node_logs_namespace.is_some()
                && text(object, &["metadata", "namespace"]) == node_logs_namespace.as_deref();
            let values = match kind {
                "HelmRelease" => get(object, &["spec", "values"]),
                "Alloy" | "Grafana" => object.get("spec"),
                _ => None,
            };
            let Some(values) = values else { continue };
            walk(values, &mut Vec::new(), &mut |path, key, value| {
                let at = || format!("{example}: {}: {}.{key}", name_of(object), path.join("."));
                let flag = value.as_bool();
                match key {
                    "privileged"
                    | "hostNetwork"
                    | "hostPID"
                    | "hostIPC"
                    | "allowPrivilegeEscalation"
                        if flag == Some(true) =>
                    {
                        problems.push(format!("{} is true", at()))
                    }
                    "runAsNonRoot" if flag == Some(false) && !journal_reader => {
                        problems.push(format!("{} is false", at()))
                    }
                    "runAsUser" if value.as_u64() == Some(0) && !journal_reader => {
                        problems.push(format!("{} is 0", at()))
                    }
                    "hostPath"
                        if !(journal_reader
                            && matches!(
                                get(value, &["path"]).and_then(Value::as_str),
                                Some("/var/log" | "/run/log/journal" | "/etc/machine-id")
                            )) =>
                    {
                        problems.push(format!("{} mounts a host path", at()))
                    }
                    "type" if value.as_str() == Some("Unconfined") => {
                        problems.push(format!("{} is Unconfined", at()))
                    }
                    "add" if path.last().is_some_and(|p| p == "capabilities") => {
                        problems.push(format!("{} adds capabilities", at()))
                    }
                    _ => {}
                }
            });
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

// ---------------------------------------------------------------------------------------------
// Pinned images and charts

fn is_pinned_image(image: &str) -> bool {
    if let Some((_, digest)) = image.split_once("@sha256:") {
        return digest.len() == 64 && digest.chars().all(|c| c.is_ascii_hexdigit());
    }
    // The tag is after the last `:` that follows the last `/` (a registry port is not a tag).
    let last = image.rsplit('/').next().unwrap_or(image);
    match last.rsplit_once(':') {
        Some((_, tag)) => !tag.is_empty() && tag != "latest",
        None => false,
    }
}

fn is_exact_version(version: &str) -> bool {
    let core = version.trim_start_matches('v');
    let core = core.split(['-', '+']).next().unwrap_or_default();
    let parts: Vec<&str> = core.split('.').collect();
    parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
}

#[test]
fn every_image_and_chart_is_pinned() {
    assert!(is_pinned_image("docker.io/alpine/k8s:1.32.4"));
    assert!(is_pinned_image("registry.local:5000/x@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"));
    assert!(!is_pinned_image("registry.local:5000/x"));
    assert!(!is_pinned_image("busybox:latest"));
    let mut problems = Vec::new();
    let mut images = 0;
    for (example, _, objects) in outputs() {
        for object in &objects {
            let at = || format!("{example}: {}", name_of(object));
            walk(object, &mut Vec::new(), &mut |path, key, value| {
                if key == "image" {
                    if let Some(image) = value.as_str() {
                        images += 1;
                        if !is_pinned_image(image) {
                            problems.push(format!(
                                "{}: {}.image {image:?} is not pinned",
                                at(),
                                path.join(".")
                            ));
                        }
                    }
                }
            });
            match text(object, &["kind"]).unwrap_or_default() {
                "HelmRelease" => {
                    if let Some(version) = text(object, &["spec", "chart", "spec", "version"]) {
                        if !is_exact_version(version) {
                            problems
                                .push(format!("{}: chart version {version:?} is a range", at()));
                        }
                    } else if object.get("spec").and_then(|s| s.get("chartRef")).is_none() {
                        problems.push(format!("{}: no chart version", at()));
                    }
                }
                "OCIRepository" => {
                    let tag = text(object, &["spec", "ref", "tag"]);
                    let digest = text(object, &["spec", "ref", "digest"]);
                    if digest.is_none() && !tag.is_some_and(is_exact_version) {
                        problems.push(format!("{}: OCI ref {tag:?} is not an exact version", at()));
                    }
                }
                "Grafana" => {
                    if let Some(version) = text(object, &["spec", "version"]) {
                        if version == "latest" || version.ends_with(":latest") {
                            problems.push(format!("{}: Grafana version {version:?}", at()));
                        }
                    }
                }
                _ => {}
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(
        images > 0,
        "no image found: the check looks in the wrong place"
    );
}

// ---------------------------------------------------------------------------------------------
// RBAC

#[test]
fn rbac_names_its_objects_and_never_uses_wildcards() {
    let mut problems = Vec::new();
    let mut rules_seen = 0;
    for (example, _, objects) in outputs() {
        let roles: BTreeSet<(String, String)> = objects
            .iter()
            .filter(|o| matches!(text(o, &["kind"]), Some("Role" | "ClusterRole")))
            .map(|o| {
                (
                    text(o, &["metadata", "namespace"])
                        .unwrap_or_default()
                        .to_string(),
                    text(o, &["metadata", "name"])
                        .unwrap_or_default()
                        .to_string(),
                )
            })
            .collect();
        for object in &objects {
            let at = || format!("{example}: {}", name_of(object));
            match text(object, &["kind"]).unwrap_or_default() {
                "ClusterRole" | "ClusterRoleBinding" => {
                    problems.push(format!("{}: cluster-wide RBAC is never generated", at()));
                }
                "Role" => {
                    for rule in object
                        .get("rules")
                        .and_then(Value::as_sequence)
                        .into_iter()
                        .flatten()
                    {
                        rules_seen += 1;
                        let list = |key: &str| -> Vec<String> {
                            rule.get(key)
                                .and_then(Value::as_sequence)
                                .into_iter()
                                .flatten()
                                .filter_map(Value::as_str)
                                .map(String::from)
                                .collect()
                        };
                        let (verbs, resources, groups, names) = (
                            list("verbs"),
                            list("resources"),
                            list("apiGroups"),
                            list("resourceNames"),
                        );
                        for (what, values) in [
                            ("verbs", &verbs),
                            ("resources", &resources),
                            ("apiGroups", &groups),
                        ] {
                            if values.is_empty() || values.iter().any(|v| v.contains('*')) {
                                problems.push(format!("{}: {what} {values:?}", at()));
                            }
                        }
                        if rule.get("nonResourceURLs").is_some() {
                            problems.push(format!("{}: nonResourceURLs", at()));
                        }
                        if names.is_empty() {
                            // The documented exception: `create` cannot be scoped by name.
                            let create_only = verbs == ["create"];
                            if !create_only {
                                problems.push(format!(
                                    "{}: rule {verbs:?} on {resources:?} without resourceNames",
                                    at()
                                ));
                            }
                        } else if verbs.iter().any(|v| {
                            v == "create" || v == "list" || v == "watch" || v == "deletecollection"
                        }) {
                            problems.push(format!(
                                "{}: {verbs:?} cannot be limited by resourceNames; use a separate rule",
                                at()
                            ));
                        }
                    }
                }
                "RoleBinding" => {
                    let namespace = text(object, &["metadata", "namespace"]).unwrap_or_default();
                    let role = text(object, &["roleRef", "name"]).unwrap_or_default();
                    if text(object, &["roleRef", "kind"]) != Some("Role")
                        || !roles.contains(&(namespace.to_string(), role.to_string()))
                    {
                        problems.push(format!(
                            "{}: binds {role:?}, not a Role of this output",
                            at()
                        ));
                    }
                    for subject in object
                        .get("subjects")
                        .and_then(Value::as_sequence)
                        .into_iter()
                        .flatten()
                    {
                        if text(subject, &["kind"]) != Some("ServiceAccount")
                            || text(subject, &["namespace"]) != Some(namespace)
                        {
                            problems.push(format!("{}: subject {subject:?}", at()));
                        }
                    }
                }
                _ => {}
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(rules_seen > 0, "no RBAC rule found");
}

// ---------------------------------------------------------------------------------------------
// No literal secrets

/// Text that is a secret, a credential or a webhook URL wherever it appears.
fn looks_secret(text: &str) -> Option<&'static str> {
    let lower = text.to_ascii_lowercase();
    for (needle, what) in [
        ("hooks.slack.com/", "a Slack webhook URL"),
        ("discord.com/api/webhooks", "a Discord webhook URL"),
        ("outlook.office.com/webhook", "a Teams webhook URL"),
        (
            "events.pagerduty.com/integration",
            "a PagerDuty integration URL",
        ),
        ("-----begin", "a PEM key or certificate"),
        ("xoxb-", "a Slack token"),
        ("xoxp-", "a Slack token"),
        ("ghp_", "a GitHub token"),
    ] {
        if lower.contains(needle) {
            return Some(what);
        }
    }
    let bytes = text.as_bytes();
    // AWS access key ids: AKIA + 16 upper-case letters or digits.
    for start in text.match_indices("AKIA").map(|(i, _)| i) {
        let id = &bytes[start + 4..bytes.len().min(start + 20)];
        if id.len() == 16
            && id
                .iter()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        {
            return Some("an AWS access key id");
        }
    }
    // JWTs: three base64url parts, the first a JSON header.
    if text.split_whitespace().any(|w| {
        let parts: Vec<&str> = w.split('.').collect();
        parts.len() == 3 && parts[0].starts_with("eyJ") && parts.iter().all(|p| p.len() >= 10)
    }) {
        return Some("a JWT");
    }
    // Credentials in a URL: scheme://user:password@host.
    if let Some(rest) = text.split("://").nth(1) {
        let authority = rest.split(['/', ' ', '\n']).next().unwrap_or_default();
        if let Some((userinfo, _)) = authority.rsplit_once('@') {
            if userinfo.contains(':') {
                return Some("credentials in a URL");
            }
        }
    }
    None
}

/// An Alloy configuration line that sets a credential to anything but an environment variable
/// (the writers read passwords and tokens from Secrets through `sys.env`, issue 20).
fn literal_alloy_credential(text: &str) -> Option<&str> {
    text.lines().find(|line| {
        let line = line.trim_start();
        ["password", "bearer_token", "username"].iter().any(|key| {
            line.strip_prefix(key)
                .map(str::trim_start)
                .and_then(|rest| rest.strip_prefix('='))
                .is_some_and(|value| {
                    let value = value.trim();
                    // A user name may be written (it is not a secret); a password never.
                    !value.starts_with("sys.env(") && *key != "username"
                })
        })
    })
}

/// Keys that hold a secret's *value* (not the name of a Secret that holds it).
fn is_secret_value_key(key: &str) -> bool {
    let key: String = key
        .to_ascii_lowercase()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    matches!(
        key.as_str(),
        "password"
            | "passwd"
            | "token"
            | "bearertoken"
            | "apikey"
            | "apitoken"
            | "clientsecret"
            | "secretkey"
            | "secretaccesskey"
            | "awssecretaccesskey"
            | "accesskey"
            | "accesskeyid"
            | "webhookurl"
            | "authorization"
            | "integrationkey"
            | "routingkey"
    )
}

/// A reference to a value kept elsewhere: a Secret/env reference, a placeholder, empty.
fn is_reference(value: &str) -> bool {
    value.is_empty()
        || value.contains("${")
        || value.contains("$__file{")
        || value.contains("$__env{")
        || value.starts_with('$')
}

#[test]
fn no_secret_value_appears_literally() {
    assert!(looks_secret("https://hooks.slack.com/services/T000/B000/XXXX").is_some());
    assert!(looks_secret("AKIAABCDEFGHIJKLMNOP").is_some());
    assert!(looks_secret("https://user:pass@host/x").is_some());
    assert!(looks_secret("https://idp.example.com/realms/main").is_none());
    assert!(literal_alloy_credential("basic_auth {\n  password = \"hunter2\"\n}").is_some());
    assert!(literal_alloy_credential("bearer_token = \"abc\"").is_some());
    assert!(literal_alloy_credential("password = sys.env(\"X_PASSWORD\")").is_none());
    let mut problems = Vec::new();
    for (example, _, objects) in outputs() {
        for object in &objects {
            let at = format!("{example}: {}", name_of(object));
            if text(object, &["kind"]) == Some("Secret")
                && (object.get("data").is_some() || object.get("stringData").is_some())
            {
                problems.push(format!("{at}: a Secret with data is generated"));
            }
            for (path, value) in strings(object) {
                if let Some(what) = looks_secret(&value) {
                    problems.push(format!("{at}: {path} holds {what}"));
                }
                if let Some(line) = literal_alloy_credential(&value) {
                    problems.push(format!(
                        "{at}: {path} sets a credential literally: {}",
                        line.trim()
                    ));
                }
            }
            walk(object, &mut Vec::new(), &mut |path, key, value| {
                if let Some(value) = value.as_str() {
                    if is_secret_value_key(key) && !is_reference(value) {
                        problems.push(format!(
                            "{at}: {}.{key} is a literal {value:?}",
                            path.join(".")
                        ));
                    }
                }
            });
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

// ---------------------------------------------------------------------------------------------
// Namespaces

/// The namespaces a stack declares as prerequisites (`monitoring-stack prerequisites`): the Flux
/// source's, the Gateway's, and those of other prerequisite objects.
fn prerequisites(stack: &Value) -> BTreeMap<String, String> {
    let text = serde_yaml_ng::to_string(stack).expect("stack YAML");
    let table = monitoring_stack::prerequisites(text.as_bytes()).expect("valid stack");
    let mut out = BTreeMap::new();
    for row in table {
        if row.kind == "Namespace" {
            out.insert(row.name.clone(), format!("{} ({})", row.why, row.field));
        }
        if let Some(namespace) = row.namespace {
            out.insert(namespace, format!("{} {}: {}", row.kind, row.name, row.why));
        }
    }
    out
}

/// Every namespace the objects use: their own, and every namespace they refer to (Flux
/// references, targets, RBAC subjects, HTTPRoute parents, in-cluster service addresses).
fn used_namespaces(objects: &[Value]) -> BTreeMap<String, String> {
    let mut used = BTreeMap::new();
    for object in objects {
        let name = name_of(object);
        if let Some(ns) = text(object, &["metadata", "namespace"]) {
            used.entry(ns.to_string()).or_insert_with(|| name.clone());
        }
        walk(object, &mut Vec::new(), &mut |path, key, value| {
            if path.first().is_some_and(|p| p == "metadata") {
                return;
            }
            if matches!(key, "namespace" | "targetNamespace" | "storageNamespace") {
                if let Some(ns) = value.as_str() {
                    used.entry(ns.to_string())
                        .or_insert_with(|| format!("{name}: {}.{key}", path.join(".")));
                }
            }
        });
        for (path, value) in strings(object) {
            // `service.namespace.svc` and `service.namespace.svc.cluster.local` addresses.
            for (at, _) in value.match_indices(".svc") {
                let before = &value[..at];
                let host_start = before
                    .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '.'))
                    .map_or(0, |i| i + 1);
                let host = &before[host_start..];
                if let Some((_, ns)) = host.rsplit_once('.') {
                    if !ns.is_empty() {
                        used.entry(ns.to_string())
                            .or_insert_with(|| format!("{name}: {path} ({value:.60})"));
                    }
                }
            }
        }
    }
    used
}

#[test]
fn every_namespace_used_is_created_or_a_declared_prerequisite() {
    let mut problems = Vec::new();
    let mut prerequisites_used = BTreeSet::new();
    let mut service_addresses = 0;
    for (example, stack, objects) in outputs() {
        let created: BTreeSet<String> = objects
            .iter()
            .filter(|o| text(o, &["kind"]) == Some("Namespace"))
            .filter_map(|o| text(o, &["metadata", "name"]).map(String::from))
            .collect();
        let prerequisites = prerequisites(&stack);
        for (namespace, user) in used_namespaces(&objects) {
            if user.contains(".svc") {
                service_addresses += 1;
            }
            if !created.contains(&namespace) && prerequisites.contains_key(&namespace) {
                prerequisites_used.insert(namespace.clone());
            }
            if !created.contains(&namespace) && !prerequisites.contains_key(&namespace) {
                problems.push(format!(
                    "{example}: namespace {namespace:?} (used by {user}) is neither created nor a prerequisite"
                ));
            }
        }
        // Every namespace the stack creates says what it enforces, and only node-exporter's and
        // the opt-in journal reader's (privileged by design) are privileged.
        for namespace in objects
            .iter()
            .filter(|o| text(o, &["kind"]) == Some("Namespace"))
        {
            let level = text(
                namespace,
                &["metadata", "labels", "pod-security.kubernetes.io/enforce"],
            );
            let name = text(namespace, &["metadata", "name"]);
            if level == Some("privileged")
                && name
                    != Some(
                        text(&stack, &["spec", "nodeExporter", "namespace"])
                            .unwrap_or("node-exporter"),
                    )
                && name != node_logs_namespace(&stack).as_deref()
            {
                problems.push(format!("{example}: {} is privileged", name_of(namespace)));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    // The check saw what it is for: Flux's namespace and the Gateway's are used and not
    // created; in-cluster service addresses were read.
    assert!(
        prerequisites_used.contains("flux-system") && prerequisites_used.len() >= 2,
        "{prerequisites_used:?}"
    );
    assert!(service_addresses > 0, "no .svc address found");
}
