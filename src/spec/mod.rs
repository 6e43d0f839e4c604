//! `MonitoringStack` v1alpha1: the typed spec, its defaults (the seed cluster's choices) and its
//! validation. Parsing happens in [`parse`]; everything downstream works on the typed values.
//!
//! Every struct denies unknown fields and every scalar type validates itself, so errors carry the
//! field path (`spec.loki.retention`) and the message says what was expected.

pub mod dashboards;
mod parse;
mod path_de;
pub mod schema;
pub mod values;

pub use parse::{parse_stack, SpecError};
pub use values::{
    ChartVersion, DataKey, DnsLabel, DnsSubdomain, FluxDuration, HttpUrl, Image, MetricName,
    Quantity, RepoPath, Retention,
};

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub const API_VERSION: &str = "monitoring-stack.dev/v1alpha1";
pub const GROUP: &str = "monitoring-stack.dev";
pub const KIND: &str = "MonitoringStack";

/// A parsed, validated `MonitoringStack` object.
#[derive(Debug, Clone)]
pub struct MonitoringStack {
    pub name: DnsLabel,
    pub namespace: Option<String>,
    pub spec: MonitoringStackSpec,
}

/// How the output is laid out for its consumer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Layout {
    /// Control plane of Flux objects plus one Flux `Kustomization` per component folder.
    #[default]
    Flux,
    /// The component objects only (real namespaces, no Flux `Kustomization`s), for `kustomize
    /// build` and `kubectl apply`. HelmReleases stay: Flux's helm-controller installs the charts.
    Flat,
}

#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct MonitoringStackSpec {
    pub layout: Layout,
    pub cluster: ClusterSpec,
    pub flux: FluxSpec,
    pub grafana_operator: GrafanaOperatorSpec,
    pub grafana: GrafanaSpec,
    pub loki: LokiSpec,
    pub mimir: MimirSpec,
    pub alloy_operator: AlloyOperatorSpec,
    pub alloy: AlloySpec,
    pub kube_state_metrics: KubeStateMetricsSpec,
    pub node_exporter: NodeExporterSpec,
    pub prometheus_crds: PrometheusCrdsSpec,
}

impl Default for MonitoringStackSpec {
    fn default() -> Self {
        MonitoringStackSpec {
            layout: Layout::Flux,
            cluster: ClusterSpec::default(),
            flux: FluxSpec::default(),
            grafana_operator: GrafanaOperatorSpec::default(),
            grafana: GrafanaSpec::default(),
            loki: LokiSpec::default(),
            mimir: MimirSpec::default(),
            alloy_operator: AlloyOperatorSpec::default(),
            alloy: AlloySpec::default(),
            kube_state_metrics: KubeStateMetricsSpec::default(),
            node_exporter: NodeExporterSpec::default(),
            prometheus_crds: PrometheusCrdsSpec::default(),
        }
    }
}

/// Facts about the cluster the stack is deployed into (its prerequisites).
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct ClusterSpec {
    /// The `cluster` external label on every metric; defaults to the MonitoringStack's name.
    pub name: Option<DnsLabel>,
    /// Label component namespaces `istio.io/dataplane-mode: ambient`.
    pub istio_ambient: bool,
    /// StorageClass for every PersistentVolumeClaim.
    pub storage_class: DnsSubdomain,
}

impl Default for ClusterSpec {
    fn default() -> Self {
        ClusterSpec {
            name: None,
            istio_ambient: true,
            storage_class: DnsSubdomain::fixed("ssd-replicated-retain"),
        }
    }
}

/// The Flux control plane: where its objects live and where the rendered tree sits in Git.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct FluxSpec {
    /// Control-plane namespace: Flux objects only, no workloads.
    pub namespace: DnsLabel,
    /// Reconcile interval of the Kustomizations, HelmReleases and sources.
    pub interval: FluxDuration,
    /// How long a Kustomization or HelmRelease may take before it is reported failed.
    pub timeout: FluxDuration,
    /// The Flux source that holds the rendered tree.
    pub source_ref: SourceRef,
    /// Repository path of the rendered tree; component folders are below it.
    pub path: RepoPath,
}

impl Default for FluxSpec {
    fn default() -> Self {
        FluxSpec {
            namespace: DnsLabel::fixed("monitoring"),
            interval: FluxDuration::fixed("10m"),
            timeout: FluxDuration::fixed("10m"),
            source_ref: SourceRef::default(),
            path: RepoPath::fixed("./k8s/clusters/main/infrastructure/monitoring"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default, schemars::JsonSchema)]
pub enum SourceKind {
    #[default]
    GitRepository,
    OCIRepository,
    Bucket,
}

impl SourceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::GitRepository => "GitRepository",
            SourceKind::OCIRepository => "OCIRepository",
            SourceKind::Bucket => "Bucket",
        }
    }
}

