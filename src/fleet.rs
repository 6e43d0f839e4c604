//! A fleet: one central stack and the edge (and standalone) stacks around it, each rendered for
//! its own cluster, and the checks that they fit together before anything is deployed:
//!
//! - every edge writes to hosts the central stack exposes, over https;
//! - every cluster writes as a tenant of its own, and the central stack's Grafana reads each;
//! - every `cluster` label is unique;
//! - every Secret a stack's credentials come from is one its cluster declares it has.
//!
//! The fleet file (`kind: Fleet`) names each cluster's stack file and the Secrets the cluster
//! provides (`namespace/name`, e.g. sealed or external secrets in its repository). The command
//! `monitoring-stack fleet FILE` reads it; this module only sees parsed values.

use crate::spec::{self, MonitoringStack, Role};
use serde::Deserialize;
use serde_yaml_ng::Value;
use std::path::Path;

pub const KIND: &str = "Fleet";

/// `kind: Fleet`, `monitoring-stack.dev/v1alpha1`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Fleet {
    #[serde(rename = "apiVersion")]
    pub api_version: String,
    pub kind: String,
    pub metadata: FleetMetadata,
    pub spec: FleetSpec,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FleetMetadata {
    pub name: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FleetSpec {
    pub clusters: Vec<FleetCluster>,
}

/// One cluster of the fleet.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FleetCluster {
    /// The MonitoringStack file, relative to the fleet file.
    pub stack: String,
    /// The Secrets this cluster provides, as `namespace/name`.
    #[serde(default)]
    pub secrets: Vec<String>,
}

/// One misfit, located in a stack file (or the fleet file) and a field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Misfit {
    /// The file the field is in: a stack file, or the fleet file.
    pub file: String,
    pub field: String,
    pub message: String,
}

impl std::fmt::Display for Misfit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}: {}", self.file, self.field, self.message)
    }
}

/// A cluster as the checks see it: where its stack came from, the stack, its declared Secrets.
pub struct Member<'a> {
    /// The stack file, as the fleet file names it.
    pub file: &'a str,
    pub stack: &'a MonitoringStack,
    pub secrets: &'a [String],
}

/// Every misfit of the fleet, in cluster order. `fleet_file` names the fleet file in messages;
/// `members` are its clusters in order (index `i` is `spec.clusters[i]`).
pub fn check(fleet_file: &str, members: &[Member]) -> Vec<Misfit> {
    let mut out = Vec::new();
    let misfit = |file: &str, field: String, message: String| Misfit {
        file: file.to_string(),
        field,
        message,
    };

    // Exactly one central stack when there are edges.
    let centrals: Vec<(usize, &Member)> = members
        .iter()
        .enumerate()
        .filter(|(_, m)| m.stack.spec.role == Role::Central)
        .collect();
    let has_edges = members.iter().any(|m| m.stack.spec.role == Role::Edge);
    for (i, _) in centrals.iter().skip(1) {
        out.push(misfit(
            fleet_file,
            format!("spec.clusters[{i}].stack"),
            "a second central stack: a fleet has one (the edges write to it)".into(),
        ));
    }
    let central = centrals.first().map(|(_, m)| *m);
    if has_edges && central.is_none() {
        out.push(misfit(
            fleet_file,
            "spec.clusters".into(),
            "the edge stacks need a central stack to write to: add one with role: central".into(),
        ));
    }

    // Unique cluster labels.
    let mut labels: Vec<(&str, &str)> = Vec::new();
    for member in members {
        let label = cluster_label(member.stack);
        if let Some((_, other)) = labels.iter().find(|(l, _)| *l == label) {
            out.push(misfit(
                member.file,
                "spec.cluster.name".into(),
                format!(
                    "cluster label {label:?} is also {other}'s: every cluster needs its own (the dashboards and rules tell clusters apart by it)"
                ),
            ));
        }
        labels.push((label, member.file));
    }

    if let Some(central) = central {
        check_edges(central, members, &mut out);
    }
    for (i, member) in members.iter().enumerate() {
        check_secrets(fleet_file, i, member, &mut out);
    }
    out
}

/// The `cluster` label a stack's collectors add.
fn cluster_label(stack: &MonitoringStack) -> &str {
    stack
        .spec
        .cluster
        .name
        .as_ref()
        .map_or(stack.name.as_str(), |n| n.as_str())
}

