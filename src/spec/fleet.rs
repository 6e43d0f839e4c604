//! `spec.role`, `spec.remote`, `spec.destinations` and `spec.central`: one cluster's place in a
//! fleet. A `standalone` stack is today's stack; an `edge` stack runs only the collectors, the
//! exporters and the monitor CRDs and writes to remote endpoints; a `central` stack runs Loki,
//! Mimir and Grafana multi-tenant and exposes the two gateways, authenticated, to the edges.
//! Any stack can also copy its data to further destinations (Grafana Cloud, another Mimir).

use super::*;
use serde::Deserialize;

/// What this cluster is in a fleet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Collectors, storage and Grafana in one cluster (the default).
    #[default]
    Standalone,
    /// Loki, Mimir and Grafana for the fleet: multi-tenant, gateways exposed and authenticated
    /// (`spec.central`).
    Central,
    /// Collectors, exporters and the monitor CRDs only, writing to `spec.remote` (a central
    /// stack) and `spec.destinations`. No Loki, Mimir or Grafana.
    Edge,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Standalone => "standalone",
            Role::Central => "central",
            Role::Edge => "edge",
        }
    }
}

/// `spec.remote`: the central stack's gateways an edge writes to.
#[derive(Debug, Clone, Default, SpecDeserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct RemoteSpec {
    /// Loki's gateway on the central stack; the collectors push to `<url>/loki/api/v1/push`.
    pub logs: Option<RemoteEndpoint>,
    /// Mimir's gateway on the central stack; the collectors remote-write to
    /// `<url>/api/v1/push`, and load this cluster's PrometheusRules into Mimir's ruler.
    pub metrics: Option<RemoteEndpoint>,
}

/// A central gateway: its base URL (no path), the tenant this cluster writes as, its
/// credentials and TLS.
#[derive(Debug, Clone, SpecDeserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RemoteEndpoint {
    /// Base URL of the gateway (`https://mimir.example.com`), as the central stack exposes it.
    pub url: HttpUrl,
    /// The tenant (`X-Scope-OrgID`) this cluster writes as; defaults to the cluster name.
    #[serde(default)]
    pub tenant: Option<DnsLabel>,
    #[serde(default)]
    pub auth: EndpointAuth,
    #[serde(default)]
    pub tls: EndpointTls,
}

/// `spec.destinations[]`: one more place the collectors send to, in the k8s-monitoring-helm
/// sense: any Prometheus remote-write or Loki push endpoint. Its connection fields repeat
/// [`RemoteEndpoint`]'s: `deny_unknown_fields` rules out serde's `flatten` (and the table-driven
/// derive has none), and the documents read better flat.
#[derive(Debug, Clone, SpecDeserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Destination {
    /// Names the Alloy component (`prometheus.remote_write "dest_<name>"`); unique.
    pub name: DnsLabel,
    #[serde(rename = "type")]
    pub kind: DestinationType,
    /// The full push URL (`https://prometheus-prod-01.grafana.net/api/prom/push`).
    pub url: HttpUrl,
    /// `X-Scope-OrgID` to send; none by default.
    #[serde(default)]
    pub tenant: Option<DnsLabel>,
    #[serde(default)]
    pub auth: EndpointAuth,
    #[serde(default)]
    pub tls: EndpointTls,
    /// Relabel rules applied to what goes to this destination only (metrics: Alloy's
    /// `write_relabel_config`; logs: a `loki.relabel` in front of its writer), e.g. a `keep` on
    /// `__name__` to send a few series to a paid service.
    #[serde(default)]
    pub relabel_rules: Vec<RelabelRule>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum DestinationType {
    /// A Prometheus remote-write endpoint: metrics from `alloy-metrics`.
    Prometheus,
    /// A Loki push endpoint: logs from `alloy-logs`, `alloy-events` and `alloy-node-logs`.
    Loki,
}

impl DestinationType {
    pub fn as_str(self) -> &'static str {
        match self {
            DestinationType::Prometheus => "prometheus",
            DestinationType::Loki => "loki",
        }
    }
}

