//! Offline validation of custom resources against the CRDs in `../shared/reference/crds`.
//!
//! Conversion rules (NOTES.md, "Validating generated objects offline"): every *served* version's
//! `openAPIV3Schema` becomes a strict draft-4 JSON Schema:
//! - `x-kubernetes-int-or-string: true` → no `type`, `anyOf: [{type: integer}, {type: string}]`;
//! - `nullable: true` → `"null"` added to `type` (or to `anyOf` / `enum`);
//! - every other `x-kubernetes-*` key is dropped (CEL `x-kubernetes-validations` cannot be checked);
//! - strict mode: `additionalProperties: false` on every `type: object` with `properties`, unless it
//!   already has `additionalProperties` or is `x-kubernetes-preserve-unknown-fields` /
//!   `x-kubernetes-embedded-resource` (the API server silently prunes unknown fields, so without this
//!   a typo would pass);
//! - the top-level `metadata` property becomes `{type: object}` (checked by hand instead: name is a
//!   DNS-1123 subdomain, namespace present iff the CRD is `Namespaced`);
//! - `format` is not asserted (OpenAPI formats int32/int64/byte/date-time…).

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};

use jsonschema::error::ValidationErrorKind;
use jsonschema::{ValidationError, Validator};
use serde_json::{json, Map, Value};

use super::yaml::try_load_yaml_stream;

/// Scope of a custom resource (`spec.scope` of its CRD).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    Namespaced,
    Cluster,
}

struct CrdEntry {
    /// CRD file the schema came from (for messages).
    source: PathBuf,
    scope: Scope,
    /// The converted (strict) JSON Schema.
    schema: Value,
    validator: Validator,
}

/// Compiled strict schemas for every served (apiVersion, kind) of every CRD under `crds/`.
pub struct CrdSchemas {
    entries: BTreeMap<(String, String), CrdEntry>,
    dropped_patterns: Vec<String>,
}

impl fmt::Debug for CrdSchemas {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.entries.keys().map(|(a, k)| format!("{a} {k}")))
            .finish()
    }
}

impl CrdSchemas {
    /// Reads every `*.yaml`/`*.yml` under `<reference>/crds` (recursively; files may hold several
    /// documents, non-CRD documents are ignored) and compiles one validator per served version.
    ///
    /// Panics on unreadable files, malformed CRDs, schemas that do not compile, or two CRDs
    /// claiming the same (apiVersion, kind).
    pub fn load(reference: &Path) -> CrdSchemas {
        Self::load_dirs(&[reference.join("crds")])
    }

    /// [`CrdSchemas::load`] plus the repository's own `tests/crds/`: hand-written schemas of
    /// the fields the stack generates for APIs the reference does not pin (Istio's
    /// `AuthorizationPolicy`), checked the same strict way.
    pub fn load_with_repository_crds(reference: &Path) -> CrdSchemas {
        let own = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/crds");
        Self::load_dirs(&[reference.join("crds"), own])
    }

    fn load_dirs(dirs: &[PathBuf]) -> CrdSchemas {
        let mut files = Vec::new();
        for crd_dir in dirs {
            let before = files.len();
            collect_yaml_files(crd_dir, &mut files);
            assert!(
                files.len() > before,
                "no CRD files found under {}",
                crd_dir.display()
            );
        }
        let mut entries: BTreeMap<(String, String), CrdEntry> = BTreeMap::new();
        let mut fixer = PatternFixer::default();
        for file in files {
            let text = std::fs::read_to_string(&file)
                .unwrap_or_else(|e| panic!("reading {}: {e}", file.display()));
            let docs = try_load_yaml_stream(&text)
                .unwrap_or_else(|e| panic!("parsing {}: {e}", file.display()));
            for doc in docs {
                if doc["kind"] != "CustomResourceDefinition" {
                    continue;
                }
                for (key, entry) in compile_crd(&file, &doc, &mut fixer) {
                    if let Some(prev) = entries.get(&key) {
                        panic!(
                            "{} {} is defined twice: {} and {}",
                            key.0,
                            key.1,
                            prev.source.display(),
                            file.display()
                        );
                    }
                    entries.insert(key, entry);
                }
            }
        }
        CrdSchemas {
            entries,
            dropped_patterns: fixer.dropped,
        }
    }

