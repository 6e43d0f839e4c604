//! Deserialises the typed spec from a YAML value and records where an error happened
//! (`grafana.oidc.clientId`, `alerting.rules[2].expr`).
//!
//! One layer over `&Value`, written for this crate: serde_path_to_error wraps a deserializer and
//! every visitor a second time, which cost the WebAssembly builds about 47 KB of code (an eighth
//! of the npm module). The path is kept in a shared stack: a step is pushed before a key, value
//! or element is read and popped when it was read without error, so after a failure the stack
//! holds the path from the root to the innermost node that failed.

use serde::de::{
    self, DeserializeSeed, Deserializer, EnumAccess, MapAccess, SeqAccess, Unexpected,
    VariantAccess, Visitor,
};
use serde_yaml_ng::{Mapping, Number, Value};
use std::cell::RefCell;
use std::fmt;

/// A deserialisation error: serde's message (the standard texts: `invalid type: …`,
/// `unknown field …`, `missing field …`) or a validator's.
///
/// Boxed (one pointer): the `Result`s of every generic read stay small, which keeps the code
/// that moves them small.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error(pub Box<str>);

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

impl de::Error for Error {
    fn custom<T: fmt::Display>(message: T) -> Self {
        Error(message.to_string().into_boxed_str())
    }
}

/// One step of the path: borrowed from the value, so recording it allocates nothing (a key
/// that is not a string is shown as `?`).
type Step<'de> = crate::yaml::path::Segment<&'de str>;

type Path<'de> = RefCell<Vec<Step<'de>>>;

/// Pushes a step before a child is read (not generic: one copy of the code).
#[inline(never)]
fn enter<'de>(path: &Path<'de>, step: Step<'de>) {
    path.borrow_mut().push(step);
}

/// Pops the step of a child read without error.
#[inline(never)]
fn leave(path: &Path<'_>) {
    path.borrow_mut().pop();
}

/// `T` from `value`, or the error and the path of the node it concerns (`""` for the root;
/// keys joined with `.`, indexes as `[n]`).
pub fn from_value<'de, T: de::Deserialize<'de>>(value: &'de Value) -> Result<T, (String, Error)> {
    let path: Path<'de> = RefCell::new(Vec::new());
    T::deserialize(Node { value, path: &path })
        .map_err(|error| (format_path(&path.borrow()), error))
}

fn format_path(steps: &[Step]) -> String {
    crate::yaml::path::format(steps, crate::yaml::path::Keys::Plain)
}

#[derive(Clone, Copy)]
struct Node<'de, 'p> {
    value: &'de Value,
    path: &'p Path<'de>,
}

impl<'de, 'p> Node<'de, 'p> {
    fn child(self, value: &'de Value) -> Self {
        Node {
            value,
            path: self.path,
        }
    }

    /// Ends the read of this child, entered by `next_element`, `next_key` or `next_value`: its
    /// step leaves the path when it was read without error, and stays when it failed.
    fn finish<T>(self, result: Result<T, Error>) -> Result<T, Error> {
        if result.is_ok() {
            leave(self.path);
        }
        result
    }

    fn unexpected(&self) -> Unexpected<'de> {
        match self.value {
            Value::Null => Unexpected::Unit,
            Value::Bool(b) => Unexpected::Bool(*b),
            Value::Number(n) => number_unexpected(n),
            Value::String(s) => Unexpected::Str(s),
            Value::Sequence(_) => Unexpected::Seq,
            Value::Mapping(_) => Unexpected::Map,
            Value::Tagged(_) => Unexpected::Enum,
        }
    }
}

fn number_unexpected(n: &Number) -> Unexpected<'static> {
    if let Some(u) = n.as_u64() {
        Unexpected::Unsigned(u)
    } else if let Some(i) = n.as_i64() {
        Unexpected::Signed(i)
    } else {
        Unexpected::Float(n.as_f64().unwrap_or(f64::NAN))
    }
}

