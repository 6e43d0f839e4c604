//! Streaming passes over a document's parser events: what the full reader
//! ([`limits`](super::limits)) would find, without the memory it needs.
//!
//! serde_yaml_ng reads all events of a document into memory before it builds a value (about
//! 150 bytes an event: a 9 MB document of aliases held about 800 MB before its node budget stopped
//! it), and a value tree costs more again. These passes pull the same parser's events one at a
//! time and keep only what is open (the collections around the current event, the anchors):
//!
//! - [`expansion`] counts the nodes a document expands to, an alias counting the nodes of its
//!   anchor at every use, and stops at the first node past the budget: the full reader's
//!   node-budget error, found before any large allocation.
//! - [`probe`] reads chosen scalars and mapping keys of a document without building its value,
//!   and says whether the full reader would read it without error; it declines (`None`)
//!   whenever that is not certain (aliases, tags, merge keys, complex keys, limits near), and the
//!   caller then reads the document in full.

use super::depth_guard::{EventKind, Parser};
use super::limits::{self, MAX_DEPTH, MAX_TEXT_BYTES};
use super::path::Segment;
use serde_yaml_ng::Value;
use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};

/// Where the expansion of a document passed the node budget.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exceeded {
    /// 0-based index of the document in the stream.
    pub document: usize,
    /// 1-based, as the full reader reports locations.
    pub line: usize,
    pub column: usize,
    /// The path to the node (keys and indexes), at most `path_segments` long.
    pub path: Vec<Segment<String>>,
}

/// What a node expands to: the full reader's counts for it, every alias inside expanded.
#[derive(Debug, Clone, Copy, Default)]
struct Size {
    nodes: u64,
    /// Alias uses (the reader's "jumps", limited to 100 per event of the document).
    jumps: u64,
    /// Scalar bytes (an upper bound of the reader's string bytes).
    text: u64,
    /// Levels of collections, the node's own included.
    depth: usize,
}

/// One open collection of [`expansion`].
struct Open {
    /// The totals when the collection started (before its own node).
    before: Size,
    /// Its deepest level so far, absolute.
    deepest: usize,
    anchor: Option<Box<[u8]>>,
    cursor: Cursor<String>,
    /// Hashes of its keys, for the full reader's duplicate-key error (until the budget is past).
    keys: HashSet<u64>,
}

/// Where both passes are inside an open collection: the entry of a mapping (its key once read,
/// and whether the key or the value comes next) or the element of a sequence.
struct Cursor<K> {
    mapping: bool,
    reading_key: bool,
    key: Option<K>,
    index: usize,
}

impl<K> Cursor<K> {
    fn new(mapping: bool) -> Self {
        Cursor {
            mapping,
            reading_key: true,
            key: None,
            index: 0,
        }
    }

    /// Whether the next node is a mapping's key.
    fn in_key(&self) -> bool {
        self.mapping && self.reading_key
    }

    fn child_done(&mut self) {
        if self.mapping {
            if !self.reading_key {
                self.key = None;
            }
            self.reading_key = !self.reading_key;
        } else {
            self.index += 1;
        }
    }
}

impl Open {
    fn segment(&self) -> Segment<String> {
        if self.cursor.mapping {
            Segment::Key(self.cursor.key.clone().unwrap_or_default())
        } else {
            Segment::Index(self.cursor.index)
        }
    }
}

