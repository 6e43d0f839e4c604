//! From a YAML object to a validated [`MonitoringStack`], with errors that name the field.

use super::{DnsLabel, MonitoringStack, MonitoringStackSpec, API_VERSION, KIND};
use serde_yaml_ng::Value;

/// One problem with a MonitoringStack, located by a dotted field path (`spec.loki.retention`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct SpecError {
    pub path: String,
    pub message: String,
}

impl SpecError {
    pub(crate) fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        SpecError {
            path: path.into(),
            message: message.into(),
        }
    }
}

/// Parses and validates one MonitoringStack object. Every error found is returned; type errors
/// stop at the first one (the rest of the spec cannot be typed past it).
pub fn parse_stack(object: &Value) -> Result<MonitoringStack, Vec<SpecError>> {
    let api_version = object.get("apiVersion").and_then(Value::as_str);
    if api_version != Some(API_VERSION) {
        return Err(vec![SpecError::new(
            "apiVersion",
            format!(
                "unsupported apiVersion {:?}: this function reads {API_VERSION}",
                api_version.unwrap_or("")
            ),
        )]);
    }
    if object.get("kind").and_then(Value::as_str) != Some(KIND) {
        return Err(vec![SpecError::new(
            "kind",
            format!("expected kind {KIND}"),
        )]);
    }
    let metadata = object.get("metadata");
    let name = match metadata.and_then(|m| m.get("name")).and_then(Value::as_str) {
        None => {
            return Err(vec![SpecError::new(
                "metadata.name",
                "required: the stack's name (it labels every generated object)",
            )])
        }
        Some(name) => {
            DnsLabel::parse(name).map_err(|e| vec![SpecError::new("metadata.name", e)])?
        }
    };
    let namespace = metadata
        .and_then(|m| m.get("namespace"))
        .and_then(Value::as_str)
        .map(str::to_string);

    let spec = match object.get("spec") {
        None | Some(Value::Null) => MonitoringStackSpec::default(),
        Some(spec) => typed_spec(spec)?,
    };
    let errors = check_semantics(&spec);
    if errors.is_empty() {
        Ok(MonitoringStack {
            name,
            namespace,
            spec,
        })
    } else {
        Err(errors)
    }
}

fn typed_spec(spec: &Value) -> Result<MonitoringStackSpec, Vec<SpecError>> {
    super::path_de::from_value::<MonitoringStackSpec>(spec).map_err(|(path, error)| {
        let path = if path.is_empty() {
            "spec".to_string()
        } else {
            format!("spec.{path}")
        };
        vec![SpecError::new(path, explain(&error.0))]
    })
}

/// Rewrites serde's "unknown field" and "unknown variant" messages with a suggestion.
fn explain(message: &str) -> String {
    let message = strip_location(message);
    for prefix in ["unknown field `", "unknown variant `"] {
        let Some(rest) = message.strip_prefix(prefix) else {
            continue;
        };
        let Some((given, expected)) = rest.split_once('`') else {
            continue;
        };
        let candidates: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
        let what = if prefix.contains("field") {
            "field"
        } else {
            "value"
        };
        let mut text = format!("unknown {what} `{given}`");
        if let Some(best) = nearest(given, &candidates) {
            text.push_str(&format!("; did you mean `{best}`?"));
        }
        if candidates.is_empty() {
            text.push_str("; this object takes no fields");
        } else {
            text.push_str(&format!(" (expected one of: {})", candidates.join(", ")));
        }
        return text;
    }
    message.to_string()
}

/// serde_yaml_ng appends " at line N column M" for errors from text; from a Value there is none,
/// but keep messages clean either way.
fn strip_location(message: &str) -> &str {
    message
        .rfind(" at line ")
        .map_or(message, |at| &message[..at])
}

/// The candidate closest to `given` by edit distance, when it is close enough to be a typo.
fn nearest<'a>(given: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let given_lower = given.to_ascii_lowercase();
    candidates
        .iter()
        .map(|c| (edit_distance(&given_lower, &c.to_ascii_lowercase()), *c))
        .filter(|(distance, c)| *distance <= (c.len() / 3).max(2))
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, c)| c)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        previous = current;
    }
    previous[b.len()]
}

/// Rules that span fields: required-when-enabled values and namespace collisions.
fn check_semantics(spec: &MonitoringStackSpec) -> Vec<SpecError> {
    let mut errors = Vec::new();
    check_grafana(spec, &mut errors);
    for (path, enabled, replicas) in [
        ("spec.loki.replicas", spec.loki.enabled, spec.loki.replicas),
        (
            "spec.mimir.replicas",
            spec.mimir.enabled,
            spec.mimir.replicas,
        ),
        (
            "spec.alloy.metrics.replicas",
            spec.alloy.enabled && spec.alloy.metrics.runs(spec.mimir.enabled),
            spec.alloy.metrics.replicas,
        ),
    ] {
        if enabled && replicas == 0 {
            errors.push(SpecError::new(
                path,
                "must be at least 1 (switch the component off with enabled: false instead)",
            ));
        }
    }

    check_consumer_bounds(spec, &mut errors);
    check_collectors(spec, &mut errors);

    check_namespaces(spec, &mut errors);
    errors
}

