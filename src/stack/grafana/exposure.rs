//! How Grafana is reached from outside and where TLS ends:
//!
//! | exposure | objects | TLS |
//! |---|---|---|
//! | `LoadBalancer` | the operator's Service as type LoadBalancer (`spec.service`) | Grafana serves HTTPS itself from the `Certificate`'s Secret |
//! | `Ingress` | the operator's Ingress (`spec.ingress`) | the ingress controller, with a certificate cert-manager's ingress-shim makes from the `cluster-issuer` annotation |
//! | `HTTPRoute` | an `HTTPRoute` on the spec's Gateway | the Gateway's listener, with the `Certificate`'s Secret |
//!
//! The Service and Ingress are parts of the `Grafana` CR (built in `instance.rs` from this
//! plan); the `Certificate` and the `HTTPRoute` are objects of their own, built here.

use super::{namespace, CERTIFICATE_NAME, SERVICE_NAME, SERVICE_PORT, TLS_SECRET};
use crate::spec::{ExposureType, ValidGrafana};
use crate::stack::object::object;
use crate::stack::Context;
use serde::Serialize;
use serde_yaml_ng::Value;
use std::collections::BTreeMap;

pub const CERT_MANAGER_API: &str = "cert-manager.io/v1";
pub const GATEWAY_API: &str = "gateway.networking.k8s.io/v1";
/// Annotation cert-manager's ingress-shim reads.
pub const CLUSTER_ISSUER_ANNOTATION: &str = "cert-manager.io/cluster-issuer";
/// Where the Grafana container finds the certificate when it serves TLS itself.
pub const TLS_MOUNT_PATH: &str = "/etc/grafana-tls";

/// The exposure decisions every Grafana object follows.
pub struct Plan<'a> {
    /// Grafana's public hostname (validated: required when Grafana is on).
    pub hostname: &'a str,
    pub kind: ExposureType,
    /// TLS towards users (the root URL is https).
    pub tls: bool,
    /// Grafana itself serves HTTPS (LoadBalancer with TLS): probes, the operator and the
    /// scraper must speak TLS to it too.
    pub grafana_serves_tls: bool,
    /// A cert-manager `Certificate` is generated (LoadBalancer or HTTPRoute with TLS).
    pub certificate: bool,
}

impl<'a> Plan<'a> {
    pub fn new(ctx: &Context, valid: &'a ValidGrafana) -> Plan<'a> {
        let grafana = &ctx.spec().grafana;
        let kind = grafana.exposure.kind;
        let tls = grafana.tls.enabled;
        Plan {
            hostname: valid.hostname.as_str(),
            kind,
            tls,
            grafana_serves_tls: tls && kind == ExposureType::LoadBalancer,
            certificate: tls && kind != ExposureType::Ingress,
        }
    }

    /// The URL users open (`server.root_url`).
    pub fn root_url(&self) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        format!("{scheme}://{}/", self.hostname)
    }
}

#[derive(Serialize)]
struct Body<S> {
    spec: S,
}
impl<S: serde::Serialize> crate::stack::object::SerdeBody for Body<S> {}

/// The `Certificate` and/or `HTTPRoute` the plan needs.
pub fn objects(ctx: &Context, plan: &Plan) -> Vec<Value> {
    let mut out = Vec::new();
    if plan.certificate {
        out.push(certificate(ctx, plan));
    }
    if plan.kind == ExposureType::HTTPRoute {
        out.extend(http_route(ctx, plan));
    }
    out
}

/// A certificate for the public hostname from the spec's ClusterIssuer, written to
/// [`TLS_SECRET`]. ACME issuers need a DNS-01 solver for the LoadBalancer path (nothing else
/// answers HTTP-01 challenges for the hostname).
fn certificate(ctx: &Context, plan: &Plan) -> Value {
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Spec<'a> {
        secret_name: &'a str,
        dns_names: Vec<&'a str>,
        issuer_ref: IssuerRef<'a>,
        private_key: PrivateKey,
    }
    #[derive(Serialize)]
    struct IssuerRef<'a> {
        group: &'a str,
        kind: &'a str,
        name: &'a str,
    }
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct PrivateKey {
        algorithm: &'static str,
        size: u32,
        rotation_policy: &'static str,
    }
    object(
        CERT_MANAGER_API,
        "Certificate",
        ctx.meta(CERTIFICATE_NAME, Some(namespace(ctx))),
        Body {
            spec: Spec {
                secret_name: TLS_SECRET,
                dns_names: vec![plan.hostname],
                issuer_ref: IssuerRef {
                    group: "cert-manager.io",
                    kind: "ClusterIssuer",
                    name: ctx.spec().grafana.tls.cluster_issuer.as_str(),
                },
                private_key: PrivateKey {
                    algorithm: "ECDSA",
                    size: 256,
                    rotation_policy: "Always",
                },
            },
        },
    )
}

/// An `HTTPRoute` from the spec's Gateway to the operator's Service. A standalone object (not
/// the CR's `spec.httpRoute`): it does not depend on the operator's Gateway API support, and
/// it is checked against the Gateway API CRD itself.
fn http_route(ctx: &Context, plan: &Plan) -> Option<Value> {
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Spec<'a> {
        parent_refs: Vec<ParentRef<'a>>,
        hostnames: Vec<&'a str>,
        rules: Vec<Rule<'a>>,
    }
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct ParentRef<'a> {
        group: &'a str,
        kind: &'a str,
        name: &'a str,
        namespace: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        section_name: Option<&'a str>,
    }
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Rule<'a> {
        matches: Vec<Match>,
        backend_refs: Vec<BackendRef<'a>>,
    }
    #[derive(Serialize)]
    struct Match {
        path: PathMatch,
    }
    #[derive(Serialize)]
    struct PathMatch {
        #[serde(rename = "type")]
        kind: &'static str,
        value: &'static str,
    }
    #[derive(Serialize)]
    struct BackendRef<'a> {
        name: &'a str,
        port: u16,
    }
    let exposure = &ctx.spec().grafana.exposure;
    let gateway = exposure.gateway.as_ref()?;
    let mut meta = ctx.meta(super::INSTANCE_NAME, Some(namespace(ctx)));
    for (key, value) in &exposure.annotations {
        meta = meta.annotation(key.as_str(), value);
    }
    Some(object(
        GATEWAY_API,
        "HTTPRoute",
        meta,
        Body {
            spec: Spec {
                parent_refs: vec![ParentRef {
                    group: "gateway.networking.k8s.io",
                    kind: "Gateway",
                    name: gateway.name.as_str(),
                    namespace: gateway.namespace.as_str(),
                    section_name: gateway.section_name.as_ref().map(|s| s.as_str()),
                }],
                hostnames: vec![plan.hostname],
                rules: vec![Rule {
                    matches: vec![Match {
                        path: PathMatch {
                            kind: "PathPrefix",
                            value: "/",
                        },
                    }],
                    backend_refs: vec![BackendRef {
                        name: SERVICE_NAME,
                        port: SERVICE_PORT,
                    }],
                }],
            },
        },
    ))
}

/// The user's exposure annotations as a map (Service or Ingress metadata).
pub fn user_annotations(ctx: &Context) -> BTreeMap<String, String> {
    let annotations = &ctx.spec().grafana.exposure.annotations;
    crate::collections::map_of(
        annotations
            .iter()
            .map(|(k, v)| (k.as_str().to_string(), v.clone())),
    )
}
