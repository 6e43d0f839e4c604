//! Checks that Helm values only use keys the chart knows (`charts/<chart>/values.yaml`).
//!
//! Rules, for every key of the given values (joined as a dotted path, e.g. `loki.storage.type`):
//! - a path listed in [`FREE_FORM_VALUES`] for the chart is accepted with everything below it;
//! - the key must exist in the defaults (keys that are only commented out upstream are unknown);
//! - while both sides are mappings, descend; a default of `{}`, `[]` or `null` accepts anything;
//! - a mapping replacing a scalar or a non-empty list default is an error; a non-mapping value
//!   replacing a non-empty mapping default is an error too (`null` is always fine: it unsets);
//! - sequences and scalars are accepted as a whole (no descent into lists);
//! - where the chart ships `values.schema.json`, a path the schema declares (or that lies below a
//!   free-form schema node) is accepted even if `values.yaml` lacks it (allow-list only; the schema's
//!   types are not enforced).

use std::path::Path;

use serde_json::Value;

use super::yaml::load_yaml_doc;

/// Free-form value subtrees, as `(scope, dotted path)`. The scope is the chart folder name under
/// `charts/`; [`check_alloy_cr_spec`] uses the `alloy` entries (an `Alloy` CR spec is the Alloy
/// chart's values).
pub const FREE_FORM_VALUES: &[(&str, &str)] = &[
    // Merged last into the Loki config; anything Loki understands.
    ("loki", "loki.structuredConfig"),
    // Commented out in values.yaml but required by the templates (chunks, ruler, admin).
    ("loki", "loki.storage.bucketNames"),
    // `{}` upstream and required; schema config entries are free-form.
    ("loki", "loki.schemaConfig"),
    ("loki", "loki.storage_config"),
    ("loki", "loki.limits_config"),
    // Merged over the templated mimir.config.
    ("mimir-distributed", "mimir.structuredConfig"),
    // Commented out in values.yaml (`# storageClass: "-"`) and read by the StatefulSet templates.
    (
        "mimir-distributed",
        "ingester.persistentVolume.storageClass",
    ),
    (
        "mimir-distributed",
        "store_gateway.persistentVolume.storageClass",
    ),
    (
        "mimir-distributed",
        "compactor.persistentVolume.storageClass",
    ),
    (
        "mimir-distributed",
        "alertmanager.persistentVolume.storageClass",
    ),
    // Kubernetes PodSecurityContexts: their fields are the API's, not the chart's (the stack adds
    // `seccompProfile` to the charts' own contexts).
    ("loki", "loki.podSecurityContext"),
    ("loki", "gateway.podSecurityContext"),
    ("loki", "memcached.podSecurityContext"),
    ("alloy-operator", "podSecurityContext"),
    // Alloy configuration text.
    ("alloy", "alloy.configMap.content"),
];

/// Checks `values` (a HelmRelease `spec.values`) against `charts/<chart>/values.yaml` (plus its
/// `values.schema.json` if present). Returns one message per unknown path, each starting with
/// `[<chart>] <dotted.path>:`.
///
/// Panics if the chart folder or its values.yaml is missing.
pub fn check_helm_values(reference: &Path, chart: &str, values: &Value) -> Vec<String> {
    let chart_dir = reference.join("charts").join(chart);
    let defaults = read_yaml(&chart_dir.join("values.yaml"));
    let schema_path = chart_dir.join("values.schema.json");
    let schema: Option<Value> = schema_path.exists().then(|| {
        let text = std::fs::read_to_string(&schema_path)
            .unwrap_or_else(|e| panic!("reading {}: {e}", schema_path.display()));
        serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("parsing {}: {e}", schema_path.display()))
    });
    let free_form = free_form_for(chart);
    check_values_against(
        &format!("{chart} (charts/{chart}/values.yaml)"),
        &defaults,
        schema.as_ref(),
        &free_form,
        values,
    )
}

/// Checks an `Alloy` CR's `spec` against `charts/alloy-operator/alloy-values.yaml` (the Alloy chart
/// values the operator renders) with the same rules and the `alloy` free-form entries.
pub fn check_alloy_cr_spec(reference: &Path, spec: &Value) -> Vec<String> {
    let defaults = read_yaml(
        &reference
            .join("charts")
            .join("alloy-operator")
            .join("alloy-values.yaml"),
    );
    check_values_against(
        "Alloy CR spec (charts/alloy-operator/alloy-values.yaml)",
        &defaults,
        None,
        &free_form_for("alloy"),
        spec,
    )
}

/// The free-form dotted paths of one scope from [`FREE_FORM_VALUES`].
pub fn free_form_for(scope: &str) -> Vec<&'static str> {
    FREE_FORM_VALUES
        .iter()
        .filter(|(s, _)| *s == scope)
        .map(|(_, p)| *p)
        .collect()
}

