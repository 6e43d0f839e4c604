//! The COSI storage pattern of Loki and Mimir: the setup Job's script run for real under `sh`
//! with a fake `kubectl` (serving a fixture COSI Secret, recording what is applied; the Secret
//! manifest itself comes from the real `kubectl create --dry-run=client`), its least-privilege
//! RBAC, its restricted Pod, and the chart values that read the S3 Secret.

mod support;

use monitoring_stack::render;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;

fn objects(stack: &str) -> Vec<Value> {
    render(stack.as_bytes())
        .unwrap_or_else(|e| panic!("invalid stack: {e:?}"))
        .into_iter()
        .map(|o| support::yaml_to_json(o).expect("json"))
        .collect()
}

fn stack(extra: &str) -> String {
    format!(
        "apiVersion: monitoring-stack.dev/v1alpha1\nkind: MonitoringStack\nmetadata: {{name: main}}\nspec:\n  grafana: {{hostname: grafana.example.com}}\n{extra}"
    )
}

fn find<'a>(objects: &'a [Value], kind: &str, namespace: &str) -> Vec<&'a Value> {
    objects
        .iter()
        .filter(|o| o["kind"] == kind && o["metadata"]["namespace"] == namespace)
        .collect()
}

fn job_script(objects: &[Value], namespace: &str) -> String {
    let jobs = find(objects, "Job", namespace);
    assert_eq!(jobs.len(), 1, "one setup Job in {namespace}");
    let command = &jobs[0]["spec"]["template"]["spec"]["containers"][0]["command"];
    assert_eq!(command[0], "/bin/sh");
    assert_eq!(command[1], "-c");
    command[2].as_str().expect("script").to_string()
}

/// A scratch directory with a fake `kubectl` first on PATH.
struct Sandbox {
    dir: PathBuf,
}

impl Sandbox {
    fn new(name: &str) -> Option<Sandbox> {
        for tool in ["sh", "jq", "kubectl"] {
            if Command::new("sh")
                .args(["-c", &format!("command -v {tool}")])
                .output()
                .map(|o| !o.status.success())
                .unwrap_or(true)
            {
                assert!(!support::running_in_ci(), "{tool} is required in CI");
                eprintln!("SKIPPED: {tool} not installed; the setup Job script was not run");
                return None;
            }
        }
        let real = String::from_utf8(
            Command::new("sh")
                .args(["-c", "command -v kubectl"])
                .output()
                .ok()?
                .stdout,
        )
        .ok()?;
        let dir = std::env::temp_dir().join(format!(
            "monitoring-stack-storage-{}-{name}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("bin")).expect("temp dir");
        // get: serve the fixture (or fail like a missing Secret); create: the real kubectl's
        // client-side dry run; apply: record the manifest.
        let fake = format!(
            r#"#!/bin/sh
echo "$*" >> "{dir}/calls.log"
case "$1" in
  get) [ -f "{dir}/fixture.json" ] && cat "{dir}/fixture.json" || {{ echo 'Error from server (NotFound)' >&2; exit 1; }} ;;
  create) exec {real} "$@" ;;
  apply) cat >> "{dir}/applied.yaml"; echo '---' >> "{dir}/applied.yaml" ;;
  *) echo "unexpected kubectl call: $*" >&2; exit 2 ;;
esac
"#,
            dir = dir.display(),
            real = real.trim()
        );
        let path = dir.join("bin/kubectl");
        std::fs::write(&path, fake).expect("fake kubectl");
        Command::new("chmod")
            .args(["+x", path.to_str().expect("utf-8")])
            .status()
            .expect("chmod");
        Some(Sandbox { dir })
    }

    fn serve(&self, secret: &Value) {
        std::fs::write(self.dir.join("fixture.json"), secret.to_string()).expect("fixture");
    }

    fn run(&self, script: &str) -> std::process::Output {
        let path = format!(
            "{}:{}",
            self.dir.join("bin").display(),
            std::env::var("PATH").unwrap_or_default()
        );
        Command::new("sh")
            .args(["-c", script])
            .env("PATH", path)
            .env("SETUP_WORK_DIR", &self.dir)
            .env("SETUP_WAIT_ATTEMPTS", "2")
            .output()
            .expect("sh runs")
    }

    /// The Secrets applied so far, as name → key → decoded value.
    fn applied(&self) -> Vec<(String, BTreeMap<String, String>)> {
        let text = std::fs::read_to_string(self.dir.join("applied.yaml")).unwrap_or_default();
        support::load_yaml_stream(&text)
            .into_iter()
            .map(|secret| {
                assert_eq!(secret["kind"], "Secret");
                let data = secret["data"].as_object().cloned().unwrap_or_default();
                let decoded = data
                    .into_iter()
                    .map(|(k, v)| (k, decode(v.as_str().expect("base64 string"))))
                    .collect();
                (
                    secret["metadata"]["name"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string(),
                    decoded,
                )
            })
            .collect()
    }

    fn calls(&self) -> String {
        std::fs::read_to_string(self.dir.join("calls.log")).unwrap_or_default()
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn encode(text: &str) -> String {
    let output = Command::new("base64")
        .arg("-w0")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child
                .stdin
                .take()
                .expect("stdin")
                .write_all(text.as_bytes())?;
            child.wait_with_output()
        });
    String::from_utf8(output.expect("base64").stdout).expect("utf-8")
}

