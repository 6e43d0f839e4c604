//! A central stack's gateways (`spec.role: central`): what makes Loki's and Mimir's gateways safe
//! to reach from the edge clusters, added to the `loki/` and `mimir/` folders. A standalone or
//! edge stack gets none of it.
//!
//! | concern | how |
//! |---|---|
//! | authentication | the charts' gateway basic auth (Loki `gateway.basicAuth`, Mimir `gateway.nginx.basicAuth`) on the `central.auth.htpasswdSecret` Secret (`.htpasswd`): every request but the readiness probe (`/`, `/ready`) needs a user |
//! | tenants | Loki `querier.multi_tenant_queries_enabled`, Mimir `tenant_federation.enabled`: a query may name several tenants (`X-Scope-OrgID: a\|b`) |
//! | exposure | `Ingress` (cert-manager `cluster-issuer` annotation, TLS Secret `<gateway>-tls`) or `HTTPRoute` on the spec's Gateway with a cert-manager `Certificate` for its listener; never a LoadBalancer (plain HTTP with credentials) |
//! | in-cluster access | Istio ambient: an L4 `AuthorizationPolicy` (enforced by ztunnel) that lets only the collectors, Grafana and the ingress path reach the gateway pods; without Istio: a `NetworkPolicy` with the same sources |
//!
//! The objects sit in `<component>/release/` and are applied by the `<component>-release`
//! Kustomization with the chart: the namespace exists then, and a policy never selects pods
//! before they exist.

use super::endpoints::{LOKI_GATEWAY, MIMIR_GATEWAY};
use super::grafana::exposure::{CERT_MANAGER_API, CLUSTER_ISSUER_ANNOTATION, GATEWAY_API};
use super::object::object;
use super::prerequisites::Prerequisite;
use super::Context;
use crate::json::json;
use crate::spec::{
    GatewayExposureType, MonitoringStack, Role, CLIENT_PASSWORD_KEY, CLIENT_USERNAME_KEY,
    DEFAULT_CONTROLLER_NAMESPACE, HTPASSWD_KEY,
};
use serde_json::Value as Json;
use serde_yaml_ng::Value;
use std::collections::BTreeMap;

/// Files in the component folder (applied with the release).
pub const EXPOSURE_FILE: &str = "release/gateway-exposure.yaml";
pub const ACCESS_FILE: &str = "release/gateway-access.yaml";
/// The gateways' Service port (both charts) and the nginx container port behind it.
pub const GATEWAY_PORT: u16 = 80;
pub const GATEWAY_CONTAINER_PORT: u16 = 8080;
pub const ISTIO_SECURITY_API: &str = "security.istio.io/v1";
/// The ServiceAccount grafana-operator gives the Grafana pod (`<instance>-sa`).
pub const GRAFANA_SERVICE_ACCOUNT: &str = "grafana-sa";

/// One of the two gateways.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gateway {
    Loki,
    Mimir,
}

