//! From a YAML object to a validated [`MonitoringStack`], with errors that name the field.

use super::{DnsLabel, Layout, MonitoringStack, MonitoringStackSpec, API_VERSION, KIND};
use serde_yaml_ng::Value;

/// One problem with a MonitoringStack, located by a dotted field path (`spec.loki.retention`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct SpecError {
    pub path: String,
    pub message: String,
}

impl SpecError {
    fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
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
    serde_path_to_error::deserialize::<_, MonitoringStackSpec>(spec).map_err(|error| {
        let path = error.path().to_string();
        let path = if path == "." {
            "spec".to_string()
        } else {
            format!("spec.{path}")
        };
        let message = explain(&error.inner().to_string());
        vec![SpecError::new(path, message)]
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
    let grafana = &spec.grafana;
    if grafana.enabled && grafana.hostname.is_none() {
        errors.push(SpecError::new(
            "spec.grafana.hostname",
            "required when Grafana is enabled: its public hostname (e.g. grafana.example.com)",
        ));
    }
    if grafana.enabled
        && grafana.exposure.kind == super::ExposureType::HTTPRoute
        && grafana.exposure.gateway.is_none()
    {
        errors.push(SpecError::new(
            "spec.grafana.exposure.gateway",
            "required when exposure.type is HTTPRoute: the Gateway to attach to ({name, namespace})",
        ));
    }
    if grafana.enabled
        && grafana.alerting.slack.enabled
        && grafana.alerting.slack.channel.trim().is_empty()
    {
        errors.push(SpecError::new(
            "spec.grafana.alerting.slack.channel",
            "must not be empty (e.g. \"#it-alerts\")",
        ));
    }
    for (path, enabled, replicas) in [
        ("spec.loki.replicas", spec.loki.enabled, spec.loki.replicas),
        (
            "spec.mimir.replicas",
            spec.mimir.enabled,
            spec.mimir.replicas,
        ),
        (
            "spec.alloy.metrics.replicas",
            spec.alloy.enabled && spec.alloy.metrics.enabled,
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

    // Each component owns its namespace; the control-plane namespace holds Flux objects only.
    let mut taken: Vec<(&str, String)> = Vec::new();
    if spec.layout == Layout::Flux || spec.prometheus_crds.enabled {
        taken.push((spec.flux.namespace.as_str(), "spec.flux.namespace".into()));
    }
    for (field, enabled, namespace) in component_namespaces(spec) {
        if !enabled {
            continue;
        }
        if let Some((_, owner)) = taken.iter().find(|(ns, _)| *ns == namespace.as_str()) {
            errors.push(SpecError::new(
                format!("spec.{field}.namespace"),
                format!(
                    "namespace {namespace:?} is already used by {owner}: every component needs its own namespace"
                ),
            ));
        } else {
            taken.push((namespace.as_str(), format!("spec.{field}.namespace")));
        }
    }
    errors
}

/// (field name, enabled, namespace) of every component that lands in a namespace of its own.
pub(crate) fn component_namespaces(
    spec: &MonitoringStackSpec,
) -> [(&'static str, bool, &DnsLabel); 8] {
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
        assert_eq!(stack.spec.grafana.alerting.slack.channel, "#it-alerts");
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

        let error = one_error(&format!(
            "{HEAD}spec:\n  grafana:\n    hostname: g.example.com\n  mimir:\n    namespace: loki\n"
        ));
        assert_eq!(error.path, "spec.mimir.namespace");
        assert!(error.message.contains("spec.loki.namespace"));

        let error = one_error(&format!(
            "{HEAD}spec:\n  grafana:\n    hostname: g.example.com\n  alloy:\n    namespace: monitoring\n"
        ));
        assert_eq!(error.path, "spec.alloy.namespace");

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
}