/// The tenant a central stack's own collectors write as (multi-tenancy is on there).
fn own_tenant<'a>(stack: &'a MonitoringStack, tenant: &'a Option<spec::DnsLabel>) -> &'a str {
    tenant.as_ref().map_or(cluster_label(stack), |t| t.as_str())
}

/// Each edge's endpoints are the central stack's hosts; each edge's tenant is its own and read
/// by the central Grafana.
fn check_edges(central: &Member, members: &[Member], out: &mut Vec<Misfit>) {
    let spec = &central.stack.spec;
    let hosts = [
        (
            "logs",
            spec.central.loki_hostname.as_ref().map(|h| h.as_str()),
            "spec.central.lokiHostname",
        ),
        (
            "metrics",
            spec.central.mimir_hostname.as_ref().map(|h| h.as_str()),
            "spec.central.mimirHostname",
        ),
    ];
    // tenant -> (file, field) of its first writer; the central stack's own come first.
    let mut tenants: Vec<(String, String, String)> = vec![
        (
            own_tenant(central.stack, &spec.loki.tenant).to_string(),
            central.file.to_string(),
            "spec.loki.tenant".to_string(),
        ),
        (
            own_tenant(central.stack, &spec.mimir.tenant).to_string(),
            central.file.to_string(),
            "spec.mimir.tenant".to_string(),
        ),
    ];
    let own: Vec<String> = tenants.iter().map(|(t, _, _)| t.clone()).collect();
    let read: Vec<&str> = spec.central.tenants.iter().map(|t| t.as_str()).collect();
    let mut written: Vec<String> = Vec::new();

    for member in members.iter().filter(|m| m.stack.spec.role == Role::Edge) {
        let remote = &member.stack.spec.remote;
        let mut edge_tenants: Vec<&str> = Vec::new();
        for ((signal, host, host_field), endpoint) in
            hosts.iter().zip([&remote.logs, &remote.metrics])
        {
            let Some(endpoint) = endpoint else { continue };
            let field = format!("spec.remote.{signal}");
            let url = endpoint.url.as_str();
            let actual = spec::url_host(url);
            match host {
                Some(host) if *host == actual => {}
                Some(host) => out.push(Misfit {
                    file: member.file.to_string(),
                    field: format!("{field}.url"),
                    message: format!(
                        "{url:?} is not a host the central stack exposes: {} has {host:?} at {host_field}",
                        central.file
                    ),
                }),
                None => {}
            }
            if !url.starts_with("https://") {
                out.push(Misfit {
                    file: member.file.to_string(),
                    field: format!("{field}.url"),
                    message: format!(
                        "{url:?}: the central stack's gateways are reached over https (its Ingress or HTTPRoute ends TLS)"
                    ),
                });
            }
            if endpoint.auth.is_none() {
                out.push(Misfit {
                    file: member.file.to_string(),
                    field: format!("{field}.auth"),
                    message: format!(
                        "the central stack's gateways ask every client for basic auth ({}, spec.central.auth.htpasswdSecret): set auth.basic",
                        central.file
                    ),
                });
            }
            let tenant = endpoint
                .tenant
                .as_ref()
                .map_or(cluster_label(member.stack), |t| t.as_str());
            if !edge_tenants.contains(&tenant) {
                edge_tenants.push(tenant);
                let tenant_field = format!("{field}.tenant");
                if let Some((_, file, other)) = tenants.iter().find(|(t, _, _)| t == tenant) {
                    out.push(Misfit {
                        file: member.file.to_string(),
                        field: tenant_field,
                        message: format!(
                            "tenant {tenant:?} is already written by {file} ({other}): every cluster needs a tenant of its own (the default is its cluster name)"
                        ),
                    });
                } else {
                    tenants.push((tenant.to_string(), member.file.to_string(), tenant_field));
                    if !read.contains(&tenant) {
                        out.push(Misfit {
                            file: central.file.to_string(),
                            field: "spec.central.tenants".into(),
                            message: format!(
                                "{} writes as tenant {tenant:?}, which the central Grafana does not read: add it",
                                member.file
                            ),
                        });
                    }
                    written.push(tenant.to_string());
                }
            }
        }
    }
    // Tenants the central stack reads but no cluster of the fleet writes: a typo, usually.
    for (i, tenant) in read.iter().enumerate() {
        if !written.iter().any(|w| w == tenant) && !own.iter().any(|o| o == tenant) {
            out.push(Misfit {
                file: central.file.to_string(),
                field: format!("spec.central.tenants[{i}]"),
                message: format!("no edge stack of the fleet writes as tenant {tenant:?}"),
            });
        }
    }
}

