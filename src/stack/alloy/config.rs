//! The Alloy configuration language as a typed model, and the one writer that turns it into
//! text. The collectors' configurations (`logs.rs`, `metrics.rs`) are built from this model only;
//! nothing else produces Alloy text.
//!
//! What the writer guarantees, whatever the (user-supplied) strings contain:
//! - strings are double-quoted with Alloy's (Go's) escapes: `\"`, `\\`, `\n`, `\r`, `\t`, and
//!   `\uXXXX` for every other control or invisible separator character;
//! - the text never contains `{{`: the Alloy chart passes `alloy.configMap.content` through Helm's
//!   `tpl`, which would run it as a template. A `{` that would follow `{` inside a string is
//!   written `\u007b` (the same character to Alloy);
//! - the text never contains `${`, which Flux post-build substitution would replace: a `{` after
//!   `$` is written `\u007b` too, so a relabel replacement `${1}` still reaches Alloy as `${1}`;
//! - block labels are identifiers (Alloy reads them raw, unescaped) and object keys are
//!   identifiers or quoted strings that need no escape (Alloy reads quoted keys raw as well);
//! - top-level blocks are components from [`COMPONENTS`], and a reference to a component's
//!   export can only be made from the block that defines it ([`ComponentBlock::export`]).

use std::fmt::Write as _;

/// Every Alloy component the writer may emit. Each is generally available in Alloy v1.18 (the
/// version the pinned Alloy chart 1.11.0 runs), so the chart's default
/// `alloy.stabilityLevel: generally-available` runs them all. Indexed by [`Component`].
pub const COMPONENTS: [&str; 14] = [
    "discovery.kubernetes",
    "discovery.relabel",
    "loki.source.kubernetes",
    "loki.write",
    "prometheus.operator.podmonitors",
    "prometheus.operator.servicemonitors",
    "prometheus.remote_write",
    "prometheus.scrape",
    "mimir.rules.kubernetes",
    "loki.source.kubernetes_events",
    "loki.process",
    "prometheus.relabel",
    "loki.source.journal",
    "loki.relabel",
];

/// An Alloy component; its name is `COMPONENTS[component as usize]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Component {
    DiscoveryKubernetes = 0,
    DiscoveryRelabel = 1,
    LokiSourceKubernetes = 2,
    LokiWrite = 3,
    PrometheusOperatorPodmonitors = 4,
    PrometheusOperatorServicemonitors = 5,
    PrometheusRemoteWrite = 6,
    PrometheusScrape = 7,
    MimirRulesKubernetes = 8,
    LokiSourceKubernetesEvents = 9,
    LokiProcess = 10,
    PrometheusRelabel = 11,
    LokiSourceJournal = 12,
    LokiRelabel = 13,
}

impl Component {
    #[cfg(test)]
    pub const ALL: [Component; 14] = [
        Component::DiscoveryKubernetes,
        Component::DiscoveryRelabel,
        Component::LokiSourceKubernetes,
        Component::LokiWrite,
        Component::PrometheusOperatorPodmonitors,
        Component::PrometheusOperatorServicemonitors,
        Component::PrometheusRemoteWrite,
        Component::PrometheusScrape,
        Component::MimirRulesKubernetes,
        Component::LokiSourceKubernetesEvents,
        Component::LokiProcess,
        Component::PrometheusRelabel,
        Component::LokiSourceJournal,
        Component::LokiRelabel,
    ];

    pub fn name(self) -> &'static str {
        COMPONENTS[self as usize]
    }
}

/// Words the Alloy scanner reads as literals, never as identifiers.
const KEYWORDS: [&str; 3] = ["true", "false", "null"];

/// Whether `text` is an Alloy identifier (ASCII subset: `[A-Za-z_][A-Za-z0-9_]*`, no keyword).
pub fn is_identifier(text: &str) -> bool {
    let mut chars = text.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !KEYWORDS.contains(&text)
}

/// An identifier: a component label, an attribute or block name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ident(String);

impl Ident {
    /// `None` unless `text` is an identifier.
    #[cfg(test)]
    pub fn new(text: &str) -> Option<Ident> {
        is_identifier(text).then(|| Ident(text.to_string()))
    }