#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct SourceRef {
    pub kind: SourceKind,
    pub name: DnsSubdomain,
    pub namespace: DnsLabel,
}

impl Default for SourceRef {
    fn default() -> Self {
        SourceRef {
            kind: SourceKind::GitRepository,
            name: DnsSubdomain::fixed("flux-system"),
            namespace: DnsLabel::fixed("flux-system"),
        }
    }
}

/// Container resources, as in a Pod spec, with validated quantities.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Resources {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requests: Option<ResourceAmounts>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limits: Option<ResourceAmounts>,
}

impl Resources {
    pub fn is_empty(&self) -> bool {
        self.requests.is_none() && self.limits.is_none()
    }
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ResourceAmounts {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu: Option<Quantity>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<Quantity>,
}

/// Raw Helm values merged last over what the function renders: the escape hatch for any chart
/// value the spec has no field for. Must be a mapping.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExtraValues(pub serde_yaml_ng::Mapping);

impl schemars::JsonSchema for ExtraValues {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "ExtraValues".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "object",
            "description": "Raw values merged last over what the function renders (free-form).",
            "additionalProperties": true,
        })
    }
}

impl<'de> Deserialize<'de> for ExtraValues {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        values::json_mapping(
            deserializer,
            "extra values",
            "Helm values (e.g. {replicas: 2})",
        )
        .map(ExtraValues)
    }
}

/// Receiver settings: a JSON-compatible mapping (Grafana stores them as JSON).
fn receiver_settings<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<serde_yaml_ng::Mapping, D::Error> {
    values::json_mapping(
        deserializer,
        "settings",
        "Grafana settings (e.g. {recipient: \"#ops\"})",
    )
}

/// A reference to one key of a Secret in the component's namespace.
#[derive(Debug, Clone, Deserialize, PartialEq, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SecretKeyRef {
    pub name: DnsSubdomain,
    pub key: DataKey,
}

impl SecretKeyRef {
    fn fixed(name: &'static str, key: &'static str) -> Self {
        SecretKeyRef {
            name: DnsSubdomain::fixed(name),
            key: DataKey::fixed(key),
        }
    }
}

#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct Persistence {
    pub enabled: bool,
    pub size: Quantity,
}

impl Persistence {
    fn sized(size: &'static str) -> Self {
        Persistence {
            enabled: true,
            size: Quantity::fixed(size),
        }
    }
}

impl Default for Persistence {
    fn default() -> Self {
        Persistence::sized("10Gi")
    }
}

/// A component installed by one Helm chart: switch, namespace, chart version, resources and raw
/// values.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default, bound = "")]
pub struct ChartSpec<D: ChartDefaults> {
    /// Generate this component (its folder, Kustomization and chart source).
    pub enabled: bool,
    /// The component's own namespace (the Flux Kustomization's `targetNamespace`).
    pub namespace: DnsLabel,
    /// Overrides the pinned chart version.
    pub chart_version: Option<ChartVersion>,
    /// Requests and limits of the chart's main container.
    pub resources: Resources,
    /// Raw Helm values merged last.
    pub values: ExtraValues,
    #[serde(skip)]
    defaults: std::marker::PhantomData<D>,
}

/// The per-component default of a [`ChartSpec`].
pub trait ChartDefaults {
    const NAMESPACE: &'static str;
}

impl<D: ChartDefaults> Default for ChartSpec<D> {
    fn default() -> Self {
        ChartSpec {
            enabled: true,
            namespace: DnsLabel::fixed(D::NAMESPACE),
            chart_version: None,
            resources: Resources::default(),
            values: ExtraValues::default(),
            defaults: std::marker::PhantomData,
        }
    }
}

macro_rules! chart_component {
    ($alias:ident, $marker:ident, $namespace:literal) => {
        #[derive(Debug, Clone, schemars::JsonSchema)]
        pub struct $marker;
        impl ChartDefaults for $marker {
            const NAMESPACE: &'static str = $namespace;
        }
        pub type $alias = ChartSpec<$marker>;
    };
}

chart_component!(
    GrafanaOperatorSpec,
    GrafanaOperatorDefaults,
    "grafana-operator"
);
chart_component!(AlloyOperatorSpec, AlloyOperatorDefaults, "alloy-operator");
chart_component!(
    KubeStateMetricsSpec,
    KubeStateMetricsDefaults,
    "kube-state-metrics"
);
chart_component!(NodeExporterSpec, NodeExporterDefaults, "node-exporter");

