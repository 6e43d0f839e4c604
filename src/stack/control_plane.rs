//! The control-plane folder (the package root): its namespace, the chart sources, the
//! prometheus-operator CRDs release and, in the Flux layout, one Flux `Kustomization` per
//! component plus the `kustomization.yaml` that limits the root to these files.

use super::flux::{self, PinnedChart, Release};
use super::object::object;
use super::{Component, Context, Generated, RELEASE_FOLDER};
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

    // The control plane runs no workloads, so it stays out of the mesh, and admits none that
    // are less than restricted.
    push(
        NAMESPACE_FILE,
        object(
            "v1",
            "Namespace",
            super::PodSecurity::Restricted.mark(ctx.meta(control_plane, None)),
            crate::json::json!({}),
        ),
    );

    let crds = spec.prometheus_crds.enabled.then(|| {
        PinnedChart::new(
            versions::PROMETHEUS_CRDS,
            spec.prometheus_crds.chart_version.as_ref(),
        )
    });
    // One source per repository (OCI sources are per chart: they carry the version as tag), in
    // repository order; the first chart of a repository names it.
    let mut charts = std::collections::BTreeMap::new();
    for chart in components
        .iter()
        .filter_map(|c| c.chart.as_ref())
        .chain(crds.as_ref())
    {
        charts.entry(chart.chart.repository).or_insert(chart);
    }
    let has_sources = !charts.is_empty();
    for chart in charts.into_values() {
        push(SOURCES_FILE, flux::source(ctx, chart));
    }

    if let Some(chart) = &crds {
        let values = crate::json::json!({
            // Keep the CRDs when the release is deleted: removing them deletes every monitor.
            "crds": { "annotations": { "helm.sh/resource-policy": "keep" } }
        });
        // Under Flux the release has a folder and Kustomization of its own, so that folders
        // applying monitors themselves (Grafana's ServiceMonitor) can wait for the CRDs even
        // when no HelmRelease of theirs does.
        let file = if super::uses_flux_kustomizations(spec) {
            format!("{PROMETHEUS_CRDS}/helmrelease.yaml")
        } else {
            CRDS_FILE.to_string()
        };
        push(
            &file,
            flux::helm_release(
                ctx,
                Release {
                    name: PROMETHEUS_CRDS,
                    namespace: control_plane,
                    chart,
                    values: super::object::from_json(values),
                    extra: &spec.prometheus_crds.values,
                    depends_on: Vec::new(),
                },
            ),
        );
    }

    if super::uses_flux_kustomizations(spec) {
        if crds.is_some() {
            push(
                KUSTOMIZATIONS_FILE,
                flux::kustomization(ctx, PROMETHEUS_CRDS, PROMETHEUS_CRDS, control_plane, &[]),
            );
        }
        for component in components {
            let folder = component.folder;
            let mut depends_on: Vec<&str> = component.depends_on.clone();
            if crds.is_some() && applies_monitors(component) {
                depends_on.push(PROMETHEUS_CRDS);
            }
            push(
                KUSTOMIZATIONS_FILE,
                flux::kustomization(ctx, folder, folder, &component.namespace, &depends_on),
            );
            if component.staged {
                let release = format!("{folder}-{RELEASE_FOLDER}");
                push(
                    KUSTOMIZATIONS_FILE,
                    flux::kustomization(
                        ctx,
                        &release,
                        &format!("{folder}/{RELEASE_FOLDER}"),
                        &component.namespace,
                        &[folder],
                    ),
                );
                // The folder's own kustomization.yaml stops Flux from also applying release/.
                let own_files = folder_files(component);
                push(
                    &format!("{folder}/kustomization.yaml"),
                    kustomize_config(ctx, folder, &own_files),
                );
            }
        }
        let mut resources = vec![NAMESPACE_FILE];
        if has_sources {
            resources.push(SOURCES_FILE);
        }
        if crds.is_some() || !components.is_empty() {
            resources.push(KUSTOMIZATIONS_FILE);
        }
        // Flux applies the root folder through this file, so the component folders below it
        // are applied only by their own Kustomizations (with their targetNamespace).
        push(
            "kustomization.yaml",
            kustomize_config(ctx, ctx.stack_name(), &resources),
        );
    }
    out
}

/// Whether a component's folder applies prometheus-operator objects itself (not through a
/// chart), so its Kustomization must wait for their CRDs.
fn applies_monitors(component: &Component) -> bool {
    component.objects.iter().any(|g| {
        g.object
            .get("apiVersion")
            .and_then(Value::as_str)
            .is_some_and(|v| v.starts_with("monitoring.coreos.com/"))
    })
}

/// A kustomize `kustomization.yaml` listing `resources` (local-config: configuration for the
/// tools, not an object for the cluster).
fn kustomize_config(ctx: &Context, name: &str, resources: &[impl AsRef<str>]) -> Value {
    let meta = ctx
        .meta(name, None)
        .annotation(crate::krm::annotations::LOCAL_CONFIG, "true");
    let resources: Vec<&str> = resources.iter().map(AsRef::as_ref).collect();
    object(
        "kustomize.config.k8s.io/v1beta1",
        "Kustomization",
        meta,
        crate::json::json!({ "resources": resources }),
    )
}

/// The files directly in a component's folder (not in its subfolders), in order of appearance.
fn folder_files(component: &Component) -> Vec<String> {
    let prefix = format!("{}/", component.folder);
    let mut files: Vec<String> = Vec::new();
    for generated in &component.objects {
        if let Some(file) = generated.path.strip_prefix(&prefix) {
            if !file.contains('/') && !files.iter().any(|f| f == file) {
                files.push(file.to_string());
            }
        }
    }
    files
}
