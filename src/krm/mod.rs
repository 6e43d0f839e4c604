//! The KRM functions protocol, knowing nothing about monitoring: read a `ResourceList`, validate
//! its items, upsert and prune owned objects, and write the list back with its results.
//!
//! Items the function does not own are returned exactly as parsed (same fields, same order,
//! every annotation — including the orchestrator's `internal.config.kubernetes.io/*` ids), so
//! kpt can restore their comments and kustomize their identity.

pub mod annotations;
mod json;
pub mod ownership;
pub mod results;
pub mod source;

use crate::yaml::{self, limits};
use results::FnResult;
use serde_yaml_ng::{Mapping, Value};

pub const API_VERSION: &str = "config.kubernetes.io/v1";
/// The older version orchestrators may still send; read, and echoed back.
pub const API_VERSION_BETA: &str = "config.kubernetes.io/v1beta1";
pub const KIND: &str = "ResourceList";

/// A parsed ResourceList. `results` are the function's own (input results are dropped).
///
/// A list from [`parse`]'s fast paths ([`source`], [`json`]) keeps its input text: its items are
/// [`Item::Source`], read only where the function asks ([`ResourceList::read`]), and written
/// back as their text unless the function replaces them.
#[derive(Debug, Clone)]
pub struct ResourceList {
    pub api_version: String,
    pub items: Vec<Item>,
    pub function_config: Option<Value>,
    pub results: Vec<FnResult>,
    source: Option<source::Source>,
}

/// One item of a list.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    /// An item as the input text holds it: item `index` of the list's source, with its value
    /// once read. Written back as its text.
    Source { index: usize, value: Option<Value> },
    /// An item held as a value (generated, or read by the full parser). Written by the emitter.
    Value(Value),
}

impl Item {
    /// The item's value, when it has been read.
    pub fn value(&self) -> Option<&Value> {
        match self {
            Item::Source { value, .. } => value.as_ref(),
            Item::Value(value) => Some(value),
        }
    }

    fn source_index(&self) -> Option<usize> {
        match self {
            Item::Source { index, .. } => Some(*index),
            Item::Value(_) => None,
        }
    }
}

impl ResourceList {
    pub fn new(items: Vec<Value>, function_config: Option<Value>) -> ResourceList {
        ResourceList {
            api_version: API_VERSION.to_string(),
            items: items.into_iter().map(Item::Value).collect(),
            function_config,
            results: Vec::new(),
            source: None,
        }
    }

    /// The values of the items read so far.
    pub fn values(&self) -> impl Iterator<Item = &Value> {
        self.items.iter().filter_map(Item::value)
    }

    pub fn has_errors(&self) -> bool {
        self.results.iter().any(FnResult::is_error)
    }

    /// The list as YAML text: items, functionConfig, results.
    pub fn to_yaml(&self) -> String {
        let mut out = self.head();
        for item in &self.items {
            match (&self.source, item) {
                (Some(source), Item::Source { index, .. }) => source.copy_item(*index, &mut out),
                (_, item) => {
                    if let Some(value) = item.value() {
                        yaml::write_item(&mut out, value)
                    }
                }
            }
        }
        out.push_str(&self.tail());
        out
    }

    /// [`to_yaml`](Self::to_yaml), reusing the input text's buffer for the output where it can.
    pub fn into_yaml(mut self) -> String {
        let Some(source) = self.source.take() else {
            return self.to_yaml();
        };
        let head = self.head();
        let mut out = source::write_items(source, &self.items, &head, yaml::write_item);
        out.extend_from_slice(self.tail().as_bytes());
        String::from_utf8(out)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
    }

    /// `apiVersion`, `kind` and the `items:` line, as the writer puts them.
    fn head(&self) -> String {
        let mut head = Mapping::new();
        head.insert("apiVersion".into(), self.api_version.clone().into());
        head.insert("kind".into(), KIND.into());
        let mut out = yaml::to_string(&Value::Mapping(head));
        out.push_str(if self.items.is_empty() {
            "items: []\n"
        } else {
            "items:\n"
        });
        out
    }

    /// `functionConfig` and `results`, as the writer puts them.
    fn tail(&self) -> String {
        let mut tail = Mapping::new();
        if let Some(config) = &self.function_config {
            tail.insert("functionConfig".into(), config.clone());
        }
        if !self.results.is_empty() {
            let results = self.results.iter().map(FnResult::to_value).collect();
            tail.insert("results".into(), Value::Sequence(results));
        }
        if tail.is_empty() {
            return String::new();
        }
        yaml::to_string(&Value::Mapping(tail))
    }

