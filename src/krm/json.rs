//! The fast path for a ResourceList sent as JSON: the list is split into its items' JSON text
//! with `serde_json` (without building their values), each item's identity is read alone, and
//! items the function does not change are written back as their JSON text, a YAML flow mapping.
//!
//! JSON is YAML except for a few characters: a surrogate pair escape (`"\ud83d\ude00"`), which
//! YAML readers reject, and raw characters YAML readers take as line breaks or refuse (NEL, line
//! and paragraph separators, DEL, C1 controls, byte-order marks, non-characters). [`write_flow`]
//! writes those as YAML escapes with the same meaning.

#[cfg(feature = "json-items")]
use super::source::{Identity, JsonItem, Source};
#[cfg(feature = "json-items")]
use super::{ResourceList, API_VERSION, API_VERSION_BETA, KIND};
#[cfg(any(feature = "json-items", test))]
use crate::yaml::limits;
#[cfg(feature = "json-items")]
use serde::Deserialize;
#[cfg(feature = "json-items")]
use serde_json::value::RawValue;
#[cfg(any(feature = "json-items", test))]
use serde_yaml_ng::Value;

#[cfg(feature = "json-items")]
#[derive(Deserialize)]
struct RawList<'a> {
    #[serde(rename = "apiVersion")]
    api_version: String,
    kind: String,
    #[serde(borrow, default)]
    items: Option<Vec<&'a RawValue>>,
    #[serde(borrow, default, rename = "functionConfig")]
    function_config: Option<&'a RawValue>,
}

#[cfg(feature = "json-items")]
/// What the function may ask of an item before reading it.
#[derive(Deserialize)]
struct RawItem {
    #[serde(rename = "apiVersion", default)]
    api_version: Option<serde_json::Value>,
    #[serde(default)]
    kind: Option<serde_json::Value>,
    #[serde(default)]
    metadata: Option<RawMetadata>,
}

#[cfg(feature = "json-items")]
#[derive(Deserialize)]
struct RawMetadata {
    #[serde(default)]
    name: Option<serde_json::Value>,
    #[serde(default)]
    labels: Option<serde_json::Map<String, serde_json::Value>>,
    #[serde(default)]
    annotations: Option<serde_json::Map<String, serde_json::Value>>,
}

#[cfg(feature = "json-items")]
/// Splits a JSON ResourceList into source items, or `None` when it is not one the fast path
/// reads (the full parser then reads it, with its messages).
pub(super) fn scan(text: &str) -> Option<ResourceList> {
    if text.len() >= u32::MAX as usize {
        return None;
    }
    let list: RawList<'_> = serde_json::from_str(text).ok()?;
    let api_version = match list.api_version.as_str() {
        v @ (API_VERSION | API_VERSION_BETA) => v.to_string(),
        _ => return None,
    };
    if list.kind != KIND {
        return None;
    }
    let function_config = match list.function_config {
        None => None,
        Some(raw) => {
            let mut flow = String::new();
            write_flow_text(raw.get(), &mut flow);
            match limits::read_document(&flow).ok()? {
                Value::Null => None,
                config => Some(config),
            }
        }
    };
    let base = text.as_ptr() as usize;
    let mut items = Vec::new();
    for raw in list.items.unwrap_or_default() {
        let item = raw.get();
        let start = (item.as_ptr() as usize).checked_sub(base)?;
        let (identity, complete) = if item.starts_with('{') {
            let (identity, complete) = identity_of(item)?;
            (Some(identity), complete)
        } else {
            (None, false)
        };
        items.push(JsonItem {
            start,
            end: start + item.len(),
            identity,
            complete,
        });
    }
    let source = Source::json(text.to_string(), items);
    Some(source.into_list(api_version, function_config))
}

/// What an item (JSON object text) says of itself, and whether its `apiVersion`, `kind` and
/// `metadata.name` are non-empty strings; `None` when it does not read.
#[cfg(feature = "json-items")]
pub(super) fn identity_of(item: &str) -> Option<(Identity, bool)> {
    let raw: RawItem = serde_json::from_str(item).ok()?;
    let string = |v: Option<serde_json::Value>| match v {
        Some(serde_json::Value::String(s)) if !s.is_empty() => Some(s),
        _ => None,
    };
    let api_version = string(raw.api_version);
    let kind = string(raw.kind);
    let (name, labels, annotations) = match raw.metadata {
        Some(m) => (
            string(m.name),
            m.labels.map(|l| l.into_iter().map(|(k, _)| k).collect()),
            m.annotations,
        ),
        None => (None, None, None),
    };
    let files = annotations
        .into_iter()
        .flatten()
        .filter(|(key, _)| key.contains("config.kubernetes.io/"))
        .filter_map(|(key, value)| match value {
            serde_json::Value::String(value) => Some((key, value)),
            _ => None,
        })
        .collect();
    let complete = api_version.is_some() && kind.is_some() && name.is_some();
    let identity = Identity {
        kind,
        name,
        labels: labels.unwrap_or_default(),
        files,
    };
    Some((identity, complete))
}