    /// An identifier made from any name: characters outside `[A-Za-z0-9_]` become `_`, and
    /// `prefix` (itself an identifier) comes first, so the result always is one.
    pub fn prefixed(prefix: &'static str, name: &str) -> Ident {
        debug_assert!(is_identifier(prefix));
        let mut text = String::from(prefix);
        text.extend(name.chars().map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        }));
        Ident(text)
    }

    /// For names written in this crate (labels, attribute names); checked by the tests, which
    /// parse every rendered configuration.
    pub fn fixed(text: &'static str) -> Ident {
        debug_assert!(is_identifier(text), "{text:?} is not an Alloy identifier");
        Ident(text.to_string())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An object key: written bare when it is an identifier, else quoted. Alloy reads a quoted key
/// raw (without unescaping), so a key that would need an escape cannot be built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key(String);

impl Key {
    pub fn new(text: &str) -> Option<Key> {
        let quotable = !text.is_empty()
            && !text
                .chars()
                .any(|c| matches!(c, '"' | '\\' | '{' | '$') || needs_unicode_escape(c));
        (is_identifier(text) || quotable).then(|| Key(text.to_string()))
    }

    /// For keys written in this crate (`cluster`, `X-Scope-OrgID`).
    pub fn fixed(text: &'static str) -> Key {
        debug_assert!(Key::new(text).is_some(), "{text:?} is not a writable key");
        Key(text.to_string())
    }

    fn render(&self) -> String {
        if is_identifier(&self.0) {
            self.0.clone()
        } else {
            format!("\"{}\"", self.0)
        }
    }
}

/// The functions the configurations call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Function {
    /// `sys.env("NAME")`: an environment variable of the Alloy container.
    SysEnv,
}

impl Function {
    fn name(self) -> &'static str {
        match self {
            Function::SysEnv => "sys.env",
        }
    }
}

/// An expression: the value of an attribute.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    String(String),
    Bool(bool),
    Int(u64),
    Array(Vec<Expr>),
    Object(Vec<(Key, Expr)>),
    /// `<component>.<label>.<export>`, made by [`ComponentBlock::export`].
    Export {
        component: Component,
        label: Ident,
        export: Ident,
    },
    Call(Function, Vec<Expr>),
    /// `a + b + ...` (string concatenation).
    Concat(Vec<Expr>),
}

impl Expr {
    /// `sys.env("NAME")`.
    pub fn env(name: &str) -> Expr {
        Expr::Call(Function::SysEnv, vec![Expr::from(name)])
    }

    /// An array of strings.
    pub fn strings<S: AsRef<str>>(items: impl IntoIterator<Item = S>) -> Expr {
        Expr::Array(
            items
                .into_iter()
                .map(|s| Expr::String(s.as_ref().to_string()))
                .collect(),
        )
    }

    /// Whether the expression renders on one line.
    fn is_inline(&self) -> bool {
        match self {
            Expr::Object(fields) => fields.is_empty(),
            Expr::Array(items) => items.iter().all(|item| match item {
                Expr::Array(inner) | Expr::Concat(inner) | Expr::Call(_, inner) => {
                    inner.iter().all(Expr::is_inline)
                }
                Expr::Object(fields) => fields.is_empty(),
                _ => true,
            }),
            Expr::Concat(parts) | Expr::Call(_, parts) => parts.iter().all(Expr::is_inline),
            _ => true,
        }
    }

