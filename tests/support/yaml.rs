//! YAML → JSON helpers shared by the reference checks.

use serde::Deserialize;
use serde_json::{Map, Number, Value};
use serde_yaml_ng::Value as Yaml;

/// Parses a multi-document YAML stream into JSON values, skipping empty documents.
///
/// Panics (with the document number) on invalid YAML; use [`try_load_yaml_stream`] to handle the error.
pub fn load_yaml_stream(text: &str) -> Vec<Value> {
    try_load_yaml_stream(text).unwrap_or_else(|e| panic!("invalid YAML stream: {e}"))
}

/// Like [`load_yaml_stream`] but returns the error instead of panicking.
pub fn try_load_yaml_stream(text: &str) -> Result<Vec<Value>, String> {
    let mut out = Vec::new();
    for (i, doc) in serde_yaml_ng::Deserializer::from_str(text).enumerate() {
        let mut yaml = Yaml::deserialize(doc).map_err(|e| format!("document {}: {e}", i + 1))?;
        yaml.apply_merge()
            .map_err(|e| format!("document {}: {e}", i + 1))?;
        let json = yaml_to_json(yaml).map_err(|e| format!("document {}: {e}", i + 1))?;
        if !json.is_null() {
            out.push(json);
        }
    }
    Ok(out)
}

/// Parses a single YAML document (an empty document becomes `null`).
pub fn load_yaml_doc(text: &str) -> Result<Value, String> {
    let mut docs = try_load_yaml_stream(text)?;
    match docs.len() {
        0 => Ok(Value::Null),
        1 => Ok(docs.remove(0)),
        n => Err(format!("expected one YAML document, found {n}")),
    }
}

/// Converts a YAML value to JSON. Mapping keys that are scalars are stringified (as YAML would
/// print them); tags are dropped; non-finite floats and non-scalar keys are errors.
pub fn yaml_to_json(yaml: Yaml) -> Result<Value, String> {
    Ok(match yaml {
        Yaml::Null => Value::Null,
        Yaml::Bool(b) => Value::Bool(b),
        Yaml::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::Number(i.into())
            } else if let Some(u) = n.as_u64() {
                Value::Number(u.into())
            } else {
                let f = n.as_f64().unwrap_or(f64::NAN);
                Value::Number(
                    Number::from_f64(f)
                        .ok_or_else(|| format!("non-finite number {n} has no JSON form"))?,
                )
            }
        }
        Yaml::String(s) => Value::String(s),
        Yaml::Sequence(seq) => Value::Array(
            seq.into_iter()
                .map(yaml_to_json)
                .collect::<Result<Vec<_>, _>>()?,
        ),
        Yaml::Mapping(mapping) => {
            let mut out = Map::new();
            for (k, v) in mapping {
                let key = match k {
                    Yaml::String(s) => s,
                    Yaml::Bool(b) => b.to_string(),
                    Yaml::Number(n) => n.to_string(),
                    Yaml::Null => "null".to_owned(),
                    other => return Err(format!("unsupported non-scalar mapping key {other:?}")),
                };
                out.insert(key, yaml_to_json(v)?);
            }
            Value::Object(out)
        }
        Yaml::Tagged(tagged) => yaml_to_json(tagged.value)?,
    })
}
