//! The annotations orchestrators read and write, and small accessors for object metadata.

use serde_yaml_ng::{Mapping, Value};

pub const PATH: &str = "internal.config.kubernetes.io/path";
pub const LEGACY_PATH: &str = "config.kubernetes.io/path";
pub const INDEX: &str = "internal.config.kubernetes.io/index";
pub const LEGACY_INDEX: &str = "config.kubernetes.io/index";
pub const LOCAL_CONFIG: &str = "config.kubernetes.io/local-config";

/// Where the object came from in the orchestrator's package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileRef {
    pub path: String,
    pub index: Option<u64>,
}

/// An annotation or label value of an object, when it is a string.
pub fn annotation<'a>(object: &'a Value, key: &str) -> Option<&'a str> {
    object
        .get("metadata")?
        .get("annotations")?
        .get(key)?
        .as_str()
}

pub fn label<'a>(object: &'a Value, key: &str) -> Option<&'a str> {
    object.get("metadata")?.get("labels")?.get(key)?.as_str()
}

pub fn is_local_config(object: &Value) -> bool {
    annotation(object, LOCAL_CONFIG).is_some_and(|v| v == "true")
}

/// The file an orchestrator read the object from, if it said.
pub fn file_of(object: &Value) -> Option<FileRef> {
    let path = annotation(object, PATH).or_else(|| annotation(object, LEGACY_PATH))?;
    let index = annotation(object, INDEX)
        .or_else(|| annotation(object, LEGACY_INDEX))
        .and_then(|i| i.parse().ok());
    Some(FileRef {
        path: path.to_string(),
        index,
    })
}

/// Sets both path annotations (kyaml accepts them when equal) and both index annotations.
pub fn set_file(object: &mut Value, path: &str, index: u64) {
    let Some(annotations) = annotations_mut(object) else {
        return;
    };
    let index = index.to_string();
    annotations.insert(LEGACY_INDEX.into(), index.clone().into());
    annotations.insert(LEGACY_PATH.into(), path.into());
    annotations.insert(INDEX.into(), index.into());
    annotations.insert(PATH.into(), path.into());
}

/// Removes the path and index annotations (for writing plain manifests).
pub fn clear_file(object: &mut Value) {
    let Some(metadata) = object.get_mut("metadata").and_then(Value::as_mapping_mut) else {
        return;
    };
    let Some(annotations) = metadata
        .get_mut("annotations")
        .and_then(Value::as_mapping_mut)
    else {
        return;
    };
    for key in [PATH, LEGACY_PATH, INDEX, LEGACY_INDEX] {
        annotations.remove(key);
    }
    if annotations.is_empty() {
        metadata.remove("annotations");
    }
}

/// The object's annotations mapping, created when missing; `None` when metadata is not a mapping.
fn annotations_mut(object: &mut Value) -> Option<&mut Mapping> {
    let metadata = object
        .as_mapping_mut()?
        .entry("metadata".into())
        .or_insert_with(|| Value::Mapping(Mapping::new()));
    let annotations = metadata
        .as_mapping_mut()?
        .entry("annotations".into())
        .or_insert_with(|| Value::Mapping(Mapping::new()));
    annotations.as_mapping_mut()
}

/// The identity two objects share when one replaces the other: API group (not version), kind,
/// namespace and name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjectKey {
    pub group: String,
    pub kind: String,
    pub namespace: String,
    pub name: String,
}

impl ObjectKey {
    pub fn of(object: &Value) -> ObjectKey {
        let text = |v: Option<&Value>| v.and_then(Value::as_str).unwrap_or_default().to_string();
        let api_version = text(object.get("apiVersion"));
        let group = api_version
            .rsplit_once('/')
            .map_or(String::new(), |(group, _)| group.to_string());
        let metadata = object.get("metadata");
        ObjectKey {
            group,
            kind: text(object.get("kind")),
            namespace: text(metadata.and_then(|m| m.get("namespace"))),
            name: text(metadata.and_then(|m| m.get("name"))),
        }
    }
}

impl std::fmt::Display for ObjectKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.kind)?;
        if !self.group.is_empty() {
            write!(f, ".{}", self.group)?;
        }
        if !self.namespace.is_empty() {
            write!(f, " {}/{}", self.namespace, self.name)
        } else {
            write!(f, " {}", self.name)
        }
    }
}