    /// CRD `pattern`s (Go RE2 syntax) that could not be translated to the validator's regex
    /// dialect and are therefore not checked.
    pub fn dropped_patterns(&self) -> &[String] {
        &self.dropped_patterns
    }

    /// Whether a CRD serves this apiVersion (`group/version`) and kind.
    pub fn knows(&self, api_version: &str, kind: &str) -> bool {
        self.entries
            .contains_key(&(api_version.to_owned(), kind.to_owned()))
    }

    /// Whether any CRD belongs to this API group (e.g. `helm.toolkit.fluxcd.io`); core/apps/…
    /// objects (`v1`, `apps/v1`) are not covered by the reference CRDs.
    pub fn covers_group(&self, group: &str) -> bool {
        self.entries
            .keys()
            .any(|(api_version, _)| api_group(api_version) == group)
    }

    /// Scope of a known kind.
    pub fn scope(&self, api_version: &str, kind: &str) -> Option<Scope> {
        self.entry(api_version, kind).map(|e| e.scope)
    }

    /// The converted strict JSON Schema of a known kind (for debugging).
    pub fn schema(&self, api_version: &str, kind: &str) -> Option<&Value> {
        self.entry(api_version, kind).map(|e| &e.schema)
    }

    /// Every indexed (apiVersion, kind), sorted.
    pub fn kinds(&self) -> Vec<(String, String)> {
        self.entries.keys().cloned().collect()
    }

    /// Every apiVersion indexed for `kind` (e.g. both COSI versions of `BucketClaim`).
    pub fn versions_of(&self, kind: &str) -> Vec<String> {
        self.entries
            .keys()
            .filter(|(_, k)| k == kind)
            .map(|(a, _)| a.clone())
            .collect()
    }

    /// Validates one object: its apiVersion/kind must be served by a CRD, it must satisfy the strict
    /// schema, `metadata.name` must be a DNS-1123 subdomain and `metadata.namespace` must be set for
    /// namespaced kinds and absent for cluster-scoped ones.
    ///
    /// Every message starts with `<kind>/<name>` and names the offending JSON pointer.
    pub fn validate(&self, obj: &Value) -> Result<(), Vec<String>> {
        let api_version = obj.get("apiVersion").and_then(Value::as_str);
        let kind = obj.get("kind").and_then(Value::as_str);
        let name = obj
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or("<unnamed>");
        let (Some(api_version), Some(kind)) = (api_version, kind) else {
            return Err(vec![format!(
                "{name}: /apiVersion and /kind must both be strings (got {:?} / {:?})",
                obj.get("apiVersion"),
                obj.get("kind")
            )]);
        };
        let label = format!("{kind}/{name} ({api_version})");
        let Some(entry) = self.entry(api_version, kind) else {
            let others = self.versions_of(kind);
            let hint = if others.is_empty() {
                "no reference CRD has this kind".to_owned()
            } else {
                format!("kind is served as {}", others.join(", "))
            };
            return Err(vec![format!(
                "{label}: /apiVersion, /kind: no CRD serves {api_version} {kind} ({hint})"
            )]);
        };

        let mut errors = Vec::new();
        check_metadata(obj, entry.scope, &mut errors);
        for error in entry.validator.iter_errors(obj) {
            describe_error(&error, &mut errors);
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors
                .into_iter()
                .map(|e| format!("{label}: {e}"))
                .collect())
        }
    }

    /// Validates every object whose API group has a reference CRD (objects of other groups, e.g.
    /// core `v1` Namespace/Secret, are skipped) and returns all errors.
    pub fn validate_all(&self, objs: &[Value]) -> Vec<String> {
        let mut errors = Vec::new();
        for obj in objs {
            let api_version = obj.get("apiVersion").and_then(Value::as_str).unwrap_or("");
            if !self.covers_group(api_group(api_version)) {
                continue;
            }
            if let Err(mut e) = self.validate(obj) {
                errors.append(&mut e);
            }
        }
        errors
    }

    fn entry(&self, api_version: &str, kind: &str) -> Option<&CrdEntry> {
        self.entries.get(&(api_version.to_owned(), kind.to_owned()))
    }
}

