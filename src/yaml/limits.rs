//! Bounded YAML reading: the limits one run of the function accepts, and a reader that enforces
//! them while it builds the [`Value`] tree.
//!
//! The function runs unattended in every GitOps pipeline of a cluster, on input it does not
//! control (any file of a kpt package, any resource of a kustomization). Whatever that input
//! holds, a run must end quickly with a result and never exhaust memory or the stack, so every
//! dimension that could grow without bound has a named limit, and an error that names it:
//!
//! | limit | value | what it stops |
//! |---|---|---|
//! | [`MAX_INPUT_BYTES`] | 256 MiB (`MONITORING_STACK_MAX_INPUT_BYTES`) | a huge input: checked before any parsing |
//! | [`MAX_DEPTH`] | 100 | `[[[[...` or block nesting that would exhaust the stack |
//! | [`MAX_NODES`] | 100,000 + 4 per input byte, at most 4,000,000, per document read in full | alias bombs ("billion laughs"): every use of an alias counts |
//! | [`MAX_TEXT_BYTES`] | 32 MiB per document read in full | an alias of a long string used many times |
//!
//! Aliases are expanded (kubectl, kustomize and kpt read them too), but an alias counts at
//! every use, so expansion cannot take more than an input without aliases could. A mapping may
//! not repeat a key: YAML forbids it and readers disagree on which copy wins.

use serde::de::{DeserializeSeed, Deserializer, EnumAccess, MapAccess, SeqAccess, VariantAccess};
use serde_yaml_ng::value::{Tag, TaggedValue};
use serde_yaml_ng::{Mapping, Value};
use std::fmt;

/// Largest input accepted by default, checked before parsing (`MONITORING_STACK_MAX_INPUT_BYTES`
/// sets another, [`max_input_bytes`]). A ResourceList holds the package's manifests: this
/// stack's output is about 150 KiB, real packages a few MiB, a package of 100,000 objects about
/// 40 MB. Items the function does not own stay text (`source.rs`, `json.rs`), so memory follows
/// the input (about twice its size) rather than the number of nodes; what must be read in full
/// is bounded by [`MAX_NODES`] and [`MAX_TEXT_BYTES`] whatever the input's size.
pub const MAX_INPUT_BYTES: usize = 256 << 20;

/// The environment variable that sets the input limit in bytes (the native binary and the
/// library; the WebAssembly builds have their own, fixed limit).
pub const MAX_INPUT_BYTES_VAR: &str = "MONITORING_STACK_MAX_INPUT_BYTES";

/// The input limit: [`MAX_INPUT_BYTES`], or the number of bytes in
/// `MONITORING_STACK_MAX_INPUT_BYTES` when it is set to one.
pub fn max_input_bytes() -> usize {
    static LIMIT: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *LIMIT.get_or_init(|| {
        std::env::var(MAX_INPUT_BYTES_VAR)
            .ok()
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(MAX_INPUT_BYTES)
    })
}

/// Deepest nesting of mappings and sequences, counting the document's root as level 1. The
/// deepest real objects are CRDs (the deepest in this stack's references, cert-manager's
/// ClusterIssuer, nests 38 levels; wrapped in a ResourceList, 40). Below the YAML parser's own
/// hard limit of 128 so that the error names this one.
pub const MAX_DEPTH: usize = 100;

/// Most YAML nodes (scalars, mappings, sequences) any document read in full may expand to,
/// aliases counted at every use: a list the fast paths cannot split, or one item of a list they
/// do split (each item is read alone). Block-style manifests average more than 8 bytes per node,
/// so a 32 MiB document without aliases stays below it.
pub const MAX_NODES: usize = 4_000_000;

/// The node budget of an input of `n` bytes is `NODE_BUDGET_BASE + NODES_PER_INPUT_BYTE * n`
/// (at most [`MAX_NODES`]). Text without aliases holds at most about one node per byte
/// (`{a,b}`), so this leaves room for anchors reused a few times over (merge keys, shared
/// blocks) while an alias bomb stops after a few times its own size, in milliseconds, instead of
/// building millions of nodes first.
pub const NODE_BUDGET_BASE: usize = 100_000;
pub const NODES_PER_INPUT_BYTE: usize = 4;

/// The node budget of an input of `input_bytes` bytes.
pub fn node_budget(input_bytes: usize) -> usize {
    NODE_BUDGET_BASE
        .saturating_add(NODES_PER_INPUT_BYTE.saturating_mul(input_bytes))
        .min(MAX_NODES)
}

