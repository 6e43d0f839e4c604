//! The fast path of [`parse`](super::parse): a ResourceList in the block style orchestrators
//! write is split into its items' source text without building their [`Value`]s, and items the
//! function does not change are written back as that text.
//!
//! kpt and kustomize send every object of a package through the function, which generates its
//! stack next to them and returns the others as they came. Building a `Value` tree for each of
//! them and writing it out again costs far more than the function's own work (about 25 MB/s,
//! PERFORMANCE.md) and drops their comments and quoting. Here one pass over the text checks that
//! it is YAML of a plain, common form and records for each item where its text is and where its
//! `apiVersion`, `kind`, `metadata.name`, `namespace`, `labels` and `annotations` are. The item
//! then stays in [`ResourceList::items`](super::ResourceList) as an [`Item::Source`], read
//! only when the function asks for its value ([`ResourceList::read`](super::ResourceList::read));
//! the writer copies the text of every source item still in the list.
//!
//! **What the scanner accepts**, and so what can never read differently from the full parser:
//! a block mapping at column 0, block mappings and sequences indented with spaces, one-line
//! plain, single- and double-quoted scalars (simple escapes only), `[]`, `{}` and one-line flow
//! sequences of scalars, literal and folded block scalars without an indentation indicator,
//! comments. Anything else inside an item — flow style, anchors, aliases, tags, multi-line
//! flow or plain scalars, complex keys, tabs, duplicate keys, deep nesting — makes that item
//! *opaque*: its lines are skipped up to the next line indented no more than its `-`, and the
//! full parser reads the item alone (bounded by the [`limits`](super::limits)) for its identity;
//! it is still written back as its text, so it means exactly what it meant to any reader. An item
//! that does not read alone because an alias names another item's anchor takes its value from one
//! reading of the whole list (and is still written as text). Only when an item does not read at
//! all (a syntax error) or the list around the items is odd (directives, several documents, CR
//! line breaks, a flow root) does [`scan`] return `None`, and the whole input is read by the full
//! parser instead, with its error messages and limits. The tests check the scanner against the full parser on generated
//! and mutated inputs.

use super::{annotations, json, Item, ResourceList, API_VERSION, API_VERSION_BETA, KIND};
use crate::yaml::limits;
#[cfg(feature = "streaming-limits")]
use crate::yaml::stream;
use serde_yaml_ng::Value;
use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;

/// Nesting deeper than this, or an item of more nodes than this (counted as the full parser
/// counts them), goes to the full parser, which owns the limits and their messages.
const MAX_DEPTH: usize = limits::MAX_DEPTH / 2;
const MAX_NODES: usize = limits::MAX_NODES / 10 * 9;
/// Mappings with more keys than this check duplicates with a hash set instead of a scan.
const LINEAR_KEYS: usize = 24;
/// libyaml rejects implicit keys longer than 1024 characters.
const MAX_KEY_BYTES: usize = 1000;

/// The input text of a list read by the fast path, and its items.
#[derive(Clone)]
pub struct Source {
    text: String,
    items: Vec<ItemSource>,
}

impl fmt::Debug for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Source {{ {} bytes, {} items }}",
            self.text.len(),
            self.items.len()
        )
    }
}

/// Where one item is in the text (offsets as `u32`: inputs are far below 4 GiB, and a list of
/// 25,000 items keeps these in 1.5 MB).
#[derive(Debug, Clone, Default)]
struct ItemSource {
    /// Start of the line holding the item's `-`.
    start: u32,
    /// End of its last line (after the newline), or of the text.
    end: u32,
    /// Column of the `-`.
    dash: u32,
    /// `apiVersion` is a non-empty string.
    api_version: bool,
    kind: Option<Scalar>,
    name: Option<Scalar>,
    labels: Option<Block>,
    annotations: Option<Block>,
    /// The item is read in full while parsing: one of its identifying fields is missing, empty
    /// or not a plain string, so the item checks must see its real value.
    needs_value: bool,
    /// The scanner could not follow the item (flow style, anchors, multi-line scalars, ...):
    /// the full parser reads it alone, and its identity comes from that reading.
    opaque: bool,
    /// The item is JSON text (a JSON ResourceList), written back as a flow mapping.
    json: bool,
    /// The identity of an opaque item (read by the probe or the full parser) or a JSON item,
    /// packed in one allocation.
    identity: Option<Packed>,
    /// The value of an opaque item that does not read alone (an alias to an anchor in an earlier
    /// item), taken from a reading of the whole list.
    value: Option<Box<Value>>,
}

/// What [`ItemView`] offers of an item the scanner could not follow, kept instead of its value
/// so that a list of many such items costs little more than its text.
#[derive(Debug, Clone, Default)]
pub(super) struct Identity {
    pub kind: Option<String>,
    pub name: Option<String>,
    pub labels: Vec<String>,
    /// The file annotations (path and index, both spellings), for placing generated objects.
    pub files: Vec<(String, String)>,
}

impl Identity {
    fn of(value: &Value) -> Identity {
        let text = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_string);
        let metadata = value.get("metadata");
        Identity {
            kind: text(value.get("kind")),
            name: text(metadata.and_then(|m| m.get("name"))),
            labels: metadata
                .and_then(|m| m.get("labels"))
                .and_then(Value::as_mapping)
                .map(|labels| {
                    labels
                        .keys()
                        .filter_map(|k| k.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default(),
            files: FILE_ANNOTATIONS
                .iter()
                .filter_map(|key| {
                    let value = metadata?.get("annotations")?.get(*key)?.as_str()?;
                    Some((key.to_string(), value.to_string()))
                })
                .collect(),
        }
    }
}

/// An [`Identity`] in one allocation (a list of 100,000 JSON items keeps 100,000 of them):
/// kind, name, the label keys and the file annotations, each string prefixed by its length.
#[derive(Debug, Clone)]
struct Packed(Box<[u8]>);

impl Packed {
    fn new(identity: &Identity) -> Packed {
        let mut bytes = Vec::new();
        let mut put = |text: Option<&str>| match text {
            None => bytes.extend_from_slice(&u32::MAX.to_le_bytes()),
            Some(text) => {
                bytes.extend_from_slice(&(text.len() as u32).to_le_bytes());
                bytes.extend_from_slice(text.as_bytes());
            }
        };
        put(identity.kind.as_deref());
        put(identity.name.as_deref());
        for label in &identity.labels {
            put(Some(label));
        }
        put(None);
        for (key, value) in &identity.files {
            put(Some(key));
            put(Some(value));
        }
        Packed(bytes.into_boxed_slice())
    }

    /// The strings in order (`None` for an absent kind or name, and after the labels).
    fn strings(&self) -> impl Iterator<Item = Option<&str>> {
        let mut at = 0;
        std::iter::from_fn(move || {
            let length = self.0.get(at..at + 4)?;
            let length = u32::from_le_bytes([length[0], length[1], length[2], length[3]]);
            at += 4;
            if length == u32::MAX {
                return Some(None);
            }
            let text = self.0.get(at..at + length as usize)?;
            at += length as usize;
            Some(std::str::from_utf8(text).ok())
        })
    }

    fn kind(&self) -> Option<&str> {
        self.strings().next().flatten()
    }

    fn name(&self) -> Option<&str> {
        self.strings().nth(1).flatten()
    }

    fn labels(&self) -> impl Iterator<Item = &str> {
        self.strings().skip(2).map_while(|label| label)
    }

    fn file(&self, key: &str) -> Option<&str> {
        let mut files = self.strings().skip(2).skip_while(Option::is_some).skip(1);
        while let (Some(Some(k)), Some(value)) = (files.next(), files.next()) {
            if k == key {
                return value;
            }
        }
        None
    }
}

/// The annotations [`ItemView::annotation`] answers for opaque items.
const FILE_ANNOTATIONS: [&str; 4] = [
    annotations::PATH,
    annotations::LEGACY_PATH,
    annotations::INDEX,
    annotations::LEGACY_INDEX,
];

/// A one-line scalar: its text without quotes, and how to decode it.
#[derive(Debug, Clone, Copy)]
struct Scalar {
    start: u32,
    end: u32,
    style: Style,
}

impl Scalar {
    fn new(start: usize, end: usize, style: Style) -> Scalar {
        Scalar {
            start: start as u32,
            end: end as u32,
            style,
        }
    }

    fn text(self, text: &str) -> &str {
        &text[self.start as usize..self.end as usize]
    }
}

impl ItemSource {
    fn range(&self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Style {
    Plain,
    Single,
    Double,
}

/// The lines of a block mapping and the column of its keys.
#[derive(Debug, Clone, Copy)]
struct Block {
    start: u32,
    end: u32,
    indent: u32,
}

/// What the function may ask of an item still held as text, before reading it in full.
pub struct ItemView<'a> {
    text: &'a str,
    item: &'a ItemSource,
}

impl ItemView<'_> {
    pub fn kind(&self) -> Option<Cow<'_, str>> {
        if let Some(identity) = &self.item.identity {
            return identity.kind().map(Cow::Borrowed);
        }
        self.item.kind.map(|s| decode(self.text, s))
    }

    pub fn name(&self) -> Option<Cow<'_, str>> {
        if let Some(identity) = &self.item.identity {
            return identity.name().map(Cow::Borrowed);
        }
        self.item.name.map(|s| decode(self.text, s))
    }