impl<'de> Deserializer<'de> for Node<'de, '_> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.value {
            Value::Null => visitor.visit_unit(),
            Value::Bool(b) => visitor.visit_bool(*b),
            Value::Number(n) => {
                if let Some(u) = n.as_u64() {
                    visitor.visit_u64(u)
                } else if let Some(i) = n.as_i64() {
                    visitor.visit_i64(i)
                } else {
                    visitor.visit_f64(n.as_f64().unwrap_or(f64::NAN))
                }
            }
            Value::String(s) => visitor.visit_borrowed_str(s),
            Value::Sequence(items) => visitor.visit_seq(Elements::new(self, items)),
            Value::Mapping(map) => visitor.visit_map(Entries::new(self, Some(map))),
            // A local tag (`!secret x`) means nothing in a spec, and dropping it silently could
            // hide a mistake (core tags such as `!!str` are already resolved by the parser).
            Value::Tagged(tagged) => Err(de::Error::custom(format!(
                "YAML tags such as {} have no meaning in a MonitoringStack; write the plain value",
                tagged.tag
            ))),
        }
    }

    // As serde_yaml_ng reads a value: `null` is also an empty sequence, map or struct (so
    // `grafana: null` means the defaults), and a struct is read from a mapping only.
    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        // One `visit_seq` call per visitor type (this is instantiated for every element type).
        let items: &[Value] = match self.value {
            Value::Sequence(items) => items,
            Value::Null => &[],
            _ => return Err(de::Error::invalid_type(self.unexpected(), &visitor)),
        };
        visitor.visit_seq(Elements::new(self, items))
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        // One `visit_map` call per visitor type (this is instantiated for every struct).
        let map = match self.value {
            Value::Mapping(map) => Some(map),
            Value::Null => None,
            _ => return Err(de::Error::invalid_type(self.unexpected(), &visitor)),
        };
        visitor.visit_map(Entries::new(self, map))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_map(visitor)
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.value {
            Value::Null => visitor.visit_unit(),
            _ => Err(de::Error::invalid_type(self.unexpected(), &visitor)),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.value {
            Value::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match self.value {
            Value::String(s) => visitor.visit_enum(UnitVariant(s)),
            _ => Err(de::Error::invalid_type(self.unexpected(), &visitor)),
        }
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit_struct tuple tuple_struct identifier ignored_any
    }
}

/// The spec's enums are unit variants written as strings (`layout: flux`).
struct UnitVariant<'de>(&'de str);

impl<'de> EnumAccess<'de> for UnitVariant<'de> {
    type Error = Error;
    type Variant = Self;

    fn variant_seed<S: DeserializeSeed<'de>>(self, seed: S) -> Result<(S::Value, Self), Error> {
        let name = de::value::BorrowedStrDeserializer::<Error>::new(self.0);
        Ok((seed.deserialize(name)?, self))
    }
}

impl<'de> VariantAccess<'de> for UnitVariant<'de> {
    type Error = Error;

    fn unit_variant(self) -> Result<(), Error> {
        Ok(())
    }

    fn newtype_variant_seed<S: DeserializeSeed<'de>>(self, _seed: S) -> Result<S::Value, Error> {
        Err(de::Error::invalid_type(
            Unexpected::UnitVariant,
            &"newtype variant",
        ))
    }

    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, _visitor: V) -> Result<V::Value, Error> {
        Err(de::Error::invalid_type(
            Unexpected::UnitVariant,
            &"tuple variant",
        ))
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, Error> {
        Err(de::Error::invalid_type(
            Unexpected::UnitVariant,
            &"struct variant",
        ))
    }
}

struct Elements<'de, 'p> {
    node: Node<'de, 'p>,
    items: std::iter::Enumerate<std::slice::Iter<'de, Value>>,
}

impl<'de, 'p> Elements<'de, 'p> {
    fn new(node: Node<'de, 'p>, items: &'de [Value]) -> Self {
        Elements {
            node,
            items: items.iter().enumerate(),
        }
    }
}

impl<'de> SeqAccess<'de> for Elements<'de, '_> {
    type Error = Error;

    fn next_element_seed<S: DeserializeSeed<'de>>(
        &mut self,
        seed: S,
    ) -> Result<Option<S::Value>, Error> {
        match next_element(self) {
            Some(child) => child.finish(seed.deserialize(child)).map(Some),
            None => Ok(None),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
    }
}

struct Entries<'de, 'p> {
    node: Node<'de, 'p>,
    /// `None` for `null`, read as an empty mapping.
    entries: Option<serde_yaml_ng::mapping::Iter<'de>>,
    /// The key and value of the entry whose key was just read.
    pending: Option<(&'de Value, &'de Value)>,
}

impl<'de, 'p> Entries<'de, 'p> {
    fn new(node: Node<'de, 'p>, map: Option<&'de Mapping>) -> Self {
        Entries {
            node,
            entries: map.map(Mapping::iter),
            pending: None,
        }
    }
}

impl<'de> MapAccess<'de> for Entries<'de, '_> {
    type Error = Error;

    fn next_key_seed<S: DeserializeSeed<'de>>(
        &mut self,
        seed: S,
    ) -> Result<Option<S::Value>, Error> {
        // An unknown field fails here, and its path names it.
        match next_key(self) {
            Some(child) => child.finish(seed.deserialize(child)).map(Some),
            None => Ok(None),
        }
    }

    fn next_value_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<S::Value, Error> {
        let child = next_value(self)?;
        child.finish(seed.deserialize(child))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.as_ref().map_or(0, ExactSizeIterator::len))
    }
}