/// Credentials for an endpoint, from Secrets in the collectors' namespace (`spec.alloy.namespace`):
/// at most one of `basic` and `bearerToken`. The values reach Alloy as environment variables
/// from the Secret, never through the generated text.
#[derive(Debug, Clone, Default, SpecDeserialize, PartialEq, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct EndpointAuth {
    pub basic: Option<BasicAuth>,
    /// A Secret key holding a bearer token (`Authorization: Bearer ...`).
    pub bearer_token: Option<SecretKeyRef>,
}

impl EndpointAuth {
    pub fn is_none(&self) -> bool {
        self.basic.is_none() && self.bearer_token.is_none()
    }

    /// The Secret keys these credentials read.
    pub fn secret_refs(&self) -> Vec<&SecretKeyRef> {
        let mut refs = Vec::new();
        if let Some(basic) = &self.basic {
            refs.push(&basic.password);
        }
        if let Some(token) = &self.bearer_token {
            refs.push(token);
        }
        refs
    }
}

#[derive(Debug, Clone, SpecDeserialize, PartialEq, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BasicAuth {
    /// The user name (not a secret: a central stack's writer name, a Grafana Cloud instance id).
    pub username: values::BasicAuthUser,
    /// The Secret key holding the password (or API token).
    pub password: SecretKeyRef,
}

/// TLS towards an endpoint; the system's CAs verify it unless `caSecret` names another.
#[derive(Debug, Clone, Default, SpecDeserialize, PartialEq, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct EndpointTls {
    /// A Secret key holding the PEM CA bundle that signs the endpoint's certificate, mounted into
    /// the collectors.
    pub ca_secret: Option<SecretKeyRef>,
    /// The name to verify the certificate against, when it is not the URL's host.
    pub server_name: Option<DnsSubdomain>,
    /// Skip certificate verification. Refused together with credentials: they would go to
    /// whoever answers.
    pub insecure_skip_verify: bool,
}

impl EndpointTls {
    pub fn is_default(&self) -> bool {
        *self == EndpointTls::default()
    }
}

/// `spec.central`: how a central stack's gateways are reached by the edges, and which tenants
/// its Grafana reads.
#[derive(Debug, Clone, SpecDeserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct CentralSpec {
    /// The edge clusters' tenants, queried by Grafana together with this cluster's own.
    pub tenants: Vec<DnsLabel>,
    /// Loki's gateway host (`loki.example.com`), where the edges push logs.
    pub loki_hostname: Option<DnsSubdomain>,
    /// Mimir's gateway host (`mimir.example.com`), where the edges remote-write.
    pub mimir_hostname: Option<DnsSubdomain>,
    pub exposure: GatewayExposure,
    /// cert-manager ClusterIssuer that signs the gateways' certificate.
    pub cluster_issuer: DnsSubdomain,
    pub auth: GatewayAuth,
}

impl Default for CentralSpec {
    fn default() -> Self {
        CentralSpec {
            tenants: Vec::new(),
            loki_hostname: None,
            mimir_hostname: None,
            exposure: GatewayExposure::default(),
            cluster_issuer: DnsSubdomain::fixed("letsencrypt"),
            auth: GatewayAuth::default(),
        }
    }
}

/// How the gateways leave the cluster: always through TLS, since they carry credentials.
#[derive(Debug, Clone, Default, SpecDeserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct GatewayExposure {
    #[serde(rename = "type")]
    pub kind: GatewayExposureType,
    /// IngressClass name (Ingress only).
    pub ingress_class_name: Option<DnsSubdomain>,
    /// The Gateway the HTTPRoutes attach to (HTTPRoute only; its listener terminates TLS).
    pub gateway: Option<GatewayRef>,
    /// Annotations for the Ingresses or HTTPRoutes.
    pub annotations: std::collections::BTreeMap<values::QualifiedName, String>,
    /// The namespace of the pods that carry the exposed traffic to the gateways: the ingress
    /// controller's (default `ingress-nginx`) or the Gateway's proxies' (default the Gateway's
    /// namespace; Envoy Gateway, for one, runs them in `envoy-gateway-system`). The one namespace
    /// besides the collectors' and Grafana's the gateway policies admit (Istio
    /// AuthorizationPolicy or NetworkPolicy).
    pub controller_namespace: Option<DnsLabel>,
}

/// The ingress controller's namespace when `exposure.controllerNamespace` is not set.
pub const DEFAULT_CONTROLLER_NAMESPACE: &str = "ingress-nginx";

