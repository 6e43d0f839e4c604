//! `spec.alloy` and `spec.alloyOperator`: the collectors' types and their checks.

use super::*;
use serde::Deserialize;
use std::collections::BTreeMap;

chart_component!(AlloyOperatorSpec, AlloyOperatorDefaults, "alloy-operator");

#[derive(Debug, Clone, SpecDeserialize, schemars::JsonSchema)]
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
#[derive(Debug, Clone, Default, SpecDeserialize, schemars::JsonSchema)]
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

#[derive(Debug, Clone, SpecDeserialize, schemars::JsonSchema)]
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
#[derive(Debug, Clone, SpecDeserialize, schemars::JsonSchema)]
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
#[derive(Debug, Clone, SpecDeserialize, schemars::JsonSchema)]
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
#[derive(Debug, Clone, Default, SpecDeserialize, schemars::JsonSchema)]
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
#[derive(Debug, Clone, SpecDeserialize, PartialEq, schemars::JsonSchema)]
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
#[derive(Debug, Clone, SpecDeserialize, PartialEq, schemars::JsonSchema)]
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

#[derive(Debug, Clone, SpecDeserialize, schemars::JsonSchema)]
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

/// The Alloy collectors: a collector switched on explicitly needs its backend, and relabel
/// rules and extra scrapes follow Alloy's own rules (checked here so the error names the field
/// instead of surfacing as a config-reload failure in the Alloy pod).
pub(super) fn check_collectors(spec: &MonitoringStackSpec, errors: &mut Vec<SpecError>) {
    let alloy = &spec.alloy;
    if !alloy.enabled {
        return;
    }
    let (logs, metrics) = (spec.ships_logs(), spec.ships_metrics());
    for (field, switched_on, ships, what) in [
        ("logs", alloy.logs.enabled == Some(true), logs, "logs"),
        (
            "metrics",
            alloy.metrics.enabled == Some(true),
            metrics,
            "metrics",
        ),
        ("events", alloy.events.enabled == Some(true), logs, "events"),
        ("nodeLogs", alloy.node_logs.enabled, logs, "node logs"),
    ] {
        if switched_on && !ships {
            let backend = if what == "metrics" {
                "Mimir is off (spec.mimir.enabled: false) and there is no spec.remote.metrics or prometheus destination"
            } else {
                "Loki is off (spec.loki.enabled: false) and there is no spec.remote.logs or loki destination"
            };
            errors.push(SpecError::new(
                format!("spec.alloy.{field}.enabled"),
                format!(
                    "the {what} collector is switched on but {backend}, so it has nowhere to send {what}: remove this field (the collector follows its backends) or give it one"
                ),
            ));
        }
    }
    if alloy.node_logs.enabled && alloy.node_logs.units.is_empty() {
        errors.push(SpecError::new(
            "spec.alloy.nodeLogs.units",
            "needs at least one systemd unit (e.g. \"kubelet.service\")",
        ));
    }
    if alloy.logs.runs(logs) {
        check_relabel_rules(
            "spec.alloy.logs.relabelRules",
            &alloy.logs.relabel_rules,
            errors,
        );
    }
    let metrics = &alloy.metrics;
    if metrics.runs(spec.ships_metrics()) {
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
pub(super) fn check_relabel_rules(
    path: &str,
    rules: &[super::RelabelRule],
    errors: &mut Vec<SpecError>,
) {
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
