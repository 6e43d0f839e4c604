//! Every reference of a deployed stack resolved: in-cluster addresses to Services and ports,
//! monitors to the Services and Pods they select, Secrets and ConfigMaps to whatever provides
//! them (generated, rendered by a chart, written by a controller or the setup Job, or a
//! declared prerequisite).

use super::deploy::{id_of, kind_of, name_of, namespace_of, Deployed};
use super::pod_security::{containers, pod_spec};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// A problem and the number of references checked.
pub struct Checked {
    pub count: usize,
    pub problems: Vec<String>,
}

/// Services by (namespace, name): their ports as (name, port).
fn services(stack: &Deployed) -> BTreeMap<(String, String), Vec<(String, u64)>> {
    let mut out = BTreeMap::new();
    for (_, object) in stack.objects() {
        if kind_of(&object) != "Service" {
            continue;
        }
        let ports = object
            .pointer("/spec/ports")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|p| {
                (
                    p.get("name")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_string(),
                    p.get("port").and_then(Value::as_u64).unwrap_or(0),
                )
            })
            .collect();
        out.insert(
            (
                namespace_of(&object).to_string(),
                name_of(&object).to_string(),
            ),
            ports,
        );
    }
    out
}

/// Every string below `value`.
fn strings<'a>(value: &'a Value, out: &mut Vec<&'a str>) {
    match value {
        Value::String(s) => out.push(s),
        Value::Array(items) => items.iter().for_each(|v| strings(v, out)),
        Value::Object(map) => map.values().for_each(|v| strings(v, out)),
        _ => {}
    }
}

/// In-cluster addresses in a text: `name.namespace.svc[.cluster.local][:port]`, with the
/// scheme's default port when none is written.
fn addresses(text: &str) -> Vec<(String, String, u64)> {
    let mut out = Vec::new();
    for (at, _) in text.match_indices(".svc") {
        let before = &text[..at];
        let start = before
            .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '.'))
            .map_or(0, |i| i + 1);
        let host: Vec<&str> = before[start..].split('.').collect();
        if host.len() != 2 || host.iter().any(|p| p.is_empty()) {
            continue;
        }
        let mut rest = &text[at + 4..];
        rest = rest.strip_prefix(".cluster.local").unwrap_or(rest);
        let scheme_https = before[..start].ends_with("https://");
        let port = match rest.strip_prefix(':') {
            Some(p) => p
                .chars()
                .take_while(char::is_ascii_digit)
                .collect::<String>()
                .parse()
                .unwrap_or(0),
            None if scheme_https => 443,
            None => 80,
        };
        out.push((host[1].to_string(), host[0].to_string(), port));
    }
    out
}

/// Every `host:port` a generated object names (datasource URLs, Alloy endpoints, Grafana
/// settings) and every HTTPRoute or Ingress backend is a Service with that port.
pub fn service_addresses(stack: &Deployed) -> Checked {
    let services = services(stack);
    let mut count = 0;
    let mut problems = Vec::new();
    let mut resolve =
        |at: &str, namespace: &str, name: &str, port: u64, problems: &mut Vec<String>| {
            count += 1;
            match services.get(&(namespace.to_string(), name.to_string())) {
                None => problems.push(format!("{at}: no Service {namespace}/{name}")),
                Some(ports) if !ports.iter().any(|(_, p)| *p == port) => problems.push(format!(
                    "{at}: Service {namespace}/{name} has no port {port} (ports {ports:?})"
                )),
                Some(_) => {}
            }
        };
    for object in stack
        .generated
        .iter()
        .filter(|o| !super::deploy::is_local_config(o))
    {
        let at = id_of(object);
        let mut texts = Vec::new();
        strings(object, &mut texts);
        for text in texts {
            for (namespace, name, port) in addresses(text) {
                resolve(&at, &namespace, &name, port, &mut problems);
            }
        }
        let namespace = namespace_of(object);
        let backends: Vec<&Value> = match kind_of(object) {
            "HTTPRoute" => object
                .pointer("/spec/rules")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|r| r.get("backendRefs").and_then(Value::as_array))
                .flatten()
                .collect(),
            _ => Vec::new(),
        };
        for backend in backends {
            let name = backend.get("name").and_then(Value::as_str).unwrap_or("");
            let port = backend.get("port").and_then(Value::as_u64).unwrap_or(0);
            let ns = backend
                .get("namespace")
                .and_then(Value::as_str)
                .unwrap_or(namespace);
            resolve(&at, ns, name, port, &mut problems);
        }
        let ingress = match kind_of(object) {
            "Ingress" => object.get("spec"),
            "Grafana" => object.pointer("/spec/ingress/spec"),
            _ => None,
        };
        for rule in ingress
            .and_then(|s| s.get("rules"))
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            for path in rule
                .pointer("/http/paths")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let name = path
                    .pointer("/backend/service/name")
                    .and_then(Value::as_str)
                    .unwrap_or("");
                let port = path
                    .pointer("/backend/service/port/number")
                    .and_then(Value::as_u64)
                    .unwrap_or(0);
                resolve(&at, namespace, name, port, &mut problems);
            }
        }
    }
    Checked { count, problems }
}

