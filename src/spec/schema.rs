//! The spec's schema, generated from the Rust types (so it cannot drift from what the function
//! accepts): a JSON Schema for editors (`krm/schema/`), a CRD for clusters that store the spec
//! and for `kubectl explain` (`krm/crd/`), and the Markdown field reference (`docs/spec.md`).

use super::{MonitoringStackSpec, API_VERSION, GROUP, KIND};
use serde_json::{json, Map, Value};

/// JSON Schema (draft 2020-12) of a whole `MonitoringStack` object.
pub fn json_schema() -> Value {
    let generator = schemars::generate::SchemaSettings::draft2020_12()
        .with(|s| s.inline_subschemas = true)
        .into_generator();
    let spec = generator
        .into_root_schema_for::<MonitoringStackSpec>()
        .to_value();
    let mut spec = strip_root(spec);
    describe(
        &mut spec,
        "The stack: every field is optional except grafana.hostname (when Grafana is on).",
    );
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://monitoring-stack.dev/schemas/v1alpha1/monitoringstack.json",
        "title": KIND,
        "description": "One compact resource that expands into a Flux-deployed Grafana monitoring stack.",
        "type": "object",
        "required": ["apiVersion", "kind", "metadata"],
        "properties": {
            "apiVersion": { "const": API_VERSION },
            "kind": { "const": KIND },
            "metadata": {
                "type": "object",
                "required": ["name"],
                "properties": {
                    "name": { "type": "string", "pattern": "^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$" },
                    "namespace": { "type": "string" },
                    "labels": { "type": "object", "additionalProperties": { "type": "string" } },
                    "annotations": { "type": "object", "additionalProperties": { "type": "string" } },
                },
            },
            "spec": spec,
        },
    })
}

/// The CustomResourceDefinition: the same schema made structural (inlined, no `$schema`,
/// single types, free-form maps as `x-kubernetes-preserve-unknown-fields`).
pub fn crd() -> Value {
    let generator = schemars::generate::SchemaSettings::openapi3()
        .with(|s| {
            s.inline_subschemas = true;
            s.meta_schema = None;
        })
        .into_generator();
    let mut spec = strip_root(
        generator
            .into_root_schema_for::<MonitoringStackSpec>()
            .to_value(),
    );
    structural(&mut spec);
    let version = API_VERSION.rsplit('/').next().unwrap_or("v1alpha1");
    json!({
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": { "name": format!("monitoringstacks.{GROUP}") },
        "spec": {
            "group": GROUP,
            "names": {
                "kind": KIND,
                "listKind": format!("{KIND}List"),
                "plural": "monitoringstacks",
                "singular": "monitoringstack",
                "shortNames": ["mstack"],
            },
            "scope": "Namespaced",
            "versions": [{
                "name": version,
                "served": true,
                "storage": true,
                "schema": { "openAPIV3Schema": {
                    "type": "object",
                    "description": "MonitoringStack expands into a Flux-deployed Grafana monitoring stack (Loki, Mimir, Alloy, Grafana).",
                    "properties": {
                        "apiVersion": { "type": "string" },
                        "kind": { "type": "string" },
                        "metadata": { "type": "object" },
                        "spec": spec,
                    },
                }},
            }],
        },
    })
}

fn strip_root(mut schema: Value) -> Value {
    if let Some(map) = schema.as_object_mut() {
        map.remove("$schema");
        map.remove("title");
        map.remove("definitions");
        map.remove("$defs");
    }
    schema
}

fn describe(schema: &mut Value, text: &str) {
    if let Some(map) = schema.as_object_mut() {
        map.insert("description".into(), text.into());
    }
}

/// Rewrites a schemars (OpenAPI 3) schema into what the API server accepts as structural.
fn structural(schema: &mut Value) {
    let Some(map) = schema.as_object_mut() else {
        return;
    };
    // Documented enum variants (`oneOf` of single-value enums) become one `enum`: structural
    // schemas need a type at every level.
    if let Some(Value::Array(options)) = map.get("oneOf") {
        let values: Option<Vec<Value>> = options
            .iter()
            .map(|o| o.get("const").or_else(|| o.pointer("/enum/0")).cloned())
            .collect();
        if let Some(values) = values {
            map.remove("oneOf");
            map.insert("type".into(), "string".into());
            map.insert("enum".into(), Value::Array(values));
        }
    }
    // A null default is the absence of a default.
    if map.get("default").is_some_and(Value::is_null) {
        map.remove("default");
    }
    // Types as lists (`["string", "number", "boolean"]`) have no structural form.
    if map.get("type").is_some_and(Value::is_array) {
        map.remove("type");
        map.insert("x-kubernetes-preserve-unknown-fields".into(), true.into());
    }
    // Free-form maps.
    if map.get("additionalProperties") == Some(&Value::Bool(true)) {
        map.remove("additionalProperties");
        map.insert("x-kubernetes-preserve-unknown-fields".into(), true.into());
    }
    // `properties` and `additionalProperties: false` may not be combined (the server prunes
    // unknown fields instead).
    if map.get("additionalProperties") == Some(&Value::Bool(false)) {
        map.remove("additionalProperties");
    }
    // Only the formats the API server knows.
    if let Some(format) = map.get("format").and_then(Value::as_str) {
        if !matches!(
            format,
            "int32" | "int64" | "float" | "double" | "byte" | "date-time"
        ) {
            map.remove("format");
        }
    }
    // `nullable` Option fields and single-variant `allOf` wrappers from schemars.
    if let Some(Value::Array(all)) = map.remove("allOf") {
        if let [Value::Object(only)] = all.as_slice() {
            for (k, v) in only {
                map.entry(k.clone()).or_insert_with(|| v.clone());
            }
        }
    }
    for key in ["properties", "patternProperties"] {
        if let Some(Value::Object(properties)) = map.get_mut(key) {
            for value in properties.values_mut() {
                structural(value);
            }
        }
    }
    for key in ["items", "additionalProperties"] {
        if let Some(value) = map.get_mut(key) {
            structural(value);
        }
    }
    for key in ["anyOf", "oneOf"] {
        if let Some(Value::Array(options)) = map.get_mut(key) {
            for value in options {
                structural(value);
            }
        }
    }
}

