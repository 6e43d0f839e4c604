//! Hostile and broken input, table-driven: every case exits 1 from the real binary with an
//! error result that names the field (or none, for a problem with the input as a whole) and says
//! what is wrong; memory and time stay bounded (the limits in `src/yaml/limits.rs`);
//! and the run keeps the invariants of `testkit/src/invariants.rs` (the output parses, the input's
//! items come back unchanged).
//!
//! The spec's wrong-type cases are generated from a table of every spec field; a completeness
//! check asks the parser itself (through its "unknown field, expected one of" message) for the
//! fields of each object, so a field added to the spec without a row here fails the test.

use monitoring_stack_testkit::invariants;

use monitoring_stack::yaml::limits::{
    node_budget, MAX_DEPTH, MAX_INPUT_BYTES, MAX_INPUT_BYTES_VAR, MAX_NODES, MAX_TEXT_BYTES,
};
use serde_yaml_ng::{Mapping, Value};
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_monitoring-stack");

const HEAD: &str = "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\n";
const STACK: &str = "apiVersion: monitoring-stack.dev/v1alpha1\nkind: MonitoringStack\nmetadata:\n  name: main\nspec:\n  grafana:\n    hostname: grafana.example.com\n";
const CONFIG_MAP: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: default\ndata:\n  enabled: \"yes\"\n";