/// The rule engine behind [`check_helm_values`]: `label` prefixes every message.
pub fn check_values_against(
    label: &str,
    defaults: &Value,
    schema: Option<&Value>,
    free_form: &[&str],
    values: &Value,
) -> Vec<String> {
    let checker = Checker {
        label,
        schema,
        free_form,
    };
    let mut errors = Vec::new();
    match values {
        Value::Null => {}
        Value::Object(map) => {
            for (key, value) in map {
                let mut path = vec![key.as_str()];
                checker.walk(&mut path, value, defaults.get(key), &mut errors);
            }
        }
        other => errors.push(format!(
            "[{label}] <root>: values must be a mapping, got {other}"
        )),
    }
    errors
}

struct Checker<'a> {
    label: &'a str,
    schema: Option<&'a Value>,
    free_form: &'a [&'a str],
}

enum SchemaVerdict {
    /// The schema declares the path (node = its schema).
    Declared,
    /// The path lies below a schema node that accepts anything.
    FreeForm,
    /// Not declared (or no schema).
    Unknown,
}

impl<'a> Checker<'a> {
    fn walk(
        &self,
        path: &mut Vec<&'a str>,
        given: &'a Value,
        default: Option<&Value>,
        errors: &mut Vec<String>,
    ) {
        let dotted = path.join(".");
        if self.free_form.contains(&dotted.as_str()) {
            return;
        }
        let Some(default) = default else {
            self.fallback_to_schema(path, given, "not a key of the chart's values", errors);
            return;
        };
        match (given, default) {
            // `null` unsets a key; defaults of null / {} / [] accept anything.
            (Value::Null, _) | (_, Value::Null) => {}
            (_, Value::Object(d)) if d.is_empty() => {}
            (_, Value::Array(d)) if d.is_empty() => {}
            (Value::Object(g), Value::Object(d)) => {
                for (key, value) in g {
                    path.push(key.as_str());
                    self.walk(path, value, d.get(key), errors);
                    path.pop();
                }
            }
            (Value::Object(_), Value::Array(_)) => {
                self.fallback_to_schema(path, given, "a mapping replaces a list default", errors)
            }
            (Value::Object(_), _) => self.fallback_to_schema(
                path,
                given,
                &format!("a mapping replaces the scalar default {default}"),
                errors,
            ),
            (_, Value::Object(_)) => self.fallback_to_schema(
                path,
                given,
                &format!("{} replaces a mapping default", kind_of(given)),
                errors,
            ),
            // Scalars and lists replace scalars/lists as a whole.
            _ => {}
        }
    }

    /// `values.yaml` rejects `path`; accept it if the values schema declares it, descending
    /// through the given mapping with the schema alone.
    fn fallback_to_schema(
        &self,
        path: &mut Vec<&'a str>,
        given: &'a Value,
        why: &str,
        errors: &mut Vec<String>,
    ) {
        match self.schema_verdict(path) {
            SchemaVerdict::FreeForm => {}
            SchemaVerdict::Declared => {
                if let Value::Object(g) = given {
                    for (key, value) in g {
                        path.push(key.as_str());
                        let dotted = path.join(".");
                        if !self.free_form.contains(&dotted.as_str()) {
                            self.fallback_to_schema(
                                path,
                                value,
                                "not a key of the chart's values nor of its values.schema.json",
                                errors,
                            );
                        }
                        path.pop();
                    }
                }
            }
            SchemaVerdict::Unknown => errors.push(format!(
                "[{}] {}: {why}{}",
                self.label,
                path.join("."),
                if self.schema.is_some() {
                    " (nor declared by values.schema.json)"
                } else {
                    ""
                }
            )),
        }
    }

    fn schema_verdict(&self, path: &[&str]) -> SchemaVerdict {
        let Some(mut node) = self.schema else {
            return SchemaVerdict::Unknown;
        };
        for segment in path {
            if schema_is_free_form(node) {
                return SchemaVerdict::FreeForm;
            }
            match node.get("properties").and_then(|p| p.get(*segment)) {
                Some(child) => node = child,
                None => return SchemaVerdict::Unknown,
            }
        }
        SchemaVerdict::Declared
    }
}

/// A schema node below which any key is accepted: explicit `additionalProperties` (true or a
/// schema), `patternProperties`, or an object/array/untyped node without `properties`.
fn schema_is_free_form(node: &Value) -> bool {
    match node.get("additionalProperties") {
        Some(Value::Bool(true)) | Some(Value::Object(_)) => return true,
        _ => {}
    }
    if node.get("patternProperties").is_some() {
        return true;
    }
    if node.get("properties").is_some() {
        return false;
    }
    let types: Vec<&str> = match node.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ => return true,
    };
    types.iter().any(|t| *t == "object" || *t == "array")
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

fn read_yaml(path: &Path) -> Value {
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    load_yaml_doc(&text).unwrap_or_else(|e| panic!("parsing {}: {e}", path.display()))
}
