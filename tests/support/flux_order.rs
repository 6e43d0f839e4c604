//! The Flux apply order, simulated. The cluster's own Flux Kustomization applies the rendered
//! tree's root (`flux.path`): the control-plane namespace, the sources, the prometheus-crds
//! HelmRelease and one Kustomization per component folder. Each of those starts when the
//! Kustomizations it `dependsOn` are ready, applies its folder (kustomize's `resources`, or
//! every file below the folder as Flux generates it), and with `wait: true` is ready only when
//! what it applied is, HelmReleases included. A HelmRelease installs when the Kustomization
//! holding it has applied it and the HelmReleases it `dependsOn` are ready.
//!
//! The check: every object's kind is served when its stage starts (by Kubernetes, by a
//! declared prerequisite API, by a CRD that a stage already complete installed, or by the
//! HelmRelease's own `crds/` that Helm installs first) and its namespace already exists
//! (created by a complete stage, by the same Kustomization, or a prerequisite).

use super::deploy::{id_of, is_local_config, kind_of, name_of, namespace_of, Deployed};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// `Kustomization <name>` or `HelmRelease <ns>/<name>`; the cluster's own one is `root`.
type Stage = String;

const ROOT: &str = "the root Kustomization (the cluster's Flux applying flux.path)";

fn path_of(object: &Value) -> &str {
    object
        .pointer("/metadata/annotations/internal.config.kubernetes.io~1path")
        .or_else(|| object.pointer("/metadata/annotations/config.kubernetes.io~1path"))
        .and_then(Value::as_str)
        .unwrap_or("")
}

/// The files of a folder as kustomize (or Flux's generated kustomization) would build them.
fn resolve(folder: &str, files: &BTreeMap<String, Vec<&Value>>) -> Vec<String> {
    let prefix = if folder.is_empty() {
        String::new()
    } else {
        format!("{folder}/")
    };
    let config = files
        .get(&format!("{prefix}kustomization.yaml"))
        .and_then(|objects| objects.first());
    match config {
        Some(config) => config
            .get("resources")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .flat_map(|resource| {
                let path = format!("{prefix}{resource}");
                if files.contains_key(&path) {
                    vec![path]
                } else {
                    resolve(&path, files)
                }
            })
            .collect(),
        None => files
            .keys()
            .filter(|p| p.starts_with(&prefix) && !p.ends_with("kustomization.yaml"))
            .cloned()
            .collect(),
    }
}

/// A stage and what it applies or installs.
struct Node<'a> {
    objects: Vec<Value>,
    /// Kinds (`group/version/Kind`) its CRDs serve; for a HelmRelease split in `crds/`
    /// (installed before its templates) and templated ones.
    early_kinds: BTreeSet<String>,
    kinds: BTreeSet<String>,
    namespaces: BTreeSet<String>,
    /// Stages complete before it starts.
    after: BTreeSet<Stage>,
    /// What its readiness includes (itself and, with `wait`, its HelmReleases).
    ready_includes: BTreeSet<Stage>,
    release: Option<&'a super::deploy::Release>,
}

