//! The `Grafana` CR — grafana.ini (`spec.config`), the Deployment overlay (security context,
//! secrets as env vars, persistence, TLS files), the PVC, the Service / Ingress of the chosen
//! exposure — and the ServiceMonitor that scrapes Grafana's own `/metrics`.

use super::exposure::{self, Plan, CLUSTER_ISSUER_ANNOTATION, TLS_MOUNT_PATH};
use super::{
    instance_label, namespace, CONTAINER_PORT_NAME, GRAFANA_API, INSTANCE_NAME, PVC_NAME,
    SERVICE_NAME, SERVICE_PORT, SERVICE_PORT_NAME, TLS_SECRET,
};
use crate::json::json;
use crate::spec::{ExposureType, GrafanaRole, OidcSpec};
use crate::stack::object::{self, object};
use crate::stack::Context;
use serde::Serialize;
use serde_yaml_ng::Value;
use std::collections::BTreeMap;

pub const MONITORING_API: &str = "monitoring.coreos.com/v1";
/// Grafana's environment override of `auth.generic_oauth.client_secret`: the secret never
/// appears in grafana.ini, the CR or anything Flux could substitute into.
pub const CLIENT_SECRET_ENV: &str = "GF_AUTH_GENERIC_OAUTH_CLIENT_SECRET";
/// The user and group the operator runs Grafana as (its default container security context).
const GRAFANA_UID: u32 = 10001;
/// The operator's data volume, replaced by the PVC when persistence is on.
const DATA_VOLUME: &str = "grafana-data";
const TLS_VOLUME: &str = "grafana-tls";

/// grafana.ini: section → key → value, all strings (the CRD takes nothing else).
pub type Ini = BTreeMap<String, BTreeMap<String, String>>;

pub fn grafana(ctx: &Context, plan: &Plan) -> Value {
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Spec {
        #[serde(skip_serializing_if = "Option::is_none")]
        version: Option<String>,
        config: Ini,
        deployment: serde_json::Value,
        #[serde(skip_serializing_if = "Option::is_none")]
        persistent_volume_claim: Option<serde_json::Value>,
        service: serde_json::Value,
        #[serde(skip_serializing_if = "Option::is_none")]
        ingress: Option<serde_json::Value>,
        #[serde(skip_serializing_if = "Option::is_none")]
        client: Option<serde_json::Value>,
    }
    let grafana = &ctx.spec().grafana;
    let persistence = grafana.persistence.enabled.then(|| {
        json!({
            "spec": {
                "accessModes": ["ReadWriteOnce"],
                "storageClassName": ctx.spec().cluster.storage_class.as_str(),
                "resources": { "requests": { "storage": grafana.persistence.size.as_str() } },
            }
        })
    });
    // The operator talks to Grafana through the Service by its in-cluster name, which the
    // public certificate does not cover; the hop stays inside the cluster (and the mesh).
    let client = plan
        .grafana_serves_tls
        .then(|| json!({ "tls": { "insecureSkipVerify": true } }));
    let spec = Spec {
        version: grafana.version.clone(),
        config: config(ctx, plan),
        deployment: deployment(ctx, plan),
        persistent_volume_claim: persistence,
        service: service(ctx, plan),
        ingress: ingress(ctx, plan),
        client,
    };
    let mut spec = object::to_value(&spec);
    object::merge(&mut spec, &Value::Mapping(grafana.values.0.clone()));
    let (key, value) = instance_label(ctx);
    let meta = ctx
        .meta(INSTANCE_NAME, Some(namespace(ctx)))
        .label(key, &value);
    let mut body = serde_yaml_ng::Mapping::new();
    body.insert("spec".into(), spec);
    object(GRAFANA_API, "Grafana", meta, Value::Mapping(body))
}

