//! What must hold after any run of the function, whatever its input. Shared by the fuzz targets
//! (`fuzz/fuzz_targets/*`) and the integration tests (`tests/properties.rs`,
//! `tests/hostile_input.rs`, through `testkit/`), so a fuzz finding and a
//! test check the very same promises:
//!
//! 1. the output is one YAML document, a `ResourceList`, that parses back;
//! 2. `failed` (exit 1) exactly when there is an error result, and every error is on stderr;
//! 3. on error, the input's items come back exactly as they were read (nothing lost, nothing
//!    changed) and so does the functionConfig;
//! 4. on success, every item the run does not own comes back unchanged and in its order, first;
//!    everything after it carries this tool's label and the annotation of one of the stacks,
//!    and a file annotation for the orchestrator;
//! 5. on success, running the function again on its own output changes nothing, byte for byte.

#![allow(dead_code)]

use monitoring_stack::{krm, process, yaml, Output};
use serde_yaml_ng::Value;

/// The ownership marks: the contract with earlier runs and with other tools.
pub const MANAGED_BY_LABEL: &str = "app.kubernetes.io/managed-by";
pub const MANAGED_BY_VALUE: &str = "monitoring-stack";
pub const STACK_ANNOTATION: &str = "monitoring-stack.dev/stack";

/// Runs the function on `input`, checks every invariant (panicking with a readable message on a
/// violation), and returns the output with the parsed output list.
pub fn check(input: &[u8]) -> (Output, Value) {
    check_with(input, true)
}

/// [`check`], optionally without the second run (idempotence) for speed.
pub fn check_with(input: &[u8], idempotence: bool) -> (Output, Value) {
    let output = process(input);
    let list = parse_output(&output);
    check_results(&output, &list);
    // Compared by meaning: merge keys resolved on both sides, as on the input.
    let out_items: Vec<Value> = sequence(&list, "items").into_iter().map(merged).collect();

    match read_input(input) {
        None => {
            assert!(output.failed, "unreadable input but success");
            assert!(out_items.is_empty(), "unreadable input but items came out");
        }
        Some(parsed) => {
            assert_eq!(
                list.get("functionConfig"),
                parsed.function_config.as_ref(),
                "the functionConfig must come back unchanged"
            );
            if output.failed {
                assert!(
                    out_items == parsed.items,
                    "on error the input items must come back unchanged\ninput items: {:?}\noutput items: {:?}",
                    parsed.items,
                    out_items
                );
            } else {
                check_success(&parsed, &out_items);
                if idempotence {
                    let again = process(output.yaml.as_bytes());
                    assert!(
                        !again.failed,
                        "the function fails on its own output:\n{}",
                        again.stderr
                    );
                    if again.yaml != output.yaml {
                        panic!(
                            "not idempotent: a second run changed the output\n{}",
                            first_difference(&output.yaml, &again.yaml)
                        );
                    }
                }
            }
        }
    }
    (output, list)
}

/// A rejected spec: at least one error, each with a message and the path of a field the
/// user can find (the object's header or somewhere under `spec`).
pub fn check_spec_errors(errors: &[monitoring_stack::spec::SpecError]) {
    assert!(!errors.is_empty(), "a spec was rejected without an error");
    for error in errors {
        assert!(
            !error.message.trim().is_empty(),
            "a spec error without a message at {:?}",
            error.path
        );
        let header = ["apiVersion", "kind", "metadata.name"].contains(&error.path.as_str());
        let in_spec = error.path == "spec" || error.path.starts_with("spec.");
        assert!(
            header || in_spec,
            "a spec error names no field of the stack: {:?}: {}",
            error.path,
            error.message
        );
    }
}

/// An accepted spec's expansion: objects with an identity and this stack's ownership marks,
/// each identity once, each in a relative `.yaml` file, and nothing but Flux objects in the
/// control-plane namespace.
pub fn check_expansion(
    stack: &monitoring_stack::spec::MonitoringStack,
    generated: &[monitoring_stack::stack::Generated],
) {
    let name = stack.name.as_str().to_string();
    let control_plane = stack.spec.flux.namespace.as_str();
    assert!(!generated.is_empty(), "an accepted stack generated nothing");
    let mut identities = std::collections::BTreeSet::new();
    for item in generated {
        let object = &item.object;
        let text = |key: &str| object.get(key).and_then(Value::as_str).unwrap_or("");
        let metadata = object.get("metadata");
        let field = |key: &str| metadata.and_then(|m| m.get(key)).and_then(Value::as_str);
        let object_name = field("name").unwrap_or("");
        let (api_version, kind) = (text("apiVersion"), text("kind"));
        assert!(
            !api_version.is_empty() && !kind.is_empty() && !object_name.is_empty(),
            "a generated object without apiVersion, kind or name: {object:?}"
        );
        assert!(
            object_name.len() <= 253,
            "a generated name longer than 253 characters: {object_name}"
        );
        assert!(
            owned_by(object, std::slice::from_ref(&name)),
            "a generated object lacks the ownership marks: {object:?}"
        );
        let path = item.path.as_str();
        assert!(
            path.ends_with(".yaml")
                && !path.starts_with('/')
                && !path.split('/').any(|part| part.is_empty() || part == ".."),
            "a generated object's file is not a relative .yaml path: {path:?}"
        );
        let namespace = field("namespace");
        let group = api_version.rsplit_once('/').map_or("", |(group, _)| group);
        if namespace == Some(control_plane) {
            assert!(
                group.ends_with(".toolkit.fluxcd.io"),
                "the control-plane namespace {control_plane} holds a {api_version} {kind}"
            );
        }
        assert!(
            identities.insert((group.to_string(), kind.to_string(), namespace, object_name)),
            "two generated objects share the identity {kind} {namespace:?}/{object_name}"
        );
    }
}

