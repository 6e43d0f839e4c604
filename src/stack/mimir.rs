//! The `mimir/` folder: namespace and the mimir-distributed HelmRelease.

use super::flux::PinnedChart;
use super::{ChartFolder, Component, Context};
use crate::versions;
use serde_json::json;

pub const FOLDER: &str = "mimir";

pub fn build(ctx: &Context) -> Option<Component> {
    let spec = &ctx.spec().mimir;
    if !spec.enabled {
        return None;
    }
    Some(
        ChartFolder {
            folder: FOLDER,
            namespace: spec.namespace.as_str(),
            chart: PinnedChart::new(versions::MIMIR, spec.chart_version.as_ref()),
            values: json!({}),
            extra: &spec.values,
            uses_monitor_crds: false,
            depends_on: Vec::new(),
            namespace_labels: &[],
        }
        .build(ctx),
    )
}