/// Values each field's type accepts but the system that reads them refuses (issue 16): replica
/// counts above Kubernetes' int32, empty volumes, requests above their limits, a hostname that
/// is an IP address, a Loki retention that is not whole days, scrape intervals below Alloy's
/// scrape timeout. (Duration and quantity bounds are checked by their types.)
fn check_consumer_bounds(spec: &MonitoringStackSpec, errors: &mut Vec<SpecError>) {
    for (path, replicas) in [
        ("spec.loki.replicas", spec.loki.replicas),
        ("spec.mimir.replicas", spec.mimir.replicas),
        ("spec.alloy.metrics.replicas", spec.alloy.metrics.replicas),
    ] {
        if i32::try_from(replicas).is_err() {
            errors.push(SpecError::new(
                path,
                format!(
                    "{replicas} is above {}, the most Kubernetes' replicas (int32) holds",
                    i32::MAX
                ),
            ));
        }
    }
    for (path, enabled, persistence) in [
        (
            "spec.loki.persistence",
            spec.loki.enabled,
            &spec.loki.persistence,
        ),
        (
            "spec.mimir.persistence",
            spec.mimir.enabled,
            &spec.mimir.persistence,
        ),
        (
            "spec.grafana.persistence",
            spec.grafana.enabled,
            &spec.grafana.persistence,
        ),
    ] {
        if enabled && persistence.enabled && persistence.size.approx() <= 0.0 {
            errors.push(SpecError::new(
                format!("{path}.size"),
                format!(
                    "{:?}: a PersistentVolumeClaim must request more than zero (e.g. \"10Gi\"; enabled: false for no volume)",
                    persistence.size.as_str()
                ),
            ));
        }
    }
    let resources: [(&str, &super::Resources); 11] = [
        ("grafanaOperator", &spec.grafana_operator.resources),
        ("grafana", &spec.grafana.resources),
        ("loki", &spec.loki.resources),
        ("mimir", &spec.mimir.resources),
        ("alloyOperator", &spec.alloy_operator.resources),
        ("alloy.logs", &spec.alloy.logs.resources),
        ("alloy.metrics", &spec.alloy.metrics.resources),
        ("alloy.events", &spec.alloy.events.resources),
        ("alloy.nodeLogs", &spec.alloy.node_logs.resources),
        ("kubeStateMetrics", &spec.kube_state_metrics.resources),
        ("nodeExporter", &spec.node_exporter.resources),
    ];
    for (field, resources) in resources {
        let (Some(requests), Some(limits)) = (&resources.requests, &resources.limits) else {
            continue;
        };
        for (name, request, limit) in [
            ("cpu", &requests.cpu, &limits.cpu),
            ("memory", &requests.memory, &limits.memory),
        ] {
            if let (Some(request), Some(limit)) = (request, limit) {
                if request.approx() > limit.approx() {
                    errors.push(SpecError::new(
                        format!("spec.{field}.resources.requests.{name}"),
                        format!(
                            "{:?} is above the limit {:?}: Kubernetes refuses a request above its limit",
                            request.as_str(),
                            limit.as_str()
                        ),
                    ));
                }
            }
        }
    }
    if let Some(hostname) = spec
        .grafana
        .hostname
        .as_ref()
        .filter(|_| spec.grafana.enabled)
    {
        let host = hostname.as_str();
        let numeric = host
            .split('.')
            .all(|label| label.bytes().all(|b| b.is_ascii_digit()));
        if numeric || host.parse::<std::net::Ipv4Addr>().is_ok() {
            errors.push(SpecError::new(
                "spec.grafana.hostname",
                format!(
                    "{host:?} is an IP address: Ingress and HTTPRoute hosts, certificates and Grafana's root URL need a DNS name (e.g. grafana.example.com)"
                ),
            ));
        }
    }
    if spec.loki.enabled && spec.loki.retention.seconds() % 86_400 != 0 {
        errors.push(SpecError::new(
            "spec.loki.retention",
            format!(
                "{:?}: Loki's retention must be a whole number of days (a multiple of its 24h index period, e.g. \"30d\" or \"744h\")",
                spec.loki.retention.as_str()
            ),
        ));
    }
    let metrics = &spec.alloy.metrics;
    if spec.alloy.enabled && metrics.runs(spec.mimir.enabled) {
        let intervals =
            std::iter::once((
                "spec.alloy.metrics.scrapeInterval".to_string(),
                &metrics.scrape_interval,
            ))
            .chain(metrics.extra_scrapes.iter().enumerate().filter_map(
                |(i, scrape)| {
                    scrape.interval.as_ref().map(|interval| {
                        (
                            format!("spec.alloy.metrics.extraScrapes[{i}].interval"),
                            interval,
                        )
                    })
                },
            ));
        for (path, interval) in intervals {
            if interval.seconds() < MIN_SCRAPE_INTERVAL_SECONDS {
                errors.push(SpecError::new(
                    path,
                    format!(
                        "{:?} is shorter than Alloy's scrape timeout ({MIN_SCRAPE_INTERVAL_SECONDS}s), which Alloy refuses: use at least \"{MIN_SCRAPE_INTERVAL_SECONDS}s\"",
                        interval.as_str()
                    ),
                ));
            }
        }
    }
}

