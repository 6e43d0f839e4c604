//! `spec.grafana` and `spec.grafanaOperator`: Grafana's types (exposure, OIDC, alerting) and
//! its checks. The dashboards are in [`super::dashboards`].

use super::*;
use serde::Deserialize;
use serde_yaml_ng::Value;
use std::collections::BTreeMap;

chart_component!(
    GrafanaOperatorSpec,
    GrafanaOperatorDefaults,
    "grafana-operator"
);

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

/// Grafana's cross-field rules: required-when values, settings that only fit one exposure
/// type, OIDC role mapping, grafana.ini keys, and the users' rule groups and contact points
/// (no secret literals, unique names and uids).
pub(super) fn check_grafana(spec: &MonitoringStackSpec, errors: &mut Vec<SpecError>) {
    use super::{AlertingSpec, ExposureType, RuleDatasource, SlackSpec};
    const RESERVED_PREFIX: &str = AlertingSpec::RESERVED_PREFIX;
    const SLACK_RECEIVER: &str = SlackSpec::CONTACT_POINT;
    let grafana = &spec.grafana;
    if !grafana.enabled {
        return;
    }
    grafana.dashboards.check(errors);
    let mut error = |path: String, message: String| errors.push(SpecError::new(path, message));
    if grafana.hostname.is_none() {
        error(
            "spec.grafana.hostname".into(),
            "required when Grafana is enabled: its public hostname (e.g. grafana.example.com)"
                .into(),
        );
    }
    let exposure = &grafana.exposure;
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
    if let Some(version) = &grafana.version {
        if version.is_empty()
            || version.chars().any(|c| c.is_whitespace() || c.is_control())
            || version == "latest"
            || version.ends_with(":latest")
        {
            error(
                "spec.grafana.version".into(),
                format!("{version:?} is not a pinned Grafana version (e.g. \"12.1.1\" or a full image reference with a tag)"),
            );
        }
    }

    if let Some(oidc) = &grafana.oidc {
        if oidc.client_id.is_empty() || oidc.client_id.chars().any(char::is_whitespace) {
            error(
                "spec.grafana.oidc.clientId".into(),
                "must be a client id without spaces (e.g. \"grafana\")".into(),
            );
        }
        if oidc.display_name.trim().is_empty() {
            error(
                "spec.grafana.oidc.displayName".into(),
                "must not be empty".into(),
            );
        }
        if !oidc.scopes.iter().any(|s| s == "openid") {
            error(
                "spec.grafana.oidc.scopes".into(),
                "must include \"openid\" (e.g. [openid, email, profile, offline_access, roles])"
                    .into(),
            );
        }
        for (i, scope) in oidc.scopes.iter().enumerate() {
            if scope.is_empty() || scope.chars().any(char::is_whitespace) {
                error(
                    format!("spec.grafana.oidc.scopes[{i}]"),
                    format!("{scope:?} is not a scope name (one word per list item)"),
                );
            }
        }
        let identifier = |part: &str| {
            let mut chars = part.chars();
            chars
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        };
        if !oidc.groups_claim.split('.').all(identifier) {
            error(
                "spec.grafana.oidc.groupsClaim".into(),
                format!(
                    "{:?} is not a claim path (names of letters, digits and '_' joined by '.', e.g. \"groups\" or \"realm_access.roles\")",
                    oidc.groups_claim
                ),
            );
        }
        let groups = [
            ("adminGroup", Some(&oidc.admin_group)),
            ("editorGroup", oidc.editor_group.as_ref()),
        ];
        for (field, group) in groups {
            if let Some(group) = group {
                if group.is_empty() || group.contains(['\'', '\\']) {
                    error(
                        format!("spec.grafana.oidc.{field}"),
                        format!("{group:?} must be a non-empty group name without quotes or backslashes"),
                    );
                }
            }
        }
        // Every OIDC string lands in a grafana.ini `key = value` line.
        let mut ini_fields: Vec<(String, &str)> = vec![
            ("displayName".into(), oidc.display_name.as_str()),
            ("clientId".into(), oidc.client_id.as_str()),
            ("groupsClaim".into(), oidc.groups_claim.as_str()),
            ("adminGroup".into(), oidc.admin_group.as_str()),
        ];
        if let Some(editors) = &oidc.editor_group {
            ini_fields.push(("editorGroup".into(), editors.as_str()));
        }
        for (i, scope) in oidc.scopes.iter().enumerate() {
            ini_fields.push((format!("scopes[{i}]"), scope.as_str()));
        }
        for (field, value) in ini_fields {
            if let Err(message) = check_ini_text(value, false) {
                error(format!("spec.grafana.oidc.{field}"), message);
            }
        }
        let issuer = oidc.issuer_url.as_str();
        if issuer.contains(['?', '#']) || issuer.chars().any(char::is_control) {
            error(
                "spec.grafana.oidc.issuerUrl".into(),
                format!("{issuer:?}: the issuer URL takes no query, fragment or control characters (Keycloak's endpoint paths are appended to it)"),
            );
        }
    }

    for (section, settings) in &grafana.config {
        let name_ok = |name: &str| {
            !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
        };
        if !name_ok(section) {
            error(
                format!("spec.grafana.config.{section}"),
                "is not a grafana.ini section name (letters, digits, '_', '.', '-')".into(),
            );
        }
        for (key, value) in settings {
            let path = format!("spec.grafana.config.{section}.{key}");
            if !name_ok(key) {
                error(
                    path.clone(),
                    "is not a grafana.ini key (letters, digits, '_', '.', '-')".into(),
                );
            }
            let value = value.as_str();
            if let Err(message) = check_ini_text(value, true) {
                error(path.clone(), message);
            }
            let from_env_or_file = value.starts_with("$__env{") || value.starts_with("$__file{");
            let flag = matches!(value, "" | "true" | "false");
            if (is_secret_ini_key(key) && !flag && !from_env_or_file)
                || looks_like_credential(value)
            {
                error(
                    path,
                    "looks like a secret (a password, token, key, or a URL with a password): never write it literally; use \"$__env{VAR}\" with the variable set from a Secret (grafana.values.deployment), or \"$__file{/path}\"".into(),
                );
            }
        }
    }

    // The escape hatch reaches grafana.ini too: `values.config` is merged into the CR's
    // `spec.config`, so its strings follow the same rules.
    if let Some(Value::Mapping(sections)) = grafana.values.0.get("config") {
        for (section, settings) in sections {
            let (Some(section), Value::Mapping(settings)) = (section.as_str(), settings) else {
                continue;
            };
            for (key, value) in settings {
                let (Some(key), Some(value)) = (key.as_str(), value.as_str()) else {
                    continue;
                };
                let path = format!("spec.grafana.values.config.{section}.{key}");
                if let Err(message) = check_ini_text(value, true) {
                    error(path, message);
                } else if looks_like_credential(value)
                    || (is_secret_ini_key(key)
                        && !matches!(value, "" | "true" | "false")
                        && !value.starts_with("$__env{")
                        && !value.starts_with("$__file{"))
                {
                    error(
                        path,
                        "looks like a secret: never write it literally; use \"$__env{VAR}\" with the variable set from a Secret (grafana.values.deployment), or \"$__file{/path}\"".into(),
                    );
                }
            }
        }
    }

    let alerting = &grafana.alerting;
    if alerting.group_interval.seconds() == 0 {
        error(
            "spec.grafana.alerting.groupInterval".into(),
            "must be above zero: Grafana refuses a zero group_interval (e.g. \"5m\")".into(),
        );
    }
    if alerting.repeat_interval.seconds() < alerting.group_interval.seconds() {
        error(
            "spec.grafana.alerting.repeatInterval".into(),
            "must not be shorter than groupInterval (notifications are sent per group interval)"
                .into(),
        );
    }
    let mut group_names = Vec::new();
    let mut uids = Vec::new();
    for (g, group) in alerting.rule_groups.iter().enumerate() {
        let path = format!("spec.grafana.alerting.ruleGroups[{g}]");
        let name = group.name.as_str();
        if name.starts_with(RESERVED_PREFIX) {
            error(
                format!("{path}.name"),
                format!("names starting with {RESERVED_PREFIX:?} are reserved for the stack's default rule groups"),
            );
        }
        if group_names.contains(&name) {
            error(
                format!("{path}.name"),
                format!("rule group {name:?} is defined twice"),
            );
        }
        group_names.push(name);
        if group.interval.seconds() == 0 {
            error(
                format!("{path}.interval"),
                "must be above zero (e.g. \"1m\")".into(),
            );
        } else if group.interval.seconds() % 10 != 0 {
            error(
                format!("{path}.interval"),
                format!(
                    "{:?}: Grafana evaluates rule groups every multiple of its 10s scheduler interval (e.g. \"30s\" or \"1m\")",
                    group.interval.as_str()
                ),
            );
        }
        if group.rules.is_empty() {
            error(
                format!("{path}.rules"),
                "a rule group needs at least one rule".into(),
            );
        }
        for (r, rule) in group.rules.iter().enumerate() {
            let path = format!("{path}.rules[{r}]");
            let uid = rule.uid.as_str();
            if uid.starts_with(RESERVED_PREFIX) {
                error(
                    format!("{path}.uid"),
                    format!("uids starting with {RESERVED_PREFIX:?} are reserved for the stack's default rules"),
                );
            }
            if uids.contains(&uid) {
                error(
                    format!("{path}.uid"),
                    format!("rule uid {uid:?} is used twice"),
                );
            }
            uids.push(uid);
            if rule.title.trim().is_empty() || rule.title.len() > 190 {
                error(
                    format!("{path}.title"),
                    "must be 1 to 190 characters".into(),
                );
            }
            match (rule.above, rule.below) {
                (Some(_), Some(_)) => error(
                    format!("{path}.below"),
                    "set either `above` or `below`, not both".into(),
                ),
                (Some(t), None) | (None, Some(t)) if !t.is_finite() => error(
                    format!(
                        "{path}.{}",
                        if rule.above.is_some() {
                            "above"
                        } else {
                            "below"
                        }
                    ),
                    "must be a finite number".into(),
                ),
                _ => {}
            }
            let (enabled, component) = match rule.datasource {
                RuleDatasource::Mimir => (spec.mimir.enabled, "mimir"),
                RuleDatasource::Loki => (spec.loki.enabled, "loki"),
            };
            if !enabled {
                error(
                    format!("{path}.datasource"),
                    format!("queries {component}, which is switched off"),
                );
            }
            // Grafana runs labels and annotations through Go's text/template.
            let templated = std::iter::once(("summary".to_string(), rule.summary.as_deref()))
                .chain(std::iter::once((
                    "description".to_string(),
                    rule.description.as_deref(),
                )))
                .chain(
                    rule.labels
                        .iter()
                        .map(|(k, v)| (format!("labels.{k}"), Some(v.as_str()))),
                )
                .chain(
                    rule.annotations
                        .iter()
                        .map(|(k, v)| (format!("annotations.{k}"), Some(v.as_str()))),
                );
            for (field, text) in templated {
                if let Some(Err(message)) = text.map(check_template) {
                    error(format!("{path}.{field}"), message);
                }
            }
            if rule.title.chars().any(char::is_control) {
                error(
                    format!("{path}.title"),
                    "a rule title is one line without control characters".into(),
                );
            }
            if rule.labels.keys().any(|k| k.as_str() == "severity") {
                error(
                    format!("{path}.labels.severity"),
                    "set the rule's `severity` field instead".into(),
                );
            }
        }
    }

    let mut receiver_names: Vec<&str> = Vec::new();
    if alerting.slack.enabled {
        receiver_names.push(SLACK_RECEIVER);
    }
    for (c, point) in alerting.contact_points.iter().enumerate() {
        let path = format!("spec.grafana.alerting.contactPoints[{c}]");
        let name = point.name.as_str();
        if receiver_names.contains(&name) {
            error(
                format!("{path}.name"),
                format!("contact point {name:?} already exists (the Slack contact point is named {SLACK_RECEIVER:?})"),
            );
        }
        receiver_names.push(name);
        for (m, matcher) in point.matchers.iter().enumerate() {
            let at = format!("{path}.matchers[{m}].value");
            let value = matcher.value.as_str();
            if value.chars().any(char::is_control) {
                error(
                    at.clone(),
                    format!("{value:?}: a label value to match has no line breaks or control characters"),
                );
            }
            if matches!(matcher.op, super::MatchOp::Regex | super::MatchOp::NotRegex) {
                if let Err(message) = super::values::RelabelRegex::parse(value) {
                    error(at, message);
                }
            }
        }
        if point.receivers.is_empty() {
            error(
                format!("{path}.receivers"),
                "a contact point needs at least one receiver".into(),
            );
        }
        for (r, receiver) in point.receivers.iter().enumerate() {
            let path = format!("{path}.receivers[{r}]");
            let kind_ok = !receiver.kind.is_empty()
                && receiver
                    .kind
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
            if !kind_ok {
                error(
                    format!("{path}.type"),
                    format!("{:?} is not a Grafana integration type (e.g. slack, email, webhook, pagerduty)", receiver.kind),
                );
            }
            for secret_path in secret_settings(&receiver.settings, "") {
                error(
                    format!("{path}.settings.{secret_path}"),
                    format!("looks like a secret (URL, token, key, password or authorization header): never write it literally; move it to `secrets` ({{{secret_path}: {{name, key}}}}), which reads it from a Secret"),
                );
            }
            for target in receiver.secrets.keys() {
                let target_ok = !target.is_empty()
                    && target
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '[' | ']'));
                if !target_ok {
                    error(
                        format!("{path}.secrets.{target}"),
                        "is not a setting path (e.g. url, token, authorization_credentials)".into(),
                    );
                }
                if receiver.settings.contains_key(target.as_str()) {
                    error(
                        format!("{path}.settings.{target}"),
                        "is also set from `secrets`: keep only one".into(),
                    );
                }
            }
        }
    }
    check_root_receiver(alerting, &receiver_names, errors);
}

