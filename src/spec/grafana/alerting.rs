//! `spec.grafana.alerting`: Slack, the users' rule groups and contact points, and their checks
//! (no secret literals, unique names and uids, templates Grafana can expand).

use super::super::*;
use super::looks_like_credential;
use serde::Deserialize;
use serde_yaml_ng::Value;
use std::collections::BTreeMap;

#[derive(Debug, Clone, SpecDeserialize, schemars::JsonSchema)]
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

#[derive(Debug, Clone, SpecDeserialize, schemars::JsonSchema)]
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
#[derive(Debug, Clone, SpecDeserialize, schemars::JsonSchema)]
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
#[derive(Debug, Clone, SpecDeserialize, schemars::JsonSchema)]
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
#[derive(Debug, Clone, SpecDeserialize, schemars::JsonSchema)]
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
#[derive(Debug, Clone, SpecDeserialize, schemars::JsonSchema)]
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
#[derive(Debug, Clone, SpecDeserialize, schemars::JsonSchema)]
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

/// Intervals, rule groups (names, uids, thresholds, templates, datasources switched on) and
/// contact points (receivers without secret literals, a root receiver).
pub(super) fn check(spec: &MonitoringStackSpec, errors: &mut Vec<SpecError>) {
    const RESERVED_PREFIX: &str = AlertingSpec::RESERVED_PREFIX;
    const SLACK_RECEIVER: &str = SlackSpec::CONTACT_POINT;
    let mut error = |path: String, message: String| errors.push(SpecError::new(path, message));
    let alerting = &spec.grafana.alerting;
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

/// Text Grafana expands as a Go template (alert labels and annotations): every `{{` closed by a
/// `}}` before the next one opens, so the rule is not refused when Grafana saves it.
pub(in crate::spec) fn check_template(text: &str) -> Result<(), String> {
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
