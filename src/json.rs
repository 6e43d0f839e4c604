//! `json!` for the expansion's bodies, with smaller code than serde_json's. serde_json's `json!`
//! inlines, for every entry, the key's allocation, the map insert and the drop of the replaced
//! value, and for every value `to_value(..).unwrap()` with its panic location: about 50 bytes
//! of WebAssembly per entry, most of the expansion's code.
//!
//! Here the proc macro `json_template` (derive/src/json.rs) turns the constant part of a body
//! (keys, strings, `null`, booleans, nesting) into one byte string, [`build`] reads it at run
//! time, and each Rust expression in the body is a reference handed to `build` ([`Hole`]),
//! turned into a value by `to_value` as serde_json's macro does: the same values, in the same
//! order. Together with the two rules below, about 20 KB less WebAssembly in the npm module.
//!
//! A body whose keys are not all string literals (`{ key: value }` with a computed key) goes
//! through `json_internal!`: serde_json's rules (1.0.154, `src/macros.rs`, MIT or Apache-2.0)
//! with an entry as one call ([`Key::put`]) and a value as one call ([`leaf`]).
//!
//! Use it as `use crate::json::json;`.

use serde::Serialize;
use serde_json::{Map, Value};

/// Builds a `serde_json::Value` from JSON-like syntax, as `serde_json::json!` does: compiled to
/// a template by the proc macro `json_template` (derive/src/json.rs) and built by [`build`].
pub(crate) use monitoring_stack_derive::json_template as json;

