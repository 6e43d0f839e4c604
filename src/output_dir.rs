//! Rendered objects as plain manifests: a multi-document stream, or a folder tree laid out by
//! the objects' path annotations (the seed's `monitoring/` folder).

use crate::resource_list::annotations;
use crate::resource_list::yaml;
use serde_yaml_ng::Value;
use std::collections::BTreeMap;
use std::io;
use std::path::Path;

/// The objects as one YAML stream, without the orchestrator's path annotations and without
/// local-config objects (tool configuration such as `kustomization.yaml`, not cluster objects).
pub fn stream(objects: &[Value]) -> String {
    let objects: Vec<&Value> = objects
        .iter()
        .filter(|o| !annotations::is_local_config(o))
        .collect();
    write_stream(&objects)
}

fn write_stream(objects: &[&Value]) -> String {
    let mut out = String::new();
    for (i, object) in objects.iter().enumerate() {
        if i > 0 {
            out.push_str("---\n");
        }
        let mut object = (*object).clone();
        annotations::clear_file(&mut object);
        yaml::write_document(&mut out, &object);
    }
    out
}

/// File contents by relative path, objects ordered by their index annotation.
pub fn files(objects: &[Value]) -> BTreeMap<String, String> {
    let mut grouped: BTreeMap<String, Vec<(u64, Value)>> = BTreeMap::new();
    for object in objects {
        let file = annotations::file_of(object);
        let (path, index) = file.map_or(("generated.yaml".to_string(), 0), |f| {
            (f.path, f.index.unwrap_or(0))
        });
        grouped
            .entry(path)
            .or_default()
            .push((index, object.clone()));
    }
    grouped
        .into_iter()
        .map(|(path, mut entries)| {
            entries.sort_by_key(|(index, _)| *index);
            let objects: Vec<&Value> = entries.iter().map(|(_, o)| o).collect();
            (path, write_stream(&objects))
        })
        .collect()
}

/// Writes the tree below `dir`. Each file goes to a temporary sibling first and is renamed into
/// place, so a reader never sees a half-written manifest.
pub fn write_tree(dir: &Path, objects: &[Value]) -> io::Result<Vec<String>> {
    let files = files(objects);
    for path in files.keys() {
        let relative = Path::new(path);
        if relative.is_absolute()
            || relative
                .components()
                .any(|c| matches!(c, std::path::Component::ParentDir))
        {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("refusing to write outside the output directory: {path}"),
            ));
        }
    }
    for (path, content) in &files {
        let target = dir.join(path);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let temporary = target.with_extension("yaml.tmp");
        std::fs::write(&temporary, content)?;
        std::fs::rename(&temporary, &target)?;
    }
    Ok(files.into_keys().collect())
}
