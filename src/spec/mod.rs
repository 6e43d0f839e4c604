//! `MonitoringStack` v1alpha1: the typed spec, its defaults (the seed cluster's choices) and its
//! validation. Each component's module holds its types and its checks; [`parse`] is the entry
//! point and the checks that span components. Everything downstream works on the typed values,
//! and a [`MonitoringStack`] carries what validation guarantees (e.g. [`ValidGrafana`]).
//!
//! Every struct denies unknown fields and every scalar type validates itself, so errors carry the
//! field path (`spec.loki.retention`) and the message says what was expected.

// First: its `chart_component!` macro is used by the component modules.
#[macro_use]
mod chart;

mod alloy;
mod cluster;
pub mod dashboards;
mod exporters;
mod fields;
mod fleet;
mod flux;
mod grafana;
mod loki;
mod mimir;
mod parse;
mod path_de;
pub mod schema;
mod storage;
pub mod values;

pub use alloy::*;
pub use chart::*;
pub use cluster::*;
pub use exporters::*;
pub use fleet::*;
pub use flux::*;
pub use grafana::*;
pub use loki::*;
pub use mimir::*;
pub use parse::{parse_stack, SpecError};
pub use storage::*;
pub use values::{
    ChartVersion, DataKey, DnsLabel, DnsSubdomain, FluxDuration, HttpUrl, Image, MetricName,
    Quantity, RepoPath, Retention,
};

/// The spec structs' `Deserialize` (table-driven, `fields.rs`); enums keep serde's derive.
pub(crate) use monitoring_stack_derive::SpecDeserialize;
use serde::Deserialize;

pub const API_VERSION: &str = "monitoring-stack.dev/v1alpha1";
pub const GROUP: &str = "monitoring-stack.dev";
pub const KIND: &str = "MonitoringStack";

/// A parsed, validated `MonitoringStack` object.
#[derive(Debug, Clone)]
pub struct MonitoringStack {
    pub name: DnsLabel,
    pub namespace: Option<String>,
    pub spec: MonitoringStackSpec,
    /// Grafana's required fields, validated: `Some` exactly when `spec.grafana.enabled`.
    pub grafana: Option<ValidGrafana>,
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

#[derive(Debug, Clone, SpecDeserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct MonitoringStackSpec {
    /// This cluster's place in a fleet: `standalone`, `central` or `edge`.
    pub role: Role,
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
    /// Edge stacks: the central stack's gateways the collectors write to.
    pub remote: RemoteSpec,
    /// Further endpoints the collectors also send to (any role).
    pub destinations: Vec<Destination>,
    /// Central stacks: the exposed, authenticated gateways and the tenants Grafana reads.
    pub central: CentralSpec,
}

impl Default for MonitoringStackSpec {
    fn default() -> Self {
        MonitoringStackSpec {
            role: Role::Standalone,
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
            remote: RemoteSpec::default(),
            destinations: Vec::new(),
            central: CentralSpec::default(),
        }
    }
}
