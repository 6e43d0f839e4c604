//! What the cluster must already have for a stack's output to deploy: controllers serving the
//! API groups the output uses, cluster objects the output names (StorageClass, BucketClass,
//! ClusterIssuer, ...) and Secrets the user provides (the OIDC client secret, webhooks). One
//! table, from the spec: `monitoring-stack prerequisites FILE` prints it, the README's
//! prerequisites section is its seed rendering, and the deployability tests resolve every
//! reference of the rendered stack against it.

use crate::spec::{
    DestinationType, EndpointAuth, EndpointTls, ExposureType, Layout, MonitoringStack,
    SecretKeyRef, StorageSpec,
};

/// One thing the stack needs and does not create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prerequisite {
    /// `Secret`, `StorageClass`, ... or `API` for a served API group (its controllers).
    pub kind: &'static str,
    /// The object's name, or for `API` the group/version.
    pub name: String,
    /// Its namespace, for namespaced objects.
    pub namespace: Option<String>,
    /// For a Secret: the key read.
    pub key: Option<String>,
    /// The spec field that names it.
    pub field: &'static str,
    /// What needs it.
    pub why: String,
}

impl Prerequisite {
    pub(crate) fn new(
        kind: &'static str,
        name: &str,
        field: &'static str,
        why: &str,
    ) -> Prerequisite {
        Prerequisite {
            kind,
            name: name.to_string(),
            namespace: None,
            key: None,
            field,
            why: why.to_string(),
        }
    }

    fn in_namespace(mut self, namespace: &str) -> Prerequisite {
        self.namespace = Some(namespace.to_string());
        self
    }

    fn key(mut self, key: &str) -> Prerequisite {
        self.key = Some(key.to_string());
        self
    }
}

