//! Proven deployable: every chart the output installs, rendered by real Helm (the pinned
//! upstream charts in `../shared/reference/charts`, through `helm-python-sdk`), and what a
//! cluster would then hold checked object by object.
//!
//! The corpus: every example (`krm/examples/`, `krm/kustomize/*/stack.yaml`), every golden
//! file (`tests/golden/`), and [`GENERATED`] specs from the fuzzers' grammar
//! (`fuzz/src/stack_gen.rs`) with a fixed seed. Each HelmRelease and each `Alloy` resource is
//! rendered with the release name and namespace Flux (or the Alloy Operator) would use.
//!
//! Skipped loudly without the reference material or the Python package; a failure in CI.

mod support;

#[path = "../fuzz/src/stack_gen.rs"]
#[allow(dead_code)]
mod stack_gen;

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use support::deploy::{self, id_of, kind_of, name_of, namespace_of, Deployed, Origin};
use support::helm::Helm;

/// How many generated specs (that the function accepts) join the corpus.
const GENERATED: usize = 200;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn helm() -> Option<&'static Helm> {
    static HELM: OnceLock<Option<Helm>> = OnceLock::new();
    HELM.get_or_init(Helm::find).as_ref()
}

/// Every stack of the corpus, deployed (rendered once per test binary).
fn corpus() -> Option<&'static [Deployed]> {
    static CORPUS: OnceLock<Option<Vec<Deployed>>> = OnceLock::new();
    CORPUS
        .get_or_init(|| {
            let helm = helm()?;
            let mut stacks = examples();
            stacks.extend(goldens());
            stacks.extend(generated_specs(GENERATED));
            Some(deploy::deploy_all(helm, stacks))
        })
        .as_deref()
}

fn examples() -> Vec<(String, Vec<Value>)> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join("krm/examples"))
        .expect("krm/examples")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    for dir in std::fs::read_dir(root().join("krm/kustomize")).expect("krm/kustomize") {
        let stack = dir.expect("entry").path().join("stack.yaml");
        if stack.exists() {
            files.push(stack);
        }
    }
    files.sort();
    assert!(files.len() >= 10, "examples not found: {files:?}");
    files
        .into_iter()
        .map(|path| {
            let bytes = std::fs::read(&path).expect("example");
            let objects = monitoring_stack::render(&bytes)
                .unwrap_or_else(|e| panic!("{} does not render: {e:?}", path.display()));
            (relative(&path), deploy::generated_json(&objects))
        })
        .collect()
}

fn relative(path: &Path) -> String {
    path.strip_prefix(root())
        .unwrap_or(path)
        .display()
        .to_string()
}

/// The golden trees as committed (`# file: PATH` headers between the files).
fn goldens() -> Vec<(String, Vec<Value>)> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join("tests/golden"))
        .expect("tests/golden")
        .map(|e| e.expect("entry").path())
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).expect("golden");
            let mut objects = Vec::new();
            for file in text.split("# file: ").filter(|f| !f.is_empty()) {
                let (_, content) = file.split_once('\n').unwrap_or((file, ""));
                objects.extend(support::load_yaml_stream(content));
            }
            (relative(&path), objects)
        })
        .collect()
}

/// `count` specs from the fuzzers' grammar that the function accepts, from a fixed seed. The
/// escape hatches (`values`, `chartVersion`) are removed: they hand the user's own text to a
/// chart verbatim, and only the pinned chart versions are in the reference.
fn generated_specs(count: usize) -> Vec<(String, Vec<Value>)> {
    let mut out = Vec::new();
    let mut seed: u64 = 0x5EED_CAFE_F00D_0001;
    let mut attempt = 0;
    while out.len() < count {
        attempt += 1;
        assert!(
            attempt < count * 50,
            "the grammar yields too few valid specs"
        );
        let mut next = || {
            // xorshift64*: deterministic, no dependency.
            seed ^= seed >> 12;
            seed ^= seed << 25;
            seed ^= seed >> 27;
            seed.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 32
        };
        // The grammar picks a good value for a byte below 87 (of 0..=99) and an edge case,
        // arbitrary text or a wrong type above: mostly low bytes keep a spec of ~60 fields
        // likely to be valid while every choice among the good values stays uniform.
        let bytes: Vec<u8> = (0..4096)
            .map(|_| {
                let r = next();
                if r % 100 < 97 {
                    ((r >> 8) % 87) as u8
                } else {
                    (r >> 8) as u8
                }
            })
            .collect();
        let mut u = arbitrary::Unstructured::new(&bytes);
        let Ok(mut stack) = stack_gen::Gen::new(&mut u).stack("generated") else {
            continue;
        };
        strip_escape_hatches(&mut stack);
        let Ok(text) = serde_yaml_ng::to_string(&stack) else {
            continue;
        };
        if let Ok(objects) = monitoring_stack::render(text.as_bytes()) {
            out.push((
                format!("generated spec #{attempt}"),
                deploy::generated_json(&objects),
            ));
        }
    }
    out
}