/// grafana.ini: server URL, OIDC login, hardening defaults; the spec's `config` merged last.
pub fn config(ctx: &Context, plan: &Plan) -> Ini {
    let grafana = &ctx.spec().grafana;
    let mut ini = Ini::new();
    let mut set = |section: &str, key: &str, value: &str| {
        ini.entry(section.to_string())
            .or_default()
            .insert(key.to_string(), value.to_string());
    };
    let root_url = plan.root_url();
    set("server", "root_url", &root_url);
    set("server", "domain", plan.hostname);
    if plan.grafana_serves_tls {
        set("server", "protocol", "https");
        set("server", "cert_file", &format!("{TLS_MOUNT_PATH}/tls.crt"));
        set("server", "cert_key", &format!("{TLS_MOUNT_PATH}/tls.key"));
        // cert-manager renews the certificate in place; Grafana reloads it from the files.
        set("server", "certs_watch_interval", "1h");
    }
    set("log", "mode", "console");
    set("metrics", "enabled", "true");
    set("analytics", "reporting_enabled", "false");
    set("analytics", "check_for_updates", "false");
    set("analytics", "check_for_plugin_updates", "false");
    set("users", "allow_sign_up", "false");
    if plan.tls {
        set("security", "cookie_secure", "true");
    }
    if let Some(oidc) = &grafana.oidc {
        set("auth", "disable_login_form", "true");
        for (key, value) in generic_oauth(oidc, &root_url) {
            set("auth.generic_oauth", key, &value);
        }
    }
    for (section, settings) in &grafana.config {
        for (key, value) in settings {
            set(section, key, value.as_str());
        }
    }
    ini
}

/// `auth.generic_oauth` for a Keycloak realm. The client secret is not here: it comes from
/// the [`CLIENT_SECRET_ENV`] environment variable.
fn generic_oauth(oidc: &OidcSpec, root_url: &str) -> Vec<(&'static str, String)> {
    let issuer = oidc.issuer_url.as_str().trim_end_matches('/');
    let endpoint = |path: &str| format!("{issuer}/protocol/openid-connect/{path}");
    let logout = format!(
        "{}?client_id={}&post_logout_redirect_uri={}",
        endpoint("logout"),
        url_encode(&oidc.client_id),
        url_encode(&format!("{root_url}login"))
    );
    vec![
        ("enabled", "true".to_string()),
        ("name", oidc.display_name.clone()),
        ("allow_sign_up", "true".to_string()),
        ("client_id", oidc.client_id.clone()),
        ("scopes", oidc.scopes.join(" ")),
        ("auth_url", endpoint("auth")),
        ("token_url", endpoint("token")),
        ("api_url", endpoint("userinfo")),
        ("signout_redirect_url", logout),
        ("use_pkce", "true".to_string()),
        ("use_refresh_token", "true".to_string()),
        ("email_attribute_path", "email".to_string()),
        ("login_attribute_path", "preferred_username".to_string()),
        ("name_attribute_path", "name".to_string()),
        ("groups_attribute_path", oidc.groups_claim.clone()),
        ("role_attribute_path", role_attribute_path(oidc)),
        ("role_attribute_strict", "false".to_string()),
    ]
}

/// JMESPath mapping the groups claim to a Grafana role: admin group → Admin, editor group →
/// Editor, everyone else → the default role. A missing claim counts as no groups.
pub fn role_attribute_path(oidc: &OidcSpec) -> String {
    let groups = format!("{}[*] || `[]`", oidc.groups_claim);
    let mut path = format!("contains({groups}, '{}') && 'Admin'", oidc.admin_group);
    if let Some(editors) = &oidc.editor_group {
        path.push_str(&format!(" || contains({groups}, '{editors}') && 'Editor'"));
    }
    path.push_str(&format!(" || '{}'", role_name(oidc.default_role)));
    path
}

fn role_name(role: GrafanaRole) -> &'static str {
    match role {
        GrafanaRole::Viewer => "Viewer",
        GrafanaRole::Editor => "Editor",
        GrafanaRole::Admin => "Admin",
    }
}