/// Whether `labels` match a LabelSelector (matchLabels and matchExpressions).
pub fn selects(selector: &Value, labels: &Value) -> bool {
    let label = |key: &str| labels.get(key).and_then(Value::as_str);
    let by_labels = selector
        .get("matchLabels")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .all(|(k, v)| label(k) == v.as_str());
    let by_expressions = selector
        .get("matchExpressions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .all(|e| {
            let key = e.get("key").and_then(Value::as_str).unwrap_or("");
            let values: Vec<&str> = e
                .get("values")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            match e.get("operator").and_then(Value::as_str).unwrap_or("") {
                "In" => label(key).is_some_and(|v| values.contains(&v)),
                "NotIn" => !label(key).is_some_and(|v| values.contains(&v)),
                "Exists" => label(key).is_some(),
                "DoesNotExist" => label(key).is_none(),
                _ => false,
            }
        });
    by_labels && by_expressions
}

/// The namespaces a monitor looks in: `namespaceSelector.matchNames`, all with `any`, else its
/// own.
fn monitor_namespaces(monitor: &Value) -> Option<BTreeSet<String>> {
    let selector = monitor.pointer("/spec/namespaceSelector");
    if selector.and_then(|s| s.get("any")).and_then(Value::as_bool) == Some(true) {
        return None;
    }
    let names: BTreeSet<String> = selector
        .and_then(|s| s.get("matchNames"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(String::from)
        .collect();
    Some(if names.is_empty() {
        BTreeSet::from([namespace_of(monitor).to_string()])
    } else {
        names
    })
}

/// Every ServiceMonitor selects at least one Service whose ports include each endpoint's
/// port name; every PodMonitor selects at least one Pod whose containers name each port.
pub fn monitors(stack: &Deployed) -> Checked {
    let objects: Vec<Value> = stack.objects().into_iter().map(|(_, o)| o).collect();
    let mut count = 0;
    let mut problems = Vec::new();
    for monitor in &objects {
        let kind = kind_of(monitor);
        if kind != "ServiceMonitor" && kind != "PodMonitor" {
            continue;
        }
        count += 1;
        let at = id_of(monitor);
        let namespaces = monitor_namespaces(monitor);
        let in_scope = |o: &Value| {
            namespaces
                .as_ref()
                .is_none_or(|n| n.contains(namespace_of(o)))
        };
        let selector = monitor
            .pointer("/spec/selector")
            .cloned()
            .unwrap_or(Value::Null);
        // (target, its port names)
        let targets: Vec<(String, BTreeSet<String>)> = if kind == "ServiceMonitor" {
            objects
                .iter()
                .filter(|o| kind_of(o) == "Service" && in_scope(o))
                .filter(|o| {
                    selects(
                        &selector,
                        o.pointer("/metadata/labels").unwrap_or(&Value::Null),
                    )
                })
                .map(|o| {
                    let ports = o
                        .pointer("/spec/ports")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                        .filter_map(|p| p.get("name").and_then(Value::as_str))
                        .map(String::from)
                        .collect();
                    (id_of(o), ports)
                })
                .collect()
        } else {
            objects
                .iter()
                .filter(|o| in_scope(o) && kind_of(o) != "Grafana")
                .filter_map(|o| {
                    let pod = pod_spec(o)?;
                    let labels = o
                        .pointer("/spec/template/metadata/labels")
                        .or_else(|| o.pointer("/metadata/labels"))
                        .unwrap_or(&Value::Null);
                    if !selects(&selector, labels) {
                        return None;
                    }
                    let ports = containers(pod)
                        .filter_map(|c| c.get("ports").and_then(Value::as_array))
                        .flatten()
                        .filter_map(|p| p.get("name").and_then(Value::as_str))
                        .map(String::from)
                        .collect();
                    Some((id_of(o), ports))
                })
                .collect()
        };
        if targets.is_empty() {
            problems.push(format!(
                "{at}: selects no {}",
                if kind == "ServiceMonitor" {
                    "Service"
                } else {
                    "Pod"
                }
            ));
            continue;
        }
        let endpoints = if kind == "ServiceMonitor" {
            "/spec/endpoints"
        } else {
            "/spec/podMetricsEndpoints"
        };
        for endpoint in monitor
            .pointer(endpoints)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let Some(port) = endpoint.get("port").and_then(Value::as_str) else {
                continue; // targetPort / portNumber: a number needs no name
            };
            if !targets.iter().any(|(_, ports)| ports.contains(port)) {
                problems.push(format!(
                    "{at}: port {port:?} is not a port of {}",
                    targets
                        .iter()
                        .map(|(t, _)| t.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
        }
    }
    Checked { count, problems }
}

/// A Secret or ConfigMap a stack's objects read.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Wanted {
    kind: &'static str,
    namespace: String,
    name: String,
    by: String,
}

fn wanted_by_pod(object: &Value, pod: &Value, out: &mut Vec<Wanted>) {
    let namespace = namespace_of(object).to_string();
    let by = id_of(object);
    let mut want = |kind: &'static str, name: Option<&str>, optional: Option<&Value>| {
        if optional.and_then(Value::as_bool) == Some(true) {
            return;
        }
        if let Some(name) = name {
            out.push(Wanted {
                kind,
                namespace: namespace.clone(),
                name: name.to_string(),
                by: by.clone(),
            });
        }
    };
    for volume in pod
        .get("volumes")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if let Some(secret) = volume.get("secret") {
            want(
                "Secret",
                secret.get("secretName").and_then(Value::as_str),
                secret.get("optional"),
            );
        }
        if let Some(map) = volume.get("configMap") {
            want(
                "ConfigMap",
                map.get("name").and_then(Value::as_str),
                map.get("optional"),
            );
        }
        for source in volume
            .pointer("/projected/sources")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(secret) = source.get("secret") {
                want(
                    "Secret",
                    secret.get("name").and_then(Value::as_str),
                    secret.get("optional"),
                );
            }
            if let Some(map) = source.get("configMap") {
                want(
                    "ConfigMap",
                    map.get("name").and_then(Value::as_str),
                    map.get("optional"),
                );
            }
        }
    }
    for container in containers(pod) {
        for from in container
            .get("envFrom")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(secret) = from.get("secretRef") {
                want(
                    "Secret",
                    secret.get("name").and_then(Value::as_str),
                    secret.get("optional"),
                );
            }
            if let Some(map) = from.get("configMapRef") {
                want(
                    "ConfigMap",
                    map.get("name").and_then(Value::as_str),
                    map.get("optional"),
                );
            }
        }
        for env in container
            .get("env")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(secret) = env.pointer("/valueFrom/secretKeyRef") {
                want(
                    "Secret",
                    secret.get("name").and_then(Value::as_str),
                    secret.get("optional"),
                );
            }
            if let Some(map) = env.pointer("/valueFrom/configMapKeyRef") {
                want(
                    "ConfigMap",
                    map.get("name").and_then(Value::as_str),
                    map.get("optional"),
                );
            }
        }
    }
    for secret in pod
        .get("imagePullSecrets")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        want("Secret", secret.get("name").and_then(Value::as_str), None);
    }
}

