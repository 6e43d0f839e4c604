//! The spec's schema is generated from the Rust types: the committed JSON Schema, CRD and field
//! reference must equal what the code generates (`UPDATE_SCHEMA=1 cargo test --test schema`
//! rewrites them), every example validates against both, and the CRD is structural.

mod support;

use monitoring_stack::spec::schema;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

const SCHEMA_FILE: &str = "krm/schema/monitoringstack.schema.json";
const CRD_FILE: &str = "krm/crd/monitoringstack.yaml";
const REFERENCE_FILE: &str = "docs/spec.md";

fn generated() -> [(&'static str, String); 3] {
    let mut json = serde_json::to_string_pretty(&schema::json_schema()).expect("json");
    json.push('\n');
    let crd: serde_yaml_ng::Value = serde_yaml_ng::to_value(schema::crd()).expect("yaml value");
    [
        (SCHEMA_FILE, json),
        (CRD_FILE, monitoring_stack::yaml::to_string(&crd)),
        (REFERENCE_FILE, schema::reference_markdown()),
    ]
}

#[test]
fn committed_schema_files_match_the_types() {
    for (file, content) in generated() {
        let path = root().join(file);
        if std::env::var_os("UPDATE_SCHEMA").is_some() {
            std::fs::write(&path, &content).expect("write");
            continue;
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == content,
            "{file} is stale: regenerate with `UPDATE_SCHEMA=1 cargo test --test schema` (or `monitoring-stack schema`)"
        );
    }
}

/// Every MonitoringStack file in the repository.
fn examples() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join("krm/examples"))
        .expect("examples")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    for dir in ["legacy-plugin", "container", "exec"] {
        files.push(root().join("krm/kustomize").join(dir).join("stack.yaml"));
    }
    files.push(root().join("krm/kpt/monitoring-stack.yaml"));
    files.sort();
    files
}

fn load(path: &Path) -> (String, Value) {
    let text = std::fs::read_to_string(path).expect("example");
    let value: serde_yaml_ng::Value = serde_yaml_ng::from_str(&text).expect("yaml");
    (text, support::yaml_to_json(value).expect("json"))
}

#[test]
fn every_example_validates_and_names_the_schema() {
    let validator = jsonschema::validator_for(&schema::json_schema()).expect("schema compiles");
    let examples = examples();
    assert!(examples.len() >= 6);
    for path in examples {
        let (text, value) = load(&path);
        let errors: Vec<String> = validator
            .iter_errors(&value)
            .map(|e| format!("{}: {e}", e.instance_path()))
            .collect();
        assert!(
            errors.is_empty(),
            "{}:\n{}",
            path.display(),
            errors.join("\n")
        );
        let expected = pathdiff(&root().join(SCHEMA_FILE), path.parent().expect("folder"));
        assert!(
            text.starts_with(&format!("# yaml-language-server: $schema={expected}\n")),
            "{} must start with the yaml-language-server line pointing at {expected}",
            path.display()
        );
    }
}

/// `target` relative to `from` (both inside the repository).
fn pathdiff(target: &Path, from: &Path) -> String {
    let target: Vec<_> = target.components().collect();
    let from: Vec<_> = from.components().collect();
    let common = target.iter().zip(&from).take_while(|(a, b)| a == b).count();
    let mut parts: Vec<String> = from[common..].iter().map(|_| "..".to_string()).collect();
    parts.extend(
        target[common..]
            .iter()
            .map(|c| c.as_os_str().to_string_lossy().to_string()),
    );
    parts.join("/")
}