    /// Whether `metadata.labels` has the key (with any value).
    pub fn has_label(&self, key: &str) -> bool {
        if let Some(identity) = &self.item.identity {
            return identity.labels().any(|k| k == key);
        }
        self.item
            .labels
            .is_some_and(|block| block_has_key(self.text, block, key))
    }

    /// The file annotation `key` (path or index, [`FILE_ANNOTATIONS`]) when it is a one-line
    /// string.
    pub fn annotation(&self, key: &str) -> Option<Cow<'_, str>> {
        if let Some(identity) = &self.item.identity {
            return identity.file(key).map(Cow::Borrowed);
        }
        block_value(self.text, self.item.annotations?, key)
    }
}

impl Source {
    pub(super) fn view(&self, index: usize) -> Option<ItemView<'_>> {
        self.items.get(index).map(|item| ItemView {
            text: &self.text,
            item,
        })
    }

    /// The full value of item `index`, read from its text by the full parser.
    pub(super) fn value(&self, index: usize) -> Option<Value> {
        let item = self.items.get(index)?;
        if let Some(value) = &item.value {
            return Some(Value::clone(value));
        }
        self.read_alone(index).ok()?
    }

    /// Item `index` read alone: its value (`None`: not one item), or why it does not read.
    fn read_alone(&self, index: usize) -> Result<Option<Value>, limits::ReadError> {
        let Some(item) = self.items.get(index) else {
            return Ok(None);
        };
        let mut document = String::with_capacity(item.range().len() + 8);
        let mut value = if item.json {
            json::write_flow_text(&self.text[item.range()], &mut document);
            limits::read_document(&document)?
        } else {
            document.push_str("items:\n");
            document.push_str(&self.text[item.range()]);
            let Value::Mapping(mut root) = limits::read_document(&document)? else {
                return Ok(None);
            };
            match root.remove("items") {
                Some(Value::Sequence(mut items)) if items.len() == 1 => match items.pop() {
                    Some(value) => value,
                    None => return Ok(None),
                },
                _ => return Ok(None),
            }
        };
        // Go's readers resolve merge keys (`<<: *base`); the function sees what they see.
        super::resolve_merge_keys(&mut value);
        Ok(Some(value))
    }

    /// Appends the text of item `index` as an entry of a block sequence at column 0.
    pub(super) fn copy_item(&self, index: usize, out: &mut String) {
        let item = &self.items[index];
        let text = &self.text[item.range()];
        if item.json {
            json::write_flow(text, out);
            return;
        }
        let dash = (item.dash as usize, item.opaque);
        for (number, line) in text.split_inclusive('\n').enumerate() {
            out.push_str(&line[dedent_width(line.as_bytes(), dash, number)..]);
        }
        if !out.ends_with('\n') {
            out.push('\n');
        }
    }
}

/// An item of a JSON list ([`super::json`]): where its text is and, for an object, what it
/// says of itself.
#[cfg(feature = "json-items")]
pub(super) struct JsonItem {
    pub start: usize,
    pub end: usize,
    /// `None` when the item is not an object.
    pub identity: Option<Identity>,
    /// `apiVersion`, `kind` and `metadata.name` are non-empty strings.
    pub complete: bool,
}

impl Source {
    /// The source of a JSON list ([`super::json`]).
    #[cfg(feature = "json-items")]
    pub(super) fn json(text: String, items: Vec<JsonItem>) -> Source {
        let items = items
            .into_iter()
            .map(|item| ItemSource {
                start: item.start as u32,
                end: item.end as u32,
                needs_value: !item.complete,
                opaque: true,
                json: true,
                identity: Some(Packed::new(&item.identity.unwrap_or_default())),
                ..ItemSource::default()
            })
            .collect();
        Source { text, items }
    }

    /// Reads each opaque item alone with the full parser, for its identity (and its value, when
    /// the item checks need it). `None` when one does not read alone (an alias to an anchor in
    /// another item, a syntax error): the whole list then goes to the full parser.
    ///
    /// `Err(None)`: read the whole list with the full parser. `Err(Some(error))`: an item holds an
    /// error of its own text (a duplicate key, an empty tag, nesting past the limit), which the
    /// full parser would report for the whole list at the same place: reported without
    /// reading the whole list (its values would cost many times its size).
    fn read_opaque_items(&mut self) -> Result<(), Option<limits::ReadError>> {
        // Items that do not read alone, read once with the whole list when there are any.
        let mut whole: Option<Vec<Value>> = None;
        for index in 0..self.items.len() {
            if !self.items[index].opaque || self.items[index].json {
                continue;
            }
            // Most opaque items give their identity to a streaming pass, without a value tree
            // (an item of millions of nodes then costs little more than its text).
            if let Some((identity, complete)) = self.probe_identity(index) {
                let item = &mut self.items[index];
                item.needs_value = !complete;
                item.identity = Some(Packed::new(&identity));
                continue;
            }
            let value = match self.read_alone(index) {
                Ok(Some(value)) => value,
                Ok(None) => return Err(None),
                // An alias to an anchor in an earlier item.
                Err(error) if error.message.contains("unknown anchor") => {
                    if whole.is_none() {
                        whole = Some(self.read_whole().ok_or(None)?);
                    }
                    let value = whole
                        .as_ref()
                        .and_then(|items| items.get(index))
                        .ok_or(None)?
                        .clone();
                    self.items[index].value = Some(Box::new(value.clone()));
                    value
                }
                Err(error) => return Err(self.relocate(index, error)),
            };
            let identity = Identity::of(&value);
            let present = |s: &Option<String>| s.as_deref().is_some_and(|s| !s.is_empty());
            let api_version = value
                .get("apiVersion")
                .and_then(Value::as_str)
                .is_some_and(|v| !v.is_empty());
            let item = &mut self.items[index];
            item.needs_value = !(value.is_mapping()
                && api_version
                && present(&identity.kind)
                && present(&identity.name));
            item.identity = Some(Packed::new(&identity));
        }
        Ok(())
    }

    /// An error of item `index` read alone as the full parser reports it for the whole list
    /// (`items[index]` and the line in the whole text), when the error is the item text's own;
    /// `None` for any other (a syntax error, a budget the whole list counts differently).
    fn relocate(&self, index: usize, error: limits::ReadError) -> Option<limits::ReadError> {
        let own = error.message.starts_with("duplicate key")
            || error.message.starts_with("empty YAML tag")
            || error.message.contains("(MAX_DEPTH) (line ");
        if !own {
            return None;
        }
        let rest = error.path?.strip_prefix("items[0]")?.to_string();
        let (message, location) = error.message.rsplit_once(" (line ")?;
        let (line, column) = location.split_once(", column ")?;
        let line: usize = line.parse().ok()?;
        let item = self.items.get(index)?;
        // Line 1 of the item read alone is `items:`, line 2 the item's first.
        let first = memchr_count(&self.text.as_bytes()[..item.start as usize]) + 1;
        Some(limits::ReadError {
            message: format!(
                "{message} (line {}, column {column}",
                (line + first).checked_sub(2)?
            ),
            path: Some(format!("items[{index}]{rest}")),
        })
    }

    /// The identity of opaque item `index` (and whether its `apiVersion`, `kind` and
    /// `metadata.name` are non-empty strings) as [`read_alone`](Self::read_alone) and
    /// [`Identity::of`] would give it, read by [`stream::probe`] without building the value;
    /// `None` when the probe is not certain (aliases, tags, merge keys, ...), or the item is
    /// not a mapping: then it is read in full.
    #[cfg(not(feature = "streaming-limits"))]
    fn probe_identity(&self, _: usize) -> Option<(Identity, bool)> {
        None
    }