impl Gateway {
    /// The chart's release name (`app.kubernetes.io/name` and `instance` of its pods).
    pub fn component(self) -> &'static str {
        match self {
            Gateway::Loki => "loki",
            Gateway::Mimir => "mimir",
        }
    }

    /// The gateway's Service (and the name of every object built here).
    pub fn service(self) -> &'static str {
        match self {
            Gateway::Loki => LOKI_GATEWAY,
            Gateway::Mimir => MIMIR_GATEWAY,
        }
    }

    pub fn namespace<'a>(self, ctx: &Context<'a>) -> &'a str {
        match self {
            Gateway::Loki => ctx.spec().loki.namespace.as_str(),
            Gateway::Mimir => ctx.spec().mimir.namespace.as_str(),
        }
    }

    /// The public host (`central.lokiHostname` / `mimirHostname`; required for role central).
    fn hostname<'a>(self, ctx: &Context<'a>) -> Option<&'a str> {
        let central = &ctx.spec().central;
        match self {
            Gateway::Loki => central.loki_hostname.as_ref(),
            Gateway::Mimir => central.mimir_hostname.as_ref(),
        }
        .map(|h| h.as_str())
    }

    /// The Secret the Ingress controller or the Gateway serves the certificate from.
    pub fn tls_secret(self) -> String {
        format!("{}-tls", self.service())
    }

    /// The labels of the gateway's pods (both charts).
    pub fn pod_labels(self) -> BTreeMap<String, String> {
        crate::collections::map_of([
            (
                "app.kubernetes.io/name".to_string(),
                self.component().to_string(),
            ),
            (
                "app.kubernetes.io/instance".to_string(),
                self.component().to_string(),
            ),
            (
                "app.kubernetes.io/component".to_string(),
                "gateway".to_string(),
            ),
        ])
    }

    /// The in-cluster clients, as (namespace, ServiceAccount): the collectors that write to this
    /// gateway (their Alloy resources' ServiceAccounts are named after them) and Grafana.
    pub fn clients(self, ctx: &Context) -> Vec<(String, String)> {
        let spec = ctx.spec();
        let alloy = &spec.alloy;
        let mut out = Vec::new();
        if alloy.enabled {
            let ns = alloy.namespace.as_str();
            let wanted: Vec<(bool, &str)> = match self {
                Gateway::Loki => vec![
                    (alloy.logs.runs(spec.ships_logs()), "alloy-logs"),
                    (alloy.events.runs(spec.ships_logs()), "alloy-events"),
                ],
                Gateway::Mimir => vec![(alloy.metrics.runs(spec.ships_metrics()), "alloy-metrics")],
            };
            for (runs, name) in wanted {
                if runs {
                    out.push((ns.to_string(), name.to_string()));
                }
            }
            if self == Gateway::Loki && alloy.node_logs.enabled {
                out.push((
                    alloy.node_logs.namespace.as_str().to_string(),
                    "alloy-node-logs".to_string(),
                ));
            }
        }
        if spec.grafana.enabled {
            out.push((
                spec.grafana.namespace.as_str().to_string(),
                GRAFANA_SERVICE_ACCOUNT.to_string(),
            ));
        }
        out
    }
}

/// Whether this stack is a fleet's central stack.
pub fn is_central(ctx: &Context) -> bool {
    ctx.spec().role == Role::Central
}

/// The namespace the exposed traffic comes from: `exposure.controllerNamespace`, else the
/// ingress controller's usual one (Ingress) or the Gateway's (HTTPRoute).
pub fn ingress_namespace<'a>(ctx: &Context<'a>) -> &'a str {
    let exposure = &ctx.spec().central.exposure;
    if let Some(namespace) = &exposure.controller_namespace {
        return namespace.as_str();
    }
    match exposure.kind {
        GatewayExposureType::Ingress => DEFAULT_CONTROLLER_NAMESPACE,
        GatewayExposureType::HTTPRoute => exposure
            .gateway
            .as_ref()
            .map_or(DEFAULT_CONTROLLER_NAMESPACE, |g| g.namespace.as_str()),
    }
}

/// Loki's values on a central stack: the gateway's basic auth and multi-tenant queries.
pub fn loki_values(ctx: &Context, values: &mut Json) {
    if !is_central(ctx) {
        return;
    }
    values["gateway"]["basicAuth"] = basic_auth(ctx);
    values["loki"]["querier"] = json!({ "multi_tenant_queries_enabled": true });
}

/// Mimir's values on a central stack: the gateway's basic auth and tenant federation.
pub fn mimir_values(ctx: &Context, values: &mut Json) {
    if !is_central(ctx) {
        return;
    }
    values["gateway"]["nginx"] = json!({ "basicAuth": basic_auth(ctx) });
    values["mimir"]["structuredConfig"]["tenant_federation"] = json!({ "enabled": true });
}

fn basic_auth(ctx: &Context) -> Json {
    json!({
        "enabled": true,
        "existingSecret": ctx.spec().central.auth.htpasswd_secret.as_str(),
    })
}

/// The objects a central stack adds to a gateway's folder, as (file, object).
pub fn objects(ctx: &Context, gateway: Gateway) -> Vec<(&'static str, Value)> {
    if !is_central(ctx) {
        return Vec::new();
    }
    let mut out = Vec::new();
    if let Some(host) = gateway.hostname(ctx) {
        match ctx.spec().central.exposure.kind {
            GatewayExposureType::Ingress => out.push((EXPOSURE_FILE, ingress(ctx, gateway, host))),
            GatewayExposureType::HTTPRoute => {
                out.push((EXPOSURE_FILE, certificate(ctx, gateway, host)));
                out.extend(http_route(ctx, gateway, host).map(|r| (EXPOSURE_FILE, r)));
            }
        }
    }
    let access = if ctx.spec().cluster.istio_ambient {
        authorization_policy(ctx, gateway)
    } else {
        network_policy(ctx, gateway)
    };
    out.push((ACCESS_FILE, access));
    out
}