#[doc(hidden)]
macro_rules! json_internal {
    //////////////////////////////////////////////////////////////////////////
    // TT muncher for parsing the inside of an array [...]. Produces a vec![...]
    // of the elements.
    //
    // Must be invoked as: json_internal!(@array [] $($tt)*)
    //////////////////////////////////////////////////////////////////////////

    // Done with trailing comma.
    (@array [$($elems:expr,)*]) => {
        ::std::vec![$($elems,)*]
    };

    // Done without trailing comma.
    (@array [$($elems:expr),*]) => {
        ::std::vec![$($elems),*]
    };

    // Next element is `null`.
    (@array [$($elems:expr,)*] null $($rest:tt)*) => {
        $crate::json::json_internal!(@array [$($elems,)* $crate::json::json_internal!(null)] $($rest)*)
    };

    // Next element is `true`.
    (@array [$($elems:expr,)*] true $($rest:tt)*) => {
        $crate::json::json_internal!(@array [$($elems,)* $crate::json::json_internal!(true)] $($rest)*)
    };

    // Next element is `false`.
    (@array [$($elems:expr,)*] false $($rest:tt)*) => {
        $crate::json::json_internal!(@array [$($elems,)* $crate::json::json_internal!(false)] $($rest)*)
    };

    // Next element is an array.
    (@array [$($elems:expr,)*] [$($array:tt)*] $($rest:tt)*) => {
        $crate::json::json_internal!(@array [$($elems,)* $crate::json::json_internal!([$($array)*])] $($rest)*)
    };

    // Next element is a map.
    (@array [$($elems:expr,)*] {$($map:tt)*} $($rest:tt)*) => {
        $crate::json::json_internal!(@array [$($elems,)* $crate::json::json_internal!({$($map)*})] $($rest)*)
    };

    // Next element is an expression followed by comma.
    (@array [$($elems:expr,)*] $next:expr, $($rest:tt)*) => {
        $crate::json::json_internal!(@array [$($elems,)* $crate::json::json_internal!($next),] $($rest)*)
    };

    // Last element is an expression with no trailing comma.
    (@array [$($elems:expr,)*] $last:expr) => {
        $crate::json::json_internal!(@array [$($elems,)* $crate::json::json_internal!($last)])
    };

    // Comma after the most recent element.
    (@array [$($elems:expr),*] , $($rest:tt)*) => {
        $crate::json::json_internal!(@array [$($elems,)*] $($rest)*)
    };

    // Unexpected token after most recent element.
    (@array [$($elems:expr),*] $unexpected:tt $($rest:tt)*) => {
        $crate::json::json_unexpected!($unexpected)
    };

    //////////////////////////////////////////////////////////////////////////
    // TT muncher for parsing the inside of an object {...}. Each entry is
    // inserted into the given map variable.
    //
    // Must be invoked as: json_internal!(@object $map () ($($tt)*) ($($tt)*))
    //
    // We require two copies of the input tokens so that we can match on one
    // copy and trigger errors on the other copy.
    //////////////////////////////////////////////////////////////////////////

    // Done.
    (@object $object:ident () () ()) => {};

    // Insert the current entry followed by trailing comma.
    (@object $object:ident [$($key:tt)+] ($value:expr) , $($rest:tt)*) => {
        $crate::json::Key::put(($($key)+), &mut $object, $value);
        $crate::json::json_internal!(@object $object () ($($rest)*) ($($rest)*));
    };

    // Current entry followed by unexpected token.
    (@object $object:ident [$($key:tt)+] ($value:expr) $unexpected:tt $($rest:tt)*) => {
        $crate::json::json_unexpected!($unexpected);
    };

    // Insert the last entry without trailing comma.
    (@object $object:ident [$($key:tt)+] ($value:expr)) => {
        $crate::json::Key::put(($($key)+), &mut $object, $value);
    };

    // Next value is `null`.
    (@object $object:ident ($($key:tt)+) (: null $($rest:tt)*) $copy:tt) => {
        $crate::json::json_internal!(@object $object [$($key)+] ($crate::json::json_internal!(null)) $($rest)*);
    };

    // Next value is `true`.
    (@object $object:ident ($($key:tt)+) (: true $($rest:tt)*) $copy:tt) => {
        $crate::json::json_internal!(@object $object [$($key)+] ($crate::json::json_internal!(true)) $($rest)*);
    };

    // Next value is `false`.
    (@object $object:ident ($($key:tt)+) (: false $($rest:tt)*) $copy:tt) => {
        $crate::json::json_internal!(@object $object [$($key)+] ($crate::json::json_internal!(false)) $($rest)*);
    };

    // Next value is an array.
    (@object $object:ident ($($key:tt)+) (: [$($array:tt)*] $($rest:tt)*) $copy:tt) => {
        $crate::json::json_internal!(@object $object [$($key)+] ($crate::json::json_internal!([$($array)*])) $($rest)*);
    };

    // Next value is a map.
    (@object $object:ident ($($key:tt)+) (: {$($map:tt)*} $($rest:tt)*) $copy:tt) => {
        $crate::json::json_internal!(@object $object [$($key)+] ($crate::json::json_internal!({$($map)*})) $($rest)*);
    };

    // Next value is an expression followed by comma.
    (@object $object:ident ($($key:tt)+) (: $value:expr , $($rest:tt)*) $copy:tt) => {
        $crate::json::json_internal!(@object $object [$($key)+] ($crate::json::json_internal!($value)) , $($rest)*);
    };

    // Last value is an expression with no trailing comma.
    (@object $object:ident ($($key:tt)+) (: $value:expr) $copy:tt) => {
        $crate::json::json_internal!(@object $object [$($key)+] ($crate::json::json_internal!($value)));
    };

    // Missing value for last entry. Trigger a reasonable error message.
    (@object $object:ident ($($key:tt)+) (:) $copy:tt) => {
        // "unexpected end of macro invocation"
        $crate::json::json_internal!();
    };

    // Missing colon and value for last entry. Trigger a reasonable error
    // message.
    (@object $object:ident ($($key:tt)+) () $copy:tt) => {
        // "unexpected end of macro invocation"
        $crate::json::json_internal!();
    };

    // Misplaced colon. Trigger a reasonable error message.
    (@object $object:ident () (: $($rest:tt)*) ($colon:tt $($copy:tt)*)) => {
        // Takes no arguments so "no rules expected the token `:`".
        $crate::json::json_unexpected!($colon);
    };

    // Found a comma inside a key. Trigger a reasonable error message.
    (@object $object:ident ($($key:tt)*) (, $($rest:tt)*) ($comma:tt $($copy:tt)*)) => {
        // Takes no arguments so "no rules expected the token `,`".
        $crate::json::json_unexpected!($comma);
    };

    // Key is fully parenthesized. This avoids clippy double_parens false
    // positives because the parenthesization may be necessary here.
    (@object $object:ident () (($key:expr) : $($rest:tt)*) $copy:tt) => {
        $crate::json::json_internal!(@object $object ($key) (: $($rest)*) (: $($rest)*));
    };

    // Refuse to absorb colon token into key expression.
    (@object $object:ident ($($key:tt)*) (: $($unexpected:tt)+) $copy:tt) => {
        $crate::json::json_expect_expr_comma!($($unexpected)+);
    };

    // Munch a token into the current key.
    (@object $object:ident ($($key:tt)*) ($tt:tt $($rest:tt)*) $copy:tt) => {
        $crate::json::json_internal!(@object $object ($($key)* $tt) ($($rest)*) ($($rest)*));
    };

    //////////////////////////////////////////////////////////////////////////
    // The main implementation.
    //
    // Must be invoked as: json_internal!($($json)+)
    //////////////////////////////////////////////////////////////////////////

    (null) => {
        ::serde_json::Value::Null
    };

    (true) => {
        ::serde_json::Value::Bool(true)
    };

    (false) => {
        ::serde_json::Value::Bool(false)
    };

    ([]) => {
        ::serde_json::Value::Array(::std::vec![])
    };

    ([ $($tt:tt)+ ]) => {
        ::serde_json::Value::Array($crate::json::json_internal!(@array [] $($tt)+))
    };

    ({}) => {
        ::serde_json::Value::Object(::serde_json::Map::new())
    };

    ({ $($tt:tt)+ }) => {
        ::serde_json::Value::Object({
            let mut object = ::serde_json::Map::new();
            $crate::json::json_internal!(@object object () ($($tt)+) ($($tt)+));
            object
        })
    };

    // Any Serialize type: numbers, strings, struct literals, variables etc.
    // Must be below every other rule.
    ($other:expr) => {
        $crate::json::leaf(&$other)
    };
}

