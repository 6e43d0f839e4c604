//! Flux objects shared by every component: chart sources, HelmReleases and Kustomizations.
//! Field names follow the pinned CRDs (`../shared/reference/crds/flux`).

use super::object::object;
use super::Context;
use crate::spec::ExtraValues;
use crate::versions::{Chart, Repository};
use serde::Serialize;
use serde_yaml_ng::Value;

pub const HELM_RELEASE_API: &str = "helm.toolkit.fluxcd.io/v2";
pub const KUSTOMIZATION_API: &str = "kustomize.toolkit.fluxcd.io/v1";
pub const SOURCE_API: &str = "source.toolkit.fluxcd.io/v1";

/// A chart at the version this render pins (the spec may override the default pin).
#[derive(Debug, Clone)]
pub struct PinnedChart {
    pub chart: Chart,
    pub version: String,
}

impl PinnedChart {
    pub fn new(chart: Chart, version_override: Option<&crate::spec::ChartVersion>) -> PinnedChart {
        PinnedChart {
            chart,
            version: version_override.map_or(chart.version.to_string(), |v| v.to_string()),
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SourceRef<'a> {
    kind: &'a str,
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    namespace: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct NamespacedRef<'a> {
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    namespace: Option<&'a str>,
}

/// The `HelmRepository` (or, for OCI-only charts, `OCIRepository`) a chart comes from.
pub fn source(ctx: &Context, chart: &PinnedChart) -> Value {
    let flux = &ctx.spec().flux;
    let namespace = Some(flux.namespace.as_str());
    let name = chart.chart.repository.object_name();
    match chart.chart.repository {
        Repository::GrafanaOperatorOci => {
            #[derive(Serialize)]
            #[serde(rename_all = "camelCase")]
            struct Spec<'a> {
                interval: &'a str,
                url: &'a str,
                r#ref: Tag<'a>,
                layer_selector: LayerSelector,
            }
            #[derive(Serialize)]
            struct Tag<'a> {
                tag: &'a str,
            }
            #[derive(Serialize)]
            #[serde(rename_all = "camelCase")]
            struct LayerSelector {
                media_type: &'static str,
                operation: &'static str,
            }
            object(
                SOURCE_API,
                "OCIRepository",
                ctx.meta(name, namespace),
                Body {
                    spec: Spec {
                        interval: flux.interval.as_str(),
                        url: chart.chart.repository.url(),
                        r#ref: Tag {
                            tag: &chart.version,
                        },
                        // The Helm chart layer, kept as the tarball helm-controller expects.
                        layer_selector: LayerSelector {
                            media_type: "application/vnd.cncf.helm.chart.content.v1.tar+gzip",
                            operation: "copy",
                        },
                    },
                },
            )
        }
        Repository::Grafana | Repository::PrometheusCommunity => {
            #[derive(Serialize)]
            struct Spec<'a> {
                interval: &'a str,
                url: &'a str,
            }
            object(
                SOURCE_API,
                "HelmRepository",
                ctx.meta(name, namespace),
                Body {
                    spec: Spec {
                        interval: flux.interval.as_str(),
                        url: chart.chart.repository.url(),
                    },
                },
            )
        }
    }
}

#[derive(Serialize)]
struct Body<S> {
    spec: S,
}
impl<S: serde::Serialize> crate::stack::object::SerdeBody for Body<S> {}

/// The settings of one HelmRelease.
pub struct Release<'a> {
    pub name: &'a str,
    pub namespace: &'a str,
    pub chart: &'a PinnedChart,
    /// The values the component renders; `extra` is merged over them last.
    pub values: Value,
    pub extra: &'a ExtraValues,
    /// HelmReleases (in the control-plane namespace) that must be ready first.
    pub depends_on: Vec<&'a str>,
}

