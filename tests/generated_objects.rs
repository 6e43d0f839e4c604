//! Every object every example generates is checked against the pinned upstream material: custom
//! resources against their CRD (strict: unknown fields are errors), HelmRelease values against the
//! chart's `values.yaml`, and the ownership and placement rules of the design.

mod support;

use monitoring_stack::render;
use serde_json::Value;

/// Every example stack in the repository (the kustomize and kpt setups included).
const EXAMPLES: &[&str] = &[
    "krm/examples/seed.yaml",
    "krm/examples/minimal.yaml",
    "krm/kustomize/legacy-plugin/stack.yaml",
    "krm/kustomize/container/stack.yaml",
    "krm/kustomize/exec/stack.yaml",
    "krm/kpt/monitoring-stack.yaml",
    "krm/examples/collectors-logs-only.yaml",
    "krm/examples/collectors-metrics-only.yaml",
    "krm/examples/collectors-custom.yaml",
    "krm/examples/collectors-full.yaml",
    "krm/examples/grafana-no-oidc.yaml",
    "krm/examples/grafana-ingress.yaml",
    "krm/examples/grafana-httproute.yaml",
    "krm/examples/grafana-alerting.yaml",
];

/// kustomize's own config file: no CRD and no cluster object (core kinds are checked by
/// `support::validate_core`).
const BUILT_IN: &[(&str, &str)] = &[("kustomize.config.k8s.io/v1beta1", "Kustomization")];

fn rendered(example: &str) -> Vec<Value> {
    support::render_example(example)
}

fn text<'a>(object: &'a Value, pointer: &str) -> &'a str {
    object
        .pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_default()
}

fn describe(object: &Value) -> String {
    format!(
        "{} {}/{}",
        text(object, "/kind"),
        text(object, "/metadata/namespace"),
        text(object, "/metadata/name")
    )
}

#[test]
fn custom_resources_validate_against_their_crds() {
    let Some(schemas) = support::crd_schemas() else {
        return;
    };
    for example in EXAMPLES {
        let objects = rendered(example);
        let mut errors = Vec::new();
        for object in &objects {
            let (api_version, kind) = (text(object, "/apiVersion"), text(object, "/kind"));
            if BUILT_IN.contains(&(api_version, kind)) {
                continue;
            }
            if let Some(result) = support::validate_core(object) {
                if let Err(problems) = result {
                    errors.extend(problems);
                }
                continue;
            }
            if !schemas.knows(api_version, kind) {
                errors.push(format!(
                    "{}: no CRD for {api_version} {kind}",
                    describe(object)
                ));
                continue;
            }
            if let Err(problems) = schemas.validate(object) {
                errors.extend(problems);
            }
        }
        assert!(errors.is_empty(), "{example}:\n{}", errors.join("\n"));
    }
}

/// The chart folder in the reference for a HelmRelease: by chart name, or the OCI chartRef.
fn chart_of(release: &Value) -> String {
    match release
        .pointer("/spec/chart/spec/chart")
        .and_then(Value::as_str)
    {
        Some(chart) => chart.to_string(),
        None => text(release, "/spec/chartRef/name").to_string(),
    }
}

#[test]
fn helm_values_use_keys_the_charts_have() {
    let Some(reference) = support::reference_dir() else {
        return;
    };
    for example in EXAMPLES {
        let mut checked = 0;
        for release in rendered(example)
            .iter()
            .filter(|o| text(o, "/kind") == "HelmRelease")
        {
            let chart = chart_of(release);
            let values = release
                .pointer("/spec/values")
                .cloned()
                .unwrap_or(Value::Null);
            let errors = support::check_helm_values(&reference, &chart, &values);
            assert!(
                errors.is_empty(),
                "{example}, {}:\n{}",
                describe(release),
                errors.join("\n")
            );
            checked += 1;
        }
        assert!(
            checked >= 7,
            "{example}: expected a HelmRelease per chart, checked {checked}"
        );
    }
}

#[test]
fn every_object_is_owned_and_placed() {
    for example in EXAMPLES {
        for object in rendered(example) {
            let what = describe(&object);
            assert_eq!(
                text(&object, "/metadata/labels/app.kubernetes.io~1managed-by"),
                "monitoring-stack",
                "{example}: {what}"
            );
            assert_eq!(
                text(&object, "/metadata/annotations/monitoring-stack.dev~1stack"),
                "main",
                "{example}: {what}"
            );
            let path = text(
                &object,
                "/metadata/annotations/internal.config.kubernetes.io~1path",
            );
            assert!(
                path.ends_with(".yaml") && !path.starts_with('/') && !path.contains(".."),
                "{what}: {path:?}"
            );
            assert_eq!(
                path,
                text(&object, "/metadata/annotations/config.kubernetes.io~1path")
            );
            // A component folder's objects live in that component's namespace (the folder's
            // kustomization.yaml is tool configuration, not a cluster object).
            let local_config = text(
                &object,
                "/metadata/annotations/config.kubernetes.io~1local-config",
            ) == "true";
            if let (Some((folder, _)), false) = (path.split_once('/'), local_config) {
                let namespace = match text(&object, "/kind") {
                    "Namespace" => text(&object, "/metadata/name"),
                    _ => text(&object, "/metadata/namespace"),
                };
                // prometheus-crds/ holds the control plane's own HelmRelease (a Flux object).
                let expected = if folder == "prometheus-crds" {
                    "monitoring"
                } else {
                    folder
                };
                assert_eq!(namespace, expected, "{example}: {what} in {path}");
            }
        }
    }
}

