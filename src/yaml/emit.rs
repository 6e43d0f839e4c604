//! Deterministic YAML emitter for [`serde_yaml_ng::Value`].
//!
//! The output is meant to be read back by Go tooling (kubectl, kustomize,
//! kpt, Flux), which parses with go-yaml and still resolves many YAML 1.1
//! plain scalars (`yes`, `on`, `0755`, `12:30`, ...) to non-strings. Every
//! string that could be misread under YAML 1.1 *or* 1.2 is therefore quoted,
//! using a deliberately conservative rule (see [`needs_quotes`]).
//!
//! Style follows kubectl/kustomize: block mappings in insertion order,
//! sequences not indented relative to their parent key, mappings inside
//! sequence items starting on the dash line, multi-line strings as literal
//! block scalars, and double quotes for everything else that needs quoting.

use serde_yaml_ng::value::TaggedValue;
use serde_yaml_ng::{Mapping, Number, Value};
use std::fmt::Write as _;

/// Implicit (`key: value`) keys longer than this are written with the explicit
/// `? key` syntax: libyaml and go-yaml reject simple keys over 1024 characters.
const MAX_IMPLICIT_KEY_CHARS: usize = 1000;

/// Append one YAML document (no leading `---`) for `value` to `out`, ending
/// with a newline.
pub fn write_document(out: &mut String, value: &Value) {
    write_node(out, value, 0);
}

/// Convenience: one document as a `String`.
pub fn to_string(value: &Value) -> String {
    let mut out = String::new();
    write_document(&mut out, value);
    out
}

/// Append `value` as one entry (`- ...`) of a block sequence at column 0, as
/// [`write_document`] writes each entry of a sequence that is a top-level key's value.
pub fn write_item(out: &mut String, value: &Value) {
    out.push_str("- ");
    write_node(out, value, 2);
}

/// Whether a string scalar must be quoted to read back as the same string
/// under YAML 1.1 (go-yaml v2, PyYAML) and YAML 1.2.
///
/// The numeric check is a conservative superset of every int/float form of
/// both versions: it may quote harmless strings such as `1.2.3` or `1d`, but
/// never leaves a number-like string plain.
pub fn needs_quotes(s: &str) -> bool {
    let (Some(first), Some(last)) = (s.chars().next(), s.chars().next_back()) else {
        return true; // empty string reads back as null
    };
    if is_white(first) || is_white(last) {
        return true; // plain scalars drop surrounding whitespace
    }
    // Tabs, line breaks and control characters need escapes; `: ` would start a mapping value
    // and ` #` a comment. The bytes of `:`, ` ` and `#` never occur inside a multi-byte
    // character. This runs for every key and value written (a quarter of a stack's expansion
    // was here): the common case, printable ASCII, is found by passes without an early exit,
    // which the compiler turns into wide compares.
    let bytes = s.as_bytes();
    let printable_ascii = bytes.iter().fold(0u8, |outside, &byte| {
        outside | u8::from(!(0x20..=0x7E).contains(&byte))
    }) == 0;
    let mut ascii = true;
    if printable_ascii {
        // A byte accumulator: the form the compiler vectorises.
        let marks = bytes.iter().fold(0u8, |any, &byte| {
            any | u8::from(byte == b':') | u8::from(byte == b'#')
        });
        if marks != 0 && bytes.windows(2).any(|pair| pair == b": " || pair == b" #") {
            return true;
        }
    } else {
        let mut previous = 0u8;
        for &byte in bytes {
            match byte {
                0x80.. => ascii = false,
                0x20..=0x7E => {
                    if (previous == b':' && byte == b' ') || (previous == b' ' && byte == b'#') {
                        return true;
                    }
                }
                _ => return true,
            }
            previous = byte;
        }
    }
    if !ascii && !s.chars().all(is_printable) {
        return true;
    }
    if is_indicator(first) {
        // `-x` and `?x` are plain scalars (`- --port` is how kubectl writes args); only a dash or
        // question mark alone or before a space starts a sequence entry or a complex key.
        let second = s.chars().nth(1);
        let plain_dash = matches!(first, '-' | '?') && second.is_some_and(|c| !is_white(c));
        if !plain_dash {
            return true;
        }
    }
    if last == ':' {
        return true; // would start a mapping value
    }
    if s == "---" || s == "..." || s.starts_with("--- ") || s.starts_with("... ") {
        return true; // document markers
    }
    is_reserved_word(s) || looks_numeric(s) || looks_like_timestamp(s)
}

/// YAML whitespace inside a line (`s-white`).
fn is_white(c: char) -> bool {
    c == ' ' || c == '\t'
}

/// Characters that may appear unescaped in plain and block scalars (block
/// scalars additionally allow `\n` and `\t`).
///
/// Narrower than the YAML printable set on purpose: `U+0085`, `U+2028` and
/// `U+2029` are line breaks in YAML 1.1, and libyaml rejects a raw BOM
/// (`U+FEFF`), so all of these get escaped instead.
fn is_printable(c: char) -> bool {
    matches!(c,
        '\u{20}'..='\u{7E}'
        | '\u{A0}'..='\u{2027}'
        | '\u{202A}'..='\u{D7FF}'
        | '\u{E000}'..='\u{FEFE}'
        | '\u{FF00}'..='\u{FFFD}'
        | '\u{10000}'..)
}