    fn render(&self, out: &mut String, indent: usize) {
        match self {
            Expr::String(text) => out.push_str(&quote(text)),
            Expr::Bool(value) => out.push_str(if *value { "true" } else { "false" }),
            Expr::Int(value) => {
                let _ = write!(out, "{value}");
            }
            Expr::Export {
                component,
                label,
                export,
            } => {
                let _ = write!(out, "{}.{}.{}", component.name(), label.0, export.0);
            }
            Expr::Call(function, args) => {
                out.push_str(function.name());
                out.push('(');
                for (i, arg) in args.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    arg.render(out, indent);
                }
                out.push(')');
            }
            Expr::Concat(parts) => {
                for (i, part) in parts.iter().enumerate() {
                    if i > 0 {
                        out.push_str(" + ");
                    }
                    part.render(out, indent);
                }
            }
            Expr::Array(items) => {
                let mut inline = String::new();
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        inline.push_str(", ");
                    }
                    item.render(&mut inline, indent);
                }
                if self.is_inline() && inline.len() <= 80 {
                    out.push('[');
                    out.push_str(&inline);
                    out.push(']');
                } else {
                    // One element per line, each followed by a comma (a newline after an
                    // element would end the statement).
                    out.push_str("[\n");
                    for item in items {
                        pad(out, indent + 1);
                        item.render(out, indent + 1);
                        out.push_str(",\n");
                    }
                    pad(out, indent);
                    out.push(']');
                }
            }
            Expr::Object(fields) => {
                if fields.is_empty() {
                    out.push_str("{}");
                    return;
                }
                out.push_str("{\n");
                let keys: Vec<String> = fields.iter().map(|(key, _)| key.render()).collect();
                let width = keys.iter().map(|k| k.chars().count()).max().unwrap_or(0);
                for (key, (_, value)) in keys.iter().zip(fields) {
                    pad(out, indent + 1);
                    let _ = write!(out, "{key:<width$} = ");
                    value.render(out, indent + 1);
                    out.push_str(",\n");
                }
                pad(out, indent);
                out.push('}');
            }
        }
    }
}

impl From<&str> for Expr {
    fn from(text: &str) -> Expr {
        Expr::String(text.to_string())
    }
}

impl From<String> for Expr {
    fn from(text: String) -> Expr {
        Expr::String(text)
    }
}

impl From<bool> for Expr {
    fn from(value: bool) -> Expr {
        Expr::Bool(value)
    }
}

impl From<u64> for Expr {
    fn from(value: u64) -> Expr {
        Expr::Int(value)
    }
}

