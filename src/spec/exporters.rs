//! `spec.kubeStateMetrics`, `spec.nodeExporter` and `spec.prometheusCrds`.

use super::*;

chart_component!(
    KubeStateMetricsSpec,
    KubeStateMetricsDefaults,
    "kube-state-metrics"
);
chart_component!(NodeExporterSpec, NodeExporterDefaults, "node-exporter");

/// The prometheus-operator CRDs (PodMonitor, ServiceMonitor, PrometheusRule), installed as a
/// HelmRelease in the control-plane namespace.
#[derive(Debug, Clone, SpecDeserialize, schemars::JsonSchema)]
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
