//! What a cluster would see: a stack's generated objects plus every chart its HelmReleases and
//! `Alloy` resources install, rendered by real Helm ([`super::helm`]) with the release name and
//! namespace Flux (or the Alloy Operator) would use.

use super::helm::{Helm, Job, Rendered};
use serde_json::Value;

/// A chart install: a HelmRelease (installed by Flux's helm-controller) or an `Alloy` resource
/// (whose `spec` the Alloy Operator installs as the values of the Alloy chart).
#[derive(Debug, Clone)]
pub struct Release {
    /// `HelmRelease loki/loki`, `Alloy alloy/alloy-logs`.
    pub owner: String,
    /// The HelmRelease or Alloy object.
    pub object: Value,
    pub job: Job,
    /// The chart version the object asks for, when it is not the reference chart's.
    pub version_mismatch: Option<String>,
    pub result: Result<Rendered, String>,
}

impl Release {
    /// The rendered objects (none when the render failed), Helm test hooks left out: Flux runs
    /// them only with `test.enable`.
    pub fn objects(&self) -> impl Iterator<Item = &Value> {
        self.result
            .as_ref()
            .map(|r| r.objects.as_slice())
            .unwrap_or_default()
            .iter()
            .filter(|o| !is_test_hook(o))
    }

    pub fn crds(&self) -> &[Value] {
        self.result
            .as_ref()
            .map(|r| r.crds.as_slice())
            .unwrap_or_default()
    }

    pub fn chart(&self) -> &str {
        &self.job.chart
    }
}

fn is_test_hook(object: &Value) -> bool {
    object
        .pointer("/metadata/annotations/helm.sh~1hook")
        .and_then(Value::as_str)
        .is_some_and(|hooks| hooks.split(',').any(|h| h.trim().starts_with("test")))
}

/// Where an object of the deployed stack comes from.
#[derive(Debug, Clone, Copy)]
pub enum Origin<'a> {
    Generated,
    Rendered(&'a Release),
    /// Made by an operator from a generated CR (see [`operator_objects`]).
    Operator,
}

impl Origin<'_> {
    pub fn describe(&self) -> String {
        match self {
            Origin::Generated => "generated".to_string(),
            Origin::Rendered(release) => format!("rendered by {}", release.owner),
            Origin::Operator => "made by an operator".to_string(),
        }
    }
}

/// One stack as the cluster would see it.
#[derive(Debug, Clone)]
pub struct Deployed {
    /// A name for messages (the example's path, or `generated #n`).
    pub label: String,
    /// The MonitoringStack (YAML text) the objects come from.
    pub stack: String,
    /// The generated objects as JSON, local-config files (kustomize's own config) included.
    pub generated: Vec<Value>,
    pub releases: Vec<Release>,
}

impl Deployed {
    /// Every cluster object: generated (without local-config) and rendered, with the namespace
    /// Helm would install a namespaced rendered object into when its template names none.
    pub fn objects(&self) -> Vec<(Origin<'_>, Value)> {
        let mut out: Vec<(Origin, Value)> = self
            .generated
            .iter()
            .filter(|o| !is_local_config(o))
            .map(|o| (Origin::Generated, o.clone()))
            .collect();
        for object in operator_objects(&self.generated) {
            out.push((Origin::Operator, object));
        }
        for release in &self.releases {
            for object in release.objects() {
                let mut object = object.clone();
                if object.pointer("/metadata/namespace").is_none()
                    && !is_cluster_scoped(kind_of(&object))
                {
                    object["metadata"]["namespace"] = Value::String(release.job.namespace.clone());
                }
                out.push((Origin::Rendered(release), object));
            }
        }
        out
    }
}

/// What an operator makes from a generated CR that other objects refer to: the
/// grafana-operator's Service `<name>-service` for a `Grafana` (controllers/resources/
/// resources.go in grafana-operator v5: port 3000 named `grafana`, then `spec.service` merged
/// over it: its labels and any extra ports).
pub fn operator_objects(generated: &[Value]) -> Vec<Value> {
    generated
        .iter()
        .filter(|o| kind_of(o) == "Grafana")
        .map(|grafana| {
            let mut ports = vec![serde_json::json!({ "name": "grafana", "port": 3000 })];
            ports.extend(
                grafana
                    .pointer("/spec/service/spec/ports")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default(),
            );
            serde_json::json!({
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": {
                    "name": format!("{}-service", name_of(grafana)),
                    "namespace": namespace_of(grafana),
                    "labels": grafana.pointer("/spec/service/metadata/labels").cloned().unwrap_or(Value::Null),
                },
                "spec": { "ports": ports },
            })
        })
        .collect()
}

pub fn is_local_config(object: &Value) -> bool {
    object
        .pointer("/metadata/annotations/config.kubernetes.io~1local-config")
        .and_then(Value::as_str)
        == Some("true")
}

pub fn kind_of(object: &Value) -> &str {
    object.get("kind").and_then(Value::as_str).unwrap_or("")
}

pub fn name_of(object: &Value) -> &str {
    object
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("")
}

pub fn namespace_of(object: &Value) -> &str {
    object
        .pointer("/metadata/namespace")
        .and_then(Value::as_str)
        .unwrap_or("")
}

/// `Kind namespace/name` (or `Kind name` for cluster objects).
pub fn id_of(object: &Value) -> String {
    match namespace_of(object) {
        "" => format!("{} {}", kind_of(object), name_of(object)),
        ns => format!("{} {ns}/{}", kind_of(object), name_of(object)),
    }
}