#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct GrafanaSpec {
    pub enabled: bool,
    pub namespace: DnsLabel,
    /// Public hostname of Grafana (server root URL, TLS certificate). Required when enabled.
    pub hostname: Option<DnsSubdomain>,
    /// Grafana version (image tag, or a full image reference) the operator runs; the
    /// operator's default (pinned by the operator's chart version) when unset.
    pub version: Option<String>,
    pub resources: Resources,
    pub persistence: Persistence,
    pub exposure: ExposureSpec,
    pub tls: TlsSpec,
    pub oidc: Option<OidcSpec>,
    pub alerting: AlertingSpec,
    /// Extra grafana.ini settings (section → key → value), merged over the generated ones.
    /// Values may be YAML booleans or numbers; they are written as the strings Grafana reads.
    pub config: BTreeMap<String, BTreeMap<String, values::IniValue>>,
    /// Raw fields merged last into the `Grafana` CR's `spec` (the escape hatch).
    pub values: ExtraValues,
    /// Dashboards (`GrafanaDashboard`s, a folder per area).
    pub dashboards: dashboards::DashboardsSpec,
}

impl Default for GrafanaSpec {
    fn default() -> Self {
        GrafanaSpec {
            enabled: true,
            namespace: DnsLabel::fixed("grafana"),
            hostname: None,
            version: None,
            resources: Resources::default(),
            persistence: Persistence::default(),
            exposure: ExposureSpec::default(),
            tls: TlsSpec::default(),
            oidc: None,
            alerting: AlertingSpec::default(),
            config: BTreeMap::new(),
            values: ExtraValues::default(),
            dashboards: dashboards::DashboardsSpec::default(),
        }
    }
}

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

#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
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

#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GatewayRef {
    pub name: DnsSubdomain,
    pub namespace: DnsLabel,
    /// The Gateway listener to attach to (all listeners that allow the route when unset).
    #[serde(default)]
    pub section_name: Option<DnsSubdomain>,
}

#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
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

/// Keycloak login through Grafana's `auth.generic_oauth` (the endpoint paths are Keycloak's).
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OidcSpec {
    /// Issuer URL: the Keycloak realm, e.g. `https://idp.astaup.de/realms/main`.
    pub issuer_url: values::HttpsUrl,
    #[serde(default = "OidcSpec::default_client_id")]
    pub client_id: String,
    /// Secret holding the client secret; never a literal in the output.
    #[serde(default = "OidcSpec::default_client_secret")]
    pub client_secret: SecretKeyRef,
    /// Name on the login button.
    #[serde(default = "OidcSpec::default_display_name")]
    pub display_name: String,
    #[serde(default = "OidcSpec::default_scopes")]
    pub scopes: Vec<String>,
    /// Token claim (a JMESPath path such as `groups` or `realm_access.roles`) that lists the
    /// user's groups or roles.
    #[serde(default = "OidcSpec::default_groups_claim")]
    pub groups_claim: String,
    /// Members of this group become Grafana admins.
    #[serde(default = "OidcSpec::default_admin_group")]
    pub admin_group: String,
    /// Members of this group become editors.
    #[serde(default)]
    pub editor_group: Option<String>,
    /// Role of every other user.
    #[serde(default)]
    pub default_role: GrafanaRole,
}

impl OidcSpec {
    fn default_client_id() -> String {
        "grafana".into()
    }
    fn default_client_secret() -> SecretKeyRef {
        SecretKeyRef::fixed("grafana-oidc", "client-secret")
    }
    fn default_display_name() -> String {
        "Keycloak".into()
    }
    fn default_scopes() -> Vec<String> {
        ["openid", "email", "profile", "offline_access", "roles"]
            .map(String::from)
            .to_vec()
    }
    fn default_groups_claim() -> String {
        "groups".into()
    }
    fn default_admin_group() -> String {
        "grafana-admins".into()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default, schemars::JsonSchema)]
pub enum GrafanaRole {
    #[default]
    Viewer,
    Editor,
    Admin,
}

#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct AlertingSpec {
    /// The stack's own alert rules (targets down, ingestion failing, collectors silent, disks
    /// filling).
    pub default_rules: bool,
    pub slack: SlackSpec,
    /// Notification grouping of the policy's root route.
    pub group_by: Vec<values::LabelName>,
    pub group_wait: values::AlertDuration,
    pub group_interval: values::AlertDuration,
    pub repeat_interval: values::AlertDuration,
    /// Extra rule groups, each a `GrafanaAlertRuleGroup`.
    pub rule_groups: Vec<RuleGroupSpec>,
    /// Extra contact points, each a `GrafanaContactPoint`, routed to by label matchers.
    pub contact_points: Vec<ContactPointSpec>,
    /// The contact point of the policy's root route: every alert no matcher route takes goes
    /// there. Unset: `slack` when Slack is on, else the first contact point without matchers
    /// (a contact point with matchers is meant for its matching alerts only); with Slack off
    /// and every contact point matching, it must be set.
    pub root_receiver: Option<DnsLabel>,
}