fn decode(text: &str) -> String {
    let output = Command::new("sh")
        .args(["-c", &format!("printf '%s' '{text}' | base64 -d")])
        .output()
        .expect("base64 -d");
    String::from_utf8(output.stdout).expect("utf-8")
}

fn v1alpha1_secret(endpoint: &str, region: &str, access_key: &str) -> Value {
    let info = json!({
        "metadata": { "name": "ba-1234" },
        "spec": {
            "bucketName": "loki-bucket-7f3a",
            "authenticationType": "Key",
            "secretS3": { "endpoint": endpoint, "region": region, "accessKeyID": access_key, "accessSecretKey": "s3cr3t/+=" },
            "secretAzure": null,
            "protocols": ["S3"],
        },
    });
    json!({ "apiVersion": "v1", "kind": "Secret", "metadata": { "name": "loki-cosi-credentials" },
            "data": { "BucketInfo": encode(&info.to_string()) } })
}

fn expected(
    bucket: &str,
    host: &str,
    url: &str,
    region: &str,
    insecure: &str,
    key: &str,
) -> BTreeMap<String, String> {
    [
        ("S3_BUCKET", bucket),
        ("S3_ENDPOINT", host),
        ("S3_ENDPOINT_URL", url),
        ("S3_REGION", region),
        ("S3_INSECURE", insecure),
        ("AWS_ACCESS_KEY_ID", key),
        ("AWS_SECRET_ACCESS_KEY", "s3cr3t/+="),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

#[test]
fn v1alpha1_secret_is_reshaped_and_rerunning_changes_nothing() {
    let Some(sandbox) = Sandbox::new("v1alpha1") else {
        return;
    };
    let script = job_script(&objects(&stack("")), "loki");
    // A trailing newline in a value (a classic) must not reach the S3 Secret.
    sandbox.serve(&v1alpha1_secret(
        "http://garage.garage.svc.cluster.local:3900",
        "garage",
        "GKa1b2c3\n",
    ));
    let first = sandbox.run(&script);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let second = sandbox.run(&script);
    assert!(
        second.status.success(),
        "{}",
        String::from_utf8_lossy(&second.stderr)
    );
    let applied = sandbox.applied();
    assert_eq!(applied.len(), 2, "one apply per run");
    let want = expected(
        "loki-bucket-7f3a",
        "garage.garage.svc.cluster.local:3900",
        "http://garage.garage.svc.cluster.local:3900",
        "garage",
        "true",
        "GKa1b2c3",
    );
    assert_eq!(
        applied[0],
        ("loki-s3-credentials".to_string(), want.clone())
    );
    assert_eq!(applied[1], applied[0], "a re-run applies the same Secret");
    let calls = sandbox.calls();
    assert!(
        calls.contains("create secret generic loki-s3-credentials -n loki"),
        "{calls}"
    );
    assert!(calls.contains("--dry-run=client -o yaml"), "{calls}");
    assert!(calls.contains("apply -n loki -f -"), "{calls}");
}

#[test]
fn v1alpha2_flat_keys_with_https_and_no_region() {
    let Some(sandbox) = Sandbox::new("v1alpha2") else {
        return;
    };
    let objects = objects(&stack(
        "  mimir:\n    storage:\n      cosiApiVersion: v1alpha2\n",
    ));
    let script = job_script(&objects, "mimir");
    let data: serde_json::Map<String, Value> = [
        ("COSI_S3_BUCKET_ID", "mimir-bucket"),
        ("COSI_S3_ENDPOINT", "https://s3.example.com/"),
        ("COSI_S3_ADDRESSING_STYLE", "path"),
        ("COSI_S3_ACCESS_KEY_ID", "AKIA0001"),
        ("COSI_S3_ACCESS_SECRET_KEY", "s3cr3t/+="),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), Value::String(encode(v))))
    .collect();
    sandbox.serve(&json!({ "apiVersion": "v1", "kind": "Secret", "data": data }));
    let output = sandbox.run(&script);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let want = expected(
        "mimir-bucket",
        "s3.example.com",
        "https://s3.example.com/",
        "garage",
        "false",
        "AKIA0001",
    );
    assert_eq!(
        sandbox.applied(),
        vec![("mimir-s3-credentials".to_string(), want)]
    );
}

