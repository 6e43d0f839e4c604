//! The field path of a node (`items[3].metadata.labels.app`): one step type and one way to
//! write it, shared by the bounded reader, the depth guard and the spec's reader.

/// One step of a field path: a mapping key (owned, or borrowed from the value being read) or a
/// sequence index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Segment<K> {
    Key(K),
    Index(usize),
}

/// How keys that are not plain words are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keys {
    /// Quoted in brackets: `annotations["config.kubernetes.io/path"]` (input paths, where any
    /// key may appear).
    Quoted,
    /// As they are, joined with `.` (spec paths, whose keys are field names).
    Plain,
}

/// Keys joined with `.`, indexes as `[n]`.
pub fn format<K: AsRef<str>>(path: &[Segment<K>], keys: Keys) -> String {
    let mut out = String::new();
    for segment in path {
        match segment {
            Segment::Index(i) => out.push_str(&format!("[{i}]")),
            Segment::Key(key) => {
                let key = key.as_ref();
                let plain = keys == Keys::Plain
                    || (!key.is_empty()
                        && key
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'));
                if plain {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(key);
                } else {
                    out.push_str(&format!("[{key:?}]"));
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_keys_and_indexes() {
        let path = [
            Segment::Key("items"),
            Segment::Index(3),
            Segment::Key("metadata"),
            Segment::Key("a/b"),
        ];
        assert_eq!(format(&path, Keys::Quoted), "items[3].metadata[\"a/b\"]");
        assert_eq!(format(&path, Keys::Plain), "items[3].metadata.a/b");
    }
}