/// Characters that give a plain scalar a special meaning when they come first.
fn is_indicator(c: char) -> bool {
    matches!(
        c,
        '-' | '?'
            | ':'
            | ','
            | '['
            | ']'
            | '{'
            | '}'
            | '#'
            | '&'
            | '*'
            | '!'
            | '|'
            | '>'
            | '\''
            | '"'
            | '%'
            | '@'
            | '`'
    )
}

/// Booleans (YAML 1.1 incl. go-yaml's `y`/`n`), nulls, and the YAML 1.1
/// merge (`<<`) and value (`=`) keys.
fn is_reserved_word(s: &str) -> bool {
    matches!(
        s,
        "y" | "Y"
            | "yes"
            | "Yes"
            | "YES"
            | "n"
            | "N"
            | "no"
            | "No"
            | "NO"
            | "true"
            | "True"
            | "TRUE"
            | "false"
            | "False"
            | "FALSE"
            | "on"
            | "On"
            | "ON"
            | "off"
            | "Off"
            | "OFF"
            | "~"
            | "null"
            | "Null"
            | "NULL"
            | "="
            | "<<"
    )
}

/// Whether a YAML 1.1 reader (PyYAML, go-yaml v2 as used by kubectl and kustomize), a YAML 1.2
/// reader (go-yaml v3) or Go's `strconv` fallback would read `s` as a number: decimal, octal
/// (`0755`, `0o755`), hex, binary, underscores, base 60 (`12:30`), exponents, `inf`/`nan`.
/// Strings that merely start with a digit (`80-8080`, `30d`, `1.2.3`) stay plain, as kubectl
/// writes them.
fn looks_numeric(s: &str) -> bool {
    let unsigned = s.strip_prefix(['+', '-']).unwrap_or(s);
    let signed = unsigned.len() < s.len();
    let is = |word: &str| unsigned.eq_ignore_ascii_case(word);
    if is(".inf") || is(".nan") {
        return true;
    }
    // go-yaml v2 hands signed scalars to strconv.ParseFloat, which reads `-inf`, `+NaN`, ...
    if signed && (is("inf") || is("infinity") || is("nan")) {
        return true;
    }
    if !unsigned.starts_with(|c: char| c.is_ascii_digit() || c == '.') {
        return false;
    }
    // Underscores are digit separators in YAML 1.1 and in Go's number syntax.
    let bare: String = unsigned.chars().filter(|c| *c != '_').collect();
    if bare.is_empty() {
        return false;
    }
    let all = |text: &str, f: fn(char) -> bool| !text.is_empty() && text.chars().all(f);
    let prefixed = |prefixes: [&str; 2]| prefixes.iter().find_map(|p| bare.strip_prefix(p));
    if let Some(hex) = prefixed(["0x", "0X"]) {
        // Hex integers, and Go's hex floats (`0x1.8p3`).
        return hex.chars().any(|c| c.is_ascii_hexdigit())
            && hex
                .chars()
                .all(|c| c.is_ascii_hexdigit() || ".pP+-".contains(c));
    }
    if let Some(digits) = prefixed(["0o", "0O"]).or_else(|| prefixed(["0b", "0B"])) {
        return all(digits, |c| c.is_ascii_digit());
    }
    is_decimal_number(&bare) || is_base_60(&bare)
}

/// `\d+(\.\d*)?([eE][+-]?\d+)?` or `\.\d+([eE][+-]?\d+)?`: ints and floats of YAML 1.1 and 1.2.
fn is_decimal_number(s: &str) -> bool {
    let (mantissa, exponent) = match s.find(['e', 'E']) {
        Some(at) => (&s[..at], Some(&s[at + 1..])),
        None => (s, None),
    };
    let digits = |t: &str| t.chars().all(|c| c.is_ascii_digit());
    let mantissa_ok = match mantissa.split_once('.') {
        None => !mantissa.is_empty() && digits(mantissa),
        Some((whole, frac)) => {
            !(whole.is_empty() && frac.is_empty()) && digits(whole) && digits(frac)
        }
    };
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['+', '-']).unwrap_or(e);
        !e.is_empty() && digits(e)
    });
    mantissa_ok && exponent_ok
}

/// YAML 1.1 sexagesimal numbers: `1:30`, `190:20:30`, `1:30.5`.
fn is_base_60(s: &str) -> bool {
    let mut parts = s.split(':');
    let first = parts.next().unwrap_or_default();
    let rest: Vec<&str> = parts.collect();
    if rest.is_empty() || first.is_empty() || !first.chars().all(|c| c.is_ascii_digit()) {
        return false;
    }
    let last = rest.len() - 1;
    rest.iter().enumerate().all(|(i, part)| {
        let (sixty, fraction) = match part.split_once('.') {
            Some((sixty, fraction)) if i == last => (sixty, Some(fraction)),
            _ => (*part, None),
        };
        (1..=2).contains(&sixty.len())
            && sixty.chars().all(|c| c.is_ascii_digit())
            && sixty.parse::<u8>().is_ok_and(|n| n < 60)
            && fraction.is_none_or(|f| f.chars().all(|c| c.is_ascii_digit()))
    })
}

