//! A linear-time nesting check ahead of the full YAML reader.
//!
//! serde_yaml_ng reads a whole document's events before any limit of [`super::limits`] can
//! see them, and libyaml's scanner walks its stack of possible simple keys (one per open flow
//! collection) at every token: `[[[[…` costs time quadratic in its depth (10,000 levels took
//! 1.2 s, 160,000 about 300 s; a 32 MiB input could hold 33 million). This pass pulls the same
//! parser's events one at a time and stops at the first collection deeper than
//! [`MAX_DEPTH`](super::limits::MAX_DEPTH), so the scanner never holds more than that many
//! levels. It reports what the full reader would (the same message, line, column and path);
//! any other problem, a syntax error included, is left to the full reader.
//!
//! The only `unsafe` code of the library crate: the calls into `unsafe_libyaml` (the C libyaml
//! translated to Rust, which serde_yaml_ng itself drives the same way). Its [`Parser`] also
//! feeds the streaming passes of [`super::stream`] (node budget, fields without a value tree).
#![allow(unsafe_code)]

type Segment = super::path::Segment<String>;
use std::mem::MaybeUninit;
use unsafe_libyaml as unsafe_sys;

/// Where the first collection past the limit starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TooDeep {
    /// 0-based index of the document in the stream.
    pub document: usize,
    /// 1-based, as serde_yaml_ng reports locations.
    pub line: usize,
    pub column: usize,
    /// The path to that collection (keys and sequence indexes), at most `path_segments` long.
    pub path: Vec<Segment>,
}

/// One open collection and where its current child sits.
enum Frame {
    Mapping {
        /// The key of the value being read (`None` while a key is being read).
        key: Option<String>,
        reading_key: bool,
    },
    Sequence {
        index: usize,
    },
}

impl Frame {
    /// After one child node is complete.
    fn child_done(&mut self) {
        match self {
            Frame::Mapping { key, reading_key } => {
                if *reading_key {
                    *reading_key = false;
                } else {
                    *reading_key = true;
                    *key = None;
                }
            }
            Frame::Sequence { index } => *index += 1,
        }
    }

    fn segment(&self) -> Segment {
        match self {
            Frame::Mapping { key, .. } => Segment::Key(key.clone().unwrap_or_default()),
            Frame::Sequence { index } => Segment::Index(*index),
        }
    }
}

/// What kind of event the parser produced ([`Event`]).
#[cfg(feature = "streaming-limits")]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum EventKind {
    StreamStart,
    StreamEnd,
    DocumentStart,
    DocumentEnd,
    Alias,
    Scalar,
    SequenceStart,
    SequenceEnd,
    MappingStart,
    MappingEnd,
}

/// One event of the parser, with what the streaming passes ([`super::stream`]) need of it.
#[cfg(feature = "streaming-limits")]
#[derive(Debug, Clone)]
pub(super) struct Event {
    pub kind: EventKind,
    /// 0-based line and column where the event starts.
    pub line: usize,
    pub column: usize,
    /// The node's anchor (`&a`), or for an alias the anchor it names.
    pub anchor: Option<Box<[u8]>>,
    /// The node has an explicit tag.
    pub tagged: bool,
    /// A scalar in plain style (not quoted, not a block scalar).
    pub plain: bool,
    /// A scalar's length in bytes.
    pub length: usize,
    /// A scalar's text, when asked for.
    pub text: Option<String>,
}

/// The parser, boxed: it keeps pointers into itself and into `input` while it runs.
pub(super) struct Parser<'input> {
    sys: Box<MaybeUninit<unsafe_sys::yaml_parser_t>>,
    _input: &'input [u8],
}

impl<'input> Parser<'input> {
    pub(super) fn new(input: &'input [u8]) -> Option<Self> {
        let mut parser = Box::new(MaybeUninit::<unsafe_sys::yaml_parser_t>::uninit());
        // SAFETY: initialize fills the struct in place; the input outlives the parser (the
        // `'input` borrow), and the box is never moved out of while the parser lives.
        unsafe {
            if unsafe_sys::yaml_parser_initialize(parser.as_mut_ptr()).fail {
                return None;
            }
            unsafe_sys::yaml_parser_set_encoding(
                parser.as_mut_ptr(),
                unsafe_sys::YAML_UTF8_ENCODING,
            );
            unsafe_sys::yaml_parser_set_input_string(
                parser.as_mut_ptr(),
                input.as_ptr(),
                input.len() as u64,
            );
        }
        Some(Parser {
            sys: parser,
            _input: input,
        })
    }

