//! The `grafana-operator/` and `grafana/` folders: the operator's HelmRelease, and the namespace
//! the Grafana instance and its CRs live in.

use super::flux::PinnedChart;
use super::{with_resources, ChartFolder, Component, Context};
use crate::versions;
use serde_json::json;

pub const OPERATOR_FOLDER: &str = "grafana-operator";
pub const FOLDER: &str = "grafana";

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
    let values = with_resources(
        json!({ "watchNamespaces": watch }),
        "resources",
        &spec.resources,
    );
    Some(
        ChartFolder {
            folder: OPERATOR_FOLDER,
            namespace: spec.namespace.as_str(),
            chart: PinnedChart::new(versions::GRAFANA_OPERATOR, spec.chart_version.as_ref()),
            values,
            extra: &spec.values,
            uses_monitor_crds: false,
            depends_on: Vec::new(),
            namespace_labels: &[],
        }
        .build(ctx),
    )
}

pub fn grafana(ctx: &Context) -> Option<Component> {
    let spec = &ctx.spec().grafana;
    if !spec.enabled {
        return None;
    }
    let mut component = Component {
        folder: FOLDER,
        namespace: spec.namespace.to_string(),
        depends_on: vec![OPERATOR_FOLDER],
        chart: None,
        objects: Vec::new(),
    };
    component.push(
        "namespace.yaml",
        ctx.namespace(spec.namespace.as_str(), &[]),
    );
    Some(component)
}
