//! Where the components reach each other: the gateways' in-cluster URLs and the tenant to send.
//! Collectors (Alloy) write to them and Grafana's datasources read from them, so both sides take
//! them from here.

use super::Context;

/// Service names the charts give the gateways for releases named `loki` and `mimir`.
pub const LOKI_GATEWAY: &str = "loki-gateway";
pub const MIMIR_GATEWAY: &str = "mimir-gateway";

impl Context<'_> {
    /// The `cluster` label value: `spec.cluster.name`, else the stack's name.
    pub fn cluster_name(&self) -> &str {
        self.spec()
            .cluster
            .name
            .as_ref()
            .map_or(self.stack_name(), |n| n.as_str())
    }

    /// Base URL of Loki's gateway (`http://loki-gateway.<ns>.svc.cluster.local`), when Loki is on.
    pub fn loki_url(&self) -> Option<String> {
        let loki = &self.spec().loki;
        loki.enabled
            .then(|| format!("http://{LOKI_GATEWAY}.{}.svc.cluster.local", loki.namespace))
    }

    /// Where collectors push logs.
    pub fn loki_push_url(&self) -> Option<String> {
        self.loki_url()
            .map(|base| format!("{base}/loki/api/v1/push"))
    }

    /// Base URL of Mimir's gateway, when Mimir is on.
    pub fn mimir_url(&self) -> Option<String> {
        let mimir = &self.spec().mimir;
        mimir.enabled.then(|| {
            format!(
                "http://{MIMIR_GATEWAY}.{}.svc.cluster.local",
                mimir.namespace
            )
        })
    }

    /// Where collectors remote-write metrics.
    pub fn mimir_push_url(&self) -> Option<String> {
        self.mimir_url().map(|base| format!("{base}/api/v1/push"))
    }

    /// The Prometheus-compatible query API (Grafana's datasource URL).
    pub fn mimir_query_url(&self) -> Option<String> {
        self.mimir_url().map(|base| format!("{base}/prometheus"))
    }

    /// The `X-Scope-OrgID` to send to Loki: `Some` only when multi-tenancy is on.
    pub fn loki_tenant(&self) -> Option<&str> {
        let loki = &self.spec().loki;
        loki.multi_tenancy.then(|| {
            loki.tenant
                .as_ref()
                .map_or(self.cluster_name(), |t| t.as_str())
        })
    }

    /// The `X-Scope-OrgID` to send to Mimir: `Some` only when multi-tenancy is on.
    pub fn mimir_tenant(&self) -> Option<&str> {
        let mimir = &self.spec().mimir;
        mimir.multi_tenancy.then(|| {
            mimir
                .tenant
                .as_ref()
                .map_or(self.cluster_name(), |t| t.as_str())
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::spec::parse_stack;
    use crate::stack::Context;

    #[test]
    fn urls_and_tenants_follow_the_spec() {
        let value: serde_yaml_ng::Value = serde_yaml_ng::from_str(
            "apiVersion: monitoring-stack.dev/v1alpha1\nkind: MonitoringStack\nmetadata: {name: main}\nspec:\n  grafana: {hostname: g.example.com}\n  loki: {namespace: logs, multiTenancy: true}\n  mimir: {multiTenancy: true, tenant: ops}\n",
        )
        .expect("yaml");
        let stack = parse_stack(&value).expect("valid");
        let ctx = Context::new(&stack);
        assert_eq!(
            ctx.loki_push_url().as_deref(),
            Some("http://loki-gateway.logs.svc.cluster.local/loki/api/v1/push")
        );
        assert_eq!(
            ctx.mimir_query_url().as_deref(),
            Some("http://mimir-gateway.mimir.svc.cluster.local/prometheus")
        );
        assert_eq!(ctx.loki_tenant(), Some("main"));
        assert_eq!(ctx.mimir_tenant(), Some("ops"));
    }
}