impl Default for AlertingSpec {
    fn default() -> Self {
        AlertingSpec {
            default_rules: true,
            slack: SlackSpec::default(),
            group_by: vec![
                values::LabelName::parse("grafana_folder").expect("valid label name"),
                values::LabelName::parse("alertname").expect("valid label name"),
            ],
            group_wait: values::AlertDuration::fixed("30s"),
            group_interval: values::AlertDuration::fixed("5m"),
            repeat_interval: values::AlertDuration::fixed("4h"),
            rule_groups: Vec::new(),
            contact_points: Vec::new(),
            root_receiver: None,
        }
    }
}

#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct SlackSpec {
    pub enabled: bool,
    pub channel: values::SlackChannel,
    /// Secret key holding the Slack incoming-webhook URL.
    pub webhook_secret: SecretKeyRef,
}

impl Default for SlackSpec {
    fn default() -> Self {
        SlackSpec {
            enabled: true,
            channel: values::SlackChannel::fixed("#it-alerts"),
            webhook_secret: SecretKeyRef::fixed("grafana-slack-webhook", "url"),
        }
    }
}

impl SlackSpec {
    /// Name of the Slack contact point (what notification routes refer to).
    pub const CONTACT_POINT: &'static str = "slack";
}

impl AlertingSpec {
    /// The root route's receiver: `rootReceiver`, else Slack when it is on, else the first
    /// contact point without matchers. `None` when there is none (validation reports it when
    /// there are contact points).
    pub fn root_receiver(&self) -> Option<&str> {
        if let Some(root) = &self.root_receiver {
            return Some(root.as_str());
        }
        if self.slack.enabled {
            return Some(SlackSpec::CONTACT_POINT);
        }
        self.contact_points
            .iter()
            .find(|point| point.matchers.is_empty())
            .map(|point| point.name.as_str())
    }

    /// Prefix of the default rule groups' names and the default rules' uids; users' groups
    /// and rules may not use it.
    pub const RESERVED_PREFIX: &'static str = "stack-";
}

/// A user rule group: one `GrafanaAlertRuleGroup`.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RuleGroupSpec {
    /// Object and group name.
    pub name: DnsLabel,
    /// Evaluation interval.
    #[serde(default = "RuleGroupSpec::default_interval")]
    pub interval: values::AlertDuration,
    /// Grafana folder (uid and title); the stack's folder when unset.
    #[serde(default)]
    pub folder: Option<DnsLabel>,
    pub rules: Vec<AlertRuleSpec>,
}

impl RuleGroupSpec {
    fn default_interval() -> values::AlertDuration {
        values::AlertDuration::fixed("1m")
    }
}

/// One alert rule: a query whose per-series value is compared with a threshold.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AlertRuleSpec {
    /// Stable rule uid (letters, digits, `-`, `_`; at most 40).
    pub uid: values::GrafanaUid,
    pub title: String,
    #[serde(default)]
    pub datasource: RuleDatasource,
    /// PromQL (mimir) or LogQL metric query (loki), evaluated as an instant query.
    pub expr: values::QueryExpr,
    /// Fires for series whose value is above this; exactly one of `above` / `below`
    /// (`above: 0` when neither is set).
    #[serde(default)]
    pub above: Option<f64>,
    #[serde(default)]
    pub below: Option<f64>,
    /// How long the condition must hold before the alert fires.
    #[serde(rename = "for", default = "AlertRuleSpec::default_for")]
    pub for_duration: values::AlertDuration,
    #[serde(default)]
    pub severity: Severity,
    /// The `summary` annotation (defaults to the title).
    #[serde(default)]
    pub summary: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub labels: BTreeMap<values::LabelName, String>,
    #[serde(default)]
    pub annotations: BTreeMap<values::LabelName, String>,
    /// State when the query returns nothing (`OK`: a filtering query found no problem).
    #[serde(default)]
    pub no_data_state: NoDataState,
}

impl AlertRuleSpec {
    fn default_for() -> values::AlertDuration {
        values::AlertDuration::fixed("5m")
    }
}

/// The datasource a rule queries (by its stable uid).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum RuleDatasource {
    #[default]
    Mimir,
    Loki,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Critical,
    #[default]
    Warning,
    Info,
}

/// Grafana's `noDataState`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default, schemars::JsonSchema)]
pub enum NoDataState {
    #[default]
    OK,
    NoData,
    Alerting,
    KeepLast,
}

