//! Upsert and prune of the objects a generator owns. An object is owned when it carries the
//! owner's label *and* annotation; nothing else is ever replaced or removed.

use super::annotations::{annotation, label};
use super::Item;
use serde_yaml_ng::Value;

/// How one generator run marks its objects: a label shared by all runs of the tool and an
/// annotation naming the particular owner (the stack).
#[derive(Debug, Clone, Copy)]
pub struct Owner<'a> {
    pub label_key: &'a str,
    pub label_value: &'a str,
    pub annotation_key: &'a str,
    pub annotation_value: &'a str,
}

impl Owner<'_> {
    pub fn owns(&self, object: &Value) -> bool {
        label(object, self.label_key) == Some(self.label_value)
            && annotation(object, self.annotation_key) == Some(self.annotation_value)
    }
}

/// Returns the items with every object owned by `owners` removed and `generated` appended in
/// order. Unowned items keep their order and content; an item not read (still text) is never
/// owned (the function reads every item carrying an owner's label).
pub fn upsert(items: Vec<Item>, owners: &[Owner<'_>], generated: Vec<Value>) -> Vec<Item> {
    let mut kept = Vec::with_capacity(items.len() + generated.len());
    kept.extend(items.into_iter().filter(|item| {
        !item
            .value()
            .is_some_and(|value| owners.iter().any(|owner| owner.owns(value)))
    }));
    kept.extend(generated.into_iter().map(Item::Value));
    kept
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::krm::annotations::ObjectKey;

    const OWNER: Owner<'static> = Owner {
        label_key: "app.kubernetes.io/managed-by",
        label_value: "gen",
        annotation_key: "gen/owner",
        annotation_value: "a",
    };

    fn object(kind: &str, name: &str, managed: Option<&str>, owner: Option<&str>) -> Value {
        let mut text = format!("apiVersion: v1\nkind: {kind}\nmetadata:\n  name: {name}\n");
        if let Some(m) = managed {
            text.push_str(&format!(
                "  labels:\n    app.kubernetes.io/managed-by: {m}\n"
            ));
        }
        if let Some(o) = owner {
            text.push_str(&format!("  annotations:\n    gen/owner: {o}\n"));
        }
        serde_yaml_ng::from_str(&text).expect("yaml")
    }

    #[test]
    fn replaces_prunes_and_never_touches_others() {
        let items = vec![
            object("ConfigMap", "user", None, None),
            object("ConfigMap", "old", Some("gen"), Some("a")),
            object("ConfigMap", "kept", Some("gen"), Some("a")),
            object("ConfigMap", "other-stack", Some("gen"), Some("b")),
            object("ConfigMap", "no-label", None, Some("a")),
            object("ConfigMap", "other-tool", Some("helm"), Some("a")),
        ];
        let generated = vec![
            object("ConfigMap", "kept", Some("gen"), Some("a")),
            object("ConfigMap", "new", Some("gen"), Some("a")),
        ];
        let items = items.into_iter().map(Item::Value).collect();
        let out = upsert(items, &[OWNER], generated);
        let names: Vec<_> = out
            .iter()
            .filter_map(Item::value)
            .map(|o| ObjectKey::of(o).name)
            .collect();
        assert_eq!(
            names,
            [
                "user",
                "other-stack",
                "no-label",
                "other-tool",
                "kept",
                "new"
            ]
        );
    }
}