    #[cfg(feature = "streaming-limits")]
    fn probe_identity(&self, index: usize) -> Option<(Identity, bool)> {
        use stream::{Found, Step};
        let item = self.items.get(index)?;
        let mut document = String::with_capacity(item.range().len() + 8);
        document.push_str("items:\n");
        document.push_str(&self.text[item.range()]);
        let item = |rest: &[Step<'static>]| -> Vec<Step<'static>> {
            [Step::Key("items"), Step::Index(0)]
                .into_iter()
                .chain(rest.iter().copied())
                .collect()
        };
        let meta = |key: &'static str| item(&[Step::Key("metadata"), Step::Key(key)]);
        let mut paths = vec![
            vec![Step::Key("items")],
            item(&[]),
            item(&[Step::Key("apiVersion")]),
            item(&[Step::Key("kind")]),
            meta("name"),
            meta("labels"),
        ];
        for key in FILE_ANNOTATIONS {
            paths.push(item(&[
                Step::Key("metadata"),
                Step::Key("annotations"),
                Step::Key(key),
            ]));
        }
        let wanted: Vec<&[Step<'_>]> = paths.iter().map(Vec::as_slice).collect();
        let mut found = stream::probe(&document, &wanted)?.into_iter();
        let mut next = || found.next().flatten();
        if next() != Some(Found::Sequence(1)) || !matches!(next(), Some(Found::Mapping(_))) {
            return None;
        }
        let string = |found: Option<Found>| match found {
            Some(Found::String(s)) => Some(s),
            _ => None,
        };
        let api_version = string(next());
        let kind = string(next());
        let name = string(next());
        let labels = match next() {
            Some(Found::Mapping(keys)) => keys,
            _ => Vec::new(),
        };
        let files = FILE_ANNOTATIONS
            .iter()
            .filter_map(|key| Some((key.to_string(), string(next())?)))
            .collect();
        let present = |s: &Option<String>| s.as_deref().is_some_and(|s| !s.is_empty());
        let complete = present(&api_version) && present(&kind) && present(&name);
        Some((
            Identity {
                kind,
                name,
                labels,
                files,
            },
            complete,
        ))
    }

    /// Whether an item's value depends on an anchor in another item.
    pub(super) fn shares_anchors(&self) -> bool {
        self.items.iter().any(|item| item.value.is_some())
    }

    /// The items of the whole text, read by the full parser: for items whose value depends on an
    /// anchor in another item. `None` unless it reads and holds exactly the scanned items.
    fn read_whole(&self) -> Option<Vec<Value>> {
        let Value::Mapping(mut root) = limits::read_document(&self.text).ok()? else {
            return None;
        };
        let Value::Sequence(mut items) = root.remove("items")? else {
            return None;
        };
        if items.len() != self.items.len() {
            return None;
        }
        items.iter_mut().for_each(super::resolve_merge_keys);
        Some(items)
    }

    /// The list whose items are this text's items, read only where the checks need them.
    pub(super) fn into_list(
        self,
        api_version: String,
        function_config: Option<Value>,
    ) -> ResourceList {
        let mut items = Vec::with_capacity(self.items.len());
        for (index, item) in self.items.iter().enumerate() {
            let value = if item.needs_value {
                self.value(index)
            } else {
                None
            };
            items.push(Item::Source { index, value });
        }
        let mut list = ResourceList::new(Vec::new(), function_config);
        list.items = items;
        list.api_version = api_version;
        list.source = Some(self);
        list
    }
}

/// Splits `text` into a ResourceList whose items are `Item::Source` (with their values, for items
/// the checks must see), or `None` when the text is not of the form the scanner reads.
#[cfg(test)]
pub(super) fn scan(text: &str) -> Option<ResourceList> {
    scan_checked(text).ok().flatten()
}

/// [`scan`], or the error of an item that the full parser would report for the whole list
/// ([`Source::read_opaque_items`]).
pub(super) fn scan_checked(text: &str) -> Result<Option<ResourceList>, limits::ReadError> {
    let Some((source, api_version, function_config)) = scan_items(text) else {
        return Ok(None);
    };
    let mut source = source;
    match source.read_opaque_items() {
        Ok(()) => Ok(Some(source.into_list(api_version, function_config))),
        Err(None) => Ok(None),
        Err(Some(error)) => Err(error),
    }
}

/// The newlines in `bytes`.
fn memchr_count(bytes: &[u8]) -> usize {
    bytes.iter().filter(|b| **b == b'\n').count()
}

/// The text split into items (opaque items not read yet), its apiVersion and functionConfig.
fn scan_items(text: &str) -> Option<(Source, String, Option<Value>)> {
    // A text that does not end its last line (a block scalar at the very end would lose or
    // gain its final line break when copied) goes to the full parser.
    if text.len() >= u32::MAX as usize || !text.ends_with('\n') {
        return None;
    }
    let tabs = check_characters(text.as_bytes())?;
    let mut scanner = Scanner::new(text);
    scanner.tabs = tabs;
    let scanned = scanner.run().ok()?;
    let decode_root = |scalar: Option<Scalar>| scalar.map(|s| decode(text, s));
    let api_version = match decode_root(scanned.api_version)?.as_ref() {
        v @ (API_VERSION | API_VERSION_BETA) => v.to_string(),
        _ => return None,
    };
    if decode_root(scanned.kind)?.as_ref() != KIND {
        return None;
    }
    let function_config = match scanned.function_config {
        None => None,
        Some((start, end)) => {
            let Value::Mapping(mut root) = limits::read_document(&text[start..end]).ok()? else {
                return None;
            };
            match root.remove("functionConfig")? {
                Value::Null => None,
                config => Some(config),
            }
        }
    };
    let source = Source {
        text: text.to_string(),
        items: scanned.items,
    };
    Some((source, api_version, function_config))
}

/// Writes the items of a list that holds source items after `header`: source items as
/// their text, values with `write_value`. The source text itself becomes the output buffer
/// when the references come in text order and the output never overtakes the text still to
/// be copied (then no second buffer of the input's size is needed); otherwise a new one is used.
pub(super) fn write_items(
    source: Source,
    items: &[Item],
    header: &str,
    write_value: impl Fn(&mut String, &Value),
) -> Vec<u8> {
    let Source { text, items: spans } = source;
    let starts: Vec<usize> = items
        .iter()
        .filter_map(Item::source_index)
        .map(|i| spans[i].start as usize)
        .collect();
    let in_order = starts.windows(2).all(|pair| pair[0] < pair[1]);
    let mut writer = Writer {
        buffer: text.into_bytes(),
        out: Vec::new(),
        in_place: true,
        written: 0,
    };
    if !in_order {
        writer.leave_place();
    }
    let mut next = 0;
    let mut piece = String::new();
    writer.put(header.as_bytes(), starts.first().copied());
    for item in items {
        match item {
            Item::Source { index, .. } if spans[*index].json => {
                next += 1;
                piece.clear();
                let span = &spans[*index];
                let text = writer.source(span);
                json::write_flow(std::str::from_utf8(&text).unwrap_or_default(), &mut piece);
                writer.put(piece.as_bytes(), starts.get(next).copied());
            }
            Item::Source { index, .. } => {
                next += 1;
                if !writer.copy(&spans[*index]) {
                    writer.put(b"\n", starts.get(next).copied());
                }
            }
            Item::Value(value) => {
                piece.clear();
                write_value(&mut piece, value);
                writer.put(piece.as_bytes(), starts.get(next).copied());
            }
        }
    }
    writer.finish()
}

/// The output of [`write_items`]: in place in `buffer` (the source text) up to `written`, or
/// in `out`.
struct Writer {
    buffer: Vec<u8>,
    out: Vec<u8>,
    in_place: bool,
    written: usize,
}

impl Writer {
    fn leave_place(&mut self) {
        if self.in_place {
            self.in_place = false;
            // Room for what the output adds (JSON items grow by `- ` each, the generated
            // objects come last): growing past the reservation would double the buffer.
            self.out
                .reserve(self.buffer.len() + self.buffer.len() / 8 + (1 << 20));
            self.out.extend_from_slice(&self.buffer[..self.written]);
        }
    }

    /// Appends `bytes`; in place only while the output stays before `limit`, the start of the
    /// next text still to be copied.
    fn put(&mut self, bytes: &[u8], limit: Option<usize>) {
        if self.in_place && limit.is_some_and(|limit| self.written + bytes.len() > limit) {
            self.leave_place();
        }
        if self.in_place {
            let end = self.written + bytes.len();
            if end > self.buffer.len() {
                // Past the end of the text: what follows `written` is overwritten anyway, and
                // appending spares zeroing the growth first.
                self.buffer.truncate(self.written);
                self.buffer.extend_from_slice(bytes);
            } else {
                self.buffer[self.written..end].copy_from_slice(bytes);
            }
            self.written = end;
        } else {
            self.out.extend_from_slice(bytes);
        }
    }

    /// The text of an item not yet copied (the writer never overtakes it).
    fn source(&self, item: &ItemSource) -> Vec<u8> {
        self.buffer[item.range()].to_vec()
    }

    /// Appends an item's text moved to column 0; false when it did not end with a newline.
    fn copy(&mut self, item: &ItemSource) -> bool {
        let range = item.range();
        let dash = item.dash as usize;
        let newline = self.buffer[..range.end].last() == Some(&b'\n');
        if self.in_place {
            self.written = dedent_in_place(
                &mut self.buffer,
                range.start,
                range.end,
                (dash, item.opaque),
                self.written,
            );
        } else {
            copy_dedented(&self.buffer[range], (dash, item.opaque), &mut self.out);
        }
        newline
    }

    fn finish(mut self) -> Vec<u8> {
        if self.in_place {
            self.buffer.truncate(self.written);
            self.buffer
        } else {
            self.out
        }
    }
}

/// How many spaces to take from the start of `line` (line `number` of an item whose `-` is at
/// column `dash`) to move the item to column 0. An opaque item keeps one space on later lines
/// that would otherwise reach column 0: they may continue a multi-line scalar or flow
/// collection, which must stay indented under the sequence.
fn dedent_width(line: &[u8], (dash, opaque): (usize, bool), number: usize) -> usize {
    let spaces = line.iter().take(dash).take_while(|b| **b == b' ').count();
    let all = line.iter().take_while(|b| **b == b' ').count();
    let content = line.get(all).is_some_and(|b| *b != b'\n');
    if opaque && number > 0 && spaces == all && spaces > 0 && content {
        spaces - 1
    } else {
        spaces
    }
}

/// Copies lines of a sequence entry whose `-` is at column `dash` so that it is at column 0
/// (comment lines indented less lose their indentation).
fn copy_dedented(lines: &[u8], dash: (usize, bool), out: &mut Vec<u8>) {
    if dash.0 == 0 {
        out.extend_from_slice(lines);
    } else {
        for (number, line) in lines.split_inclusive(|b| *b == b'\n').enumerate() {
            out.extend_from_slice(&line[dedent_width(line, dash, number)..]);
        }
    }
}

/// [`copy_dedented`] within one buffer, from `start..end` to `to` (`to <= start`); returns the
/// end of what was written. A missing final newline is left to the caller.
fn dedent_in_place(
    buffer: &mut [u8],
    start: usize,
    end: usize,
    dash: (usize, bool),
    to: usize,
) -> usize {
    if dash.0 == 0 {
        buffer.copy_within(start..end, to);
        return to + (end - start);
    }
    let mut to = to;
    let mut at = start;
    let mut number = 0;
    while at < end {
        let line_end = buffer[at..end]
            .iter()
            .position(|b| *b == b'\n')
            .map_or(end, |p| at + p + 1);
        let from = at + dedent_width(&buffer[at..line_end], dash, number);
        buffer.copy_within(from..line_end, to);
        to += line_end - from;
        at = line_end;
        number += 1;
    }
    to
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// Whether the text has only characters the YAML reader takes as they are — no control
/// characters, CR, NEL, line or paragraph separators, byte-order marks or non-characters (the
/// full parser decides about those) — and whether it has tabs (allowed here, checked where they
/// stand). Eight bytes at a time while they are printable ASCII.
fn check_characters(bytes: &[u8]) -> Option<bool> {
    let mut tabs = false;
    let mut at = 0;
    while at < bytes.len() {
        if let Some(chunk) = bytes.get(at..at + 8) {
            let word = u64::from_le_bytes(chunk.try_into().ok()?);
            let below_space = word.wrapping_sub(0x20 * ONES) & !word & HIGHS;
            let del = word ^ (0x7f * ONES);
            let delete = del.wrapping_sub(ONES) & !del & HIGHS;
            if (word & HIGHS) | below_space | delete == 0 {
                at += 8;
                continue;
            }
        }
        let b = bytes[at];
        if b < 0x80 {
            match b {
                b'\t' => tabs = true,
                b'\n' => {}
                0..0x20 | 0x7f => return None,
                _ => {}
            }
            at += 1;
            continue;
        }
        let next = bytes.get(at + 1).copied().unwrap_or(0);
        let third = bytes.get(at + 2).copied().unwrap_or(0);
        let rejected = match b {
            0xC2 => next < 0xA0,
            0xE2 => next == 0x80 && (third == 0xA8 || third == 0xA9),
            0xEF => (next == 0xBB && third == 0xBF) || (next == 0xBF && third >= 0xBE),
            _ => false,
        };
        if rejected {
            return None;
        }
        at += 1;
    }
    Some(tabs)
}

/// The scanned structure of a whole ResourceList.
struct Scanned {
    api_version: Option<Scalar>,
    kind: Option<Scalar>,
    function_config: Option<(usize, usize)>,
    items: Vec<ItemSource>,
}

/// Not of the form the scanner reads: the full parser takes over.
#[derive(Debug)]
struct Unsupported;

type Step<T = ()> = Result<T, Unsupported>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Root,
    Items,
    Item,
    Metadata,
    Labels,
    Annotations,
    Other,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Map,
    Seq,
}

struct Level<'a> {
    kind: Kind,
    indent: usize,
    role: Role,
    /// A sequence at its parent key's column (`key:\n- a`).
    indentless: bool,
    /// Where this mapping's keys start in `Scanner::keys`.
    keys_from: usize,
    /// All keys, once the mapping has more than [`LINEAR_KEYS`].
    key_set: Option<HashSet<Cow<'a, str>>>,
}

/// A key or `-` whose value starts on a later line.
#[derive(Clone, Copy)]
struct Pending {
    /// Column of the key or `-`: a nested value must be indented more (a sequence under a key
    /// may also sit at the key's column).
    indent: usize,
    allow_indentless: bool,
    role: Role,
}

/// Block scalar state: content lines are those indented at least `content` (found on the
/// first non-empty line, and at least `min`).
struct BlockScalar {
    min: usize,
    content: Option<usize>,
    max_blank: usize,
}

struct Scanner<'a> {
    text: &'a str,
    bytes: &'a [u8],
    stack: Vec<Level<'a>>,
    keys: Vec<Cow<'a, str>>,
    pending: Option<Pending>,
    block: Option<BlockScalar>,
    nodes: usize,
    /// Whether the text has tabs at all (lines are checked only then).
    tabs: bool,
    /// The root key whose value is being read, and where its line starts.
    root_key: Option<(Cow<'a, str>, usize)>,
    out: Scanned,
}

impl<'a> Scanner<'a> {
    fn new(text: &'a str) -> Scanner<'a> {
        Scanner {
            text,
            bytes: text.as_bytes(),
            stack: Vec::with_capacity(16),
            keys: Vec::with_capacity(64),
            pending: None,
            block: None,
            nodes: 0,
            tabs: true,
            root_key: None,
            out: Scanned {
                api_version: None,
                kind: None,
                function_config: None,
                items: Vec::new(),
            },
        }
    }

    fn run(mut self) -> Step<Scanned> {
        let len = self.bytes.len();
        let mut at = 0;
        // The dash column of an item the scanner gave up on: its lines are skipped.
        let mut skipping: Option<usize> = None;
        while at < len {
            let end = memchr_newline(self.bytes, at).unwrap_or(len);
            if let Some(dash) = skipping {
                if !ends_item(&self.bytes[at..end], dash) {
                    at = end + 1;
                    continue;
                }
                skipping = None;
            }
            if self.line(at, end).is_err() {
                skipping = Some(self.give_up_item(at, end)?);
            }
            at = end + 1;
        }
        self.finish(len)?;
        Ok(self.out)
    }

    /// After line `start..end` could not be read: when it belongs to an item, the item becomes
    /// opaque (read alone by the full parser later) and the scanner goes back to the item list;
    /// returns the item's dash column. Anything outside an item fails the whole scan.
    fn give_up_item(&mut self, start: usize, end: usize) -> Step<usize> {
        let items_level = self
            .stack
            .iter()
            .position(|level| level.role == Role::Items)
            .ok_or(Unsupported)?;
        let dash = self.stack[items_level].indent;
        let line = &self.bytes[start..end];
        let indent = line.iter().take_while(|b| **b == b' ').count();
        let starts_item = indent == dash && is_dash(line, indent);
        let current = self.out.items.last().map(|item| item.start as usize);
        if starts_item && current != Some(start) {
            // Failed before its entry was recorded.
            if let Some(item) = self.out.items.last_mut() {
                item.end = start as u32;
            }
            self.out.items.push(ItemSource {
                start: start as u32,
                end: start as u32,
                dash: dash as u32,
                ..ItemSource::default()
            });
        } else if !(starts_item || (indent > dash && current.is_some())) {
            return Err(Unsupported);
        }
        if let Some(above) = self.stack.get(items_level + 1) {
            self.keys.truncate(above.keys_from);
        }
        self.stack.truncate(items_level + 1);
        self.pending = None;
        self.block = None;
        // The opaque item's nodes are the full parser's to count (it reads the item alone).
        self.nodes = 0;
        let item = self.current_item()?;
        item.opaque = true;
        item.kind = None;
        item.name = None;
        item.labels = None;
        item.annotations = None;
        Ok(dash)
    }

    fn count(&mut self) -> Step {
        self.nodes += 1;
        if self.nodes > MAX_NODES {
            return Err(Unsupported);
        }
        Ok(())
    }

    /// One line `start..end` (without its newline).
    fn line(&mut self, start: usize, end: usize) -> Step {
        let bytes = self.bytes;
        let line = &bytes[start..end];
        let indent = line.iter().take_while(|b| **b == b' ').count();
        let blank = indent == line.len();
        if let Some(block) = &mut self.block {
            match block.content {
                None if blank => {
                    block.max_blank = block.max_blank.max(indent);
                    return Ok(());
                }
                None if line[indent] == b'\t' => return Err(Unsupported),
                Some(content) if !blank && indent < content && line[indent] == b'\t' => {
                    return Err(Unsupported)
                }
                None if indent >= block.min => {
                    if block.max_blank > indent {
                        return Err(Unsupported);
                    }
                    block.content = Some(indent);
                    return Ok(());
                }
                Some(_) if blank => return Ok(()),
                Some(content) if indent >= content => return Ok(()),
                _ => self.block = None,
            }
        }
        if blank {
            return Ok(());
        }
        let first = line[indent];
        if first == b'#' {
            return Ok(());
        }
        if self.tabs && line.contains(&b'\t') {
            return Err(Unsupported);
        }
        if indent == 0
            && (line.starts_with(b"---") || line.starts_with(b"..."))
            && line.get(3).is_none_or(|b| *b == b' ')
        {
            return Err(Unsupported);
        }
        let dash = is_dash(line, indent);

        if self.stack.is_empty() {
            // The root: a block mapping at column 0, opened by its first key.
            if indent != 0 || dash || self.nodes > 0 {
                return Err(Unsupported);
            }
            self.open(Kind::Map, 0, Role::Root, false, start)?;
        }
        if let Some(pending) = self.pending.take() {
            if indent > pending.indent
                || (pending.allow_indentless && indent == pending.indent && dash)
            {
                let kind = if dash { Kind::Seq } else { Kind::Map };
                let indentless = indent == pending.indent;
                self.open(kind, indent, pending.role, indentless, start)?;
            } else {
                self.null_value(pending.role)?;
            }
        }
        loop {
            let top = self.stack.last().ok_or(Unsupported)?;
            if top.indent > indent || (top.indentless && top.indent == indent && !dash) {
                self.close(start)?;
                continue;
            }
            if top.indent != indent {
                return Err(Unsupported);
            }
            break;
        }
        if self.stack.is_empty() {
            return Err(Unsupported);
        }
        let top = self.stack.last().ok_or(Unsupported)?;
        match (top.kind, dash) {
            (Kind::Seq, true) => self.entry(start, end, indent),
            (Kind::Map, false) => self.key_entry(start, end, indent),
            _ => Err(Unsupported),
        }
    }

    /// Opens a block collection at `indent`.
    fn open(
        &mut self,
        kind: Kind,
        indent: usize,
        role: Role,
        indentless: bool,
        start: usize,
    ) -> Step {
        if self.stack.len() >= MAX_DEPTH {
            return Err(Unsupported);
        }
        self.count()?;
        match (role, kind) {
            (Role::Items, Kind::Map) | (Role::Item, Kind::Seq) => return Err(Unsupported),
            (Role::Metadata | Role::Labels | Role::Annotations, Kind::Seq) => {
                self.current_item()?.needs_value = true;
            }
            _ => {}
        }
        let role = match kind {
            Kind::Seq if role != Role::Items => Role::Other,
            Kind::Map if matches!(role, Role::Items) => Role::Other,
            _ => role,
        };
        if kind == Kind::Map && matches!(role, Role::Labels | Role::Annotations) {
            let block = Some(Block {
                start: start as u32,
                end: start as u32,
                indent: indent as u32,
            });
            let item = self.current_item()?;
            if role == Role::Labels {
                item.labels = block;
            } else {
                item.annotations = block;
            }
        }
        self.stack.push(Level {
            kind,
            indent,
            role,
            indentless,
            keys_from: self.keys.len(),
            key_set: None,
        });
        Ok(())
    }

    /// Closes the innermost collection; `at` is where the line that closes it starts.
    fn close(&mut self, at: usize) -> Step {
        let level = self.stack.pop().ok_or(Unsupported)?;
        self.keys.truncate(level.keys_from);
        match level.role {
            Role::Item => self.finish_item()?,
            Role::Items => {
                if let Some(item) = self.out.items.last_mut() {
                    item.end = at as u32;
                }
            }
            Role::Labels | Role::Annotations => {
                let item = self.current_item()?;
                let block = if level.role == Role::Labels {
                    &mut item.labels
                } else {
                    &mut item.annotations
                };
                if let Some(block) = block {
                    block.end = at as u32;
                }
            }
            Role::Root | Role::Metadata | Role::Other => {}
        }
        Ok(())
    }

    fn current_item(&mut self) -> Step<&mut ItemSource> {
        self.out.items.last_mut().ok_or(Unsupported)
    }

    /// The identity checks need the item's value when a field is missing or odd.
    fn finish_item(&mut self) -> Step {
        let text = self.text;
        let item = self.current_item()?;
        let present = |s: Option<Scalar>| s.is_some_and(|s| !decode(text, s).is_empty());
        if !(item.api_version && present(item.kind) && present(item.name)) {
            item.needs_value = true;
        }
        Ok(())
    }

    /// A key or `-` whose value never came: null.
    fn null_value(&mut self, role: Role) -> Step {
        self.count()?;
        match role {
            Role::Item => Err(Unsupported),
            Role::Metadata => {
                self.current_item()?.needs_value = true;
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// A `- ...` line of a sequence whose dash is at `indent`.
    fn entry(&mut self, start: usize, end: usize, indent: usize) -> Step {
        let role = self.stack.last().map_or(Role::Other, |l| l.role);
        let child = if role == Role::Items {
            if let Some(item) = self.out.items.last_mut() {
                item.end = start as u32;
            }
            self.out.items.push(ItemSource {
                start: start as u32,
                end: start as u32,
                dash: indent as u32,
                ..ItemSource::default()
            });
            // Nodes are counted per item: an item is read (and its nodes built) alone.
            self.nodes = 0;
            Role::Item
        } else {
            Role::Other
        };
        self.node(start, end, indent + 1, indent, child)
    }

    /// The node after a `-` (from column `from`, the dash at `dash`).
    fn node(&mut self, start: usize, end: usize, from: usize, dash: usize, role: Role) -> Step {
        let line = &self.bytes[start..end];
        let column = from + line[from..].iter().take_while(|b| **b == b' ').count();
        if column == line.len() || line[column] == b'#' {
            if column < line.len() && column == from {
                return Err(Unsupported); // `-#`
            }
            self.pending = Some(Pending {
                indent: dash,
                allow_indentless: false,
                role,
            });
            return Ok(());
        }
        if is_dash(line, column) {
            self.open(Kind::Seq, column, role, false, start)?;
            return self.entry(start, end, column);
        }
        if self.key_at(start, end, column)?.is_some() {
            self.open(Kind::Map, column, role, false, start)?;
            return self.key_entry(start, end, column);
        }
        if role == Role::Item {
            return Err(Unsupported);
        }
        // A scalar item: its parent is the sequence at `dash`.
        self.value(start, end, column, dash, None)
    }

    /// A `key: ...` line of a mapping whose keys are at `indent`.
    fn key_entry(&mut self, start: usize, end: usize, indent: usize) -> Step {
        let (key, after) = self.key_at(start, end, indent)?.ok_or(Unsupported)?;
        self.count()?;
        // Duplicate keys are errors for the full parser.
        let level = self.stack.last_mut().ok_or(Unsupported)?;
        let count = self.keys.len() - level.keys_from;
        if let Some(set) = &mut level.key_set {
            if !set.insert(key.clone()) {
                return Err(Unsupported);
            }
        } else if self.keys[level.keys_from..].contains(&key) {
            return Err(Unsupported);
        } else if count >= LINEAR_KEYS {
            let mut set: HashSet<Cow<'a, str>> =
                self.keys[level.keys_from..].iter().cloned().collect();
            set.insert(key.clone());
            level.key_set = Some(set);
        }
        let role = level.role;
        if level.key_set.is_none() {
            self.keys.push(key.clone());
        }
        let child = match (role, key.as_ref()) {
            (Role::Root, "items") => Role::Items,
            (Role::Item, "metadata") => Role::Metadata,
            (Role::Metadata, "labels") => Role::Labels,
            (Role::Metadata, "annotations") => Role::Annotations,
            _ => Role::Other,
        };
        if role == Role::Root {
            self.end_root_key(start);
            self.root_key = Some((key.clone(), start));
        }
        let field = match (role, key.as_ref()) {
            (Role::Root, "apiVersion") => Some(Field::RootApiVersion),
            (Role::Root, "kind") => Some(Field::RootKind),
            (Role::Item, "apiVersion") => Some(Field::ApiVersion),
            (Role::Item, "kind") => Some(Field::Kind),
            (Role::Metadata, "name") => Some(Field::Name),
            _ => None,
        };
        let line = &self.bytes[start..end];
        let column = after + line[after..].iter().take_while(|b| **b == b' ').count();
        if column == line.len() || line[column] == b'#' {
            if column < line.len() && column == after {
                return Err(Unsupported);
            }
            if field.is_some() {
                self.field_not_string(field)?;
            }
            self.pending = Some(Pending {
                indent,
                allow_indentless: true,
                role: child,
            });
            return Ok(());
        }
        match child {
            Role::Items => {
                // `items: []` only; any other inline value goes to the full parser.
                if &line[column..] != b"[]" {
                    return Err(Unsupported);
                }
                self.count()?;
                return Ok(());
            }
            Role::Metadata | Role::Labels | Role::Annotations
                if &line[column..] != b"{}" || child == Role::Metadata =>
            {
                self.current_item()?.needs_value = true;
            }
            _ => {}
        }
        self.value(start, end, column, indent, field)
    }

    /// Ends the span of the root key being read (`functionConfig` is kept for the full parser).
    fn end_root_key(&mut self, at: usize) {
        if let Some((key, start)) = self.root_key.take() {
            if key == "functionConfig" {
                self.out.function_config = Some((start, at));
            }
        }
    }

    /// Records a field whose value is not a one-line string.
    fn field_not_string(&mut self, field: Option<Field>) -> Step {
        match field {
            Some(Field::RootApiVersion | Field::RootKind) => Err(Unsupported),
            Some(_) => {
                self.current_item()?.needs_value = true;
                Ok(())
            }
            None => Ok(()),
        }
    }

    fn record(&mut self, field: Option<Field>, scalar: Scalar) -> Step {
        let Some(field) = field else { return Ok(()) };
        if scalar.style == Style::Plain && !plain_is_string(scalar.text(self.text)) {
            return self.field_not_string(Some(field));
        }
        let slot = match field {
            Field::RootApiVersion => &mut self.out.api_version,
            Field::RootKind => &mut self.out.kind,
            Field::ApiVersion => {
                let present = !decode(self.text, scalar).is_empty();
                self.current_item()?.api_version = present;
                return Ok(());
            }
            Field::Kind => &mut self.current_item()?.kind,
            Field::Name => &mut self.current_item()?.name,
        };
        *slot = Some(scalar);
        Ok(())
    }

    /// An inline value starting at `column`; `parent` is the column of the collection it
    /// belongs to (a block scalar's lines must be indented more).
    fn value(
        &mut self,
        start: usize,
        end: usize,
        column: usize,
        parent: usize,
        field: Option<Field>,
    ) -> Step {
        self.count()?;
        let line = &self.bytes[start..end];
        let rest = &line[column..];
        match rest[0] {
            b'|' | b'>' => {
                let header = rest[1..]
                    .iter()
                    .position(|b| *b == b' ')
                    .map_or(&rest[1..], |p| &rest[1..1 + p]);
                if !matches!(header, b"" | b"-" | b"+") {
                    return Err(Unsupported);
                }
                let after = 1 + header.len();
                if !comment_or_end(&rest[after..]) {
                    return Err(Unsupported);
                }
                self.field_not_string(field)?;
                self.block = Some(BlockScalar {
                    min: parent + 1,
                    content: None,
                    max_blank: 0,
                });
                Ok(())
            }
            b'"' | b'\'' => {
                let (scalar, after) = quoted(line, column, start).ok_or(Unsupported)?;
                if !comment_or_end(&line[after..]) {
                    return Err(Unsupported);
                }
                self.record(field, scalar)
            }
            b'[' | b'{' => {
                let (after, scalars) = flow(line, column).ok_or(Unsupported)?;
                self.nodes += scalars;
                if self.nodes > MAX_NODES {
                    return Err(Unsupported);
                }
                if !comment_or_end(&line[after..]) {
                    return Err(Unsupported);
                }
                self.field_not_string(field)
            }
            _ => {
                let (from, to, ends_key) = plain(line, column).ok_or(Unsupported)?;
                if ends_key {
                    return Err(Unsupported);
                }
                self.record(field, Scalar::new(start + from, start + to, Style::Plain))
            }
        }
    }

    /// The key at `column` of the line, decoded, and the column after its `:`; `None` when the
    /// line holds no key there.
    fn key_at(
        &self,
        start: usize,
        end: usize,
        column: usize,
    ) -> Step<Option<(Cow<'a, str>, usize)>> {
        let text: &'a str = self.text;
        let line = &self.bytes[start..end];
        let (scalar, after) = match line[column] {
            b'"' | b'\'' => {
                let (scalar, after) = quoted(line, column, start).ok_or(Unsupported)?;
                let after = after + line[after..].iter().take_while(|b| **b == b' ').count();
                if line.get(after) != Some(&b':') {
                    return Ok(None);
                }
                (scalar, after)
            }
            b'[' | b'{' | b'?' | b'!' | b'&' | b'*' => return Ok(None),
            _ => {
                let Some((from, to, ends_key)) = plain(line, column) else {
                    return Ok(None);
                };
                if !ends_key {
                    return Ok(None);
                }
                let colon = to + line[to..].iter().take_while(|b| **b == b' ').count();
                let scalar = Scalar::new(start + from, start + to, Style::Plain);
                if !plain_is_string(scalar.text(text)) {
                    return Err(Unsupported);
                }
                (scalar, colon)
            }
        };
        // `:` must be followed by a space or the end of the line.
        if line.get(after + 1).is_some_and(|b| *b != b' ') {
            return Err(Unsupported);
        }
        if scalar.text(text).len() > MAX_KEY_BYTES {
            return Err(Unsupported);
        }
        Ok(Some((decode(text, scalar), after + 1)))
    }

    fn finish(&mut self, len: usize) -> Step {
        self.block = None;
        if let Some(pending) = self.pending.take() {
            self.null_value(pending.role)?;
        }
        if self.stack.is_empty() {
            return Err(Unsupported);
        }
        while !self.stack.is_empty() {
            self.close(len)?;
        }
        self.end_root_key(len);
        Ok(())
    }
}

#[derive(Debug, Clone, Copy)]
enum Field {
    RootApiVersion,
    RootKind,
    ApiVersion,
    Kind,
    Name,
}

/// Whether a line ends an opaque item whose dash is at column `dash`: content (not a comment)
/// indented no more than the dash. Lines of the item's own multi-line scalars and flow
/// collections are indented more, or the item fails to read alone and the whole list goes to
/// the full parser.
fn ends_item(line: &[u8], dash: usize) -> bool {
    let indent = line.iter().take_while(|b| **b == b' ').count();
    indent <= dash && indent < line.len() && line[indent] != b'#'
}

fn memchr_newline(bytes: &[u8], from: usize) -> Option<usize> {
    bytes[from..]
        .iter()
        .position(|b| *b == b'\n')
        .map(|p| from + p)
}

/// `-` at `column` followed by a space or the end of the line.
fn is_dash(line: &[u8], column: usize) -> bool {
    line.get(column) == Some(&b'-') && line.get(column + 1).is_none_or(|b| *b == b' ')
}

/// Only spaces, then the end of the line or a comment after at least one space.
fn comment_or_end(rest: &[u8]) -> bool {
    let spaces = rest.iter().take_while(|b| **b == b' ').count();
    spaces == rest.len() || (spaces > 0 && rest[spaces] == b'#')
}

/// A quoted scalar at `column` that closes on this line: its content and the column after it.
/// Double-quoted scalars may use the simple escapes only.
fn quoted(line: &[u8], column: usize, line_start: usize) -> Option<(Scalar, usize)> {
    let quote = line[column];
    let mut at = column + 1;
    while at < line.len() {
        match line[at] {
            b'\\' if quote == b'"' => {
                if !matches!(
                    line.get(at + 1)?,
                    b'0' | b'a'
                        | b'b'
                        | b't'
                        | b'n'
                        | b'v'
                        | b'f'
                        | b'r'
                        | b'e'
                        | b' '
                        | b'"'
                        | b'/'
                        | b'\\'
                ) {
                    return None;
                }
                at += 2;
            }
            b'\'' if quote == b'\'' && line.get(at + 1) == Some(&b'\'') => at += 2,
            q if q == quote => {
                let style = if quote == b'"' {
                    Style::Double
                } else {
                    Style::Single
                };
                let scalar = Scalar::new(line_start + column + 1, line_start + at, style);
                return Some((scalar, at + 1));
            }
            _ => at += 1,
        }
    }
    None
}

/// A plain scalar starting at `column`: its trimmed extent and whether a `: ` (or a final `:`)
/// ends it, making it a key. `None` when a plain scalar cannot start there.
fn plain(line: &[u8], column: usize) -> Option<(usize, usize, bool)> {
    let first = line[column];
    let next = line.get(column + 1).copied();
    match first {
        b'-' | b'?' | b':' if next.is_none_or(|b| b == b' ') => return None,
        b',' | b'[' | b']' | b'{' | b'}' | b'#' | b'&' | b'*' | b'!' | b'|' | b'>' | b'\''
        | b'"' | b'%' | b'@' | b'`' => return None,
        _ => {}
    }
    let trimmed = |end: usize| {
        end - line[column..end]
            .iter()
            .rev()
            .take_while(|b| **b == b' ')
            .count()
    };
    let mut at = column;
    while let Some(found) = line[at..].iter().position(|b| *b == b':' || *b == b'#') {
        at += found;
        if line[at] == b':' {
            if line.get(at + 1).is_none_or(|b| *b == b' ') {
                return Some((column, trimmed(at), true));
            }
        } else if at > column && line[at - 1] == b' ' {
            return Some((column, trimmed(at), false));
        }
        at += 1;
    }
    Some((column, trimmed(line.len()), false))
}

/// `[]`, `{}` or a one-line flow sequence of scalars at `column`: the column after it and
/// the number of scalars.
fn flow(line: &[u8], column: usize) -> Option<(usize, usize)> {
    let open = line[column];
    if line.get(column + 1) == Some(&if open == b'[' { b']' } else { b'}' }) {
        return Some((column + 2, 0));
    }
    if open != b'[' {
        return None;
    }
    let mut at = column + 1;
    let mut scalars = 0;
    loop {
        scalars += 1;
        at += line[at..].iter().take_while(|b| **b == b' ').count();
        match *line.get(at)? {
            b'"' | b'\'' => {
                let (_, after) = quoted(line, at, 0)?;
                at = after;
            }
            b',' | b'[' | b']' | b'{' | b'}' | b'#' | b'&' | b'*' | b'!' | b'|' | b'>' | b'%'
            | b'@' | b'`' | b'?' | b':' => return None,
            b'-' if line
                .get(at + 1)
                .is_none_or(|b| matches!(b, b' ' | b',' | b']')) =>
            {
                return None
            }
            _ => {
                let from = at;
                while at < line.len() && !matches!(line[at], b',' | b']') {
                    if matches!(line[at], b'[' | b'{' | b'}' | b'#' | b':') {
                        return None;
                    }
                    at += 1;
                }
                if at == from {
                    return None;
                }
            }
        }
        at += line[at..].iter().take_while(|b| **b == b' ').count();
        match *line.get(at)? {
            b',' => {
                at += 1;
                let next = at + line[at..].iter().take_while(|b| **b == b' ').count();
                if line.get(next) == Some(&b']') {
                    return None;
                }
            }
            b']' => return Some((at + 1, scalars)),
            _ => return None,
        }
    }
}

/// Whether a plain scalar reads as a string (not null, a boolean or a number) — exactly, by
/// the full parser's rules: words that start with a letter are strings unless they are
/// null or boolean words; anything else is asked of the parser.
fn plain_is_string(text: &str) -> bool {
    let Some(first) = text.bytes().next() else {
        return false;
    };
    if first.is_ascii_alphabetic() || first == b'_' || first == b'/' || first >= 0x80 {
        return !matches!(
            text,
            "null" | "Null" | "NULL" | "true" | "True" | "TRUE" | "false" | "False" | "FALSE"
        );
    }
    // The bounded reader (`limits`), not `serde_yaml_ng::from_str`: the same parser and the
    // same answer, without a second copy of serde_yaml_ng's value reader in the WebAssembly
    // builds.
    matches!(limits::read_document(text), Ok(Value::String(s)) if s == text)
}

/// The string a scanned scalar stands for.
fn decode(text: &str, scalar: Scalar) -> Cow<'_, str> {
    let raw = scalar.text(text);
    match scalar.style {
        Style::Plain => Cow::Borrowed(raw),
        Style::Single if raw.contains("''") => Cow::Owned(raw.replace("''", "'")),
        Style::Double if raw.contains('\\') => {
            let mut out = String::with_capacity(raw.len());
            let mut chars = raw.chars();
            while let Some(c) = chars.next() {
                if c != '\\' {
                    out.push(c);
                    continue;
                }
                out.push(match chars.next() {
                    Some('0') => '\0',
                    Some('a') => '\u{7}',
                    Some('b') => '\u{8}',
                    Some('t') => '\t',
                    Some('n') => '\n',
                    Some('v') => '\u{b}',
                    Some('f') => '\u{c}',
                    Some('r') => '\r',
                    Some('e') => '\u{1b}',
                    Some(other) => other, // ' ', '"', '/', '\\'
                    None => break,
                });
            }
            Cow::Owned(out)
        }
        _ => Cow::Borrowed(raw),
    }
}

/// The one-line string value of `key` in the block mapping.
fn block_value<'t>(text: &'t str, block: Block, key: &str) -> Option<Cow<'t, str>> {
    let bytes = text.as_bytes();
    let line_start = block_key_line(text, block, key)?;
    let end = memchr_newline(bytes, line_start).unwrap_or(bytes.len());
    let line = &bytes[line_start..end];
    let column = block.indent as usize;
    let after_key = match line[column] {
        b'"' | b'\'' => quoted(line, column, line_start)?.1,
        _ => plain(line, column)?.1,
    };
    let colon = after_key + line[after_key..].iter().take_while(|b| **b == b' ').count();
    if line.get(colon) != Some(&b':') {
        return None;
    }
    let at = colon + 1 + line[colon + 1..].iter().take_while(|b| **b == b' ').count();
    let scalar = match *line.get(at)? {
        b'"' | b'\'' => {
            let (scalar, after) = quoted(line, at, line_start)?;
            comment_or_end(&line[after..]).then_some(scalar)?
        }
        _ => {
            let (from, to, ends_key) = plain(line, at)?;
            if ends_key || !plain_is_string(&text[line_start + from..line_start + to]) {
                return None;
            }
            Scalar::new(line_start + from, line_start + to, Style::Plain)
        }
    };
    Some(decode(text, scalar))
}

/// Whether the block mapping has `key` among its keys.
fn block_has_key(text: &str, block: Block, key: &str) -> bool {
    block_key_line(text, block, key).is_some()
}

/// Where the line of `key` in the block mapping starts.
fn block_key_line(text: &str, block: Block, key: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let (mut at, block_end, block_indent) = (
        block.start as usize,
        block.end as usize,
        block.indent as usize,
    );
    while at < block_end {
        let end = memchr_newline(bytes, at).map_or(block_end, |e| e.min(block_end));
        let line = &bytes[at..end];
        let indent = line.iter().take_while(|b| **b == b' ').count();
        if indent == block_indent
            && indent < line.len()
            && line[indent] != b'#'
            && !is_dash(line, indent)
        {
            let found = match line[indent] {
                b'"' | b'\'' => quoted(line, indent, at).map(|(s, _)| s),
                _ => plain(line, indent)
                    .map(|(from, to, _)| Scalar::new(at + from, at + to, Style::Plain)),
            };
            if found.is_some_and(|s| decode(text, s) == key) {
                return Some(at);
            }
        }
        at = end + 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::super::from_value;
    use super::*;

    /// The full parser's reading of `text`, as `parse` does it without the fast path.
    fn full(text: &str) -> Option<ResourceList> {
        from_value(limits::read_document(text).ok()?).ok()
    }

    /// The property the fast path rests on: whatever it accepts, the full parser reads the
    /// same way (items, functionConfig, version), and the written text reads back the same.
    fn agrees(text: &str) -> bool {
        let Some(fast) = scan(text) else {
            return false;
        };
        let Some(expected) = full(text) else {
            panic!("the scanner accepted what the full parser rejects:\n{text}");
        };
        // What the function may ask of the items still held as text.
        let source = fast.source.as_ref().expect("source");
        let expected_values: Vec<&Value> = expected.values().collect();
        for (item, value) in fast.items.iter().zip(expected_values) {
            let Item::Source { index, value: None } = item else {
                assert_eq!(item.value(), Some(value), "{text}");
                continue;
            };
            let view = source.view(*index).expect("view");
            let field = |path: &[&str]| {
                let mut v = Some(value);
                for p in path {
                    v = v.and_then(|v| v.get(p));
                }
                v.and_then(Value::as_str).map(str::to_string)
            };
            let got = |s: Option<Cow<'_, str>>| s.map(|s| s.into_owned());
            assert_eq!(got(view.kind()), field(&["kind"]), "{text}");
            assert_eq!(got(view.name()), field(&["metadata", "name"]), "{text}");

            {
                let (map, has) = ("labels", |k: &str| view.has_label(k));
                let keys: Vec<String> = value
                    .get("metadata")
                    .and_then(|m| m.get(map))
                    .and_then(Value::as_mapping)
                    .map(|m| {
                        m.keys()
                            .filter_map(|k| k.as_str().map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default();
                for key in &keys {
                    assert!(has(key), "{map} {key:?} not found:\n{text}");
                }
                for absent in ["app", "x/y", "app.kubernetes.io/managed-by"] {
                    if !keys.iter().any(|k| k == absent) {
                        assert!(!has(absent), "{map} {absent:?} found:\n{text}");
                    }
                }
            }
        }
        // Written as text (references copied), the list reads back as the full parser's.
        let written = fast.to_yaml();
        let back = full(&written)
            .unwrap_or_else(|| panic!("output unreadable:\n{written}\nfrom:\n{text}"));
        assert_eq!(back.items, expected.items, "{text}\n=> {written}");
        assert_eq!(back.function_config, expected.function_config, "{text}");
        assert_eq!(
            fast.clone().into_yaml(),
            written,
            "in place differs:\n{text}"
        );
        let mut all = fast;
        all.read(|_| true);
        let all_values: Vec<&Value> = all.values().collect();
        assert_eq!(all_values, expected.values().collect::<Vec<_>>(), "{text}");
        assert_eq!(all.function_config, expected.function_config);
        assert_eq!(all.api_version, expected.api_version);
        true
    }

    const KPT: &str = "apiVersion: config.kubernetes.io/v1
kind: ResourceList
items:
- # a comment
  apiVersion: v1
  kind: ConfigMap
  metadata:
    name: settings # trailing
    namespace: default
    annotations:
      config.kubernetes.io/index: '0'
      config.kubernetes.io/path: 'cm.yaml'
      internal.config.kubernetes.io/id: '1'
  data:
    enabled: \"yes\"
    script: |
      #!/bin/sh

      echo hi
    folded: >-
      a
      b
    list: [a, b]
    empty: {}
- apiVersion: apps/v1
  kind: Deployment
  metadata:
    name: web
    labels:
      app.kubernetes.io/managed-by: someone
      \"quoted/key\": 'it''s'
  spec:
    template:
      spec:
        containers:
        - name: web
          image: nginx
          args: [\"--port\", \"8080\", '-v']
          env:
            - name: A
              value: \"a\\tb\"
functionConfig:
  apiVersion: monitoring-stack.dev/v1alpha1
  kind: MonitoringStack
  metadata:
    name: main
  spec:
    grafana:
      hostname: grafana.example.com
";

    #[test]
    fn reads_what_kpt_sends() {
        assert!(agrees(KPT));
        let list = scan(KPT).expect("fast path");
        assert!(list
            .items
            .iter()
            .all(|i| matches!(i, Item::Source { value: None, .. })));
        // Unchanged items come back as their text, comments and quoting included.
        let out = list.to_yaml();
        assert!(out.contains("- # a comment\n  apiVersion: v1\n"), "{out}");
        assert!(
            out.contains("      config.kubernetes.io/index: '0'\n"),
            "{out}"
        );
        assert!(
            out.contains("args: [\"--port\", \"8080\", '-v']\n"),
            "{out}"
        );
    }

    #[test]
    fn indented_items_move_to_column_zero() {
        let text = "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n  - apiVersion: v1\n    kind: ConfigMap\n    metadata:\n      name: a\n# between\n    data:\n      x: |\n        keep\n          this\n\n  - apiVersion: v1\n    kind: ConfigMap\n    metadata:\n      name: b\n";
        assert!(agrees(text));
        let out = scan(text).expect("fast path").to_yaml();
        assert!(
            out.contains("items:\n- apiVersion: v1\n  kind: ConfigMap\n"),
            "{out}"
        );
    }

    #[test]
    fn odd_identities_are_read_in_full() {
        for name in [
            "\"\"",
            "123",
            "true",
            "null",
            "",
            "[a]",
            "|\n      x",
            "'0'",
            "\"a\\\"b\"",
        ] {
            let text = format!("apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: {name}\n");
            agrees(&text);
        }
        let text = "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: \"\"\n";
        let list = scan(text).expect("fast path");
        assert!(list.items[0].value().is_some(), "read in full");
    }

    #[test]
    fn other_forms_go_to_the_full_parser() {
        let cases = [
            "{\"apiVersion\":\"config.kubernetes.io/v1\",\"kind\":\"ResourceList\",\"items\":[]}",
            "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n- apiVersion: v1\n  kind: A\n  kind: B\n",
            "---\napiVersion: config.kubernetes.io/v1\nkind: ResourceList\n",
            "apiVersion: config.kubernetes.io/v1\r\nkind: ResourceList\r\n",
            "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n- apiVersion: v1\n\tkind: A\n",
            "apiVersion: config.kubernetes.io/v1\nkind: List\nitems: []\n",
        ];
        for text in cases {
            assert!(scan(text).is_none(), "{text}");
        }
    }

    /// Per-item fallback: an item the scanner cannot follow is read alone and written back as
    /// its text; the items around it stay text too.
    /// An item's own error (a duplicate key, nesting past the limit) is reported as the full
    /// parser reports it for the whole list, without reading the whole list.
    #[test]
    fn an_items_own_error_is_the_whole_lists() {
        let deep = format!("{}{}", "[".repeat(120), "]".repeat(120));
        let bad_items = [
            "- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: b, name: c}\n".to_string(),
            "- apiVersion: v1\n  kind: Secret\n  metadata:\n    name: b\n  data: {x: 1}\n  data: {y: 2}\n".to_string(),
            format!("- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: b\n  data:\n    x: {deep}\n"),
        ];
        for indent in ["", "  "] {
            for bad in &bad_items {
                let items = [
                    "- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: a\n",
                    bad,
                    "- {apiVersion: v1, kind: ConfigMap, metadata: {name: z}}\n",
                ];
                let mut text =
                    "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n".to_string();
                for line in items.concat().lines() {
                    text.push_str(&format!("{indent}{line}\n"));
                }
                text.push_str("functionConfig:\n  kind: X\n");
                let expected =
                    limits::read_document(&text).expect_err("the full parser refuses it");
                let error = scan_checked(&text).expect_err("the item's own error");
                assert_eq!(error, expected, "{text}");
            }
        }
    }

    #[test]
    fn packed_identities_answer_what_they_hold() {
        let identity = Identity {
            kind: Some("ConfigMap".into()),
            name: None,
            labels: vec!["app".into(), String::new(), "x/y".into()],
            files: vec![
                (annotations::PATH.into(), "a/b.yaml".into()),
                (annotations::INDEX.into(), "3".into()),
            ],
        };
        let packed = Packed::new(&identity);
        assert_eq!(packed.kind(), Some("ConfigMap"));
        assert_eq!(packed.name(), None);
        assert_eq!(packed.labels().collect::<Vec<_>>(), ["app", "", "x/y"]);
        assert_eq!(packed.file(annotations::PATH), Some("a/b.yaml"));
        assert_eq!(packed.file(annotations::INDEX), Some("3"));
        assert_eq!(packed.file(annotations::LEGACY_PATH), None);
        let empty = Packed::new(&Identity::default());
        assert_eq!(
            (empty.kind(), empty.name(), empty.labels().count()),
            (None, None, 0)
        );
        assert_eq!(empty.file(annotations::PATH), None);
    }

    #[test]
    fn odd_items_are_read_alone_and_kept_as_text() {
        let head = "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n- apiVersion: v1\n  kind: A\n  metadata:\n    name: before\n";
        let tail = "- apiVersion: v1\n  kind: A\n  metadata:\n    name: after\n";
        for odd in [
            "- &a {apiVersion: v1, kind: A, metadata: {name: x, labels: {app: a}}}\n",
            "- apiVersion: v1\n  kind: A\n  metadata:\n    name: \"multi\n      line\"\n",
            "- apiVersion: v1\n  kind: A\n  metadata:\n    name: a\n  data:\n    x: plain\n      continued\n",
            "- apiVersion: v1\n  kind: A\n  metadata: &m\n    name: m\n  spec:\n    selector:\n      matchLabels: {<<: *m}\n    n: [1_000, 0755, yes, 1e3, 0o17]\n",
            "- {\"apiVersion\": \"v1\", \"kind\": \"A\",\n   \"metadata\": {\"name\": \"json\"}}\n",
        ] {
            let text = format!("{head}{odd}{tail}");
            assert!(agrees(&text), "{text}");
            let list = scan(&text).expect("fast path");
            assert!(list
                .items
                .iter()
                .all(|i| matches!(i, Item::Source { value: None, .. })));
            let out = list.to_yaml();
            assert!(out.contains(odd), "{out}");
        }
        // An alias to another item's anchor does not read alone: its value comes from the whole
        // list, and the items are still written as their text.
        let text = format!("{head}  spec: &s {{a: 1}}\n- apiVersion: v1\n  kind: A\n  metadata:\n    name: b\n  spec: *s\n");
        assert!(agrees(&text), "{text}");
        let list = scan(&text).expect("fast path");
        assert!(list.shares_anchors());
        assert!(list.to_yaml().contains("  spec: *s\n"));
    }

    #[test]
    fn character_check_matches_its_definition() {
        fn reference(text: &str) -> Option<bool> {
            let mut tabs = false;
            for c in text.chars() {
                match c {
                    '\t' => tabs = true,
                    '\n' => {}
                    '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}' => return None,
                    '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{fffe}' | '\u{ffff}' => return None,
                    _ => {}
                }
            }
            Some(tabs)
        }
        let pieces = [
            "a",
            "key: value\n",
            " ",
            "\n",
            "\t",
            "\r",
            "\u{7f}",
            "\u{85}",
            "\u{a0}",
            "é",
            "\u{2028}",
            "\u{2029}",
            "\u{feff}",
            "\u{fffd}",
            "\u{fffe}",
            "日本",
            "🚀",
            "\u{1}",
            "~",
            "01234567",
        ];
        let mut rng = Rng(7);
        for _ in 0..20_000 {
            let text: String = (0..rng.below(12))
                .map(|_| pieces[rng.below(pieces.len())])
                .collect();
            assert_eq!(
                check_characters(text.as_bytes()),
                reference(&text),
                "{text:?}"
            );
        }
    }

    /// A small deterministic generator (xorshift) for the mutation test.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    /// Random edits of YAML-significant characters: whatever the scanner still accepts must
    /// read exactly as the full parser reads it.
    #[test]
    fn mutated_inputs_agree_with_the_full_parser() {
        const PIECES: &[&str] = &[
            " ",
            "  ",
            "-",
            "- ",
            ":",
            ": ",
            "#",
            " #",
            "\"",
            "'",
            "|",
            ">",
            "|-",
            "[",
            "]",
            "{",
            "}",
            ",",
            "\n",
            "\n  ",
            "\n- ",
            "a",
            "1",
            "\t",
            "&",
            "*",
            "!",
            "\\",
            "''",
            "?",
            "%",
            "name: x\n",
            "  labels:\n    a: b\n",
            "\n---\n",
            "é",
            "0x1",
            "~",
            "null",
            "true",
        ];
        let bases = [
            KPT.to_string(),
            KPT.replace("\n- ", "\n  - ").replace("\n  ", "\n    "),
        ];
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let (mut accepted, mut total, mut readable) = (0, 0, 0);
        let rounds = std::env::var("SOURCE_MUTATION_ROUNDS")
            .ok()
            .and_then(|r| r.parse().ok())
            .unwrap_or(3000);
        for round in 0..rounds {
            let base = &bases[round % bases.len()];
            let mut text = base.clone();
            for _ in 0..1 + rng.below(3) {
                let mut at = rng.below(text.len() + 1);
                while !text.is_char_boundary(at) {
                    at -= 1;
                }
                let piece = PIECES[rng.below(PIECES.len())];
                match rng.below(3) {
                    0 => text.insert_str(at, piece),
                    1 => {
                        let mut end = (at + 1 + rng.below(4)).min(text.len());
                        while !text.is_char_boundary(end) {
                            end += 1;
                        }
                        text.replace_range(at..end, "");
                    }
                    _ => {
                        let mut end = (at + piece.len()).min(text.len());
                        while !text.is_char_boundary(end) {
                            end += 1;
                        }
                        text.replace_range(at..end, piece);
                    }
                }
            }
            total += 1;
            readable += usize::from(full(&text).is_some());
            if agrees(&text) {
                accepted += 1;
            }
        }
        eprintln!("fast path took {accepted} of {total} mutated lists ({readable} readable)");
        assert!(
            accepted > total / 10 && accepted < readable,
            "{accepted} of {readable}"
        );
    }
}