/// A user contact point: one `GrafanaContactPoint`, plus a route to it.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ContactPointSpec {
    /// Object and contact point name (what routes refer to).
    pub name: DnsLabel,
    pub receivers: Vec<ReceiverSpec>,
    /// Alerts matching all of these go to this contact point (a child route of the policy);
    /// with none, only rules that name it in their notification settings reach it.
    #[serde(default)]
    pub matchers: Vec<MatcherSpec>,
    /// Keep matching the following routes after this one.
    #[serde(default, rename = "continue")]
    pub continue_matching: bool,
}

/// One Grafana receiver (integration).
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReceiverSpec {
    /// Integration type (`slack`, `email`, `webhook`, `pagerduty`, ...).
    #[serde(rename = "type")]
    pub kind: String,
    /// Non-secret settings, passed through.
    #[serde(default, deserialize_with = "receiver_settings")]
    #[schemars(with = "serde_json::Map<String, serde_json::Value>")]
    pub settings: serde_yaml_ng::Mapping,
    /// Secret settings: setting path → Secret key (the operator's `valuesFrom`).
    #[serde(default)]
    pub secrets: BTreeMap<String, SecretKeyRef>,
    #[serde(default)]
    pub disable_resolve_message: bool,
}

/// One label matcher of a notification route.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MatcherSpec {
    pub label: values::LabelName,
    #[serde(default)]
    pub op: MatchOp,
    pub value: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default, schemars::JsonSchema)]
pub enum MatchOp {
    #[default]
    #[serde(rename = "=")]
    Equal,
    #[serde(rename = "!=")]
    NotEqual,
    #[serde(rename = "=~")]
    Regex,
    #[serde(rename = "!~")]
    NotRegex,
}

/// Which COSI API the cluster's driver speaks (it decides the credentials Secret's format).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum CosiApiVersion {
    /// `objectstorage.k8s.io/v1alpha1`: one key `BucketInfo` holding JSON (the seed's Garage).
    #[default]
    V1alpha1,
    /// `objectstorage.k8s.io/v1alpha2`: flat `COSI_S3_*` keys.
    V1alpha2,
}

/// Object storage through COSI: the bucket claim, the access and the setup Job.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct StorageSpec {
    pub bucket_class: DnsSubdomain,
    pub bucket_access_class: DnsSubdomain,
    pub cosi_api_version: CosiApiVersion,
    /// Region written to the S3 Secret when the COSI driver publishes none (Garage's default).
    pub fallback_region: DnsLabel,
    /// Image of the credentials setup Job (kubectl, jq, sh), pinned by tag or digest.
    pub setup_image: Option<Image>,
}

impl Default for StorageSpec {
    fn default() -> Self {
        StorageSpec {
            bucket_class: DnsSubdomain::fixed("garage-ssd"),
            bucket_access_class: DnsSubdomain::fixed("garage-ssd"),
            cosi_api_version: CosiApiVersion::V1alpha1,
            fallback_region: DnsLabel::fixed("garage"),
            setup_image: None,
        }
    }
}

#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct LokiSpec {
    pub enabled: bool,
    pub namespace: DnsLabel,
    pub chart_version: Option<ChartVersion>,
    /// How long logs are kept (compactor retention).
    pub retention: Retention,
    /// Replicas of each stateful/read/write component (ingester, distributor, querier, ...).
    pub replicas: u32,
    /// Require a tenant (`X-Scope-OrgID`) on every push and query.
    pub multi_tenancy: bool,
    /// The tenant the collectors write as and Grafana reads as, when multi-tenancy is on;
    /// defaults to the cluster name.
    pub tenant: Option<DnsLabel>,
    pub resources: Resources,
    pub persistence: Persistence,
    pub storage: StorageSpec,
    pub values: ExtraValues,
}

impl Default for LokiSpec {
    fn default() -> Self {
        LokiSpec {
            enabled: true,
            namespace: DnsLabel::fixed("loki"),
            chart_version: None,
            retention: Retention::fixed("30d"),
            replicas: 3,
            multi_tenancy: false,
            tenant: None,
            resources: Resources::default(),
            persistence: Persistence::default(),
            storage: StorageSpec::default(),
            values: ExtraValues::default(),
        }
    }
}