// serde_json's error helpers, used only by the rules that reject malformed input.
#[allow(unused_macros)]
macro_rules! json_unexpected {
    () => {};
}

#[allow(unused_macros)]
macro_rules! json_expect_expr_comma {
    ($e:expr , $($tt:tt)*) => {};
}

#[allow(unused_imports)]
pub(crate) use {json_expect_expr_comma, json_internal, json_unexpected};

/// The value a `json!` template describes (the encoding is in derive/src/json.rs), with the
/// expressions (`holes`) in the order they are written, each turned into a value as `json!`
/// does (`to_value`) when the template reaches it.
pub fn build(template: &'static [u8], holes: &[&dyn Hole]) -> Value {
    let mut reader = Template {
        bytes: template,
        at: 0,
        holes: holes.iter(),
    };
    reader.value()
}

/// An expression of a `json!` body, as [`build`] reads it (one vtable per type; the call site
/// only hands over a reference).
pub trait Hole {
    fn to_json(&self) -> Value;
}

/// A hole of any `Serialize` type: converted through serde, as serde_json's `json!` does.
pub struct SerdeHole<'a, T: ?Sized>(&'a T);

impl<T: Serialize + ?Sized> Hole for SerdeHole<'_, T> {
    fn to_json(&self) -> Value {
        leaf(self.0)
    }
}

/// A hole that already is JSON (a value or a list of values): cloned. Through serde it was
/// rebuilt key by key, the costliest part of an expansion (the rules and configurations the
/// components build as values and then place in a body).
pub struct CloneHole<'a, T: ?Sized>(&'a T);

impl Hole for CloneHole<'_, Value> {
    fn to_json(&self) -> Value {
        self.0.clone()
    }
}

impl Hole for CloneHole<'_, Vec<Value>> {
    fn to_json(&self) -> Value {
        Value::Array(self.0.clone())
    }
}

/// Picks a hole's conversion by its type where `json!` expands (the "autoref" way of choosing
/// an impl on stable Rust): `(&&Probe(&x)).hole()` finds [`ByClone`] when `x` is a `Value` or a
/// `Vec<Value>`, else [`BySerde`] one reference further.
pub struct Probe<'a, T: ?Sized>(pub &'a T);

pub trait ByClone<'a, T: ?Sized> {
    fn hole(self) -> CloneHole<'a, T>;
}

impl<'a> ByClone<'a, Value> for &&Probe<'a, Value> {
    fn hole(self) -> CloneHole<'a, Value> {
        CloneHole(self.0)
    }
}

impl<'a> ByClone<'a, Vec<Value>> for &&Probe<'a, Vec<Value>> {
    fn hole(self) -> CloneHole<'a, Vec<Value>> {
        CloneHole(self.0)
    }
}

pub trait BySerde<'a, T: ?Sized> {
    fn hole(self) -> SerdeHole<'a, T>;
}

impl<'a, T: Serialize + ?Sized> BySerde<'a, T> for &Probe<'a, T> {
    fn hole(self) -> SerdeHole<'a, T> {
        SerdeHole(self.0)
    }
}

struct Template<'h> {
    bytes: &'static [u8],
    at: usize,
    holes: std::slice::Iter<'h, &'h dyn Hole>,
}

impl Template<'_> {
    fn byte(&mut self) -> u8 {
        let byte = self.bytes.get(self.at).copied().unwrap_or(b'n');
        self.at += 1;
        byte
    }

    fn len(&mut self) -> usize {
        let mut len = 0;
        let mut shift = 0;
        loop {
            let byte = self.byte();
            len |= usize::from(byte & 0x7f) << shift;
            if byte < 0x80 || shift > 28 {
                return len;
            }
            shift += 7;
        }
    }

    fn string(&mut self) -> String {
        let len = self.len();
        let end = (self.at + len).min(self.bytes.len());
        let text = std::str::from_utf8(&self.bytes[self.at.min(end)..end]).unwrap_or_default();
        self.at = end;
        text.to_owned()
    }

    fn value(&mut self) -> Value {
        match self.byte() {
            b't' => Value::Bool(true),
            b'f' => Value::Bool(false),
            b'h' => self.holes.next().map_or(Value::Null, |hole| hole.to_json()),
            b's' => Value::String(self.string()),
            b'[' => {
                let len = self.len();
                let mut items = Vec::with_capacity(len);
                for _ in 0..len {
                    items.push(self.value());
                }
                Value::Array(items)
            }
            b'{' => {
                let len = self.len();
                let mut object = Map::new();
                for _ in 0..len {
                    let key = self.string();
                    let value = self.value();
                    object.insert(key, value);
                }
                Value::Object(object)
            }
            _ => Value::Null,
        }
    }
}