#[test]
fn a_missing_key_fails_with_a_clear_message() {
    let Some(sandbox) = Sandbox::new("missing") else {
        return;
    };
    let script = job_script(&objects(&stack("")), "loki");
    let mut secret = v1alpha1_secret("http://garage:3900", "garage", "");
    sandbox.serve(&secret);
    let output = sandbox.run(&script);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("loki-cosi-credentials has no access_key"),
        "{stderr}"
    );
    assert!(sandbox.applied().is_empty(), "nothing applied");

    secret["data"] = json!({ "other": encode("x") });
    sandbox.serve(&secret);
    let output = sandbox.run(&script);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("has no bucket"));
}

#[test]
fn an_absent_cosi_secret_times_out_with_a_clear_message() {
    let Some(sandbox) = Sandbox::new("absent") else {
        return;
    };
    let script = job_script(&objects(&stack("")), "loki").replace("sleep 5", "sleep 0");
    let output = sandbox.run(&script);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("Secret loki-cosi-credentials did not appear in namespace loki"),
        "{stderr}"
    );
}

#[test]
fn the_role_is_least_privilege() {
    for namespace in ["loki", "mimir"] {
        let objects = objects(&stack(""));
        let roles = find(&objects, "Role", namespace);
        assert_eq!(roles.len(), 1);
        let rules = roles[0]["rules"].as_array().expect("rules");
        let mut named: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for rule in rules {
            assert_eq!(rule["apiGroups"], json!([""]));
            assert_eq!(rule["resources"], json!(["secrets"]), "secrets only");
            let verbs: Vec<String> = rule["verbs"]
                .as_array()
                .expect("verbs")
                .iter()
                .map(|v| v.as_str().unwrap_or("*").to_string())
                .collect();
            assert!(
                !verbs
                    .iter()
                    .any(|v| v == "*" || v == "list" || v == "watch" || v == "delete"),
                "{verbs:?}"
            );
            match rule["resourceNames"].as_array() {
                Some(names) => {
                    for name in names {
                        named.insert(name.as_str().unwrap_or_default().to_string(), verbs.clone());
                    }
                }
                // RBAC cannot scope create by name; it is the only unnamed verb.
                None => assert_eq!(verbs, ["create"]),
            }
        }
        assert_eq!(named[&format!("{namespace}-cosi-credentials")], ["get"]);
        assert_eq!(
            named[&format!("{namespace}-s3-credentials")],
            ["get", "patch", "update"]
        );
        let binding = find(&objects, "RoleBinding", namespace)[0];
        assert_eq!(binding["roleRef"]["name"], roles[0]["metadata"]["name"]);
        assert_eq!(
            binding["subjects"][0]["name"],
            find(&objects, "ServiceAccount", namespace)[0]["metadata"]["name"]
        );
    }
}