/// Anything starting like a YAML 1.1 timestamp date: `\d{4}-\d{1,2}-\d{1,2}`.
fn looks_like_timestamp(s: &str) -> bool {
    /// Consume between `min` and `max` ASCII digits from the front of `s`.
    fn digits(s: &[u8], min: usize, max: usize) -> Option<&[u8]> {
        let n = s
            .iter()
            .take(max)
            .take_while(|b| b.is_ascii_digit())
            .count();
        (n >= min).then(|| &s[n..])
    }
    let date = || {
        let rest = digits(s.as_bytes(), 4, 4)?.strip_prefix(b"-")?;
        let rest = digits(rest, 1, 2)?.strip_prefix(b"-")?;
        digits(rest, 1, 2)
    };
    date().is_some()
}

/// Write `n` spaces.
fn pad(out: &mut String, n: usize) {
    const SPACES: &str = "                                                                ";
    let mut left = n;
    while left > 0 {
        let chunk = left.min(SPACES.len());
        out.push_str(&SPACES[..chunk]);
        left -= chunk;
    }
}

/// Write a node whose first line starts at the cursor, which sits at column
/// `col`; continuation lines of a collection are indented to `col`. Always
/// ends with a newline.
fn write_node(out: &mut String, value: &Value, col: usize) {
    match value {
        Value::Mapping(map) if !map.is_empty() => write_mapping(out, map, col),
        Value::Sequence(seq) if !seq.is_empty() => write_sequence(out, seq, col),
        Value::Tagged(tagged) => write_tagged(out, tagged, col),
        // Block scalar content must be indented past its parent; at the
        // document root (col 0) use 2 like everywhere else.
        _ => {
            write_scalar(out, value, Some(col.max(2)));
            out.push('\n');
        }
    }
}

/// `!tag value` for scalars; `!tag` then the collection on the next lines.
fn write_tagged(out: &mut String, tagged: &TaggedValue, col: usize) {
    // A node carries at most one tag: keep only the innermost one.
    if let Value::Tagged(inner) = &tagged.value {
        return write_tagged(out, inner, col);
    }
    write_tag(out, tagged);
    if is_block_collection(&tagged.value) {
        out.push('\n');
        pad(out, col);
    } else {
        out.push(' ');
    }
    write_node(out, &tagged.value, col);
}

/// Write the tag as a local `!name` shorthand, percent-encoding characters
/// that are not valid in a tag (parsers decode `%XX` back).
fn write_tag(out: &mut String, tagged: &TaggedValue) {
    let display = tagged.tag.to_string();
    let name = display.strip_prefix('!').unwrap_or(&display);
    out.push('!');
    for c in name.chars() {
        if c.is_ascii_alphanumeric() || "-_;/?:@&=+$.~*'()".contains(c) {
            out.push(c);
        } else {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                let _ = write!(out, "%{b:02X}");
            }
        }
    }
}

/// Non-empty mappings and sequences are written in block style; empty ones
/// are the flow scalars `{}` / `[]`.
fn is_block_collection(value: &Value) -> bool {
    match value {
        Value::Mapping(map) => !map.is_empty(),
        Value::Sequence(seq) => !seq.is_empty(),
        _ => false,
    }
}

/// Block mapping; the first entry goes at the cursor, the rest at `col`.
fn write_mapping(out: &mut String, map: &Mapping, col: usize) {
    for (i, (key, value)) in map.iter().enumerate() {
        if i > 0 {
            pad(out, col);
        }
        if write_implicit_key(out, key) {
            out.push(':');
            match value {
                Value::Mapping(m) if !m.is_empty() => {
                    out.push('\n');
                    pad(out, col + 2);
                    write_mapping(out, m, col + 2);
                }
                // kubectl style: sequences align with their key.
                Value::Sequence(s) if !s.is_empty() => {
                    out.push('\n');
                    pad(out, col);
                    write_sequence(out, s, col);
                }
                _ => {
                    out.push(' ');
                    write_node(out, value, col + 2);
                }
            }
        } else {
            // Explicit `? key` / `: value` entry for keys that cannot be
            // implicit; both halves are laid out like sequence items.
            out.push_str("? ");
            write_node(out, key, col + 2);
            pad(out, col);
            out.push_str(": ");
            write_node(out, value, col + 2);
        }
    }
}

/// Writes `key` as an implicit key (without the `:`) and returns true, or writes nothing and
/// returns false when it needs the explicit `? key` form.
fn write_implicit_key(out: &mut String, key: &Value) -> bool {
    match key {
        // Most keys are short plain strings: written as they are, without a copy.
        Value::String(text) if text.len() <= MAX_IMPLICIT_KEY_CHARS && !needs_quotes(text) => {
            out.push_str(text);
            true
        }
        _ => match inline_key(key) {
            Some(text) => {
                out.push_str(&text);
                true
            }
            None => false,
        },
    }
}

/// Block sequence; the first `- ` goes at the cursor, the rest at `col`.
fn write_sequence(out: &mut String, seq: &[Value], col: usize) {
    for (i, item) in seq.iter().enumerate() {
        if i > 0 {
            pad(out, col);
        }
        out.push_str("- ");
        write_node(out, item, col + 2);
    }
}

/// The single-line text of a key usable as an implicit `key:`, or `None`
/// when the key needs the explicit `? key` form (collections, tagged values,
/// very long keys).
fn inline_key(key: &Value) -> Option<String> {
    match key {
        Value::Null | Value::Bool(_) | Value::Number(_) | Value::String(_) => {
            let mut text = String::new();
            write_scalar(&mut text, key, None);
            (text.chars().count() <= MAX_IMPLICIT_KEY_CHARS).then_some(text)
        }
        Value::Mapping(map) if map.is_empty() => Some("{}".to_owned()),
        Value::Sequence(seq) if seq.is_empty() => Some("[]".to_owned()),
        _ => None,
    }
}