fn annotated_meta(ctx: &Context, gateway: Gateway) -> super::object::Meta {
    let mut meta = ctx.meta(gateway.service(), Some(gateway.namespace(ctx)));
    for (key, value) in &ctx.spec().central.exposure.annotations {
        meta = meta.annotation(key.as_str(), value);
    }
    meta
}

/// An Ingress for the gateway's host; cert-manager's ingress-shim issues `<gateway>-tls` from
/// the `cluster-issuer` annotation. The whole host goes to the gateway (its nginx routes).
fn ingress(ctx: &Context, gateway: Gateway, host: &str) -> Value {
    let central = &ctx.spec().central;
    let meta = annotated_meta(ctx, gateway)
        .annotation(CLUSTER_ISSUER_ANNOTATION, central.cluster_issuer.as_str());
    let mut spec = json!({
        "tls": [{ "hosts": [host], "secretName": gateway.tls_secret() }],
        "rules": [{
            "host": host,
            "http": { "paths": [{
                "path": "/",
                "pathType": "Prefix",
                "backend": { "service": {
                    "name": gateway.service(),
                    "port": { "number": GATEWAY_PORT },
                }},
            }]},
        }],
    });
    if let Some(class) = &central.exposure.ingress_class_name {
        spec["ingressClassName"] = json!(class.as_str());
    }
    object(
        "networking.k8s.io/v1",
        "Ingress",
        meta,
        json!({ "spec": spec }),
    )
}

/// The certificate the Gateway's listener serves for the host (HTTPRoute path; the listener
/// references `<namespace>/<gateway>-tls`, through a ReferenceGrant the cluster provides).
fn certificate(ctx: &Context, gateway: Gateway, host: &str) -> Value {
    object(
        CERT_MANAGER_API,
        "Certificate",
        ctx.meta(gateway.service(), Some(gateway.namespace(ctx))),
        json!({ "spec": {
            "secretName": gateway.tls_secret(),
            "dnsNames": [host],
            "issuerRef": {
                "group": "cert-manager.io",
                "kind": "ClusterIssuer",
                "name": ctx.spec().central.cluster_issuer.as_str(),
            },
            "privateKey": { "algorithm": "ECDSA", "size": 256, "rotationPolicy": "Always" },
        }}),
    )
}

/// An HTTPRoute from the spec's Gateway (its listener ends TLS) to the gateway's Service.
fn http_route(ctx: &Context, gateway: Gateway, host: &str) -> Option<Value> {
    let parent = ctx.spec().central.exposure.gateway.as_ref()?;
    let mut parent_ref = json!({
        "group": "gateway.networking.k8s.io",
        "kind": "Gateway",
        "name": parent.name.as_str(),
        "namespace": parent.namespace.as_str(),
    });
    if let Some(section) = &parent.section_name {
        parent_ref["sectionName"] = json!(section.as_str());
    }
    Some(object(
        GATEWAY_API,
        "HTTPRoute",
        annotated_meta(ctx, gateway),
        json!({ "spec": {
            "parentRefs": [parent_ref],
            "hostnames": [host],
            "rules": [{
                "matches": [{ "path": { "type": "PathPrefix", "value": "/" } }],
                "backendRefs": [{ "name": gateway.service(), "port": GATEWAY_PORT }],
            }],
        }}),
    ))
}

/// The Istio ambient policy on the gateway pods: ALLOW only the collectors and Grafana (by
/// ServiceAccount) and the ingress path (by namespace), on the nginx port. ztunnel enforces it
/// at L4 (identities, namespaces, ports): an L7 rule (paths, methods) would need a waypoint, and
/// ztunnel treats an ALLOW rule with L7 fields as matching nothing. Principals are matched by
/// suffix, whatever the mesh's trust domain.
fn authorization_policy(ctx: &Context, gateway: Gateway) -> Value {
    let principals: Vec<String> = gateway
        .clients(ctx)
        .iter()
        .map(|(ns, sa)| format!("*/ns/{ns}/sa/{sa}"))
        .collect();
    let port = GATEWAY_CONTAINER_PORT.to_string();
    let mut rules = Vec::new();
    if !principals.is_empty() {
        rules.push(json!({
            "from": [{ "source": { "principals": principals } }],
            "to": [{ "operation": { "ports": [port] } }],
        }));
    }
    rules.push(json!({
        "from": [{ "source": { "namespaces": [ingress_namespace(ctx)] } }],
        "to": [{ "operation": { "ports": [port] } }],
    }));
    object(
        ISTIO_SECURITY_API,
        "AuthorizationPolicy",
        ctx.meta(gateway.service(), Some(gateway.namespace(ctx))),
        json!({ "spec": {
            "selector": { "matchLabels": gateway.pod_labels() },
            "action": "ALLOW",
            "rules": rules,
        }}),
    )
}