#[test]
fn the_job_pod_is_restricted_and_bounded() {
    let objects = objects(&stack(""));
    for namespace in ["loki", "mimir"] {
        let job = find(&objects, "Job", namespace)[0];
        let spec = &job["spec"];
        assert!(spec["backoffLimit"].as_u64().is_some_and(|n| n > 0));
        assert!(spec["ttlSecondsAfterFinished"].as_u64().is_some());
        let pod = &spec["template"]["spec"];
        assert_eq!(pod["securityContext"]["runAsNonRoot"], true);
        assert_eq!(
            pod["securityContext"]["seccompProfile"]["type"],
            "RuntimeDefault"
        );
        assert!(pod["securityContext"]["runAsUser"]
            .as_u64()
            .is_some_and(|u| u > 0));
        for container in pod["containers"].as_array().expect("containers") {
            let security = &container["securityContext"];
            assert_eq!(security["allowPrivilegeEscalation"], false);
            assert_eq!(security["readOnlyRootFilesystem"], true);
            assert_eq!(security["capabilities"]["drop"], json!(["ALL"]));
            assert!(container["resources"]["limits"]["memory"].is_string());
            assert!(container["resources"]["limits"]["cpu"].is_string());
            let image = container["image"].as_str().expect("image");
            assert!(
                image.contains(':') && !image.ends_with(":latest"),
                "{image}"
            );
        }
        // The script's ${...} is shell syntax: Flux must not substitute it.
        assert_eq!(
            job["metadata"]["annotations"]["kustomize.toolkit.fluxcd.io/substitute"],
            "disabled"
        );
    }
}

#[test]
fn a_changed_job_gets_a_new_name() {
    let name =
        |extra: &str| find(&objects(&stack(extra)), "Job", "loki")[0]["metadata"]["name"].clone();
    let default = name("");
    assert_eq!(default, name(""), "stable across renders");
    assert_ne!(
        default,
        name("  loki:\n    storage:\n      setupImage: docker.io/alpine/k8s:1.33.0\n")
    );
    assert!(default
        .as_str()
        .is_some_and(|n| n.starts_with("loki-s3-setup-")));
}

#[test]
fn cosi_objects_in_both_api_versions() {
    let v1 = objects(&stack(""));
    let claim = find(&v1, "BucketClaim", "loki")[0];
    assert_eq!(claim["apiVersion"], "objectstorage.k8s.io/v1alpha1");
    assert_eq!(claim["spec"]["bucketClassName"], "garage-ssd");
    assert_eq!(claim["spec"]["protocols"], json!(["S3"]));
    let access = find(&v1, "BucketAccess", "loki")[0];
    assert_eq!(
        access["spec"]["credentialsSecretName"],
        "loki-cosi-credentials"
    );
    assert_eq!(access["spec"]["bucketClaimName"], claim["metadata"]["name"]);

    let v2 = objects(&stack(
        "  loki:\n    storage:\n      cosiApiVersion: v1alpha2\n      bucketClass: fast\n",
    ));
    let access = find(&v2, "BucketAccess", "loki")[0];
    assert_eq!(access["apiVersion"], "objectstorage.k8s.io/v1alpha2");
    assert_eq!(
        access["spec"]["bucketClaims"][0]["accessSecretName"],
        "loki-cosi-credentials"
    );
    assert_eq!(
        find(&v2, "BucketClaim", "loki")[0]["spec"]["bucketClassName"],
        "fast"
    );
    let Some(schemas) = support::crd_schemas() else {
        return;
    };
    for object in v1.iter().chain(&v2).filter(|o| {
        o["apiVersion"]
            .as_str()
            .is_some_and(|a| a.starts_with("objectstorage"))
    }) {
        schemas
            .validate(object)
            .unwrap_or_else(|e| panic!("{}", e.join("\n")));
    }
}