/// A HelmRelease with CRD handling and remediation a production release wants: CRDs created and
/// replaced on upgrade (Helm alone never upgrades them), three retries, cleanup on failure.
pub fn helm_release(ctx: &Context, release: Release<'_>) -> Value {
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Spec<'a> {
        interval: &'a str,
        timeout: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        chart: Option<ChartTemplate<'a>>,
        #[serde(skip_serializing_if = "Option::is_none")]
        chart_ref: Option<SourceRef<'a>>,
        release_name: &'a str,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        depends_on: Vec<NamespacedRef<'a>>,
        install: Install,
        upgrade: Upgrade,
        // `values` comes last, added as YAML below: through serde it was copied twice.
    }
    #[derive(Serialize)]
    struct ChartTemplate<'a> {
        spec: ChartSpec<'a>,
    }
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct ChartSpec<'a> {
        chart: &'a str,
        version: &'a str,
        source_ref: SourceRef<'a>,
    }
    #[derive(Serialize)]
    struct Install {
        crds: &'static str,
        remediation: Remediation,
    }
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Upgrade {
        crds: &'static str,
        cleanup_on_fail: bool,
        remediation: Remediation,
    }
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Remediation {
        retries: u32,
        #[serde(skip_serializing_if = "Option::is_none")]
        remediate_last_failure: Option<bool>,
    }

    let flux = &ctx.spec().flux;
    let control_plane = flux.namespace.as_str();
    let source_name = release.chart.chart.repository.object_name();
    let (chart, chart_ref) = match release.chart.chart.repository {
        // An OCIRepository carries the version as its tag; the release points at it.
        Repository::GrafanaOperatorOci => (
            None,
            Some(SourceRef {
                kind: "OCIRepository",
                name: source_name,
                namespace: Some(control_plane),
            }),
        ),
        Repository::Grafana | Repository::PrometheusCommunity => (
            Some(ChartTemplate {
                spec: ChartSpec {
                    chart: release.chart.chart.name,
                    version: &release.chart.version,
                    source_ref: SourceRef {
                        kind: "HelmRepository",
                        name: source_name,
                        namespace: Some(control_plane),
                    },
                },
            }),
            None,
        ),
    };
    let mut values = release.values;
    super::object::merge(&mut values, &Value::Mapping(release.extra.0.clone()));
    let mut release_object = object(
        HELM_RELEASE_API,
        "HelmRelease",
        ctx.meta(release.name, Some(release.namespace)),
        Body {
            spec: Spec {
                interval: flux.interval.as_str(),
                timeout: flux.timeout.as_str(),
                chart,
                chart_ref,
                release_name: release.name,
                depends_on: release
                    .depends_on
                    .iter()
                    .map(|name| NamespacedRef {
                        name,
                        namespace: (release.namespace != control_plane).then_some(control_plane),
                    })
                    .collect(),
                install: Install {
                    crds: "CreateReplace",
                    remediation: Remediation {
                        retries: 3,
                        remediate_last_failure: None,
                    },
                },
                upgrade: Upgrade {
                    crds: "CreateReplace",
                    cleanup_on_fail: true,
                    remediation: Remediation {
                        retries: 3,
                        remediate_last_failure: Some(true),
                    },
                },
            },
        },
    );
    let empty = match &values {
        Value::Mapping(mapping) => mapping.is_empty(),
        Value::Null => true,
        _ => false,
    };
    if let (false, Some(Value::Mapping(spec))) = (empty, release_object.get_mut("spec")) {
        spec.insert("values".into(), values);
    }
    release_object
}

/// A Flux `Kustomization` named `name` applying `folder` (relative to the tree's root) into
/// `namespace`.
pub fn kustomization(
    ctx: &Context,
    name: &str,
    folder: &str,
    namespace: &str,
    depends_on: &[&str],
) -> Value {
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Spec<'a> {
        interval: &'a str,
        timeout: &'a str,
        retry_interval: &'a str,
        path: String,
        prune: bool,
        wait: bool,
        source_ref: SourceRef<'a>,
        target_namespace: &'a str,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        depends_on: Vec<NamespacedRef<'a>>,
    }
    let flux = &ctx.spec().flux;
    let root = flux.path.as_str().trim_end_matches('/');
    object(
        KUSTOMIZATION_API,
        "Kustomization",
        ctx.meta(name, Some(flux.namespace.as_str())),
        Body {
            spec: Spec {
                interval: flux.interval.as_str(),
                timeout: flux.timeout.as_str(),
                retry_interval: "2m",
                path: format!("{root}/{folder}"),
                prune: true,
                wait: true,
                source_ref: SourceRef {
                    kind: flux.source_ref.kind.as_str(),
                    name: flux.source_ref.name.as_str(),
                    namespace: Some(flux.source_ref.namespace.as_str()),
                },
                target_namespace: namespace,
                depends_on: depends_on
                    .iter()
                    .map(|name| NamespacedRef {
                        name,
                        namespace: None,
                    })
                    .collect(),
            },
        },
    )
}
