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
            labels: BTreeMap::from([(MANAGED_BY_LABEL.to_string(), MANAGED_BY_VALUE.to_string())]),
            annotations: BTreeMap::from([(STACK_ANNOTATION.to_string(), stack.to_string())]),
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
pub fn object(api_version: &str, kind: &str, metadata: Meta, body: impl Serialize) -> Value {
    let mut object = Mapping::new();
    object.insert("apiVersion".into(), api_version.into());
    object.insert("kind".into(), kind.into());
    object.insert("metadata".into(), to_value(&metadata));
    if let Value::Mapping(fields) = to_value(&body) {
        object.extend(fields);
    }
    Value::Mapping(object)
}

/// Serialises generator-built data (never user input) into a YAML value.
pub fn to_value(data: &impl Serialize) -> Value {
    // Our own types serialise to plain maps, strings and numbers: this cannot fail.
    serde_yaml_ng::to_value(data).unwrap_or(Value::Null)
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