/// Write a scalar (or an empty collection) without a trailing newline.
/// `block_indent` is the content indentation for a literal block scalar;
/// `None` forbids block scalars (keys must stay on one line).
fn write_scalar(out: &mut String, value: &Value, block_indent: Option<usize>) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => write_number(out, n),
        Value::String(s) => match block_indent {
            Some(indent) if can_use_literal_block(s) => write_literal_block(out, s, indent),
            _ if needs_quotes(s) => write_double_quoted(out, s),
            _ => out.push_str(s),
        },
        Value::Mapping(_) => out.push_str("{}"),
        Value::Sequence(_) => out.push_str("[]"),
        // Only reached for keys, which route tagged values to `? key`.
        Value::Tagged(tagged) => {
            write_tag(out, tagged);
            out.push(' ');
            write_scalar(out, &tagged.value, block_indent);
        }
    }
}

/// Integers as-is; floats always with a `.` (and a signed exponent, which
/// YAML 1.1 requires) so they read back as floats, not ints or strings.
fn write_number(out: &mut String, n: &Number) {
    let Some(f) = n.as_f64().filter(|_| n.is_f64()) else {
        let _ = write!(out, "{n}");
        return;
    };
    if f.is_nan() {
        out.push_str(".nan");
    } else if f.is_infinite() {
        out.push_str(if f > 0.0 { ".inf" } else { "-.inf" });
    } else {
        // Debug's text: the shortest that round-trips, e.g. `0.1`, `1.0`, `1e100`,
        // `1.5e-7`; YAML 1.1 needs `1.0e+100`.
        let text = super::float::debug(f);
        let (mantissa, exponent) = match text.split_once(['e', 'E']) {
            Some((m, e)) => (m, Some(e)),
            None => (text.as_str(), None),
        };
        out.push_str(mantissa);
        if !mantissa.contains('.') {
            out.push_str(".0");
        }
        if let Some(exp) = exponent {
            out.push('e');
            if !exp.starts_with(['-', '+']) {
                out.push('+');
            }
            out.push_str(exp);
        }
    }
}

/// Whether `s` can be written as a literal block scalar that reads back
/// exactly, without an indentation indicator.
fn can_use_literal_block(s: &str) -> bool {
    let allowed = |c: char| c == '\n' || c == '\t' || is_printable(c);
    let ascii_allowed = |b: &u8| matches!(b, b'\n' | b'\t' | 0x20..=0x7E);
    // Bytes first: most text is ASCII, and a byte test is cheaper than decoding characters.
    if !s.contains('\n') {
        return false;
    }
    let all_allowed = if s.is_ascii() {
        s.as_bytes().iter().all(ascii_allowed)
    } else {
        s.chars().all(allowed)
    };
    if !all_allowed {
        return false;
    }
    // Indentation is auto-detected from the first non-empty line, so it must
    // not start with whitespace; whitespace-only lines before it would also
    // confuse detection. No such line at all means "only newlines".
    for line in s.split('\n') {
        if line.is_empty() {
            continue;
        }
        return !line.starts_with(is_white);
    }
    false
}

/// `|`, `|-` or `|+` header by the number of trailing newlines, then the
/// lines at `indent`; empty lines stay empty (no trailing spaces).
fn write_literal_block(out: &mut String, s: &str, indent: usize) {
    let trailing = s.len() - s.trim_end_matches('\n').len();
    out.push_str(match trailing {
        0 => "|-",
        1 => "|",
        _ => "|+",
    });
    // The final newline (if any) is the line break of the last line.
    let body = s.strip_suffix('\n').unwrap_or(s);
    for line in body.split('\n') {
        out.push('\n');
        if !line.is_empty() {
            pad(out, indent);
            out.push_str(line);
        }
    }
}