/// Writes JSON text as a YAML block sequence entry holding it (`- {...}`), with later lines
/// indented under the entry and the characters YAML reads differently escaped.
pub(super) fn write_flow(json: &str, out: &mut String) {
    out.push_str("- ");
    let start = out.len();
    write_flow_text(json, out);
    // A raw CR or LF in valid JSON is whitespace between tokens (inside a string it must be
    // escaped), but YAML reads both as line breaks: a lone CR becomes LF, and a break before a
    // `:` becomes a space, since a YAML key must end on its own line.
    if out[start..].contains(['\r', '\n']) {
        let text = out.split_off(start);
        out.push_str(&join_key_lines(&text));
    }
    // Lines after the first stay under the entry.
    if out[start..].contains('\n') {
        let indented = out[start..].replace('\n', "\n  ");
        out.truncate(start);
        out.push_str(&indented);
    }
    out.push('\n');
}

/// `text` (flow YAML from JSON, line breaks only between tokens) with CR LF and lone CR as LF,
/// and every run of whitespace holding a line break before a `:` as one space.
fn join_key_lines(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(['\r', '\n']) {
        out.push_str(&rest[..at]);
        let after = rest[at..].trim_start_matches([' ', '\t', '\r', '\n']);
        let gap = &rest[at..rest.len() - after.len()];
        if after.starts_with(':') {
            out.push(' ');
        } else {
            // One line break per break in the gap, the spaces and tabs of its last line kept.
            let breaks = gap.replace("\r\n", "\n").replace('\r', "\n");
            out.push_str(&breaks);
        }
        rest = after;
    }
    out.push_str(rest);
    out
}

/// JSON text as YAML text of the same meaning.
pub(super) fn write_flow_text(json: &str, out: &mut String) {
    let bytes = json.as_bytes();
    let mut copied = 0;
    let mut at = 0;
    while at < bytes.len() {
        let b = bytes[at];
        if b == b'\\' {
            if let Some(pair) = surrogate_pair(&json[at..]) {
                out.push_str(&json[copied..at]);
                out.push_str(&format!("\\U{pair:08X}"));
                at += 12;
                copied = at;
            } else {
                at += 2;
            }
            continue;
        }
        if b == 0x7f || b >= 0x80 {
            let Some(c) = json[at..].chars().next() else {
                break;
            };
            let escape = matches!(
                c,
                '\u{7f}'
                    ..='\u{9f}' | '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{fffe}' | '\u{ffff}'
            );
            if escape {
                out.push_str(&json[copied..at]);
                out.push_str(&format!("\\u{:04X}", c as u32));
                copied = at + c.len_utf8();
            }
            at += c.len_utf8();
            continue;
        }
        at += 1;
    }
    out.push_str(&json[copied..]);
}

/// The code point of a `\uD8xx\uDCxx` escape pair at the start of `text`.
fn surrogate_pair(text: &str) -> Option<u32> {
    let unit = |from: usize| -> Option<u32> {
        let escape = text.get(from..from + 6)?;
        let hex = escape.strip_prefix("\\u")?;
        u32::from_str_radix(hex, 16).ok()
    };
    let high = unit(0)?;
    let low = unit(6)?;
    if (0xD800..0xDC00).contains(&high) && (0xDC00..0xE000).contains(&low) {
        Some(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Line breaks between JSON tokens (CR, LF, CR LF, before a key's `:` too) are written so
    /// a YAML reader sees the same value (a fuzz finding: a raw CR before `:`).
    #[test]
    fn line_breaks_between_tokens_keep_their_meaning() {
        for json in [
            "{\"a\"\r:\"b\"}",
            "{\"a\"\n  :\"b\", \"c\": [1,\r\n 2]}",
            "{\"a\":\r\"b\",\r\"c\"\r\n\t:\n{}}",
        ] {
            let mut out = String::new();
            write_flow(json, &mut out);
            let read: Value =
                serde_yaml_ng::from_str(&out).unwrap_or_else(|e| panic!("{out:?}: {e}"));
            let expected: serde_json::Value = serde_json::from_str(json).expect("json");
            let expected: Value = serde_yaml_ng::to_value(vec![expected]).expect("value");
            assert_eq!(read, expected, "{json:?} -> {out:?}");
        }
    }

    #[test]
    fn json_becomes_yaml_of_the_same_meaning() {
        let mut out = String::new();
        write_flow(
            "{\"a\": \"\\ud83d\\ude00\\\\ud83d\",\n \"b\": \"x\u{2028}y\"}",
            &mut out,
        );
        assert_eq!(
            out,
            "- {\"a\": \"\\U0001F600\\\\ud83d\",\n   \"b\": \"x\\u2028y\"}\n"
        );
        let value: Value = limits::read_document(&out).expect("yaml");
        let item = &value[0];
        assert_eq!(item["a"].as_str(), Some("\u{1F600}\\ud83d"));
        assert_eq!(item["b"].as_str(), Some("x\u{2028}y"));
    }

    #[cfg(feature = "json-items")]
    #[test]
    fn items_stay_text_and_big_numbers_stay_exact() {
        let text = r#"{"apiVersion":"config.kubernetes.io/v1","kind":"ResourceList","items":[{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a","labels":{"x":"y"}},"data":{"n":123456789012345678901234567890}}]}"#;
        let list = scan(text).expect("fast path");
        let out = list.to_yaml();
        assert!(out.contains("123456789012345678901234567890"), "{out}");
    }
}
