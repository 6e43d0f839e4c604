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

    let mut spec = match object.get("spec") {
        None | Some(Value::Null) => MonitoringStackSpec::default(),
        Some(spec) => typed_spec(spec)?,
    };
    if let Some(raw) = object.get("spec") {
        let errors = super::fleet::check_role_fields(spec.role, raw);
        if !errors.is_empty() {
            return Err(errors);
        }
    }
    super::fleet::apply_role(&mut spec);
    let (errors, grafana) = check_semantics(&spec, name.as_str());
    if errors.is_empty() {
        Ok(MonitoringStack {
            name,
            namespace,
            spec,
            grafana,
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

/// Rules that span fields: required-when-enabled values and namespace collisions. Also returns
/// Grafana's validated required fields (when it is on and they are present).
fn check_semantics(
    spec: &MonitoringStackSpec,
    name: &str,
) -> (Vec<SpecError>, Option<super::ValidGrafana>) {
    let mut errors = Vec::new();
    let grafana = super::grafana::check_grafana(spec, &mut errors);
    for (path, enabled, replicas) in [
        ("spec.loki.replicas", spec.loki.enabled, spec.loki.replicas),
        (
            "spec.mimir.replicas",
            spec.mimir.enabled,
            spec.mimir.replicas,
        ),
        (
            "spec.alloy.metrics.replicas",
            spec.alloy.enabled && spec.alloy.metrics.runs(spec.ships_metrics()),
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
    super::alloy::check_collectors(spec, &mut errors);
    super::fleet::check_fleet(spec, name, &mut errors);

    check_namespaces(spec, &mut errors);
    (errors, grafana)
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
    if spec.alloy.enabled && metrics.runs(spec.ships_metrics()) {
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
    use super::super::grafana::{check_ini_text, check_template, looks_like_credential};
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