/// Counts the nodes each document of `text` expands to (scalars, sequences and mappings, an
/// alias counting its anchor's nodes at every use, as the full reader counts them, over the
/// whole stream) and finds the first node past `budget`. `Err` only when the full reader is
/// certain to report exactly that: no error of its own comes first (a duplicate key, a tag, a
/// complex key, an alias to an unknown or unfinished anchor, the text or nesting limits, or its
/// limit of 100 alias uses per event, which the pass checks once the document's events are
/// counted); anything uncertain, a syntax error included, is left to the full reader (`Ok`).
/// Memory: the open collections and one size per anchor, never the document's events.
pub fn expansion(text: &str, budget: usize, path_segments: usize) -> Result<(), Exceeded> {
    let Some(mut parser) = Parser::new(text.as_bytes()) else {
        return Ok(());
    };
    let budget = budget as u64;
    let mut open: Vec<Open> = Vec::new();
    let mut anchors: HashMap<Box<[u8]>, Size> = HashMap::new();
    // Nodes and text over the stream; jumps, events and depth per document.
    let mut total = Size::default();
    let mut events: u64 = 0;
    let mut deepest = 0usize;
    let mut document = 0;
    // Where the budget was passed, with the document's jumps, the text and the depth then.
    let mut past: Option<(Exceeded, u64, u64, usize)> = None;
    loop {
        let want_text = past.is_none() && open.last().is_some_and(|o| o.cursor.in_key());
        let event = parser.event(want_text);
        let end_of_document = match &event {
            None => true,
            Some(e) => matches!(e.kind, EventKind::DocumentEnd | EventKind::StreamEnd),
        };
        if end_of_document {
            if let Some((exceeded, jumps, text, depth)) = past {
                let certain = jumps <= events.saturating_mul(100)
                    && text <= MAX_TEXT_BYTES as u64
                    && depth <= MAX_DEPTH;
                return if certain { Err(exceeded) } else { Ok(()) };
            }
        }
        let Some(event) = event else {
            return Ok(());
        };
        let size = match event.kind {
            EventKind::StreamEnd => return Ok(()),
            EventKind::StreamStart | EventKind::DocumentStart => continue,
            EventKind::DocumentEnd => {
                document += 1;
                open.clear();
                anchors.clear();
                total.jumps = 0;
                events = 0;
                deepest = 0;
                continue;
            }
            EventKind::Scalar => Size {
                nodes: 1,
                jumps: 0,
                text: event.length as u64,
                depth: 0,
            },
            EventKind::Alias => {
                let Some(size) = event.anchor.as_ref().and_then(|a| anchors.get(a)) else {
                    return Ok(()); // unknown, or not complete yet: the reader's to report
                };
                Size {
                    jumps: size.jumps + 1,
                    ..*size
                }
            }
            EventKind::SequenceStart | EventKind::MappingStart => Size {
                nodes: 1,
                depth: 1,
                ..Size::default()
            },
            EventKind::SequenceEnd | EventKind::MappingEnd => {
                events += 1;
                if let Some(done) = open.pop() {
                    if let Some(anchor) = done.anchor {
                        let size = Size {
                            nodes: total.nodes - done.before.nodes,
                            jumps: total.jumps - done.before.jumps,
                            text: total.text - done.before.text,
                            depth: done.deepest - open.len(),
                        };
                        anchors.insert(anchor, size);
                    }
                    if let Some(parent) = open.last_mut() {
                        parent.deepest = parent.deepest.max(done.deepest);
                        parent.cursor.child_done();
                    }
                }
                continue;
            }
        };
        events += 1;
        if past.is_none() {
            let in_key = open.last().is_some_and(|o| o.cursor.in_key());
            // What the reader may report before the budget: leave it to the reader.
            if event.tagged || (in_key && event.kind != EventKind::Scalar) {
                return Ok(());
            }
            if in_key {
                let key = event.text.as_deref().unwrap_or_default();
                let Some(value) = scalar_value(key, event.plain) else {
                    return Ok(());
                };
                if let Some(parent) = open.last_mut() {
                    if !parent.keys.insert(hash(&value)) {
                        return Ok(());
                    }
                }
            }
        }
        let level = open.len();
        deepest = deepest.max(level + size.depth);
        let before = total;
        total.nodes = total.nodes.saturating_add(size.nodes);
        total.jumps = total.jumps.saturating_add(size.jumps);
        total.text = total.text.saturating_add(size.text);
        if past.is_none() && total.nodes > budget {
            let mut path: Vec<Segment<String>> = open.iter().map(Open::segment).collect();
            path.truncate(path_segments);
            let exceeded = Exceeded {
                document,
                line: event.line + 1,
                column: event.column + 1,
                path,
            };
            past = Some((exceeded, total.jumps, total.text, deepest));
        }
        if let Some(parent) = open.last_mut() {
            parent.deepest = parent.deepest.max(level + size.depth);
        }
        match event.kind {
            EventKind::SequenceStart | EventKind::MappingStart => {
                // The anchor names this node only once it is complete (an alias inside it is
                // the reader's to refuse), and no longer names an earlier node of that name.
                if let Some(anchor) = &event.anchor {
                    anchors.remove(anchor);
                }
                open.push(Open {
                    before,
                    deepest: level + 1,
                    anchor: event.anchor,
                    cursor: Cursor::new(event.kind == EventKind::MappingStart),
                    keys: HashSet::new(),
                });
            }
            _ => {
                if let (EventKind::Scalar, Some(anchor)) = (event.kind, event.anchor) {
                    anchors.insert(anchor, size);
                }
                if let Some(parent) = open.last_mut() {
                    if parent.cursor.in_key() {
                        parent.cursor.key = event.text;
                    }
                    parent.cursor.child_done();
                }
            }
        }
    }
}

/// One step of a path [`probe`] is asked about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step<'a> {
    Key(&'a str),
    Index(usize),
}