#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct MimirSpec {
    pub enabled: bool,
    pub namespace: DnsLabel,
    pub chart_version: Option<ChartVersion>,
    /// How long metric blocks are kept.
    pub retention: Retention,
    pub replicas: u32,
    /// Spread ingesters and store-gateways over zones.
    pub zone_awareness: bool,
    /// Require a tenant (`X-Scope-OrgID`) on every push and query.
    pub multi_tenancy: bool,
    /// The tenant the collectors write as and Grafana reads as, when multi-tenancy is on;
    /// defaults to the cluster name.
    pub tenant: Option<DnsLabel>,
    pub resources: Resources,
    pub persistence: Persistence,
    pub storage: StorageSpec,
    pub values: ExtraValues,
    /// The mixins' recording and alerting rules, evaluated by Mimir's ruler.
    pub rules: dashboards::RulesSpec,
}

impl Default for MimirSpec {
    fn default() -> Self {
        MimirSpec {
            enabled: true,
            namespace: DnsLabel::fixed("mimir"),
            chart_version: None,
            retention: Retention::fixed("30d"),
            replicas: 3,
            zone_awareness: false,
            multi_tenancy: false,
            tenant: None,
            resources: Resources::default(),
            persistence: Persistence::sized("20Gi"),
            storage: StorageSpec::default(),
            values: ExtraValues::default(),
            rules: dashboards::RulesSpec::default(),
        }
    }
}

#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct AlloySpec {
    pub enabled: bool,
    pub namespace: DnsLabel,
    pub logs: AlloyLogsSpec,
    pub metrics: AlloyMetricsSpec,
    /// Kubernetes events to Loki, collected once for the cluster (`alloy-events`).
    pub events: AlloyEventsSpec,
    /// Node journal logs (kubelet, container runtime) to Loki (`alloy-node-logs`): opt-in, in a
    /// privileged namespace of its own.
    pub node_logs: AlloyNodeLogsSpec,
}

impl Default for AlloySpec {
    fn default() -> Self {
        AlloySpec {
            enabled: true,
            namespace: DnsLabel::fixed("alloy"),
            logs: AlloyLogsSpec::default(),
            metrics: AlloyMetricsSpec::default(),
            events: AlloyEventsSpec::default(),
            node_logs: AlloyNodeLogsSpec::default(),
        }
    }
}

/// The derived defaults are the intended ones: the collector follows Loki and watches every
/// namespace.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct AlloyEventsSpec {
    /// The `alloy-events` Deployment (one replica: each event is sent once). Unset: on exactly
    /// when Loki is on; `true` while `loki.enabled` is `false` is an error.
    pub enabled: Option<bool>,
    /// Namespaces whose events are collected; empty: all.
    pub namespaces: Vec<DnsLabel>,
    pub resources: Resources,
    /// Extra values for the `Alloy` CR's spec (the Alloy chart's values), merged last.
    pub values: ExtraValues,
}

impl AlloyEventsSpec {
    /// Whether the events collector runs, given whether Loki does.
    pub fn runs(&self, loki_enabled: bool) -> bool {
        self.enabled.unwrap_or(loki_enabled)
    }
}

#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct AlloyNodeLogsSpec {
    /// The `alloy-node-logs` DaemonSet reading each node's systemd journal. Off by default: it
    /// mounts the host's journal (hostPath) and runs as root, so it lives in a namespace of its
    /// own labelled Pod Security `privileged`; `true` while `loki.enabled` is `false` is an
    /// error.
    pub enabled: bool,
    /// Its namespace (Pod Security `privileged`); must differ from every other component's.
    pub namespace: DnsLabel,
    /// systemd units whose journal entries are collected.
    pub units: Vec<values::SystemdUnit>,
    pub resources: Resources,
    /// Extra values for the `Alloy` CR's spec (the Alloy chart's values), merged last.
    pub values: ExtraValues,
}

impl Default for AlloyNodeLogsSpec {
    fn default() -> Self {
        AlloyNodeLogsSpec {
            enabled: false,
            namespace: DnsLabel::fixed("alloy-node-logs"),
            units: [
                "kubelet.service",
                "containerd.service",
                "crio.service",
                "docker.service",
            ]
            .into_iter()
            .map(values::SystemdUnit::fixed)
            .collect(),
            resources: Resources::default(),
            values: ExtraValues::default(),
        }
    }
}

/// Control-plane scrapes of `alloy-metrics`. Managed clusters (EKS, GKE, AKS, ...) run the
/// scheduler, controller-manager and etcd out of reach: leave those off there.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct ControlPlaneSpec {
    /// The API server through the `kubernetes` Service's endpoints (job `apiserver`).
    pub api_server: bool,
    /// CoreDNS: `k8s-app=kube-dns` pods in `kube-system`, port 9153 (job `coredns`).
    pub core_dns: bool,
    /// kube-scheduler: `component=kube-scheduler` pods in `kube-system`, https port 10259 (job
    /// `kube-scheduler`). kubeadm binds it to 127.0.0.1 unless `--bind-address` says otherwise.
    pub scheduler: bool,
    /// kube-controller-manager: `component=kube-controller-manager` pods in `kube-system`,
    /// https port 10257 (job `kube-controller-manager`); same binding caveat as the scheduler.
    pub controller_manager: bool,
    /// etcd: `component=etcd` pods in `kube-system`, http port 2381 (job `etcd`); kubeadm
    /// serves it on 127.0.0.1 unless `--listen-metrics-urls` says otherwise.
    pub etcd: bool,
}

