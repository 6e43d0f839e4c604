//! `GrafanaDatasource`s for Loki (through `loki-gateway`) and Mimir (Prometheus type, through
//! `mimir-gateway` `/prometheus`, the default). Their uids are fixed ([`LOKI_UID`],
//! [`MIMIR_UID`]) so alert rules and dashboards can name them. The tenant header is sent only
//! when the component runs multi-tenant; the tenant is not a secret, so no `valuesFrom` (and no
//! placeholder) is needed.
//!
//! On a central stack (`spec.role: central`) the two default datasources query every tenant at
//! once (`X-Scope-OrgID: <own>|<central.tenants...>`: Loki's multi-tenant queries, Mimir's tenant
//! federation, which adds a `__tenant_id__` label to every series), one more datasource per
//! tenant (uid `loki-<tenant>` / `mimir-<tenant>`) reads that tenant alone, and every datasource
//! authenticates to the gateways with basic auth from `central.auth.clientSecret` (`valuesFrom`
//! replaces the `$username` / `$password` placeholders, which Flux does not substitute).

use super::{instance_selector, namespace, InstanceSelector, GRAFANA_API, LOKI_UID, MIMIR_UID};
use crate::json::json;
use crate::spec::{Role, CLIENT_PASSWORD_KEY, CLIENT_USERNAME_KEY};
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
    #[serde(skip_serializing_if = "Vec::is_empty")]
    values_from: Vec<serde_json::Value>,
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
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    basic_auth: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    basic_auth_user: Option<String>,
    json_data: serde_json::Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    secure_json_data: Option<serde_json::Value>,
}

#[derive(Serialize)]
struct Body<'a> {
    spec: Spec<'a>,
}
impl crate::stack::object::SerdeBody for Body<'_> {}

/// The longest datasource uid Grafana (and the CRD) accepts.
const MAX_UID: usize = 40;

pub fn objects(ctx: &Context) -> Vec<Value> {
    let mut out = Vec::new();
    let central = ctx.spec().role == Role::Central;
    if let Some(url) = ctx.loki_url() {
        let json_data = json!({ "maxLines": 1000, "timeout": 60 });
        let sources = Sources {
            uid: LOKI_UID,
            name: "Loki",
            kind: "loki",
            url,
            is_default: false,
            json_data,
        };
        out.extend(sources.build(ctx, ctx.loki_tenant(), central));
    }
    if let Some(url) = ctx.mimir_query_url() {
        let json_data = json!({
            "httpMethod": "POST",
            "prometheusType": "Mimir",
            // The scrape interval: the smallest step worth querying.
            "timeInterval": ctx.spec().alloy.metrics.scrape_interval.as_str(),
        });
        let sources = Sources {
            uid: MIMIR_UID,
            name: "Mimir",
            kind: "prometheus",
            url,
            is_default: true,
            json_data,
        };
        out.extend(sources.build(ctx, ctx.mimir_tenant(), central));
    }
    out
}

/// One backend's datasources: the default one and, on a central stack, one per tenant.
struct Sources<'a> {
    uid: &'a str,
    name: &'a str,
    kind: &'a str,
    url: String,
    is_default: bool,
    json_data: serde_json::Value,
}

impl Sources<'_> {
    fn build(&self, ctx: &Context, tenant: Option<&str>, central: bool) -> Vec<Value> {
        let one = |uid: &str, name: &str, is_default: bool, header: Option<&str>| {
            datasource(
                ctx,
                uid,
                name,
                self.kind,
                self.url.clone(),
                is_default,
                self.json_data.clone(),
                header,
            )
        };
        if !central {
            return vec![one(self.uid, self.name, self.is_default, tenant)];
        }
        // A central stack always runs multi-tenant (spec.role forces it): its own tenant first,
        // then the edges'.
        let tenants: Vec<&str> = tenant
            .into_iter()
            .chain(ctx.spec().central.tenants.iter().map(|t| t.as_str()))
            .collect();
        let all = tenants.join("|");
        let mut out = vec![one(self.uid, self.name, self.is_default, Some(&all))];
        for tenant in tenants {
            let uid = tenant_uid(self.uid, tenant);
            out.push(one(
                &uid,
                &format!("{} ({tenant})", self.name),
                false,
                Some(tenant),
            ));
        }
        out
    }
}