    /// Reads the items still held as source text for which `wanted` says yes (it sees what
    /// [`source::ItemView`] offers); they are still written back as their text.
    pub fn read(&mut self, mut wanted: impl FnMut(&source::ItemView<'_>) -> bool) {
        let Some(source) = &self.source else {
            return;
        };
        for item in &mut self.items {
            let Item::Source { index, value } = item else {
                continue;
            };
            if value.is_none() && source.view(*index).is_some_and(|view| wanted(&view)) {
                *value = source.value(*index);
            }
        }
    }

    /// Whether an item's text refers to an anchor in another item: then no item may be dropped
    /// while the others stay text ([`ResourceList::detach`]).
    pub fn shares_anchors(&self) -> bool {
        self.source
            .as_ref()
            .is_some_and(source::Source::shares_anchors)
    }

    /// Holds every item as its value, written by the emitter: for a list whose items share
    /// anchors when one of them is replaced or removed (an alias left behind in text would name
    /// an anchor no longer written). Items whose value cannot be read stay text.
    pub fn detach(&mut self) {
        let Some(source) = &self.source else {
            return;
        };
        for item in &mut self.items {
            if let Item::Source { index, value } = item {
                if let Some(value) = value.take().or_else(|| source.value(*index)) {
                    *item = Item::Value(value);
                }
            }
        }
    }

    /// The files (path and index annotations) the items hold, but for the items `skip` says
    /// yes to (read items only: an item still text is not skipped). An item with a path and no
    /// index is at index 0, as kpt reads it.
    pub fn files(&self, skip: impl Fn(&Value) -> bool) -> Vec<(String, u64)> {
        let mut files = Vec::new();
        for item in &self.items {
            let file = match (item, &self.source) {
                (Item::Source { index, value: None }, Some(source)) => {
                    let Some(view) = source.view(*index) else {
                        continue;
                    };
                    let path = view
                        .annotation(annotations::PATH)
                        .or_else(|| view.annotation(annotations::LEGACY_PATH));
                    let at = view
                        .annotation(annotations::INDEX)
                        .or_else(|| view.annotation(annotations::LEGACY_INDEX))
                        .and_then(|i| i.parse().ok());
                    path.map(|path| (path.into_owned(), at.unwrap_or(0)))
                }
                (item, _) => match item.value() {
                    Some(value) if !skip(value) => {
                        annotations::file_of(value).map(|file| (file.path, file.index.unwrap_or(0)))
                    }
                    _ => None,
                },
            };
            files.extend(file);
        }
        files
    }

    /// [`check_items`] for the items read (the fast paths read every item the checks would
    /// fault).
    pub fn check_items(&self) -> Vec<FnResult> {
        let mut problems = Vec::new();
        for (index, item) in self.items.iter().enumerate() {
            if let Some(value) = item.value() {
                check_item(index, value, &mut problems);
            }
        }
        problems
    }
}

/// Parses a ResourceList from YAML (or JSON, which YAML reads too). On failure there are no items
/// to return: the error says what was wrong with the input as a whole.
pub fn parse(input: &[u8]) -> Result<ResourceList, FnResult> {
    limits::check_size(input).map_err(FnResult::from)?;
    let text = std::str::from_utf8(input).map_err(|e| {
        FnResult::error(format!(
            "input is not UTF-8 text (invalid byte at offset {}): expected a YAML ResourceList",
            e.valid_up_to()
        ))
    })?;
    if text.trim().is_empty() {
        return Err(FnResult::error(
            "empty input: expected a ResourceList (apiVersion: config.kubernetes.io/v1) on stdin",
        ));
    }
    // A byte-order mark before the content says only that this is UTF-8.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    // Fast paths: lists are split into items without building their values (source.rs for
    // YAML, json.rs for JSON); any other text is read in full below.
    let fast = if text.trim_start().starts_with('{') {
        json_scan(text)
    } else {
        source::scan_checked(text)
            .map_err(FnResult::from)?
            .map_or_else(|| scan_framed(text), |list| Ok(Some(list)))?
    };
    if let Some(list) = fast {
        return Ok(list);
    }
    let several = || {
        FnResult::error(
            "input holds several YAML documents: expected exactly one ResourceList (use `monitoring-stack render FILE` for a plain stream)",
        )
    };
    // Said before the full reader builds the first document (memory: issue 16).
    if crate::yaml::depth_guard::several_documents(text) {
        return Err(several());
    }
    // Bounded: size, nesting depth and alias expansion are limited (see `limits`).
    let document: Value = limits::read_document(text).map_err(|e| {
        if e.message.contains("more than one document") {
            several()
        } else {
            FnResult::from(e)
        }
    })?;
    from_value(document)
}

/// A list the scanner reads once its framing is plain: a `%YAML 1.1` (or `1.2`) directive and
/// a `---` line before it, which say only which YAML it is, and CR LF or lone CR line breaks,
/// which YAML reads as LF everywhere (a `%TAG` directive or a missing final line break still go
/// to the full parser; several documents are refused before it). Its items are then copied as their text, like any scanned list's.
fn scan_framed(text: &str) -> Result<Option<ResourceList>, FnResult> {
    // CR LF and a lone CR are line breaks to YAML, read as LF everywhere (in block scalars too;
    // quoted and plain scalars fold them as they fold LF).
    let crlf = text.contains('\r');
    let normalized: std::borrow::Cow<'_, str> = if crlf {
        text.replace("\r\n", "\n").replace('\r', "\n").into()
    } else {
        text.into()
    };
    let body = ["%YAML 1.1\n---\n", "%YAML 1.2\n---\n", "---\n"]
        .iter()
        .find_map(|start| normalized.strip_prefix(start));
    if body.is_none() && !crlf {
        return Ok(None); // nothing to take away: the scanner has read this text already
    }
    let body = body.unwrap_or(&normalized);
    // An item's own error names its line in the body: the full parser's, from the whole text,
    // is wanted (the directive lines come first), so the whole text is read then.
    source::scan_checked(body).or(Ok(None))
}