/// Every Secret a stack's credentials come from is declared by its cluster.
fn check_secrets(fleet_file: &str, index: usize, member: &Member, out: &mut Vec<Misfit>) {
    for (field, namespace, name) in credential_secrets(member.stack) {
        let wanted = format!("{namespace}/{name}");
        if !member.secrets.contains(&wanted) {
            out.push(Misfit {
                file: member.file.to_string(),
                field,
                message: format!(
                    "Secret {wanted} is not one cluster {} declares: add it to {fleet_file} spec.clusters[{index}].secrets once it exists there",
                    cluster_label(member.stack)
                ),
            });
        }
    }
}

/// (field, namespace, Secret name) of every Secret the stack's writers and gateways read.
pub fn credential_secrets(stack: &MonitoringStack) -> Vec<(String, String, String)> {
    let spec = &stack.spec;
    let mut out = Vec::new();
    let mut endpoint = |path: String,
                        kind: spec::DestinationType,
                        auth: &spec::EndpointAuth,
                        tls: &spec::EndpointTls| {
        let refs = [
            (
                "auth.basic.password",
                auth.basic.as_ref().map(|b| &b.password),
            ),
            ("auth.bearerToken", auth.bearer_token.as_ref()),
            ("tls.caSecret", tls.ca_secret.as_ref()),
        ];
        for (field, reference) in refs
            .into_iter()
            .filter_map(|(field, reference)| reference.map(|r| (field, r)))
        {
            for namespace in spec.writer_namespaces(kind) {
                out.push((
                    format!("{path}.{field}"),
                    namespace.to_string(),
                    reference.name.as_str().to_string(),
                ));
            }
        }
    };
    for (signal, remote, kind) in [
        ("logs", &spec.remote.logs, spec::DestinationType::Loki),
        (
            "metrics",
            &spec.remote.metrics,
            spec::DestinationType::Prometheus,
        ),
    ] {
        if let Some(remote) = remote {
            endpoint(
                format!("spec.remote.{signal}"),
                kind,
                &remote.auth,
                &remote.tls,
            );
        }
    }
    for (i, destination) in spec.destinations.iter().enumerate() {
        endpoint(
            format!("spec.destinations[{i}]"),
            destination.kind,
            &destination.auth,
            &destination.tls,
        );
    }
    if spec.role == Role::Central {
        let auth = &spec.central.auth;
        for (enabled, namespace) in [
            (spec.loki.enabled, &spec.loki.namespace),
            (spec.mimir.enabled, &spec.mimir.namespace),
        ] {
            if enabled {
                out.push((
                    "spec.central.auth.htpasswdSecret".into(),
                    namespace.as_str().to_string(),
                    auth.htpasswd_secret.as_str().to_string(),
                ));
            }
        }
        let clients = spec
            .writer_namespaces(spec::DestinationType::Loki)
            .into_iter()
            .chain(
                spec.grafana
                    .enabled
                    .then_some(spec.grafana.namespace.as_str()),
            );
        for namespace in clients {
            out.push((
                "spec.central.auth.clientSecret".into(),
                namespace.to_string(),
                auth.client_secret.as_str().to_string(),
            ));
        }
    }
    out.dedup();
    out
}

/// One cluster's render: the folder it goes in (its stack's name) and its objects.
pub struct Rendered {
    pub folder: String,
    pub objects: Vec<Value>,
}