fn release<'a>(objects: &'a [Value], namespace: &str) -> &'a Value {
    find(objects, "HelmRelease", namespace)[0]
}

#[test]
fn loki_reads_the_s3_secret_at_start_up() {
    let objects = objects(&stack(""));
    let loki = release(&objects, "loki");
    let values = &loki["spec"]["values"];
    assert_eq!(values["deploymentMode"], "Distributed");
    for simple in ["backend", "read", "write", "singleBinary"] {
        assert_eq!(values[simple]["replicas"], 0, "{simple}");
    }
    for distributed in [
        "ingester",
        "distributor",
        "querier",
        "queryFrontend",
        "queryScheduler",
        "compactor",
        "indexGateway",
    ] {
        assert!(
            values[distributed]["replicas"]
                .as_u64()
                .is_some_and(|n| n > 0),
            "{distributed}"
        );
    }
    assert_eq!(
        values["global"]["extraEnvFrom"],
        json!([{ "secretRef": { "name": "loki-s3-credentials" } }])
    );
    assert_eq!(
        values["global"]["extraArgs"],
        json!(["-config.expand-env=true"])
    );
    assert_eq!(
        values["loki"]["storage"]["bucketNames"]["chunks"],
        "${S3_BUCKET}"
    );
    assert_eq!(
        values["loki"]["storage"]["s3"]["secretAccessKey"],
        "${AWS_SECRET_ACCESS_KEY}"
    );
    assert_eq!(
        values["loki"]["schemaConfig"]["configs"][0]["schema"],
        "v13"
    );
    assert_eq!(values["loki"]["limits_config"]["retention_period"], "30d");
    assert_eq!(values["loki"]["compactor"]["retention_enabled"], true);
    assert_eq!(
        values["loki"]["auth_enabled"], false,
        "multi-tenancy is an explicit choice"
    );
    assert_eq!(values["minio"]["enabled"], false);
    assert_eq!(values["gateway"]["enabled"], true);
    assert_eq!(
        values["ingester"]["persistence"]["claims"][0]["storageClass"],
        "ssd-replicated-retain"
    );
    assert_eq!(
        loki["metadata"]["annotations"]["kustomize.toolkit.fluxcd.io/substitute"],
        "disabled"
    );
    assert_eq!(
        loki["metadata"]["annotations"]["internal.config.kubernetes.io/path"],
        "loki/release/helmrelease.yaml"
    );
}