fn served_kinds(crd: &Value) -> Vec<String> {
    let group = crd
        .pointer("/spec/group")
        .and_then(Value::as_str)
        .unwrap_or("");
    let kind = crd
        .pointer("/spec/names/kind")
        .and_then(Value::as_str)
        .unwrap_or("");
    crd.pointer("/spec/versions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|v| v.get("served").and_then(Value::as_bool) != Some(false))
        .filter_map(|v| v.get("name").and_then(Value::as_str))
        .map(|version| format!("{group}/{version}/{kind}"))
        .collect()
}

fn kind_key(object: &Value) -> String {
    format!(
        "{}/{}",
        object
            .get("apiVersion")
            .and_then(Value::as_str)
            .unwrap_or(""),
        kind_of(object)
    )
}

/// A repository path without `.` and empty segments (`./a//b/` → `a/b`, `./` → ``).
fn normalise(path: &str) -> String {
    path.split('/')
        .filter(|part| !part.is_empty() && *part != ".")
        .collect::<Vec<_>>()
        .join("/")
}

/// Problems of a flux-layout stack's apply order; `None` for the flat layout (no Flux
/// Kustomizations: `kubectl apply` has no order to check). `package_path` is the repository
/// path of the package the objects' file paths are relative to: `flux_path` itself for a
/// package of one stack, its parent when the stack's files are in a folder of their own.
pub fn check(
    stack: &Deployed,
    flux_path: &str,
    package_path: &str,
    prerequisite_apis: &[String],
    prerequisite_namespaces: &[String],
    is_builtin: impl Fn(&str) -> bool,
) -> Option<(usize, Vec<String>)> {
    let kustomizations: Vec<&Value> = stack
        .generated
        .iter()
        .filter(|o| {
            kind_of(o) == "Kustomization"
                && o.get("apiVersion").and_then(Value::as_str)
                    == Some("kustomize.toolkit.fluxcd.io/v1")
        })
        .collect();
    if kustomizations.is_empty() {
        return None;
    }
    // Files by their repository path, as Flux sees them.
    let package = normalise(package_path);
    let package = package.as_str();
    let mut files: BTreeMap<String, Vec<&Value>> = BTreeMap::new();
    for object in &stack.generated {
        let path = match (package, path_of(object)) {
            ("", path) => path.to_string(),
            (package, path) => format!("{package}/{path}"),
        };
        files.entry(path).or_default().push(object);
    }
    let root_path = normalise(flux_path);
    let root_path = root_path.as_str();
    let mut nodes: BTreeMap<Stage, Node> = BTreeMap::new();
    let mut owner_of_release: BTreeMap<String, Stage> = BTreeMap::new();
    let mut folders: Vec<(Stage, String, Option<&Value>)> =
        vec![(ROOT.to_string(), root_path.to_string(), None)];
    for k in &kustomizations {
        let path = k
            .pointer("/spec/path")
            .and_then(Value::as_str)
            .unwrap_or("");
        let path = normalise(path);
        let path = path.as_str();
        let folder = if root_path.is_empty()
            || path == root_path
            || path.starts_with(&format!("{root_path}/"))
        {
            path.to_string()
        } else {
            format!("<outside flux.path: {path}>")
        };
        folders.push((format!("Kustomization {}", name_of(k)), folder, Some(k)));
    }
    for (stage, folder, kustomization) in &folders {
        let target = kustomization
            .and_then(|k| k.pointer("/spec/targetNamespace"))
            .and_then(Value::as_str);
        let mut objects = Vec::new();
        for file in resolve(folder, &files) {
            for object in files.get(&file).into_iter().flatten() {
                if is_local_config(object) {
                    continue;
                }
                let mut object = (*object).clone();
                if let (Some(target), false) =
                    (target, super::deploy::is_cluster_scoped(kind_of(&object)))
                {
                    object["metadata"]["namespace"] = Value::String(target.to_string());
                }
                objects.push(object);
            }
        }
        let mut node = Node {
            objects,
            early_kinds: BTreeSet::new(),
            kinds: BTreeSet::new(),
            namespaces: BTreeSet::new(),
            after: BTreeSet::new(),
            ready_includes: BTreeSet::from([stage.clone()]),
            release: None,
        };
        for object in &node.objects {
            match kind_of(object) {
                "Namespace" => {
                    node.namespaces.insert(name_of(object).to_string());
                }
                "CustomResourceDefinition" => node.kinds.extend(served_kinds(object)),
                "HelmRelease" => {
                    owner_of_release.insert(
                        format!("HelmRelease {}/{}", namespace_of(object), name_of(object)),
                        stage.clone(),
                    );
                }
                _ => {}
            }
        }
        nodes.insert(stage.clone(), node);
    }
    for release in &stack.releases {
        if !release.owner.starts_with("HelmRelease ") {
            continue;
        }
        let crds_installed = release
            .object
            .pointer("/spec/install/crds")
            .and_then(Value::as_str)
            .unwrap_or("Create")
            != "Skip";
        let mut node = Node {
            objects: release.objects().cloned().collect(),
            early_kinds: if crds_installed {
                release.crds().iter().flat_map(served_kinds).collect()
            } else {
                BTreeSet::new()
            },
            kinds: BTreeSet::new(),
            namespaces: BTreeSet::new(),
            after: BTreeSet::new(),
            ready_includes: BTreeSet::from([release.owner.clone()]),
            release: Some(release),
        };
        for object in &node.objects {
            if kind_of(object) == "CustomResourceDefinition" {
                node.kinds.extend(served_kinds(object));
            }
        }
        let kinds = node.early_kinds.clone();
        node.kinds.extend(kinds);
        nodes.insert(release.owner.clone(), node);
    }

    // Fixed point of "complete before": starts only grow.
    let depends = |object: &Value, own_namespace: &str| -> Vec<String> {
        object
            .pointer("/spec/dependsOn")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|d| {
                (
                    d.get("namespace")
                        .and_then(Value::as_str)
                        .unwrap_or(own_namespace)
                        .to_string(),
                    d.get("name")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_string(),
                )
            })
            .map(|(ns, name)| format!("{ns}/{name}"))
            .collect()
    };
    for _ in 0..nodes.len() + 2 {
        let snapshot: BTreeMap<Stage, (BTreeSet<Stage>, BTreeSet<Stage>)> = nodes
            .iter()
            .map(|(k, n)| (k.clone(), (n.after.clone(), n.ready_includes.clone())))
            .collect();
        let ready = |stage: &str| -> BTreeSet<Stage> {
            snapshot
                .get(stage)
                .map(|(after, includes)| {
                    let mut all = after.clone();
                    all.extend(includes.iter().cloned());
                    all
                })
                .unwrap_or_default()
        };
        for (stage, _, kustomization) in &folders {
            let Some(k) = kustomization else { continue };
            let mut after = ready(ROOT);
            for dependency in depends(k, namespace_of(k)) {
                let name = dependency.rsplit('/').next().unwrap_or("");
                after.extend(ready(&format!("Kustomization {name}")));
            }
            let wait = k.pointer("/spec/wait").and_then(Value::as_bool) == Some(true);
            let mut includes = BTreeSet::from([stage.clone()]);
            if wait {
                for (release, owner) in &owner_of_release {
                    if owner == stage {
                        includes.extend(ready(release));
                    }
                }
            }
            let node = nodes.get_mut(stage).expect("node");
            node.after = after;
            node.ready_includes = includes;
        }
        for (release, owner) in &owner_of_release {
            let Some(object) = nodes
                .get(release)
                .and_then(|n| n.release)
                .map(|r| r.object.clone())
            else {
                continue;
            };
            let mut after = ready(owner);
            for dependency in depends(&object, namespace_of(&object)) {
                after.extend(ready(&format!("HelmRelease {dependency}")));
            }
            if let Some(node) = nodes.get_mut(release) {
                node.after = after;
            }
        }
    }

    let mut problems = Vec::new();
    let mut checked = 0;
    let mut served_by: BTreeMap<String, Vec<Stage>> = BTreeMap::new();
    for (stage, node) in &nodes {
        for kind in &node.kinds {
            served_by
                .entry(kind.clone())
                .or_default()
                .push(stage.clone());
        }
    }
    for (stage, node) in &nodes {
        let done: &BTreeSet<Stage> = &node.after;
        let release_namespace = node.release.map(|r| r.job.namespace.clone());
        for object in &node.objects {
            checked += 1;
            let api_version = object
                .get("apiVersion")
                .and_then(Value::as_str)
                .unwrap_or("");
            let key = kind_key(object);
            let served = is_builtin(api_version)
                || prerequisite_apis.iter().any(|api| api == api_version)
                || node.early_kinds.contains(&key)
                || (node.release.is_none() && node.kinds.contains(&key))
                || served_by
                    .get(&key)
                    .is_some_and(|stages| stages.iter().any(|s| done.contains(s)));
            if !served {
                let providers = served_by.get(&key).cloned().unwrap_or_default();
                problems.push(format!(
                    "{} applied by {stage}: {key} is not served yet; {}",
                    id_of(object),
                    if providers.is_empty() {
                        "no stage installs its CRD and it is no declared prerequisite".to_string()
                    } else {
                        format!(
                            "{} installs its CRD, but {stage} does not wait for it",
                            providers.join(" and ")
                        )
                    }
                ));
            }
            let namespace = match namespace_of(object) {
                "" if super::deploy::is_cluster_scoped(kind_of(object)) => continue,
                "" => release_namespace.clone().unwrap_or_default(),
                ns => ns.to_string(),
            };
            let exists = prerequisite_namespaces.contains(&namespace)
                || (node.release.is_none() && node.namespaces.contains(&namespace))
                || nodes
                    .iter()
                    .any(|(s, n)| done.contains(s) && n.namespaces.contains(&namespace));
            if !exists {
                problems.push(format!(
                    "{} applied by {stage}: namespace {namespace} does not exist yet",
                    id_of(object)
                ));
            }
        }
    }
    Some((checked, problems))
}
