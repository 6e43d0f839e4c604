//! Real Helm, offline: the charts in `../shared/reference/charts` rendered by the PyPI package
//! `helm-python-sdk` (Helm v4 through its C ABI) through `tests/helm/render.py`.
//!
//! The Python interpreter is `$HELM_PYTHON`, else `target/helm-venv/bin/python` (what `.ci/run`
//! creates), else `python3`. When none of them imports the package, [`Helm::find`] prints a loud
//! `SKIPPED` and returns `None` — or panics under `CI=true`, where it must be there.

use serde_json::{json, Value};
use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;

/// The Kubernetes version the charts are rendered for (the version the core checks use).
pub const KUBE_VERSION: &str = "v1.32.0";

/// API versions a cluster serves on top of Kubernetes' own when a release of this stack is
/// installed: the prometheus-operator kinds (the `prometheus-crds` release comes first; the
/// apply-order check proves it) and the declared prerequisites. Charts test for these with
/// `.Capabilities.APIVersions.Has` (Loki's ServiceMonitor, for one).
pub const API_VERSIONS: &[&str] = &[
    "monitoring.coreos.com/v1",
    "monitoring.coreos.com/v1/ServiceMonitor",
    "monitoring.coreos.com/v1/PodMonitor",
    "monitoring.coreos.com/v1/PrometheusRule",
    "cert-manager.io/v1",
    "gateway.networking.k8s.io/v1",
    "objectstorage.k8s.io/v1alpha1",
];

/// One chart to render, as Flux's helm-controller (or the Alloy Operator) would install it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Job {
    /// Folder under `charts/`.
    pub chart: String,
    pub release: String,
    pub namespace: String,
    /// The values, as JSON text (so jobs hash and compare cheaply).
    pub values: String,
}

impl Job {
    pub fn new(chart: &str, release: &str, namespace: &str, values: &Value) -> Job {
        Job {
            chart: chart.to_string(),
            release: release.to_string(),
            namespace: namespace.to_string(),
            values: values.to_string(),
        }
    }
}

/// What Helm made of a job.
#[derive(Debug, Clone)]
pub struct Rendered {
    /// Every rendered object (JSON), in template order, `NOTES.txt` left out.
    pub objects: Vec<Value>,
    /// The chart's (and its subcharts') `crds/` CRDs, which Flux installs with `install.crds`.
    pub crds: Vec<Value>,
    /// The chart's `values.schema.json` verdict, when it has one and the values fail it.
    pub schema_error: Option<String>,
}

pub struct Helm {
    python: PathBuf,
    script: PathBuf,
    charts: PathBuf,
    cache: Mutex<HashMap<Job, Result<Rendered, String>>>,
}

fn crate_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

impl Helm {
    /// The renderer, when the reference charts and the Python package are both there.
    pub fn find() -> Option<Helm> {
        let reference = super::reference_dir()?;
        let script = crate_root().join("tests/helm/render.py");
        let candidates: Vec<PathBuf> = match std::env::var_os("HELM_PYTHON") {
            Some(python) => vec![python.into()],
            None => vec![
                crate_root().join("target/helm-venv/bin/python"),
                "python3".into(),
            ],
        };
        for python in &candidates {
            let probe = Command::new(python)
                .arg(&script)
                .arg("--probe")
                .stderr(Stdio::null())
                .output();
            if probe.is_ok_and(|o| o.status.success()) {
                return Some(Helm {
                    python: python.clone(),
                    script,
                    charts: reference.join("charts"),
                    cache: Mutex::new(HashMap::new()),
                });
            }
        }
        let tried: Vec<String> = candidates.iter().map(|p| p.display().to_string()).collect();
        if super::running_in_ci() {
            panic!(
                "CI: no Python with helm-python-sdk (tried {}); .ci/run installs it into \
                 target/helm-venv",
                tried.join(", ")
            );
        }
        eprintln!();
        eprintln!("==================================================================");
        eprintln!("SKIPPED: real Helm is not available, no chart was rendered");
        eprintln!(
            "         (no Python with helm-python-sdk among {})",
            tried.join(", ")
        );
        eprintln!("         python3 -m venv target/helm-venv &&");
        eprintln!("         target/helm-venv/bin/pip install helm-python-sdk==0.2.2");
        eprintln!("==================================================================");
        eprintln!();
        None
    }

    pub fn charts_dir(&self) -> &Path {
        &self.charts
    }

    /// Renders every job (each distinct job once per test binary), in order.
    pub fn render(&self, jobs: &[Job]) -> Vec<Result<Rendered, String>> {
        let missing: Vec<Job> = {
            let cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
            let mut seen = std::collections::HashSet::new();
            jobs.iter()
                .filter(|job| !cache.contains_key(*job) && seen.insert((*job).clone()))
                .cloned()
                .collect()
        };
        // Batches keep one process's output (the CRD charts are megabytes) moderate.
        for batch in missing.chunks(64) {
            let results = self.run(batch);
            let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
            for (job, result) in batch.iter().zip(results) {
                cache.insert(job.clone(), result);
            }
        }
        let cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        jobs.iter()
            .map(|job| cache.get(job).cloned().expect("rendered above"))
            .collect()
    }

    fn run(&self, jobs: &[Job]) -> Vec<Result<Rendered, String>> {
        let request = json!({
            "charts": self.charts,
            "kube_version": KUBE_VERSION,
            "api_versions": API_VERSIONS,
            "jobs": jobs.iter().map(|job| json!({
                "chart": job.chart,
                "release": job.release,
                "namespace": job.namespace,
                "values": serde_json::from_str::<Value>(&job.values).expect("values are JSON"),
            })).collect::<Vec<_>>(),
        });
        let mut child = Command::new(&self.python)
            .arg(&self.script)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start the Helm renderer");
        let input = request.to_string();
        let mut stdin = child.stdin.take().expect("stdin");
        let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
        let output = child.wait_with_output().expect("Helm renderer output");
        writer
            .join()
            .expect("writer thread")
            .expect("write the request");
        assert!(
            output.status.success(),
            "the Helm renderer failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let reply: Value = serde_json::from_slice(&output.stdout).expect("renderer reply is JSON");
        let results = reply["results"].as_array().expect("results").clone();
        assert_eq!(results.len(), jobs.len(), "one result per job");
        results
            .into_iter()
            .map(|result| {
                if let Some(error) = result.get("error").and_then(Value::as_str) {
                    return Err(error.to_string());
                }
                let mut templates: Vec<(&String, &Value)> = result["manifests"]
                    .as_object()
                    .map(|m| m.iter().collect())
                    .unwrap_or_default();
                templates.sort_by(|a, b| a.0.cmp(b.0));
                let mut objects = Vec::new();
                for (template, text) in templates {
                    let text = text.as_str().unwrap_or_default();
                    let docs = super::try_load_yaml_stream(text)
                        .map_err(|e| format!("{template} is not YAML: {e}"))?;
                    objects.extend(docs);
                }
                let mut crds = Vec::new();
                for text in result["crds"].as_array().into_iter().flatten() {
                    let docs = super::try_load_yaml_stream(text.as_str().unwrap_or_default())
                        .map_err(|e| format!("a CRD of the chart is not YAML: {e}"))?;
                    crds.extend(docs);
                }
                Ok(Rendered {
                    objects,
                    crds,
                    schema_error: result["schema_error"].as_str().map(String::from),
                })
            })
            .collect()
    }
}
