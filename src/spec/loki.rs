//! `spec.loki`.

use super::*;

#[derive(Debug, Clone, SpecDeserialize, schemars::JsonSchema)]
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