/// Most scalar text (keys and values, in bytes) a document read in full may expand to,
/// aliases counted at every use. Without aliases the text of the scalars never exceeds the
/// document's size, so this only stops an alias of a long string repeated many times.
pub const MAX_TEXT_BYTES: usize = 32 << 20;

/// Why the input could not be read: a message and, when the problem sits inside the document,
/// the field path of the node (`items[3].metadata.labels.app`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadError {
    pub message: String,
    pub path: Option<String>,
}

/// The size check every entry point makes before parsing.
pub fn check_size(input: &[u8]) -> Result<(), ReadError> {
    let limit = max_input_bytes();
    if input.len() > limit {
        return Err(ReadError {
            message: format!(
                "input is larger than the limit of {} MiB ({limit} bytes, {MAX_INPUT_BYTES_VAR}): \
                 a package of manifests is far smaller; nothing was read",
                limit >> 20
            ),
            path: None,
        });
    }
    Ok(())
}

/// Flow collections (`[`, `{`) this many or fewer cannot cost the parser noticeable time, so
/// [`check_nesting`] skips its extra pass; past it, deep flow nesting is quadratic.
const GUARD_FROM_FLOW_OPENINGS: usize = 1_000;

/// Refuses a stream nested deeper than [`MAX_DEPTH`] before the full reader sees it, in time
/// linear in its size (see [`super::depth_guard`]), with the message, location and path the
/// full reader gives. `stream`: whether documents are numbered in messages.
fn check_nesting(text: &str, stream: bool) -> Result<(), ReadError> {
    let openings = text.bytes().filter(|b| matches!(b, b'[' | b'{')).count();
    if openings <= GUARD_FROM_FLOW_OPENINGS {
        return Ok(());
    }
    let Err(deep) = super::depth_guard::check(text, MAX_DEPTH, 4) else {
        return Ok(());
    };
    let within = if stream && deep.document > 0 {
        format!(" in document {}", deep.document + 1)
    } else {
        String::new()
    };
    let path = deep.path;
    Err(ReadError {
        message: format!(
            "input nests mappings and sequences deeper than {MAX_DEPTH} levels (MAX_DEPTH){within} \
             (line {}, column {})",
            deep.line, deep.column
        ),
        path: (!path.is_empty()).then(|| format_path(&path)),
    })
}

/// Refuses a stream that expands past its node budget before the full reader holds its
/// events (see [`super::stream::expansion`]), with the message, location and path the full
/// reader gives. Only a text with an alias (`*`), or one long enough that the budget's cap is
/// below one node per byte, can expand past the budget.
#[cfg(not(feature = "streaming-limits"))]
fn check_expansion(_: &str, _: bool) -> Result<(), ReadError> {
    Ok(())
}

#[cfg(feature = "streaming-limits")]
fn check_expansion(text: &str, stream: bool) -> Result<(), ReadError> {
    let budget = node_budget(text.len());
    if text.len() < budget && !text.as_bytes().contains(&b'*') {
        return Ok(());
    }
    let Err(exceeded) = super::stream::expansion(text, budget, 4) else {
        return Ok(());
    };
    let within = if stream && exceeded.document > 0 {
        format!(" in document {}", exceeded.document + 1)
    } else {
        String::new()
    };
    Err(ReadError {
        message: format!(
            "{}{within} (line {}, column {})",
            node_budget_message(budget),
            exceeded.line,
            exceeded.column
        ),
        path: (!exceeded.path.is_empty()).then(|| format_path(&exceeded.path)),
    })
}

/// The error of a document past its node budget.
fn node_budget_message(budget: usize) -> String {
    format!(
        "input expands to more than {budget} YAML nodes (the budget is {NODE_BUDGET_BASE} + \
         {NODES_PER_INPUT_BYTE} per byte of input, at most MAX_NODES = {MAX_NODES}); an \
         alias counts at every use, so this stops alias bombs (\"billion laughs\")"
    )
}

/// Reads a stream that must hold exactly one YAML document.
pub fn read_document(text: &str) -> Result<Value, ReadError> {
    check_size(text.as_bytes())?;
    check_nesting(text, false)?;
    check_expansion(text, false)?;
    read_document_unguarded(text)
}

fn read_document_unguarded(text: &str) -> Result<Value, ReadError> {
    let mut state = State::new(text.len());
    let result =
        Node { state: &mut state }.deserialize(serde_yaml_ng::Deserializer::from_str(text));
    result.map_err(|error| state.error(error, text))
}

/// Reads every document of a stream (`---` separated), skipping empty ones. The limits apply to
/// the stream as a whole.
pub fn read_documents(text: &str) -> Result<Vec<Value>, ReadError> {
    check_size(text.as_bytes())?;
    check_nesting(text, true)?;
    check_expansion(text, true)?;
    read_documents_unguarded(text)
}