impl From<Vec<Expr>> for Expr {
    fn from(items: Vec<Expr>) -> Expr {
        Expr::Array(items)
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Statement {
    Attribute(Ident, Expr),
    Block(Block),
}

/// The statements of a block, in order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Body(Vec<Statement>);

impl Body {
    fn render(&self, out: &mut String, indent: usize) {
        let mut i = 0;
        while i < self.0.len() {
            match &self.0[i] {
                Statement::Block(block) => {
                    // A blank line before a nested block that follows other statements.
                    if i > 0 {
                        out.push('\n');
                    }
                    block.render(out, indent);
                    i += 1;
                }
                Statement::Attribute(..) => {
                    // A run of attributes, their `=` aligned (as `alloy fmt` does).
                    let run: Vec<(&Ident, &Expr)> = self.0[i..]
                        .iter()
                        .map_while(|statement| match statement {
                            Statement::Attribute(name, value) => Some((name, value)),
                            Statement::Block(_) => None,
                        })
                        .collect();
                    let width = run.iter().map(|(name, _)| name.0.len()).max().unwrap_or(0);
                    if i > 0 {
                        out.push('\n');
                    }
                    for (name, value) in &run {
                        pad(out, indent);
                        let _ = write!(out, "{:<width$} = ", name.0);
                        value.render(out, indent);
                        out.push('\n');
                    }
                    i += run.len();
                }
            }
        }
    }
}

/// Adding statements to a block body (both kinds of block).
pub trait Statements: Sized {
    fn body_mut(&mut self) -> &mut Body;

    /// `name = value`.
    fn attr(mut self, name: &'static str, value: impl Into<Expr>) -> Self {
        self.body_mut()
            .0
            .push(Statement::Attribute(Ident::fixed(name), value.into()));
        self
    }

    /// `name = value` when `value` is `Some`.
    fn attr_opt<V: Into<Expr>>(self, name: &'static str, value: Option<V>) -> Self {
        match value {
            Some(value) => self.attr(name, value),
            None => self,
        }
    }

    fn block(mut self, block: Block) -> Self {
        self.body_mut().0.push(Statement::Block(block));
        self
    }

    fn blocks(mut self, blocks: impl IntoIterator<Item = Block>) -> Self {
        self.body_mut()
            .0
            .extend(blocks.into_iter().map(Statement::Block));
        self
    }
}

/// A block inside a component (`endpoint { ... }`, `rule { ... }`).
#[derive(Debug, Clone, PartialEq)]
pub struct Block {
    name: Ident,
    body: Body,
}

impl Block {
    /// A block; `name` is an identifier or a dotted chain of them (`stage.logfmt`).
    pub fn new(name: &'static str) -> Block {
        debug_assert!(
            name.split('.').all(is_identifier),
            "{name:?} is not an Alloy block name"
        );
        Block {
            name: Ident(name.to_string()),
            body: Body::default(),
        }
    }

    fn render(&self, out: &mut String, indent: usize) {
        pad(out, indent);
        out.push_str(&self.name.0);
        render_body(&self.body, out, indent);
    }
}

impl Statements for Block {
    fn body_mut(&mut self) -> &mut Body {
        &mut self.body
    }
}

/// A top-level component block: `<component> "<label>" { ... }`.
#[derive(Debug, Clone, PartialEq)]
pub struct ComponentBlock {
    component: Component,
    label: Ident,
    body: Body,
}

impl ComponentBlock {
    pub fn new(component: Component, label: Ident) -> ComponentBlock {
        ComponentBlock {
            component,
            label,
            body: Body::default(),
        }
    }

    /// A reference to one of this component's exports (`discovery.relabel.pods.output`).
    pub fn export(&self, export: &'static str) -> Expr {
        Expr::Export {
            component: self.component,
            label: self.label.clone(),
            export: Ident::fixed(export),
        }
    }

    fn render(&self, out: &mut String) {
        let _ = write!(out, "{} \"{}\"", self.component.name(), self.label.0);
        render_body(&self.body, out, 0);
    }
}

impl Statements for ComponentBlock {
    fn body_mut(&mut self) -> &mut Body {
        &mut self.body
    }
}

fn render_body(body: &Body, out: &mut String, indent: usize) {
    if body.0.is_empty() {
        out.push_str(" {}\n");
    } else {
        out.push_str(" {\n");
        body.render(out, indent + 1);
        pad(out, indent);
        out.push_str("}\n");
    }
}

/// A whole configuration file: a comment header and the component blocks.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Config {
    header: Vec<&'static str>,
    components: Vec<ComponentBlock>,
}

impl Config {
    /// `header` lines become `//` comments at the top (written here, never user text).
    pub fn new(header: &[&'static str]) -> Config {
        debug_assert!(header.iter().all(|line| !line.contains(['\n', '\r'])));
        Config {
            header: header.to_vec(),
            components: Vec::new(),
        }
    }

    pub fn push(&mut self, component: ComponentBlock) {
        self.components.push(component);
    }

    pub fn extend(&mut self, components: impl IntoIterator<Item = ComponentBlock>) {
        self.components.extend(components);
    }

    /// The configuration text.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for line in &self.header {
            out.push_str("// ");
            out.push_str(line);
            out.push('\n');
        }
        for (i, component) in self.components.iter().enumerate() {
            if i > 0 || !self.header.is_empty() {
                out.push('\n');
            }
            component.render(&mut out);
        }
        out
    }
}

fn pad(out: &mut String, indent: usize) {
    for _ in 0..indent {
        out.push_str("  ");
    }
}

/// Characters written as `\uXXXX`: control characters (a raw newline would end the string),
/// invisible separators and the byte-order mark.
fn needs_unicode_escape(c: char) -> bool {
    c.is_control() || (!c.is_ascii() && c.is_whitespace()) || c == '\u{feff}'
}