/// The next element, its index entered on the path. Not generic (one copy for every element
/// type), as are [`next_key`] and [`next_value`]: the generic reads only call the seed.
#[inline(never)]
fn next_element<'de, 'p>(elements: &mut Elements<'de, 'p>) -> Option<Node<'de, 'p>> {
    let (index, item) = elements.items.next()?;
    enter(elements.node.path, Step::Index(index));
    Some(elements.node.child(item))
}

/// The next entry's key, entered on the path; the entry is kept for [`next_value`].
#[inline(never)]
fn next_key<'de, 'p>(entries: &mut Entries<'de, 'p>) -> Option<Node<'de, 'p>> {
    let (key, value) = entries.entries.as_mut().and_then(Iterator::next)?;
    entries.pending = Some((key, value));
    enter(entries.node.path, Step::Key(key.as_str().unwrap_or("?")));
    Some(entries.node.child(key))
}

/// The value of the entry whose key was just read, its key entered on the path.
#[inline(never)]
fn next_value<'de, 'p>(entries: &mut Entries<'de, 'p>) -> Result<Node<'de, 'p>, Error> {
    let Some((key, value)) = entries.pending.take() else {
        return Err(de::Error::custom("a value was read before its key"));
    };
    enter(entries.node.path, Step::Key(key.as_str().unwrap_or("?")));
    Ok(entries.node.child(value))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields, rename_all = "camelCase")]
    struct Outer {
        #[serde(default)]
        inner: Option<Inner>,
        #[serde(default)]
        list: Vec<Inner>,
        #[serde(default)]
        mode: Option<Mode>,
        #[serde(default)]
        free: Option<Value>,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Inner {
        count: u32,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(rename_all = "lowercase")]
    enum Mode {
        Fast,
        Slow,
    }

    fn read(yaml: &str) -> Result<Outer, (String, String)> {
        let value: Value = serde_yaml_ng::from_str(yaml).expect("yaml");
        from_value::<Outer>(&value).map_err(|(path, error)| (path, error.0.into()))
    }

    #[test]
    fn reads_what_serde_yaml_reads() {
        let text = "inner: {count: 3}\nlist: [{count: 1}]\nmode: slow\nfree: {a: [1, x]}\n";
        let value: Value = serde_yaml_ng::from_str(text).expect("yaml");
        let through_yaml: Outer = serde_yaml_ng::from_value(value.clone()).expect("serde_yaml");
        assert_eq!(from_value::<Outer>(&value).expect("path_de"), through_yaml);
    }

    #[test]
    fn null_is_an_empty_collection_as_in_serde_yaml() {
        let value: Value = serde_yaml_ng::from_str("list: null\nfree: null\n").expect("yaml");
        let outer = from_value::<Outer>(&value).expect("null list");
        assert_eq!(outer.list, Vec::new());
        let null = Value::Null;
        assert!(from_value::<Inner>(&null)
            .is_err_and(|(path, e)| path.is_empty() && &*e.0 == "missing field `count`"));
    }

    #[test]
    fn errors_name_the_innermost_node() {
        let cases = [
            (
                "inner: {count: x}\n",
                "inner.count",
                "invalid type: string \"x\", expected u32",
            ),
            (
                "list: [{count: 1}, {cont: 2}]\n",
                "list[1].cont",
                "unknown field `cont`, expected `count`",
            ),
            (
                "list: [{count: 1}, {}]\n",
                "list[1]",
                "missing field `count`",
            ),
            (
                "inner: {count: -1}\n",
                "inner.count",
                "invalid value: integer `-1`, expected u32",
            ),
            (
                "mode: medium\n",
                "mode",
                "unknown variant `medium`, expected `fast` or `slow`",
            ),
            (
                "mode: [fast]\n",
                "mode",
                "invalid type: sequence, expected enum Mode",
            ),
            (
                "list: {count: 1}\n",
                "list",
                "invalid type: map, expected a sequence",
            ),
            (
                "inner: {count: !n 1}\n",
                "inner.count",
                "YAML tags such as !n have no meaning in a MonitoringStack; write the plain value",
            ),
            (
                "inner: [1]\n",
                "inner",
                "invalid type: sequence, expected struct Inner",
            ),
            (
                "? [a]\n: x\n",
                "?",
                "invalid type: sequence, expected field identifier",
            ),
        ];
        for (yaml, path, message) in cases {
            assert_eq!(
                read(yaml),
                Err((path.to_string(), message.to_string())),
                "{yaml}"
            );
        }
    }
}
