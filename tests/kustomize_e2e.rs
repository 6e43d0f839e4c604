//! End-to-end tests under the kustomize built into `kubectl` (v1.32, kustomize v5.5.0): the
//! legacy exec plugin (`$KUSTOMIZE_PLUGIN_HOME/<group>/<version>/<kind>/<Kind>`) and the KRM
//! function `container:` generator, with a fake `docker` on PATH that runs the native binary.
//! Both must build exactly the objects of the flat layout (`monitoring-stack render`).
//!
//! Without `kubectl` on PATH the tests print SKIPPED and pass, except under `CI=true`, where they
//! fail.

mod tools;

use serde_yaml_ng::Value;
use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;
use tools::TempDir;

const IMAGE: &str = "ghcr.io/example/monitoring-stack:0.1.0";

/// `spec.flux.namespace` of the seed: where the shared Flux sources live.
const FLUX_NAMESPACE: &str = "monitoring";

fn kubectl_available(test: &str) -> bool {
    tools::require_tools(test, &["kubectl"])
}

/// The seed example with the flat layout.
fn flat_stack() -> String {
    tools::replace_once(&tools::seed(), "layout: flux", "layout: flat")
}

/// The flat stack as a KRM function generator config run from a container image.
fn container_stack() -> String {
    tools::replace_once(
        &flat_stack(),
        "metadata:\n  name: main\n",
        &format!(
            "metadata:\n  name: main\n  annotations:\n    config.kubernetes.io/function: |\n      \
             container:\n        image: {IMAGE}\n"
        ),
    )
}

/// A kustomization directory whose only generator is `stack.yaml`.
fn kustomization_dir(dir: &Path, stack: &str) {
    tools::write_file(
        &dir.join("kustomization.yaml"),
        "generators:\n- stack.yaml\n",
    );
    tools::write_file(&dir.join("stack.yaml"), stack);
}

/// What the flat layout is: the objects `monitoring-stack render` prints for the flat stack.
fn flat_render(tmp: &TempDir) -> Vec<Value> {
    let stack = tmp.join("flat-stack.yaml");
    tools::write_file(&stack, flat_stack());
    let run = tools::run_ok(Command::new(tools::binary()).arg("render").arg(&stack));
    let objects = tools::parse_stream(&run.stdout, "monitoring-stack render (flat)");
    assert!(
        !objects.is_empty(),
        "monitoring-stack render printed no objects\n{}",
        run.report()
    );
    objects
}

fn kustomize_build(dir: &Path, env: &[(&str, &std::ffi::OsStr)]) -> Vec<Value> {
    let mut command = Command::new("kubectl");
    command
        .args(["kustomize", "--enable-alpha-plugins"])
        .arg(dir);
    for (key, value) in env {
        command.env(key, value);
    }
    let run = tools::run_ok(&mut command);
    let objects = tools::parse_stream(&run.stdout, "kubectl kustomize output");
    assert!(
        !objects.is_empty(),
        "kubectl kustomize built nothing (was the generator skipped?)\n{}",
        run.report()
    );
    objects
}