/// Kinds the stack's output can hold that live outside namespaces.
pub fn is_cluster_scoped(kind: &str) -> bool {
    matches!(
        kind,
        "Namespace"
            | "ClusterRole"
            | "ClusterRoleBinding"
            | "CustomResourceDefinition"
            | "ValidatingWebhookConfiguration"
            | "MutatingWebhookConfiguration"
            | "PriorityClass"
            | "StorageClass"
            | "IngressClass"
            | "BucketClass"
            | "BucketAccessClass"
            | "ClusterIssuer"
            | "PersistentVolume"
    )
}

/// The chart folder (under `charts/`) a HelmRelease installs: `chart.spec.chart`, or the last
/// path segment of the OCIRepository its `chartRef` names.
fn chart_of(release: &Value, generated: &[Value]) -> Option<String> {
    if let Some(chart) = release
        .pointer("/spec/chart/spec/chart")
        .and_then(Value::as_str)
    {
        return Some(chart.to_string());
    }
    let reference = release.pointer("/spec/chartRef")?;
    let name = reference.get("name")?.as_str()?;
    let repository = generated
        .iter()
        .find(|o| kind_of(o) == "OCIRepository" && name_of(o) == name)?;
    let url = repository.pointer("/spec/url")?.as_str()?;
    Some(url.rsplit('/').next()?.to_string())
}

fn chart_version_of(release: &Value, generated: &[Value]) -> Option<String> {
    if let Some(version) = release
        .pointer("/spec/chart/spec/version")
        .and_then(Value::as_str)
    {
        return Some(version.to_string());
    }
    let name = release.pointer("/spec/chartRef/name")?.as_str()?;
    let repository = generated
        .iter()
        .find(|o| kind_of(o) == "OCIRepository" && name_of(o) == name)?;
    Some(repository.pointer("/spec/ref/tag")?.as_str()?.to_string())
}

/// The chart installs of a stack's generated objects (not yet rendered).
fn installs(
    generated: &[Value],
    charts: &std::path::Path,
) -> Vec<(String, Value, Job, Option<String>)> {
    let mut out = Vec::new();
    for object in generated {
        match kind_of(object) {
            "HelmRelease" => {
                let Some(chart) = chart_of(object, generated) else {
                    continue;
                };
                // Flux's defaults: the release lives in the HelmRelease's namespace (or its
                // targetNamespace) and is named `[<targetNamespace>-]<name>`.
                let target = object
                    .pointer("/spec/targetNamespace")
                    .and_then(Value::as_str);
                let namespace = target.unwrap_or(namespace_of(object));
                let release = match object.pointer("/spec/releaseName").and_then(Value::as_str) {
                    Some(name) => name.to_string(),
                    None => match target {
                        Some(t) => format!("{t}-{}", name_of(object)),
                        None => name_of(object).to_string(),
                    },
                };
                let values = object
                    .pointer("/spec/values")
                    .cloned()
                    .unwrap_or(Value::Object(Default::default()));
                let wanted = chart_version_of(object, generated);
                let pinned = reference_version(charts, &chart);
                let mismatch = match (&wanted, &pinned) {
                    (Some(w), Some(p)) if w != p => {
                        Some(format!("asks for {chart} {w}; the reference chart is {p}"))
                    }
                    _ => None,
                };
                out.push((
                    format!("HelmRelease {namespace}/{}", name_of(object)),
                    object.clone(),
                    Job::new(&chart, &release, namespace, &values),
                    mismatch,
                ));
            }
            "Alloy" => {
                let values = object
                    .get("spec")
                    .cloned()
                    .unwrap_or(Value::Object(Default::default()));
                out.push((
                    format!("Alloy {}/{}", namespace_of(object), name_of(object)),
                    object.clone(),
                    Job::new("alloy", name_of(object), namespace_of(object), &values),
                    None,
                ));
            }
            _ => {}
        }
    }
    out
}

fn reference_version(charts: &std::path::Path, chart: &str) -> Option<String> {
    let text = std::fs::read_to_string(charts.join(chart).join("Chart.yaml")).ok()?;
    text.lines()
        .find_map(|l| l.strip_prefix("version:"))
        .map(|v| v.trim().trim_matches('"').to_string())
}

/// Renders the charts of many stacks at once (each distinct install once).
/// `stacks`: (label, the MonitoringStack's YAML, its generated objects).
pub fn deploy_all(helm: &Helm, stacks: Vec<(String, String, Vec<Value>)>) -> Vec<Deployed> {
    #[allow(clippy::type_complexity)]
    let planned: Vec<(
        String,
        String,
        Vec<Value>,
        Vec<(String, Value, Job, Option<String>)>,
    )> = stacks
        .into_iter()
        .map(|(label, stack, generated)| {
            let installs = installs(&generated, helm.charts_dir());
            (label, stack, generated, installs)
        })
        .collect();
    let jobs: Vec<Job> = planned
        .iter()
        .flat_map(|(_, _, _, installs)| installs.iter().map(|i| i.2.clone()))
        .collect();
    let mut results = helm.render(&jobs).into_iter();
    planned
        .into_iter()
        .map(|(label, stack, generated, installs)| {
            let releases = installs
                .into_iter()
                .map(|(owner, object, job, version_mismatch)| Release {
                    owner,
                    object,
                    job,
                    version_mismatch,
                    result: results.next().expect("one result per job"),
                })
                .collect();
            Deployed {
                label,
                stack,
                generated,
                releases,
            }
        })
        .collect()
}

/// A stack's generated objects as JSON.
pub fn generated_json(objects: &[serde_yaml_ng::Value]) -> Vec<Value> {
    objects
        .iter()
        .map(|o| super::yaml_to_json(o.clone()).expect("generated objects are JSON-compatible"))
        .collect()
}