/// `valuesFrom` of grafana-operator CRs and HelmReleases.
fn wanted_by_values_from(object: &Value, out: &mut Vec<Wanted>) {
    let namespace = namespace_of(object).to_string();
    let mut lists: Vec<&Value> = Vec::new();
    if let Some(list) = object.pointer("/spec/valuesFrom") {
        lists.push(list);
    }
    for receiver in object
        .pointer("/spec/receivers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if let Some(list) = receiver.get("valuesFrom") {
            lists.push(list);
        }
    }
    for entry in lists.into_iter().filter_map(Value::as_array).flatten() {
        let (kind, name) = if let Some(r) = entry.pointer("/valueFrom/secretKeyRef") {
            ("Secret", r.get("name"))
        } else if let Some(r) = entry.pointer("/valueFrom/configMapKeyRef") {
            ("ConfigMap", r.get("name"))
        } else {
            // HelmRelease valuesFrom: {kind, name, optional}
            match entry.get("kind").and_then(Value::as_str) {
                Some("Secret") => ("Secret", entry.get("name")),
                Some("ConfigMap") => ("ConfigMap", entry.get("name")),
                _ => continue,
            }
        };
        if entry.get("optional").and_then(Value::as_bool) == Some(true) {
            continue;
        }
        if let Some(name) = name.and_then(Value::as_str) {
            out.push(Wanted {
                kind,
                namespace: namespace.clone(),
                name: name.to_string(),
                by: id_of(object),
            });
        }
    }
}