/// `text` as an Alloy string literal (see the module documentation for the guarantees).
pub fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        if let Some(escape) = crate::json::short_escape(c) {
            out.push_str(escape);
            continue;
        }
        match c {
            // `{{` would start a Helm template action, `${` a Flux substitution.
            '{' if out.ends_with(['{', '$']) => out.push_str("\\u007b"),
            c if needs_unicode_escape(c) => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn component_names_follow_the_list() {
        for (i, component) in Component::ALL.iter().enumerate() {
            assert_eq!(*component as usize, i);
            assert_eq!(component.name(), COMPONENTS[i]);
        }
        let mut sorted = COMPONENTS.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), COMPONENTS.len(), "duplicates in COMPONENTS");
    }

    #[test]
    fn quoting_escapes_exactly_what_it_must() {
        let cases = [
            ("plain", r#""plain""#),
            (r#"say "hi""#, r#""say \"hi\"""#),
            (r"C:\path\n", r#""C:\\path\\n""#),
            ("two\nlines\r\tend", r#""two\nlines\r\tend""#),
            ("bell\u{7}", r#""bell\u0007""#),
            ("nbsp\u{a0}ls\u{2028}", r#""nbsp\u00a0ls\u2028""#),
            ("ünïcödé ok", "\"ünïcödé ok\""),
            ("a{b}", r#""a{b}""#),
            ("{{ .Values }}", r#""{\u007b .Values }}""#),
            ("{{{", r#""{\u007b{""#),
            ("${1}", r#""$\u007b1}""#),
            ("$1", r#""$1""#),
            ("$${x}", r#""$$\u007bx}""#),
            ("", r#""""#),
        ];
        for (input, expected) in cases {
            assert_eq!(quote(input), expected, "{input:?}");
            assert!(!quote(input).contains("{{") && !quote(input).contains("${"));
        }
    }

    #[test]
    fn identifiers_and_keys() {
        assert!(Ident::new("pods").is_some());
        assert!(Ident::new("_x9").is_some());
        for bad in ["", "9a", "a-b", "a.b", "true", "null", "a b", "ü"] {
            assert!(Ident::new(bad).is_none(), "{bad:?}");
        }
        assert_eq!(
            Ident::prefixed("extra_", "my-job.1").as_str(),
            "extra_my_job_1"
        );
        assert_eq!(
            Key::new("cluster").map(|k| k.render()),
            Some("cluster".into())
        );
        assert_eq!(
            Key::new("X-Scope-OrgID").map(|k| k.render()),
            Some("\"X-Scope-OrgID\"".into())
        );
        assert_eq!(
            Key::new("null").map(|k| k.render()),
            Some("\"null\"".into())
        );
        for bad in ["", "a\"b", "a\\b", "a\nb", "{x", "$x"] {
            assert!(Key::new(bad).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn layout_of_blocks_arrays_and_objects() {
        let source = ComponentBlock::new(Component::DiscoveryKubernetes, Ident::fixed("pods"))
            .attr("role", "pod")
            .block(Block::new("selectors").attr("role", "pod").attr(
                "field",
                Expr::Concat(vec!["spec.nodeName=".into(), Expr::env("HOSTNAME")]),
            ));
        let target = source.export("targets");
        let sink = ComponentBlock::new(Component::LokiWrite, Ident::fixed("loki"))
            .attr("forward_to", vec![target])
            .attr(
                "external_labels",
                Expr::Object(vec![(Key::new("cluster").unwrap(), "main".into())]),
            )
            .block(Block::new("endpoint"));
        let mut config = Config::new(&["header"]);
        config.push(source);
        config.push(sink);
        let expected = r#"// header

discovery.kubernetes "pods" {
  role = "pod"

  selectors {
    role  = "pod"
    field = "spec.nodeName=" + sys.env("HOSTNAME")
  }
}

loki.write "loki" {
  forward_to      = [discovery.kubernetes.pods.targets]
  external_labels = {
    cluster = "main",
  }

  endpoint {}
}
"#;
        assert_eq!(config.render(), expected);
    }

    #[test]
    fn long_and_nested_arrays_go_one_element_per_line() {
        let block = Block::new("b")
            .attr(
                "targets",
                Expr::Array(vec![Expr::Object(vec![(
                    Key::new("__address__").unwrap(),
                    "a:1".into(),
                )])]),
            )
            .attr("names", Expr::strings(["x".repeat(50), "y".repeat(50)]));
        let mut out = String::new();
        block.render(&mut out, 0);
        let expected = format!(
            "b {{\n  targets = [\n    {{\n      __address__ = \"a:1\",\n    }},\n  ]\n  names   = [\n    \"{}\",\n    \"{}\",\n  ]\n}}\n",
            "x".repeat(50),
            "y".repeat(50)
        );
        assert_eq!(out, expected);
    }
}