#[test]
fn the_schema_rejects_what_the_function_rejects() {
    let validator = jsonschema::validator_for(&schema::json_schema()).expect("schema compiles");
    let (_, seed) = load(&root().join("krm/examples/seed.yaml"));
    let cases: [(&str, Value); 5] = [
        ("/spec/loki/retntion", serde_json::json!("30d")),
        ("/spec/loki/replicas", serde_json::json!("three")),
        ("/spec/layout", serde_json::json!("tree")),
        ("/spec/cluster/storageClass", serde_json::json!("SSD")),
        ("/spec/loki/storage/cosiApiVersion", serde_json::json!("v2")),
    ];
    for (pointer, bad) in cases {
        let mut value = seed.clone();
        let (parent, key) = pointer.rsplit_once('/').expect("pointer");
        value
            .pointer_mut(parent)
            .and_then(Value::as_object_mut)
            .expect("parent")
            .insert(key.to_string(), bad);
        assert!(!validator.is_valid(&value), "the schema accepts {pointer}");
        // And so does the function itself: same verdict, with the field named.
        let yaml = serde_yaml_ng::to_string(&value).expect("yaml");
        let errors =
            monitoring_stack::render(yaml.as_bytes()).expect_err("the function rejects it too");
        let field = errors[0].field.clone().unwrap_or_default();
        assert_eq!(
            format!("/{}", field.replace('.', "/")),
            pointer,
            "{errors:?}"
        );
    }
}

#[test]
fn the_crd_is_structural_and_validates_every_example() {
    let crd = schema::crd();
    let root_schema = &crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"];
    let mut problems = Vec::new();
    structural(root_schema, "", &mut problems);
    assert!(
        problems.is_empty(),
        "not structural:\n{}",
        problems.join("\n")
    );

    // Validate the examples with the same strict CRD converter the generated objects go through.
    let dir = std::env::temp_dir().join(format!("monitoring-stack-crd-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("crds")).expect("temp");
    std::fs::copy(root().join(CRD_FILE), dir.join("crds/monitoringstack.yaml")).expect("copy");
    let schemas = support::CrdSchemas::load(&dir);
    let _ = std::fs::remove_dir_all(&dir);
    assert!(schemas.knows("monitoring-stack.dev/v1alpha1", "MonitoringStack"));
    for path in examples() {
        let (_, mut value) = load(&path);
        value["metadata"]["namespace"] = "default".into();
        schemas
            .validate(&value)
            .unwrap_or_else(|e| panic!("{}: {}", path.display(), e.join("\n")));
    }
    let (_, mut typo) = load(&root().join("krm/examples/seed.yaml"));
    typo["metadata"]["namespace"] = "default".into();
    typo["spec"]["grafana"]["hostnme"] = "x".into();
    assert!(
        schemas.validate(&typo).is_err(),
        "strict CRD validation catches a typo"
    );
}

/// The API server's structural-schema rules that matter here: a type at every level (or
/// preserve-unknown-fields), no `properties` beside `additionalProperties`, no `oneOf`/`anyOf`
/// carrying types, no `$ref`.
fn structural(schema: &Value, path: &str, problems: &mut Vec<String>) {
    let Some(map) = schema.as_object() else {
        return;
    };
    let free = map.get("x-kubernetes-preserve-unknown-fields") == Some(&Value::Bool(true));
    if !map.get("type").is_some_and(Value::is_string) && !free {
        problems.push(format!("{path}: no single type"));
    }
    if map.contains_key("properties") && map.contains_key("additionalProperties") {
        problems.push(format!("{path}: properties beside additionalProperties"));
    }
    for key in ["$ref", "oneOf", "anyOf", "allOf", "const", "$schema"] {
        if map.contains_key(key) {
            problems.push(format!("{path}: {key}"));
        }
    }
    if map.get("default").is_some_and(Value::is_null) {
        problems.push(format!("{path}: null default"));
    }
    if let Some(properties) = map.get("properties").and_then(Value::as_object) {
        for (name, value) in properties {
            structural(value, &format!("{path}.{name}"), problems);
        }
    }
    if let Some(items) = map.get("items") {
        structural(items, &format!("{path}[]"), problems);
    }
    if let Some(values @ Value::Object(_)) = map.get("additionalProperties") {
        structural(values, &format!("{path}{{}}"), problems);
    }
}