#[test]
fn flat_render_is_plain_cluster_objects() {
    let tmp = TempDir::new("flat-render");
    let objects = flat_render(&tmp);
    let namespaces: BTreeSet<String> = objects
        .iter()
        .filter(|o| tools::key(o).kind == "Namespace" && tools::api_group(o).is_empty())
        .map(|o| tools::key(o).name)
        .collect();
    assert!(
        namespaces.contains(FLUX_NAMESPACE),
        "no Namespace {FLUX_NAMESPACE} among {namespaces:?}"
    );
    let mut problems = Vec::new();
    for object in &objects {
        let key = tools::key(object);
        let group = tools::api_group(object);
        if group == "kustomize.toolkit.fluxcd.io" {
            problems.push(format!("{key}: a Flux Kustomization in the flat layout"));
        }
        if tools::annotation(object, "config.kubernetes.io/local-config").is_some() {
            problems.push(format!("{key}: a local-config object in the output"));
        }
        let annotations = object
            .get("metadata")
            .and_then(|m| m.get("annotations"))
            .and_then(Value::as_mapping);
        for name in annotations
            .into_iter()
            .flatten()
            .filter_map(|(k, _)| k.as_str())
        {
            if name.ends_with("config.kubernetes.io/path")
                || name.ends_with("config.kubernetes.io/index")
            {
                problems.push(format!("{key}: still annotated {name}"));
            }
        }
        if tools::is_cluster_scoped(object) {
            if !key.namespace.is_empty() {
                problems.push(format!("{key}: a cluster-scoped kind with a namespace"));
            }
            continue;
        }
        if key.namespace.is_empty() {
            problems.push(format!("{key}: namespaced but has no namespace"));
            continue;
        }
        if !namespaces.contains(&key.namespace) {
            problems.push(format!(
                "{key}: its namespace is not created by the output ({namespaces:?})"
            ));
        }
        let shared = (group == "source.toolkit.fluxcd.io"
            && matches!(key.kind.as_str(), "HelmRepository" | "OCIRepository"))
            || (key.kind == "HelmRelease" && key.name == "prometheus-crds");
        if shared && key.namespace != FLUX_NAMESPACE {
            problems.push(format!("{key}: expected in namespace {FLUX_NAMESPACE}"));
        }
        if !shared && key.namespace == FLUX_NAMESPACE {
            problems.push(format!(
                "{key}: left in the Flux namespace {FLUX_NAMESPACE} instead of its own"
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "flat render output problems:\n{}",
        problems.join("\n")
    );
}

#[test]
fn legacy_exec_plugin_builds_the_flat_layout() {
    if !kubectl_available("legacy_exec_plugin_builds_the_flat_layout") {
        return;
    }
    let tmp = TempDir::new("kustomize-legacy-plugin");
    let plugin_home = tmp.join("plugins");
    let plugin = plugin_home.join("monitoring-stack.dev/v1alpha1/monitoringstack/MonitoringStack");
    std::fs::create_dir_all(plugin.parent().expect("plugin folder")).expect("plugin folder");
    std::fs::copy(tools::binary(), &plugin)
        .unwrap_or_else(|e| panic!("cannot install the plugin at {}: {e}", plugin.display()));

    let dir = tmp.join("overlay");
    let stack = flat_stack();
    assert!(
        !stack.contains("config.kubernetes.io/function"),
        "a legacy plugin config must not carry the function annotation"
    );
    kustomization_dir(&dir, &stack);

    let built = kustomize_build(&dir, &[("KUSTOMIZE_PLUGIN_HOME", plugin_home.as_os_str())]);
    tools::assert_same_objects(
        &flat_render(&tmp),
        &built,
        "kubectl kustomize with the legacy exec plugin",
    );
}

#[test]
fn container_function_builds_the_flat_layout() {
    if !kubectl_available("container_function_builds_the_flat_layout") {
        return;
    }
    let tmp = TempDir::new("kustomize-container");
    // A `docker` that records its arguments and runs the native binary with stdin/stdout.
    let fake_bin = tmp.join("bin");
    let log = tmp.join("docker-calls.log");
    tools::write_executable(
        &fake_bin.join("docker"),
        format!(
            "#!/bin/sh\nprintf '%s\\n' \"$*\" >> '{}'\nexec '{}'\n",
            log.display(),
            tools::binary().display()
        ),
    );
    let path = std::env::join_paths(std::iter::once(fake_bin.clone()).chain(
        std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()),
    ))
    .expect("PATH");

    let dir = tmp.join("overlay");
    kustomization_dir(&dir, &container_stack());
    let built = kustomize_build(&dir, &[("PATH", path.as_os_str())]);

    let calls = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(
        calls.lines().count() == 1 && calls.starts_with("run ") && calls.contains(IMAGE),
        "kustomize should have run `docker run ... {IMAGE}` once; calls:\n{calls}"
    );
    tools::assert_same_objects(
        &flat_render(&tmp),
        &built,
        "kubectl kustomize with the container function",
    );
}