/// What the full reader would hold at a path.
#[derive(Debug, Clone, PartialEq)]
pub enum Found {
    /// A scalar read as a string.
    String(String),
    /// A mapping: its keys that are strings.
    Mapping(Vec<String>),
    /// A sequence: its length.
    Sequence(usize),
    /// Another scalar (number, boolean, null).
    Other,
}

/// A collection open while probing: its keys so far (hashes of the values the full reader
/// would read them as, to find a duplicate as it does), and the step to its current child.
struct ProbeOpen {
    cursor: Cursor<Value>,
    keys: HashSet<u64>,
    /// Index in `wanted` of the path this collection is at, when one is.
    at: Option<usize>,
    /// String keys of a wanted mapping.
    found_keys: Vec<String>,
}

/// Reads the nodes at the `wanted` paths of the single document `text` without building its
/// value: `Some(found)`, one entry per path (`None` where nothing is), only when the full reader
/// ([`limits::read_document`]) reads the document without error and would hold exactly these
/// there. `None` when that is not certain: aliases, tags, merge keys (`<<`), complex keys,
/// several documents, a syntax error, or nesting, nodes or text near a limit. The node budget
/// is the one for `text`'s size.
pub fn probe(text: &str, wanted: &[&[Step<'_>]]) -> Option<Vec<Option<Found>>> {
    let mut parser = Parser::new(text.as_bytes())?;
    let budget = limits::node_budget(text.len());
    let deepest = wanted.iter().map(|p| p.len()).max().unwrap_or(0);
    let mut found: Vec<Option<Found>> = vec![None; wanted.len()];
    let mut open: Vec<ProbeOpen> = Vec::new();
    let mut nodes = 0usize;
    let mut text_bytes = 0usize;
    let mut documents = 0;
    loop {
        let event = parser.event(true)?;
        match event.kind {
            EventKind::StreamStart | EventKind::DocumentEnd => continue,
            EventKind::DocumentStart => {
                documents += 1;
                if documents > 1 {
                    return None;
                }
                continue;
            }
            EventKind::StreamEnd => return (documents == 1).then_some(found),
            EventKind::Alias => return None,
            EventKind::SequenceEnd | EventKind::MappingEnd => {
                let done = open.pop()?;
                if let Some(at) = done.at {
                    found[at] = Some(if done.cursor.mapping {
                        Found::Mapping(done.found_keys)
                    } else {
                        Found::Sequence(done.cursor.index)
                    });
                }
                if let Some(parent) = open.last_mut() {
                    parent.cursor.child_done();
                }
                continue;
            }
            EventKind::Scalar | EventKind::SequenceStart | EventKind::MappingStart => {}
        }
        if event.tagged {
            return None;
        }
        nodes += 1;
        if nodes > budget || open.len() + 2 > MAX_DEPTH {
            return None;
        }
        let in_key = open.last().is_some_and(|o| o.cursor.in_key());
        let at = if in_key || open.len() > deepest {
            None
        } else {
            wanted.iter().position(|path| at_path(path, &open))
        };
        if event.kind != EventKind::Scalar {
            if in_key {
                return None; // a complex key
            }
            open.push(ProbeOpen {
                cursor: Cursor::new(event.kind == EventKind::MappingStart),
                keys: HashSet::new(),
                at,
                found_keys: Vec::new(),
            });
            continue;
        }
        text_bytes += event.length;
        if text_bytes > MAX_TEXT_BYTES / 2 {
            return None;
        }
        let text = event.text.as_deref().unwrap_or_default();
        if in_key {
            // `<<` is a merge key to Go's readers (the value would change); the function
            // resolves merge keys on any key `<<`, quoted or not.
            if text == "<<" {
                return None;
            }
            let key = scalar_value(text, event.plain)?;
            let parent = open.last_mut()?;
            if !parent.keys.insert(hash(&key)) {
                return None; // a duplicate key (or two keys of one hash): the reader decides
            }
            if let (Some(_), Value::String(name)) = (parent.at, &key) {
                parent.found_keys.push(name.clone());
            }
            parent.cursor.key = Some(key);
        } else if let Some(at) = at {
            found[at] = Some(match scalar_value(text, event.plain)? {
                Value::String(s) => Found::String(s),
                _ => Found::Other,
            });
        }
        if let Some(parent) = open.last_mut() {
            parent.cursor.child_done();
        }
    }
}

/// Whether the node about to be read (a value, not a key) is at `path`.
fn at_path(path: &[Step<'_>], open: &[ProbeOpen]) -> bool {
    path.len() == open.len()
        && path.iter().zip(open).all(|(step, o)| match step {
            Step::Key(key) => {
                o.cursor.mapping && o.cursor.key.as_ref().and_then(Value::as_str) == Some(key)
            }
            Step::Index(index) => !o.cursor.mapping && o.cursor.index == *index,
        })
}

/// The value the full reader reads an untagged scalar as (`None` when not certain).
fn scalar_value(text: &str, plain: bool) -> Option<Value> {
    if !plain {
        return Some(Value::String(text.to_string()));
    }
    // A plain scalar starting with a letter is a string unless it is a null or a boolean.
    let letter = text.bytes().next().is_some_and(|b| b.is_ascii_alphabetic());
    let reserved = matches!(
        text,
        "null" | "Null" | "NULL" | "true" | "True" | "TRUE" | "false" | "False" | "FALSE"
    );
    if letter && !reserved {
        return Some(Value::String(text.to_string()));
    }
    // Otherwise the full reader resolves it (numbers, null, `~`, ...), on its own text.
    match limits::read_document(text) {
        Ok(value @ (Value::Null | Value::Bool(_) | Value::Number(_))) => Some(value),
        Ok(Value::String(s)) if s == text => Some(Value::String(s)),
        _ => None,
    }
}

fn hash(value: &Value) -> u64 {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    value.hash(&mut hasher);
    hasher.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(text: &str) -> Option<Vec<Option<Found>>> {
        probe(
            text,
            &[
                &[Step::Key("kind")],
                &[Step::Key("metadata"), Step::Key("name")],
                &[Step::Key("metadata"), Step::Key("labels")],
                &[Step::Key("list")],
                &[Step::Key("list"), Step::Index(1)],
            ],
        )
    }

    #[test]
    fn probe_reads_what_the_full_reader_holds() {
        let text = "kind: 'Blob'\nmetadata: {name: a, labels: {x: 1, \"y\": 2, 3: z}}\nlist: [1, [b], c]\nother: {k: [1, 2, 3]}\n";
        assert!(limits::read_document(text).is_ok());
        assert_eq!(
            all(text),
            Some(vec![
                Some(Found::String("Blob".into())),
                Some(Found::String("a".into())),
                Some(Found::Mapping(vec!["x".into(), "y".into()])),
                Some(Found::Sequence(3)),
                Some(Found::Sequence(1)),
            ])
        );
        // Not strings to the full reader: numbers, booleans, null.
        for (value, string) in [
            ("1", false),
            ("true", false),
            ("~", false),
            ("0x1f", false),
            ("1e3", false),
            ("012", true),
            ("a1", true),
            ("'1'", true),
            ("nulls", true),
        ] {
            let found = all(&format!("kind: {value}\n")).expect("probed");
            let full = limits::read_document(&format!("kind: {value}\n")).expect("read");
            assert_eq!(
                full.get("kind").and_then(Value::as_str).is_some(),
                string,
                "{value}"
            );
            assert_eq!(
                matches!(found[0], Some(Found::String(_))),
                string,
                "{value}"
            );
        }
    }

    /// Whatever the full reader refuses, or could read differently, the probe declines.
    #[test]
    fn probe_declines_what_it_cannot_be_sure_of() {
        for text in [
            "a: 1\na: 2\n",                   // duplicate key
            "1: a\n0x1: b\n",                 // the same key as numbers
            "a: 1\n'a': 2\n",                 // the same key, quoted
            "a: &x [1]\nb: *x\n",             // an alias
            "kind: !t x\n",                   // a tag
            "metadata:\n  <<: {name: b}\n",   // a merge key
            "metadata:\n  '<<': {name: b}\n", // a quoted merge key (merged by the function)
            "? [a]\n: b\n",                   // a complex key
            "a: 1\n---\nb: 2\n",              // two documents
            "a: [1, 2\n",                     // a syntax error
        ] {
            assert_eq!(all(text), None, "{text}");
        }
        let deep = format!("a: {}{}\n", "[".repeat(99), "]".repeat(99));
        assert_eq!(all(&deep), None);
    }

    #[test]
    fn expansion_counts_aliases_at_every_use() {
        let text = "a: &a [x, x]\nb: [*a, *a, *a]\n";
        // 1 root + 2 keys + a (3) + b (1 + 3 * 3) = 16 nodes.
        assert_eq!(expansion(text, 16, 4), Ok(()));
        let error = expansion(text, 15, 4).unwrap_err();
        assert_eq!((error.line, error.column), (2, 13));
        assert_eq!(
            error.path,
            vec![Segment::Key("b".into()), Segment::Index(2)]
        );
        // A duplicate key before the budget is past is the reader's error to report.
        assert_eq!(
            expansion("a: 1\na: 2\nb: &b [x, x, x]\nc: [*b, *b]\n", 5, 4),
            Ok(())
        );
        // An alias inside its own anchor is the reader's to refuse.
        assert_eq!(expansion("a: &a [x, *a]\n", 1, 4), Ok(()));
    }
}