/// Without Istio: a NetworkPolicy selecting the gateway pods only (the other pods of the
/// namespace keep talking to each other and being scraped), admitting the clients' namespaces
/// and the ingress path's on the nginx port. NetworkPolicies cannot name ServiceAccounts.
fn network_policy(ctx: &Context, gateway: Gateway) -> Value {
    let mut namespaces: Vec<String> = gateway.clients(ctx).into_iter().map(|(ns, _)| ns).collect();
    namespaces.push(ingress_namespace(ctx).to_string());
    // Unstable: equal names are alike, and the module already has this sort for strings
    // (allow_lists), while a stable sort brought its own routine (about 3 KB of the npm module).
    namespaces.sort_unstable();
    namespaces.dedup();
    let from: Vec<Json> = namespaces
        .iter()
        .map(|ns| {
            json!({ "namespaceSelector": { "matchLabels": {
                "kubernetes.io/metadata.name": ns,
            }}})
        })
        .collect();
    object(
        "networking.k8s.io/v1",
        "NetworkPolicy",
        ctx.meta(gateway.service(), Some(gateway.namespace(ctx))),
        json!({ "spec": {
            "podSelector": { "matchLabels": gateway.pod_labels() },
            "policyTypes": ["Ingress"],
            "ingress": [{
                "from": from,
                "ports": [{ "protocol": "TCP", "port": GATEWAY_CONTAINER_PORT }],
            }],
        }}),
    )
}

