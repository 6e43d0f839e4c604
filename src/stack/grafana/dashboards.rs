//! Dashboards: a `GrafanaFolder` per area and a `GrafanaDashboard` per vendored dashboard whose
//! area is switched on and deployed ([`crate::stack::mixins`]), embedded as `gzipJson` (no
//! download at reconcile time), plus the users' own dashboards (`grafana.dashboards.custom`).
//! The vendored dashboards name only the fixed datasource uids ([`super::MIMIR_UID`],
//! [`super::LOKI_UID`]); the transform that vendors them binds every datasource variable.

use super::{instance_selector, namespace, InstanceSelector, GRAFANA_API};
use crate::spec::dashboards::CustomDashboardSpec;
use crate::stack::mixins::{self, Area};
use crate::stack::object::object;
use crate::stack::Context;
use serde::Serialize;
use serde_yaml_ng::Value;

/// Folder title of custom dashboards that name none.
pub const CUSTOM_FOLDER_TITLE: &str = "Custom";

#[derive(Serialize)]
struct Body<S> {
    spec: S,
}
impl<S: Serialize> crate::stack::object::SerdeBody for Body<S> {}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct FolderSpec<'a> {
    instance_selector: InstanceSelector,
    uid: String,
    title: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct KeyRef<'a> {
    name: &'a str,
    key: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct GrafanaCom {
    id: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    revision: Option<u32>,
}

#[derive(Serialize, Default)]
#[serde(rename_all = "camelCase")]
struct DashboardSpec<'a> {
    instance_selector: Option<InstanceSelector>,
    #[serde(skip_serializing_if = "Option::is_none")]
    /// The `GrafanaFolder` object's name.
    folder_ref: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    folder: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    gzip_json: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    json: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    grafana_com: Option<GrafanaCom>,
    #[serde(skip_serializing_if = "Option::is_none")]
    config_map_ref: Option<KeyRef<'a>>,
    /// How often the operator re-applies the model (users' edits in the UI are overwritten).
    #[serde(skip_serializing_if = "Option::is_none")]
    resync_period: Option<&'a str>,
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
        out.push(object(
            GRAFANA_API,
            "GrafanaFolder",
            ctx.meta(&folder_name(*area), Some(namespace(ctx))),
            Body {
                spec: FolderSpec {
                    instance_selector: instance_selector(ctx),
                    uid: folder_name(*area),
                    title: area.title(),
                },
            },
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
            Body {
                spec: DashboardSpec {
                    instance_selector: Some(instance_selector(ctx)),
                    folder_ref: Some(folder_name(dashboard.area)),
                    gzip_json: Some(mixins::base64(dashboard.gzip)),
                    ..DashboardSpec::default()
                },
            },
        ));
    }
    for custom in &ctx.spec().grafana.dashboards.custom {
        out.push(custom_dashboard(ctx, custom));
    }
    out
}

fn custom_dashboard(ctx: &Context, custom: &CustomDashboardSpec) -> Value {
    let spec = DashboardSpec {
        instance_selector: Some(instance_selector(ctx)),
        folder: Some(custom.folder.as_deref().unwrap_or(CUSTOM_FOLDER_TITLE)),
        json: custom.json.as_deref(),
        url: custom.url.as_ref().map(|u| u.as_str()),
        grafana_com: custom.grafana_com.as_ref().map(|g| GrafanaCom {
            id: g.id,
            revision: g.revision,
        }),
        config_map_ref: custom.config_map.as_ref().map(|c| KeyRef {
            name: c.name.as_str(),
            key: c.key.as_str(),
        }),
        // Downloads are not repeated every resync (the operator's default is 10m).
        resync_period: (custom.url.is_some() || custom.grafana_com.is_some()).then_some("24h"),
        ..DashboardSpec::default()
    };
    object(
        GRAFANA_API,
        "GrafanaDashboard",
        ctx.meta(custom.name.as_str(), Some(namespace(ctx))),
        Body { spec },
    )
}