/// Replacement and pruning depend on nothing but ownership: a successful run on `input` gives
/// byte for byte what a run on `input` without the objects its stacks own gives. So every owned
/// object is either regenerated or removed, and nothing else is touched.
pub fn check_prune(input: &[u8], output: &Output) {
    let Some(parsed) = read_input(input) else {
        return;
    };
    let stacks = stack_names(parsed.function_config.as_ref(), &parsed.items);
    let unowned: Vec<Value> = parsed
        .items
        .iter()
        .filter(|i| !owned_by(i, &stacks))
        .cloned()
        .collect();
    let mut fresh = krm::ResourceList::new(unowned, parsed.function_config.clone());
    fresh.api_version = parsed.api_version.clone();
    let again = process(fresh.to_yaml().as_bytes());
    if again.yaml != output.yaml {
        panic!(
            "the output depends on previously generated objects\n{}",
            first_difference(&output.yaml, &again.yaml)
        );
    }
}

/// The input as the oracle reads it: the crate's full, bounded YAML reader (never the fast
/// path under test) and the ResourceList shape. `None` when the function must reject it.
pub struct Input {
    pub api_version: String,
    pub items: Vec<Value>,
    pub function_config: Option<Value>,
}

/// An item as Go's readers, and so the function, see it: merge keys (`<<`) resolved, so an
/// item that is a merge of a MonitoringStack is that stack (a fuzz finding). An item that
/// cannot be merged stays as written. Unowned items come back as their text, `<<` included:
/// they are compared by this meaning.
pub fn merged(item: Value) -> Value {
    let mut resolved = item.clone();
    if resolved.apply_merge().is_ok() {
        resolved
    } else {
        item
    }
}

pub fn read_input(input: &[u8]) -> Option<Input> {
    yaml::limits::check_size(input).ok()?;
    let text = std::str::from_utf8(input).ok()?;
    // A byte-order mark before the content is no content (the function skips it too).
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim().is_empty() {
        return None;
    }
    // As the function reads it: JSON by JSON's rules (a raw DEL in a string is valid JSON and
    // not valid YAML), anything else as YAML.
    let document = match yaml::limits::read_document(text) {
        Ok(document) => document,
        Err(_) if text.trim_start().starts_with('{') => serde_json::from_str(text).ok()?,
        Err(_) => return None,
    };
    let api_version = document.get("apiVersion")?.as_str()?.to_string();
    if !matches!(
        api_version.as_str(),
        "config.kubernetes.io/v1" | "config.kubernetes.io/v1beta1"
    ) || document.get("kind")?.as_str()? != "ResourceList"
    {
        return None;
    }
    let mut items = match document.get("items") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Sequence(items)) => items.clone(),
        Some(_) => return None,
    };
    for item in &mut items {
        *item = merged(std::mem::take(item));
    }
    let function_config = match document.get("functionConfig") {
        None | Some(Value::Null) => None,
        Some(config) => Some(config.clone()),
    };
    Some(Input {
        api_version,
        items,
        function_config,
    })
}

/// The names of the MonitoringStacks of a list (functionConfig first, then items).
pub fn stack_names(function_config: Option<&Value>, items: &[Value]) -> Vec<String> {
    let is_stack = |o: &Value| {
        o.get("kind").and_then(Value::as_str) == Some("MonitoringStack")
            && o.get("apiVersion")
                .and_then(Value::as_str)
                .is_some_and(|v| v.split('/').next() == Some("monitoring-stack.dev"))
    };
    function_config
        .into_iter()
        .chain(items)
        .filter(|o| is_stack(o))
        .filter_map(|o| o.get("metadata")?.get("name")?.as_str().map(String::from))
        .collect()
}