/// `<uid>-<tenant>`, shortened to Grafana's 40 characters with a hash of the tenant when longer
/// (tenants are DNS labels: ASCII, up to 63 characters).
pub fn tenant_uid(uid: &str, tenant: &str) -> String {
    let full = format!("{uid}-{tenant}");
    if full.len() <= MAX_UID {
        return full;
    }
    let hash = crate::stack::storage::short_hash(tenant);
    let keep = MAX_UID - uid.len() - hash.len() - 2;
    let head: String = tenant.chars().take(keep).collect();
    format!("{uid}-{}-{hash}", head.trim_end_matches('-'))
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
    let mut secure_json_data = tenant.map(|tenant| {
        json_data["httpHeaderName1"] = json!(TENANT_HEADER);
        json!({ "httpHeaderValue1": tenant })
    });
    // A central stack's gateways ask every client for basic auth: the client Secret's keys
    // replace the `$<key>` placeholders.
    let central = ctx.spec().role == Role::Central;
    let mut values_from = Vec::new();
    let mut basic_auth_user = None;
    if central {
        let secret = ctx.spec().central.auth.client_secret.as_str();
        basic_auth_user = Some(format!("${CLIENT_USERNAME_KEY}"));
        secure_json_data.get_or_insert_with(|| json!({}))["basicAuthPassword"] =
            json!(format!("${CLIENT_PASSWORD_KEY}"));
        for (path, key) in [
            ("basicAuthUser", CLIENT_USERNAME_KEY),
            ("secureJsonData.basicAuthPassword", CLIENT_PASSWORD_KEY),
        ] {
            values_from.push(json!({
                "targetPath": path,
                "valueFrom": { "secretKeyRef": { "name": secret, "key": key } },
            }));
        }
    }
    object(
        GRAFANA_API,
        "GrafanaDatasource",
        ctx.meta(uid, Some(namespace(ctx))),
        Body {
            spec: Spec {
                instance_selector: instance_selector(ctx),
                uid,
                values_from,
                datasource: Datasource {
                    name,
                    uid,
                    kind,
                    access: "proxy",
                    url,
                    is_default,
                    editable: false,
                    basic_auth: central,
                    basic_auth_user,
                    json_data,
                    secure_json_data,
                },
            },
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenant_uids_fit_grafanas_forty_characters() {
        assert_eq!(tenant_uid(MIMIR_UID, "edge-a"), "mimir-edge-a");
        let long = "a".repeat(62) + "b";
        let uid = tenant_uid(MIMIR_UID, &long);
        assert!(uid.len() <= MAX_UID, "{uid}");
        assert!(uid.starts_with("mimir-aaa"));
        assert_ne!(uid, tenant_uid(MIMIR_UID, &("a".repeat(62) + "c")));
        let dashes = "x".repeat(20) + &"-".repeat(20) + "y";
        assert!(!tenant_uid(LOKI_UID, &dashes).contains("--"));
    }

    #[test]
    fn a_central_stack_reads_every_tenant_with_the_client_secret() {
        let text = "apiVersion: monitoring-stack.dev/v1alpha1\nkind: MonitoringStack\nmetadata: {name: hub}\nspec:\n  role: central\n  grafana: {hostname: g.example.com}\n  central:\n    tenants: [edge-a, edge-b]\n    lokiHostname: loki.example.com\n    mimirHostname: mimir.example.com\n";
        let value: serde_yaml_ng::Value = serde_yaml_ng::from_str(text).expect("yaml");
        let stack = crate::spec::parse_stack(&value).expect("valid");
        let objects: Vec<serde_json::Value> = objects(&Context::new(&stack))
            .iter()
            .map(|o| serde_json::to_value(o).expect("JSON"))
            .collect();
        let uids: Vec<&str> = objects
            .iter()
            .filter_map(|o| o["spec"]["uid"].as_str())
            .collect();
        assert_eq!(
            uids,
            [
                "loki",
                "loki-hub",
                "loki-edge-a",
                "loki-edge-b",
                "mimir",
                "mimir-hub",
                "mimir-edge-a",
                "mimir-edge-b"
            ]
        );
        let mimir = &objects[4]["spec"];
        assert_eq!(
            mimir["datasource"]["secureJsonData"]["httpHeaderValue1"],
            "hub|edge-a|edge-b"
        );
        assert_eq!(mimir["datasource"]["isDefault"], true);
        assert_eq!(mimir["datasource"]["basicAuth"], true);
        assert_eq!(mimir["datasource"]["basicAuthUser"], "$username");
        assert_eq!(
            mimir["datasource"]["secureJsonData"]["basicAuthPassword"],
            "$password"
        );
        assert_eq!(
            mimir["valuesFrom"][1]["valueFrom"]["secretKeyRef"],
            json!({ "name": "monitoring-gateway-client", "key": "password" })
        );
        assert_eq!(
            objects[6]["spec"]["datasource"]["secureJsonData"]["httpHeaderValue1"],
            "edge-a"
        );
        assert!(objects
            .iter()
            .filter(|o| o["spec"]["uid"] != "mimir")
            .all(|o| o["spec"]["datasource"]["isDefault"] == false));
    }
}
