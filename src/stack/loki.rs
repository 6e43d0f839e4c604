//! The `loki/` folder: namespace and the loki HelmRelease.

use super::flux::PinnedChart;
use super::{ChartFolder, Component, Context};
use crate::versions;
use serde_json::json;

pub const FOLDER: &str = "loki";

pub fn build(ctx: &Context) -> Option<Component> {
    let spec = &ctx.spec().loki;
    if !spec.enabled {
        return None;
    }
    Some(
        ChartFolder {
            folder: FOLDER,
            namespace: spec.namespace.as_str(),
            chart: PinnedChart::new(versions::LOKI, spec.chart_version.as_ref()),
            values: json!({}),
            extra: &spec.values,
            uses_monitor_crds: false,
            depends_on: Vec::new(),
            namespace_labels: &[],
        }
        .build(ctx),
    )
}
