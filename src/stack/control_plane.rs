//! The control-plane folder (the package root): its namespace, the chart sources, the
//! prometheus-operator CRDs release and, in the Flux layout, one Flux `Kustomization` per
//! component plus the `kustomization.yaml` that limits the root to these files.

use super::flux::{self, PinnedChart, Release};
use super::object::object;
use super::{Component, Context, Generated};
use crate::versions;
use serde_yaml_ng::Value;

/// Name of the CRD HelmRelease other releases depend on.
pub const PROMETHEUS_CRDS: &str = "prometheus-crds";

const NAMESPACE_FILE: &str = "namespace.yaml";
const SOURCES_FILE: &str = "sources.yaml";
const CRDS_FILE: &str = "prometheus-crds.yaml";
const KUSTOMIZATIONS_FILE: &str = "kustomizations.yaml";

pub fn build(ctx: &Context, components: &[Component]) -> Vec<Generated> {
    let spec = ctx.spec();
    let control_plane = spec.flux.namespace.as_str();
    let mut out = Vec::new();
    let mut push = |path: &str, object: Value| {
        out.push(Generated {
            path: path.to_string(),
            object,
        })
    };

    // The control plane runs no workloads, so it stays out of the mesh.
    push(
        NAMESPACE_FILE,
        object(
            "v1",
            "Namespace",
            ctx.meta(control_plane, None),
            serde_json::json!({}),
        ),
    );

    let crds = spec.prometheus_crds.enabled.then(|| {
        PinnedChart::new(
            versions::PROMETHEUS_CRDS,
            spec.prometheus_crds.chart_version.as_ref(),
        )
    });
    let mut charts: Vec<&PinnedChart> =
        components.iter().filter_map(|c| c.chart.as_ref()).collect();
    charts.extend(crds.as_ref());
    // One source per repository (OCI sources are per chart: they carry the version as tag).
    charts.sort_by_key(|c| c.chart.repository);
    charts.dedup_by_key(|c| c.chart.repository);
    let has_sources = !charts.is_empty();
    for chart in charts {
        push(SOURCES_FILE, flux::source(ctx, chart));
    }

    if let Some(chart) = &crds {
        let values = serde_json::json!({
            // Keep the CRDs when the release is deleted: removing them deletes every monitor.
            "crds": { "annotations": { "helm.sh/resource-policy": "keep" } }
        });
        push(
            CRDS_FILE,
            flux::helm_release(
                ctx,
                Release {
                    name: PROMETHEUS_CRDS,
                    namespace: control_plane,
                    chart,
                    values: super::object::to_value(&values),
                    extra: &spec.prometheus_crds.values,
                    depends_on: Vec::new(),
                },
            ),
        );
    }

    if super::uses_flux_kustomizations(spec) {
        for component in components {
            push(
                KUSTOMIZATIONS_FILE,
                flux::kustomization(
                    ctx,
                    component.folder,
                    &component.namespace,
                    &component.depends_on,
                ),
            );
        }
        let mut resources = vec![NAMESPACE_FILE];
        if has_sources {
            resources.push(SOURCES_FILE);
        }
        if crds.is_some() {
            resources.push(CRDS_FILE);
        }
        if !components.is_empty() {
            resources.push(KUSTOMIZATIONS_FILE);
        }
        // Flux applies the root folder through this file, so the component folders below it
        // are applied only by their own Kustomizations (with their targetNamespace).
        let meta = ctx
            .meta(ctx.stack_name(), None)
            .annotation(crate::resource_list::annotations::LOCAL_CONFIG, "true");
        push(
            "kustomization.yaml",
            object(
                "kustomize.config.k8s.io/v1beta1",
                "Kustomization",
                meta,
                serde_json::json!({ "resources": resources }),
            ),
        );
    }
    out
}
