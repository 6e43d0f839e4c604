//! The `alloy-operator/` and `alloy/` folders: the operator's HelmRelease, and the namespace of
//! the collectors it runs.

use super::flux::PinnedChart;
use super::{with_resources, ChartFolder, Component, Context};
use crate::versions;
use serde_json::json;

pub const OPERATOR_FOLDER: &str = "alloy-operator";
pub const FOLDER: &str = "alloy";

pub fn operator(ctx: &Context) -> Option<Component> {
    let spec = &ctx.spec().alloy_operator;
    if !spec.enabled {
        return None;
    }
    Some(
        ChartFolder {
            folder: OPERATOR_FOLDER,
            namespace: spec.namespace.as_str(),
            chart: PinnedChart::new(versions::ALLOY_OPERATOR, spec.chart_version.as_ref()),
            values: with_resources(json!({}), "resources", &spec.resources),
            extra: &spec.values,
            // The collectors it runs read PodMonitors and ServiceMonitors: the operator's
            // release waits for the CRDs, and the alloy folder waits for the operator.
            uses_monitor_crds: true,
            depends_on: Vec::new(),
            namespace_labels: &[],
        }
        .build(ctx),
    )
}

pub fn collectors(ctx: &Context) -> Option<Component> {
    let spec = &ctx.spec().alloy;
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