/// `group` of `group/version`; the empty string for the core group (`v1`).
pub fn api_group(api_version: &str) -> &str {
    api_version
        .rsplit_once('/')
        .map(|(group, _)| group)
        .unwrap_or("")
}

/// DNS-1123 subdomain (object names): ≤253 chars, dot-separated parts of `[a-z0-9-]` that start and
/// end alphanumeric.
pub fn is_dns1123_subdomain(s: &str) -> bool {
    !s.is_empty() && s.len() <= 253 && s.split('.').all(label_chars_ok)
}

/// DNS-1123 label (namespace names): ≤63 chars of `[a-z0-9-]`, starting and ending alphanumeric.
pub fn is_dns1123_label(s: &str) -> bool {
    s.len() <= 63 && label_chars_ok(s)
}

fn label_chars_ok(s: &str) -> bool {
    let b = s.as_bytes();
    let alnum = |c: &u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    !b.is_empty()
        && b.iter().all(|c| alnum(c) || *c == b'-')
        && alnum(&b[0])
        && alnum(&b[b.len() - 1])
}

fn check_metadata(obj: &Value, scope: Scope, errors: &mut Vec<String>) {
    let Some(metadata) = obj.get("metadata").and_then(Value::as_object) else {
        errors.push("/metadata: missing or not an object".to_owned());
        return;
    };
    match metadata.get("name") {
        Some(Value::String(name)) if is_dns1123_subdomain(name) => {}
        Some(Value::String(name)) => errors.push(format!(
            "/metadata/name: {name:?} is not a valid DNS-1123 subdomain (lowercase alphanumerics, '-' \
             and '.', alphanumeric at both ends, at most 253 characters)"
        )),
        Some(other) => errors.push(format!("/metadata/name: must be a string, got {other}")),
        None => errors.push("/metadata/name: required field missing".to_owned()),
    }
    match (scope, metadata.get("namespace")) {
        (Scope::Namespaced, Some(Value::String(ns))) if is_dns1123_label(ns) => {}
        (Scope::Namespaced, Some(Value::String(ns))) => errors.push(format!(
            "/metadata/namespace: {ns:?} is not a valid DNS-1123 label"
        )),
        (Scope::Namespaced, Some(other)) => errors.push(format!(
            "/metadata/namespace: must be a string, got {other}"
        )),
        (Scope::Namespaced, None) => errors.push(
            "/metadata/namespace: required for a namespaced kind (the generator must set it)"
                .to_owned(),
        ),
        (Scope::Cluster, Some(ns)) => errors.push(format!(
            "/metadata/namespace: must be absent for a cluster-scoped kind, got {ns}"
        )),
        (Scope::Cluster, None) => {}
    }
}

fn describe_error(error: &ValidationError<'_>, out: &mut Vec<String>) {
    let ptr = error.instance_path().as_str();
    match error.kind() {
        ValidationErrorKind::AdditionalProperties { unexpected } => {
            for key in unexpected {
                out.push(format!(
                    "{ptr}/{}: unknown field {key:?} (not in the CRD schema; the API server would \
                     silently prune it)",
                    escape_pointer(key)
                ));
            }
        }
        ValidationErrorKind::Required { property } => {
            let prop = property
                .as_str()
                .map(str::to_owned)
                .unwrap_or_else(|| property.to_string());
            out.push(format!(
                "{ptr}/{}: required field missing",
                escape_pointer(&prop)
            ));
        }
        _ => {
            let at = if ptr.is_empty() { "/" } else { ptr };
            out.push(format!("{at}: {error}"));
        }
    }
}