/// Whether `object` carries the ownership marks of one of `stacks`.
pub fn owned_by(object: &Value, stacks: &[String]) -> bool {
    let metadata = object.get("metadata");
    let label = metadata
        .and_then(|m| m.get("labels"))
        .and_then(|l| l.get(MANAGED_BY_LABEL))
        .and_then(Value::as_str);
    let annotation = metadata
        .and_then(|m| m.get("annotations"))
        .and_then(|a| a.get(STACK_ANNOTATION))
        .and_then(Value::as_str);
    label == Some(MANAGED_BY_VALUE) && annotation.is_some_and(|a| stacks.iter().any(|s| s == a))
}

fn check_success(parsed: &Input, out_items: &[Value]) {
    let stacks = stack_names(parsed.function_config.as_ref(), &parsed.items);
    assert!(!stacks.is_empty(), "success without a MonitoringStack");
    let kept: Vec<&Value> = parsed
        .items
        .iter()
        .filter(|i| !owned_by(i, &stacks))
        .collect();
    assert!(
        out_items.len() >= kept.len(),
        "items were lost: {} unowned in, {} out",
        kept.len(),
        out_items.len()
    );
    for (index, (out, input)) in out_items.iter().zip(&kept).enumerate() {
        assert!(
            out == *input,
            "unowned item {index} changed or moved\n  in:  {input:?}\n  out: {out:?}"
        );
    }
    for generated in &out_items[kept.len()..] {
        assert!(
            owned_by(generated, &stacks),
            "a generated object lacks the ownership marks: {generated:?}"
        );
        let annotations = generated.get("metadata").and_then(|m| m.get("annotations"));
        assert!(
            annotations
                .and_then(|a| a.get("internal.config.kubernetes.io/path"))
                .and_then(Value::as_str)
                .is_some_and(|p| !p.is_empty() && !p.starts_with('/') && !p.contains("..")),
            "a generated object has no relative file path: {generated:?}"
        );
    }
}

/// The output must be one YAML document holding a ResourceList. It is read with the reader the
/// input is read with ([`read_input`]): serde_yaml_ng alone refuses integers beyond 64 bits
/// (`99999999999999999999999`), which Go's readers take as floats and an unowned item may hold.
pub fn parse_output(output: &Output) -> Value {
    let list: Value = yaml::limits::read_document(&output.yaml).unwrap_or_else(|e| {
        panic!(
            "the output does not parse back: {e:?}\n{}",
            truncate(&output.yaml)
        )
    });
    assert_eq!(
        list.get("kind").and_then(Value::as_str),
        Some("ResourceList"),
        "output kind"
    );
    assert!(
        matches!(
            list.get("apiVersion").and_then(Value::as_str),
            Some("config.kubernetes.io/v1" | "config.kubernetes.io/v1beta1")
        ),
        "output apiVersion"
    );
    assert!(
        list.get("items").is_some_and(Value::is_sequence),
        "output items must be a list"
    );
    list
}

/// `failed` agrees with the error results; every error and warning is on stderr.
fn check_results(output: &Output, list: &Value) {
    let results = sequence(list, "results");
    let mut errors = 0;
    for result in &results {
        let severity = result.get("severity").and_then(Value::as_str);
        let message = result.get("message").and_then(Value::as_str);
        assert!(
            matches!(severity, Some("error" | "warning" | "info")),
            "result without a valid severity: {result:?}"
        );
        let message = message.unwrap_or_else(|| panic!("result without a message: {result:?}"));
        assert!(!message.is_empty(), "empty result message");
        if let Some(path) = result.get("field").map(|f| f.get("path")) {
            assert!(
                path.and_then(Value::as_str).is_some_and(|p| !p.is_empty()),
                "result field without a path: {result:?}"
            );
        }
        if severity == Some("error") {
            errors += 1;
            // stderr keeps each problem on one line: control characters appear escaped.
            let line = monitoring_stack::krm::results::one_line(message.to_string());
            assert!(
                output.stderr.contains(&line),
                "error result missing from stderr: {line}\nstderr: {}",
                output.stderr
            );
        }
    }
    assert_eq!(
        output.failed,
        errors > 0,
        "failed must be set exactly when an error result exists\n{}",
        output.stderr
    );
}

/// A list-valued field of the output list (empty when absent).
pub fn sequence(list: &Value, key: &str) -> Vec<Value> {
    list.get(key)
        .and_then(Value::as_sequence)
        .cloned()
        .unwrap_or_default()
}

fn truncate(text: &str) -> String {
    let mut end = text.len().min(4000);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_string()
}

fn first_difference(a: &str, b: &str) -> String {
    let line = a
        .lines()
        .zip(b.lines())
        .position(|(x, y)| x != y)
        .unwrap_or_else(|| a.lines().count().min(b.lines().count()));
    format!(
        "first difference at line {}:\n  first:  {:?}\n  second: {:?}",
        line + 1,
        a.lines().nth(line),
        b.lines().nth(line)
    )
}