/// An object key: inserting it is one call per entry, whatever the key.
pub trait Key {
    fn put(self, object: &mut Map<String, Value>, value: Value);
}

impl Key for &str {
    #[inline(never)]
    fn put(self, object: &mut Map<String, Value>, value: Value) {
        object.insert(self.to_owned(), value);
    }
}

impl Key for String {
    #[inline(never)]
    fn put(self, object: &mut Map<String, Value>, value: Value) {
        object.insert(self, value);
    }
}

impl Key for &String {
    fn put(self, object: &mut Map<String, Value>, value: Value) {
        self.as_str().put(object, value);
    }
}

/// A value of any `Serialize` type, as `json!` makes it (`to_value(..).unwrap()`: serialising
/// into a `Value` fails only for maps with keys that are not strings, which the expansion never
/// builds).
pub fn leaf<T: Serialize + ?Sized>(value: &T) -> Value {
    match serde_json::to_value(value) {
        Ok(value) => value,
        Err(_) => failed(),
    }
}

/// Not reached (see [`leaf`]). The message leaves serde_json's error out: printing it would link
/// the texts of every error serde_json's reader can raise (about 2 KB of the npm module).
#[inline(never)]
#[cold]
fn failed() -> ! {
    panic!("json!: a value that JSON cannot hold (a map key that is not a string)")
}

/// serde_json's compact text of `value` (`to_string`), written here: serde_json's text writer
/// (with its float formatter) is 3 KB of the npm module, for one hash of a body that holds no
/// floats. A float is written as the YAML writer writes it ([`crate::yaml::float::debug`]),
/// which is not always serde_json's text (`1e+16` there, `1e16` here).
pub fn compact(value: &Value) -> String {
    let mut out = String::new();
    write_compact(&mut out, value);
    out
}

fn write_compact(out: &mut String, value: &Value) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        // Not through `Number`'s `Display`, which links serde_json's float writer.
        Value::Number(n) => {
            if let Some(u) = n.as_u64() {
                out.push_str(&u.to_string());
            } else if let Some(i) = n.as_i64() {
                out.push_str(&i.to_string());
            } else {
                match n.as_f64().filter(|f| f.is_finite()) {
                    Some(f) => out.push_str(&crate::yaml::float::debug(f)),
                    None => out.push_str("null"),
                }
            }
        }
        Value::String(text) => write_string(out, text),
        Value::Array(items) => {
            out.push('[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                write_compact(out, item);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (index, (key, item)) in map.iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                write_string(out, key);
                out.push(':');
                write_compact(out, item);
            }
            out.push('}');
        }
    }
}

/// The escapes JSON strings and Alloy's string literals (`stack::alloy::config::quote`) share.
pub fn short_escape(c: char) -> Option<&'static str> {
    Some(match c {
        '"' => "\\\"",
        '\\' => "\\\\",
        '\n' => "\\n",
        '\r' => "\\r",
        '\t' => "\\t",
        _ => return None,
    })
}

/// A JSON string as serde_json escapes it: `"`, `\` and the control characters, the common
/// ones by their short escapes, the others as `\u00xx`.
fn write_string(out: &mut String, text: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push('"');
    for c in text.chars() {
        if let Some(escape) = short_escape(c) {
            out.push_str(escape);
            continue;
        }
        match c {
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => {
                out.push_str("\\u00");
                out.push(HEX[(c as usize) >> 4] as char);
                out.push(HEX[(c as usize) & 0xf] as char);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_is_serde_jsons_text() {
        let every_ascii: String = (0u8..128).map(char::from).collect();
        let value = serde_json::json!({
            "ascii": every_ascii,
            "unicode": "é ✓ \u{2028} \u{1f600}",
            "numbers": [0, 1, -1, u64::MAX, i64::MIN, 0.5, 1.5e-7, 100.0, -2.25],
            "nested": {"empty": {}, "list": [], "null": null, "yes": true, "no": false},
            "order": {"z": 1, "a": 2},
        });
        assert_eq!(
            compact(&value),
            serde_json::to_string(&value).expect("json")
        );
    }
}