/// Double-quoted scalar with escapes for quotes, backslashes, control
/// characters and non-printables (YAML escapes work in go-yaml and PyYAML).
fn write_double_quoted(out: &mut String, s: &str) {
    out.push('"');
    // Runs of characters written as they are go in one copy each.
    let mut run = 0;
    for (at, c) in s.char_indices() {
        let escape = match c {
            '"' => "\\\"",
            '\\' => "\\\\",
            '\n' => "\\n",
            '\t' => "\\t",
            '\r' => "\\r",
            '\0' => "\\0",
            c if is_printable(c) => continue,
            _ => "",
        };
        out.push_str(&s[run..at]);
        run = at + c.len_utf8();
        if escape.is_empty() {
            let code = u32::from(c);
            let _ = match code {
                0..=0xFF => write!(out, "\\x{code:02X}"),
                0x100..=0xFFFF => write!(out, "\\u{code:04X}"),
                _ => write!(out, "\\U{code:08X}"),
            };
        } else {
            out.push_str(escape);
        }
    }
    out.push_str(&s[run..]);
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(entries: Vec<(Value, Value)>) -> Value {
        Value::Mapping(entries.into_iter().collect())
    }

    fn s(text: &str) -> Value {
        Value::String(text.to_owned())
    }

    /// `{v: text}` emitted.
    fn emit_value(text: &str) -> String {
        to_string(&map(vec![(s("v"), s(text))]))
    }

    /// Each string must need quotes and be written as `"text"` both as a
    /// value and as a key (the strings here contain nothing to escape).
    fn assert_quoted(cases: &[&str]) {
        for &text in cases {
            assert!(needs_quotes(text), "needs_quotes({text:?}) should be true");
            assert_eq!(
                emit_value(text),
                format!("v: \"{text}\"\n"),
                "value {text:?}"
            );
            let as_key = to_string(&map(vec![(s(text), s("x"))]));
            assert_eq!(as_key, format!("\"{text}\": x\n"), "key {text:?}");
        }
    }

    fn assert_plain(cases: &[&str]) {
        for &text in cases {
            assert!(
                !needs_quotes(text),
                "needs_quotes({text:?}) should be false"
            );
            assert_eq!(emit_value(text), format!("v: {text}\n"), "value {text:?}");
            let as_key = to_string(&map(vec![(s(text), s("x"))]));
            assert_eq!(as_key, format!("{text}: x\n"), "key {text:?}");
        }
    }

    #[test]
    fn quotes_empty_and_surrounding_whitespace() {
        assert_quoted(&["", " ", " a", "a ", "a b "]);
        assert!(needs_quotes("\ta") && needs_quotes("a\t"));
        assert_eq!(emit_value("\ta"), "v: \"\\ta\"\n");
        assert_eq!(emit_value("a\t"), "v: \"a\\t\"\n");
    }

    #[test]
    fn quotes_yaml11_booleans() {
        assert_quoted(&[
            "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "true", "True", "TRUE",
            "false", "False", "FALSE", "on", "On", "ON", "off", "Off", "OFF",
        ]);
    }

    #[test]
    fn quotes_nulls() {
        assert_quoted(&["~", "null", "Null", "NULL"]);
    }

    #[test]
    fn quotes_integers_in_any_base() {
        assert_quoted(&[
            "0", "1", "42", "+1", "-1", "1_000", "0755", "0o755", "0x1F", "0xff", "0b101",
            "-0b101", "+0x1F", "12:30", "1:30:00", "-12:30",
        ]);
    }

    #[test]
    fn quotes_floats_and_specials() {
        assert_quoted(&[
            "1.5", ".5", "-.5", "1e3", "1E+3", "1.0e-3", "1.", "1:30.5", ".inf", ".Inf", ".INF",
            "-.inf", "-.Inf", "+.INF", ".nan", ".NaN", ".NAN",
        ]);
    }

    #[test]
    fn number_lookalikes_stay_plain_as_kubectl_writes_them() {
        // Not numbers for PyYAML, go-yaml v2/v3 or strconv: kubectl writes them plain.
        for s in [
            "1.2.3",
            "1d",
            "30d",
            "0.0.0.0",
            "127.0.0.1:8080",
            "1-2",
            "80-8080",
            "inf",
            "nan",
            "12:60",
            "1:2:3:70",
        ] {
            assert!(!needs_quotes(s), "{s:?} should stay plain");
        }
    }

    #[test]
    fn quotes_what_go_strconv_reads_as_numbers() {
        // go-yaml v2 strips underscores and tries strconv on scalars starting with a digit or sign.
        assert_quoted(&["+inf", "-Infinity", "+NaN", "1_", "1__0", "0x1.8p3", "0X1F"]);
    }

    #[test]
    fn quotes_timestamps() {
        assert_quoted(&[
            "2024-01-01",
            "2024-01-01T10:00:00Z",
            "2024-1-1 10:00",
            "2001-12-14t21:59:43.10-05:00",
            "2024-01-01x",
        ]);
    }

    #[test]
    fn quotes_yaml11_special_keys() {
        assert_quoted(&["=", "<<"]);
    }

    #[test]
    fn quotes_leading_indicators() {
        assert_quoted(&[
            "-",
            "- a",
            "?",
            "? a",
            ":",
            ":a",
            ",a",
            "[a]",
            "]",
            "{a}",
            "}",
            "#it-alerts",
            "&anchor",
            "*alias",
            "!tag",
            "|",
            ">",
            "%TAG",
            "@user",
            "`cmd`",
            "'a'x",
        ]);
        // Quotes and backslashes get escaped inside the double quotes.
        assert!(needs_quotes("\"a\""));
        assert_eq!(emit_value("\"a\\b\""), "v: \"\\\"a\\\\b\\\"\"\n");
    }

    #[test]
    fn quotes_mapping_and_comment_lookalikes() {
        assert_quoted(&["key: value", "a #comment", "ends:", "a: b: c", "x:"]);
    }

    #[test]
    fn quotes_document_markers() {
        assert_quoted(&["---", "...", "--- a", "... a"]);
    }

    #[test]
    fn quotes_and_escapes_control_and_nonprintable_chars() {
        let cases = [
            ("a\tb", r#""a\tb""#),
            ("a\rb", r#""a\rb""#),
            ("a\0b", r#""a\0b""#),
            ("a\u{7}b", r#""a\x07b""#),
            ("a\u{1b}b", r#""a\x1Bb""#),
            ("a\u{7f}b", r#""a\x7Fb""#),
            ("a\u{85}b", r#""a\x85b""#),
            ("\u{feff}a", r#""\uFEFFa""#),
            ("a\u{2028}b", r#""a\u2028b""#),
            ("a\u{2029}b", r#""a\u2029b""#),
            ("a\u{fffe}b", r#""a\uFFFEb""#),
        ];
        for (text, quoted) in cases {
            assert!(needs_quotes(text), "{text:?}");
            assert_eq!(emit_value(text), format!("v: {quoted}\n"), "{text:?}");
        }
    }

    #[test]
    fn keeps_safe_strings_plain() {
        assert_plain(&[
            "grafana",
            "--port",
            "-config.expand-env=true",
            "?a",
            "5m",
            "10s",
            "3Gi",
            "1.5Gi",
            "100m",
            "v1",
            "v1.2.3",
            "http://loki-gateway.loki.svc.cluster.local/loki/api/v1/push",
            "app.kubernetes.io/managed-by",
            "ssd-replicated-retain",
            "/var/log",
            "./k8s/path",
            "a#b",
            "a:b",
            "deadbeef",
            "yess",
            "nulls",
            "a b",
            "héllo wörld",
            "日本語",
            "emoji 🚀",
            "+",
            ".",
            "..",
            "._",
            "_1",
            "~foo",
            "<<a",
            "a-b",
            "it's",
            "say \"hi\"",
            "back\\slash",
            "a,b",
            "a[0]",
            "x{y}",
        ]);
    }

    #[test]
    fn multiline_strings_use_literal_blocks() {
        assert_eq!(emit_value("a\nb\n"), "v: |\n  a\n  b\n");
        assert_eq!(emit_value("a\nb"), "v: |-\n  a\n  b\n");
        assert_eq!(emit_value("a\nb\n\n"), "v: |+\n  a\n  b\n\n");
        assert_eq!(emit_value("a\n\nb\n"), "v: |\n  a\n\n  b\n");
        assert_eq!(emit_value("\na\n"), "v: |\n\n  a\n");
        assert_eq!(emit_value("a\n  b\n"), "v: |\n  a\n    b\n");
        assert_eq!(emit_value("a\n\tb\n"), "v: |\n  a\n  \tb\n");
        // Trailing spaces on a line are content; the literal block keeps them.
        assert_eq!(emit_value("a  \nb\n"), "v: |\n  a  \n  b\n");
        assert_eq!(
            emit_value("key: value\n# not a comment\n"),
            "v: |\n  key: value\n  # not a comment\n"
        );
    }

    #[test]
    fn multiline_strings_fall_back_to_double_quotes() {
        let cases = [
            (" a\nb\n", r#"" a\nb\n""#),
            ("\n  a\n", r#""\n  a\n""#),
            ("\tA\nb", r#""\tA\nb""#),
            ("\n", r#""\n""#),
            ("\n\n", r#""\n\n""#),
            ("a\r\nb\r\n", r#""a\r\nb\r\n""#),
            ("a\nb\u{7}", r#""a\nb\x07""#),
            ("a\u{2028}\nb", r#""a\u2028\nb""#),
        ];
        for (text, quoted) in cases {
            assert_eq!(emit_value(text), format!("v: {quoted}\n"), "{text:?}");
        }
    }

    #[test]
    fn scalars_and_empty_collections() {
        let doc = map(vec![
            (s("null"), Value::Null),
            (s("t"), Value::Bool(true)),
            (s("f"), Value::Bool(false)),
            (s("i"), Value::from(-42)),
            (s("u"), Value::from(u64::MAX)),
            (s("one"), Value::from(1.0)),
            (s("tenth"), Value::from(0.1)),
            (s("big"), Value::from(1e100)),
            (s("tiny"), Value::from(-1.5e-7)),
            (s("inf"), Value::from(f64::INFINITY)),
            (s("ninf"), Value::from(f64::NEG_INFINITY)),
            (s("nan"), Value::from(f64::NAN)),
            (s("m"), Value::Mapping(Mapping::new())),
            (s("s"), Value::Sequence(vec![])),
            (Value::from(1), s("int key")),
            (Value::Bool(true), s("bool key")),
            (Value::Null, s("null key")),
        ]);
        let expected = "\"null\": null
t: true
f: false
i: -42
u: 18446744073709551615
one: 1.0
tenth: 0.1
big: 1.0e+100
tiny: -1.5e-7
inf: .inf
ninf: -.inf
nan: .nan
m: {}
s: []
1: int key
true: bool key
null: null key
";
        assert_eq!(to_string(&doc), expected);
        assert_eq!(to_string(&Value::Null), "null\n");
        assert_eq!(to_string(&Value::Mapping(Mapping::new())), "{}\n");
        assert_eq!(to_string(&s("yes")), "\"yes\"\n");
        assert_eq!(to_string(&s("a\nb\n")), "|\n  a\n  b\n");
    }

    #[test]
    fn golden_kubernetes_objects() {
        let yaml = r#"
apiVersion: apps/v1
kind: Deployment
metadata:
  name: grafana
  labels:
    app.kubernetes.io/managed-by: monitoring-stack
    "on": "yes"
spec:
  replicas: 1
  template:
    spec:
      containers:
      - name: grafana
        image: grafana/grafana:11.0.0
        args: [--config, /etc/grafana.ini]
        ports:
        - containerPort: 3000
        env: []
      matrix: [[a, b], [{x: 1, y: 2}]]
"#;
        let deployment: Value = serde_yaml_ng::from_str(yaml).expect("test fixture");
        let expected = r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: grafana
  labels:
    app.kubernetes.io/managed-by: monitoring-stack
    "on": "yes"
spec:
  replicas: 1
  template:
    spec:
      containers:
      - name: grafana
        image: grafana/grafana:11.0.0
        args:
        - --config
        - /etc/grafana.ini
        ports:
        - containerPort: 3000
        env: []
      matrix:
      - - a
        - b
      - - x: 1
          "y": 2
"#;
        assert_eq!(to_string(&deployment), expected);

        let config_map = map(vec![
            (s("apiVersion"), s("v1")),
            (s("kind"), s("ConfigMap")),
            (s("metadata"), map(vec![(s("name"), s("alloy"))])),
            (
                s("data"),
                map(vec![
                    (
                        s("config.alloy"),
                        s("logging {\n  level = \"info\"\n}\n\nloki.write \"default\" {}\n"),
                    ),
                    (s("empty"), s("")),
                    (s("channel"), s("#it-alerts")),
                ]),
            ),
        ]);
        let expected = r##"apiVersion: v1
kind: ConfigMap
metadata:
  name: alloy
data:
  config.alloy: |
    logging {
      level = "info"
    }

    loki.write "default" {}
  empty: ""
  channel: "#it-alerts"
"##;
        assert_eq!(to_string(&config_map), expected);

        let mut out = String::new();
        write_document(&mut out, &config_map);
        write_document(&mut out, &config_map);
        assert_eq!(out, format!("{expected}{expected}"));
    }

    /// Strings that are easy to get wrong; shared by the round-trip tests.
    const TRICKY: &[&str] = &[
        "",
        " ",
        "  lead",
        "trail  ",
        "\tx",
        "x\t",
        "y",
        "Y",
        "yes",
        "No",
        "ON",
        "off",
        "true",
        "False",
        "~",
        "null",
        "NULL",
        "0",
        "+1",
        "-1",
        "1_000",
        "0755",
        "0o755",
        "0x1F",
        "0b101",
        "12:30",
        "1:30:00",
        "1.5",
        ".5",
        "1e3",
        "1E+3",
        "1.",
        "1:30.5",
        ".inf",
        "-.Inf",
        "+.INF",
        ".nan",
        ".NaN",
        ".NAN",
        "2024-01-01",
        "2024-01-01T10:00:00Z",
        "2024-1-1 10:00",
        "=",
        "<<",
        "-",
        "- a",
        "?",
        "? a",
        ":",
        ": a",
        ",",
        "[",
        "]",
        "{",
        "}",
        "#it-alerts",
        "&a",
        "*a",
        "!a",
        "|",
        ">",
        "'",
        "\"",
        "%",
        "@",
        "`",
        "key: value",
        "a #b",
        "ends:",
        "---",
        "...",
        "--- a",
        "... a",
        "1.2.3",
        "1d",
        "5m",
        "3Gi",
        "v1.2.3",
        "grafana",
        "/var/log",
        "./k8s/path",
        "http://x",
        "a\nb",
        "a\nb\n",
        "a\nb\n\n",
        "a\nb\n\n\n",
        "\na",
        "\n\na\n",
        "\n",
        "\n\n",
        "a  \nb  \n",
        "a\n  \nb",
        "a\n   ",
        " a\nb",
        "\n a",
        "\ta\nb",
        "a\n\tb",
        "a\r\nb\r\n",
        "a\rb",
        "héllo\nwörld\n",
        "日本語",
        "🚀\n🚀",
        "tab\there",
        "quote \" and ' mixed",
        "back\\slash\\",
        "\\n",
        "line: one\nkey: value # x\n",
        "# comment\n- item\n",
        "a\u{0}b",
        "\u{7}",
        "\u{7f}",
        "\u{85}",
        "\u{feff}",
        "x\u{2028}y",
        "x\u{2029}y",
        "\u{a0}nbsp\u{a0}",
        "\u{e000}",
        "\u{fffd}",
        "---\n...\n",
        "a\n---\nb\n",
        "%YAML\n",
    ];

    fn round_trip(value: &Value) {
        let text = to_string(value);
        let back: Value = match serde_yaml_ng::from_str(&text) {
            Ok(back) => back,
            Err(err) => panic!("emitted YAML does not parse: {err}\n{text}"),
        };
        assert_eq!(&back, value, "round trip changed the value:\n{text}");
    }

    #[test]
    fn no_trailing_spaces() {
        // Lines ending in spaces inside a literal block are content and stay;
        // everything else must not produce trailing spaces.
        let has_spaced_line = |t: &str| t.contains('\n') && t.split('\n').any(|l| l.ends_with(' '));
        for &text in TRICKY.iter().filter(|t| !has_spaced_line(t)) {
            let docs = [
                map(vec![(s("k"), s(text))]),
                map(vec![(s(text), s("v"))]),
                Value::Sequence(vec![s(text), map(vec![(s(text), s(text))])]),
                s(text),
            ];
            for doc in docs {
                let out = to_string(&doc);
                assert!(
                    !out.lines().any(|l| l.ends_with([' ', '\t'])),
                    "trailing space:\n{out}"
                );
            }
        }
    }

    #[test]
    fn round_trips_tricky_strings_as_values_and_keys() {
        for &text in TRICKY {
            round_trip(&map(vec![(s("k"), s(text))]));
            round_trip(&map(vec![(s(text), s("v"))]));
            round_trip(&Value::Sequence(vec![s(text), s("after")]));
            round_trip(&map(vec![
                (s("outer"), map(vec![(s("k"), s(text))])),
                (s("after"), s("x")),
            ]));
            round_trip(&s(text));
        }
    }

    #[test]
    fn round_trips_nested_document() {
        let yaml = r##"
apiVersion: v1
items:
- metadata: {name: a, labels: {}}
  spec:
    ports: [80, 443]
    ratio: 0.25
    big: 1.0e+300
    neg: -3
    on: true
    off: null
    nested: [[1, [2, []]], {}, [{a: {b: [c]}}]]
    script: "#!/bin/sh\necho hi\n"
- []
- {}
- null
- - - deep
"##;
        let doc: Value = serde_yaml_ng::from_str(yaml).expect("test fixture");
        round_trip(&doc);
        round_trip(&Value::from(f64::NAN));
        round_trip(&Value::Sequence(vec![
            Value::from(-0.0),
            Value::from(5e-324),
            Value::from(f64::MAX),
        ]));
    }

    #[test]
    fn complex_long_and_tagged_keys_stay_valid() {
        let long_key = "k".repeat(2000);
        let doc = map(vec![
            (map(vec![(s("a"), s("b"))]), s("mapping key")),
            (
                Value::Sequence(vec![s("a"), map(vec![(s("x"), s("y"))])]),
                map(vec![(s("v"), s("w"))]),
            ),
            (Value::Mapping(Mapping::new()), s("empty mapping key")),
            (Value::Sequence(vec![]), Value::Sequence(vec![s("e")])),
            (s(&long_key), s("long")),
            (s("multi\nline key\n"), s("v")),
        ]);
        round_trip(&doc);
        let text = to_string(&doc);
        assert!(text.starts_with("? a: b\n: mapping key\n"), "{text}");
        assert!(text.contains(&format!("? {long_key}\n: long\n")), "{text}");
        assert!(text.contains("\"multi\\nline key\\n\": v\n"), "{text}");
    }

    #[test]
    fn tagged_values_round_trip() {
        let yaml = r#"
scalar: !Thing x
quoted: !Thing "yes"
mapping: !Thing
  k: v
sequence: !Thing [a, b]
empty: !Thing {}
items:
- !Thing
  - a
- !Thing x
"#;
        let doc: Value = serde_yaml_ng::from_str(yaml).expect("test fixture");
        round_trip(&doc);
        let expected = r#"scalar: !Thing x
quoted: !Thing "yes"
mapping: !Thing
  k: v
sequence: !Thing
  - a
  - b
empty: !Thing {}
items:
- !Thing
  - a
- !Thing x
"#;
        assert_eq!(to_string(&doc), expected);
        let odd = Value::Tagged(Box::new(TaggedValue {
            tag: serde_yaml_ng::value::Tag::new("we!rd tag"),
            value: s("v"),
        }));
        round_trip(&map(vec![(s("k"), odd.clone())]));
        round_trip(&map(vec![(odd, s("v"))]));
    }

    #[test]
    fn output_is_deterministic() {
        let doc = map(vec![
            (s("b"), s("1")),
            (s("a"), Value::Sequence(vec![s("x\ny")])),
        ]);
        assert_eq!(to_string(&doc), to_string(&doc.clone()));
        assert_eq!(to_string(&doc), "b: \"1\"\na:\n- |-\n  x\n  y\n");
    }

    /// Reads the emitted strings back with PyYAML, a YAML 1.1 loader like
    /// go-yaml v2 (which kubectl/kustomize use).
    #[test]
    fn yaml11_reader_sees_strings() {
        use std::io::Write as _;
        use std::process::{Command, Stdio};

        let has_pyyaml = Command::new("python3")
            .args(["-c", "import yaml"])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success());
        if !has_pyyaml {
            eprintln!("skipping yaml11_reader_sees_strings: python3 with PyYAML not available");
            return;
        }
        let values: Mapping = TRICKY
            .iter()
            .enumerate()
            .map(|(i, t)| (s(&format!("k{i}")), s(t)))
            .collect();
        // `<<` and `=` are special to PyYAML only as keys with mapping values
        // or constructor lookups; all others must come back as string keys.
        let keys: Mapping = TRICKY
            .iter()
            .enumerate()
            .map(|(i, t)| (s(t), Value::from(i as u64)))
            .collect();
        let doc = map(vec![
            (s("values"), Value::Mapping(values)),
            (s("keys"), Value::Mapping(keys)),
        ]);
        let text = to_string(&doc);

        let script = "import sys, yaml, json\n\
            d = yaml.safe_load(sys.stdin)\n\
            keys = [[type(k).__name__, k if isinstance(k, str) else repr(k), v] for k, v in d['keys'].items()]\n\
            print(json.dumps({'values': d['values'], 'keys': keys}, default=repr))\n";
        let mut child = Command::new("python3")
            .args(["-c", script])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn python3");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(text.as_bytes())
            .expect("write to python3");
        let output = child.wait_with_output().expect("python3 output");
        assert!(
            output.status.success(),
            "PyYAML failed: {}\n{text}",
            String::from_utf8_lossy(&output.stderr)
        );
        let parsed: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");

        for (i, &t) in TRICKY.iter().enumerate() {
            let got = &parsed["values"][format!("k{i}")];
            assert_eq!(
                got.as_str(),
                Some(t),
                "value {t:?} read back by PyYAML as {got}"
            );
        }
        let keys = parsed["keys"].as_array().expect("keys array");
        assert_eq!(keys.len(), TRICKY.len());
        for (i, entry) in keys.iter().enumerate() {
            let expected = serde_json::json!(["str", TRICKY[i], i]);
            assert_eq!(entry, &expected, "key {:?} read back by PyYAML", TRICKY[i]);
        }
    }
}
