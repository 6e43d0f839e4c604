//! Dashboards: a `GrafanaFolder` per area and a `GrafanaDashboard` per vendored dashboard whose
//! area is switched on and deployed ([`crate::stack::mixins`]), embedded as `gzipJson` (no
//! download at reconcile time), plus the users' own dashboards (`grafana.dashboards.custom`).
//! The vendored dashboards name only the fixed datasource uids ([`super::MIMIR_UID`],
//! [`super::LOKI_UID`]); the transform that vendors them binds every datasource variable.

use super::{instance_label, namespace, GRAFANA_API};
use crate::spec::dashboards::CustomDashboardSpec;
use crate::stack::mixins::{self, Area};
use crate::stack::object::object;
use crate::stack::Context;
use serde_yaml_ng::{Mapping, Value};

/// Folder title of custom dashboards that name none.
pub const CUSTOM_FOLDER_TITLE: &str = "Custom";

/// How often the operator re-downloads a dashboard from a URL or grafana.com (its default is
/// every 10 minutes).
const DOWNLOAD_RESYNC: &str = "24h";

/// A `spec` mapping from (field, value) pairs, `instanceSelector` first. Built by hand rather
/// than through derived `Serialize` structs: it keeps the WebAssembly module smaller.
fn body(ctx: &Context, fields: Vec<(&str, Value)>) -> Value {
    let (key, value) = instance_label(ctx);
    let mut labels = Mapping::new();
    labels.insert(key.into(), value.into());
    let mut selector = Mapping::new();
    selector.insert("matchLabels".into(), Value::Mapping(labels));
    let mut spec = Mapping::new();
    spec.insert("instanceSelector".into(), Value::Mapping(selector));
    for (field, value) in fields {
        spec.insert(field.into(), value);
    }
    let mut body = Mapping::new();
    body.insert("spec".into(), Value::Mapping(spec));
    Value::Mapping(body)
}

/// Name of an area's `GrafanaFolder` object (and the folder's uid).
pub fn folder_name(area: Area) -> String {
    format!("dashboards-{}", area.name())
}

/// The areas whose dashboards ship.
pub fn areas(ctx: &Context) -> Vec<Area> {
    Area::ALL
        .into_iter()
        .filter(|a| a.dashboards_on(ctx) && a.deployed(ctx))
        .collect()
}

pub fn objects(ctx: &Context) -> Vec<Value> {
    let mut out = Vec::new();
    let areas = areas(ctx);
    for area in &areas {
        let name = folder_name(*area);
        out.push(object(
            GRAFANA_API,
            "GrafanaFolder",
            ctx.meta(&name, Some(namespace(ctx))),
            body(
                ctx,
                vec![("uid", name.clone().into()), ("title", area.title().into())],
            ),
        ));
    }
    for dashboard in mixins::DASHBOARDS
        .iter()
        .filter(|d| areas.contains(&d.area))
    {
        out.push(object(
            GRAFANA_API,
            "GrafanaDashboard",
            ctx.meta(dashboard.name, Some(namespace(ctx))),
            body(
                ctx,
                vec![
                    ("folderRef", folder_name(dashboard.area).into()),
                    ("gzipJson", mixins::base64(dashboard.gzip).into()),
                ],
            ),
        ));
    }
    for custom in &ctx.spec().grafana.dashboards.custom {
        out.push(custom_dashboard(ctx, custom));
    }
    out
}

fn custom_dashboard(ctx: &Context, custom: &CustomDashboardSpec) -> Value {
    let folder = custom.folder.as_deref().unwrap_or(CUSTOM_FOLDER_TITLE);
    let mut fields: Vec<(&str, Value)> = vec![("folder", folder.into())];
    if let Some(json) = &custom.json {
        fields.push(("json", json.as_str().into()));
    }
    if let Some(url) = &custom.url {
        fields.push(("url", url.as_str().into()));
    }
    if let Some(com) = &custom.grafana_com {
        let mut reference = Mapping::new();
        reference.insert("id".into(), com.id.into());
        if let Some(revision) = com.revision {
            reference.insert("revision".into(), revision.into());
        }
        fields.push(("grafanaCom", Value::Mapping(reference)));
    }
    if let Some(map) = &custom.config_map {
        let mut reference = Mapping::new();
        reference.insert("name".into(), map.name.as_str().into());
        reference.insert("key".into(), map.key.as_str().into());
        fields.push(("configMapRef", Value::Mapping(reference)));
    }
    if custom.url.is_some() || custom.grafana_com.is_some() {
        fields.push(("resyncPeriod", DOWNLOAD_RESYNC.into()));
    }
    object(
        GRAFANA_API,
        "GrafanaDashboard",
        ctx.meta(custom.name.as_str(), Some(namespace(ctx))),
        body(ctx, fields),
    )
}