/// A value written as one grafana.ini `key = value` line (the operator writes them unescaped;
/// go-ini trims spaces, reads quoted values and cuts at an inline `#` or `;` comment; Grafana
/// expands `$__env{}`, `$__file{}`, `$__vault{}` and `${}`): one line without control
/// characters, edge spaces, leading quotes, `#` or `;`, and no expansion unless `expansions`
/// (grafana.config, where `$__env{VAR}` is how a secret is referenced and `"""..."""` may
/// quote a value on purpose).
pub(super) fn check_ini_text(value: &str, expansions: bool) -> Result<(), String> {
    if value.contains(['\n', '\r']) {
        return Err(format!(
            "{value:?}: a grafana.ini value is one line (a line break would start a new setting or [section])"
        ));
    }
    if value.chars().any(char::is_control) {
        return Err(format!(
            "{value:?}: control characters have no place in a grafana.ini value"
        ));
    }
    if value != value.trim() {
        return Err(format!(
            "{value:?}: grafana.ini drops leading and trailing spaces; remove them"
        ));
    }
    // go-ini reads `"""..."""` as the text between the quotes, whatever it holds: Grafana's
    // documented form for values with `#` or `;` (grafana.config only).
    let triple_quoted = value.len() >= 6
        && value.starts_with("\"\"\"")
        && value.ends_with("\"\"\"")
        && !value[3..value.len() - 3].contains("\"\"\"");
    if expansions && triple_quoted {
        return Ok(());
    }
    if value.starts_with(['"', '`', '\'']) {
        return Err(format!(
            "{value:?}: grafana.ini reads a value starting with a quote as quoted text; write it without quotes"
        ));
    }
    if value.contains(['#', ';']) {
        let hint = if expansions {
            " (or wrap the whole value in triple quotes: \"\"\"a;b\"\"\")"
        } else {
            ""
        };
        return Err(format!(
            "{value:?}: grafana.ini cuts a value at `#` or `;` (an inline comment); remove them{hint}"
        ));
    }
    if !expansions && (value.contains("$__") || value.contains("${")) {
        return Err(format!(
            "{value:?}: Grafana would expand `$__...{{}}` or `${{...}}` in it (reading an environment variable or a file); remove the `$`"
        ));
    }
    Ok(())
}

