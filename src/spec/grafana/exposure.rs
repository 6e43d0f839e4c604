//! `spec.grafana.exposure` and `spec.grafana.tls`: how Grafana is reached and where TLS ends.

use super::super::*;
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default, schemars::JsonSchema)]
pub enum ExposureType {
    /// A Service of type LoadBalancer (the seed's mikrolb); Grafana serves TLS itself.
    #[default]
    LoadBalancer,
    /// An Ingress with the cert-manager cluster-issuer annotation.
    Ingress,
    /// A Gateway API HTTPRoute attached to an existing Gateway.
    HTTPRoute,
}

#[derive(Debug, Clone, SpecDeserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct ExposureSpec {
    #[serde(rename = "type")]
    pub kind: ExposureType,
    /// `spec.loadBalancerClass` of the Service (LoadBalancer); `null` leaves it to the
    /// cluster's default load-balancer implementation.
    pub load_balancer_class: Option<values::QualifiedName>,
    /// Annotations for the Service, Ingress or HTTPRoute (LB controller settings, ingress
    /// options).
    pub annotations: BTreeMap<values::QualifiedName, String>,
    /// IngressClass name (Ingress only).
    pub ingress_class_name: Option<DnsSubdomain>,
    /// The Gateway the HTTPRoute attaches to (HTTPRoute only).
    pub gateway: Option<GatewayRef>,
}

impl Default for ExposureSpec {
    fn default() -> Self {
        ExposureSpec {
            kind: ExposureType::LoadBalancer,
            load_balancer_class: Some(values::QualifiedName::fixed("mikrolb")),
            annotations: BTreeMap::new(),
            ingress_class_name: None,
            gateway: None,
        }
    }
}

#[derive(Debug, Clone, SpecDeserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GatewayRef {
    pub name: DnsSubdomain,
    pub namespace: DnsLabel,
    /// The Gateway listener to attach to (all listeners that allow the route when unset).
    #[serde(default)]
    pub section_name: Option<DnsSubdomain>,
}

#[derive(Debug, Clone, SpecDeserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct TlsSpec {
    pub enabled: bool,
    /// cert-manager ClusterIssuer that signs Grafana's certificate.
    pub cluster_issuer: DnsSubdomain,
}

impl Default for TlsSpec {
    fn default() -> Self {
        TlsSpec {
            enabled: true,
            cluster_issuer: DnsSubdomain::fixed("letsencrypt"),
        }
    }
}

/// The gateway only with HTTPRoute (and then required), the ingress class only with Ingress.
pub(super) fn check(exposure: &ExposureSpec, errors: &mut Vec<SpecError>) {
    let mut error = |path: String, message: String| errors.push(SpecError::new(path, message));
    if exposure.kind == ExposureType::HTTPRoute && exposure.gateway.is_none() {
        error(
            "spec.grafana.exposure.gateway".into(),
            "required when exposure.type is HTTPRoute: the Gateway to attach to ({name, namespace})"
                .into(),
        );
    }
    if exposure.kind != ExposureType::HTTPRoute && exposure.gateway.is_some() {
        error(
            "spec.grafana.exposure.gateway".into(),
            "only used with exposure.type HTTPRoute (set the type, or remove the gateway)".into(),
        );
    }
    if exposure.kind != ExposureType::Ingress && exposure.ingress_class_name.is_some() {
        error(
            "spec.grafana.exposure.ingressClassName".into(),
            "only used with exposure.type Ingress (set the type, or remove the class)".into(),
        );
    }
}