/// Reads the fleet file at `path` and every stack it names, renders each, and checks the fit.
/// `Err` holds one line per problem (`file: field: message`): unreadable or invalid files, and
/// every misfit.
pub fn load(path: &Path) -> Result<Vec<Rendered>, Vec<String>> {
    let fleet_file = path.display().to_string();
    let fail = |message: String| vec![format!("{fleet_file}: {message}")];
    let bytes = std::fs::read(path).map_err(|e| fail(format!("cannot read: {e}")))?;
    let fleet = parse_fleet(&bytes).map_err(fail)?;
    let base = path.parent().unwrap_or(Path::new("."));

    let mut errors = Vec::new();
    let mut loaded: Vec<(&FleetCluster, MonitoringStack, Vec<Value>)> = Vec::new();
    for (i, cluster) in fleet.spec.clusters.iter().enumerate() {
        let file = &cluster.stack;
        let bytes = match std::fs::read(base.join(file)) {
            Ok(bytes) => bytes,
            Err(e) => {
                errors.push(format!(
                    "{fleet_file}: spec.clusters[{i}].stack: cannot read {file}: {e}"
                ));
                continue;
            }
        };
        match load_stack(&bytes) {
            Ok((stack, objects)) => {
                if let Some((other, _, _)) = loaded.iter().find(|(_, s, _)| s.name == stack.name) {
                    errors.push(format!(
                        "{fleet_file}: spec.clusters[{i}].stack: {file} and {} are both named {:?}: each cluster's tree is written to a folder of its stack's name",
                        other.stack,
                        stack.name.as_str()
                    ));
                    continue;
                }
                loaded.push((cluster, stack, objects));
            }
            Err(problems) => errors.extend(problems.into_iter().map(|p| format!("{file}: {p}"))),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let members: Vec<Member> = loaded
        .iter()
        .map(|(cluster, stack, _)| Member {
            file: cluster.stack.as_str(),
            stack,
            secrets: &cluster.secrets,
        })
        .collect();
    let misfits = check(&fleet_file, &members);
    if !misfits.is_empty() {
        return Err(misfits.iter().map(Misfit::to_string).collect());
    }
    Ok(loaded
        .into_iter()
        .map(|(_, stack, objects)| Rendered {
            folder: stack.name.as_str().to_string(),
            objects,
        })
        .collect())
}

fn parse_fleet(bytes: &[u8]) -> Result<Fleet, String> {
    let text = std::str::from_utf8(bytes).map_err(|_| "not UTF-8 text".to_string())?;
    let documents = crate::yaml::limits::read_documents(text).map_err(|e| e.message)?;
    let [document] = documents.as_slice() else {
        return Err(format!(
            "expected one document (kind: {KIND}), found {}",
            documents.len()
        ));
    };
    if document.get("kind").and_then(Value::as_str) != Some(KIND)
        || document.get("apiVersion").and_then(Value::as_str) != Some(spec::API_VERSION)
    {
        return Err(format!(
            "expected apiVersion {} and kind {KIND}",
            spec::API_VERSION
        ));
    }
    let fleet: Fleet = serde_yaml_ng::from_value(document.clone()).map_err(|e| e.to_string())?;
    if fleet.spec.clusters.is_empty() {
        return Err("spec.clusters: name at least one cluster's stack file".into());
    }
    for (i, cluster) in fleet.spec.clusters.iter().enumerate() {
        for (j, secret) in cluster.secrets.iter().enumerate() {
            let valid = secret.split_once('/').is_some_and(|(namespace, name)| {
                spec::values::check_dns_label(namespace).is_ok()
                    && spec::values::check_dns_subdomain(name).is_ok()
            });
            if !valid {
                return Err(format!(
                    "spec.clusters[{i}].secrets[{j}]: {secret:?} is not namespace/name (e.g. alloy/central-gateway)"
                ));
            }
        }
    }
    Ok(fleet)
}

/// The one MonitoringStack of a stack file, validated, and its render.
fn load_stack(bytes: &[u8]) -> Result<(MonitoringStack, Vec<Value>), Vec<String>> {
    let as_lines = |results: Vec<crate::krm::results::FnResult>| -> Vec<String> {
        results
            .iter()
            .filter(|r| r.is_error())
            .map(|r| match &r.field {
                Some(field) => format!("{field}: {}", r.message),
                None => r.message.clone(),
            })
            .collect()
    };
    let objects = crate::render(bytes).map_err(as_lines)?;
    let text = std::str::from_utf8(bytes).map_err(|_| vec!["not UTF-8 text".to_string()])?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let documents = crate::yaml::limits::read_documents(text).map_err(|e| vec![e.message])?;
    let stacks: Vec<&Value> = documents
        .iter()
        .filter(|d| crate::function::is_stack(d))
        .collect();
    let [stack] = stacks.as_slice() else {
        return Err(vec![format!(
            "a fleet's stack file holds one MonitoringStack, found {}",
            stacks.len()
        )]);
    };
    let stack = spec::parse_stack(stack).map_err(|errors| {
        errors
            .into_iter()
            .map(|e| format!("{}: {}", e.path, e.message))
            .collect::<Vec<_>>()
    })?;
    Ok((stack, objects))
}