/// Alloy's default `scrape_timeout`: a shorter `scrape_interval` is a configuration error.
const MIN_SCRAPE_INTERVAL_SECONDS: u64 = 10;

/// Namespaces Kubernetes itself owns: never created, labelled or pruned by a stack.
const SYSTEM_NAMESPACES: [&str; 4] = ["default", "kube-system", "kube-public", "kube-node-lease"];

/// The stack creates every namespace it uses, with its ownership marks, and Flux prunes them
/// with the stack: so each is the stack's alone. Each component has its own; the control-plane
/// namespace holds Flux objects only, in both layouts (its Namespace and the chart sources are
/// always generated); and none may be a namespace that exists without the stack (Kubernetes'
/// own, the Flux source's, the Gateway's), or removing the stack would delete it.
fn check_namespaces(spec: &MonitoringStackSpec, errors: &mut Vec<SpecError>) {
    let mut not_ours: Vec<(&str, &str)> = SYSTEM_NAMESPACES
        .iter()
        .map(|namespace| (*namespace, "Kubernetes"))
        .collect();
    not_ours.push((
        spec.flux.source_ref.namespace.as_str(),
        "the Flux source (spec.flux.sourceRef.namespace)",
    ));
    let gateway = spec.grafana.exposure.gateway.as_ref();
    if let Some(gateway) = gateway.filter(|_| spec.grafana.enabled) {
        not_ours.push((
            gateway.namespace.as_str(),
            "the Gateway (spec.grafana.exposure.gateway.namespace)",
        ));
    }

    let mut taken: Vec<(&str, String)> = Vec::new();
    let flux = ("flux", true, &spec.flux.namespace);
    for (field, enabled, namespace) in std::iter::once(flux).chain(component_namespaces(spec)) {
        if !enabled {
            continue;
        }
        let path = format!("spec.{field}.namespace");
        if let Some((_, owner)) = not_ours.iter().find(|(ns, _)| *ns == namespace.as_str()) {
            errors.push(SpecError::new(
                path,
                format!(
                    "namespace {namespace:?} belongs to {owner}: the stack creates and prunes the namespaces it uses, so it needs one of its own"
                ),
            ));
        } else if let Some((_, owner)) = taken.iter().find(|(ns, _)| *ns == namespace.as_str()) {
            errors.push(SpecError::new(
                path,
                format!(
                    "namespace {namespace:?} is already used by {owner}: every component needs its own namespace"
                ),
            ));
        } else {
            taken.push((namespace.as_str(), path));
        }
    }
}

/// The Alloy collectors: a collector switched on explicitly needs its backend, and relabel
/// rules and extra scrapes follow Alloy's own rules (checked here so the error names the field
/// instead of surfacing as a config-reload failure in the Alloy pod).
fn check_collectors(spec: &MonitoringStackSpec, errors: &mut Vec<SpecError>) {
    let alloy = &spec.alloy;
    if !alloy.enabled {
        return;
    }
    if alloy.logs.enabled == Some(true) && !spec.loki.enabled {
        errors.push(SpecError::new(
            "spec.alloy.logs.enabled",
            "the logs collector is switched on but Loki is off (spec.loki.enabled: false), so it has nowhere to send logs: remove this field (the collector follows Loki) or switch Loki on",
        ));
    }
    if alloy.metrics.enabled == Some(true) && !spec.mimir.enabled {
        errors.push(SpecError::new(
            "spec.alloy.metrics.enabled",
            "the metrics collector is switched on but Mimir is off (spec.mimir.enabled: false), so it has nowhere to send metrics: remove this field (the collector follows Mimir) or switch Mimir on",
        ));
    }
    if alloy.events.enabled == Some(true) && !spec.loki.enabled {
        errors.push(SpecError::new(
            "spec.alloy.events.enabled",
            "the events collector is switched on but Loki is off (spec.loki.enabled: false), so it has nowhere to send events: remove this field (the collector follows Loki) or switch Loki on",
        ));
    }
    if alloy.node_logs.enabled && !spec.loki.enabled {
        errors.push(SpecError::new(
            "spec.alloy.nodeLogs.enabled",
            "node logs go to Loki, which is off (spec.loki.enabled: false): switch Loki on or leave node logs off",
        ));
    }
    if alloy.node_logs.enabled && alloy.node_logs.units.is_empty() {
        errors.push(SpecError::new(
            "spec.alloy.nodeLogs.units",
            "needs at least one systemd unit (e.g. \"kubelet.service\")",
        ));
    }
    if alloy.logs.runs(spec.loki.enabled) {
        check_relabel_rules(
            "spec.alloy.logs.relabelRules",
            &alloy.logs.relabel_rules,
            errors,
        );
    }
    let metrics = &alloy.metrics;
    if metrics.runs(spec.mimir.enabled) {
        check_relabel_rules(
            "spec.alloy.metrics.writeRelabelRules",
            &metrics.write_relabel_rules,
            errors,
        );
        for (i, scrape) in metrics.extra_scrapes.iter().enumerate() {
            let path = format!("spec.alloy.metrics.extraScrapes[{i}]");
            if metrics.extra_scrapes[..i]
                .iter()
                .any(|other| other.name == scrape.name)
            {
                errors.push(SpecError::new(
                    format!("{path}.name"),
                    format!(
                        "{:?} is used by an earlier extra scrape: names must be unique (each is a job)",
                        scrape.name.as_str()
                    ),
                ));
            }
            if scrape.targets.is_empty() {
                errors.push(SpecError::new(
                    format!("{path}.targets"),
                    "needs at least one host:port target",
                ));
            }
            for name in scrape.labels.keys() {
                if name.as_str().starts_with("__") {
                    errors.push(SpecError::new(
                        format!("{path}.labels"),
                        format!(
                            "{:?}: label names starting with \"__\" are reserved (the target's address is __address__)",
                            name.as_str()
                        ),
                    ));
                }
            }
        }
    }
}