/// Percent-encoding of a URL used as a query parameter value.
fn url_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The Deployment overlay the operator merges into its own (strategic merge, containers by
/// name): Pod Security "restricted" fields, the OIDC secret as env var, resources, the PVC as
/// the data volume, the certificate files.
fn deployment(ctx: &Context, plan: &Plan) -> serde_json::Value {
    let grafana = &ctx.spec().grafana;
    let mut container = json!({
        "name": "grafana",
        "securityContext": {
            "allowPrivilegeEscalation": false,
            "readOnlyRootFilesystem": true,
            "runAsNonRoot": true,
            "capabilities": { "drop": ["ALL"] },
            "seccompProfile": { "type": "RuntimeDefault" },
        },
    });
    let mut volumes = Vec::new();
    if let Some(oidc) = &grafana.oidc {
        container["env"] = json!([{
            "name": CLIENT_SECRET_ENV,
            "valueFrom": { "secretKeyRef": {
                "name": oidc.client_secret.name.as_str(),
                "key": oidc.client_secret.key.as_str(),
            } },
        }]);
    }
    if !grafana.resources.is_empty() {
        container["resources"] = json!(grafana.resources);
    }
    if grafana.persistence.enabled {
        volumes.push(json!({
            "name": DATA_VOLUME,
            "persistentVolumeClaim": { "claimName": PVC_NAME },
        }));
    }
    if plan.grafana_serves_tls {
        container["volumeMounts"] = json!([{
            "name": TLS_VOLUME,
            "mountPath": TLS_MOUNT_PATH,
            "readOnly": true,
        }]);
        // The operator's probe speaks HTTP; Grafana now answers HTTPS only.
        container["readinessProbe"] = json!({
            "httpGet": { "path": "/api/health", "port": SERVICE_PORT, "scheme": "HTTPS" },
        });
        volumes.push(json!({
            "name": TLS_VOLUME,
            "secret": { "secretName": TLS_SECRET },
        }));
    }
    let mut pod = json!({
        // Grafana never calls the Kubernetes API.
        "automountServiceAccountToken": false,
        "securityContext": {
            "runAsNonRoot": true,
            "runAsUser": GRAFANA_UID,
            "runAsGroup": GRAFANA_UID,
            // The PVC is writable by Grafana's group.
            "fsGroup": GRAFANA_UID,
            "fsGroupChangePolicy": "OnRootMismatch",
            "seccompProfile": { "type": "RuntimeDefault" },
        },
        "containers": [container],
    });
    if !volumes.is_empty() {
        pod["volumes"] = json!(volumes);
    }
    let mut spec = json!({ "template": { "spec": pod } });
    if grafana.persistence.enabled {
        // A ReadWriteOnce volume cannot be attached to the old and the new pod at once.
        spec["strategy"] = json!({ "type": "Recreate" });
    }
    json!({ "spec": spec })
}

/// The operator's Service: labelled for the ServiceMonitor; type LoadBalancer with the LB
/// controller's class and annotations when that is the exposure.
fn service(ctx: &Context, plan: &Plan) -> serde_json::Value {
    let (key, value) = instance_label(ctx);
    let mut metadata = json!({ "labels": { key: value } });
    if plan.kind != ExposureType::LoadBalancer {
        return json!({ "metadata": metadata });
    }
    let annotations = exposure::user_annotations(ctx);
    if !annotations.is_empty() {
        metadata["annotations"] = json!(annotations);
    }
    let (name, port) = if plan.tls {
        ("https", 443)
    } else {
        ("http", 80)
    };
    let mut spec = serde_json::Map::new();
    spec.insert("type".into(), json!("LoadBalancer"));
    if let Some(class) = &ctx.spec().grafana.exposure.load_balancer_class {
        spec.insert("loadBalancerClass".into(), json!(class.as_str()));
    }
    // The public port next to the operator's own 3000 (same container port).
    spec.insert(
        "ports".into(),
        json!([{
            "name": name,
            "port": port,
            "targetPort": CONTAINER_PORT_NAME,
            "protocol": "TCP",
        }]),
    );
    json!({ "metadata": metadata, "spec": spec })
}

/// The operator's Ingress: cert-manager's cluster-issuer annotation and the TLS section it
/// fills.
fn ingress(ctx: &Context, plan: &Plan) -> Option<serde_json::Value> {
    if plan.kind != ExposureType::Ingress {
        return None;
    }
    let host = plan.hostname;
    let mut annotations = exposure::user_annotations(ctx);
    if plan.tls {
        annotations.insert(
            CLUSTER_ISSUER_ANNOTATION.to_string(),
            ctx.spec().grafana.tls.cluster_issuer.to_string(),
        );
    }
    let mut spec = serde_json::Map::new();
    if let Some(class) = &ctx.spec().grafana.exposure.ingress_class_name {
        spec.insert("ingressClassName".into(), json!(class.as_str()));
    }
    spec.insert(
        "rules".into(),
        json!([{
            "host": host,
            "http": { "paths": [{
                "path": "/",
                "pathType": "Prefix",
                "backend": { "service": {
                    "name": SERVICE_NAME,
                    "port": { "number": SERVICE_PORT },
                } },
            }] },
        }]),
    );
    if plan.tls {
        spec.insert(
            "tls".into(),
            json!([{ "hosts": [host], "secretName": TLS_SECRET }]),
        );
    }
    let spec = serde_json::Value::Object(spec);
    let mut ingress = serde_json::Map::new();
    if !annotations.is_empty() {
        ingress.insert("metadata".into(), json!({ "annotations": annotations }));
    }
    ingress.insert("spec".into(), spec);
    Some(serde_json::Value::Object(ingress))
}

/// Self-monitoring: alloy-metrics scrapes Grafana's `/metrics` through the operator's Service.
pub fn service_monitor(ctx: &Context, plan: &Plan) -> Value {
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Spec<'a> {
        selector: Selector,
        namespace_selector: NamespaceSelector<'a>,
        endpoints: Vec<Endpoint<'a>>,
    }
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Selector {
        match_labels: BTreeMap<String, String>,
    }
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct NamespaceSelector<'a> {
        match_names: Vec<&'a str>,
    }
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Endpoint<'a> {
        port: &'a str,
        path: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        scheme: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        tls_config: Option<TlsConfig<'a>>,
    }
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct TlsConfig<'a> {
        server_name: &'a str,
    }
    #[derive(Serialize)]
    struct Body<'a> {
        spec: Spec<'a>,
    }
    impl crate::stack::object::SerdeBody for Body<'_> {}
    let (key, value) = instance_label(ctx);
    // When Grafana serves TLS, its certificate names the public hostname: the scraper checks
    // it against that name (a public ACME chain verifies with the system roots).
    let (scheme, tls_config) = if plan.grafana_serves_tls {
        (
            Some("https"),
            Some(TlsConfig {
                server_name: plan.hostname,
            }),
        )
    } else {
        (None, None)
    };
    object(
        MONITORING_API,
        "ServiceMonitor",
        ctx.meta(INSTANCE_NAME, Some(namespace(ctx))),
        Body {
            spec: Spec {
                selector: Selector {
                    match_labels: crate::collections::map_of([(key.to_string(), value)]),
                },
                namespace_selector: NamespaceSelector {
                    match_names: vec![namespace(ctx)],
                },
                endpoints: vec![Endpoint {
                    port: SERVICE_PORT_NAME,
                    path: "/metrics",
                    scheme,
                    tls_config,
                }],
            },
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_encoding_of_the_logout_redirect() {
        assert_eq!(
            url_encode("https://g.example.com/login"),
            "https%3A%2F%2Fg.example.com%2Flogin"
        );
    }
}