    /// The next event's kind, start mark and (for a scalar that is a mapping key at a recorded
    /// depth) its text; `None` at a syntax error.
    fn next(
        &mut self,
        want_text: bool,
    ) -> Option<(
        unsafe_sys::yaml_event_type_t,
        unsafe_sys::yaml_mark_t,
        Option<String>,
    )> {
        let mut event = MaybeUninit::<unsafe_sys::yaml_event_t>::uninit();
        // SAFETY: the parser was initialised in `new`; a successful parse fills `event`, which
        // is read, then released with yaml_event_delete exactly once.
        unsafe {
            let parser = self.sys.as_mut_ptr();
            // `check` stops at the first failure, so the parser is never asked again after one.
            if unsafe_sys::yaml_parser_parse(parser, event.as_mut_ptr()).fail {
                return None;
            }
            let event = event.as_mut_ptr();
            let kind = (*event).type_;
            let mark = (*event).start_mark;
            let text = (want_text && kind == unsafe_sys::YAML_SCALAR_EVENT).then(|| {
                let scalar = (*event).data.scalar;
                let bytes = std::slice::from_raw_parts(scalar.value, scalar.length as usize);
                String::from_utf8_lossy(bytes).into_owned()
            });
            unsafe_sys::yaml_event_delete(event);
            Some((kind, mark, text))
        }
    }
}

#[cfg(feature = "streaming-limits")]
impl Parser<'_> {
    /// The next event, with a scalar's text when `want_text`; `None` at a syntax error (the
    /// parser must not be asked again after one).
    pub(super) fn event(&mut self, want_text: bool) -> Option<Event> {
        let mut event = MaybeUninit::<unsafe_sys::yaml_event_t>::uninit();
        // SAFETY: the parser was initialised in `new`; a successful parse fills `event`, whose
        // union member is read only for its own event type, and which is released with
        // yaml_event_delete exactly once. Anchors, tags and values are NUL-terminated or have
        // their length, as libyaml documents.
        unsafe {
            let parser = self.sys.as_mut_ptr();
            if unsafe_sys::yaml_parser_parse(parser, event.as_mut_ptr()).fail {
                return None;
            }
            let raw = event.as_mut_ptr();
            let mark = (*raw).start_mark;
            let c_string = |pointer: *mut u8| -> Option<Box<[u8]>> {
                if pointer.is_null() {
                    return None;
                }
                let mut length = 0;
                while *pointer.add(length) != 0 {
                    length += 1;
                }
                Some(std::slice::from_raw_parts(pointer, length).into())
            };
            let mut out = Event {
                kind: EventKind::StreamStart,
                line: mark.line as usize,
                column: mark.column as usize,
                anchor: None,
                tagged: false,
                plain: false,
                length: 0,
                text: None,
            };
            match (*raw).type_ {
                unsafe_sys::YAML_STREAM_START_EVENT => {}
                unsafe_sys::YAML_STREAM_END_EVENT => out.kind = EventKind::StreamEnd,
                unsafe_sys::YAML_DOCUMENT_START_EVENT => out.kind = EventKind::DocumentStart,
                unsafe_sys::YAML_DOCUMENT_END_EVENT => out.kind = EventKind::DocumentEnd,
                unsafe_sys::YAML_ALIAS_EVENT => {
                    out.kind = EventKind::Alias;
                    out.anchor = c_string((*raw).data.alias.anchor);
                }
                unsafe_sys::YAML_SCALAR_EVENT => {
                    let scalar = (*raw).data.scalar;
                    out.kind = EventKind::Scalar;
                    out.anchor = c_string(scalar.anchor);
                    out.tagged = !scalar.tag.is_null();
                    out.plain = scalar.style == unsafe_sys::YAML_PLAIN_SCALAR_STYLE;
                    out.length = scalar.length as usize;
                    if want_text {
                        let bytes = std::slice::from_raw_parts(scalar.value, out.length);
                        out.text = Some(String::from_utf8_lossy(bytes).into_owned());
                    }
                }
                unsafe_sys::YAML_SEQUENCE_START_EVENT => {
                    let start = (*raw).data.sequence_start;
                    out.kind = EventKind::SequenceStart;
                    out.anchor = c_string(start.anchor);
                    out.tagged = !start.tag.is_null();
                }
                unsafe_sys::YAML_SEQUENCE_END_EVENT => out.kind = EventKind::SequenceEnd,
                unsafe_sys::YAML_MAPPING_START_EVENT => {
                    let start = (*raw).data.mapping_start;
                    out.kind = EventKind::MappingStart;
                    out.anchor = c_string(start.anchor);
                    out.tagged = !start.tag.is_null();
                }
                unsafe_sys::YAML_MAPPING_END_EVENT => out.kind = EventKind::MappingEnd,
                _ => out.kind = EventKind::StreamEnd,
            }
            unsafe_sys::yaml_event_delete(raw);
            Some(out)
        }
    }
}

impl Drop for Parser<'_> {
    fn drop(&mut self) {
        // SAFETY: initialised in `new` (a failed initialisation never builds a Parser).
        unsafe { unsafe_sys::yaml_parser_delete(self.sys.as_mut_ptr()) }
    }
}