/// What a central stack needs from the cluster on top of a standalone one: the APIs of the
/// objects above, the ingress controller, the ClusterIssuer, the htpasswd Secret in Loki's and
/// Mimir's namespaces, and the client Secret in the collectors' and Grafana's.
pub fn prerequisites(stack: &MonitoringStack) -> Vec<Prerequisite> {
    let spec = &stack.spec;
    if spec.role != Role::Central {
        return Vec::new();
    }
    let central = &spec.central;
    let row = Prerequisite::new;
    let mut out = Vec::new();
    let route = central.exposure.kind == GatewayExposureType::HTTPRoute;
    out.push(row(
        "API",
        CERT_MANAGER_API,
        "central.clusterIssuer",
        "cert-manager issues the Loki and Mimir gateways' certificates",
    ));
    if route {
        out.push(row(
            "API",
            GATEWAY_API,
            "central.exposure.type",
            "a Gateway API implementation routes the gateways' HTTPRoutes",
        ));
    }
    if spec.cluster.istio_ambient {
        out.push(row(
            "API",
            ISTIO_SECURITY_API,
            "cluster.istioAmbient",
            "istiod serves the gateways' AuthorizationPolicies (ztunnel enforces them)",
        ));
    }
    if route {
        if let Some(gateway) = &central.exposure.gateway {
            let mut parent = row(
                "Gateway",
                gateway.name.as_str(),
                "central.exposure.gateway",
                "the parent of the gateways' HTTPRoutes; its listener serves loki-gateway-tls and mimir-gateway-tls (ReferenceGrant to their namespaces)",
            );
            parent.namespace = Some(gateway.namespace.as_str().to_string());
            out.push(parent);
            let proxies = ingress_namespace(&Context::new(stack));
            if proxies != gateway.namespace.as_str() {
                let mut controller = row(
                    "Controller",
                    &format!("proxies of Gateway {}", gateway.name),
                    "central.exposure.controllerNamespace",
                    "carry the HTTPRoutes' traffic to the gateways; the one outside source the gateway policies admit (in the ambient mesh with Istio)",
                );
                controller.namespace = Some(proxies.to_string());
                out.push(controller);
            }
        }
    } else {
        let class = central
            .exposure
            .ingress_class_name
            .as_ref()
            .map_or("the cluster's default", |c| c.as_str());
        let mut controller = row(
            "Controller",
            &format!("Ingress controller ({class})"),
            "central.exposure.controllerNamespace",
            "serves the gateways' Ingresses; its pods are the one outside source the gateway policies admit (in the ambient mesh with Istio)",
        );
        controller.namespace = Some(ingress_namespace(&Context::new(stack)).to_string());
        out.push(controller);
    }
    out.push(row(
        "ClusterIssuer",
        central.cluster_issuer.as_str(),
        "central.clusterIssuer",
        "signs the Loki and Mimir gateways' certificates",
    ));
    let htpasswd = central.auth.htpasswd_secret.as_str();
    for (ns, what) in [
        (spec.loki.namespace.as_str(), "Loki's gateway"),
        (spec.mimir.namespace.as_str(), "Mimir's gateway"),
    ] {
        let mut secret = row(
            "Secret",
            htpasswd,
            "central.auth.htpasswdSecret",
            &format!("the users {what} admits (basic auth, one user:bcrypt line each)"),
        );
        secret.namespace = Some(ns.to_string());
        secret.key = Some(HTPASSWD_KEY.to_string());
        out.push(secret);
    }
    let client = central.auth.client_secret.as_str();
    // Every collector namespace with a writer to this stack's gateways (node logs included).
    let mut clients: Vec<(&str, &str)> = spec
        .writer_namespaces(crate::spec::DestinationType::Loki)
        .into_iter()
        .map(|ns| {
            (
                ns,
                "the collectors' credentials for this stack's own gateways",
            )
        })
        .collect();
    if spec.grafana.enabled {
        clients.push((
            spec.grafana.namespace.as_str(),
            "Grafana's datasources' credentials for the gateways",
        ));
    }
    for (ns, why) in clients {
        for key in [CLIENT_USERNAME_KEY, CLIENT_PASSWORD_KEY] {
            let mut secret = row("Secret", client, "central.auth.clientSecret", why);
            secret.namespace = Some(ns.to_string());
            secret.key = Some(key.to_string());
            out.push(secret);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::parse_stack;

    const CENTRAL: &str = "  role: central\n  central:\n    tenants: [edge-a]\n    lokiHostname: loki.example.com\n    mimirHostname: mimir.example.com\n";

    fn stack(extra: &str) -> MonitoringStack {
        let text = format!(
            "apiVersion: monitoring-stack.dev/v1alpha1\nkind: MonitoringStack\nmetadata: {{name: main}}\nspec:\n  grafana: {{hostname: g.example.com}}\n{extra}"
        );
        let value: serde_yaml_ng::Value = serde_yaml_ng::from_str(&text).expect("test YAML");
        parse_stack(&value).unwrap_or_else(|e| panic!("{extra}: {e:?}"))
    }

    fn kinds(objects: &[(&str, Value)]) -> Vec<String> {
        objects
            .iter()
            .map(|(file, o)| format!("{file} {}", o["kind"].as_str().unwrap_or("?")))
            .collect()
    }

    #[test]
    fn a_standalone_stack_gets_nothing() {
        let stack = stack("");
        let ctx = Context::new(&stack);
        assert!(objects(&ctx, Gateway::Loki).is_empty());
        assert!(prerequisites(&stack).is_empty());
        let mut values = json!({ "gateway": { "enabled": true } });
        loki_values(&ctx, &mut values);
        mimir_values(&ctx, &mut values);
        assert_eq!(values, json!({ "gateway": { "enabled": true } }));
    }

    #[test]
    fn ingress_with_istio_gives_an_ingress_and_an_l4_authorization_policy() {
        let stack = stack(CENTRAL);
        let ctx = Context::new(&stack);
        let objects = objects(&ctx, Gateway::Mimir);
        assert_eq!(
            kinds(&objects),
            [
                "release/gateway-exposure.yaml Ingress",
                "release/gateway-access.yaml AuthorizationPolicy"
            ]
        );
        let ingress = serde_json::to_value(&objects[0].1).expect("JSON");
        assert_eq!(ingress["spec"]["rules"][0]["host"], "mimir.example.com");
        assert_eq!(
            ingress["metadata"]["annotations"][CLUSTER_ISSUER_ANNOTATION],
            "letsencrypt"
        );
        assert_eq!(ingress["spec"]["tls"][0]["secretName"], "mimir-gateway-tls");
        let policy = serde_json::to_value(&objects[1].1).expect("JSON");
        assert_eq!(
            policy["spec"]["rules"][0]["from"][0]["source"]["principals"],
            json!(["*/ns/alloy/sa/alloy-metrics", "*/ns/grafana/sa/grafana-sa"])
        );
        assert_eq!(
            policy["spec"]["rules"][1]["from"][0]["source"]["namespaces"],
            json!(["ingress-nginx"])
        );
        // ztunnel enforces L4 only: an ALLOW rule with an L7 field would match nothing.
        let text = policy.to_string();
        for l7 in ["methods", "paths", "hosts", "requestPrincipals", "\"when\""] {
            assert!(!text.contains(l7), "{l7} in {text}");
        }
    }

    #[test]
    fn httproute_without_istio_gives_a_route_a_certificate_and_a_network_policy() {
        let stack = stack(&format!(
            "{CENTRAL}    exposure:\n      type: HTTPRoute\n      gateway: {{name: public, namespace: gateways}}\n  cluster:\n    istioAmbient: false\n"
        ));
        let ctx = Context::new(&stack);
        let objects = objects(&ctx, Gateway::Loki);
        assert_eq!(
            kinds(&objects),
            [
                "release/gateway-exposure.yaml Certificate",
                "release/gateway-exposure.yaml HTTPRoute",
                "release/gateway-access.yaml NetworkPolicy"
            ]
        );
        let route = serde_json::to_value(&objects[1].1).expect("JSON");
        assert_eq!(route["spec"]["parentRefs"][0]["namespace"], "gateways");
        assert_eq!(
            route["spec"]["rules"][0]["backendRefs"][0]["name"],
            "loki-gateway"
        );
        let policy = serde_json::to_value(&objects[2].1).expect("JSON");
        let from: Vec<&str> = policy["spec"]["ingress"][0]["from"]
            .as_array()
            .expect("from")
            .iter()
            .filter_map(|f| {
                f["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"].as_str()
            })
            .collect();
        assert_eq!(from, ["alloy", "gateways", "grafana"]);
        assert_eq!(
            policy["spec"]["podSelector"]["matchLabels"]["app.kubernetes.io/component"],
            "gateway"
        );
        let apis: Vec<String> = prerequisites(&stack)
            .into_iter()
            .filter(|p| p.kind == "API")
            .map(|p| p.name)
            .collect();
        assert_eq!(apis, [CERT_MANAGER_API, GATEWAY_API]);
    }

    #[test]
    fn central_values_switch_on_basic_auth_and_cross_tenant_queries() {
        let stack = stack(CENTRAL);
        let ctx = Context::new(&stack);
        let mut loki = json!({ "gateway": { "enabled": true }, "loki": {} });
        loki_values(&ctx, &mut loki);
        assert_eq!(
            loki["gateway"]["basicAuth"],
            json!({ "enabled": true, "existingSecret": "monitoring-gateway-htpasswd" })
        );
        assert_eq!(
            loki["loki"]["querier"]["multi_tenant_queries_enabled"],
            true
        );
        let mut mimir = json!({ "gateway": {}, "mimir": { "structuredConfig": {} } });
        mimir_values(&ctx, &mut mimir);
        assert_eq!(mimir["gateway"]["nginx"]["basicAuth"]["enabled"], true);
        assert_eq!(
            mimir["mimir"]["structuredConfig"]["tenant_federation"]["enabled"],
            true
        );
    }

    #[test]
    fn controller_namespace_overrides_the_default_of_each_exposure() {
        let route = format!(
            "{CENTRAL}    exposure:\n      type: HTTPRoute\n      gateway: {{name: public, namespace: gateways}}\n"
        );
        let by_gateway = stack(&route);
        assert_eq!(ingress_namespace(&Context::new(&by_gateway)), "gateways");
        let envoy = stack(&format!(
            "{route}      controllerNamespace: envoy-gateway-system\n"
        ));
        assert_eq!(
            ingress_namespace(&Context::new(&envoy)),
            "envoy-gateway-system"
        );
        let ingress = stack(CENTRAL);
        assert_eq!(ingress_namespace(&Context::new(&ingress)), "ingress-nginx");
        let traefik = stack(&format!(
            "{CENTRAL}    exposure:\n      controllerNamespace: traefik\n"
        ));
        assert_eq!(ingress_namespace(&Context::new(&traefik)), "traefik");
    }
}
