//! `spec.mimir`.

use super::*;

#[derive(Debug, Clone, SpecDeserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct MimirSpec {
    pub enabled: bool,
    pub namespace: DnsLabel,
    pub chart_version: Option<ChartVersion>,
    /// How long metric blocks are kept.
    pub retention: Retention,
    pub replicas: u32,
    /// Spread ingesters and store-gateways over zones.
    pub zone_awareness: bool,
    /// Require a tenant (`X-Scope-OrgID`) on every push and query.
    pub multi_tenancy: bool,
    /// The tenant the collectors write as and Grafana reads as, when multi-tenancy is on;
    /// defaults to the cluster name.
    pub tenant: Option<DnsLabel>,
    pub resources: Resources,
    pub persistence: Persistence,
    pub storage: StorageSpec,
    pub values: ExtraValues,
    /// The mixins' recording and alerting rules, evaluated by Mimir's ruler.
    pub rules: dashboards::RulesSpec,
}

impl Default for MimirSpec {
    fn default() -> Self {
        MimirSpec {
            enabled: true,
            namespace: DnsLabel::fixed("mimir"),
            chart_version: None,
            retention: Retention::fixed("30d"),
            replicas: 3,
            zone_awareness: false,
            multi_tenancy: false,
            tenant: None,
            resources: Resources::default(),
            persistence: Persistence::sized("20Gi"),
            storage: StorageSpec::default(),
            values: ExtraValues::default(),
            rules: dashboards::RulesSpec::default(),
        }
    }
}