fn escape_pointer(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

fn compile_crd(
    file: &Path,
    crd: &Value,
    fixer: &mut PatternFixer,
) -> Vec<((String, String), CrdEntry)> {
    let ctx = |what: &str| format!("{}: CRD {}", file.display(), what);
    let spec = &crd["spec"];
    let group = spec["group"]
        .as_str()
        .unwrap_or_else(|| panic!("{}", ctx("has no spec.group")));
    let kind = spec["names"]["kind"]
        .as_str()
        .unwrap_or_else(|| panic!("{}", ctx("has no spec.names.kind")));
    let scope = match spec["scope"].as_str() {
        Some("Namespaced") => Scope::Namespaced,
        Some("Cluster") => Scope::Cluster,
        other => panic!("{}", ctx(&format!("{kind} has unknown scope {other:?}"))),
    };
    let versions = spec["versions"]
        .as_array()
        .unwrap_or_else(|| panic!("{}", ctx(&format!("{kind} has no spec.versions"))));
    let mut out = Vec::new();
    for version in versions {
        let name = version["name"]
            .as_str()
            .unwrap_or_else(|| panic!("{}", ctx(&format!("{kind} has a version without name"))));
        if version["served"] == false {
            continue;
        }
        // apiextensions v1 puts the schema per version; v1beta1 CRDs may share spec.validation.
        let raw = version
            .pointer("/schema/openAPIV3Schema")
            .or_else(|| spec.pointer("/validation/openAPIV3Schema"))
            .unwrap_or_else(|| panic!("{}", ctx(&format!("{kind} {name} has no openAPIV3Schema"))));
        let schema = to_strict_json_schema_with(raw, fixer);
        let validator = jsonschema::draft4::options()
            .should_validate_formats(false)
            .build(&schema)
            .unwrap_or_else(|e| {
                panic!(
                    "{}",
                    ctx(&format!("{kind} {name}: schema does not compile: {e}"))
                )
            });
        out.push((
            (format!("{group}/{name}"), kind.to_owned()),
            CrdEntry {
                source: file.to_owned(),
                scope,
                schema,
                validator,
            },
        ));
    }
    out
}

/// Converts a CRD `openAPIV3Schema` into the strict draft-4 JSON Schema described in the module
/// docs (public so tests can inspect the conversion).
pub fn to_strict_json_schema(open_api_v3: &Value) -> Value {
    to_strict_json_schema_with(open_api_v3, &mut PatternFixer::default())
}

fn to_strict_json_schema_with(open_api_v3: &Value, fixer: &mut PatternFixer) -> Value {
    let mut schema = convert_node(open_api_v3, fixer);
    if let Some(props) = schema.get_mut("properties").and_then(Value::as_object_mut) {
        if props.contains_key("metadata") {
            props.insert("metadata".to_owned(), json!({"type": "object"}));
        }
    }
    schema
}

fn convert_node(node: &Value, fixer: &mut PatternFixer) -> Value {
    let Value::Object(m) = node else {
        return node.clone();
    };
    let flag = |k: &str| m.get(k) == Some(&Value::Bool(true));
    let int_or_string = flag("x-kubernetes-int-or-string");
    let open =
        flag("x-kubernetes-preserve-unknown-fields") || flag("x-kubernetes-embedded-resource");
    let nullable = flag("nullable");

    let convert_map = |v: &Value, fixer: &mut PatternFixer| -> Value {
        match v {
            Value::Object(props) => Value::Object(
                props
                    .iter()
                    .map(|(k, s)| (k.clone(), convert_node(s, fixer)))
                    .collect(),
            ),
            other => other.clone(),
        }
    };
    let convert_list = |v: &Value, fixer: &mut PatternFixer| -> Value {
        match v {
            Value::Array(items) => {
                Value::Array(items.iter().map(|s| convert_node(s, fixer)).collect())
            }
            other => convert_node(other, fixer),
        }
    };

    let mut out = Map::new();
    for (k, v) in m {
        if k.starts_with("x-kubernetes-") || k == "nullable" {
            continue;
        }
        let converted = match k.as_str() {
            "properties" | "patternProperties" | "definitions" => convert_map(v, fixer),
            "items" | "allOf" | "anyOf" | "oneOf" => convert_list(v, fixer),
            "additionalProperties" | "additionalItems" | "not" => convert_node(v, fixer),
            "pattern" => match v.as_str().map(|p| fixer.fix(p)) {
                Some(Some(p)) => Value::String(p),
                Some(None) => continue, // not expressible as an ECMA regex: not checked
                None => v.clone(),
            },
            _ => v.clone(),
        };
        out.insert(k.clone(), converted);
    }

    if int_or_string {
        out.remove("type");
        if !out.contains_key("anyOf") {
            out.insert(
                "anyOf".to_owned(),
                json!([{"type": "integer"}, {"type": "string"}]),
            );
        }
    }
    if nullable {
        match out.get_mut("type") {
            Some(Value::String(t)) => {
                let t = std::mem::take(t);
                out.insert("type".to_owned(), json!([t, "null"]));
            }
            Some(Value::Array(types)) => {
                if !types.contains(&json!("null")) {
                    types.push(json!("null"));
                }
            }
            _ => {
                if let Some(Value::Array(any_of)) = out.get_mut("anyOf") {
                    any_of.push(json!({"type": "null"}));
                }
            }
        }
        if let Some(Value::Array(values)) = out.get_mut("enum") {
            if !values.contains(&Value::Null) {
                values.push(Value::Null);
            }
        }
    }
    let is_object = match out.get("type") {
        Some(Value::String(t)) => t == "object",
        Some(Value::Array(ts)) => ts.contains(&json!("object")),
        _ => false,
    };
    if is_object
        && out.contains_key("properties")
        && !out.contains_key("additionalProperties")
        && !open
    {
        out.insert("additionalProperties".to_owned(), Value::Bool(false));
    }
    Value::Object(out)
}

fn collect_yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("reading directory {}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            collect_yaml_files(&path, out);
        } else if matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("yaml" | "yml")
        ) {
            out.push(path);
        }
    }
}