/// Whether `text` holds a second document. Found from the parser's events, without building a
/// node: the full reader builds the whole first document before it notices, which for a large
/// list costs many times its size in memory. A syntax error answers `false` (the full reader
/// reports it).
pub fn several_documents(text: &str) -> bool {
    let Some(mut parser) = Parser::new(text.as_bytes()) else {
        return false;
    };
    let mut starts = 0;
    loop {
        match parser.next(false) {
            None => return false,
            Some((unsafe_sys::YAML_STREAM_END_EVENT, _, _)) => return false,
            Some((unsafe_sys::YAML_DOCUMENT_START_EVENT, _, _)) => {
                starts += 1;
                if starts > 1 {
                    return true;
                }
            }
            Some(_) => {}
        }
    }
}

/// Checks that no document of `text` nests collections deeper than `max_depth` (the document's
/// root collection is level 1). Keys are recorded for the first `path_segments` levels.
pub fn check(text: &str, max_depth: usize, path_segments: usize) -> Result<(), TooDeep> {
    let Some(mut parser) = Parser::new(text.as_bytes()) else {
        return Ok(());
    };
    let mut frames: Vec<Frame> = Vec::new();
    let mut document = 0;
    loop {
        let want_text = frames.len() <= path_segments
            && matches!(
                frames.last(),
                Some(Frame::Mapping {
                    reading_key: true,
                    ..
                })
            );
        let Some((kind, mark, text)) = parser.next(want_text) else {
            return Ok(()); // a syntax error: the full reader reports it
        };
        match kind {
            unsafe_sys::YAML_STREAM_END_EVENT => return Ok(()),
            unsafe_sys::YAML_DOCUMENT_END_EVENT => {
                document += 1;
                frames.clear();
            }
            unsafe_sys::YAML_SCALAR_EVENT | unsafe_sys::YAML_ALIAS_EVENT => {
                if let Some(Frame::Mapping {
                    key,
                    reading_key: true,
                }) = frames.last_mut()
                {
                    *key = text;
                }
                if let Some(frame) = frames.last_mut() {
                    frame.child_done();
                }
            }
            unsafe_sys::YAML_SEQUENCE_START_EVENT | unsafe_sys::YAML_MAPPING_START_EVENT => {
                if frames.len() >= max_depth {
                    let path = frames
                        .iter()
                        .take(path_segments)
                        .map(Frame::segment)
                        .collect();
                    return Err(TooDeep {
                        document,
                        line: mark.line as usize + 1,
                        column: mark.column as usize + 1,
                        path,
                    });
                }
                frames.push(if kind == unsafe_sys::YAML_SEQUENCE_START_EVENT {
                    Frame::Sequence { index: 0 }
                } else {
                    Frame::Mapping {
                        key: None,
                        reading_key: true,
                    }
                });
            }
            unsafe_sys::YAML_SEQUENCE_END_EVENT | unsafe_sys::YAML_MAPPING_END_EVENT => {
                frames.pop();
                if let Some(frame) = frames.last_mut() {
                    frame.child_done();
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn several_documents_are_found_without_reading_them() {
        assert!(!several_documents("a: 1\n"));
        assert!(!several_documents("---\na: 1\n...\n"));
        assert!(several_documents("a: 1\n---\nb: 2\n"));
        assert!(several_documents("---\n---\n"));
        assert!(!several_documents("a: [\n")); // a syntax error: the full reader's
    }

    #[test]
    fn stops_at_the_first_collection_past_the_limit() {
        let deep = format!("items:\n- data:\n    x: {}\n", "[".repeat(200));
        let error = check(&deep, 100, 4).unwrap_err();
        assert_eq!(error.document, 0);
        // Line 3 is `    x: ` then the brackets: the 97th (level 101) is at column 7 + 97.
        assert_eq!((error.line, error.column), (3, 104));
        assert_eq!(
            error.path,
            vec![
                Segment::Key("items".into()),
                Segment::Index(0),
                Segment::Key("data".into()),
                Segment::Key("x".into()),
            ]
        );
    }

    #[test]
    fn counts_block_and_flow_levels_and_documents() {
        let at_limit = format!("a: {}{}\n", "[".repeat(99), "]".repeat(99));
        assert_eq!(check(&at_limit, 100, 4), Ok(()));
        let past = format!(
            "a: 1\n---\nb:\n- c: {}{}\n",
            "{d: ".repeat(98),
            "}".repeat(98)
        );
        let error = check(&past, 100, 4).unwrap_err();
        assert_eq!(error.document, 1);
        assert_eq!(
            error.path[..3],
            [
                Segment::Key("b".into()),
                Segment::Index(0),
                Segment::Key("c".into())
            ]
        );
    }

    #[test]
    fn leaves_syntax_errors_and_siblings_alone() {
        assert_eq!(check("a: [1, 2\nb: {", 100, 4), Ok(()));
        let wide = format!("a: [{}]\n", "[1], ".repeat(10_000));
        assert_eq!(check(&wide, 3, 4), Ok(()));
        let keys = "a:\n  b: [x]\n  c:\n  - 1\n  - [2, {d: [3]}]\n";
        let error = check(keys, 3, 4).unwrap_err();
        assert_eq!(
            error.path,
            vec![
                Segment::Key("a".into()),
                Segment::Key("c".into()),
                Segment::Index(1)
            ]
        );
    }
}