/// Every prerequisite of a stack, in a stable order: APIs, cluster objects, namespaced objects.
pub fn of(stack: &MonitoringStack) -> Vec<Prerequisite> {
    let spec = &stack.spec;
    let mut out = vec![
        Prerequisite::new(
            "API",
            "source.toolkit.fluxcd.io/v1",
            "-",
            "Flux's source-controller fetches the charts (HelmRepository, OCIRepository)",
        ),
        Prerequisite::new(
            "API",
            "helm.toolkit.fluxcd.io/v2",
            "-",
            "Flux's helm-controller installs every chart (HelmRelease)",
        ),
    ];
    if spec.layout == Layout::Flux {
        out.push(Prerequisite::new(
            "API",
            "kustomize.toolkit.fluxcd.io/v1",
            "layout",
            "Flux's kustomize-controller applies each component folder (Kustomization)",
        ));
    }
    // CRDs the stack installs itself unless their release is switched off.
    let outside = [
        (
            !spec.prometheus_crds.enabled,
            "monitoring.coreos.com/v1",
            "prometheusCrds.enabled",
            "the prometheus-operator CRDs (ServiceMonitor, PodMonitor, PrometheusRule), installed outside this stack",
        ),
        (
            spec.grafana.enabled && !spec.grafana_operator.enabled,
            "grafana.integreatly.org/v1beta1",
            "grafanaOperator.enabled",
            "a grafana-operator installed outside this stack, watching the Grafana namespace",
        ),
        (
            spec.alloy.enabled && !spec.alloy_operator.enabled,
            "collectors.grafana.com/v1alpha1",
            "alloyOperator.enabled",
            "an Alloy Operator installed outside this stack (runs the Alloy resources)",
        ),
    ];
    for (needed, api, field, why) in outside {
        if needed {
            out.push(Prerequisite::new("API", api, field, why));
        }
    }
    let storages: Vec<(&str, &StorageSpec)> = [
        ("loki", spec.loki.enabled, &spec.loki.storage),
        ("mimir", spec.mimir.enabled, &spec.mimir.storage),
    ]
    .into_iter()
    .filter(|(_, enabled, _)| *enabled)
    .map(|(component, _, storage)| (component, storage))
    .collect();
    for version in ["v1alpha1", "v1alpha2"] {
        let users: Vec<&str> = storages
            .iter()
            .filter(|(_, s)| cosi_version(s) == version)
            .map(|(c, _)| *c)
            .collect();
        if !users.is_empty() {
            out.push(Prerequisite::new(
                "API",
                &format!("objectstorage.k8s.io/{version}"),
                "<component>.storage.cosiApiVersion",
                &format!(
                    "the COSI controller and a driver (Garage's) serve {}'s BucketClaim and BucketAccess",
                    users.join(" and ")
                ),
            ));
        }
    }
    let grafana = &spec.grafana;
    let certificate = grafana.enabled
        && grafana.tls.enabled
        && matches!(
            grafana.exposure.kind,
            ExposureType::LoadBalancer | ExposureType::HTTPRoute
        );
    let ingress = grafana.enabled && grafana.exposure.kind == ExposureType::Ingress;
    let route = grafana.enabled && grafana.exposure.kind == ExposureType::HTTPRoute;
    if certificate || (ingress && grafana.tls.enabled) {
        out.push(Prerequisite::new(
            "API",
            "cert-manager.io/v1",
            "grafana.tls.enabled",
            "cert-manager issues Grafana's certificate",
        ));
    }
    if route {
        out.push(Prerequisite::new(
            "API",
            "gateway.networking.k8s.io/v1",
            "grafana.exposure.type",
            "a Gateway API implementation routes Grafana's HTTPRoute",
        ));
    }

    if grafana.enabled && grafana.exposure.kind == ExposureType::LoadBalancer {
        let class = grafana
            .exposure
            .load_balancer_class
            .as_ref()
            .map_or("the cluster's default", |c| c.as_str());
        out.push(Prerequisite::new(
            "Controller",
            &format!("LoadBalancer ({class})"),
            "grafana.exposure.loadBalancerClass",
            "gives Grafana's Service of type LoadBalancer its address",
        ));
    }
    if spec.cluster.istio_ambient {
        out.push(Prerequisite::new(
            "Controller",
            "Istio ambient (istiod, ztunnel)",
            "cluster.istioAmbient",
            "the mesh every component namespace joins (istio.io/dataplane-mode: ambient)",
        ));
    }

    // Cluster-scoped objects.
    out.push(Prerequisite::new(
        "StorageClass",
        spec.cluster.storage_class.as_str(),
        "cluster.storageClass",
        "every PersistentVolumeClaim of the stack",
    ));
    let mut classes: Vec<(&'static str, String, &'static str)> = Vec::new();
    for (component, storage) in &storages {
        classes.push((
            "BucketClass",
            storage.bucket_class.as_str().to_string(),
            component,
        ));
        classes.push((
            "BucketAccessClass",
            storage.bucket_access_class.as_str().to_string(),
            component,
        ));
    }
    let mut seen: Vec<(&str, String)> = Vec::new();
    for (kind, name, _) in &classes {
        if seen.iter().any(|(k, n)| k == kind && n == name) {
            continue;
        }
        seen.push((kind, name.clone()));
        let users: Vec<&str> = classes
            .iter()
            .filter(|(k, n, _)| k == kind && n == name)
            .map(|(_, _, c)| *c)
            .collect();
        let field = if *kind == "BucketClass" {
            "<component>.storage.bucketClass"
        } else {
            "<component>.storage.bucketAccessClass"
        };
        out.push(Prerequisite::new(
            kind,
            name,
            field,
            &format!("the COSI bucket of {}", users.join(" and ")),
        ));
    }
    if certificate || (ingress && grafana.tls.enabled) {
        out.push(Prerequisite::new(
            "ClusterIssuer",
            grafana.tls.cluster_issuer.as_str(),
            "grafana.tls.clusterIssuer",
            "signs Grafana's certificate",
        ));
    }
    if ingress {
        if let Some(class) = &grafana.exposure.ingress_class_name {
            out.push(Prerequisite::new(
                "IngressClass",
                class.as_str(),
                "grafana.exposure.ingressClassName",
                "serves Grafana's Ingress",
            ));
        }
    }

    // Namespaced objects.
    let source = &spec.flux.source_ref;
    out.push(Prerequisite::new(
        "Namespace",
        source.namespace.as_str(),
        "flux.sourceRef.namespace",
        "Flux's own namespace, holding the source of the rendered tree",
    ));
    if spec.layout == Layout::Flux {
        out.push(
            Prerequisite::new(
                source.kind.as_str(),
                source.name.as_str(),
                "flux.sourceRef",
                "the Flux source holding the rendered tree (every Kustomization's sourceRef)",
            )
            .in_namespace(source.namespace.as_str()),
        );
    }
    if route {
        if let Some(gateway) = &grafana.exposure.gateway {
            out.push(
                Prerequisite::new(
                    "Gateway",
                    gateway.name.as_str(),
                    "grafana.exposure.gateway",
                    "the parent of Grafana's HTTPRoute; its listener serves grafana-tls",
                )
                .in_namespace(gateway.namespace.as_str()),
            );
        }
    }
    if grafana.enabled {
        let namespace = grafana.namespace.as_str();
        if let Some(oidc) = &grafana.oidc {
            out.push(
                Prerequisite::new(
                    "Secret",
                    oidc.client_secret.name.as_str(),
                    "grafana.oidc.clientSecret",
                    &format!(
                        "the OIDC client secret of Grafana's login ({}, client {})",
                        oidc.issuer_url.as_str(),
                        oidc.client_id
                    ),
                )
                .in_namespace(namespace)
                .key(oidc.client_secret.key.as_str()),
            );
        }
        for (i, dashboard) in grafana.dashboards.custom.iter().enumerate() {
            if let Some(map) = &dashboard.config_map {
                out.push(
                    Prerequisite::new(
                        "ConfigMap",
                        map.name.as_str(),
                        "grafana.dashboards.custom[].configMap",
                        &format!(
                            "the JSON of dashboard {} (custom[{i}])",
                            dashboard.name.as_str()
                        ),
                    )
                    .in_namespace(namespace)
                    .key(map.key.as_str()),
                );
            }
        }
        let alerting = &grafana.alerting;
        if alerting.slack.enabled {
            out.push(
                Prerequisite::new(
                    "Secret",
                    alerting.slack.webhook_secret.name.as_str(),
                    "grafana.alerting.slack.webhookSecret",
                    &format!(
                        "the Slack webhook URL of the {} contact point",
                        alerting.slack.channel.as_str()
                    ),
                )
                .in_namespace(namespace)
                .key(alerting.slack.webhook_secret.key.as_str()),
            );
            // Mimir's Alertmanager mounts the same Secret (the mixins' alerts, issue 18).
            let mimir = &stack.spec.mimir;
            if mimir.enabled && mimir.rules.enabled && mimir.rules.alerting {
                out.push(
                    Prerequisite::new(
                        "Secret",
                        alerting.slack.webhook_secret.name.as_str(),
                        "grafana.alerting.slack.webhookSecret",
                        &format!(
                            "the same Slack webhook URL ({}), for Mimir's Alertmanager (alerts of the PrometheusRules)",
                            alerting.slack.channel.as_str()
                        ),
                    )
                    .in_namespace(mimir.namespace.as_str())
                    .key(alerting.slack.webhook_secret.key.as_str()),
                );
            }
        }
        for point in &alerting.contact_points {
            for receiver in &point.receivers {
                for (setting, secret) in &receiver.secrets {
                    out.push(
                        Prerequisite::new(
                            "Secret",
                            secret.name.as_str(),
                            "grafana.alerting.contactPoints[].receivers[].secrets",
                            &format!(
                                "the {setting} setting of contact point {} ({})",
                                point.name.as_str(),
                                receiver.kind
                            ),
                        )
                        .in_namespace(namespace)
                        .key(secret.key.as_str()),
                    );
                }
            }
        }
    }
    // The fleet's: the writers' Secrets, and a central stack's exposure and gateways.
    for prerequisite in fleet(stack)
        .into_iter()
        .chain(super::central::prerequisites(stack))
    {
        place(&mut out, prerequisite);
    }
    out
}