/// `text` indented by `n` spaces (every non-empty line).
fn indent(text: &str, n: usize) -> String {
    text.lines()
        .map(|l| {
            if l.is_empty() {
                String::new()
            } else {
                format!("{}{l}", " ".repeat(n))
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

/// A ResourceList with these items (YAML texts) and the stack as functionConfig.
fn list_with(items: &[&str], config: Option<&str>) -> String {
    let mut text = String::from(HEAD);
    if items.is_empty() {
        text.push_str("items: []\n");
    } else {
        text.push_str("items:\n");
        for item in items {
            let body = indent(item, 2);
            text.push_str("- ");
            text.push_str(&body[2..]);
        }
    }
    if let Some(config) = config {
        text.push_str("functionConfig:\n");
        text.push_str(&indent(config, 2));
    }
    text
}

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    elapsed: Duration,
}

/// Runs the binary in KRM mode. Stdin is written from a thread and a closed pipe is not an
/// error: the binary stops reading past its input limit.
fn run_binary(input: &[u8]) -> Run {
    let start = Instant::now();
    let mut child = Command::new(BIN)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("binary runs");
    let mut stdin = child.stdin.take().expect("stdin");
    let input = input.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let output = child.wait_with_output().expect("binary finishes");
    let _ = writer.join();
    Run {
        code: output.status.code(),
        stdout: String::from_utf8(output.stdout).expect("UTF-8 stdout"),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        elapsed: start.elapsed(),
    }
}

/// The error results of an output list: (field path, message).
fn errors(list: &Value) -> Vec<(Option<String>, String)> {
    invariants::sequence(list, "results")
        .iter()
        .filter(|r| r.get("severity").and_then(Value::as_str) == Some("error"))
        .map(|r| {
            (
                r.get("field")
                    .and_then(|f| f.get("path"))
                    .and_then(Value::as_str)
                    .map(String::from),
                r.get("message")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
            )
        })
        .collect()
}

struct Case {
    name: &'static str,
    input: Vec<u8>,
    /// The error's field path; `None` for a problem with the input as a whole.
    field: Option<&'static str>,
    /// Text the error message must contain.
    message: &'static str,
    /// Checked through the binary only: the YAML parser's cost of deep flow nesting grows
    /// faster than linearly, and a debug build pays it for every extra in-process run.
    binary_only: bool,
}

fn case(
    name: &'static str,
    input: impl Into<Vec<u8>>,
    field: Option<&'static str>,
    message: &'static str,
) -> Case {
    Case {
        name,
        input: input.into(),
        field,
        message,
        binary_only: false,
    }
}

fn binary_only(case: Case) -> Case {
    Case {
        binary_only: true,
        ..case
    }
}

/// Asserts one case through the binary and in process; returns the binary's run.
fn assert_case(case: &Case) -> Run {
    let run = run_binary(&case.input);
    let name = case.name;
    assert_eq!(run.code, Some(1), "{name}: exit status\n{}", run.stderr);
    let list: Value = serde_yaml_ng::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("{name}: stdout is not one YAML document: {e}"));
    let found = errors(&list);
    assert!(
        found.iter().any(
            |(field, message)| field.as_deref() == case.field && message.contains(case.message)
        ),
        "{name}: no error with field {:?} and message containing {:?}; errors: {found:#?}",
        case.field,
        case.message
    );
    assert!(
        run.stderr.contains(case.message),
        "{name}: stderr lacks {:?}: {}",
        case.message,
        run.stderr
    );
    if case.binary_only {
        return run;
    }
    // The same run in process, under every invariant (items unchanged on error, ...).
    let (output, _) = invariants::check(&case.input);
    assert!(output.failed, "{name}: process() did not fail");
    assert_eq!(
        output.yaml, run.stdout,
        "{name}: binary and library disagree"
    );
    run
}

fn two_stacks_on_one_namespace() -> String {
    let other = STACK.replace("name: main", "name: other");
    list_with(&[STACK, &other], None)
}

fn billion_laughs() -> String {
    let mut text = String::from(HEAD);
    text.push_str(
        "items:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: lol}\n  data:\n",
    );
    text.push_str("    l0: &l0 \"lol\"\n");
    for level in 1..=9 {
        let refs = vec![format!("*l{}", level - 1); 10].join(", ");
        text.push_str(&format!("    l{level}: &l{level} [{refs}]\n"));
    }
    text
}

/// One anchor of `n` items used `n` times: quadratic expansion within the repetition rule.
fn wide_aliases(n: usize) -> String {
    let mut text = String::from(HEAD);
    text.push_str(
        "items:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: wide}\n  data:\n",
    );
    text.push_str(&format!("    a: &a [{}]\n", vec!["x"; n].join(",")));
    text.push_str(&format!("    b: [{}]\n", vec!["*a"; n].join(",")));
    text
}

/// One long string used many times.
fn long_string_aliases() -> String {
    let mut text = String::from(HEAD);
    text.push_str(
        "items:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: long}\n  data:\n",
    );
    text.push_str(&format!("    a: &a \"{}\"\n", "x".repeat(1 << 20)));
    let uses = MAX_TEXT_BYTES / (1 << 20) + 2;
    text.push_str(&format!("    b: [{}]\n", vec!["*a"; uses].join(",")));
    text
}

fn deep_flow(open: &str, close: &str) -> String {
    format!(
        "{HEAD}items:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {{name: deep}}\n  data:\n    x: {}{}\n",
        open.repeat(10_000),
        close.repeat(10_000)
    )
}

/// 10,000 block sequences, each the first entry of the one before (`- - - - x`).
fn deep_block() -> String {
    format!(
        "{HEAD}items:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {{name: deep}}\n  data:\n    x:\n    {}x\n",
        "- ".repeat(10_000)
    )
}

fn cases() -> Vec<Case> {
    let valid = list_with(&[CONFIG_MAP], Some(STACK));
    let mut invalid_utf8 = valid.clone().into_bytes();
    let at = invalid_utf8.len() / 2;
    invalid_utf8[at] = 0xff;
    let mut utf16 = vec![0xff, 0xfe];
    for unit in valid.encode_utf16() {
        utf16.extend_from_slice(&unit.to_le_bytes());
    }
    vec![
        case(
            "invalid UTF-8",
            invalid_utf8,
            None,
            "input is not UTF-8 text (invalid byte at offset",
        ),
        case("UTF-16 text", utf16, None, "input is not UTF-8 text"),
        case("empty input", "", None, "empty input"),
        case("only whitespace and comments", "\n  \n", None, "empty input"),
        case(
            "billion laughs",
            billion_laughs(),
            None,
            "alias",
        ),
        case(
            "quadratic alias expansion",
            wide_aliases(3000),
            Some("items[0].data.b"),
            "MAX_NODES",
        ),
        case(
            "long string repeated by aliases",
            long_string_aliases(),
            Some("items[0].data.b"),
            "MAX_TEXT_BYTES",
        ),
        binary_only(case(
            "10,000-deep flow sequences",
            deep_flow("[", "]"),
            Some("items[0].data.x"),
            "deeper than 100 levels (MAX_DEPTH)",
        )),
        binary_only(case(
            "10,000-deep flow mappings",
            deep_flow("{a: ", "}"),
            Some("items[0].data.x"),
            "deeper than 100 levels (MAX_DEPTH)",
        )),
        case(
            "10,000-deep block sequences",
            deep_block(),
            Some("items[0].data.x"),
            "deeper than 100 levels (MAX_DEPTH)",
        ),
        case(
            "duplicate top-level key",
            format!("{HEAD}items: []\nitems: []\n"),
            Some("items"),
            "duplicate key \"items\"",
        ),
        case(
            "duplicate key in an item",
            format!("{HEAD}items:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: a\n    name: b\n"),
            Some("items[0].metadata.name"),
            "duplicate key \"name\"",
        ),
        case(
            "duplicate key in the spec",
            list_with(&[], Some(&format!("{STACK}  loki:\n    replicas: 1\n  loki:\n    replicas: 2\n"))),
            Some("functionConfig.spec.loki"),
            "duplicate key \"loki\"",
        ),
        case(
            "tab as indentation",
            format!("{HEAD}items:\n- apiVersion: v1\n\tkind: ConfigMap\n"),
            None,
            "indented with a tab",
        ),
        case(
            "several documents",
            format!("{}---\n{}", valid, valid),
            None,
            "input holds several YAML documents",
        ),
        case(
            "a plain manifest stream instead of a ResourceList",
            format!("{STACK}---\n{CONFIG_MAP}"),
            None,
            "several YAML documents",
        ),
        case(
            "a single manifest instead of a ResourceList",
            STACK,
            Some("apiVersion"),
            "unsupported ResourceList apiVersion",
        ),
        case(
            "a list at the top",
            "- a\n- b\n",
            None,
            "input is not a ResourceList",
        ),
        case("a scalar at the top", "42\n", None, "input is not a ResourceList"),
        case(
            "kind is not ResourceList",
            "apiVersion: config.kubernetes.io/v1\nkind: List\nitems: []\n",
            Some("kind"),
            "kind must be ResourceList",
        ),
        case(
            "items is a mapping",
            format!("{HEAD}items: {{a: b}}\n"),
            Some("items"),
            "items must be a list",
        ),
        case(
            "unclosed flow collection",
            format!("{HEAD}items: [\n"),
            None,
            "input is not valid YAML",
        ),
        case(
            "control character",
            format!("{HEAD}items: []\nx: \"a\u{1}b\"\u{1}\n"),
            None,
            "input is not valid YAML",
        ),
        case(
            "item is a number",
            list_with(&["42"], Some(STACK)),
            Some("items[0]"),
            "item is not an object",
        ),
        case(
            "item is a string",
            list_with(&[CONFIG_MAP, "just text"], Some(STACK)),
            Some("items[1]"),
            "item is not an object",
        ),
        case(
            "item is a list",
            list_with(&["[a, b]"], Some(STACK)),
            Some("items[0]"),
            "item is not an object",
        ),
        case(
            "item is null",
            format!("{HEAD}items:\n- null\n"),
            Some("items[0]"),
            "item is not an object",
        ),
        case(
            "item is an empty mapping",
            list_with(&["{}"], Some(STACK)),
            Some("kind"),
            "item has no kind",
        ),
        case(
            "item without apiVersion",
            list_with(&["kind: ConfigMap\nmetadata:\n  name: a\n"], Some(STACK)),
            Some("apiVersion"),
            "item has no apiVersion",
        ),
        case(
            "item without kind",
            list_with(&["apiVersion: v1\nmetadata:\n  name: a\n"], Some(STACK)),
            Some("kind"),
            "item has no kind",
        ),
        case(
            "item without metadata.name",
            list_with(&["apiVersion: v1\nkind: ConfigMap\nmetadata:\n  namespace: a\n"], Some(STACK)),
            Some("metadata.name"),
            "item has no metadata.name",
        ),
        case(
            "item whose metadata is a string",
            list_with(&["apiVersion: v1\nkind: ConfigMap\nmetadata: a\n"], Some(STACK)),
            Some("metadata.name"),
            "item has no metadata.name",
        ),
        case(
            "item whose name is a number",
            list_with(&["apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: 7\n"], Some(STACK)),
            Some("metadata.name"),
            "item has no metadata.name",
        ),
        case(
            "two MonitoringStacks collide on their namespaces",
            two_stacks_on_one_namespace(),
            Some("spec"),
            "give them different namespaces",
        ),
        case(
            "two MonitoringStacks with one name",
            list_with(&[STACK, STACK], None),
            Some("metadata.name"),
            "two MonitoringStacks are named \"main\"",
        ),
        case(
            "an unmanaged object in the way of a generated one",
            list_with(&["apiVersion: v1\nkind: Namespace\nmetadata:\n  name: loki\n"], Some(STACK)),
            Some("metadata.name"),
            "already exists in the input and is not managed by this stack",
        ),
        case(
            "no MonitoringStack at all",
            list_with(&[CONFIG_MAP], Some(CONFIG_MAP)),
            None,
            "no MonitoringStack (monitoring-stack.dev/v1alpha1) found in functionConfig or items (functionConfig is a ConfigMap)",
        ),
        case(
            "a MonitoringStack of an unknown version",
            list_with(&[], Some(&STACK.replace("v1alpha1", "v9"))),
            Some("apiVersion"),
            "unsupported apiVersion",
        ),
        case(
            "a stack whose spec is a list",
            list_with(&[], Some("apiVersion: monitoring-stack.dev/v1alpha1\nkind: MonitoringStack\nmetadata:\n  name: main\nspec: [a]\n")),
            Some("spec"),
            "invalid type: sequence",
        ),
        case(
            "an implicit key longer than YAML allows",
            format!("{HEAD}items: []\n{}: x\n", "k".repeat(2000)),
            None,
            "input is not valid YAML",
        ),
    ]
}

#[test]
fn hostile_and_broken_input_is_reported_with_field_and_message() {
    let cases = cases();
    assert!(cases.len() >= 30, "only {} cases", cases.len());
    let mut failures = Vec::new();
    for case in &cases {
        let start = Instant::now();
        let result = std::panic::catch_unwind(|| assert_case(case));
        eprintln!("{}: {:?}", case.name, start.elapsed());
        match result {
            Ok(run) if run.elapsed < Duration::from_secs(20) => {}
            Ok(run) => failures.push(format!("{}: took {:?}", case.name, run.elapsed)),
            Err(panic) => failures.push(
                panic
                    .downcast_ref::<String>()
                    .cloned()
                    .unwrap_or_else(|| format!("{}: panicked", case.name)),
            ),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// 100 MB of a valid-looking document above a 32 MiB limit set in the environment
/// (`MONITORING_STACK_MAX_INPUT_BYTES`): refused by size before any parsing, fast; the binary
/// stops reading one byte past the limit (its peak RSS stays near the limit, not the input).
#[test]
fn a_100_mb_document_stops_at_the_size_limit() {
    const LIMIT: usize = 32 << 20;
    let mut text = String::with_capacity(100 << 20);
    text.push_str(HEAD);
    text.push_str(
        "items:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: big}\n  data:\n",
    );
    let line = format!("    k{{}}: {}\n", "v".repeat(90));
    let mut n = 0;
    while text.len() < 100 << 20 {
        text.push_str(&line.replace("{}", &n.to_string()));
        n += 1;
    }
    let start = Instant::now();
    let mut child = Command::new(BIN)
        .env(MAX_INPUT_BYTES_VAR, LIMIT.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("binary runs");
    let mut stdin = child.stdin.take().expect("stdin");
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(text.as_bytes());
    });
    let output = child.wait_with_output().expect("binary finishes");
    let _ = writer.join();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(
            "input is larger than the limit of 32 MiB (33554432 bytes, MONITORING_STACK_MAX_INPUT_BYTES)"
        ),
        "{stderr}"
    );
    assert!(
        start.elapsed() < Duration::from_secs(20),
        "100 MB: took {:?}",
        start.elapsed()
    );
}

/// A package of 100,000 objects (about 40 MB, above the former 32 MiB limit) passes through.
#[test]
fn a_100_000_object_package_passes() {
    let object = "- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: flags-{}\n    namespace: team\n    labels:\n      app.kubernetes.io/name: flags\n  data:\n    enabled: \"yes\"\n    level: info\n    note: a line of text that makes the object about four hundred bytes long, as real ones are\n    more: another line of text that makes the object about four hundred bytes long\n";
    let mut text = String::with_capacity(42 << 20);
    text.push_str(HEAD);
    text.push_str("items:\n");
    for i in 0..100_000 {
        text.push_str(&object.replace("{}", &i.to_string()));
    }
    text.push_str(&format!("functionConfig:\n{}", indent(STACK, 2)));
    assert!(text.len() > 32 << 20, "{}", text.len());
    let output = monitoring_stack::process(text.as_bytes());
    assert!(!output.failed, "{}", output.stderr);
    assert!(output
        .yaml
        .starts_with(&text[..text.find("functionConfig").unwrap_or(0)]));
}

/// The limits themselves, and an input just inside them that is still read.
#[test]
fn limits_are_what_the_documentation_says() {
    assert_eq!(MAX_INPUT_BYTES, 256 << 20);
    assert_eq!(MAX_DEPTH, 100);
    assert_eq!(MAX_NODES, 4_000_000);
    assert_eq!(MAX_TEXT_BYTES, 32 << 20);
    assert_eq!(node_budget(0), 100_000);
    assert_eq!(node_budget(1000), 104_000);
    assert_eq!(node_budget(MAX_INPUT_BYTES), MAX_NODES);
    // 90 levels below the item's data: accepted and passed through unchanged.
    let deep = format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: deep\ndata:\n  x: {}{}\n",
        "[".repeat(90),
        "]".repeat(90)
    );
    let (output, _) = invariants::check(list_with(&[&deep], Some(STACK)).as_bytes());
    assert!(!output.failed, "{}", output.stderr);
    // Aliases within the budget are expanded, as kubectl and kustomize read them.
    let (output, _) = invariants::check(wide_aliases(100).as_bytes());
    assert!(
        output.stderr.contains("no MonitoringStack"),
        "{}",
        output.stderr
    );
}

// ---------------------------------------------------------------------------------------------
// Every spec field with a wrong type.

#[derive(Clone, Copy)]
enum Kind {
    Str,
    Bool,
    Int,
    Num,
    /// A fixed set of strings.
    Enum,
    /// A list of scalars.
    List,
    /// A free-form or string-valued mapping.
    Map,
    /// An object: its fields and the smallest valid value.
    Struct(&'static [Field], &'static str),
    /// A list of objects: the item's fields and the smallest valid item.
    Items(&'static [Field], &'static str),
}

type Field = (&'static str, Kind);

use Kind::*;

const AMOUNTS: &[Field] = &[("cpu", Str), ("memory", Str)];
const RESOURCES: &[Field] = &[
    ("requests", Struct(AMOUNTS, "{}")),
    ("limits", Struct(AMOUNTS, "{}")),
];
const CHART: &[Field] = &[
    ("enabled", Bool),
    ("namespace", Str),
    ("chartVersion", Str),
    ("resources", Struct(RESOURCES, "{}")),
    ("values", Map),
];
const PERSISTENCE: &[Field] = &[("enabled", Bool), ("size", Str)];
const SECRET_REF: &[Field] = &[("name", Str), ("key", Str)];
const SECRET_TEMPLATE: &str = "{name: s, key: k}";
const GATEWAY: &[Field] = &[("name", Str), ("namespace", Str), ("sectionName", Str)];
const EXPOSURE: &[Field] = &[
    ("type", Enum),
    ("loadBalancerClass", Str),
    ("annotations", Map),
    ("ingressClassName", Str),
    ("gateway", Struct(GATEWAY, "{name: gw, namespace: gateway}")),
];
const TLS: &[Field] = &[("enabled", Bool), ("clusterIssuer", Str)];
const OIDC: &[Field] = &[
    ("issuerUrl", Str),
    ("clientId", Str),
    ("clientSecret", Struct(SECRET_REF, SECRET_TEMPLATE)),
    ("displayName", Str),
    ("scopes", List),
    ("groupsClaim", Str),
    ("adminGroup", Str),
    ("editorGroup", Str),
    ("defaultRole", Enum),
];
const SLACK: &[Field] = &[
    ("enabled", Bool),
    ("channel", Str),
    ("webhookSecret", Struct(SECRET_REF, SECRET_TEMPLATE)),
];
const RULE: &[Field] = &[
    ("uid", Str),
    ("title", Str),
    ("datasource", Enum),
    ("expr", Str),
    ("above", Num),
    ("below", Num),
    ("for", Str),
    ("severity", Enum),
    ("summary", Str),
    ("description", Str),
    ("labels", Map),
    ("annotations", Map),
    ("noDataState", Enum),
];
const RULE_GROUP: &[Field] = &[
    ("name", Str),
    ("interval", Str),
    ("folder", Str),
    ("rules", Items(RULE, "{uid: r1, title: T, expr: up == 0}")),
];
const RECEIVER: &[Field] = &[
    ("type", Str),
    ("settings", Map),
    ("secrets", Map),
    ("disableResolveMessage", Bool),
];
const MATCHER: &[Field] = &[("label", Str), ("op", Enum), ("value", Str)];
const CONTACT_POINT: &[Field] = &[
    ("name", Str),
    ("receivers", Items(RECEIVER, "{type: email}")),
    (
        "matchers",
        Items(MATCHER, "{label: severity, value: critical}"),
    ),
    ("continue", Bool),
];
const ALERTING: &[Field] = &[
    ("defaultRules", Bool),
    ("slack", Struct(SLACK, "{}")),
    ("groupBy", List),
    ("groupWait", Str),
    ("groupInterval", Str),
    ("repeatInterval", Str),
    ("ruleGroups", Items(RULE_GROUP, "{name: g, rules: []}")),
    (
        "contactPoints",
        Items(CONTACT_POINT, "{name: c, receivers: []}"),
    ),
    ("rootReceiver", Str),
];
const GRAFANA_COM: &[Field] = &[("id", Int), ("revision", Int)];
const CUSTOM_DASHBOARD: &[Field] = &[
    ("name", Str),
    ("folder", Str),
    ("url", Str),
    ("grafanaCom", Struct(GRAFANA_COM, "{id: 1}")),
    ("configMap", Struct(SECRET_REF, SECRET_TEMPLATE)),
    ("json", Str),
];
const DASHBOARDS: &[Field] = &[
    ("kubernetes", Bool),
    ("nodes", Bool),
    ("loki", Bool),
    ("mimir", Bool),
    ("alloy", Bool),
    ("stack", Bool),
    ("custom", Items(CUSTOM_DASHBOARD, "{name: d, json: '{}'}")),
];
const MIMIR_RULES: &[Field] = &[("enabled", Bool), ("alerting", Bool)];
const GRAFANA: &[Field] = &[
    ("enabled", Bool),
    ("namespace", Str),
    ("hostname", Str),
    ("version", Str),
    ("resources", Struct(RESOURCES, "{}")),
    ("persistence", Struct(PERSISTENCE, "{}")),
    ("exposure", Struct(EXPOSURE, "{}")),
    ("tls", Struct(TLS, "{}")),
    (
        "oidc",
        Struct(OIDC, "{issuerUrl: 'https://idp.example.com/realms/main'}"),
    ),
    ("alerting", Struct(ALERTING, "{}")),
    ("config", Map),
    ("values", Map),
    ("dashboards", Struct(DASHBOARDS, "{}")),
];
const STORAGE: &[Field] = &[
    ("bucketClass", Str),
    ("bucketAccessClass", Str),
    ("cosiApiVersion", Enum),
    ("fallbackRegion", Str),
    ("setupImage", Str),
];
const LOKI: &[Field] = &[
    ("enabled", Bool),
    ("namespace", Str),
    ("chartVersion", Str),
    ("retention", Str),
    ("replicas", Int),
    ("multiTenancy", Bool),
    ("tenant", Str),
    ("resources", Struct(RESOURCES, "{}")),
    ("persistence", Struct(PERSISTENCE, "{}")),
    ("storage", Struct(STORAGE, "{}")),
    ("values", Map),
];
const MIMIR: &[Field] = &[
    ("enabled", Bool),
    ("namespace", Str),
    ("chartVersion", Str),
    ("retention", Str),
    ("replicas", Int),
    ("zoneAwareness", Bool),
    ("multiTenancy", Bool),
    ("tenant", Str),
    ("resources", Struct(RESOURCES, "{}")),
    ("persistence", Struct(PERSISTENCE, "{}")),
    ("storage", Struct(STORAGE, "{}")),
    ("values", Map),
    ("rules", Struct(MIMIR_RULES, "{}")),
];
const RELABEL: &[Field] = &[
    ("action", Enum),
    ("sourceLabels", List),
    ("separator", Str),
    ("regex", Str),
    ("modulus", Int),
    ("targetLabel", Str),
    ("replacement", Str),
];
const LOGS: &[Field] = &[
    ("enabled", Bool),
    ("excludeNamespaces", List),
    ("relabelRules", Items(RELABEL, "{}")),
    ("resources", Struct(RESOURCES, "{}")),
    ("values", Map),
];
const EXTRA_SCRAPE: &[Field] = &[
    ("name", Str),
    ("targets", List),
    ("metricsPath", Str),
    ("scheme", Enum),
    ("interval", Str),
    ("labels", Map),
];
const METRICS: &[Field] = &[
    ("enabled", Bool),
    ("replicas", Int),
    ("scrapeInterval", Str),
    ("scrapeKubelet", Bool),
    ("scrapeCadvisor", Bool),
    (
        "extraScrapes",
        Items(EXTRA_SCRAPE, "{name: router, targets: ['10.0.0.1:9100']}"),
    ),
    ("writeRelabelRules", Items(RELABEL, "{}")),
    ("resources", Struct(RESOURCES, "{}")),
    ("values", Map),
    ("controlPlane", Struct(CONTROL_PLANE, "{}")),
    ("allowLists", Struct(ALLOW_LISTS, "{}")),
    ("annotationAutodiscovery", Bool),
];
const CONTROL_PLANE: &[Field] = &[
    ("apiServer", Bool),
    ("coreDns", Bool),
    ("scheduler", Bool),
    ("controllerManager", Bool),
    ("etcd", Bool),
];
const ALLOW_LISTS: &[Field] = &[
    ("enabled", Bool),
    ("cadvisor", List),
    ("kubelet", List),
    ("apiServer", List),
    ("kubeStateMetrics", List),
    ("nodeExporter", List),
];
const EVENTS: &[Field] = &[
    ("enabled", Bool),
    ("namespaces", List),
    ("resources", Struct(RESOURCES, "{}")),
    ("values", Map),
];
const NODE_LOGS: &[Field] = &[
    ("enabled", Bool),
    ("namespace", Str),
    ("units", List),
    ("resources", Struct(RESOURCES, "{}")),
    ("values", Map),
];
const ALLOY: &[Field] = &[
    ("enabled", Bool),
    ("namespace", Str),
    ("logs", Struct(LOGS, "{}")),
    ("metrics", Struct(METRICS, "{}")),
    ("events", Struct(EVENTS, "{}")),
    ("nodeLogs", Struct(NODE_LOGS, "{}")),
];
const SOURCE_REF: &[Field] = &[("kind", Enum), ("name", Str), ("namespace", Str)];
const FLUX: &[Field] = &[
    ("namespace", Str),
    ("interval", Str),
    ("timeout", Str),
    ("sourceRef", Struct(SOURCE_REF, "{}")),
    ("path", Str),
];
const CLUSTER: &[Field] = &[("name", Str), ("istioAmbient", Bool), ("storageClass", Str)];
const PROMETHEUS_CRDS: &[Field] = &[("enabled", Bool), ("chartVersion", Str), ("values", Map)];
const AUTH_BASIC: &[Field] = &[
    ("username", Str),
    ("password", Struct(SECRET_REF, SECRET_TEMPLATE)),
];
const ENDPOINT_AUTH: &[Field] = &[
    (
        "basic",
        Struct(AUTH_BASIC, "{username: u, password: {name: s, key: k}}"),
    ),
    ("bearerToken", Struct(SECRET_REF, SECRET_TEMPLATE)),
];
const ENDPOINT_TLS: &[Field] = &[
    ("caSecret", Struct(SECRET_REF, SECRET_TEMPLATE)),
    ("serverName", Str),
    ("insecureSkipVerify", Bool),
];
const REMOTE_ENDPOINT: &[Field] = &[
    ("url", Str),
    ("tenant", Str),
    ("auth", Struct(ENDPOINT_AUTH, "{}")),
    ("tls", Struct(ENDPOINT_TLS, "{}")),
];
const REMOTE: &[Field] = &[
    (
        "logs",
        Struct(REMOTE_ENDPOINT, "{url: 'https://loki.example.com'}"),
    ),
    (
        "metrics",
        Struct(REMOTE_ENDPOINT, "{url: 'https://mimir.example.com'}"),
    ),
];
const DESTINATION: &[Field] = &[
    ("name", Str),
    ("type", Enum),
    ("url", Str),
    ("tenant", Str),
    ("auth", Struct(ENDPOINT_AUTH, "{}")),
    ("tls", Struct(ENDPOINT_TLS, "{}")),
    ("relabelRules", Items(RELABEL, "{}")),
];
const CENTRAL_EXPOSURE: &[Field] = &[
    ("type", Enum),
    ("ingressClassName", Str),
    ("gateway", Struct(GATEWAY, "{name: gw, namespace: gateway}")),
    ("annotations", Map),
    ("controllerNamespace", Str),
];
const GATEWAY_AUTH: &[Field] = &[("htpasswdSecret", Str), ("clientSecret", Str)];
const CENTRAL: &[Field] = &[
    ("tenants", List),
    ("lokiHostname", Str),
    ("mimirHostname", Str),
    ("exposure", Struct(CENTRAL_EXPOSURE, "{}")),
    ("clusterIssuer", Str),
    ("auth", Struct(GATEWAY_AUTH, "{}")),
];
const SPEC: &[Field] = &[
    ("role", Enum),
    ("remote", Struct(REMOTE, "{}")),
    (
        "destinations",
        Items(
            DESTINATION,
            "{name: d, type: loki, url: 'https://l.example.com/push'}",
        ),
    ),
    ("central", Struct(CENTRAL, "{}")),
    ("layout", Enum),
    ("cluster", Struct(CLUSTER, "{}")),
    ("flux", Struct(FLUX, "{}")),
    ("grafanaOperator", Struct(CHART, "{}")),
    (
        "grafana",
        Struct(GRAFANA, "{hostname: grafana.example.com}"),
    ),
    ("loki", Struct(LOKI, "{}")),
    ("mimir", Struct(MIMIR, "{}")),
    ("alloyOperator", Struct(CHART, "{}")),
    ("alloy", Struct(ALLOY, "{}")),
    ("kubeStateMetrics", Struct(CHART, "{}")),
    ("nodeExporter", Struct(CHART, "{}")),
    ("prometheusCrds", Struct(PROMETHEUS_CRDS, "{}")),
];

/// One step from the spec to a field: a key, or the first item of a list.
#[derive(Clone)]
enum Step {
    Key(&'static str, Kind),
    First,
}

fn yaml(text: &str) -> Value {
    serde_yaml_ng::from_str(text).expect("template")
}

/// The smallest valid spec, with `leaf` set at the end of `steps`.
fn spec_with(steps: &[Step], leaf: Value) -> Value {
    let mut spec = yaml("{grafana: {hostname: grafana.example.com}}");
    set_path(&mut spec, steps, leaf);
    spec
}

/// Sets `leaf` at `steps`, creating objects from their templates and list items from theirs.
fn set_path(node: &mut Value, steps: &[Step], leaf: Value) {
    let Some((step, rest)) = steps.split_first() else {
        *node = leaf;
        return;
    };
    match step {
        Step::Key(key, kind) => {
            let template = match kind {
                Struct(_, t) => yaml(t),
                Items(_, t) => Value::Sequence(vec![yaml(t)]),
                _ => Value::Null,
            };
            let map = node.as_mapping_mut().expect("a mapping on the way");
            let child = map.entry(Value::from(*key)).or_insert(template);
            if let (Items(_, t), Value::Sequence(items)) = (kind, &mut *child) {
                if items.is_empty() {
                    items.push(yaml(t));
                }
            }
            set_path(child, rest, leaf);
        }
        Step::First => {
            let items = node.as_sequence_mut().expect("a list on the way");
            set_path(&mut items[0], rest, leaf);
        }
    }
}

/// `loki.storage.setupImage`, `grafana.alerting.ruleGroups[0].rules[0].uid`.
fn path_text(steps: &[Step]) -> String {
    let mut text = String::new();
    for step in steps {
        match step {
            Step::Key(key, _) => {
                if !text.is_empty() {
                    text.push('.');
                }
                text.push_str(key);
            }
            Step::First => text.push_str("[0]"),
        }
    }
    text
}

/// Every leaf and object of the spec, with the steps to reach it.
fn all_fields() -> Vec<Vec<Step>> {
    fn walk(fields: &'static [Field], prefix: Vec<Step>, out: &mut Vec<Vec<Step>>) {
        for (name, kind) in fields {
            let mut steps = prefix.clone();
            steps.push(Step::Key(name, *kind));
            out.push(steps.clone());
            match kind {
                Struct(inner, _) => walk(inner, steps, out),
                Items(inner, _) => {
                    steps.push(Step::First);
                    walk(inner, steps, out);
                }
                _ => {}
            }
        }
    }
    let mut out = Vec::new();
    walk(SPEC, Vec::new(), &mut out);
    out
}

/// A value of the wrong type for `kind`: a list or mapping where a scalar is expected, a
/// string where a boolean, a number, a list or an object is expected.
fn wrong_values(kind: Kind) -> Vec<Value> {
    match kind {
        Str | Enum => vec![yaml("[a, b]"), yaml("{a: b}")],
        Bool => vec![yaml("'yes'"), yaml("[true]")],
        Int => vec![yaml("three"), yaml("{n: 3}")],
        Num => vec![yaml("high"), yaml("[1]")],
        List => vec![yaml("a-string"), yaml("{a: b}")],
        Map | Struct(..) | Items(..) => vec![yaml("a-string"), yaml("7")],
    }
}

fn stack_list(spec: Value) -> String {
    let stack = Value::Mapping(Mapping::from_iter([
        ("apiVersion".into(), "monitoring-stack.dev/v1alpha1".into()),
        ("kind".into(), "MonitoringStack".into()),
        ("metadata".into(), yaml("{name: main}")),
        ("spec".into(), spec),
    ]));
    let list = Value::Mapping(Mapping::from_iter([
        ("apiVersion".into(), "config.kubernetes.io/v1".into()),
        ("kind".into(), "ResourceList".into()),
        ("items".into(), Value::Sequence(vec![])),
        ("functionConfig".into(), stack),
    ]));
    monitoring_stack::yaml::to_string(&list)
}

#[test]
fn every_spec_field_with_a_wrong_type_is_an_error_at_its_path() {
    let mut count = 0;
    let mut mismatches = Vec::new();
    for steps in all_fields() {
        let Some(Step::Key(_, kind)) = steps.last().cloned() else {
            unreachable!()
        };
        let path = format!("spec.{}", path_text(&steps));
        for wrong in wrong_values(kind) {
            let input = stack_list(spec_with(&steps, wrong.clone()));
            let (output, list) = invariants::check(input.as_bytes());
            assert!(output.failed, "{path} = {wrong:?} was accepted");
            let found = errors(&list);
            if !found.iter().any(|(field, message)| {
                field.as_deref() == Some(path.as_str())
                    && (message.contains("invalid type") || message.contains("must be a mapping"))
            }) {
                mismatches.push(format!("{path} = {wrong:?}: {found:?}"));
            }
            count += 1;
        }
    }
    assert!(
        mismatches.is_empty(),
        "wrong types not reported as `invalid type` at their path:\n{}",
        mismatches.join("\n")
    );
    // The binary agrees on one of them (exit 1, the same error).
    let steps = [
        Step::Key("loki", Struct(LOKI, "{}")),
        Step::Key("replicas", Int),
    ];
    let run = run_binary(stack_list(spec_with(&steps, yaml("three"))).as_bytes());
    assert_eq!(run.code, Some(1));
    assert!(
        run.stderr.contains("spec.loki.replicas: invalid type"),
        "{}",
        run.stderr
    );
    eprintln!("{count} wrong-type cases");
    assert!(count > 200, "only {count} wrong-type cases");
}

/// The table covers every field the parser knows: each object is asked for its fields through
/// the "unknown field ... (expected one of: ...)" error.
#[test]
fn the_wrong_type_table_covers_every_spec_field() {
    let mut objects: Vec<(Vec<Step>, &'static [Field])> = vec![(Vec::new(), SPEC)];
    for steps in all_fields() {
        match steps.last() {
            Some(Step::Key(_, Struct(fields, _))) => objects.push((steps.clone(), fields)),
            Some(Step::Key(_, Items(fields, _))) => {
                let mut steps = steps.clone();
                steps.push(Step::First);
                objects.push((steps, fields));
            }
            _ => {}
        }
    }
    let mut missing = Vec::new();
    for (steps, fields) in objects {
        let mut with_unknown = steps.clone();
        with_unknown.push(Step::Key("zzUnknownField", Str));
        let input = stack_list(spec_with(&with_unknown, yaml("x")));
        let output = monitoring_stack::process(input.as_bytes());
        let list: Value = serde_yaml_ng::from_str(&output.yaml).expect("output");
        let message = errors(&list)
            .into_iter()
            .map(|(_, m)| m)
            .find(|m| m.contains("unknown field `zzUnknownField`"))
            .unwrap_or_else(|| {
                panic!(
                    "spec.{}: no unknown-field error: {}",
                    path_text(&steps),
                    output.stderr
                )
            });
        let known = message
            .split("expected one of: ")
            .nth(1)
            .and_then(|rest| rest.split(')').next())
            .unwrap_or_default();
        for name in known.split(", ").filter(|n| !n.is_empty()) {
            if !fields.iter().any(|(field, _)| *field == name) {
                missing.push(format!("spec.{}.{name}", path_text(&steps)));
            }
        }
        for (field, _) in fields {
            assert!(
                known.split(", ").any(|n| n == *field),
                "spec.{}.{field} is in the table but the parser does not know it ({known})",
                path_text(&steps)
            );
        }
    }
    assert!(
        missing.is_empty(),
        "spec fields without a wrong-type case (add them to the table): {missing:#?}"
    );
}

/// A stack whose `spec` is `body` (YAML indented by two), as a ResourceList's functionConfig.
fn stack_with(body: &str) -> String {
    list_with(
        &[CONFIG_MAP],
        Some(&format!(
            "apiVersion: monitoring-stack.dev/v1alpha1\nkind: MonitoringStack\nmetadata:\n  name: main\nspec:\n{body}"
        )),
    )
}

/// Runs (name, spec body, field, message) cases; collects every failure before failing.
fn assert_spec_cases(cases: &[(&'static str, &str, &'static str, &'static str)]) {
    let mut failures = Vec::new();
    for (name, body, field, message) in cases {
        let case = case(name, stack_with(body), Some(field), message);
        if let Err(panic) = std::panic::catch_unwind(|| assert_case(&case)) {
            failures.push(
                panic
                    .downcast_ref::<String>()
                    .cloned()
                    .unwrap_or_else(|| format!("{name}: panicked")),
            );
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

const G: &str = "  grafana:\n    hostname: grafana.example.com\n";

/// Issue 16, class 6: values every field's type accepted but the system that reads them
/// refuses (Kubernetes' int32 and Quantity rules, Go's duration bound, Loki's whole days,
/// Alloy's scrape timeout, Ingress host rules) are errors at their field.
#[test]
fn values_the_consumers_reject_are_errors_at_their_field() {
    let g = G;
    let cases: Vec<(&'static str, String, &'static str, &'static str)> = vec![
        ("replicas above int32", format!("{g}  loki:\n    replicas: 2147483648\n"), "spec.loki.replicas", "int32"),
        ("mimir replicas above int32", format!("{g}  mimir:\n    replicas: 4294967295\n"), "spec.mimir.replicas", "int32"),
        ("collector replicas above int32", format!("{g}  alloy:\n    metrics:\n      replicas: 3000000000\n"), "spec.alloy.metrics.replicas", "int32"),
        ("replicas above u32", format!("{g}  loki:\n    replicas: 99999999999\n"), "spec.loki.replicas", "u32"),
        ("retention past Go's bound", format!("{g}  loki:\n    retention: 99999999999999999999d\n"), "spec.loki.retention", "longest duration"),
        ("mimir retention past Go's bound", format!("{g}  mimir:\n    retention: 300y\n"), "spec.mimir.retention", "longest duration"),
        ("loki retention in hours", format!("{g}  loki:\n    retention: 36h\n"), "spec.loki.retention", "whole number of days"),
        ("flux interval past Go's bound", format!("{g}  flux:\n    interval: 9999999999h\n"), "spec.flux.interval", "longest duration"),
        ("flux timeout of zero", format!("{g}  flux:\n    timeout: 0s\n"), "spec.flux.timeout", "above zero"),
        ("scrape interval past Go's bound", format!("{g}  alloy:\n    metrics:\n      scrapeInterval: 2562048h\n"), "spec.alloy.metrics.scrapeInterval", "longest duration"),
        ("scrape interval below the timeout", format!("{g}  alloy:\n    metrics:\n      scrapeInterval: 5s\n"), "spec.alloy.metrics.scrapeInterval", "scrape timeout"),
        ("extra scrape interval below the timeout", format!("{g}  alloy:\n    metrics:\n      extraScrapes:\n        - {{name: r, targets: ['r.lan:9100'], interval: 500ms}}\n"), "spec.alloy.metrics.extraScrapes[0].interval", "scrape timeout"),
        ("negative persistence size", format!("{g}  loki:\n    persistence:\n      size: -5Gi\n"), "spec.loki.persistence.size", "negative"),
        ("zero persistence size", format!("{g}  mimir:\n    persistence:\n      size: 0Gi\n"), "spec.mimir.persistence.size", "more than zero"),
        ("zero grafana volume", "  grafana:\n    hostname: grafana.example.com\n    persistence:\n      size: \"0\"\n".to_string(), "spec.grafana.persistence.size", "more than zero"),
        ("negative cpu request", format!("{g}  loki:\n    resources:\n      requests:\n        cpu: \"-1\"\n"), "spec.loki.resources.requests.cpu", "negative"),
        ("negative memory limit", format!("{g}  nodeExporter:\n    resources:\n      limits:\n        memory: -1Mi\n"), "spec.nodeExporter.resources.limits.memory", "negative"),
        ("exponent past int32", format!("{g}  alloy:\n    logs:\n      resources:\n        limits:\n          cpu: 1e9999999999\n"), "spec.alloy.logs.resources.limits.cpu", "quantity"),
        ("request above limit", format!("{g}  kubeStateMetrics:\n    resources:\n      requests: {{memory: 1Gi}}\n      limits: {{memory: 512Mi}}\n"), "spec.kubeStateMetrics.resources.requests.memory", "above the limit"),
        ("cpu request above limit", "  grafana:\n    hostname: grafana.example.com\n    resources:\n      requests: {cpu: \"2\"}\n      limits: {cpu: 500m}\n".to_string(), "spec.grafana.resources.requests.cpu", "above the limit"),
        ("ingress host that is an IP", "  grafana:\n    hostname: 10.0.0.1\n    exposure:\n      type: Ingress\n".to_string(), "spec.grafana.hostname", "IP address"),
        ("grafana host that is an IP", "  grafana:\n    hostname: 192.168.1.20\n".to_string(), "spec.grafana.hostname", "IP address"),
        ("rule group interval off Grafana's 10s grid", format!("{g}    alerting:\n      ruleGroups:\n        - {{name: g, interval: 15s, rules: [{{uid: a, title: A, expr: up}}]}}\n"), "spec.grafana.alerting.ruleGroups[0].interval", "10s scheduler interval"),
        ("zero group interval", format!("{g}    alerting:\n      groupInterval: 0s\n"), "spec.grafana.alerting.groupInterval", "above zero"),
        ("alerting duration past Go's bound", format!("{g}    alerting:\n      repeatInterval: 99999999999999w\n"), "spec.grafana.alerting.repeatInterval", "longest duration"),
    ];
    let cases: Vec<(&'static str, &str, &'static str, &'static str)> = cases
        .iter()
        .map(|(name, body, field, message)| (*name, body.as_str(), *field, *message))
        .collect();
    assert_spec_cases(&cases);
}

/// Issue 16, class 3: every string that lands in a text format is checked for that format at
/// its field (grafana.ini lines, Go templates, regular expressions, URLs, the setup Job's
/// shell), and literal credentials are refused where the spec offers a Secret reference.
#[test]
fn injection_and_literal_secrets_are_refused_at_their_field() {
    let oidc = "  grafana:\n    hostname: grafana.example.com\n    oidc:\n      issuerUrl: https://idp.example.com/realms/main\n";
    let g = G;
    let rule = |extra: &str| {
        format!("{g}    alerting:\n      ruleGroups:\n        - name: g\n          rules:\n            - {{uid: a, title: A, expr: up{extra}}}\n")
    };
    let receiver = |settings: &str| {
        format!("{g}    alerting:\n      contactPoints:\n        - name: hook\n          receivers:\n            - {{type: webhook, settings: {settings}}}\n")
    };
    let cases: Vec<(&'static str, String, &'static str, &'static str)> = vec![
        ("a new grafana.ini section in the login button", format!("{oidc}      displayName: \"Keycloak\\n[security]\\nadmin_password = x\"\n"), "spec.grafana.oidc.displayName", "one line"),
        ("a carriage return in the admin group", format!("{oidc}      adminGroup: \"admins\\r[x]\"\n"), "spec.grafana.oidc.adminGroup", "one line"),
        ("a NUL in the editor group", format!("{oidc}      editorGroup: \"ed\\0itors\"\n"), "spec.grafana.oidc.editorGroup", "control characters"),
        ("an env expansion in the login button", format!("{oidc}      displayName: \"$__file{{/etc/passwd}}\"\n"), "spec.grafana.oidc.displayName", "expand"),
        ("a legacy env expansion in the client id", format!("{oidc}      clientId: \"${{GF_SECRET}}\"\n"), "spec.grafana.oidc.clientId", "expand"),
        ("edge spaces in the login button", format!("{oidc}      displayName: \" Keycloak \"\n"), "spec.grafana.oidc.displayName", "spaces"),
        ("a quoted login button", format!("{oidc}      displayName: '\"Keycloak\"'\n"), "spec.grafana.oidc.displayName", "quotes"),
        ("an issuer with a query", "  grafana:\n    hostname: grafana.example.com\n    oidc:\n      issuerUrl: \"https://idp.example.com/realms/main?x=1\"\n".to_string(), "spec.grafana.oidc.issuerUrl", "no query"),
        ("an issuer with a password", "  grafana:\n    hostname: grafana.example.com\n    oidc:\n      issuerUrl: \"https://u:p@idp.example.com/realms/main\"\n".to_string(), "spec.grafana.oidc.issuerUrl", "https"),
        ("a control character in a config value", format!("{g}    config:\n      server:\n        domain: \"a\\tb\"\n"), "spec.grafana.config.server.domain", "control characters"),
        ("a line break in a config value", format!("{g}    config:\n      server:\n        domain: \"a\\n[auth]\\ndisable_login_form = false\"\n"), "spec.grafana.config.server.domain", "one line"),
        ("a database URL with a password", format!("{g}    config:\n      database:\n        url: \"postgres://grafana:hunter2@db:5432/grafana\"\n"), "spec.grafana.config.database.url", "secret"),
        ("a password key", format!("{g}    config:\n      smtp:\n        password: hunter2\n"), "spec.grafana.config.smtp.password", "secret"),
        ("a token key", format!("{g}    config:\n      external_image_storage.webdav:\n        token: abc\n"), "spec.grafana.config.external_image_storage.webdav.token", "secret"),
        ("a bearer value under any key", format!("{g}    config:\n      rendering:\n        server_header: \"Bearer abc.def\"\n"), "spec.grafana.config.rendering.server_header", "secret"),
        ("a password through the escape hatch", format!("{g}    values:\n      config:\n        database:\n          password: hunter2\n"), "spec.grafana.values.config.database.password", "secret"),
        ("a new section through the escape hatch", format!("{g}    values:\n      config:\n        server:\n          domain: \"x\\n[security]\"\n"), "spec.grafana.values.config.server.domain", "one line"),
        ("a literal bearer header", receiver("{url_from: x, headers: {Authorization: \"Bearer abc123\"}}"), "spec.grafana.alerting.contactPoints[0].receivers[0].settings.headers.Authorization", "secrets"),
        ("an API key header", receiver("{headers: {X-API-Key: abc123}}"), "spec.grafana.alerting.contactPoints[0].receivers[0].settings.headers.X-API-Key", "secret"),
        ("an auth token header", receiver("{headers: {X-Auth-Token: abc123}}"), "spec.grafana.alerting.contactPoints[0].receivers[0].settings.headers.X-Auth-Token", "secret"),
        ("a basic authorization under an innocent key", receiver("{extra: \"Basic dXNlcjpwYXNz\"}"), "spec.grafana.alerting.contactPoints[0].receivers[0].settings.extra", "secret"),
        ("a URL with a password in a list", receiver("{targets: [\"https://u:p@hooks.example.com/x\"]}"), "spec.grafana.alerting.contactPoints[0].receivers[0].settings.targets[0]", "secret"),
        ("an unclosed template in a summary", rule(", summary: \"{{ $labels.pod \""), "spec.grafana.alerting.ruleGroups[0].rules[0].summary", "never closed"),
        ("an unclosed template in an annotation", rule(", annotations: {runbook: \"{{ x {{ y }}\"}"), "spec.grafana.alerting.ruleGroups[0].rules[0].annotations.runbook", "opened before"),
        ("a stray close in a label", rule(", labels: {team: \"a }} b\"}"), "spec.grafana.alerting.ruleGroups[0].rules[0].labels.team", "closes no"),
        ("a line break in a title", rule("").replace("title: A", "title: \"A\\nB\""), "spec.grafana.alerting.ruleGroups[0].rules[0].title", "one line"),
        ("a broken regex matcher", format!("{g}    alerting:\n      contactPoints:\n        - name: pager\n          matchers: [{{label: severity, op: \"=~\", value: \"(crit\"}}]\n          receivers: [{{type: email, settings: {{addresses: a@example.com}}}}]\n"), "spec.grafana.alerting.contactPoints[0].matchers[0].value", "not closed"),
        ("a line break in a matcher", format!("{g}    alerting:\n      contactPoints:\n        - name: pager\n          matchers: [{{label: team, value: \"a\\nb\"}}]\n          receivers: [{{type: email, settings: {{addresses: a@example.com}}}}]\n"), "spec.grafana.alerting.contactPoints[0].matchers[0].value", "line breaks"),
        ("shell in a namespace", format!("{g}  loki:\n    namespace: \"$(reboot)\"\n"), "spec.loki.namespace", "DNS-1123"),
        ("shell in the fallback region", format!("{g}  mimir:\n    storage:\n      fallbackRegion: \"x; rm -rf /\"\n"), "spec.mimir.storage.fallbackRegion", "DNS-1123"),
        ("a quote in a PromQL label value (cluster name)", format!("{g}  cluster:\n    name: 'a\"}}or vector(1)'\n"), "spec.cluster.name", "DNS-1123"),
        ("a line break in a scrape label (Alloy)", format!("{g}  alloy:\n    metrics:\n      extraScrapes:\n        - {{name: r, targets: ['r.lan:9100'], metricsPath: \"/m\\n\"}}\n"), "spec.alloy.metrics.extraScrapes[0].metricsPath", "URL path"),
    ];
    let cases: Vec<(&'static str, &str, &'static str, &'static str)> = cases
        .iter()
        .map(|(name, body, field, message)| (*name, body.as_str(), *field, *message))
        .collect();
    assert_spec_cases(&cases);
}