/// Alloy's validation of a relabel rule (`internal/component/common/relabel`), field by field.
fn check_relabel_rules(path: &str, rules: &[super::RelabelRule], errors: &mut Vec<SpecError>) {
    use super::RelabelAction as A;
    for (i, rule) in rules.iter().enumerate() {
        let at = |field: &str| format!("{path}[{i}].{field}");
        let action = rule.action.as_str();
        let needs_target = matches!(
            rule.action,
            A::Replace | A::Hashmod | A::Lowercase | A::Uppercase | A::Keepequal | A::Dropequal
        );
        if needs_target && rule.target_label.is_none() {
            errors.push(SpecError::new(
                at("targetLabel"),
                format!("required for action {action}"),
            ));
        }
        if rule.action == A::Hashmod {
            if rule.modulus.unwrap_or(0) == 0 {
                errors.push(SpecError::new(
                    at("modulus"),
                    "required for action hashmod, and above zero",
                ));
            }
            if let Some(target) = &rule.target_label {
                if super::values::LabelName::parse(target.as_str()).is_err() {
                    errors.push(SpecError::new(
                        at("targetLabel"),
                        format!(
                            "{:?}: action hashmod needs a plain label name (no $ references)",
                            target.as_str()
                        ),
                    ));
                }
            }
        }
        if rule.action == A::Labelmap {
            if let Some(replacement) = &rule.replacement {
                if let Err(message) = super::values::TargetLabel::parse(replacement) {
                    errors.push(SpecError::new(at("replacement"), message));
                }
            }
        }
        let separator_set = rule.separator.as_deref().is_some_and(|s| s != ";");
        let replacement_set = rule.replacement.as_deref().is_some_and(|r| r != "$1");
        let regex_set = rule.regex.as_ref().is_some_and(|r| r.as_str() != "(.*)");
        // (field, whether the rule sets it) for the actions that take only some fields.
        let only: Option<(&str, Vec<(&str, bool)>)> = match rule.action {
            A::Labeldrop | A::Labelkeep => Some((
                "only regex",
                vec![
                    ("sourceLabels", !rule.source_labels.is_empty()),
                    ("targetLabel", rule.target_label.is_some()),
                    ("modulus", rule.modulus.is_some()),
                    ("separator", separator_set),
                    ("replacement", replacement_set),
                ],
            )),
            A::Keepequal | A::Dropequal => Some((
                "only sourceLabels and targetLabel",
                vec![
                    ("regex", regex_set),
                    ("modulus", rule.modulus.is_some()),
                    ("separator", separator_set),
                    ("replacement", replacement_set),
                ],
            )),
            A::Lowercase | A::Uppercase => {
                Some(("no replacement", vec![("replacement", replacement_set)]))
            }
            _ => None,
        };
        if let Some((allowed, fields)) = only {
            for (field, set) in fields {
                if set {
                    errors.push(SpecError::new(
                        at(field),
                        format!("action {action} takes {allowed}: remove {field}"),
                    ));
                }
            }
        }
    }
}