/// Where a prerequisite sits in the table: APIs, controllers, cluster objects, namespaced ones.
fn rank(p: &Prerequisite) -> u8 {
    match (p.kind, &p.namespace) {
        ("API", _) => 0,
        ("Controller", _) => 1,
        (_, None) => 2,
        (_, Some(_)) => 3,
    }
}

/// Adds `p` after the last entry of its rank, once.
fn place(out: &mut Vec<Prerequisite>, p: Prerequisite) {
    let same = |q: &Prerequisite| {
        q.kind == p.kind && q.name == p.name && q.namespace == p.namespace && q.key == p.key
    };
    if out.iter().any(same) {
        return;
    }
    let at = out
        .iter()
        .rposition(|q| rank(q) <= rank(&p))
        .map_or(0, |i| i + 1);
    out.insert(at, p);
}

/// The Secrets one writer reads in the collectors' namespace: its password or token, its CA.
fn endpoint_secrets(
    namespace: &str,
    field: &'static str,
    to: String,
    auth: &EndpointAuth,
    tls: &EndpointTls,
    out: &mut Vec<Prerequisite>,
) {
    let refs: [(Option<&SecretKeyRef>, &str); 3] = [
        (
            auth.basic.as_ref().map(|b| &b.password),
            "basic-auth password",
        ),
        (auth.bearer_token.as_ref(), "bearer token"),
        (tls.ca_secret.as_ref(), "CA bundle"),
    ];
    for (reference, what) in refs
        .into_iter()
        .filter_map(|(reference, what)| reference.map(|r| (r, what)))
    {
        out.push(
            Prerequisite::new(
                "Secret",
                reference.name.as_str(),
                field,
                &format!("the {what} {to}"),
            )
            .in_namespace(namespace)
            .key(reference.key.as_str()),
        );
    }
}