fn strip_escape_hatches(value: &mut serde_yaml_ng::Value) {
    if let serde_yaml_ng::Value::Mapping(map) = value {
        map.remove("values");
        map.remove("chartVersion");
        for (_, child) in map.iter_mut() {
            strip_escape_hatches(child);
        }
    }
}

/// Fails with every problem, grouped by message (the stacks it occurs in counted), and prints
/// how much was checked.
fn report(what: &str, checked: usize, problems: Vec<(String, String)>) {
    let mut by_message: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (stack, message) in problems {
        by_message.entry(message).or_default().insert(stack);
    }
    let lines: Vec<String> = by_message
        .iter()
        .take(40)
        .map(|(message, stacks)| {
            let first = stacks.iter().next().cloned().unwrap_or_default();
            format!(
                "- {message}\n    in {} stack(s), e.g. {first}",
                stacks.len()
            )
        })
        .collect();
    assert!(
        by_message.is_empty(),
        "{what}: {} distinct problem(s) over {checked} checked:\n{}",
        by_message.len(),
        lines.join("\n")
    );
    eprintln!("{what}: {checked} checked, no problem");
}

// ---------------------------------------------------------------------------------------------
// 1. Render conformance

#[test]
fn every_release_renders_with_real_helm_and_passes_the_chart_schema() {
    let Some(corpus) = corpus() else { return };
    let mut problems = Vec::new();
    let mut releases = 0;
    let mut objects = 0;
    let mut distinct = BTreeSet::new();
    for stack in corpus {
        for release in &stack.releases {
            releases += 1;
            distinct.insert(&release.job);
            match &release.result {
                Err(error) => {
                    problems.push((stack.label.clone(), format!("{}: {error}", release.owner)))
                }
                Ok(rendered) => {
                    objects += rendered.objects.len();
                    if let Some(error) = &rendered.schema_error {
                        problems.push((
                            stack.label.clone(),
                            format!("{}: values.schema.json: {error}", release.owner),
                        ));
                    }
                }
            }
            if let Some(mismatch) = &release.version_mismatch {
                problems.push((
                    stack.label.clone(),
                    format!("{}: {mismatch}", release.owner),
                ));
            }
        }
    }
    eprintln!(
        "{} stacks, {releases} releases ({} distinct renders), {objects} rendered objects",
        corpus.len(),
        distinct.len()
    );
    report("chart renders", releases, problems);
}

/// The harness is real Helm: a value the chart refuses comes back as the chart's own error.
#[test]
fn a_chart_fail_comes_back_through_the_harness() {
    let Some(helm) = helm() else { return };
    let values = serde_json::json!({
        "deploymentMode": "Distributed",
        "loki": { "schemaConfig": { "configs": [] }, "storage": { "bucketNames": { "chunks": "c", "ruler": "r" } } },
        "backend": { "replicas": 0 }, "read": { "replicas": 0 }, "write": { "replicas": 0 },
        "queryFrontend": { "replicas": 3 },
    });
    let job = support::helm::Job::new("loki", "loki", "loki", &values);
    let result = helm.render(&[job]).remove(0);
    let error = result.expect_err("Loki must refuse 3 query-frontends without maxUnavailable");
    assert!(
        error.contains("poddisruptionbudget-query-frontend.yaml")
            && error.contains("queryFrontend.maxUnavailable"),
        "{error}"
    );
    // A schema violation comes back too (Loki's schema types loki.rulerConfig).
    let job = support::helm::Job::new(
        "loki",
        "loki",
        "loki",
        &serde_json::json!({ "loki": { "rulerConfig": "not an object" } }),
    );
    let result = helm.render(&[job]).remove(0);
    let schema = match result {
        Ok(rendered) => rendered.schema_error,
        Err(error) => Some(error),
    };
    assert!(schema.is_some_and(|e| e.contains("rulerConfig")));
}