#[test]
fn mimir_shares_one_bucket_through_prefixes() {
    let objects = objects(&stack(
        "  mimir:\n    replicas: 1\n    zoneAwareness: true\n    retention: 90d\n",
    ));
    let mimir = release(&objects, "mimir");
    let values = &mimir["spec"]["values"];
    let config = &values["mimir"]["structuredConfig"];
    assert_eq!(config["common"]["storage"]["backend"], "s3");
    assert_eq!(
        config["common"]["storage"]["s3"]["bucket_name"],
        "${S3_BUCKET}"
    );
    let prefixes: Vec<&str> = ["blocks_storage", "alertmanager_storage", "ruler_storage"]
        .iter()
        .map(|s| config[*s]["storage_prefix"].as_str().expect("prefix"))
        .collect();
    for prefix in &prefixes {
        assert!(
            prefix.chars().all(|c| c.is_ascii_alphanumeric()),
            "{prefix} must match ^[\\da-zA-Z]+$"
        );
    }
    let unique: std::collections::BTreeSet<_> = prefixes.iter().collect();
    assert_eq!(
        unique.len(),
        3,
        "Mimir refuses a shared bucket with equal prefixes"
    );
    assert_eq!(config["limits"]["compactor_blocks_retention_period"], "90d");
    assert_eq!(
        config["ingester"]["ring"]["replication_factor"], 1,
        "a single replica cannot hold three copies"
    );
    assert_eq!(
        values["global"]["extraEnvFrom"][0]["secretRef"]["name"],
        "mimir-s3-credentials"
    );
    assert_eq!(values["minio"]["enabled"], false);
    assert_eq!(values["nginx"]["enabled"], false);
    assert_eq!(values["gateway"]["enabledNonEnterprise"], true);
    assert_eq!(values["ingester"]["zoneAwareReplication"]["enabled"], true);
    assert_eq!(values["rollout_operator"]["enabled"], true);
    assert_eq!(
        mimir["metadata"]["annotations"]["kustomize.toolkit.fluxcd.io/substitute"],
        "disabled"
    );
}

#[test]
fn the_release_waits_for_the_credentials() {
    let objects = objects(&stack(""));
    for component in ["loki", "mimir"] {
        let kustomizations: Vec<&Value> = objects
            .iter()
            .filter(|o| o["apiVersion"] == "kustomize.toolkit.fluxcd.io/v1")
            .collect();
        let storage = kustomizations
            .iter()
            .find(|k| k["metadata"]["name"] == component)
            .expect("storage stage");
        let release = kustomizations
            .iter()
            .find(|k| k["metadata"]["name"] == format!("{component}-release"))
            .expect("release stage");
        assert_eq!(
            storage["spec"]["wait"], true,
            "waits for the Job to complete"
        );
        assert_eq!(release["spec"]["dependsOn"], json!([{ "name": component }]));
        assert!(release["spec"]["path"]
            .as_str()
            .is_some_and(|p| p.ends_with(&format!("/{component}/release"))));
        // The storage stage's kustomization.yaml keeps release/ out of it.
        let config = objects
            .iter()
            .find(|o| {
                o["apiVersion"] == "kustomize.config.k8s.io/v1beta1"
                    && o["metadata"]["name"] == component
            })
            .expect("folder kustomization.yaml");
        let resources: Vec<&str> = config["resources"]
            .as_array()
            .expect("list")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        assert_eq!(
            resources,
            ["namespace.yaml", "bucket.yaml", "s3-setup.yaml"]
        );
    }
}

#[test]
fn switching_loki_off_removes_its_storage() {
    let objects = objects(&stack("  loki:\n    enabled: false\n"));
    assert!(objects
        .iter()
        .all(|o| o["metadata"]["namespace"] != "loki" && o["metadata"]["name"] != "loki"));
    assert!(!find(&objects, "Job", "mimir").is_empty());
}

#[test]
fn unknown_cosi_version_and_bad_bucket_class_are_rejected() {
    let bad = render(stack("  loki:\n    storage:\n      cosiApiVersion: v1beta1\n").as_bytes())
        .expect_err("invalid");
    assert_eq!(
        bad[0].field.as_deref(),
        Some("spec.loki.storage.cosiApiVersion")
    );
    let bad = render(stack("  mimir:\n    storage:\n      bucketClass: Garage_SSD\n").as_bytes())
        .expect_err("invalid");
    assert_eq!(
        bad[0].field.as_deref(),
        Some("spec.mimir.storage.bucketClass")
    );
    let bad =
        render(stack("  mimir:\n    storage:\n      setupImage: alpine/k8s:latest\n").as_bytes())
            .expect_err("invalid");
    assert_eq!(
        bad[0].field.as_deref(),
        Some("spec.mimir.storage.setupImage")
    );
}