impl Default for ControlPlaneSpec {
    fn default() -> Self {
        ControlPlaneSpec {
            api_server: true,
            core_dns: true,
            scheduler: false,
            controller_manager: false,
            etcd: false,
        }
    }
}

/// Metric allow-lists: only the series the shipped dashboards, rules and alerts read are kept
/// from the noisiest sources. Each list adds to the built-in one (`monitoring-stack render FILE
/// --report` prints the result).
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct AllowListsSpec {
    /// `false`: keep every series of every source (no allow-list anywhere).
    pub enabled: bool,
    /// Metric names kept from cAdvisor besides the built-in list.
    pub cadvisor: Vec<values::MetricName>,
    /// Metric names kept from the kubelet besides the built-in list.
    pub kubelet: Vec<values::MetricName>,
    /// Metric names kept from the API server besides the built-in list.
    pub api_server: Vec<values::MetricName>,
    /// Metric names kept from kube-state-metrics besides the built-in list.
    pub kube_state_metrics: Vec<values::MetricName>,
    /// Metric names kept from node-exporter besides the built-in list.
    pub node_exporter: Vec<values::MetricName>,
}

impl Default for AllowListsSpec {
    fn default() -> Self {
        AllowListsSpec {
            enabled: true,
            cadvisor: Vec::new(),
            kubelet: Vec::new(),
            api_server: Vec::new(),
            kube_state_metrics: Vec::new(),
            node_exporter: Vec::new(),
        }
    }
}

/// The derived defaults are the intended ones: the collector follows Loki, every namespace is
/// collected, no rules are added.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct AlloyLogsSpec {
    /// The `alloy-logs` DaemonSet. Unset: on exactly when Loki is on (there is nowhere else to
    /// send logs); `true` while `loki.enabled` is `false` is an error.
    pub enabled: Option<bool>,
    /// Namespaces whose pod logs are not collected.
    pub exclude_namespaces: Vec<DnsLabel>,
    /// Relabel rules run on every discovered container after the built-in ones (the
    /// `namespace`, `pod`, `container`, `app`, `job` labels): drop pods, add or rewrite labels.
    pub relabel_rules: Vec<RelabelRule>,
    pub resources: Resources,
    /// Extra values for the `Alloy` CR's spec (the Alloy chart's values), merged last.
    pub values: ExtraValues,
}

impl AlloyLogsSpec {
    /// Whether the logs collector runs, given whether Loki does.
    pub fn runs(&self, loki_enabled: bool) -> bool {
        self.enabled.unwrap_or(loki_enabled)
    }
}

/// One Prometheus-style relabel rule (an Alloy `rule` / `write_relabel_config` block). Fields and
/// defaults as in Alloy: action `replace`, separator `;`, regex `(.*)`, replacement `$1`.
#[derive(Debug, Clone, Deserialize, PartialEq, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RelabelRule {
    #[serde(default)]
    pub action: RelabelAction,
    #[serde(default)]
    pub source_labels: Vec<values::LabelName>,
    #[serde(default)]
    pub separator: Option<String>,
    /// An RE2 expression (anchored at both ends by Alloy).
    #[serde(default)]
    pub regex: Option<values::RelabelRegex>,
    /// Required by `hashmod`.
    #[serde(default)]
    pub modulus: Option<u64>,
    /// Required by `replace`, `hashmod`, `lowercase`, `uppercase`, `keepequal`, `dropequal`.
    #[serde(default)]
    pub target_label: Option<values::TargetLabel>,
    #[serde(default)]
    pub replacement: Option<String>,
}

/// The relabel actions Alloy accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum RelabelAction {
    #[default]
    Replace,
    Keep,
    Drop,
    Hashmod,
    Labelmap,
    Labeldrop,
    Labelkeep,
    Lowercase,
    Uppercase,
    Keepequal,
    Dropequal,
}

impl RelabelAction {
    pub fn as_str(self) -> &'static str {
        match self {
            RelabelAction::Replace => "replace",
            RelabelAction::Keep => "keep",
            RelabelAction::Drop => "drop",
            RelabelAction::Hashmod => "hashmod",
            RelabelAction::Labelmap => "labelmap",
            RelabelAction::Labeldrop => "labeldrop",
            RelabelAction::Labelkeep => "labelkeep",
            RelabelAction::Lowercase => "lowercase",
            RelabelAction::Uppercase => "uppercase",
            RelabelAction::Keepequal => "keepequal",
            RelabelAction::Dropequal => "dropequal",
        }
    }
}