/// The gateways speak plain HTTP, so they are exposed only behind something that ends TLS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default, schemars::JsonSchema)]
pub enum GatewayExposureType {
    /// An Ingress per gateway, with a cert-manager certificate.
    #[default]
    Ingress,
    /// An HTTPRoute per gateway on an existing Gateway.
    HTTPRoute,
}

/// The gateways' basic auth: who may write or read at all. The tenant is still the
/// `X-Scope-OrgID` the client sends.
#[derive(Debug, Clone, SpecDeserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct GatewayAuth {
    /// A Secret with an `.htpasswd` key (one `user:bcrypt-hash` line per writer), present in
    /// Loki's and Mimir's namespaces: the gateways' nginx checks every request against it.
    pub htpasswd_secret: DnsSubdomain,
    /// A Secret with `username` and `password` keys for this cluster's own clients: present in
    /// the collectors' namespace and in Grafana's (the gateways ask them too).
    pub client_secret: DnsSubdomain,
}

impl Default for GatewayAuth {
    fn default() -> Self {
        GatewayAuth {
            htpasswd_secret: DnsSubdomain::fixed("monitoring-gateway-htpasswd"),
            client_secret: DnsSubdomain::fixed("monitoring-gateway-client"),
        }
    }
}

/// The key of the htpasswd Secret both charts read.
pub const HTPASSWD_KEY: &str = ".htpasswd";
/// The keys of the client Secret.
pub const CLIENT_USERNAME_KEY: &str = "username";
pub const CLIENT_PASSWORD_KEY: &str = "password";

impl MonitoringStackSpec {
    /// Whether any collector has somewhere to send logs: Loki here, a central Loki, or a Loki
    /// destination.
    pub fn ships_logs(&self) -> bool {
        self.loki.enabled
            || self.remote.logs.is_some()
            || self.destinations_of(DestinationType::Loki).next().is_some()
    }

    /// Whether `alloy-metrics` has somewhere to send metrics.
    pub fn ships_metrics(&self) -> bool {
        self.mimir.enabled
            || self.remote.metrics.is_some()
            || self
                .destinations_of(DestinationType::Prometheus)
                .next()
                .is_some()
    }

    /// The namespaces whose collectors send `kind`'s data (and read its writers' Secrets):
    /// the collectors' own, and for logs the node-logs collector's when it runs.
    pub fn writer_namespaces(&self, kind: DestinationType) -> Vec<&str> {
        let mut out = Vec::new();
        if !self.alloy.enabled {
            return out;
        }
        out.push(self.alloy.namespace.as_str());
        if kind == DestinationType::Loki && self.alloy.node_logs.enabled {
            out.push(self.alloy.node_logs.namespace.as_str());
        }
        out
    }

    pub fn destinations_of(&self, kind: DestinationType) -> impl Iterator<Item = &Destination> {
        self.destinations.iter().filter(move |d| d.kind == kind)
    }
}

/// Fields a role does not use, in the spec as written: naming them is an error rather than
/// silently ignored (an edge stack's `loki.retention` would mean nothing).
pub(super) fn check_role_fields(role: Role, spec: &serde_yaml_ng::Value) -> Vec<SpecError> {
    let present = |field: &str| spec.get(field).is_some_and(|v| !v.is_null());
    let mut errors = Vec::new();
    let mut refuse = |field: &str, why: &str| {
        errors.push(SpecError::new(format!("spec.{field}"), why.to_string()));
    };
    match role {
        Role::Edge => {
            for (field, what) in [
                ("loki", "Loki"),
                ("mimir", "Mimir"),
                ("grafana", "Grafana"),
                ("grafanaOperator", "the Grafana operator"),
            ] {
                if present(field) {
                    refuse(
                        field,
                        &format!("an edge stack runs no {what}: it writes to spec.remote (the central stack) and spec.destinations; remove this field or use role standalone"),
                    );
                }
            }
            if present("central") {
                refuse(
                    "central",
                    "only a central stack exposes gateways: remove spec.central or set role: central",
                );
            }
        }
        Role::Central => {
            if present("remote") {
                refuse(
                    "remote",
                    "a central stack stores its own data: spec.remote is for edge stacks (copies elsewhere go in spec.destinations)",
                );
            }
            for field in ["loki", "mimir"] {
                let section = spec.get(field);
                let off = |key: &str| {
                    section
                        .and_then(|s| s.get(key))
                        .and_then(serde_yaml_ng::Value::as_bool)
                        == Some(false)
                };
                if off("enabled") {
                    errors.push(SpecError::new(
                        format!("spec.{field}.enabled"),
                        "a central stack stores the fleet's data: Loki and Mimir stay on",
                    ));
                }
                if off("multiTenancy") {
                    errors.push(SpecError::new(
                        format!("spec.{field}.multiTenancy"),
                        "a central stack keeps each cluster in its own tenant: multi-tenancy stays on (remove this field)",
                    ));
                }
            }
        }
        Role::Standalone => {
            for (field, why) in [
                (
                    "central",
                    "only a central stack exposes gateways: remove spec.central or set role: central",
                ),
                (
                    "remote",
                    "only an edge stack writes to a central stack: remove spec.remote or set role: edge (copies elsewhere go in spec.destinations)",
                ),
            ] {
                if present(field) {
                    refuse(field, why);
                }
            }
        }
    }
    errors
}

