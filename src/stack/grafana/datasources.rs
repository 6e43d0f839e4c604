//! `GrafanaDatasource`s for Loki (through `loki-gateway`) and Mimir (Prometheus type, through
//! `mimir-gateway` `/prometheus`, the default). Their uids are fixed ([`LOKI_UID`],
//! [`MIMIR_UID`]) so alert rules and dashboards can name them. The tenant header is sent only
//! when the component runs multi-tenant; the tenant is not a secret, so no `valuesFrom` (and no
//! placeholder) is needed.

use super::{instance_selector, namespace, InstanceSelector, GRAFANA_API, LOKI_UID, MIMIR_UID};
use crate::json::json;
use crate::stack::object::object;
use crate::stack::Context;
use serde::Serialize;
use serde_yaml_ng::Value;

/// The header Loki and Mimir read the tenant from.
pub const TENANT_HEADER: &str = "X-Scope-OrgID";

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Spec<'a> {
    instance_selector: InstanceSelector,
    uid: &'a str,
    datasource: Datasource<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Datasource<'a> {
    name: &'a str,
    uid: &'a str,
    #[serde(rename = "type")]
    kind: &'a str,
    access: &'a str,
    url: String,
    is_default: bool,
    editable: bool,
    json_data: serde_json::Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    secure_json_data: Option<serde_json::Value>,
}

#[derive(Serialize)]
struct Body<'a> {
    spec: Spec<'a>,
}
impl crate::stack::object::SerdeBody for Body<'_> {}

pub fn objects(ctx: &Context) -> Vec<Value> {
    let mut out = Vec::new();
    if let Some(url) = ctx.loki_url() {
        let json_data = json!({ "maxLines": 1000, "timeout": 60 });
        out.push(datasource(
            ctx,
            LOKI_UID,
            "Loki",
            "loki",
            url,
            false,
            json_data,
            ctx.loki_tenant(),
        ));
    }
    if let Some(url) = ctx.mimir_query_url() {
        let json_data = json!({
            "httpMethod": "POST",
            "prometheusType": "Mimir",
            // The scrape interval: the smallest step worth querying.
            "timeInterval": ctx.spec().alloy.metrics.scrape_interval.as_str(),
        });
        out.push(datasource(
            ctx,
            MIMIR_UID,
            "Mimir",
            "prometheus",
            url,
            true,
            json_data,
            ctx.mimir_tenant(),
        ));
    }
    out
}

#[allow(clippy::too_many_arguments)]
fn datasource(
    ctx: &Context,
    uid: &str,
    name: &str,
    kind: &str,
    url: String,
    is_default: bool,
    mut json_data: serde_json::Value,
    tenant: Option<&str>,
) -> Value {
    let secure_json_data = tenant.map(|tenant| {
        json_data["httpHeaderName1"] = json!(TENANT_HEADER);
        json!({ "httpHeaderValue1": tenant })
    });
    object(
        GRAFANA_API,
        "GrafanaDatasource",
        ctx.meta(uid, Some(namespace(ctx))),
        Body {
            spec: Spec {
                instance_selector: instance_selector(ctx),
                uid,
                datasource: Datasource {
                    name,
                    uid,
                    kind,
                    access: "proxy",
                    url,
                    is_default,
                    editable: false,
                    json_data,
                    secure_json_data,
                },
            },
        },
    )
}
