//! The spec structs' `Deserialize`, table-driven: what `#[derive(SpecDeserialize)]`
//! (`derive/`, the crate `monitoring-stack-derive`) builds on.
//!
//! serde's derive writes a whole visitor per struct: about 3 KB of WebAssembly each, 130 KB of
//! the npm module for the spec's structs. Here the visitor is written once ([`deserialize`]):
//! it looks each key up in the struct's table of field names and hands the value to the
//! struct's [`SpecStruct::read_field`], a `match` on the field's index, which is all the derive
//! writes per struct besides the table and the defaults. The messages are serde's own (the
//! same `de::Error` constructors), so paths and texts do not change.
//!
//! A new spec struct: derive `SpecDeserialize` instead of `Deserialize` and keep the usual
//! serde attributes (`#[serde(rename_all = "camelCase", deny_unknown_fields, default)]`, on
//! fields `default`, `default = "path"`, `rename`, `skip`, `deserialize_with`):
//!
//! ```ignore
//! #[derive(Debug, Clone, SpecDeserialize, schemars::JsonSchema)]
//! #[serde(rename_all = "camelCase", deny_unknown_fields, default)]
//! pub struct ExampleSpec {
//!     pub enabled: bool,
//!     pub namespace: DnsLabel,
//! }
//! ```
//!
//! `schemars::JsonSchema` reads the same attributes, so the schema describes what is parsed; an
//! attribute the derive does not know is a compile error. Enums keep serde's derive (their
//! visitors are small).

use serde::de::{
    self, Deserialize, DeserializeSeed, Deserializer, Expected, MapAccess, Unexpected, Visitor,
};
use std::fmt;
use std::marker::PhantomData;

/// A struct read by field index; implemented by `#[derive(SpecDeserialize)]`.
pub trait SpecStruct: Sized {
    /// The struct's name, for "expected struct X".
    const NAME: &'static str;
    /// The names of the fields read, in declaration order (at most 64).
    const FIELDS: &'static [&'static str];
    /// What is built while the entries are read: the struct itself (starting from its defaults)
    /// or an `Option` per field.
    type State;

    fn start() -> Self::State;

    /// Reads the field `FIELDS[index]` from `deserializer` into `state`.
    fn read_field<'de, D: Deserializer<'de>>(
        state: &mut Self::State,
        index: usize,
        deserializer: D,
    ) -> Result<(), D::Error>;

    /// The struct, once every entry was read: missing fields take their defaults, or fail.
    fn finish<E: de::Error>(state: Self::State) -> Result<Self, E>;
}

/// `T` from a mapping (or `null`, read as an empty one by the spec's deserializer), as serde's
/// derive reads it with `deny_unknown_fields`.
pub fn deserialize<'de, D: Deserializer<'de>, T: SpecStruct>(
    deserializer: D,
) -> Result<T, D::Error> {
    deserializer.deserialize_struct(T::NAME, T::FIELDS, StructVisitor::<T>(PhantomData))
}

struct StructVisitor<T>(PhantomData<T>);

impl<'de, T: SpecStruct> Visitor<'de> for StructVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("struct ")?;
        f.write_str(T::NAME)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<T, A::Error> {
        let mut state = T::start();
        read_entries(&mut map, T::FIELDS, &mut |index, map: &mut A| {
            map.next_value_seed(FieldValue::<T> {
                state: &mut state,
                index,
            })
        })?;
        T::finish(state)
    }
}

/// The loop over a struct's entries, one copy per kind of map rather than one per struct: each
/// key is looked up in `fields` (unknown and repeated fields fail) and `read` reads its value.
#[inline(never)]
#[allow(clippy::type_complexity)]
fn read_entries<'de, A: MapAccess<'de>>(
    map: &mut A,
    fields: &'static [&'static str],
    read: &mut dyn FnMut(usize, &mut A) -> Result<(), A::Error>,
) -> Result<(), A::Error> {
    let mut seen: u64 = 0;
    while let Some(index) = map.next_key_seed(FieldName(fields))? {
        let bit = 1u64 << (index % 64);
        if seen & bit != 0 {
            let name = fields.get(index).copied().unwrap_or("?");
            return Err(de::Error::duplicate_field(name));
        }
        seen |= bit;
        read(index, map)?;
    }
    Ok(())
}

/// Reads one field into its place: one copy per field type, where an inlined read, move and
/// drop of the old value in every struct's `match` cost about 150 bytes per field.
#[inline(never)]
pub fn read_into<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    slot: &mut T,
    deserializer: D,
) -> Result<(), D::Error> {
    *slot = T::deserialize(deserializer)?;
    Ok(())
}

/// [`read_into`] for a field of a struct without defaults (its state holds an `Option` each).
#[inline(never)]
pub fn read_some<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    slot: &mut Option<T>,
    deserializer: D,
) -> Result<(), D::Error> {
    *slot = Some(T::deserialize(deserializer)?);
    Ok(())
}

/// Reads a key as the index of a field, as serde's derived field identifiers do: the name, or
/// the index itself when the key is an unsigned integer.
struct FieldName(&'static [&'static str]);

impl<'de> DeserializeSeed<'de> for FieldName {
    type Value = usize;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<usize, D::Error> {
        deserializer.deserialize_identifier(self)
    }
}

