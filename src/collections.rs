//! Small collection helpers any layer may use.

use std::collections::{BTreeMap, BTreeSet};

/// A `BTreeMap` built by inserting: `collect()` and `from([..])`
/// sort their input first, and each element type then carries its own copy of the sort in the
/// WebAssembly builds (about 3 KB each).
pub fn map_of<K: Ord, V>(pairs: impl IntoIterator<Item = (K, V)>) -> BTreeMap<K, V> {
    let mut map = BTreeMap::new();
    map.extend(pairs);
    map
}

/// A `BTreeSet` built by inserting (see [`map_of`]).
pub fn set_of<T: Ord>(items: impl IntoIterator<Item = T>) -> BTreeSet<T> {
    let mut set = BTreeSet::new();
    set.extend(items);
    set
}