/// A static scrape job of the metrics collector, for targets no ServiceMonitor or PodMonitor
/// can describe (hosts outside the cluster, a router, a NAS).
#[derive(Debug, Clone, Deserialize, PartialEq, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExtraScrape {
    /// The `job` label of the scraped series; unique among `extraScrapes`.
    pub name: DnsLabel,
    /// `host:port` of each target.
    pub targets: Vec<values::ScrapeTarget>,
    #[serde(default = "ExtraScrape::default_metrics_path")]
    pub metrics_path: values::UrlPath,
    #[serde(default)]
    pub scheme: ScrapeScheme,
    /// Overrides `scrapeInterval` for this job.
    #[serde(default)]
    pub interval: Option<FluxDuration>,
    /// Labels added to every series of these targets.
    #[serde(default)]
    pub labels: BTreeMap<values::LabelName, String>,
}

impl ExtraScrape {
    fn default_metrics_path() -> values::UrlPath {
        values::UrlPath::fixed("/metrics")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ScrapeScheme {
    #[default]
    Http,
    Https,
}

impl ScrapeScheme {
    pub fn as_str(self) -> &'static str {
        match self {
            ScrapeScheme::Http => "http",
            ScrapeScheme::Https => "https",
        }
    }
}

#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct AlloyMetricsSpec {
    /// The `alloy-metrics` StatefulSet. Unset: on exactly when Mimir is on; `true` while
    /// `mimir.enabled` is `false` is an error.
    pub enabled: Option<bool>,
    /// Clustered StatefulSet replicas sharing the scrape targets.
    pub replicas: u32,
    /// Scrape interval of targets whose monitor sets none, of the kubelet, cAdvisor and the
    /// extra scrapes.
    pub scrape_interval: FluxDuration,
    /// Scrape the kubelet on every node (job `kubelet`).
    pub scrape_kubelet: bool,
    /// Scrape cAdvisor (container CPU, memory, network) on every node (job `cadvisor`).
    pub scrape_cadvisor: bool,
    /// Static scrape jobs, besides every PodMonitor and ServiceMonitor in the cluster.
    pub extra_scrapes: Vec<ExtraScrape>,
    /// Relabel rules run on every series before it is written to Mimir (drop expensive
    /// metrics, rename labels).
    pub write_relabel_rules: Vec<RelabelRule>,
    pub resources: Resources,
    pub values: ExtraValues,
    /// API server, CoreDNS, scheduler, controller-manager, etcd.
    pub control_plane: ControlPlaneSpec,
    /// Per-source metric allow-lists (cAdvisor, kubelet, API server, kube-state-metrics,
    /// node-exporter).
    pub allow_lists: AllowListsSpec,
    /// Scrape pods annotated `prometheus.io/scrape: "true"` or `k8s.grafana.com/scrape: "true"`
    /// (port, path and scheme from the matching `.../port`, `/path`, `/scheme` annotations),
    /// for workloads that ship no ServiceMonitor or PodMonitor (job `annotations`).
    pub annotation_autodiscovery: bool,
}

impl AlloyMetricsSpec {
    /// Whether the metrics collector runs, given whether Mimir does.
    pub fn runs(&self, mimir_enabled: bool) -> bool {
        self.enabled.unwrap_or(mimir_enabled)
    }
}

impl Default for AlloyMetricsSpec {
    fn default() -> Self {
        AlloyMetricsSpec {
            enabled: None,
            replicas: 2,
            scrape_interval: FluxDuration::fixed("60s"),
            scrape_kubelet: true,
            scrape_cadvisor: true,
            extra_scrapes: Vec::new(),
            write_relabel_rules: Vec::new(),
            resources: Resources::default(),
            values: ExtraValues::default(),
            control_plane: ControlPlaneSpec::default(),
            allow_lists: AllowListsSpec::default(),
            annotation_autodiscovery: false,
        }
    }
}

/// The prometheus-operator CRDs (PodMonitor, ServiceMonitor, PrometheusRule), installed as a
/// HelmRelease in the control-plane namespace.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct PrometheusCrdsSpec {
    pub enabled: bool,
    pub chart_version: Option<ChartVersion>,
    pub values: ExtraValues,
}

impl Default for PrometheusCrdsSpec {
    fn default() -> Self {
        PrometheusCrdsSpec {
            enabled: true,
            chart_version: None,
            values: ExtraValues::default(),
        }
    }
}