/// Text Grafana expands as a Go template (alert labels and annotations): every `{{` closed by a
/// `}}` before the next one opens, so the rule is not refused when Grafana saves it.
pub(super) fn check_template(text: &str) -> Result<(), String> {
    let mut rest = text;
    while let Some(open) = rest.find("{{") {
        let after = &rest[open + 2..];
        let close = after.find("}}");
        let next_open = after.find("{{");
        match (close, next_open) {
            (Some(c), Some(o)) if o < c => {
                return Err(format!("{text:?}: a `{{{{` is opened before the previous one is closed (Grafana reads it as a Go template)"))
            }
            (Some(c), _) => rest = &after[c + 2..],
            (None, _) => {
                return Err(format!("{text:?}: a `{{{{` is never closed by `}}}}` (Grafana reads it as a Go template)"))
            }
        }
    }
    if rest.contains("}}") {
        return Err(format!(
            "{text:?}: a `}}}}` closes no `{{{{` (Grafana reads it as a Go template)"
        ));
    }
    Ok(())
}

/// A value that is a credential whatever its key: an HTTP authorization value (`Bearer ...`,
/// `Basic ...`, `Token ...`), or a URL carrying a password (`postgres://user:password@host`).
pub(super) fn looks_like_credential(value: &str) -> bool {
    let lower = value.trim_start().to_ascii_lowercase();
    let scheme = ["bearer ", "basic ", "token ", "bot ", "apikey ", "digest "]
        .iter()
        .any(|prefix| lower.starts_with(prefix) && lower.len() > prefix.len());
    scheme || url_with_password(value)
}

