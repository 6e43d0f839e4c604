//! Where the collectors send: every writer of a stack — this stack's own gateways, a central
//! stack's (`spec.remote`), and the destinations (`spec.destinations`) — as Alloy components.
//! Credentials never appear in the generated text: each is an environment variable the Alloy
//! pod reads from its Secret (`sys.env(...)` in the configuration, `alloy.extraEnv` in the
//! chart values), and a private CA bundle is a mounted Secret key.

use super::config::{Block, Component, ComponentBlock, Expr, Ident, Key, Statements};
use super::relabel_rule;
use crate::json::json;
use crate::spec::{
    DestinationType, EndpointAuth, EndpointTls, RelabelRule, RemoteEndpoint, Role, SecretKeyRef,
    CLIENT_PASSWORD_KEY, CLIENT_USERNAME_KEY,
};
use crate::stack::Context;

/// One place a collector writes to.
#[derive(Debug, Clone)]
pub struct Writer<'a> {
    /// The Alloy component label (`loki`, `mimir`, `central`, `dest_<name>`).
    pub label: Ident,
    /// The push URL (for the rules syncer: the gateway's base URL).
    pub url: String,
    /// `X-Scope-OrgID` to send, if any.
    pub tenant: Option<String>,
    pub auth: Auth,
    pub tls: Option<&'a EndpointTls>,
    /// Rules for this writer only (a destination's `relabelRules`).
    pub relabel: &'a [RelabelRule],
}

/// How a writer authenticates; every secret is an environment variable from a Secret key.
#[derive(Debug, Clone)]
pub enum Auth {
    None,
    Basic { username: User, password: SecretEnv },
    Bearer(SecretEnv),
}

/// A basic-auth user name: written in the spec, or read from a Secret like the password.
#[derive(Debug, Clone)]
pub enum User {
    Literal(String),
    Secret(SecretEnv),
}

impl User {
    fn expr(&self) -> Expr {
        match self {
            User::Literal(name) => name.as_str().into(),
            User::Secret(env) => env.expr(),
        }
    }
}

/// An environment variable of the Alloy pod filled from a Secret key.
#[derive(Debug, Clone, PartialEq)]
pub struct SecretEnv {
    pub name: String,
    pub secret: String,
    pub key: String,
}

impl SecretEnv {
    fn new(label: &Ident, what: &str, secret: &str, key: &str) -> SecretEnv {
        SecretEnv {
            name: format!("{}_{what}", label.as_str().to_ascii_uppercase()),
            secret: secret.to_string(),
            key: key.to_string(),
        }
    }

    fn from_ref(label: &Ident, what: &str, reference: &SecretKeyRef) -> SecretEnv {
        SecretEnv::new(label, what, reference.name.as_str(), reference.key.as_str())
    }

    fn expr(&self) -> Expr {
        Expr::env(&self.name)
    }
}

impl Auth {
    fn of(label: &Ident, auth: &EndpointAuth) -> Auth {
        if let Some(basic) = &auth.basic {
            Auth::Basic {
                username: User::Literal(basic.username.as_str().to_string()),
                password: SecretEnv::from_ref(label, "PASSWORD", &basic.password),
            }
        } else if let Some(token) = &auth.bearer_token {
            Auth::Bearer(SecretEnv::from_ref(label, "TOKEN", token))
        } else {
            Auth::None
        }
    }

    /// A central stack's own clients: user and password from the client Secret.
    fn central_client(label: &Ident, secret: &str) -> Auth {
        Auth::Basic {
            username: User::Secret(SecretEnv::new(
                label,
                "USERNAME",
                secret,
                CLIENT_USERNAME_KEY,
            )),
            password: SecretEnv::new(label, "PASSWORD", secret, CLIENT_PASSWORD_KEY),
        }
    }

    fn envs(&self) -> Vec<&SecretEnv> {
        match self {
            Auth::None => Vec::new(),
            Auth::Basic { username, password } => match username {
                User::Secret(user) => vec![user, password],
                User::Literal(_) => vec![password],
            },
            Auth::Bearer(token) => vec![token],
        }
    }
}

/// The signal a writer carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    Logs,
    Metrics,
}

