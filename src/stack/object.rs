//! Building generated objects: metadata with the ownership marks, typed bodies turned into
//! values, and the deep merge of users' extra Helm values.

use serde::Serialize;
use serde_yaml_ng::{Mapping, Value};
use std::collections::BTreeMap;

/// Label every generated object carries (shared by all stacks).
pub const MANAGED_BY_LABEL: &str = "app.kubernetes.io/managed-by";
pub const MANAGED_BY_VALUE: &str = "monitoring-stack";
/// Annotation naming the MonitoringStack an object came from.
pub const STACK_ANNOTATION: &str = "monitoring-stack.dev/stack";

/// Object metadata in the order people read it: name, namespace, labels, annotations.
#[derive(Debug, Clone, Serialize)]
pub struct Meta {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
}

impl Meta {
    /// Metadata owned by `stack`: the managed-by label and the stack annotation.
    pub fn owned(stack: &str, name: &str, namespace: Option<&str>) -> Meta {
        Meta {
            name: name.to_string(),
            namespace: namespace.map(str::to_string),
            labels: crate::collections::map_of([(
                MANAGED_BY_LABEL.to_string(),
                MANAGED_BY_VALUE.to_string(),
            )]),
            annotations: crate::collections::map_of([(
                STACK_ANNOTATION.to_string(),
                stack.to_string(),
            )]),
        }
    }

    pub fn label(mut self, key: &str, value: &str) -> Meta {
        self.labels.insert(key.to_string(), value.to_string());
        self
    }

    pub fn annotation(mut self, key: &str, value: &str) -> Meta {
        self.annotations.insert(key.to_string(), value.to_string());
        self
    }
}

/// `apiVersion`, `kind`, `metadata`, then the fields of `body` (a struct or a JSON object), in
/// that order.
pub fn object(api_version: &str, kind: &str, metadata: Meta, body: impl IntoYaml) -> Value {
    let body = body.into_yaml();
    let fields = match &body {
        Value::Mapping(fields) => fields.len(),
        _ => 0,
    };
    let mut object = Mapping::with_capacity(3 + fields);
    object.insert("apiVersion".into(), api_version.into());
    object.insert("kind".into(), kind.into());
    object.insert("metadata".into(), metadata.into_yaml());
    if let Value::Mapping(fields) = body {
        object.extend(fields);
    }
    Value::Mapping(object)
}

/// Data the generators build, turned into a YAML value. JSON values (`json!`) and YAML values
/// are moved across without going through serde (about a third of an expansion's time before).
pub trait IntoYaml {
    fn into_yaml(self) -> Value;
}

impl IntoYaml for serde_json::Value {
    fn into_yaml(self) -> Value {
        from_json(self)
    }
}

impl IntoYaml for Value {
    fn into_yaml(self) -> Value {
        self
    }
}

/// Marks a typed body (a `#[derive(Serialize)]` struct) as going through serde.
pub trait SerdeBody: Serialize {}

impl<T: SerdeBody> IntoYaml for T {
    fn into_yaml(self) -> Value {
        to_value(&self)
    }
}

impl IntoYaml for Meta {
    fn into_yaml(self) -> Value {
        let mut meta = Mapping::with_capacity(4);
        meta.insert("name".into(), Value::String(self.name));
        if let Some(namespace) = self.namespace {
            meta.insert("namespace".into(), Value::String(namespace));
        }
        for (key, map) in [("labels", self.labels), ("annotations", self.annotations)] {
            if !map.is_empty() {
                let map: Mapping = map
                    .into_iter()
                    .map(|(k, v)| (Value::String(k), Value::String(v)))
                    .collect();
                meta.insert(key.into(), Value::Mapping(map));
            }
        }
        Value::Mapping(meta)
    }
}

/// Moves a YAML value into the equivalent JSON value (same key order, same numbers), for a typed
/// body that holds one: serialising it through serde instead would link serde_yaml_ng's
/// `Serialize` and serde_json's key serializer with its float writer (3 KB of the npm module).
/// Keys are strings in every value that gets here (the spec refuses others in users' mappings:
/// `spec::values::json_mapping`); a number or boolean key would be written as its text, as
/// serde_json writes it, and any other key is left out. A non-finite float is `null`.
pub fn into_json(value: Value) -> serde_json::Value {
    match value {
        Value::Null => serde_json::Value::Null,
        Value::Bool(b) => serde_json::Value::Bool(b),
        Value::Number(n) => {
            if let Some(i) = n.as_u64() {
                i.into()
            } else if let Some(i) = n.as_i64() {
                i.into()
            } else {
                n.as_f64()
                    .map_or(serde_json::Value::Null, serde_json::Value::from)
            }
        }
        Value::String(s) => serde_json::Value::String(s),
        Value::Sequence(items) => {
            serde_json::Value::Array(items.into_iter().map(into_json).collect())
        }
        Value::Mapping(mapping) => {
            let mut object = serde_json::Map::with_capacity(mapping.len());
            for (key, value) in mapping {
                let key = match key {
                    Value::String(key) => key,
                    Value::Number(n) => n.to_string(),
                    Value::Bool(b) => b.to_string(),
                    _ => continue,
                };
                object.insert(key, into_json(value));
            }
            serde_json::Value::Object(object)
        }
        Value::Tagged(tagged) => into_json(tagged.value),
    }
}

