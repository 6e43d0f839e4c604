//! Function results: the structured problems a KRM function reports (`results:` in the
//! ResourceList), and the one-line summary written to stderr for orchestrators that ignore them.

use crate::yaml::limits::ReadError;
use serde_yaml_ng::{Mapping, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Error,
    Warning,
    Info,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

/// The object a result is about.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ResourceRef {
    pub api_version: String,
    pub kind: String,
    pub name: String,
    pub namespace: Option<String>,
}

impl ResourceRef {
    /// Reads the reference from an object; missing parts stay empty.
    pub fn of(object: &Value) -> ResourceRef {
        let text = |v: Option<&Value>| v.and_then(Value::as_str).unwrap_or_default().to_string();
        let metadata = object.get("metadata");
        ResourceRef {
            api_version: text(object.get("apiVersion")),
            kind: text(object.get("kind")),
            name: text(metadata.and_then(|m| m.get("name"))),
            namespace: metadata
                .and_then(|m| m.get("namespace"))
                .and_then(Value::as_str)
                .map(str::to_string),
        }
    }
}

pub use super::annotations::FileRef;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FnResult {
    pub severity: Severity,
    pub message: String,
    pub resource: Option<Box<ResourceRef>>,
    /// Dotted field path inside the resource (`spec.loki.retention`).
    pub field: Option<String>,
    pub file: Option<FileRef>,
}

/// A read error is an error result at its field (when it has one).
impl From<ReadError> for FnResult {
    fn from(error: ReadError) -> FnResult {
        let result = FnResult::error(error.message);
        match error.path {
            Some(path) => result.with_field(path),
            None => result,
        }
    }
}

impl FnResult {
    pub fn error(message: impl Into<String>) -> FnResult {
        FnResult {
            severity: Severity::Error,
            message: message.into(),
            resource: None,
            field: None,
            file: None,
        }
    }

    pub fn info(message: impl Into<String>) -> FnResult {
        FnResult {
            severity: Severity::Info,
            ..FnResult::error(message)
        }
    }

    pub fn with_field(mut self, path: impl Into<String>) -> FnResult {
        self.field = Some(path.into());
        self
    }

    /// Attaches the object's reference and, when the orchestrator annotated it, its file.
    pub fn about(mut self, object: &Value) -> FnResult {
        self.resource = Some(Box::new(ResourceRef::of(object)));
        self.file = super::annotations::file_of(object);
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// The result as the functions spec writes it.
    pub fn to_value(&self) -> Value {
        let mut result = Mapping::new();
        result.insert("message".into(), self.message.clone().into());
        result.insert("severity".into(), self.severity.as_str().into());
        if let Some(resource) = &self.resource {
            let mut reference = Mapping::new();
            reference.insert("apiVersion".into(), resource.api_version.clone().into());
            reference.insert("kind".into(), resource.kind.clone().into());
            reference.insert("name".into(), resource.name.clone().into());
            if let Some(namespace) = &resource.namespace {
                reference.insert("namespace".into(), namespace.clone().into());
            }
            result.insert("resourceRef".into(), Value::Mapping(reference));
        }
        if let Some(path) = &self.field {
            let mut field = Mapping::new();
            field.insert("path".into(), path.clone().into());
            result.insert("field".into(), Value::Mapping(field));
        }
        if let Some(file) = &self.file {
            let mut reference = Mapping::new();
            reference.insert("path".into(), file.path.clone().into());
            if let Some(index) = file.index {
                reference.insert("index".into(), index.into());
            }
            result.insert("file".into(), Value::Mapping(reference));
        }
        Value::Mapping(result)
    }

    /// One human-readable line: `error: spec.loki.retention: ... (MonitoringStack/main, stack.yaml)`.
    pub fn summary_line(&self) -> String {
        let mut line = format!("{}: ", self.severity.as_str());
        if let Some(field) = &self.field {
            line.push_str(field);
            line.push_str(": ");
        }
        line.push_str(&self.message);
        let mut context = Vec::new();
        if let Some(resource) = &self.resource {
            if !resource.kind.is_empty() || !resource.name.is_empty() {
                context.push(format!("{}/{}", resource.kind, resource.name));
            }
        }
        if let Some(file) = &self.file {
            context.push(file.path.clone());
        }
        if !context.is_empty() {
            line.push_str(&format!(" ({})", context.join(", ")));
        }
        one_line(line)
    }
}

/// `text` with line breaks and other control characters escaped (`\n`), so that a key or
/// value holding one cannot split a message over several lines of stderr.
pub fn one_line(text: String) -> String {
    if !text
        .chars()
        .any(|c| c.is_control() || matches!(c, '\u{2028}' | '\u{2029}'))
    {
        return text;
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}') {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// The stderr text for a run: one line per warning or error (info results stay in `results`).
pub fn stderr_summary(results: &[FnResult]) -> String {
    let errors = results.iter().filter(|r| r.is_error()).count();
    let mut text = String::new();
    for result in results.iter().filter(|r| r.severity != Severity::Info) {
        text.push_str("monitoring-stack: ");
        text.push_str(&result.summary_line());
        text.push('\n');
    }
    if errors > 0 {
        text.push_str(&format!(
            "monitoring-stack: {errors} error{} — nothing was generated; input items are returned unchanged\n",
            if errors == 1 { "" } else { "s" }
        ));
    }
    text
}