impl Context<'_> {
    /// This stack's own gateway's writer auth: a central stack's gateways ask every client.
    fn local_auth(&self, label: &Ident) -> Auth {
        if self.spec().role == Role::Central {
            Auth::central_client(label, self.spec().central.auth.client_secret.as_str())
        } else {
            Auth::None
        }
    }

    /// The writers of one signal, in a stable order: this stack's gateway, the central
    /// stack's, then the destinations in spec order.
    pub fn writers(&self, signal: Signal) -> Vec<Writer<'_>> {
        let spec = self.spec();
        let mut out = Vec::new();
        let (local, remote, kind, push_path) = match signal {
            Signal::Logs => (
                self.loki_push_url()
                    .map(|url| ("loki", url, self.loki_tenant())),
                spec.remote.logs.as_ref(),
                DestinationType::Loki,
                "/loki/api/v1/push",
            ),
            Signal::Metrics => (
                self.mimir_push_url()
                    .map(|url| ("mimir", url, self.mimir_tenant())),
                spec.remote.metrics.as_ref(),
                DestinationType::Prometheus,
                "/api/v1/push",
            ),
        };
        if let Some((label, url, tenant)) = local {
            let label = Ident::fixed(label);
            out.push(Writer {
                auth: self.local_auth(&label),
                label,
                url,
                tenant: tenant.map(str::to_string),
                tls: None,
                relabel: &[],
            });
        }
        if let Some(remote) = remote {
            out.push(self.remote_writer(signal, remote, push_path));
        }
        for destination in spec.destinations_of(kind) {
            let label = Ident::prefixed("dest_", destination.name.as_str());
            out.push(Writer {
                auth: Auth::of(&label, &destination.auth),
                label,
                url: destination.url.as_str().to_string(),
                tenant: destination.tenant.as_ref().map(|t| t.as_str().to_string()),
                tls: Some(&destination.tls),
                relabel: &destination.relabel_rules,
            });
        }
        out
    }

    fn remote_writer<'a>(
        &self,
        signal: Signal,
        remote: &'a RemoteEndpoint,
        path: &str,
    ) -> Writer<'a> {
        let label = Ident::fixed(match signal {
            Signal::Logs => "central_logs",
            Signal::Metrics => "central_metrics",
        });
        Writer {
            auth: Auth::of(&label, &remote.auth),
            url: format!("{}{path}", remote.url.as_str().trim_end_matches('/')),
            tenant: Some(self.remote_tenant(remote).to_string()),
            tls: Some(&remote.tls),
            relabel: &[],
            label,
        }
    }

    /// The tenant this cluster writes as on a central stack: the field, else the cluster name.
    pub fn remote_tenant<'a>(&'a self, remote: &'a RemoteEndpoint) -> &'a str {
        remote
            .tenant
            .as_ref()
            .map_or(self.cluster_name(), |t| t.as_str())
    }

    /// Where `mimir.rules.kubernetes` loads this cluster's PrometheusRules: this stack's Mimir,
    /// else the central stack's (as this cluster's tenant).
    pub fn rules_writer(&self) -> Option<Writer<'_>> {
        if let Some(url) = self.mimir_url() {
            let label = Ident::fixed("rules");
            return Some(Writer {
                auth: self.local_auth(&label),
                label,
                url,
                tenant: self.mimir_tenant().map(str::to_string),
                tls: None,
                relabel: &[],
            });
        }
        let remote = self.spec().remote.metrics.as_ref()?;
        let label = Ident::fixed("rules");
        Some(Writer {
            auth: Auth::of(&label, &remote.auth),
            url: remote.url.as_str().trim_end_matches('/').to_string(),
            tenant: Some(self.remote_tenant(remote).to_string()),
            tls: Some(&remote.tls),
            relabel: &[],
            label,
        })
    }
}

/// Where a writer's CA bundle is mounted in the Alloy pod.
fn ca_dir(label: &Ident) -> String {
    format!("/etc/alloy/ca/{}", label.as_str())
}

fn ca_volume(label: &Ident) -> String {
    format!("ca-{}", label.as_str().replace('_', "-"))
}

impl Writer<'_> {
    /// The HTTP client settings (credentials, TLS) as blocks and attributes of `block`.
    pub fn client<B: Statements>(&self, mut block: B) -> B {
        match &self.auth {
            Auth::None => {}
            Auth::Basic { username, password } => {
                block = block.block(
                    Block::new("basic_auth")
                        .attr("username", username.expr())
                        .attr("password", password.expr()),
                );
            }
            Auth::Bearer(token) => block = block.attr("bearer_token", token.expr()),
        }
        if let Some(tls) = self.tls.filter(|tls| !tls.is_default()) {
            let ca_file = tls
                .ca_secret
                .as_ref()
                .map(|ca| format!("{}/{}", ca_dir(&self.label), ca.key.as_str()));
            let mut tls_block = Block::new("tls_config")
                .attr_opt("ca_file", ca_file)
                .attr_opt("server_name", tls.server_name.as_ref().map(|s| s.as_str()));
            if tls.insecure_skip_verify {
                tls_block = tls_block.attr("insecure_skip_verify", true);
            }
            block = block.block(tls_block);
        }
        block
    }
}