/// What a role implies for the typed spec: an edge runs no storage and no Grafana; a central
/// stack runs Loki and Mimir multi-tenant. Applied after [`check_role_fields`] passed, so
/// nothing the user wrote is overridden.
pub(super) fn apply_role(spec: &mut MonitoringStackSpec) {
    match spec.role {
        Role::Edge => {
            spec.loki.enabled = false;
            spec.mimir.enabled = false;
            spec.grafana.enabled = false;
            spec.grafana_operator.enabled = false;
        }
        Role::Central => {
            spec.loki.multi_tenancy = true;
            spec.mimir.multi_tenancy = true;
        }
        Role::Standalone => {}
    }
}

/// Checks that span the fleet fields: an edge has somewhere to write; credentials only over
/// verified TLS; unique destination names; a central stack's hosts and tenants.
pub(super) fn check_fleet(spec: &MonitoringStackSpec, name: &str, errors: &mut Vec<SpecError>) {
    if spec.role == Role::Edge && !spec.ships_logs() && !spec.ships_metrics() {
        errors.push(SpecError::new(
            "spec.remote",
            "an edge stack needs somewhere to write: set spec.remote.logs and/or spec.remote.metrics (the central stack's gateways), or spec.destinations",
        ));
    }
    let endpoints = [
        ("spec.remote.logs", spec.remote.logs.as_ref()),
        ("spec.remote.metrics", spec.remote.metrics.as_ref()),
    ];
    for (path, endpoint) in endpoints {
        if let Some(endpoint) = endpoint {
            check_endpoint(path, &endpoint.url, &endpoint.auth, &endpoint.tls, errors);
            let url = endpoint.url.as_str();
            if !url_path(url).trim_end_matches('/').is_empty() {
                errors.push(SpecError::new(
                    format!("{path}.url"),
                    format!(
                        "{url:?}: give the gateway's base URL (e.g. \"https://mimir.example.com\"); the push path is added for you"
                    ),
                ));
            }
        }
    }
    let mut names: Vec<&str> = Vec::new();
    for (i, destination) in spec.destinations.iter().enumerate() {
        let path = format!("spec.destinations[{i}]");
        if names.contains(&destination.name.as_str()) {
            errors.push(SpecError::new(
                format!("{path}.name"),
                format!(
                    "{:?} is already the name of another destination: names must be unique",
                    destination.name.as_str()
                ),
            ));
        }
        names.push(destination.name.as_str());
        check_endpoint(
            &path,
            &destination.url,
            &destination.auth,
            &destination.tls,
            errors,
        );
        super::alloy::check_relabel_rules(
            &format!("{path}.relabelRules"),
            &destination.relabel_rules,
            errors,
        );
    }
    if spec.role == Role::Central {
        check_central(spec, name, errors);
    }
}

