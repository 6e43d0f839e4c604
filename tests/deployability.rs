//! Proven deployable: every chart the output installs, rendered by real Helm (the pinned
//! upstream charts in `../shared/reference/charts`, through `helm-python-sdk`), and what a
//! cluster would then hold checked object by object.
//!
//! The corpus: every example (`krm/examples/`, `krm/kustomize/*/stack.yaml`), every golden
//! file (`tests/golden/`), and [`GENERATED`] specs from the fuzzers' grammar
//! (`testkit/src/stack_gen.rs`) with a fixed seed. Each HelmRelease and each `Alloy` resource is
//! rendered with the release name and namespace Flux (or the Alloy Operator) would use.
//!
//! Skipped loudly without the reference material or the Python package; a failure in CI.

mod support;

use monitoring_stack_testkit::stack_gen;

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use support::deploy::{self, id_of, kind_of, name_of, namespace_of, Deployed};
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

type Stack = (String, String, Vec<Value>);

fn examples() -> Vec<Stack> {
    support::example_files()
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).expect("example");
            let objects = monitoring_stack::render(text.as_bytes())
                .unwrap_or_else(|e| panic!("{} does not render: {e:?}", path.display()));
            (relative(&path), text, deploy::generated_json(&objects))
        })
        .collect()
}

fn relative(path: &Path) -> String {
    path.strip_prefix(root())
        .unwrap_or(path)
        .display()
        .to_string()
}

/// The example a golden tree is the expansion of (see tests/golden.rs).
fn example_of_golden(golden: &str) -> PathBuf {
    match golden {
        "seed-flux.yaml" => root().join("krm/examples/seed.yaml"),
        "seed-flat.yaml" => root().join("krm/kustomize/legacy-plugin/stack.yaml"),
        other => root().join("krm/examples").join(other),
    }
}

/// The golden trees as committed (`# file: PATH` headers between the files).
fn goldens() -> Vec<Stack> {
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
                let (path, content) = file.split_once('\n').unwrap_or((file, ""));
                for mut object in support::load_yaml_stream(content) {
                    // As `render` annotates them: the apply-order check reads the folders.
                    object["metadata"]["annotations"]["internal.config.kubernetes.io/path"] =
                        Value::String(path.trim().to_string());
                    objects.push(object);
                }
            }
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default();
            let stack = std::fs::read_to_string(example_of_golden(name))
                .unwrap_or_else(|_| panic!("no example for golden {name}"));
            (relative(&path), stack, objects)
        })
        .collect()
}

