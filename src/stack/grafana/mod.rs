//! The `grafana-operator/` and `grafana/` folders: the operator's HelmRelease, and Grafana run
//! by it — the `Grafana` CR (grafana.ini, OIDC, persistence, exposure), its certificate and
//! route, its ServiceMonitor, the Loki and Mimir datasources, and the alerting objects (folders,
//! rule groups, contact points, notification policy).
//!
//! Every CR besides the `Grafana` one selects the instance by [`INSTANCE_LABEL`]; the operator
//! derives the names of what it creates from [`INSTANCE_NAME`] (`grafana-service`,
//! `grafana-pvc`, `grafana-deployment`).

mod alerting;
pub mod dashboards;
mod datasources;
pub(crate) mod exposure;
mod instance;
mod rules;

use super::{ChartFolder, Component, Context};
use crate::json::json;
use crate::versions;
use serde::Serialize;
use std::collections::BTreeMap;

pub const OPERATOR_FOLDER: &str = "grafana-operator";
pub const FOLDER: &str = "grafana";

/// API version of every grafana-operator kind.
pub const GRAFANA_API: &str = "grafana.integreatly.org/v1beta1";
/// Name of the `Grafana` CR.
pub const INSTANCE_NAME: &str = "grafana";
/// The Service the operator creates for the instance (`<name>-service`) and its port.
pub const SERVICE_NAME: &str = "grafana-service";
pub const SERVICE_PORT: u16 = 3000;
/// Name of the operator's Service port (`config.GrafanaHttpPortName`) and container port.
pub const SERVICE_PORT_NAME: &str = "grafana";
pub const CONTAINER_PORT_NAME: &str = "grafana-http";
/// The PVC the operator creates from `spec.persistentVolumeClaim` (`<name>-pvc`).
pub const PVC_NAME: &str = "grafana-pvc";
/// Label on the `Grafana` CR (and its Service) that every other CR's `instanceSelector` matches.
pub const INSTANCE_LABEL: &str = "monitoring-stack.dev/grafana";
/// Stable datasource uids: dashboards and alert rules refer to these.
pub const LOKI_UID: &str = "loki";
pub const MIMIR_UID: &str = "mimir";
/// The cert-manager Certificate and the Secret it writes (LoadBalancer and HTTPRoute paths).
pub const CERTIFICATE_NAME: &str = "grafana";
pub const TLS_SECRET: &str = "grafana-tls";

const NAMESPACE_FILE: &str = "namespace.yaml";
const INSTANCE_FILE: &str = "grafana.yaml";
const EXPOSURE_FILE: &str = "exposure.yaml";
const MONITORING_FILE: &str = "servicemonitor.yaml";
const DATASOURCES_FILE: &str = "datasources.yaml";
const ALERTING_FILE: &str = "alerting.yaml";
const RULES_FILE: &str = "alert-rules.yaml";
const DASHBOARDS_FILE: &str = "dashboards.yaml";

pub fn operator(ctx: &Context) -> Option<Component> {
    let spec = &ctx.spec().grafana_operator;
    if !spec.enabled {
        return None;
    }
    let grafana = &ctx.spec().grafana;
    // Watch only the namespace that holds the Grafana CRs: least privilege for the operator.
    let watch = if grafana.enabled {
        grafana.namespace.as_str()
    } else {
        ""
    };
    let values = json!({
        "watchNamespaces": watch,
        // The chart's pod context leaves seccomp unset: Pod Security "restricted" needs it.
        "podSecurityContext": super::restricted_seccomp(),
        // The operator's own metrics, scraped by alloy-metrics like every other monitor.
        "serviceMonitor": { "enabled": true },
    });
    // The ServiceMonitor needs the prometheus-operator CRDs; the grafana folder (which has its
    // own ServiceMonitor) waits for this release, so for the CRDs too.
    Some(
        ChartFolder::of_chart(OPERATOR_FOLDER, spec, versions::GRAFANA_OPERATOR, values).build(ctx),
    )
}

pub fn grafana(ctx: &Context) -> Option<Component> {
    // Present exactly when Grafana is on.
    let valid = ctx.grafana()?;
    let spec = &ctx.spec().grafana;
    let namespace = spec.namespace.as_str();
    let mut component = Component::new(FOLDER, namespace, vec![OPERATOR_FOLDER]);
    // Grafana's pod fits Pod Security "restricted" (the CR's overlay sets every field it
    // needs); with Istio ambient there is no sidecar or istio-init that would need more.
    component.push(
        NAMESPACE_FILE,
        ctx.namespace(namespace, super::PodSecurity::Restricted),
    );

    let plan = exposure::Plan::new(ctx, valid);
    component.push(INSTANCE_FILE, instance::grafana(ctx, &plan));
    for object in exposure::objects(ctx, &plan) {
        component.push(EXPOSURE_FILE, object);
    }
    component.push(MONITORING_FILE, instance::service_monitor(ctx, &plan));
    for object in datasources::objects(ctx) {
        component.push(DATASOURCES_FILE, object);
    }
    for object in alerting::objects(ctx) {
        component.push(ALERTING_FILE, object);
    }
    for object in rules::objects(ctx) {
        component.push(RULES_FILE, object);
    }
    for object in dashboards::objects(ctx) {
        component.push(DASHBOARDS_FILE, object);
    }
    Some(component)
}

/// `instanceSelector` of every CR that targets the stack's Grafana.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
struct InstanceSelector {
    match_labels: BTreeMap<String, String>,
}

/// The label (key, value) the `Grafana` CR carries and every selector matches.
fn instance_label(ctx: &Context) -> (&'static str, String) {
    (INSTANCE_LABEL, ctx.stack_name().to_string())
}

fn instance_selector(ctx: &Context) -> InstanceSelector {
    let (key, value) = instance_label(ctx);
    InstanceSelector {
        match_labels: crate::collections::map_of([(key.to_string(), value)]),
    }
}

/// The Grafana namespace (every object of the `grafana/` folder lives there).
fn namespace<'a>(ctx: &Context<'a>) -> &'a str {
    ctx.spec().grafana.namespace.as_str()
}