/// `scheme://user:password@host...`: the userinfo part holds a password.
fn url_with_password(value: &str) -> bool {
    value.match_indices("://").any(|(at, _)| {
        let rest = &value[at + 3..];
        let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
        authority.rsplit_once('@').is_some_and(|(userinfo, _)| {
            userinfo
                .split_once(':')
                .is_some_and(|(_, password)| !password.is_empty())
        })
    })
}

/// Where alerts no matcher route takes go: an explicit `rootReceiver` must name a contact
/// point; without one, Slack off and every contact point with matchers is an error (the first
/// would otherwise get every unmatched alert, info included).
fn check_root_receiver(
    alerting: &super::AlertingSpec,
    receiver_names: &[&str],
    errors: &mut Vec<SpecError>,
) {
    const PATH: &str = "spec.grafana.alerting.rootReceiver";
    if let Some(root) = &alerting.root_receiver {
        if !receiver_names.contains(&root.as_str()) {
            let known = if receiver_names.is_empty() {
                "there is none: Slack is off and contactPoints is empty".to_string()
            } else {
                format!("one of: {}", receiver_names.join(", "))
            };
            errors.push(SpecError::new(
                PATH,
                format!("{:?} names no contact point ({known})", root.as_str()),
            ));
        }
        return;
    }
    if alerting.root_receiver().is_none() {
        if let Some(first) = alerting.contact_points.first() {
            errors.push(SpecError::new(
                PATH,
                format!(
                    "required: Slack is off and every contact point has matchers, so nothing says where alerts that match no route go ({:?} would get them all, whatever its matchers); name a contact point here, or add one without matchers",
                    first.name.as_str()
                ),
            ));
        }
    }
}