/// Every Secret and ConfigMap a Pod mounts or reads, and every Secret a CR references, is
/// provided: generated, rendered by a chart, written by COSI (a BucketAccess), cert-manager (a
/// Certificate) or the setup Job (a Secret its Role may patch), or a declared prerequisite.
pub fn secrets_and_config_maps(stack: &Deployed, prerequisites: &[(String, String)]) -> Checked {
    let objects: Vec<Value> = stack.objects().into_iter().map(|(_, o)| o).collect();
    let mut provided: BTreeMap<(&'static str, String, String), String> = BTreeMap::new();
    let mut provide = |kind: &'static str, ns: &str, name: &str, how: String| {
        provided
            .entry((kind, ns.to_string(), name.to_string()))
            .or_insert(how);
    };
    for object in &objects {
        let ns = namespace_of(object);
        match kind_of(object) {
            "Secret" => provide("Secret", ns, name_of(object), "an object".into()),
            "ConfigMap" => provide("ConfigMap", ns, name_of(object), "an object".into()),
            "BucketAccess" => {
                if let Some(name) = object
                    .pointer("/spec/credentialsSecretName")
                    .and_then(Value::as_str)
                {
                    provide("Secret", ns, name, format!("COSI, for {}", id_of(object)));
                }
            }
            "Certificate" => {
                if let Some(name) = object.pointer("/spec/secretName").and_then(Value::as_str) {
                    provide(
                        "Secret",
                        ns,
                        name,
                        format!("cert-manager, for {}", id_of(object)),
                    );
                }
            }
            "Role" => {
                for rule in object
                    .get("rules")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    let has = |field: &str, item: &str| {
                        rule.get(field)
                            .and_then(Value::as_array)
                            .is_some_and(|l| l.iter().any(|v| v.as_str() == Some(item)))
                    };
                    if has("resources", "secrets") && has("verbs", "patch") {
                        for name in rule
                            .get("resourceNames")
                            .and_then(Value::as_array)
                            .into_iter()
                            .flatten()
                            .filter_map(Value::as_str)
                        {
                            provide(
                                "Secret",
                                ns,
                                name,
                                format!("the setup Job ({})", id_of(object)),
                            );
                        }
                    }
                }
            }
            _ => {}
        }
    }
    for (namespace, name) in prerequisites {
        provide("Secret", namespace, name, "a declared prerequisite".into());
    }
    let mut wanted = Vec::new();
    for object in &objects {
        if let Some(pod) = pod_spec(object) {
            wanted_by_pod(object, pod, &mut wanted);
        }
        if kind_of(object).starts_with("Grafana") || kind_of(object) == "HelmRelease" {
            wanted_by_values_from(object, &mut wanted);
        }
    }
    wanted.sort();
    wanted.dedup();
    let problems = wanted
        .iter()
        .filter(|w| !provided.contains_key(&(w.kind, w.namespace.clone(), w.name.clone())))
        .map(|w| {
            format!(
                "{}: reads {} {}/{}, which nothing provides",
                w.by, w.kind, w.namespace, w.name
            )
        })
        .collect();
    Checked {
        count: wanted.len(),
        problems,
    }
}