/// The Markdown field reference: one row per field with type, default and description.
pub fn reference_markdown() -> String {
    let schema = json_schema();
    let mut rows = Vec::new();
    if let Some(spec) = schema.pointer("/properties/spec") {
        walk(spec, "spec", &mut rows);
    }
    let mut out = String::from(
        "# MonitoringStack v1alpha1: field reference\n\n\
         Generated from the Rust types by `monitoring-stack schema --reference` (a test fails when\n\
         this file is stale). Every field is optional unless marked required.\n\n\
         | field | type | default | description |\n|---|---|---|---|\n",
    );
    for (path, kind, default, description) in rows {
        out.push_str(&format!(
            "| `{path}` | {kind} | {default} | {} |\n",
            description.replace('|', "\\|").replace('\n', " ")
        ));
    }
    out
}

type Row = (String, String, String, String);

fn walk(schema: &Value, path: &str, rows: &mut Vec<Row>) {
    let Some(properties) = schema.get("properties").and_then(Value::as_object) else {
        return;
    };
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    for (name, field) in properties {
        let here = format!("{path}.{name}");
        let field = unwrap_nullable(field);
        let mut description = field
            .get("description")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        if required.contains(&name.as_str()) {
            description = format!("**Required.** {description}");
        }
        let default = field
            .get("default")
            .filter(|d| !d.is_null() && !d.as_object().is_some_and(Map::is_empty))
            .map_or(String::new(), |d| format!("`{d}`"));
        rows.push((here.clone(), type_of(field), default, description));
        if field.get("properties").is_some() {
            walk(field, &here, rows);
        } else if let Some(items) = field.get("items").filter(|i| i.get("properties").is_some()) {
            walk(items, &format!("{here}[]"), rows);
        } else if let Some(values) = field
            .get("additionalProperties")
            .filter(|v| v.get("properties").is_some())
        {
            walk(values, &format!("{here}.<key>"), rows);
        }
    }
}

/// `anyOf: [T, {type: null}]` (an Option) → T.
fn unwrap_nullable(field: &Value) -> &Value {
    if let Some(options) = field.get("anyOf").and_then(Value::as_array) {
        let non_null: Vec<&Value> = options
            .iter()
            .filter(|o| o.get("type").and_then(Value::as_str) != Some("null"))
            .collect();
        if let [only] = non_null.as_slice() {
            return only;
        }
    }
    field
}

fn type_of(field: &Value) -> String {
    // Enums as `oneOf` of documented constants.
    if let Some(options) = field.get("oneOf").and_then(Value::as_array) {
        let constants: Vec<String> = options
            .iter()
            .filter_map(|o| o.get("const").or_else(|| o.pointer("/enum/0")))
            .map(|c| format!("`{}`", c.as_str().unwrap_or("?")))
            .collect();
        if constants.len() == options.len() {
            return constants.join(" \\| ");
        }
    }
    if let Some(values) = field.get("enum").and_then(Value::as_array) {
        let names: Vec<String> = values
            .iter()
            .map(|v| format!("`{}`", v.as_str().unwrap_or("?")))
            .collect();
        return names.join(" \\| ");
    }
    match field.get("type") {
        Some(Value::String(t)) if t == "array" => {
            let inner = field
                .get("items")
                .map_or("any".to_string(), |i| type_of(unwrap_nullable(i)));
            format!("list of {inner}")
        }
        Some(Value::String(t)) if t == "object" && field.get("properties").is_none() => {
            match field.get("additionalProperties") {
                Some(Value::Object(_)) => {
                    let inner = field
                        .get("additionalProperties")
                        .map_or("any".into(), type_of);
                    format!("map of {inner}")
                }
                _ => "map".to_string(),
            }
        }
        Some(Value::String(t)) => t.clone(),
        // `[T, "null"]` is an optional T: every field is optional.
        Some(Value::Array(types)) => types
            .iter()
            .filter_map(Value::as_str)
            .filter(|t| *t != "null")
            .collect::<Vec<_>>()
            .join(" or "),
        _ => "any".to_string(),
    }
}