/// The Secrets the writers' credentials and CA bundles come from, in the namespaces of the
/// collectors that use them (a central stack's own are in `stack::central`).
fn fleet(stack: &MonitoringStack) -> Vec<Prerequisite> {
    let spec = &stack.spec;
    let mut out = Vec::new();
    for (field, signal, remote, kind) in [
        (
            "remote.logs",
            "logs",
            &spec.remote.logs,
            DestinationType::Loki,
        ),
        (
            "remote.metrics",
            "metrics",
            &spec.remote.metrics,
            DestinationType::Prometheus,
        ),
    ] {
        let Some(remote) = remote else { continue };
        for namespace in spec.writer_namespaces(kind) {
            endpoint_secrets(
                namespace,
                field,
                format!(
                    "the collectors use with the central stack's {signal} gateway ({})",
                    remote.url.as_str()
                ),
                &remote.auth,
                &remote.tls,
                &mut out,
            );
        }
    }
    for destination in &spec.destinations {
        for namespace in spec.writer_namespaces(destination.kind) {
            endpoint_secrets(
                namespace,
                "destinations[]",
                format!(
                    "the collectors use with destination {} ({})",
                    destination.name.as_str(),
                    destination.url.as_str()
                ),
                &destination.auth,
                &destination.tls,
                &mut out,
            );
        }
    }
    out
}

fn cosi_version(storage: &StorageSpec) -> &'static str {
    match storage.cosi_api_version {
        crate::spec::CosiApiVersion::V1alpha1 => "v1alpha1",
        crate::spec::CosiApiVersion::V1alpha2 => "v1alpha2",
    }
}

/// The table as Markdown (the README's prerequisites section, `monitoring-stack prerequisites`).
pub fn markdown(prerequisites: &[Prerequisite]) -> String {
    let mut out = String::from("| kind | name | spec field | needed for |\n|---|---|---|---|\n");
    for p in prerequisites {
        let mut name = match &p.namespace {
            Some(namespace) => format!("`{namespace}/{}`", p.name),
            None => format!("`{}`", p.name),
        };
        if let Some(key) = &p.key {
            name.push_str(&format!(" key `{key}`"));
        }
        let field = if p.field == "-" {
            "-".to_string()
        } else {
            format!("`{}`", p.field)
        };
        out.push_str(&format!("| {} | {name} | {field} | {} |\n", p.kind, p.why));
    }
    out
}