fn read_documents_unguarded(text: &str) -> Result<Vec<Value>, ReadError> {
    let mut state = State::new(text.len());
    let mut documents = Vec::new();
    for (index, document) in serde_yaml_ng::Deserializer::from_str(text).enumerate() {
        state.document = Some(index);
        match (Node { state: &mut state }).deserialize(document) {
            Ok(Value::Null) => {}
            Ok(value) => documents.push(value),
            Err(error) => return Err(state.error(error, text)),
        }
    }
    Ok(documents)
}

/// One step of a field path (also the depth guard's).
pub(super) type Segment = super::path::Segment<String>;

/// What one read has used so far, and the structured error when a limit was hit.
struct State {
    nodes: usize,
    node_budget: usize,
    text_bytes: usize,
    depth: usize,
    /// The document of a stream being read (for messages), `None` for a single document.
    document: Option<usize>,
    /// Our own error, with its path built innermost-first as it unwinds, and whether the path
    /// is reported in full (a duplicate key) or only its first steps (a limit).
    limit: Option<(String, Vec<Segment>, bool)>,
}

impl State {
    fn new(input_bytes: usize) -> State {
        State {
            nodes: 0,
            node_budget: node_budget(input_bytes),
            text_bytes: 0,
            depth: 0,
            document: None,
            limit: None,
        }
    }

    fn fail<E: serde::de::Error>(&mut self, message: String) -> E {
        self.limit = Some((message.clone(), Vec::new(), false));
        E::custom(message)
    }

    /// An error about one node, reported with its full path.
    fn fail_at<E: serde::de::Error>(&mut self, message: String) -> E {
        self.limit = Some((message.clone(), Vec::new(), true));
        E::custom(message)
    }

    /// Adds one step to the path of an error that is unwinding through a collection.
    fn unwind(&mut self, segment: Segment) {
        if let Some((_, path, _)) = &mut self.limit {
            path.push(segment);
        }
    }

    fn count_node<E: serde::de::Error>(&mut self, text_bytes: usize) -> Result<(), E> {
        self.nodes += 1;
        self.text_bytes += text_bytes;
        if self.nodes > self.node_budget {
            return Err(self.fail(node_budget_message(self.node_budget)));
        }
        if self.text_bytes > MAX_TEXT_BYTES {
            return Err(self.fail(format!(
                "input expands to more than {} MiB of text ({MAX_TEXT_BYTES} bytes, \
                 MAX_TEXT_BYTES); an alias counts at every use, so a long string cannot be \
                 repeated without bound",
                MAX_TEXT_BYTES >> 20
            )));
        }
        Ok(())
    }

    /// The error to report for a failed read: ours (with its path), or the parser's, with
    /// its message made clearer where the usual cause is known.
    fn error(&mut self, error: serde_yaml_ng::Error, text: &str) -> ReadError {
        let location = error
            .location()
            .map(|l| format!(" (line {}, column {})", l.line(), l.column()))
            .unwrap_or_default();
        let within = self
            .document
            .filter(|d| *d > 0)
            .map(|d| format!(" in document {}", d + 1))
            .unwrap_or_default();
        if let Some((message, mut path, full)) = self.limit.take() {
            path.reverse();
            if !full {
                // A size limit names where the expansion is, not the node it stopped at
                // (`items[0].data.b`, not `items[0].data.b[1331][2646]`).
                path.truncate(4);
            }
            return ReadError {
                message: format!("{message}{within}{location}"),
                path: (!path.is_empty()).then(|| format_path(&path)),
            };
        }
        let raw = error.to_string();
        let message = if raw.starts_with("recursion limit exceeded") {
            // The parser's own limit (tags count as levels there): report it as ours.
            format!("input nests mappings and sequences deeper than {MAX_DEPTH} levels (MAX_DEPTH){within}{location}")
        } else if raw.starts_with("repetition limit exceeded") {
            format!(
                "input uses YAML aliases too often (the parser allows 100 alias uses per event; \
                 MAX_NODES is {MAX_NODES}): an alias bomb{within}{location}"
            )
        } else {
            let mut message = format!("input is not valid YAML{within}: {raw}");
            if let Some(line) = error
                .location()
                .and_then(|l| text.lines().nth(l.line().saturating_sub(1)))
            {
                let indent: String = line.chars().take_while(|c| c.is_whitespace()).collect();
                if indent.contains('\t') {
                    message.push_str(
                        " (this line is indented with a tab: YAML indents with spaces only)",
                    );
                }
            }
            message
        };
        ReadError {
            message,
            path: None,
        }
    }
}