/// Grafana's cross-field rules: required-when values, settings that only fit one exposure
/// type, OIDC role mapping, grafana.ini keys, and the users' rule groups and contact points
/// (no secret literals, unique names and uids).
fn check_grafana(spec: &MonitoringStackSpec, errors: &mut Vec<SpecError>) {
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
fn check_ini_text(value: &str, expansions: bool) -> Result<(), String> {
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
fn check_template(text: &str) -> Result<(), String> {
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
fn looks_like_credential(value: &str) -> bool {
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

/// (field name, enabled, namespace) of every component that lands in a namespace of its own.
pub(crate) fn component_namespaces(
    spec: &MonitoringStackSpec,
) -> [(&'static str, bool, &DnsLabel); 9] {
    [
        (
            "grafanaOperator",
            spec.grafana_operator.enabled,
            &spec.grafana_operator.namespace,
        ),
        ("grafana", spec.grafana.enabled, &spec.grafana.namespace),
        ("loki", spec.loki.enabled, &spec.loki.namespace),
        ("mimir", spec.mimir.enabled, &spec.mimir.namespace),
        (
            "alloyOperator",
            spec.alloy_operator.enabled,
            &spec.alloy_operator.namespace,
        ),
        ("alloy", spec.alloy.enabled, &spec.alloy.namespace),
        (
            "alloy.nodeLogs",
            spec.alloy.enabled && spec.alloy.node_logs.enabled,
            &spec.alloy.node_logs.namespace,
        ),
        (
            "kubeStateMetrics",
            spec.kube_state_metrics.enabled,
            &spec.kube_state_metrics.namespace,
        ),
        (
            "nodeExporter",
            spec.node_exporter.enabled,
            &spec.node_exporter.namespace,
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<MonitoringStack, Vec<SpecError>> {
        let value: Value = serde_yaml_ng::from_str(text).expect("test YAML");
        parse_stack(&value)
    }

    fn one_error(text: &str) -> SpecError {
        let errors = parse(text).expect_err("expected an error");
        assert_eq!(errors.len(), 1, "{errors:?}");
        errors.into_iter().next().expect("one error")
    }

    const HEAD: &str = "apiVersion: monitoring-stack.dev/v1alpha1\nkind: MonitoringStack\nmetadata:\n  name: main\n";

    #[test]
    fn minimal_spec_gets_seed_defaults() {
        let stack = parse(&format!(
            "{HEAD}spec:\n  grafana:\n    hostname: grafana.example.com\n"
        ))
        .expect("valid");
        assert_eq!(stack.name.as_str(), "main");
        assert_eq!(stack.spec.flux.namespace.as_str(), "monitoring");
        assert_eq!(
            stack.spec.cluster.storage_class.as_str(),
            "ssd-replicated-retain"
        );
        assert_eq!(stack.spec.loki.storage.bucket_class.as_str(), "garage-ssd");
        assert_eq!(
            stack.spec.grafana.alerting.slack.channel.as_str(),
            "#it-alerts"
        );
        assert_eq!(
            stack.spec.grafana_operator.namespace.as_str(),
            "grafana-operator"
        );
        assert_eq!(stack.spec.node_exporter.namespace.as_str(), "node-exporter");
        assert!(stack.spec.cluster.istio_ambient);
    }

    #[test]
    fn unknown_field_names_path_and_suggests() {
        let error = one_error(&format!(
            "{HEAD}spec:\n  grafana:\n    hostname: g.example.com\n  loki:\n    retntion: 30d\n"
        ));
        assert_eq!(error.path, "spec.loki.retntion");
        assert!(
            error.message.contains("did you mean `retention`?"),
            "{}",
            error.message
        );
    }

    #[test]
    fn invalid_values_name_their_field() {
        let cases = [
            (
                "  loki:\n    retention: 30 days\n",
                "spec.loki.retention",
                "retention period",
            ),
            (
                "  loki:\n    namespace: Loki\n",
                "spec.loki.namespace",
                "DNS-1123 label",
            ),
            (
                "  mimir:\n    persistence:\n      size: 10GB\n",
                "spec.mimir.persistence.size",
                "quantity",
            ),
            (
                "  flux:\n    interval: 10d\n",
                "spec.flux.interval",
                "duration",
            ),
            (
                "  loki:\n    enabled: maybe\n",
                "spec.loki.enabled",
                "boolean",
            ),
            ("  layout: tree\n", "spec.layout", "unknown value `tree`"),
            (
                "  loki:\n    storage:\n      cosiApiVersion: v2\n",
                "spec.loki.storage.cosiApiVersion",
                "v1alpha1",
            ),
            ("  loki:\n    values: [1]\n", "spec.loki.values", "mapping"),
            (
                "  alloy:\n    logs:\n      excludeNamespaces: [ok, Bad]\n",
                "spec.alloy.logs.excludeNamespaces[1]",
                "DNS-1123",
            ),
        ];
        for (snippet, path, needle) in cases {
            let error = one_error(&format!(
                "{HEAD}spec:\n  grafana:\n    hostname: g.example.com\n{snippet}"
            ));
            assert_eq!(error.path, path, "{snippet}");
            assert!(
                error.message.contains(needle),
                "{snippet}: {}",
                error.message
            );
        }
    }

    #[test]
    fn oidc_url_is_checked() {
        let error = one_error(&format!(
            "{HEAD}spec:\n  grafana:\n    hostname: g.example.com\n    oidc:\n      issuerUrl: idp.astaup.de\n"
        ));
        assert_eq!(error.path, "spec.grafana.oidc.issuerUrl");
    }

    #[test]
    fn semantic_rules() {
        let error = one_error(HEAD);
        assert_eq!(error.path, "spec.grafana.hostname");

        // Each namespace has one owner: another component, the control plane (in the flat
        // layout too, a fuzz finding: it gave two Namespaces), or something that exists
        // without the stack: Flux's source, Kubernetes' own.
        for (spec, path, owner) in [
            (
                "mimir:\n    namespace: loki\n",
                "spec.mimir.namespace",
                "spec.loki.namespace",
            ),
            (
                "alloy:\n    namespace: monitoring\n",
                "spec.alloy.namespace",
                "spec.flux.namespace",
            ),
            (
                "layout: flat\n  prometheusCrds:\n    enabled: false\n  alloy:\n    namespace: monitoring\n",
                "spec.alloy.namespace",
                "spec.flux.namespace",
            ),
            (
                "alloy:\n    namespace: flux-system\n",
                "spec.alloy.namespace",
                "spec.flux.sourceRef.namespace",
            ),
            (
                "flux:\n    namespace: flux-system\n",
                "spec.flux.namespace",
                "spec.flux.sourceRef.namespace",
            ),
            (
                "flux:\n    sourceRef:\n      namespace: loki\n",
                "spec.loki.namespace",
                "spec.flux.sourceRef.namespace",
            ),
            (
                "loki:\n    namespace: kube-system\n",
                "spec.loki.namespace",
                "Kubernetes",
            ),
            (
                "mimir:\n    namespace: default\n",
                "spec.mimir.namespace",
                "Kubernetes",
            ),
        ] {
            let error = one_error(&format!(
                "{HEAD}spec:\n  grafana:\n    hostname: g.example.com\n  {spec}"
            ));
            assert_eq!(error.path, path, "{spec}");
            assert!(error.message.contains(owner), "{}", error.message);
        }
        let error = one_error(&format!(
            "{HEAD}spec:\n  grafana:\n    hostname: g.example.com\n    exposure:\n      type: HTTPRoute\n      gateway: {{name: web, namespace: grafana}}\n"
        ));
        assert_eq!(error.path, "spec.grafana.namespace");
        assert!(error.message.contains("Gateway"), "{}", error.message);

        // A switched-off component may reuse a namespace.
        parse(&format!(
            "{HEAD}spec:\n  grafana:\n    hostname: g.example.com\n  mimir:\n    enabled: false\n    namespace: loki\n"
        ))
        .expect("disabled component does not collide");
    }

    #[test]
    fn header_errors() {
        let error = one_error("apiVersion: monitoring-stack.dev/v1beta1\nkind: MonitoringStack\nmetadata: {name: a}\n");
        assert_eq!(error.path, "apiVersion");
        let error = one_error(
            "apiVersion: monitoring-stack.dev/v1alpha1\nkind: MonitoringStack\nmetadata: {}\n",
        );
        assert_eq!(error.path, "metadata.name");
        let error = one_error("apiVersion: monitoring-stack.dev/v1alpha1\nkind: MonitoringStack\nmetadata: {name: Main_1}\n");
        assert_eq!(error.path, "metadata.name");
    }

    #[test]
    fn text_format_checks() {
        assert!(check_ini_text("Keycloak", false).is_ok());
        assert!(check_ini_text("\"\"\"a;b#c\"\"\"", true).is_ok());
        assert!(check_ini_text("\"\"\"a;b#c\"\"\"", false).is_err());
        assert!(check_ini_text("\"\"\"a\"\"\"b\"\"\"", true).is_err());
        assert!(check_ini_text("$__env{GF_X}", true).is_ok());
        for bad in [
            "a\nb",
            "a\rb",
            "a\u{0}b",
            " a",
            "a ",
            "\"a\"",
            "$__env{X}",
            "${X}",
            "`a`",
            "a#b",
            "a;b",
        ] {
            assert!(check_ini_text(bad, false).is_err(), "{bad:?}");
        }
        for good in ["", "x", "{{ $labels.pod }} is down", "a {{ b }} c {{ d }}"] {
            assert!(check_template(good).is_ok(), "{good:?}");
        }
        for bad in ["{{ x", "{{ a {{ b }}", "a }}", "{{ a }} }}"] {
            assert!(check_template(bad).is_err(), "{bad:?}");
        }
        for credential in [
            "Bearer abc",
            "basic dXNlcg==",
            "postgres://grafana:hunter2@db:5432/grafana",
            "mysql://u:p@tcp(db)/g",
            "see https://u:p@example.com/x",
        ] {
            assert!(looks_like_credential(credential), "{credential:?}");
        }
        for plain in [
            "postgres://grafana@db:5432/grafana",
            "https://example.com/a@b",
            "Bearer",
            "token",
            "mailto:a@example.com",
        ] {
            assert!(!looks_like_credential(plain), "{plain:?}");
        }
    }

    #[test]
    fn suggestions() {
        assert_eq!(
            nearest("retntion", &["retention", "replicas"]),
            Some("retention")
        );
        assert_eq!(
            nearest("storageclass", &["storageClass"]),
            Some("storageClass")
        );
        assert_eq!(nearest("zzz", &["retention"]), None);
    }

    /// Grafana's field and cross-field validation: each case names its field and says why.
    #[test]
    fn grafana_checks() {
        let g = "spec:\n  grafana:\n    hostname: g.example.com\n";
        let cases: &[(&str, &str, &str)] = &[
            ("spec:\n  grafana:\n    hostname: grafana_example\n", "spec.grafana.hostname", "DNS-1123 subdomain"),
            ("    oidc:\n      issuerUrl: http://idp.example.com/realms/a\n", "spec.grafana.oidc.issuerUrl", "https://"),
            ("    oidc:\n      issuerUrl: https://idp.example.com/realms/a\n      clientSecret: {name: s}\n", "spec.grafana.oidc.clientSecret", "missing field `key`"),
            ("    oidc:\n      issuerUrl: https://idp.example.com/realms/a\n      clientSecret: {key: k}\n", "spec.grafana.oidc.clientSecret", "missing field `name`"),
            ("    oidc:\n      issuerUrl: https://idp.example.com/realms/a\n      adminGroup: \"it's\"\n", "spec.grafana.oidc.adminGroup", "quotes"),
            ("    oidc:\n      issuerUrl: https://idp.example.com/realms/a\n      groupsClaim: realm-access.roles\n", "spec.grafana.oidc.groupsClaim", "claim path"),
            ("    oidc:\n      issuerUrl: https://idp.example.com/realms/a\n      scopes: [email]\n", "spec.grafana.oidc.scopes", "openid"),
            ("    alerting:\n      slack:\n        channel: it-alerts\n", "spec.grafana.alerting.slack.channel", "'#'"),
            ("    alerting:\n      slack:\n        webhookSecret: {name: hook}\n", "spec.grafana.alerting.slack.webhookSecret", "missing field `key`"),
            ("    alerting:\n      slack:\n        webhookSecret: {name: Hook, key: url}\n", "spec.grafana.alerting.slack.webhookSecret.name", "DNS-1123"),
            ("    exposure:\n      type: HTTPRoute\n", "spec.grafana.exposure.gateway", "required"),
            ("    exposure:\n      gateway: {name: gw, namespace: infra}\n", "spec.grafana.exposure.gateway", "only used with exposure.type HTTPRoute"),
            ("    exposure:\n      ingressClassName: nginx\n", "spec.grafana.exposure.ingressClassName", "only used with exposure.type Ingress"),
            ("    exposure:\n      type: Route\n", "spec.grafana.exposure.type", "unknown value `Route`"),
            ("    exposure:\n      annotations: {\"bad key\": x}\n", "spec.grafana.exposure.annotations.bad key", "qualified name"),
            ("    version: latest\n", "spec.grafana.version", "pinned"),
            ("    config:\n      auth.generic_oauth:\n        client_secret: hunter2\n", "spec.grafana.config.auth.generic_oauth.client_secret", "secret"),
            ("    config:\n      security:\n        admin_password: hunter2\n", "spec.grafana.config.security.admin_password", "secret"),
            ("    config:\n      \"bad section\":\n        a: b\n", "spec.grafana.config.bad section", "section"),
            ("    alerting:\n      repeatInterval: 1m\n", "spec.grafana.alerting.repeatInterval", "groupInterval"),
            ("    alerting:\n      groupWait: 1.5m\n", "spec.grafana.alerting.groupWait", "alerting duration"),
            ("    alerting:\n      ruleGroups:\n        - name: stack-mine\n          rules: [{uid: a, title: A, expr: up}]\n", "spec.grafana.alerting.ruleGroups[0].name", "reserved"),
            ("    alerting:\n      ruleGroups:\n        - name: g\n          rules: []\n", "spec.grafana.alerting.ruleGroups[0].rules", "at least one rule"),
            ("    alerting:\n      ruleGroups:\n        - name: g\n          rules: [{uid: a, title: A, expr: \"sum(rate(x[5m])\"}]\n", "spec.grafana.alerting.ruleGroups[0].rules[0].expr", "never closed"),
            ("    alerting:\n      ruleGroups:\n        - name: g\n          rules: [{uid: a, title: A, expr: up, above: 1, below: 2}]\n", "spec.grafana.alerting.ruleGroups[0].rules[0].below", "not both"),
            ("    alerting:\n      ruleGroups:\n        - name: g\n          rules: [{uid: stack-x, title: A, expr: up}]\n", "spec.grafana.alerting.ruleGroups[0].rules[0].uid", "reserved"),
            ("    alerting:\n      ruleGroups:\n        - name: g\n          rules: [{uid: a.b, title: A, expr: up}]\n", "spec.grafana.alerting.ruleGroups[0].rules[0].uid", "Grafana uid"),
            ("    alerting:\n      ruleGroups:\n        - name: g\n          rules: [{uid: a, title: A, expr: up, labels: {severity: page}}]\n", "spec.grafana.alerting.ruleGroups[0].rules[0].labels.severity", "severity"),
            ("    alerting:\n      ruleGroups:\n        - name: g\n          rules: [{uid: a, title: A, expr: up}, {uid: a, title: B, expr: up}]\n", "spec.grafana.alerting.ruleGroups[0].rules[1].uid", "twice"),
            ("    alerting:\n      contactPoints:\n        - name: slack\n          receivers: [{type: email, settings: {addresses: a@example.com}}]\n", "spec.grafana.alerting.contactPoints[0].name", "already exists"),
            ("    alerting:\n      contactPoints:\n        - name: hook\n          receivers: [{type: webhook, settings: {url: \"https://hooks.example.com/T0/B0/x\"}}]\n", "spec.grafana.alerting.contactPoints[0].receivers[0].settings.url", "secret"),
            ("    alerting:\n      contactPoints:\n        - name: pd\n          receivers: [{type: pagerduty, settings: {integrationKey: abc}}]\n", "spec.grafana.alerting.contactPoints[0].receivers[0].settings.integrationKey", "secret"),
            ("    alerting:\n      contactPoints:\n        - name: pd\n          receivers: [{type: pagerduty, secrets: {integrationKey: {name: pd}}}]\n", "spec.grafana.alerting.contactPoints[0].receivers[0].secrets.integrationKey", "missing field `key`"),
            ("    alerting:\n      contactPoints:\n        - name: pd\n          receivers: []\n", "spec.grafana.alerting.contactPoints[0].receivers", "at least one receiver"),
            ("    alerting:\n      contactPoints:\n        - name: pd\n          receivers: [{type: email, settings: {1: x}}]\n", "spec.grafana.alerting.contactPoints[0].receivers[0].settings", "keys must be strings"),
            ("    values:\n      a:\n        b: [1, .nan]\n", "spec.grafana.values", "a.b[1]: .nan is not a finite number"),
            ("    values:\n      a: !secret x\n", "spec.grafana.values.a", "YAML tags such as !secret have no meaning"),
            ("    values:\n      a: {true: x}\n", "spec.grafana.values", "a: keys must be strings"),
            ("    alerting:\n      contactPoints:\n        - name: pd\n          matchers: [{label: team, op: \"==\", value: a}]\n          receivers: [{type: email}]\n", "spec.grafana.alerting.contactPoints[0].matchers[0].op", "unknown value `==`"),
            ("    dashboards:\n      custom:\n        - name: a\n", "spec.grafana.dashboards.custom[0]", "exactly one of"),
            ("    dashboards:\n      custom:\n        - {name: a, json: \"{}\", grafanaCom: {id: 1}}\n", "spec.grafana.dashboards.custom[0]", "exactly one of"),
            ("    dashboards:\n      custom:\n        - {name: a, json: \"{\"}\n", "spec.grafana.dashboards.custom[0].json", "not JSON"),
            ("    dashboards:\n      custom:\n        - {name: a, json: \"[1]\"}\n", "spec.grafana.dashboards.custom[0].json", "JSON object"),
            ("    dashboards:\n      custom:\n        - {name: a, json: \"{}\"}\n        - {name: a, json: \"{}\"}\n", "spec.grafana.dashboards.custom[1].name", "twice"),
            ("    dashboards:\n      custom:\n        - {name: a, json: \"{}\", folder: \" \"}\n", "spec.grafana.dashboards.custom[0].folder", "folder title"),
            ("    dashboards:\n      custom:\n        - {name: a, url: \"http://example.com/d.json\"}\n", "spec.grafana.dashboards.custom[0].url", "https"),
            ("    dashboards:\n      custom:\n        - {name: A, json: \"{}\"}\n", "spec.grafana.dashboards.custom[0].name", "DNS-1123"),
            ("    dashboards:\n      kubernetes: maybe\n", "spec.grafana.dashboards.kubernetes", "boolean"),
        ];
        for (snippet, path, needle) in cases {
            let text = if snippet.starts_with("spec:") {
                format!("{HEAD}{snippet}")
            } else {
                format!("{HEAD}{g}{snippet}")
            };
            let error = one_error(&text);
            assert_eq!(error.path, *path, "{snippet}");
            assert!(
                error.message.contains(needle),
                "{snippet}: {}",
                error.message
            );
        }

        // A Loki rule while Loki is off.
        let error = one_error(&format!(
            "{HEAD}{g}    alerting:\n      ruleGroups:\n        - name: g\n          rules: [{{uid: a, title: A, datasource: loki, expr: \"sum(count_over_time({{a=\\\"b\\\"}}[5m]))\"}}]\n  loki:\n    enabled: false\n"
        ));
        assert_eq!(
            error.path,
            "spec.grafana.alerting.ruleGroups[0].rules[0].datasource"
        );

        // Secrets by reference, icon URLs, $__env references and YAML booleans are fine.
        let stack = parse(&format!(
            "{HEAD}{g}    config:\n      security:\n        admin_password: $__env{{GF_ADMIN}}\n      users:\n        viewers_can_edit: true\n      auth.generic_oauth:\n        use_refresh_token: true\n    alerting:\n      contactPoints:\n        - name: hook\n          receivers:\n            - type: slack\n              settings: {{icon_url: \"https://example.com/i.png\", recipient: \"#x\"}}\n              secrets: {{url: {{name: hook, key: url}}}}\n"
        ))
        .expect("valid");
        let users = &stack.spec.grafana.config["users"];
        assert_eq!(users["viewers_can_edit"].as_str(), "true");
        // Grafana switched off: its checks do not apply.
        parse(&format!(
            "{HEAD}spec:\n  grafana:\n    enabled: false\n    exposure:\n      type: HTTPRoute\n"
        ))
        .expect("disabled Grafana is not checked");
    }
}