/// `count` specs from the fuzzers' grammar that the function accepts, from a fixed seed. The
/// escape hatches (`values`, `chartVersion`) are removed: they hand the user's own text to a
/// chart verbatim, and only the pinned chart versions are in the reference.
fn generated_specs(count: usize) -> Vec<Stack> {
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
        let mut u = monitoring_stack_testkit::arbitrary::Unstructured::new(&bytes);
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
                text,
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
    // The fleet roles the corpus covers (issue 20), read from each stack's text.
    let role = |stack: &str| {
        ["edge", "central"]
            .into_iter()
            .find(|role| stack.contains(&format!("role: {role}")))
            .unwrap_or("standalone")
    };
    let count = |wanted: &str| corpus.iter().filter(|s| role(&s.stack) == wanted).count();
    eprintln!(
        "{} stacks ({} standalone, {} edge, {} central), {releases} releases ({} distinct renders), {objects} rendered objects",
        corpus.len(),
        count("standalone"),
        count("edge"),
        count("central"),
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

// ---------------------------------------------------------------------------------------------
// 2. Rendered workloads

/// Groups of core Kubernetes (no CRD): their objects are checked by the strict k8s-openapi
/// round trip, and a kind the round trip does not know is a failure, not a silent pass.
fn is_core_group(api_version: &str) -> bool {
    matches!(
        support::api_group(api_version),
        "" | "apps"
            | "batch"
            | "policy"
            | "autoscaling"
            | "rbac.authorization.k8s.io"
            | "networking.k8s.io"
            | "apiextensions.k8s.io"
            | "admissionregistration.k8s.io"
            | "scheduling.k8s.io"
            | "storage.k8s.io"
            | "coordination.k8s.io"
            | "discovery.k8s.io"
    )
}

#[test]
fn every_object_is_strict_kubernetes_1_32_or_matches_its_crd() {
    let Some(corpus) = corpus() else { return };
    let Some(reference) = support::reference_dir() else {
        return;
    };
    let schemas = support::CrdSchemas::load_with_repository_crds(&reference);
    let mut problems = Vec::new();
    let mut checked = 0;
    let mut seen = BTreeSet::new();
    for stack in corpus {
        for (origin, object) in stack.objects() {
            // The same object (a chart's unchanged output) is checked once.
            if !seen.insert(object.to_string()) {
                continue;
            }
            checked += 1;
            let api_version = object
                .get("apiVersion")
                .and_then(Value::as_str)
                .unwrap_or("");
            let at = format!("{} ({})", id_of(&object), origin.describe());
            if is_core_group(api_version) {
                match support::validate_core(&object) {
                    Some(Ok(())) => {}
                    Some(Err(errors)) => problems.extend(
                        errors
                            .into_iter()
                            .map(|e| (stack.label.clone(), format!("{at}: {e}"))),
                    ),
                    None => problems.push((
                        stack.label.clone(),
                        format!(
                            "{at}: {api_version} {} is not checked by tests/support/core.rs",
                            kind_of(&object)
                        ),
                    )),
                }
            } else if schemas.knows(api_version, kind_of(&object)) {
                if let Err(errors) = schemas.validate(&object) {
                    problems.extend(
                        errors
                            .into_iter()
                            .map(|e| (stack.label.clone(), format!("{at}: {e}"))),
                    );
                }
            } else {
                problems.push((
                    stack.label.clone(),
                    format!("{at}: no CRD for {api_version} in the reference"),
                ));
            }
        }
    }
    report("strict objects", checked, problems);
}

/// The namespaces a stack labels `privileged`, each with the reason it states.
fn privileged_namespaces(stack: &Deployed) -> BTreeMap<String, String> {
    stack
        .generated
        .iter()
        .filter(|o| kind_of(o) == "Namespace")
        .filter(|o| {
            o.pointer("/metadata/labels/pod-security.kubernetes.io~1enforce")
                .and_then(Value::as_str)
                == Some("privileged")
        })
        .map(|o| {
            let reason = o
                .pointer("/metadata/annotations/monitoring-stack.dev~1pod-security-reason")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            (name_of(o).to_string(), reason)
        })
        .collect()
}

#[test]
fn every_pod_meets_restricted_unless_its_namespace_is_privileged_for_a_stated_reason() {
    let Some(corpus) = corpus() else { return };
    let mut problems = Vec::new();
    let mut pods = 0;
    for stack in corpus {
        let privileged = privileged_namespaces(stack);
        for (namespace, reason) in &privileged {
            if reason.len() < 20 {
                problems.push((stack.label.clone(), format!("Namespace {namespace} is privileged without a stated reason (annotation monitoring-stack.dev/pod-security-reason)")));
            }
        }
        for (origin, object) in stack.objects() {
            let Some(pod) = support::pod_security::pod_spec(&object) else {
                continue;
            };
            pods += 1;
            let namespace = namespace_of(&object).to_string();
            if privileged.contains_key(&namespace) {
                continue;
            }
            for problem in support::pod_security::restricted_violations(pod) {
                problems.push((
                    stack.label.clone(),
                    format!("{} ({}): {problem}", id_of(&object), origin.describe()),
                ));
            }
        }
    }
    report("Pod Security restricted", pods, problems);
}

#[test]
fn every_component_namespace_enforces_its_pod_security_level() {
    let Some(corpus) = corpus() else { return };
    let mut problems = Vec::new();
    let mut namespaces = 0;
    for stack in corpus {
        for namespace in stack.generated.iter().filter(|o| kind_of(o) == "Namespace") {
            namespaces += 1;
            let label = |mode: &str| {
                namespace
                    .pointer(&format!(
                        "/metadata/labels/pod-security.kubernetes.io~1{mode}"
                    ))
                    .and_then(Value::as_str)
                    .map(String::from)
            };
            let enforce = label("enforce");
            if !matches!(enforce.as_deref(), Some("restricted" | "privileged")) {
                problems.push((
                    stack.label.clone(),
                    format!("Namespace {}: enforce is {enforce:?}", name_of(namespace)),
                ));
            }
            for mode in ["audit", "warn"] {
                if label(mode) != enforce {
                    problems.push((
                        stack.label.clone(),
                        format!(
                            "Namespace {}: {mode} is {:?}, enforce {enforce:?}",
                            name_of(namespace),
                            label(mode)
                        ),
                    ));
                }
            }
        }
    }
    report("namespace Pod Security labels", namespaces, problems);
}

fn storage_class_of(stack: &Deployed) -> String {
    let spec: serde_yaml_ng::Value = serde_yaml_ng::from_str(&stack.stack).expect("stack YAML");
    spec.get("spec")
        .and_then(|s| s.get("cluster"))
        .and_then(|c| c.get("storageClass"))
        .and_then(serde_yaml_ng::Value::as_str)
        .unwrap_or("ssd-replicated-retain")
        .to_string()
}

#[test]
fn every_volume_claim_uses_the_stack_storage_class() {
    let Some(corpus) = corpus() else { return };
    let mut problems = Vec::new();
    let mut claims = 0;
    for stack in corpus {
        let class = storage_class_of(stack);
        for (origin, object) in stack.objects() {
            let specs: Vec<&Value> = match kind_of(&object) {
                "PersistentVolumeClaim" => object.get("spec").into_iter().collect(),
                "StatefulSet" => object
                    .pointer("/spec/volumeClaimTemplates")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(|t| t.get("spec"))
                    .collect(),
                "Grafana" => object
                    .pointer("/spec/persistentVolumeClaim/spec")
                    .into_iter()
                    .collect(),
                _ => Vec::new(),
            };
            for spec in specs {
                claims += 1;
                let found = spec.get("storageClassName").and_then(Value::as_str);
                if found != Some(class.as_str()) {
                    problems.push((
                        stack.label.clone(),
                        format!(
                            "{} ({}): storageClassName {found:?}, not {class:?}",
                            id_of(&object),
                            origin.describe()
                        ),
                    ));
                }
            }
        }
    }
    assert!(claims > 0, "no volume claim found");
    report("volume claims", claims, problems);
}

/// The env keys the setup Job writes into `<component>-s3-credentials` (README "Storage").
const S3_KEYS: &[&str] = &[
    "S3_BUCKET",
    "S3_ENDPOINT",
    "S3_ENDPOINT_URL",
    "S3_REGION",
    "S3_INSECURE",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
];

fn placeholders(text: &str) -> BTreeSet<String> {
    text.split("${")
        .skip(1)
        .filter_map(|rest| rest.split_once('}').map(|(name, _)| name.to_string()))
        .collect()
}

#[test]
fn every_loki_and_mimir_container_expands_its_s3_credentials() {
    let Some(corpus) = corpus() else { return };
    let mut problems = Vec::new();
    let mut containers = 0;
    for stack in corpus {
        for release in &stack.releases {
            let component = match release.chart() {
                "loki" => "loki",
                "mimir-distributed" => "mimir",
                _ => continue,
            };
            let secret = format!("{}-s3-credentials", name_of(&release.object));
            let mut config_seen = false;
            for object in release.objects() {
                // The rendered configuration: placeholders, never empty S3 settings.
                if kind_of(object) == "ConfigMap" || kind_of(object) == "Secret" {
                    for (key, text) in object
                        .get("data")
                        .and_then(Value::as_object)
                        .into_iter()
                        .flatten()
                    {
                        let Some(text) = text.as_str() else { continue };
                        if !(key.ends_with(".yaml") && text.contains("s3")) {
                            continue;
                        }
                        if !(text.contains("storage_config")
                            || text.contains("blocks_storage")
                            || text.contains("common:"))
                        {
                            continue;
                        }
                        config_seen = true;
                        let found = placeholders(text);
                        for wanted in [
                            "S3_BUCKET",
                            "S3_ENDPOINT",
                            "AWS_ACCESS_KEY_ID",
                            "AWS_SECRET_ACCESS_KEY",
                        ] {
                            if !found.contains(wanted) {
                                problems.push((
                                    stack.label.clone(),
                                    format!(
                                        "{} {key}: no ${{{wanted}}} placeholder",
                                        id_of(object)
                                    ),
                                ));
                            }
                        }
                        for unknown in found.iter().filter(|p| !S3_KEYS.contains(&p.as_str())) {
                            problems.push((
                                stack.label.clone(),
                                format!(
                                    "{} {key}: ${{{unknown}}} is not written by the setup Job",
                                    id_of(object)
                                ),
                            ));
                        }
                        for line in text.lines() {
                            let trimmed = line.trim();
                            for field in [
                                "bucket_name:",
                                "endpoint:",
                                "access_key_id:",
                                "secret_access_key:",
                                "bucketnames:",
                            ] {
                                if trimmed == field
                                    || trimmed == format!("{field} \"\"")
                                    || trimmed == format!("{field} null")
                                {
                                    problems.push((
                                        stack.label.clone(),
                                        format!("{} {key}: empty `{trimmed}`", id_of(object)),
                                    ));
                                }
                            }
                        }
                    }
                }
                let Some(pod) = support::pod_security::pod_spec(object) else {
                    continue;
                };
                for container in support::pod_security::containers(pod) {
                    let image = container.get("image").and_then(Value::as_str).unwrap_or("");
                    let repository = image.rsplit_once(':').map_or(image, |(r, _)| r);
                    if !repository.ends_with(&format!("/{component}")) {
                        continue; // gateway nginx, memcached, exporters, rollout-operator
                    }
                    containers += 1;
                    let at = format!(
                        "{} container {}",
                        id_of(object),
                        container.get("name").and_then(Value::as_str).unwrap_or("?")
                    );
                    let args: Vec<&str> = container
                        .get("args")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                        .filter_map(Value::as_str)
                        .collect();
                    if !args.contains(&"-config.expand-env=true") {
                        problems.push((
                            stack.label.clone(),
                            format!("{at}: no -config.expand-env=true"),
                        ));
                    }
                    let from_secret = container
                        .get("envFrom")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                        .any(|e| {
                            e.pointer("/secretRef/name").and_then(Value::as_str)
                                == Some(secret.as_str())
                        });
                    if !from_secret {
                        problems.push((stack.label.clone(), format!("{at}: no envFrom {secret}")));
                    }
                }
            }
            if release.result.is_ok() && !config_seen {
                problems.push((
                    stack.label.clone(),
                    format!(
                        "{}: no rendered configuration with S3 storage found",
                        release.owner
                    ),
                ));
            }
        }
    }
    assert!(containers > 0, "no Loki or Mimir container found");
    report("Loki and Mimir containers", containers, problems);
}

/// The htpasswd Secret a central stack's gateways read (`spec.central.auth.htpasswdSecret`), or
/// `None` for any other role.
fn central_htpasswd_secret(stack: &Deployed) -> Option<String> {
    let spec: serde_yaml_ng::Value = serde_yaml_ng::from_str(&stack.stack).ok()?;
    let spec = spec.get("spec")?;
    if spec.get("role").and_then(serde_yaml_ng::Value::as_str) != Some("central") {
        return None;
    }
    Some(
        spec.get("central")
            .and_then(|c| c.get("auth"))
            .and_then(|a| a.get("htpasswdSecret"))
            .and_then(serde_yaml_ng::Value::as_str)
            .unwrap_or("monitoring-gateway-htpasswd")
            .to_string(),
    )
}

/// A central stack's gateways, as the charts render them, ask for basic auth: the nginx
/// configuration has `auth_basic` on the server (only the readiness paths switch it off), and
/// the gateway pod mounts the htpasswd Secret where that configuration reads it. Loki runs
/// multi-tenant queries and Mimir tenant federation. Any other stack's gateways stay open
/// (inside the cluster only).
#[test]
fn central_gateways_ask_for_basic_auth_and_query_across_tenants() {
    let Some(corpus) = corpus() else { return };
    let mut problems = Vec::new();
    let mut central_gateways = 0;
    let mut other_gateways = 0;
    for stack in corpus {
        let htpasswd = central_htpasswd_secret(stack);
        for release in &stack.releases {
            let (component, config_key, cross_tenant) = match release.chart() {
                "loki" => ("loki", "config.yaml", "multi_tenant_queries_enabled: true"),
                "mimir-distributed" => ("mimir", "mimir.yaml", "tenant_federation:"),
                _ => continue,
            };
            if release.result.is_err() {
                continue;
            }
            let mut problem = |text: String| problems.push((stack.label.clone(), text));
            let gateway = format!("{component}-gateway");
            let objects: Vec<&Value> = release.objects().collect();
            let nginx = objects.iter().find_map(|o| {
                (kind_of(o) == "ConfigMap" && name_of(o).starts_with(&gateway))
                    .then(|| o.pointer("/data/nginx.conf").and_then(Value::as_str))
                    .flatten()
            });
            let deployment = objects
                .iter()
                .find(|o| kind_of(o) == "Deployment" && name_of(o) == gateway);
            let config = objects.iter().find_map(|o| {
                (kind_of(o) == "ConfigMap")
                    .then(|| o.get("data").and_then(|d| d.get(config_key)))
                    .flatten()
                    .and_then(Value::as_str)
            });
            let (Some(nginx), Some(deployment), Some(config)) = (nginx, deployment, config) else {
                problem(format!(
                    "{}: no {gateway} nginx ConfigMap, Deployment or {config_key}",
                    release.owner
                ));
                continue;
            };
            let user_file = "auth_basic_user_file /etc/nginx/secrets/.htpasswd;";
            let Some(secret) = &htpasswd else {
                other_gateways += 1;
                if nginx.contains(user_file) {
                    problem(format!("{}: {gateway} asks for basic auth", release.owner));
                }
                continue;
            };
            central_gateways += 1;
            // The server-level directive (indented once in the server block), not a location's.
            let server_auth = nginx.lines().any(|l| {
                let t = l.trim();
                t.starts_with("auth_basic ") && t.contains('"') && !t.contains("off")
            });
            if !server_auth || !nginx.contains(user_file) {
                problem(format!(
                    "{}: {gateway}'s nginx has no auth_basic",
                    release.owner
                ));
            }
            let pod = deployment.pointer("/spec/template/spec");
            let volume = pod
                .and_then(|p| p.get("volumes"))
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .find(|v| {
                    v.pointer("/secret/secretName").and_then(Value::as_str) == Some(secret.as_str())
                })
                .and_then(|v| v.get("name"))
                .and_then(Value::as_str);
            let mounted = volume.is_some_and(|volume| {
                pod.and_then(|p| p.get("containers"))
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .flat_map(|c| {
                        c.get("volumeMounts")
                            .and_then(Value::as_array)
                            .into_iter()
                            .flatten()
                    })
                    .any(|m| {
                        m.get("name").and_then(Value::as_str) == Some(volume)
                            && m.get("mountPath").and_then(Value::as_str)
                                == Some("/etc/nginx/secrets")
                    })
            });
            if !mounted {
                problem(format!(
                    "{}: {gateway} does not mount Secret {secret} at /etc/nginx/secrets",
                    release.owner
                ));
            }
            if !config.contains(cross_tenant) {
                problem(format!(
                    "{}: {config_key} has no `{cross_tenant}`",
                    release.owner
                ));
            }
        }
    }
    assert!(
        central_gateways >= 4,
        "only {central_gateways} central gateways rendered"
    );
    assert!(other_gateways > 0, "no standalone gateway rendered");
    report("gateways", central_gateways + other_gateways, problems);
}

/// A central stack's access policies (Istio AuthorizationPolicy or NetworkPolicy) select exactly
/// one workload of their namespace, the gateway's Deployment, admit the port its container
/// listens on, and every ServiceAccount an AuthorizationPolicy admits is rendered (Grafana's is
/// made by grafana-operator: `grafana-sa`).
#[test]
fn central_access_policies_select_exactly_the_gateway_pods() {
    let Some(corpus) = corpus() else { return };
    let mut problems = Vec::new();
    let mut policies = 0;
    for stack in corpus {
        let objects: Vec<Value> = stack.objects().into_iter().map(|(_, o)| o).collect();
        let workloads: Vec<&Value> = objects
            .iter()
            .filter(|o| o.pointer("/spec/template/metadata/labels").is_some())
            .collect();
        let accounts: BTreeSet<(String, String)> = objects
            .iter()
            .filter(|o| kind_of(o) == "ServiceAccount")
            .map(|o| (namespace_of(o).to_string(), name_of(o).to_string()))
            .collect();
        for policy in objects
            .iter()
            .filter(|o| matches!(kind_of(o), "AuthorizationPolicy" | "NetworkPolicy"))
        {
            policies += 1;
            let at = id_of(policy);
            let mut problem = |text: String| problems.push((stack.label.clone(), text));
            let namespace = namespace_of(policy);
            let Some(selector) = policy
                .pointer("/spec/selector")
                .or_else(|| policy.pointer("/spec/podSelector"))
            else {
                problem(format!("{at}: selects every pod of {namespace}"));
                continue;
            };
            let selected: Vec<&&Value> = workloads
                .iter()
                .filter(|w| namespace_of(w) == namespace)
                .filter(|w| {
                    w.pointer("/spec/template/metadata/labels")
                        .is_some_and(|labels| support::references::selects(selector, labels))
                })
                .collect();
            let [gateway] = selected.as_slice() else {
                problem(format!(
                    "{at}: selects {} workloads: {:?}",
                    selected.len(),
                    selected.iter().map(|w| id_of(w)).collect::<Vec<_>>()
                ));
                continue;
            };
            if kind_of(gateway) != "Deployment" || !name_of(gateway).ends_with("-gateway") {
                problem(format!("{at}: selects {}, not a gateway", id_of(gateway)));
            }
            let listening: BTreeSet<String> = gateway
                .pointer("/spec/template/spec/containers")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .flat_map(|c| {
                    c.get("ports")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                })
                .filter_map(|p| p.get("containerPort").map(Value::to_string))
                .collect();
            let admitted: Vec<String> = if kind_of(policy) == "NetworkPolicy" {
                policy
                    .pointer("/spec/ingress")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .flat_map(|i| {
                        i.get("ports")
                            .and_then(Value::as_array)
                            .into_iter()
                            .flatten()
                    })
                    .filter_map(|p| p.get("port").map(Value::to_string))
                    .collect()
            } else {
                policy
                    .pointer("/spec/rules")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .flat_map(|r| r.get("to").and_then(Value::as_array).into_iter().flatten())
                    .flat_map(|t| {
                        t.pointer("/operation/ports")
                            .and_then(Value::as_array)
                            .into_iter()
                            .flatten()
                    })
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            };
            if admitted.is_empty() || admitted.iter().any(|p| !listening.contains(p)) {
                problem(format!(
                    "{at}: admits ports {admitted:?}, the gateway listens on {listening:?}"
                ));
            }
            let principals = policy
                .pointer("/spec/rules")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .flat_map(|r| {
                    r.get("from")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                })
                .flat_map(|f| {
                    f.pointer("/source/principals")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                })
                .filter_map(Value::as_str);
            for principal in principals {
                let account = principal
                    .strip_prefix("*/ns/")
                    .and_then(|rest| rest.split_once("/sa/"));
                match account {
                    Some((_, "grafana-sa")) => {}
                    Some((ns, sa)) if accounts.contains(&(ns.to_string(), sa.to_string())) => {}
                    _ => problem(format!(
                        "{at}: principal {principal} is no rendered ServiceAccount"
                    )),
                }
            }
        }
    }
    assert!(policies >= 4, "only {policies} access policies found");
    report("access policies", policies, problems);
}

// ---------------------------------------------------------------------------------------------
// 3. Every reference resolves

/// The Secrets a stack declares as prerequisites: (namespace, name).
fn prerequisite_secrets(stack: &Deployed) -> Vec<(String, String)> {
    monitoring_stack::prerequisites(stack.stack.as_bytes())
        .unwrap_or_else(|e| panic!("{}: prerequisites: {e:?}", stack.label))
        .into_iter()
        .filter(|p| p.kind == "Secret")
        .map(|p| (p.namespace.unwrap_or_default(), p.name))
        .collect()
}

fn check_references(what: &str, check: impl Fn(&Deployed) -> support::references::Checked) {
    let Some(corpus) = corpus() else { return };
    let mut problems = Vec::new();
    let mut count = 0;
    for stack in corpus {
        let checked = check(stack);
        count += checked.count;
        problems.extend(
            checked
                .problems
                .into_iter()
                .map(|p| (stack.label.clone(), p)),
        );
    }
    assert!(count > 0, "{what}: nothing checked");
    report(what, count, problems);
}

#[test]
fn every_service_address_is_a_rendered_service_with_that_port() {
    check_references("service addresses", support::references::service_addresses);
}

#[test]
fn every_monitor_selects_a_rendered_target_and_its_port() {
    check_references("monitors", support::references::monitors);
}

#[test]
fn every_secret_and_config_map_read_is_provided() {
    check_references("Secrets and ConfigMaps", |stack| {
        support::references::secrets_and_config_maps(stack, &prerequisite_secrets(stack))
    });
}

/// Each reference check fails on a broken reference: a wrong port, a renamed monitor port, a
/// Secret that is not declared.
#[test]
fn the_reference_checks_catch_broken_references() {
    let Some(corpus) = corpus() else { return };
    let seed = corpus
        .iter()
        .find(|s| s.label == "krm/examples/seed.yaml")
        .expect("the seed example");
    let mut broken = seed.clone();
    for object in &mut broken.generated {
        if kind_of(object) == "GrafanaDatasource" {
            let url = object["spec"]["datasource"]["url"]
                .as_str()
                .unwrap_or("")
                .replace(".svc.cluster.local", ".svc.cluster.local:8080");
            object["spec"]["datasource"]["url"] = Value::String(url);
        }
        if kind_of(object) == "ServiceMonitor" && name_of(object) == "grafana" {
            object["spec"]["endpoints"][0]["port"] = Value::String("metrics".into());
        }
    }
    let addresses = support::references::service_addresses(&broken).problems;
    assert!(
        addresses
            .iter()
            .any(|p| p.contains("loki-gateway") && p.contains("no port 8080")),
        "{addresses:?}"
    );
    let monitors = support::references::monitors(&broken).problems;
    assert!(
        monitors
            .iter()
            .any(|p| p.contains("ServiceMonitor grafana/grafana: port \"metrics\"")),
        "{monitors:?}"
    );
    let secrets = support::references::secrets_and_config_maps(&broken, &[]).problems;
    assert!(
        secrets
            .iter()
            .any(|p| p.contains("Secret grafana/grafana-oidc")),
        "{secrets:?}"
    );
    assert!(
        support::references::secrets_and_config_maps(seed, &prerequisite_secrets(seed))
            .problems
            .is_empty()
    );
}

// ---------------------------------------------------------------------------------------------
// 4. The Flux apply order, simulated (tests/support/flux_order.rs)

/// `flux.path` of a stack (YAML text).
fn flux_path_of(stack: &str) -> String {
    let spec: serde_yaml_ng::Value = serde_yaml_ng::from_str(stack).expect("stack YAML");
    spec.get("spec")
        .and_then(|s| s.get("flux"))
        .and_then(|f| f.get("path"))
        .and_then(serde_yaml_ng::Value::as_str)
        .unwrap_or("./k8s/clusters/main/infrastructure/monitoring")
        .to_string()
}

/// The apply order of a stack rendered alone: its package is its tree (`flux.path`).
fn order_problems(stack: &Deployed) -> Option<(usize, Vec<String>)> {
    order_problems_in(stack, &flux_path_of(&stack.stack))
}

/// The apply order of a stack whose files sit in the package at repository path `package`.
fn order_problems_in(stack: &Deployed, package: &str) -> Option<(usize, Vec<String>)> {
    let flux_path = flux_path_of(&stack.stack);
    let prerequisites = monitoring_stack::prerequisites(stack.stack.as_bytes())
        .unwrap_or_else(|e| panic!("{}: prerequisites: {e:?}", stack.label));
    let apis: Vec<String> = prerequisites
        .iter()
        .filter(|p| p.kind == "API")
        .map(|p| p.name.clone())
        .collect();
    let namespaces: Vec<String> = prerequisites
        .iter()
        .filter(|p| p.kind == "Namespace")
        .map(|p| p.name.clone())
        .collect();
    support::flux_order::check(
        stack,
        &flux_path,
        package,
        &apis,
        &namespaces,
        is_core_group,
    )
}

#[test]
fn the_flux_apply_order_serves_every_kind_and_namespace_in_time() {
    let Some(corpus) = corpus() else { return };
    let mut problems = Vec::new();
    let mut checked = 0;
    let mut stacks = 0;
    for stack in corpus {
        let Some((count, found)) = order_problems(stack) else {
            continue;
        };
        stacks += 1;
        checked += count;
        problems.extend(found.into_iter().map(|p| (stack.label.clone(), p)));
    }
    assert!(stacks > 100, "only {stacks} flux-layout stacks");
    eprintln!("{stacks} flux-layout stacks");
    report("apply order", checked, problems);
}

/// Two flux-layout stacks rendered as one package (issue 16): each stack's files are in
/// `<name>/`, its `flux.path` is `<package>/<name>`, and Flux applying each tree from there
/// finds every folder its Kustomizations name, in an order that serves every kind in time.
#[test]
fn two_flux_stacks_in_one_package_apply_in_order() {
    let Some(helm) = helm() else { return };
    let stack = |name: &str| monitoring_stack_testkit::packages::named_stack(name, false);
    let (a, b) = (stack("a"), stack("b"));
    let objects = monitoring_stack::render(format!("{a}---\n{b}").as_bytes())
        .unwrap_or_else(|e| panic!("two stacks do not render: {e:?}"));
    let generated = deploy::generated_json(&objects);
    let of = |name: &str| -> Vec<Value> {
        generated
            .iter()
            .filter(|o| {
                o.pointer("/metadata/annotations/monitoring-stack.dev~1stack")
                    .and_then(Value::as_str)
                    == Some(name)
            })
            .cloned()
            .collect()
    };
    let deployed = deploy::deploy_all(
        helm,
        vec![
            ("stack a of two".to_string(), a, of("a")),
            ("stack b of two".to_string(), b, of("b")),
        ],
    );
    for stack in &deployed {
        let (count, problems) =
            order_problems_in(stack, monitoring_stack_testkit::packages::PACKAGE_PATH)
                .expect("flux layout");
        assert!(count > 50, "{}: only {count} objects applied", stack.label);
        assert!(problems.is_empty(), "{}: {problems:#?}", stack.label);
        // Read as a package of its own (files not in a/ or b/), the Kustomizations would find
        // nothing where they point: the check sees where the files are.
        let (_, misplaced) = order_problems(stack).expect("flux layout");
        assert!(!misplaced.is_empty(), "{}", stack.label);
    }
}

/// Without `dependsOn: alloy-operator`, the Alloy resources would reach a cluster that has no
/// Alloy CRD yet: the check names the object, its kind and the stage that installs it.
#[test]
fn the_order_check_fails_without_a_depends_on() {
    let Some(corpus) = corpus() else { return };
    let seed = corpus
        .iter()
        .find(|s| s.label == "krm/examples/seed.yaml")
        .expect("the seed example");
    let (_, problems) = order_problems(seed).expect("flux layout");
    assert!(problems.is_empty(), "{problems:?}");
    let mut broken = seed.clone();
    for object in &mut broken.generated {
        if kind_of(object) == "Kustomization" && name_of(object) == "alloy" {
            object["spec"]
                .as_object_mut()
                .expect("spec")
                .remove("dependsOn");
        }
    }
    let (_, problems) = order_problems(&broken).expect("flux layout");
    assert!(
        problems.iter().any(|p| p.starts_with("Alloy alloy/alloy-logs applied by Kustomization alloy: collectors.grafana.com/v1alpha1/Alloy is not served yet; HelmRelease alloy-operator/alloy-operator installs its CRD")),
        "{problems:#?}"
    );
}

/// The README's prerequisites section is the table `monitoring-stack prerequisites` prints for
/// the seed (needs neither Helm nor the reference material).
#[test]
fn the_readme_prerequisites_are_the_seed_table() {
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README");
    let marker = "<!-- prerequisites: krm/examples/seed.yaml";
    let start = readme.find(marker).expect("README prerequisites marker");
    let after = &readme[start..];
    let table_start = after.find('\n').map_or(0, |i| i + 1);
    let table: String = after[table_start..]
        .lines()
        .take_while(|l| l.starts_with('|'))
        .map(|l| format!("{l}\n"))
        .collect();
    let seed = std::fs::read(root().join("krm/examples/seed.yaml")).expect("seed");
    let expected = monitoring_stack::stack::prerequisites::markdown(
        &monitoring_stack::prerequisites(&seed).expect("seed prerequisites"),
    );
    assert_eq!(
        table, expected,
        "README.md's prerequisites section differs from `monitoring-stack prerequisites krm/examples/seed.yaml`"
    );
}

/// What the collectors' sources read (issue 19): the only resources, verbs and URLs a ClusterRole
/// or Role rendered from an `Alloy` resource may grant. No wildcards, no Secrets or ConfigMaps,
/// no `nodes/proxy`.
const COLLECTOR_RESOURCES: &[&str] = &[
    "pods",
    "pods/log",
    "namespaces",
    "events",
    "endpoints",
    "services",
    "endpointslices",
    "podmonitors",
    "servicemonitors",
    "nodes",
    "nodes/metrics",
];

#[test]
fn collectors_rendered_rbac_grants_only_what_their_sources_read() {
    let Some(corpus) = corpus() else { return };
    let mut problems = Vec::new();
    let mut rules = 0;
    for stack in corpus {
        for release in stack
            .releases
            .iter()
            .filter(|r| r.owner.starts_with("Alloy "))
        {
            for object in release.objects() {
                if !matches!(kind_of(object), "ClusterRole" | "Role") {
                    continue;
                }
                for rule in object["rules"].as_array().into_iter().flatten() {
                    rules += 1;
                    let strings = |key: &str| -> Vec<String> {
                        rule[key]
                            .as_array()
                            .into_iter()
                            .flatten()
                            .filter_map(Value::as_str)
                            .map(String::from)
                            .collect()
                    };
                    let at = format!("{} ({})", id_of(object), release.owner);
                    let verbs = strings("verbs");
                    let urls = strings("nonResourceURLs");
                    if !urls.is_empty() {
                        if urls != ["/metrics"] || verbs != ["get"] {
                            problems.push((stack.label.clone(), format!("{at}: {rule}")));
                        }
                        continue;
                    }
                    let resources = strings("resources");
                    let read_only = verbs
                        .iter()
                        .all(|v| ["get", "list", "watch"].contains(&v.as_str()));
                    let known = !resources.is_empty()
                        && resources
                            .iter()
                            .all(|r| COLLECTOR_RESOURCES.contains(&r.as_str()));
                    if !read_only || !known || strings("apiGroups").iter().any(|g| g == "*") {
                        problems.push((stack.label.clone(), format!("{at}: {rule}")));
                    }
                }
            }
        }
    }
    assert!(
        rules > 0,
        "no collector RBAC rendered: the check looks in the wrong place"
    );
    report("collector RBAC rules", rules, problems);
}