/// `items[3].metadata.labels.app`; keys that are not plain words are quoted
/// (`annotations["config.kubernetes.io/path"]`).
fn format_path(path: &[Segment]) -> String {
    super::path::format(path, super::path::Keys::Quoted)
}

/// A mapping key as a path step (non-scalar keys by their type).
fn key_segment(key: &Value) -> Segment {
    Segment::Key(match key {
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::Null => "null".into(),
        Value::Sequence(_) => "<sequence key>".into(),
        Value::Mapping(_) => "<mapping key>".into(),
        Value::Tagged(_) => "<tagged key>".into(),
    })
}

/// Builds one node (and everything below it), counting against the limits. Mirrors
/// `Value`'s own `Deserialize`, except that integers beyond 64 bits become floats (as Go's YAML
/// readers take them) instead of failing the whole input.
struct Node<'s> {
    state: &'s mut State,
}

impl<'de> DeserializeSeed<'de> for Node<'_> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for Node<'_> {
    type Value = Value;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("any YAML value")
    }

    fn visit_bool<E: serde::de::Error>(self, b: bool) -> Result<Value, E> {
        self.state.count_node(0)?;
        Ok(Value::Bool(b))
    }

    fn visit_i64<E: serde::de::Error>(self, i: i64) -> Result<Value, E> {
        self.state.count_node(0)?;
        Ok(Value::Number(i.into()))
    }

    fn visit_u64<E: serde::de::Error>(self, u: u64) -> Result<Value, E> {
        self.state.count_node(0)?;
        Ok(Value::Number(u.into()))
    }

    fn visit_i128<E: serde::de::Error>(self, i: i128) -> Result<Value, E> {
        self.state.count_node(0)?;
        Ok(Value::Number((i as f64).into()))
    }

    fn visit_u128<E: serde::de::Error>(self, u: u128) -> Result<Value, E> {
        self.state.count_node(0)?;
        Ok(Value::Number((u as f64).into()))
    }

    fn visit_f64<E: serde::de::Error>(self, f: f64) -> Result<Value, E> {
        self.state.count_node(0)?;
        Ok(Value::Number(f.into()))
    }

    fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Value, E> {
        self.state.count_node(s.len())?;
        Ok(Value::String(s.to_owned()))
    }

    fn visit_string<E: serde::de::Error>(self, s: String) -> Result<Value, E> {
        self.state.count_node(s.len())?;
        Ok(Value::String(s))
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<Value, E> {
        self.state.count_node(0)?;
        Ok(Value::Null)
    }

    fn visit_none<E: serde::de::Error>(self) -> Result<Value, E> {
        self.visit_unit()
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        self.deserialize(deserializer)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let state = self.state;
        state.count_node(0)?;
        enter(state)?;
        let mut items = Vec::new();
        loop {
            match seq.next_element_seed(Node { state: &mut *state }) {
                Ok(Some(item)) => items.push(item),
                Ok(None) => break,
                Err(error) => {
                    state.unwind(Segment::Index(items.len()));
                    return Err(error);
                }
            }
        }
        state.depth -= 1;
        Ok(Value::Sequence(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let state = self.state;
        state.count_node(0)?;
        enter(state)?;
        let mut mapping = Mapping::new();
        while let Some(key) = map.next_key_seed(Node { state: &mut *state })? {
            if mapping.contains_key(&key) {
                let message = format!(
                    "duplicate key {}: a mapping may hold each key once (YAML readers disagree \
                     on which copy wins)",
                    match &key {
                        Value::String(s) => format!("{s:?}"),
                        other => format!("{:?}", format_path(&[key_segment(other)])),
                    }
                );
                let error = state.fail_at(message);
                state.unwind(key_segment(&key));
                return Err(error);
            }
            match map.next_value_seed(Node { state: &mut *state }) {
                Ok(value) => {
                    mapping.insert(key, value);
                }
                Err(error) => {
                    state.unwind(key_segment(&key));
                    return Err(error);
                }
            }
        }
        state.depth -= 1;
        Ok(Value::Mapping(mapping))
    }

    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<Value, A::Error> {
        let state = self.state;
        let (tag, contents) = data.variant::<String>()?;
        if tag.is_empty() {
            return Err(state.fail_at("empty YAML tag".to_string()));
        }
        let value = contents.newtype_variant_seed(Node { state })?;
        Ok(Value::Tagged(Box::new(TaggedValue {
            tag: Tag::new(tag),
            value,
        })))
    }
}

/// One level deeper; fails past [`MAX_DEPTH`].
fn enter<E: serde::de::Error>(state: &mut State) -> Result<(), E> {
    state.depth += 1;
    if state.depth > MAX_DEPTH {
        return Err(state.fail(format!(
            "input nests mappings and sequences deeper than {MAX_DEPTH} levels (MAX_DEPTH)"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_value_reads() {
        let text = "a: [1, -2, 3.5, x, true, null, !t {b: c}]\n\"k.e/y\": |\n  line\n";
        let expected: Value = serde_yaml_ng::from_str(text).expect("yaml");
        assert_eq!(read_document(text).expect("read"), expected);
    }

    #[test]
    fn big_integers_become_floats() {
        let value = read_document("n: 100000000000000000000\n").expect("read");
        assert_eq!(value.get("n").and_then(Value::as_f64), Some(1e20));
    }

    /// The nesting guard reports exactly what the full reader would, only sooner.
    #[test]
    fn nesting_guard_reports_what_the_reader_reports() {
        let flow =
            |open: &str, close: &str, n: usize| format!("{}{}", open.repeat(n), close.repeat(n));
        let padding = "[1], ".repeat(1_100); // past the guard's threshold of flow openings
        let documents = [
            format!("items:\n- data:\n    x: {}\n", flow("[", "]", 2_000)),
            format!("a: [{padding}]\nb:\n  c: {}\n", flow("{k: ", "}", 150)),
            format!("\"odd key\": [{padding} {}]\n", flow("[", "]", 120)),
            format!("- - - {}\n- [{padding}]\n", flow("[", "]", 99)),
            format!("a: [{padding}]\nb: {}\n", flow("[", "]", 98)),
        ];
        for text in &documents {
            assert_eq!(
                read_document(text).err(),
                read_document_unguarded(text).err(),
                "{}",
                &text[..60]
            );
        }
        let stream = format!("a: [{padding}]\n---\nb: {}\n", flow("[", "]", 300));
        let guarded = read_documents(&stream).unwrap_err();
        assert_eq!(
            Some(guarded.clone()),
            read_documents_unguarded(&stream).err()
        );
        assert!(
            guarded.message.contains("in document 2"),
            "{}",
            guarded.message
        );
    }

    /// The expansion pass finds the node-budget error the full reader would report, with its
    /// path, before the full reader holds the document's events.
    #[cfg(feature = "streaming-limits")]
    #[test]
    fn expansion_guard_reports_what_the_reader_reports() {
        let wide = |n: usize, at: &str| {
            format!(
                "items:\n- data:\n    a: &a [{}]\n    {at}: [{}]\n",
                vec!["x"; n].join(","),
                vec!["*a"; n].join(",")
            )
        };
        let nested = "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n";
        for text in [wide(3000, "b"), wide(1000, "b"), nested.to_string()] {
            let guarded = read_document(&text);
            let unguarded = read_document_unguarded(&text);
            match (&guarded, &unguarded) {
                (Err(g), Err(u)) => {
                    assert_eq!(g.path, u.path, "{}", &text[..40]);
                    let strip = |m: &str| m.split(" (line").next().unwrap_or("").to_string();
                    // The location is the alias whose use passes the budget (the reader's is
                    // the node inside the anchor's text it had reached).
                    assert_eq!(strip(&g.message), strip(&u.message));
                }
                (Ok(_), Ok(_)) => {}
                _ => panic!("{guarded:?} / {unguarded:?}"),
            }
        }
        assert!(read_document(&wide(3000, "b")).is_err());
        assert!(read_document(&wide(100, "b")).is_ok());
        // Anchors are per document; the count is over the stream.
        let stream = format!("{}---\nx: *a\n", wide(10, "b"));
        assert_eq!(
            read_documents(&stream).err(),
            read_documents_unguarded(&stream).err()
        );
    }

    #[test]
    fn errors_carry_the_path() {
        let error = read_document("items:\n- metadata:\n    labels: {a: 1, a: 2}\n").unwrap_err();
        assert_eq!(error.path.as_deref(), Some("items[0].metadata.labels.a"));
        assert!(
            error.message.starts_with("duplicate key \"a\""),
            "{}",
            error.message
        );
        let deep = format!("x: {}{}\n", "[".repeat(150), "]".repeat(150));
        let error = read_document(&deep).unwrap_err();
        assert!(error.message.contains("MAX_DEPTH"), "{}", error.message);
        assert!(error
            .path
            .as_deref()
            .is_some_and(|p| p.starts_with("x[0][0]")));
    }
}