/// The `loki.write` components of `writers` (with a `loki.relabel` in front of a writer that has
/// its own rules), and the receivers a log source forwards to.
pub fn loki_writes(writers: &[Writer], cluster: &str) -> (Vec<ComponentBlock>, Expr) {
    let mut blocks = Vec::new();
    let mut receivers = Vec::new();
    for writer in writers {
        let mut endpoint = Block::new("endpoint").attr("url", writer.url.as_str());
        if let Some(tenant) = &writer.tenant {
            endpoint = endpoint.attr("tenant_id", tenant.as_str());
        }
        let write = ComponentBlock::new(Component::LokiWrite, writer.label.clone())
            .attr("external_labels", super::logs::cluster_label(cluster))
            .block(writer.client(endpoint));
        if writer.relabel.is_empty() {
            receivers.push(write.export("receiver"));
        } else {
            let relabel = ComponentBlock::new(Component::LokiRelabel, writer.label.clone())
                .attr("forward_to", vec![write.export("receiver")])
                .blocks(writer.relabel.iter().map(|r| relabel_rule("rule", r)));
            receivers.push(relabel.export("receiver"));
            blocks.push(relabel);
        }
        blocks.push(write);
    }
    (blocks, Expr::Array(receivers))
}

/// The `prometheus.remote_write` components of `writers`: `shared` rules (the spec's
/// `writeRelabelRules`) first on every writer, then the writer's own.
pub fn remote_writes(
    writers: &[Writer],
    cluster: &str,
    shared: &[RelabelRule],
) -> (Vec<ComponentBlock>, Expr) {
    let mut blocks = Vec::new();
    let mut receivers = Vec::new();
    for writer in writers {
        let mut endpoint = Block::new("endpoint").attr("url", writer.url.as_str());
        if let Some(tenant) = &writer.tenant {
            endpoint = endpoint.attr(
                "headers",
                Expr::Object(vec![(Key::fixed("X-Scope-OrgID"), tenant.as_str().into())]),
            );
        }
        endpoint = writer.client(endpoint).blocks(
            shared
                .iter()
                .chain(writer.relabel)
                .map(|r| relabel_rule("write_relabel_config", r)),
        );
        let write = ComponentBlock::new(Component::PrometheusRemoteWrite, writer.label.clone())
            .attr("external_labels", super::logs::cluster_label(cluster))
            .block(endpoint);
        receivers.push(write.export("receiver"));
        blocks.push(write);
    }
    (blocks, Expr::Array(receivers))
}

/// What the Alloy pod needs for `writers`: `alloy.extraEnv` entries (credentials from their
/// Secrets), and the Secret volumes and mounts of the CA bundles.
pub fn pod_needs(writers: &[&Writer]) -> PodNeeds {
    let mut needs = PodNeeds::default();
    for writer in writers {
        for env in writer.auth.envs() {
            let entry = json!({
                "name": env.name,
                "valueFrom": { "secretKeyRef": { "name": env.secret, "key": env.key } },
            });
            if !needs.env.contains(&entry) {
                needs.env.push(entry);
            }
        }
        if let Some(ca) = writer.tls.and_then(|tls| tls.ca_secret.as_ref()) {
            let volume = ca_volume(&writer.label);
            needs.volumes.push(json!({
                "name": volume,
                "secret": {
                    "secretName": ca.name.as_str(),
                    "items": [ { "key": ca.key.as_str(), "path": ca.key.as_str() } ],
                },
            }));
            needs.mounts.push(json!({
                "name": volume,
                "mountPath": ca_dir(&writer.label),
                "readOnly": true,
            }));
        }
    }
    needs
}

/// See [`pod_needs`].
#[derive(Debug, Default)]
pub struct PodNeeds {
    pub env: Vec<serde_json::Value>,
    pub volumes: Vec<serde_json::Value>,
    pub mounts: Vec<serde_json::Value>,
}