/// grafana.ini keys whose value is a credential.
fn is_secret_ini_key(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    [
        "password",
        "secret",
        "secret_key",
        "api_key",
        "private_key",
        "_token",
    ]
    .iter()
    .any(|suffix| key.ends_with(suffix))
        || key == "token"
}

/// Paths of receiver settings that hold credentials: URLs (webhooks embed their token), tokens,
/// keys, passwords and secrets. Icon, image and avatar URLs are public.
fn secret_settings(settings: &serde_yaml_ng::Mapping, prefix: &str) -> Vec<String> {
    let mut found = Vec::new();
    for (key, value) in settings {
        let Some(key) = key.as_str() else { continue };
        let path = if prefix.is_empty() {
            key.to_string()
        } else {
            format!("{prefix}.{key}")
        };
        let norm: String = key
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        let public = ["iconurl", "imageurl", "avatarurl"]
            .iter()
            .any(|p| norm.ends_with(p));
        let secret = !public
            && (norm.ends_with("url")
                || norm.ends_with("token")
                || norm.ends_with("password")
                || norm.ends_with("secret")
                || norm.ends_with("key")
                || norm.ends_with("credentials")
                || norm.ends_with("authorization")
                || norm.ends_with("cookie")
                || norm.ends_with("signature"));
        let holds_value =
            !matches!(value, Value::Null) && value.as_str().is_none_or(|text| !text.is_empty());
        // Whatever the key: an authorization value (`Bearer ...`) or a URL with a password.
        let credential_text = value.as_str().is_some_and(looks_like_credential);
        if (secret && holds_value && !matches!(value, Value::Mapping(_))) || credential_text {
            found.push(path.clone());
        }
        if let Value::Sequence(items) = value {
            for (i, item) in items.iter().enumerate() {
                let here = format!("{path}[{i}]");
                match item {
                    Value::Mapping(inner) => found.extend(secret_settings(inner, &here)),
                    Value::String(text) if looks_like_credential(text) => found.push(here),
                    _ => {}
                }
            }
        }
        if let Value::Mapping(inner) = value {
            found.extend(secret_settings(inner, &path));
        }
    }
    found
}