fn check_endpoint(
    path: &str,
    url: &HttpUrl,
    auth: &EndpointAuth,
    tls: &EndpointTls,
    errors: &mut Vec<SpecError>,
) {
    if auth.basic.is_some() && auth.bearer_token.is_some() {
        errors.push(SpecError::new(
            format!("{path}.auth"),
            "set one of basic and bearerToken, not both",
        ));
    }
    if !auth.is_none() && url.as_str().starts_with("http://") {
        errors.push(SpecError::new(
            format!("{path}.url"),
            format!(
                "{:?}: credentials would travel in clear text; use an https:// URL",
                url.as_str()
            ),
        ));
    }
    if !auth.is_none() && tls.insecure_skip_verify {
        errors.push(SpecError::new(
            format!("{path}.tls.insecureSkipVerify"),
            "credentials would go to whoever answers: verify the certificate (tls.caSecret for a private CA, tls.serverName for another name)",
        ));
    }
    if !tls.is_default() && url.as_str().starts_with("http://") {
        errors.push(SpecError::new(
            format!("{path}.tls"),
            "TLS settings need an https:// URL",
        ));
    }
}

fn check_central(spec: &MonitoringStackSpec, name: &str, errors: &mut Vec<SpecError>) {
    let central = &spec.central;
    for (field, host) in [
        ("lokiHostname", &central.loki_hostname),
        ("mimirHostname", &central.mimir_hostname),
    ] {
        if host.is_none() {
            errors.push(SpecError::new(
                format!("spec.central.{field}"),
                "required for role central: the host the edges reach the gateway at (e.g. mimir.example.com)",
            ));
        }
    }
    if central.loki_hostname.is_some() && central.loki_hostname == central.mimir_hostname {
        errors.push(SpecError::new(
            "spec.central.mimirHostname",
            "the two gateways need two hosts (each Ingress or HTTPRoute sends its host to one gateway)",
        ));
    }
    let exposure = &central.exposure;
    if exposure.kind == GatewayExposureType::HTTPRoute && exposure.gateway.is_none() {
        errors.push(SpecError::new(
            "spec.central.exposure.gateway",
            "required when exposure.type is HTTPRoute: the Gateway to attach to ({name, namespace})",
        ));
    }
    if exposure.kind != GatewayExposureType::HTTPRoute && exposure.gateway.is_some() {
        errors.push(SpecError::new(
            "spec.central.exposure.gateway",
            "only used with exposure.type HTTPRoute (set the type, or remove the gateway)",
        ));
    }
    if exposure.kind != GatewayExposureType::Ingress && exposure.ingress_class_name.is_some() {
        errors.push(SpecError::new(
            "spec.central.exposure.ingressClassName",
            "only used with exposure.type Ingress (set the type, or remove the class)",
        ));
    }
    let own = [
        (
            "spec.loki.tenant",
            local_tenant(spec, name, &spec.loki.tenant),
        ),
        (
            "spec.mimir.tenant",
            local_tenant(spec, name, &spec.mimir.tenant),
        ),
    ];
    let mut seen: Vec<&str> = Vec::new();
    for (i, tenant) in central.tenants.iter().enumerate() {
        let path = format!("spec.central.tenants[{i}]");
        if seen.contains(&tenant.as_str()) {
            errors.push(SpecError::new(
                path,
                format!("{:?} is listed twice", tenant.as_str()),
            ));
        } else if let Some((field, _)) = own.iter().find(|(_, t)| *t == tenant.as_str()) {
            errors.push(SpecError::new(
                path,
                format!(
                    "{:?} is this cluster's own tenant ({field}), which Grafana always reads: list the edge clusters' tenants",
                    tenant.as_str()
                ),
            ));
        }
        seen.push(tenant.as_str());
    }
}

/// The tenant this cluster's own collectors write as: the field, else the cluster name, else
/// the stack's name.
fn local_tenant<'a>(
    spec: &'a MonitoringStackSpec,
    name: &'a str,
    tenant: &'a Option<DnsLabel>,
) -> &'a str {
    tenant
        .as_ref()
        .or(spec.cluster.name.as_ref())
        .map_or(name, |t| t.as_str())
}

/// The path of an absolute URL (after its authority), without query or fragment.
pub fn url_path(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let rest = rest.split(['?', '#']).next().unwrap_or_default();
    rest.find('/').map_or("", |at| &rest[at..])
}

/// The host of an absolute URL (without port).
pub fn url_host(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    authority
        .rsplit_once(':')
        .map_or(authority, |(host, _)| host)
}