#[test]
fn control_plane_namespace_holds_only_flux_objects() {
    for example in EXAMPLES {
        for object in rendered(example) {
            if text(&object, "/metadata/namespace") == "monitoring" {
                let group = text(&object, "/apiVersion")
                    .split('/')
                    .next()
                    .unwrap_or_default();
                assert!(
                    group.ends_with(".toolkit.fluxcd.io"),
                    "{example}: {} in the control plane",
                    describe(&object)
                );
            }
        }
    }
}

#[test]
fn flux_layout_has_a_kustomization_per_component_folder() {
    let objects = rendered("krm/examples/seed.yaml");
    let folders: std::collections::BTreeSet<&str> = objects
        .iter()
        .filter_map(|o| {
            text(
                o,
                "/metadata/annotations/internal.config.kubernetes.io~1path",
            )
            .split_once('/')
        })
        .map(|(folder, _)| folder)
        .collect();
    let kustomizations: Vec<&Value> = objects
        .iter()
        .filter(|o| text(o, "/apiVersion") == "kustomize.toolkit.fluxcd.io/v1")
        .collect();
    // One Kustomization per folder; a staged folder (storage before release) adds `<folder>-release`.
    let named: std::collections::BTreeSet<&str> = kustomizations
        .iter()
        .map(|k| text(k, "/metadata/name"))
        .filter(|n| !n.ends_with("-release"))
        .collect();
    assert_eq!(folders, named);
    for k in &kustomizations {
        let name = text(k, "/metadata/name");
        let (folder, sub) = match name.strip_suffix("-release") {
            Some(folder) => (folder, "/release"),
            None => (name, ""),
        };
        let namespace = if folder == "prometheus-crds" {
            "monitoring" // the control plane's own folder
        } else {
            folder
        };
        assert_eq!(text(k, "/spec/targetNamespace"), namespace);
        assert_eq!(
            text(k, "/spec/path"),
            format!("./k8s/clusters/main/infrastructure/monitoring/{folder}{sub}")
        );
        assert_eq!(k.pointer("/spec/prune"), Some(&Value::Bool(true)));
        assert_eq!(k.pointer("/spec/wait"), Some(&Value::Bool(true)));
    }
    let depends = |name: &str| -> Vec<String> {
        kustomizations
            .iter()
            .find(|k| text(k, "/metadata/name") == name)
            .and_then(|k| k.pointer("/spec/dependsOn"))
            .and_then(Value::as_array)
            .map(|d| d.iter().map(|e| text(e, "/name").to_string()).collect())
            .unwrap_or_default()
    };
    // Grafana's own ServiceMonitor needs the prometheus-operator CRDs before it is applied.
    assert_eq!(depends("grafana"), ["grafana-operator", "prometheus-crds"]);
    assert_eq!(depends("alloy"), ["alloy-operator"]);

    let flat = rendered("krm/kustomize/legacy-plugin/stack.yaml");
    assert!(flat
        .iter()
        .all(|o| !text(o, "/apiVersion").starts_with("kustomize.toolkit.fluxcd.io")));
}

#[test]
fn switched_off_components_and_their_dependencies_disappear() {
    let input = b"apiVersion: monitoring-stack.dev/v1alpha1\nkind: MonitoringStack\nmetadata: {name: main}\nspec:\n  grafana: {enabled: false}\n  grafanaOperator: {enabled: false}\n  alloyOperator: {enabled: false}\n  prometheusCrds: {enabled: false}\n";
    let objects: Vec<Value> = render(input)
        .expect("valid")
        .into_iter()
        .map(|o| support::yaml_to_json(o).expect("json"))
        .collect();
    let names: Vec<String> = objects.iter().map(describe).collect();
    for gone in [
        "Namespace /grafana",
        "Namespace /grafana-operator",
        "Namespace /alloy-operator",
        "HelmRelease monitoring/prometheus-crds",
        "Kustomization monitoring/grafana",
    ] {
        assert!(
            !names.iter().any(|n| n == gone),
            "{gone} still generated: {names:#?}"
        );
    }
    assert!(names.iter().any(|n| n == "Namespace /loki"), "{names:#?}");
    // alloy no longer waits for a missing operator; exporters no longer wait for missing CRDs:
    // every dependsOn names an object that is generated.
    for object in &objects {
        for dependency in object
            .pointer("/spec/dependsOn")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let name = text(dependency, "/name");
            assert!(
                objects
                    .iter()
                    .any(|o| text(o, "/kind") == text(object, "/kind")
                        && text(o, "/metadata/name") == name),
                "{} depends on missing {name}",
                describe(object)
            );
        }
    }
    assert!(objects
        .iter()
        .all(|o| text(o, "/metadata/name") != "alloy" || o.pointer("/spec/dependsOn").is_none()));
    assert!(!objects.iter().any(|o| text(o, "/kind") == "OCIRepository"));
}