/// Every `*.yaml`/`*.yml` file below `dir`, recursively, sorted.
pub fn yaml_files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    collect_yaml_files(dir, &mut out);
    out
}

/// Makes CRD `pattern`s (Go RE2) acceptable to the validator (ECMA-262-style regexes, checked by
/// the draft-4 meta-schema): Go's leading `(?i)` flag is expanded into case-insensitive character
/// classes; anything still rejected is dropped (and listed by [`CrdSchemas::dropped_patterns`]).
#[derive(Default)]
struct PatternFixer {
    cache: HashMap<String, Option<String>>,
    dropped: Vec<String>,
}

impl PatternFixer {
    fn fix(&mut self, pattern: &str) -> Option<String> {
        if let Some(done) = self.cache.get(pattern) {
            return done.clone();
        }
        let fixed = if pattern_compiles(pattern) {
            Some(pattern.to_owned())
        } else {
            Some(case_insensitive(pattern))
                .filter(|_| pattern.contains("(?i)"))
                .filter(|p| pattern_compiles(p))
        };
        if fixed.is_none() {
            self.dropped.push(pattern.to_owned());
        }
        self.cache.insert(pattern.to_owned(), fixed.clone());
        fixed
    }
}

fn pattern_compiles(pattern: &str) -> bool {
    jsonschema::draft4::new(&json!({"type": "string", "pattern": pattern})).is_ok()
}

/// Removes `(?i)` and makes every ASCII letter match both cases (`a` → `[aA]`, `[a-z]` →
/// `[a-zA-Z]`).
fn case_insensitive(pattern: &str) -> String {
    let chars: Vec<char> = pattern.replace("(?i)", "").chars().collect();
    let swap = |c: char| {
        if c.is_ascii_lowercase() {
            c.to_ascii_uppercase()
        } else {
            c.to_ascii_lowercase()
        }
    };
    let mut out = String::new();
    let mut in_class = false;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\\' && i + 1 < chars.len() {
            out.push(c);
            out.push(chars[i + 1]);
            i += 2;
            continue;
        }
        if in_class {
            if c == ']' {
                in_class = false;
                out.push(c);
            } else if c.is_ascii_alphabetic()
                && i + 2 < chars.len()
                && chars[i + 1] == '-'
                && chars[i + 2].is_ascii_alphabetic()
            {
                let end = chars[i + 2];
                out.extend([c, '-', end, swap(c), '-', swap(end)]);
                i += 3;
                continue;
            } else if c.is_ascii_alphabetic() {
                out.extend([c, swap(c)]);
            } else {
                out.push(c);
            }
        } else if c == '[' {
            in_class = true;
            out.push(c);
        } else if c.is_ascii_alphabetic() {
            out.extend(['[', c, swap(c), ']']);
        } else {
            out.push(c);
        }
        i += 1;
    }
    out
}