impl<'de> Visitor<'de> for FieldName {
    type Value = usize;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("field identifier")
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<usize, E> {
        match usize::try_from(value) {
            Ok(index) if index < self.0.len() => Ok(index),
            _ => Err(E::invalid_value(
                Unexpected::Unsigned(value),
                &FieldIndex(self.0.len()),
            )),
        }
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<usize, E> {
        match self.0.iter().position(|name| *name == value) {
            Some(index) => Ok(index),
            None => Err(E::unknown_field(value, self.0)),
        }
    }

    fn visit_bytes<E: de::Error>(self, value: &[u8]) -> Result<usize, E> {
        match self.0.iter().position(|name| name.as_bytes() == value) {
            Some(index) => Ok(index),
            None => Err(E::unknown_field(&String::from_utf8_lossy(value), self.0)),
        }
    }
}

/// serde's "field index 0 <= i < N".
struct FieldIndex(usize);

impl Expected for FieldIndex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "field index 0 <= i < {}", self.0)
    }
}

/// Reads the value of the field `index` into the state.
struct FieldValue<'s, T: SpecStruct> {
    state: &'s mut T::State,
    index: usize,
}

impl<'de, T: SpecStruct> DeserializeSeed<'de> for FieldValue<'_, T> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        T::read_field(self.state, self.index, deserializer)
    }
}

#[cfg(test)]
mod tests {
    use super::super::path_de::from_value;
    use super::super::SpecDeserialize;
    use serde::Deserialize;
    use serde_yaml_ng::Value;

    // Each shape twice: through this derive and through serde's; both must read every input
    // the same way, errors (path and message) included.
    macro_rules! twins {
        ($spec:ident, $serde:ident, #[$($attr:tt)*] { $($body:tt)* }) => {
            #[derive(Debug, PartialEq, SpecDeserialize)]
            #[$($attr)*]
            struct $spec { $($body)* }
            #[derive(Debug, PartialEq, Deserialize)]
            #[$($attr)*]
            struct $serde { $($body)* }
        };
    }

    fn default_name() -> String {
        "fallback".to_string()
    }

    twins!(Defaulted, DefaultedSerde, #[serde(rename_all = "camelCase", deny_unknown_fields, default)] {
        enabled: bool,
        replica_count: u32,
        maybe: Option<String>,
        #[serde(default = "default_name")]
        own_default: String,
        #[serde(rename = "type")]
        kind: String,
        list: Vec<u8>,
        #[serde(skip)]
        skipped: u8,
    });

    impl Default for Defaulted {
        fn default() -> Self {
            Defaulted {
                enabled: true,
                replica_count: 3,
                maybe: None,
                own_default: "struct".to_string(),
                kind: "k".to_string(),
                list: vec![1],
                skipped: 7,
            }
        }
    }

    impl Default for DefaultedSerde {
        fn default() -> Self {
            DefaultedSerde {
                enabled: true,
                replica_count: 3,
                maybe: None,
                own_default: "struct".to_string(),
                kind: "k".to_string(),
                list: vec![1],
                skipped: 7,
            }
        }
    }

    twins!(Required, RequiredSerde, #[serde(rename_all = "camelCase", deny_unknown_fields)] {
        name: String,
        optional_value: Option<u32>,
        #[serde(default)]
        count: u32,
        #[serde(default = "default_name")]
        label: String,
        inner: Option<Defaulted>,
        #[serde(skip)]
        skipped: u8,
    });

    twins!(
        NoFields,
        NoFieldsSerde,
        #[serde(deny_unknown_fields)]
        {}
    );

    fn same<A, B>(yaml: &str)
    where
        A: for<'de> Deserialize<'de> + std::fmt::Debug,
        B: for<'de> Deserialize<'de> + std::fmt::Debug,
    {
        let value: Value = serde_yaml_ng::from_str(yaml).expect("yaml");
        let ours = from_value::<A>(&value).map(|v| format!("{v:?}"));
        let theirs = from_value::<B>(&value).map(|v| format!("{v:?}").replace("Serde", ""));
        let ours = ours.map_err(|(path, e)| (path, e.0));
        let theirs = theirs.map_err(|(path, e)| (path, e.0.replace("Serde", "").into()));
        assert_eq!(ours, theirs, "{yaml}");
    }

    #[test]
    fn reads_as_serde_derive_does() {
        for yaml in [
            "{}",
            "null",
            "enabled: false\nreplicaCount: 5\nmaybe: x\ntype: t\nlist: [4, 5]\n",
            "ownDefault: mine\n",
            "replica_count: 1\n",
            "skipped: 1\n",
            "enabled: yes\n",
            "replicaCount: -1\n",
            "list: {a: 1}\n",
            "[1, 2]\n",
            "x\n",
            "0: false\n",
            "6: 1\n",
            "9: 1\n",
            "-1: 1\n",
            "true: 1\n",
            "[a]: 1\n",
            "maybe: !tag x\n",
        ] {
            same::<Defaulted, DefaultedSerde>(yaml);
        }
        for yaml in [
            "name: a\n",
            "{}",
            "null",
            "optionalValue: 1\n",
            "name: a\nlabel: b\ncount: 2\noptionalValue: null\n",
            "name: a\ninner: {enabled: false, list: [1, x]}\n",
            "name: a\ninner: {typo: 1}\n",
            "name: a\nnam: b\n",
            "label: b\n",
            "1: b\n",
            "name: [a]\n",
        ] {
            same::<Required, RequiredSerde>(yaml);
        }
        for yaml in ["{}", "null", "a: 1\n", "0: 1\n", "[]\n"] {
            same::<NoFields, NoFieldsSerde>(yaml);
        }
    }
}