#[cfg(feature = "json-items")]
fn json_scan(text: &str) -> Option<ResourceList> {
    json::scan(text)
}

/// Without the JSON fast path, JSON is read by the full parser.
#[cfg(not(feature = "json-items"))]
fn json_scan(_: &str) -> Option<ResourceList> {
    None
}

fn from_value(mut document: Value) -> Result<ResourceList, FnResult> {
    // A tag on the list itself (`!x` before it) changes nothing, as in Go's readers.
    while let Value::Tagged(tagged) = document {
        document = tagged.value;
    }
    let Value::Mapping(mut list) = document else {
        return Err(FnResult::error(
            "input is not a ResourceList: expected a mapping with apiVersion, kind and items",
        ));
    };
    let api_version = match list.get("apiVersion").and_then(Value::as_str) {
        Some(v @ (API_VERSION | API_VERSION_BETA)) => v.to_string(),
        other => {
            return Err(FnResult::error(format!(
                "unsupported ResourceList apiVersion {:?}: expected {API_VERSION} (or {API_VERSION_BETA})",
                other.unwrap_or("")
            ))
            .with_field("apiVersion"))
        }
    };
    if list.get("kind").and_then(Value::as_str) != Some(KIND) {
        return Err(
            FnResult::error(format!("input is not a ResourceList: kind must be {KIND}"))
                .with_field("kind"),
        );
    }
    let mut items = match list.remove("items") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Sequence(items)) => items,
        Some(_) => {
            return Err(FnResult::error("items must be a list of objects").with_field("items"))
        }
    };
    let function_config = match list.remove("functionConfig") {
        None | Some(Value::Null) => None,
        Some(config) => Some(config),
    };
    // Go's readers resolve merge keys (`<<: *base`): an item written back means what it meant.
    items.iter_mut().for_each(resolve_merge_keys);
    Ok(ResourceList {
        api_version,
        items: items.into_iter().map(Item::Value).collect(),
        function_config,
        results: Vec::new(),
        source: None,
    })
}

/// Resolves the merge keys (`<<: *base`) of a value as Go's YAML readers do. A `<<` key whose
/// value cannot be merged (a quoted `"<<"` key with a string, say) stays a plain key.
pub(crate) fn resolve_merge_keys(value: &mut Value) {
    fn has_merge_key(value: &Value) -> bool {
        match value {
            Value::Mapping(map) => map
                .iter()
                .any(|(k, v)| k.as_str() == Some("<<") || has_merge_key(v)),
            Value::Sequence(items) => items.iter().any(has_merge_key),
            Value::Tagged(tagged) => has_merge_key(&tagged.value),
            _ => false,
        }
    }
    if has_merge_key(value) {
        let mut merged = value.clone();
        if merged.apply_merge().is_ok() {
            *value = merged;
        }
    }
}

/// Problems with items that make them unsafe to reason about (ownership needs kind and name).
pub fn check_items(items: &[Value]) -> Vec<FnResult> {
    let mut problems = Vec::new();
    for (index, item) in items.iter().enumerate() {
        check_item(index, item, &mut problems);
    }
    problems
}