/// Moves a JSON value into the equivalent YAML value (same key order, same numbers).
pub fn from_json(json: serde_json::Value) -> Value {
    match json {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(b) => Value::Bool(b),
        serde_json::Value::Number(n) => {
            if let Some(i) = n.as_u64() {
                Value::Number(i.into())
            } else if let Some(i) = n.as_i64() {
                Value::Number(i.into())
            } else {
                Value::Number(n.as_f64().unwrap_or(f64::NAN).into())
            }
        }
        serde_json::Value::String(s) => Value::String(s),
        serde_json::Value::Array(items) => {
            Value::Sequence(items.into_iter().map(from_json).collect())
        }
        serde_json::Value::Object(map) => {
            let mut mapping = Mapping::with_capacity(map.len());
            for (key, value) in map {
                mapping.insert(Value::String(key), from_json(value));
            }
            Value::Mapping(mapping)
        }
    }
}

/// Serialises generator-built data into a YAML value, through serde_json: the JSON values the
/// builders write (`json!`) already use its serializer, and one serializer for everything keeps
/// the WebAssembly builds smaller (18 KB). Everything in it is JSON-compatible: the builders'
/// own data, and user mappings the spec checked for that (`spec::values::json_mapping`).
pub fn to_value(data: &impl Serialize) -> Value {
    serde_json::to_value(data).map_or(Value::Null, from_json)
}

/// A typed body as a JSON value, for a builder that adds JSON values to it afterwards.
pub fn to_json(data: &impl Serialize) -> serde_json::Value {
    serde_json::to_value(data).unwrap_or(serde_json::Value::Null)
}

/// Deep-merges `overlay` into `base`: mappings merge key by key, anything else replaces.
pub fn merge(base: &mut Value, overlay: &Value) {
    match (base, overlay) {
        (Value::Mapping(base), Value::Mapping(overlay)) => {
            for (key, value) in overlay {
                match base.get_mut(key) {
                    Some(existing) => merge(existing, value),
                    None => {
                        base.insert(key.clone(), value.clone());
                    }
                }
            }
        }
        (base, overlay) => *base = overlay.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_json_equals_serde_conversion() {
        let json = crate::json::json!({
            "z": 1, "a": -2, "f": 1.5, "big": u64::MAX, "t": true, "n": null,
            "s": "text", "list": [1, "x", {"k": []}], "empty": {},
        });
        let through_serde = serde_yaml_ng::to_value(&json).expect("yaml value");
        let moved = from_json(json);
        assert_eq!(moved, through_serde);
        let keys: Vec<_> = moved.as_mapping().expect("map").keys().cloned().collect();
        let expected: Vec<Value> = ["z", "a", "f", "big", "t", "n", "s", "list", "empty"]
            .iter()
            .map(|k| Value::from(*k))
            .collect();
        assert_eq!(keys, expected, "insertion order is kept");
    }

    #[test]
    fn meta_into_yaml_equals_serde_conversion() {
        let meta = Meta::owned("stack", "name", Some("ns"))
            .label("b", "2")
            .annotation("a", "1");
        assert_eq!(
            meta.clone().into_yaml(),
            serde_yaml_ng::to_value(&meta).expect("meta")
        );
        let bare = Meta {
            labels: BTreeMap::new(),
            annotations: BTreeMap::new(),
            ..meta
        };
        assert_eq!(
            bare.clone().into_yaml(),
            serde_yaml_ng::to_value(&bare).expect("meta")
        );
    }

    #[test]
    fn merge_is_deep_and_overlay_wins() {
        let mut base: Value = serde_yaml_ng::from_str("a: {b: 1, c: [1]}\nd: x\n").expect("yaml");
        let overlay: Value =
            serde_yaml_ng::from_str("a: {c: [2], e: 3}\nd: {f: 1}\n").expect("yaml");
        merge(&mut base, &overlay);
        let expected: Value =
            serde_yaml_ng::from_str("a: {b: 1, c: [2], e: 3}\nd: {f: 1}\n").expect("yaml");
        assert_eq!(base, expected);
    }
}
