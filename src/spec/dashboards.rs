//! `grafana.dashboards` (which dashboards Grafana gets) and `mimir.rules` (which PrometheusRules
//! the stack ships for Mimir's ruler). Self-contained: the structs, their defaults and their
//! checks (called from `parse.rs`).

use super::values::HttpsUrl;
use super::{DataKey, DnsLabel, DnsSubdomain, SpecError};
use serde::Deserialize;

/// The built-in dashboards, one switch per area (each also needs its component deployed), and
/// the users' own.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct DashboardsSpec {
    /// Kubernetes compute resources (cluster, namespace, workload, pod, node), kubelet,
    /// persistent volumes, networking (kubernetes-mixin).
    pub kubernetes: bool,
    /// Nodes and USE method (node-mixin; needs node-exporter).
    pub nodes: bool,
    /// Loki: operational, reads, writes, chunks, retention (loki-mixin).
    pub loki: bool,
    /// Mimir: overview, writes, reads, queries, object store, compactor, ruler, tenants.
    pub mimir: bool,
    /// Alloy: controller, cluster, logs and Prometheus pipelines, resources.
    pub alloy: bool,
    /// "Is monitoring working": collection, ingestion, storage and firing alerts on one page.
    pub stack: bool,
    /// The users' own dashboards, each a `GrafanaDashboard` in its folder.
    pub custom: Vec<CustomDashboardSpec>,
}

impl Default for DashboardsSpec {
    fn default() -> Self {
        DashboardsSpec {
            kubernetes: true,
            nodes: true,
            loki: true,
            mimir: true,
            alloy: true,
            stack: true,
            custom: Vec::new(),
        }
    }
}

/// One dashboard of the user's: exactly one of `url`, `grafanaCom`, `configMap`, `json`.
/// `url` and `grafanaCom` are fetched by the operator (not air-gap friendly); `configMap` and
/// `json` are not.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CustomDashboardSpec {
    /// Name of the `GrafanaDashboard` object.
    pub name: DnsLabel,
    /// Title of the Grafana folder it goes in (created when missing); "Custom" when unset.
    #[serde(default)]
    pub folder: Option<String>,
    /// Where the operator downloads the dashboard JSON from.
    #[serde(default)]
    pub url: Option<HttpsUrl>,
    /// A dashboard of grafana.com/grafana/dashboards.
    #[serde(default)]
    pub grafana_com: Option<GrafanaComRef>,
    /// A key of a ConfigMap in Grafana's namespace holding the dashboard JSON.
    #[serde(default)]
    pub config_map: Option<ConfigMapKeyRef>,
    /// The dashboard JSON itself.
    #[serde(default)]
    pub json: Option<String>,
}

/// A grafana.com dashboard: its id and the revision to pin (unset: the newest, at every
/// reconcile).
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GrafanaComRef {
    pub id: u32,
    #[serde(default)]
    pub revision: Option<u32>,
}

/// A key of a ConfigMap in the component's namespace.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ConfigMapKeyRef {
    pub name: DnsSubdomain,
    pub key: DataKey,
}

/// The mixins' rules as `PrometheusRule`s, which `alloy-metrics` loads into Mimir's ruler (with
/// every other PrometheusRule in the cluster). A component's rules ship when it is deployed.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct RulesSpec {
    /// Ship the mixins' rules, and have `alloy-metrics` sync PrometheusRules into the ruler.
    pub enabled: bool,
    /// Also ship the mixins' alerting rules (recording rules always ship: the dashboards read
    /// them). Alerts go to Mimir's Alertmanager and from there to the Slack channel.
    pub alerting: bool,
}

impl Default for RulesSpec {
    fn default() -> Self {
        RulesSpec {
            enabled: true,
            alerting: true,
        }
    }
}

/// The largest dashboard JSON accepted inline (the object must stay well under etcd's limit).
const MAX_JSON: usize = 512 * 1024;

impl DashboardsSpec {
    pub(crate) fn check(&self, errors: &mut Vec<SpecError>) {
        let mut names: Vec<&str> = Vec::new();
        for (i, dashboard) in self.custom.iter().enumerate() {
            let path = format!("spec.grafana.dashboards.custom[{i}]");
            let name = dashboard.name.as_str();
            if names.contains(&name) {
                errors.push(SpecError::new(
                    format!("{path}.name"),
                    format!("dashboard {name:?} is defined twice"),
                ));
            }
            names.push(name);
            let sources = [
                dashboard.url.is_some(),
                dashboard.grafana_com.is_some(),
                dashboard.config_map.is_some(),
                dashboard.json.is_some(),
            ];
            if sources.iter().filter(|s| **s).count() != 1 {
                errors.push(SpecError::new(
                    path.clone(),
                    "needs exactly one of url, grafanaCom, configMap, json",
                ));
            }
            if let Some(folder) = &dashboard.folder {
                if folder.trim().is_empty()
                    || folder.len() > 100
                    || folder.chars().any(char::is_control)
                {
                    errors.push(SpecError::new(
                        format!("{path}.folder"),
                        "a folder title: 1-100 characters, no control characters",
                    ));
                }
            }
            if let Some(json) = &dashboard.json {
                if json.len() > MAX_JSON {
                    errors.push(SpecError::new(
                        format!("{path}.json"),
                        format!("is {} bytes, over {MAX_JSON}: use a ConfigMap", json.len()),
                    ));
                } else {
                    match serde_json::from_str::<serde_json::Value>(json) {
                        Ok(serde_json::Value::Object(_)) => {}
                        Ok(_) => errors.push(SpecError::new(
                            format!("{path}.json"),
                            "must be a JSON object (a dashboard model)",
                        )),
                        Err(e) => errors.push(SpecError::new(
                            format!("{path}.json"),
                            format!("is not JSON: {e}"),
                        )),
                    }
                }
            }
        }
    }
}