fn check_item(index: usize, item: &Value, problems: &mut Vec<FnResult>) {
    if !item.is_mapping() {
        problems.push(
            FnResult::error("item is not an object (a mapping with apiVersion, kind, metadata)")
                .with_field(format!("items[{index}]")),
        );
        return;
    }
    let required = [
        ("apiVersion", item.get("apiVersion")),
        ("kind", item.get("kind")),
        (
            "metadata.name",
            item.get("metadata").and_then(|m| m.get("name")),
        ),
    ];
    for (field, value) in required {
        if value.is_none_or(|v| v.as_str().is_none_or(str::is_empty)) {
            problems.push(
                // The index too: without its identity the item's resourceRef cannot say which.
                FnResult::error(format!(
                    "item has no {field} (a non-empty string is required; items[{index}])"
                ))
                .about(item)
                .with_field(field),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Fuzz finding (process_bytes): a tag before the list made it "not a ResourceList", so its
    /// items were not returned; Go's readers ignore such a tag, and so does this one.
    #[test]
    fn a_tag_on_the_list_is_ignored() {
        let tagged = b"!x\napiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: a}}\n";
        let list = parse(tagged).expect("a tagged list is a list");
        assert_eq!(list.items.len(), 1);
    }

    #[test]
    fn parses_yaml_and_json() {
        let yaml = b"apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: a}\n";
        let json = br#"{"apiVersion":"config.kubernetes.io/v1beta1","kind":"ResourceList","items":[{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a"}}]}"#;
        let from_yaml = parse(yaml).expect("yaml");
        let from_json = parse(json).expect("json");
        let mut from_yaml = from_yaml;
        from_yaml.read(|_| true);
        let mut from_json = from_json;
        from_json.read(|_| true);
        assert_eq!(
            from_yaml.values().collect::<Vec<_>>(),
            from_json.values().collect::<Vec<_>>()
        );
        assert_eq!(from_json.api_version, API_VERSION_BETA);
    }

    /// A directive and `---` before the list, or CR LF line breaks, no longer send the whole
    /// list to the full parser: it is scanned, and reads exactly as the full parser reads it.
    #[test]
    fn plain_framing_is_scanned() {
        let list = "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: a # note\n  data:\n    x: |\n      one\n      two\n- {apiVersion: v1, kind: Secret, metadata: {name: b}}\nfunctionConfig:\n  kind: X\n";
        let full =
            |text: &str| from_value(limits::read_document(text).expect("read")).expect("list");
        let expected = full(list);
        for framed in [
            format!("%YAML 1.1\n---\n{list}"),
            format!("%YAML 1.2\n---\n{list}"),
            format!("---\n{list}"),
            list.replace('\n', "\r\n"),
            format!("%YAML 1.1\r\n---\r\n{}", list.replace('\n', "\r\n")),
            list.replacen('\n', "\r", 1),
            list.replace('\n', "\r"),
        ] {
            let mut scanned = parse(framed.as_bytes()).expect("parses");
            assert!(scanned.source.is_some(), "not scanned: {framed:?}");
            assert_eq!(full(&framed).items, expected.items);
            scanned.read(|_| true);
            assert_eq!(
                scanned.values().collect::<Vec<_>>(),
                expected.values().collect::<Vec<_>>(),
                "{framed:?}"
            );
            assert_eq!(scanned.function_config, expected.function_config);
            assert!(scanned.to_yaml().contains("name: a # note"));
        }
        // Still the full parser's: a tag directive, several documents.
        for odd in [
            format!("%TAG !x! tag:example.com,2000:\n---\n{list}"),
            format!("---\n{list}---\n{list}"),
        ] {
            assert!(
                parse(odd.as_bytes()).map_or(true, |l| l.source.is_none()),
                "{odd:?}"
            );
        }
    }

    #[test]
    fn rejects_what_is_not_a_resource_list() {
        let cases: [(&[u8], &str); 7] = [
            (b"", "empty input"),
            (b"\xff\xfe", "not UTF-8"),
            (b"a: [", "not valid YAML"),
            (b"- 1\n- 2\n", "not a ResourceList"),
            (
                b"apiVersion: v1\nkind: ResourceList\n",
                "unsupported ResourceList apiVersion",
            ),
            (
                b"apiVersion: config.kubernetes.io/v1\nkind: List\n",
                "kind must be",
            ),
            (b"a: 1\n---\nb: 2\n", "several YAML documents"),
        ];
        for (input, needle) in cases {
            let error = parse(input).expect_err("must fail");
            assert!(
                error.message.contains(needle),
                "{needle}: {}",
                error.message
            );
            assert!(error.is_error());
        }
    }

    #[test]
    fn item_checks_name_the_field() {
        let items: Vec<Value> = serde_yaml_ng::from_str(
            "- 1\n- kind: ConfigMap\n  metadata: {name: a}\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {}\n",
        )
        .expect("yaml");
        let problems = check_items(&items);
        let fields: Vec<_> = problems.iter().filter_map(|p| p.field.clone()).collect();
        assert_eq!(fields, ["items[0]", "apiVersion", "metadata.name"]);
    }
}
