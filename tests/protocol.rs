//! The KRM protocol promises of issue 16 (class 1b, 1c, 5) and issue 17 (per-item fallback):
//! an item the function does not own comes back meaning exactly what it meant to a YAML 1.1
//! reader (PyYAML here, which resolves merge keys and reads `yes`, `0755`, `1_000` as Go's
//! readers do), whatever style it and its neighbours are written in; the input's framing (BOM,
//! JSON escapes, big integers) is read as the standards say; generated objects never take the
//! file place of a user object; error lines stay one line.

use monitoring_stack::process;
use proptest::prelude::*;
use proptest::test_runner::Config;
use serde_yaml_ng::Value;
use std::io::Write;
use std::process::{Command, Stdio};

const HEAD: &str = "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n";
const STACK: &str = "- apiVersion: monitoring-stack.dev/v1alpha1\n  kind: MonitoringStack\n  metadata:\n    name: main\n  spec:\n    grafana:\n      hostname: grafana.example.com\n";

/// The items of each YAML text as a YAML 1.1 reader sees them (JSON text per document), or
/// `None` without python3 and PyYAML.
fn yaml11_items(texts: &[String]) -> Option<Vec<String>> {
    // Keys that YAML 1.1 reads as booleans or numbers (`on`, `0755`) are kept, marked, as text.
    let script = "import sys, yaml, json\n\
        def norm(x):\n\
        \x20   if isinstance(x, dict): return {(k if isinstance(k, str) else '!' + repr(k)): norm(v) for k, v in x.items()}\n\
        \x20   if isinstance(x, list): return [norm(v) for v in x]\n\
        \x20   return x\n\
        docs = sys.stdin.read().split('\\n#####\\n')\n\
        for d in docs:\n    print(json.dumps(norm(yaml.safe_load(d).get('items')), default=repr, sort_keys=True))\n";
    let child = Command::new("python3")
        .args(["-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn();
    let Ok(mut child) = child else {
        eprintln!("SKIPPED: python3 not available");
        return None;
    };
    child
        .stdin
        .take()?
        .write_all(texts.join("\n#####\n").as_bytes())
        .ok()?;
    let output = child.wait_with_output().ok()?;
    assert!(
        output.status.success(),
        "the YAML 1.1 reader (python3 with PyYAML) failed on the texts"
    );
    Some(
        String::from_utf8(output.stdout)
            .ok()?
            .lines()
            .map(str::to_string)
            .collect(),
    )
}

/// Input items and the output items the run did not generate, as YAML 1.1 reads them.
fn assert_meaning_kept(input: &str) {
    let output = process(input.as_bytes());
    assert!(!output.failed, "{}", output.stderr);
    let Some(read) = yaml11_items(&[input.to_string(), output.yaml.clone()]) else {
        return;
    };
    let input_items: Vec<serde_json::Value> = serde_json::from_str(&read[0]).expect("input items");
    let output_items: Vec<serde_json::Value> =
        serde_json::from_str(&read[1]).expect("output items");
    // The stack item is unowned and comes back too; unrelated items come first.
    assert_eq!(
        &output_items[..input_items.len()],
        &input_items[..],
        "\ninput:\n{input}\noutput:\n{}",
        output.yaml
    );
}

/// One unrelated item in a given style.
fn item(style: u8, n: usize) -> String {
    match style % 7 {
        // kpt's block style
        0 => format!("- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: block-{n}\n  data:\n    a: \"yes\"\n    b: x\n"),
        // flow
        1 => format!("- {{apiVersion: v1, kind: ConfigMap, metadata: {{name: flow-{n}}}, data: {{a: [x, y], b: 'z'}}}}\n"),
        // anchors, aliases and merge keys within the item
        2 => format!("- apiVersion: apps/v1\n  kind: Deployment\n  metadata:\n    name: merge-{n}\n    labels: &labels{n}\n      app: web\n  spec:\n    selector:\n      matchLabels: {{<<: *labels{n}, tier: front}}\n    template:\n      metadata:\n        labels:\n          <<: *labels{n}\n"),
        // quoted multi-line scalars
        3 => format!("- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: quoted-{n}\n  data:\n    a: \"first\n      second\"\n    b: 'one\n\n      two'\n"),
        // YAML 1.1 scalars that YAML 1.2 readers see differently
        4 => format!("- apiVersion: v1\n  kind: Config\n  metadata:\n    name: yaml11-{n}\n  spec:\n    bool: yes\n    off: off\n    octal: 0755\n    sep: 1_000\n    exp: 1e3\n    o: 0o17\n    sexa: 1:30\n    flow: {{y: no, n: 0x1F}}\n"),
        // JSON written into the YAML list
        5 => format!("- {{\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\",\n   \"metadata\": {{\"name\": \"json-{n}\"}}, \"data\": {{\"accent\": \"\\u00e9\"}}}}\n"),
        // block scalars and comments
        _ => format!("- # comment\n  apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: scalar-{n} # trailing\n  data:\n    script: |\n      #!/bin/sh\n      echo 0755\n    folded: >-\n      a\n      b\n"),
    }
}

#[test]
fn merge_keys_and_yaml11_scalars_in_unrelated_items_keep_their_meaning() {
    let mut input = HEAD.to_string();
    for style in 0..7 {
        input.push_str(&item(style, style as usize));
    }
    input.push_str(STACK);
    assert_meaning_kept(&input);
    // Unchanged items come back as their text: no literal "<<" key, no quoting of `yes`.
    let output = process(input.as_bytes());
    assert!(output
        .yaml
        .contains("matchLabels: {<<: *labels2, tier: front}"));
    assert!(output
        .yaml
        .contains("    bool: yes\n    off: off\n    octal: 0755\n"));
}

#[test]
fn items_sharing_anchors_keep_their_text_and_meaning() {
    // An alias to another item's anchor: that item is read with the whole list (merge key
    // resolved as Go's readers resolve it), and every item is still written as its text.
    let input = format!(
        "{HEAD}- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: a\n  data: &shared\n    x: \"1\"\n- apiVersion: v1\n  kind: Config\n  metadata:\n    name: b\n  data:\n    <<: *shared\n    mode: 0755\n    on: yes\n{STACK}"
    );
    assert_meaning_kept(&input);
    let output = process(input.as_bytes());
    assert!(output
        .yaml
        .contains("    <<: *shared\n    mode: 0755\n    on: yes\n"));
}

#[test]
fn a_byte_order_mark_before_the_list_is_read() {
    let input = format!("\u{feff}{HEAD}{STACK}");
    let output = process(input.as_bytes());
    assert!(!output.failed, "{}", output.stderr);
}

#[test]
fn json_surrogate_pairs_and_big_integers_pass_through() {
    let input = r#"{"apiVersion":"config.kubernetes.io/v1","kind":"ResourceList","items":[{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a"},"data":{"emoji":"\ud83d\ude00"},"big":123456789012345678901234567890},{"apiVersion":"monitoring-stack.dev/v1alpha1","kind":"MonitoringStack","metadata":{"name":"main"},"spec":{"grafana":{"hostname":"grafana.example.com"}}}]}"#;
    let output = process(input.as_bytes());
    assert!(!output.failed, "{}", output.stderr);
    assert!(
        output.yaml.contains("123456789012345678901234567890"),
        "the integer stays exact"
    );
    if let Some(read) = yaml11_items(std::slice::from_ref(&output.yaml)) {
        let items: serde_json::Value = serde_json::from_str(&read[0]).expect("items");
        assert_eq!(items[0]["data"]["emoji"].as_str(), Some("\u{1F600}"));
    }
}

#[test]
fn a_user_object_at_a_generated_place_keeps_it() {
    let user = "- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: mine\n    annotations:\n      internal.config.kubernetes.io/path: loki/namespace.yaml\n      internal.config.kubernetes.io/index: '0'\n";
    let output = process(format!("{HEAD}{user}{STACK}").as_bytes());
    assert!(!output.failed, "{}", output.stderr);
    let list: Value = serde_yaml_ng::from_str(&output.yaml).expect("yaml");
    let mut places = std::collections::BTreeSet::new();
    for item in list["items"].as_sequence().expect("items") {
        let annotations = &item["metadata"]["annotations"];
        if let Some(path) = annotations["internal.config.kubernetes.io/path"].as_str() {
            let index = annotations["internal.config.kubernetes.io/index"]
                .as_str()
                .unwrap_or("0");
            assert!(
                places.insert((path.to_string(), index.to_string())),
                "two items at {path} index {index}"
            );
        }
    }
    assert!(places.contains(&("loki/namespace.yaml".to_string(), "1".to_string())));
}

#[test]
fn an_error_about_a_key_with_a_line_break_is_one_line() {
    let input = format!("{HEAD}{STACK}      \"bad\\nkey\": 1\n");
    let output = process(input.as_bytes());
    assert!(output.failed);
    for line in output.stderr.lines() {
        assert!(line.starts_with("monitoring-stack: "), "{}", output.stderr);
    }
}

#[test]
fn a_name_collision_names_its_field() {
    let clash = "- apiVersion: v1\n  kind: Namespace\n  metadata:\n    name: loki\n";
    let output = process(format!("{HEAD}{clash}{STACK}").as_bytes());
    assert!(output.failed);
    let result = output
        .results
        .iter()
        .find(|r| r.message.contains("already exists"))
        .expect("collision");
    assert_eq!(result.field.as_deref(), Some("metadata.name"));
}

proptest! {
    #![proptest_config(Config { cases: 24, ..Config::default() })]

    /// Any mix of item styles passes through meaning the same to a YAML 1.1 reader.
    #[test]
    fn any_mix_of_item_styles_keeps_its_meaning(styles in prop::collection::vec(0u8..7, 1..8), stack_at in 0usize..8) {
        let mut input = HEAD.to_string();
        for (n, style) in styles.iter().enumerate() {
            if n == stack_at {
                input.push_str(STACK);
            }
            input.push_str(&item(*style, n));
        }
        if stack_at >= styles.len() {
            input.push_str(STACK);
        }
        let output = process(input.as_bytes());
        prop_assert!(!output.failed, "{}", output.stderr);
        if let Some(read) = yaml11_items(&[input.clone(), output.yaml.clone()]) {
            let input_items: Vec<serde_json::Value> = serde_json::from_str(&read[0]).expect("in");
            let output_items: Vec<serde_json::Value> = serde_json::from_str(&read[1]).expect("out");
            prop_assert_eq!(&output_items[..input_items.len()], &input_items[..], "{}", input);
        }
    }
}

/// A flux-layout stack for a package of several: every namespace and `flux.path` its own.
fn own_stack(name: &str, flux_path: &str, layout: &str) -> String {
    let ns = |c: &str| format!("{c}: {{namespace: {}-{name}}}", c.to_lowercase());
    format!(
        "- apiVersion: monitoring-stack.dev/v1alpha1\n  kind: MonitoringStack\n  metadata: {{name: {name}}}\n  spec:\n    layout: {layout}\n    flux: {{namespace: mon-{name}, path: {flux_path}}}\n    grafana: {{hostname: {name}.example.com, namespace: grafana-{name}}}\n    {}\n    {}\n    {}\n    {}\n    {}\n    {}\n    {}\n",
        ns("grafanaOperator"),
        ns("loki"),
        ns("mimir"),
        ns("alloyOperator"),
        ns("alloy"),
        ns("kubeStateMetrics"),
        ns("nodeExporter"),
    )
}

/// Two flux-layout stacks with their own names, namespaces and `flux.path` (issue 16): each
/// stack's files are in a folder named after it, and its Flux Kustomizations apply
/// `<flux.path>/<component>`, where those files are.
#[test]
fn two_flux_stacks_in_one_package_each_get_their_folder() {
    let input = format!(
        "{HEAD}{}{}",
        own_stack("a", "./clusters/one/monitoring/a", "flux"),
        own_stack("b", "./clusters/one/monitoring/b/", "flux")
    );
    let output = process(input.as_bytes());
    assert!(!output.failed, "{}", output.stderr);
    let list: Value = serde_yaml_ng::from_str(&output.yaml).expect("output list");
    let items = list["items"].as_sequence().expect("items");
    let mut kustomizations = 0;
    for item in items.iter().skip(2) {
        let stack = item["metadata"]["annotations"]["monitoring-stack.dev/stack"]
            .as_str()
            .expect("generated objects name their stack");
        let path = item["metadata"]["annotations"]["config.kubernetes.io/path"]
            .as_str()
            .expect("generated objects have a file");
        assert!(path.starts_with(&format!("{stack}/")), "{stack}: {path}");
        if item["kind"].as_str() == Some("Kustomization")
            && item["apiVersion"].as_str() == Some("kustomize.toolkit.fluxcd.io/v1")
        {
            kustomizations += 1;
            let applied = item["spec"]["path"].as_str().expect("spec.path");
            let folder = applied
                .strip_prefix(&format!("./clusters/one/monitoring/{stack}/"))
                .unwrap_or_else(|| panic!("{stack}: spec.path {applied}"));
            assert!(
                items.iter().any(|other| other["metadata"]["annotations"]
                    ["config.kubernetes.io/path"]
                    .as_str()
                    .is_some_and(|p| p.starts_with(&format!("{stack}/{folder}/")))),
                "{stack}: {applied} holds no file"
            );
        }
    }
    assert_eq!(kustomizations, 22, "11 Flux Kustomizations per stack");
}

/// With several stacks, a `flux.path` that is not `<package path>/<name>` (the same package
/// path for all) would point Flux elsewhere than the files: refused at the field.
#[test]
fn several_stacks_need_flux_paths_of_their_folders() {
    for (a, b, wrong) in [
        ("./k/a", "./k/c", "ending in \"/b\""),
        ("./k/a", "./l/b", "differ only in the last segment"),
        ("./a", "./k/b", "differ only in the last segment"),
    ] {
        let input = format!(
            "{HEAD}{}{}",
            own_stack("a", a, "flux"),
            own_stack("b", b, "flux")
        );
        let output = process(input.as_bytes());
        assert!(output.failed, "{a} {b}");
        assert!(
            output.stderr.contains("error: spec.flux.path: ") && output.stderr.contains(wrong),
            "{a} {b}: {}",
            output.stderr
        );
    }
    // The root of the repository is a package path too.
    let input = format!(
        "{HEAD}{}{}",
        own_stack("a", "./a", "flux"),
        own_stack("b", "b", "flux")
    );
    let output = process(input.as_bytes());
    assert!(!output.failed, "{}", output.stderr);
}

/// Flat-layout stacks have no Flux Kustomizations and no folder of their own: two in one
/// package share the component files (each file holds both stacks' objects), as before; a
/// flux-layout stack next to a flat one still gets its folder.
#[test]
fn flat_stacks_keep_the_component_folders() {
    for (b_layout, b_prefix) in [("flat", ""), ("flux", "b/")] {
        let output = process(
            format!(
                "{HEAD}{}{}",
                own_stack("a", "./x/a", "flat"),
                own_stack("b", "./x/b", b_layout)
            )
            .as_bytes(),
        );
        assert!(!output.failed, "{}", output.stderr);
        let list: Value = serde_yaml_ng::from_str(&output.yaml).expect("output list");
        for item in list["items"].as_sequence().expect("items").iter().skip(2) {
            let stack = item["metadata"]["annotations"]["monitoring-stack.dev/stack"].as_str();
            let path = item["metadata"]["annotations"]["config.kubernetes.io/path"]
                .as_str()
                .unwrap_or_default();
            let prefix = if stack == Some("a") { "" } else { b_prefix };
            assert!(
                path.starts_with(prefix) && !path.starts_with("a/"),
                "{stack:?}: {path}"
            );
        }
    }
}
