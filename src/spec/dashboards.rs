//! `grafana.dashboards` (which dashboards Grafana gets) and `mimir.rules` (which PrometheusRules
//! the stack ships for Mimir's ruler). Self-contained: the structs, their defaults and their
//! checks (called from `grafana/mod.rs`).

use super::values::HttpsUrl;
use super::SpecDeserialize;
use super::{DataKey, DnsLabel, DnsSubdomain, SpecError};

/// The built-in dashboards, one switch per area (each also needs its component deployed), and
/// the users' own.
#[derive(Debug, Clone, SpecDeserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct DashboardsSpec {
    /// Kubernetes compute resources (cluster, namespace, workload, pod, node), kubelet,
    /// persistent volumes, networking (kubernetes-mixin).
    pub kubernetes: bool,
    /// Nodes and USE method (node-mixin; needs node-exporter).
    pub nodes: bool,
    /// Loki: operational, reads, writes, chunks, retention (loki-mixin).
    pub loki: bool,
    /// Mimir: overview, writes, reads, queries, object store, compactor, ruler, tenants.
    pub mimir: bool,
    /// Alloy: controller, cluster, logs and Prometheus pipelines, resources.
    pub alloy: bool,
    /// "Is monitoring working": collection, ingestion, storage and firing alerts on one page.
    pub stack: bool,
    /// The users' own dashboards, each a `GrafanaDashboard` in its folder.
    pub custom: Vec<CustomDashboardSpec>,
}

impl Default for DashboardsSpec {
    fn default() -> Self {
        DashboardsSpec {
            kubernetes: true,
            nodes: true,
            loki: true,
            mimir: true,
            alloy: true,
            stack: true,
            custom: Vec::new(),
        }
    }
}

/// One dashboard of the user's: exactly one of `url`, `grafanaCom`, `configMap`, `json`.
/// `url` and `grafanaCom` are fetched by the operator (not air-gap friendly); `configMap` and
/// `json` are not.
#[derive(Debug, Clone, SpecDeserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CustomDashboardSpec {
    /// Name of the `GrafanaDashboard` object.
    pub name: DnsLabel,
    /// Title of the Grafana folder it goes in (created when missing); "Custom" when unset.
    #[serde(default)]
    pub folder: Option<String>,
    /// Where the operator downloads the dashboard JSON from.
    #[serde(default)]
    pub url: Option<HttpsUrl>,
    /// A dashboard of grafana.com/grafana/dashboards.
    #[serde(default)]
    pub grafana_com: Option<GrafanaComRef>,
    /// A key of a ConfigMap in Grafana's namespace holding the dashboard JSON.
    #[serde(default)]
    pub config_map: Option<ConfigMapKeyRef>,
    /// The dashboard JSON itself.
    #[serde(default)]
    pub json: Option<String>,
}

/// A grafana.com dashboard: its id and the revision to pin (unset: the newest, at every
/// reconcile).
#[derive(Debug, Clone, SpecDeserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GrafanaComRef {
    pub id: u32,
    #[serde(default)]
    pub revision: Option<u32>,
}

/// A key of a ConfigMap in the component's namespace.
#[derive(Debug, Clone, SpecDeserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ConfigMapKeyRef {
    pub name: DnsSubdomain,
    pub key: DataKey,
}

/// The mixins' rules as `PrometheusRule`s, which `alloy-metrics` loads into Mimir's ruler (with
/// every other PrometheusRule in the cluster). A component's rules ship when it is deployed.
#[derive(Debug, Clone, SpecDeserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct RulesSpec {
    /// Ship the mixins' rules, and have `alloy-metrics` sync PrometheusRules into the ruler.
    pub enabled: bool,
    /// Also ship the mixins' alerting rules (recording rules always ship: the dashboards read
    /// them). Alerts go to Mimir's Alertmanager and from there to the Slack channel.
    pub alerting: bool,
}

impl Default for RulesSpec {
    fn default() -> Self {
        RulesSpec {
            enabled: true,
            alerting: true,
        }
    }
}

/// The largest dashboard JSON accepted inline (the object must stay well under etcd's limit).
const MAX_JSON: usize = 512 * 1024;

impl DashboardsSpec {
    pub(crate) fn check(&self, errors: &mut Vec<SpecError>) {
        let mut names: Vec<&str> = Vec::new();
        for (i, dashboard) in self.custom.iter().enumerate() {
            let path = format!("spec.grafana.dashboards.custom[{i}]");
            let name = dashboard.name.as_str();
            if names.contains(&name) {
                errors.push(SpecError::new(
                    format!("{path}.name"),
                    format!("dashboard {name:?} is defined twice"),
                ));
            }
            names.push(name);
            let sources = [
                dashboard.url.is_some(),
                dashboard.grafana_com.is_some(),
                dashboard.config_map.is_some(),
                dashboard.json.is_some(),
            ];
            if sources.iter().filter(|s| **s).count() != 1 {
                errors.push(SpecError::new(
                    path.clone(),
                    "needs exactly one of url, grafanaCom, configMap, json",
                ));
            }
            if let Some(folder) = &dashboard.folder {
                if folder.trim().is_empty()
                    || folder.len() > 100
                    || folder.chars().any(char::is_control)
                {
                    errors.push(SpecError::new(
                        format!("{path}.folder"),
                        "a folder title: 1-100 characters, no control characters",
                    ));
                }
            }
            if let Some(json) = &dashboard.json {
                if json.len() > MAX_JSON {
                    errors.push(SpecError::new(
                        format!("{path}.json"),
                        format!("is {} bytes, over {MAX_JSON}: use a ConfigMap", json.len()),
                    ));
                } else if let Err(message) = check_json_object(json) {
                    errors.push(SpecError::new(format!("{path}.json"), message));
                }
            }
        }
    }
}

/// Nesting deeper than this is refused (a dashboard model is a few levels deep).
const MAX_JSON_DEPTH: usize = 100;

/// Whether `text` is one JSON object (RFC 8259), without a JSON parser in the module (the
/// WebAssembly budget): a small recursive-descent checker, depth-bounded.
pub(crate) fn check_json_object(text: &str) -> Result<(), String> {
    let mut checker = JsonChecker {
        bytes: text.as_bytes(),
        at: 0,
    };
    checker.space();
    if checker.peek() != Some(b'{') {
        return Err("must be a JSON object (a dashboard model)".into());
    }
    checker.value(0)?;
    checker.space();
    if checker.at != checker.bytes.len() {
        return checker.fail("text after the object");
    }
    Ok(())
}

struct JsonChecker<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl JsonChecker<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn fail<T>(&self, what: &str) -> Result<T, String> {
        Err(format!("is not JSON: {what} at byte {}", self.at))
    }

    fn space(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
    }

    fn eat(&mut self, byte: u8) -> bool {
        let found = self.peek() == Some(byte);
        if found {
            self.at += 1;
        }
        found
    }

    fn value(&mut self, depth: usize) -> Result<(), String> {
        if depth > MAX_JSON_DEPTH {
            return self.fail("nesting too deep");
        }
        self.space();
        match self.peek() {
            Some(b'{') => {
                self.at += 1;
                self.space();
                if self.eat(b'}') {
                    return Ok(());
                }
                loop {
                    self.space();
                    if self.peek() != Some(b'"') {
                        return self.fail("expected a string key");
                    }
                    self.string()?;
                    self.space();
                    if !self.eat(b':') {
                        return self.fail("expected ':'");
                    }
                    self.value(depth + 1)?;
                    self.space();
                    if self.eat(b'}') {
                        return Ok(());
                    }
                    if !self.eat(b',') {
                        return self.fail("expected ',' or '}'");
                    }
                }
            }
            Some(b'[') => {
                self.at += 1;
                self.space();
                if self.eat(b']') {
                    return Ok(());
                }
                loop {
                    self.value(depth + 1)?;
                    self.space();
                    if self.eat(b']') {
                        return Ok(());
                    }
                    if !self.eat(b',') {
                        return self.fail("expected ',' or ']'");
                    }
                }
            }
            Some(b'"') => self.string(),
            Some(b't') => self.word(b"true"),
            Some(b'f') => self.word(b"false"),
            Some(b'n') => self.word(b"null"),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(_) => self.fail("unexpected character"),
            None => self.fail("unexpected end"),
        }
    }

    fn word(&mut self, word: &[u8]) -> Result<(), String> {
        if self.bytes[self.at..].starts_with(word) {
            self.at += word.len();
            Ok(())
        } else {
            self.fail("unknown literal")
        }
    }

    fn string(&mut self) -> Result<(), String> {
        self.at += 1; // the opening quote
        loop {
            match self.peek() {
                None => return self.fail("unterminated string"),
                Some(b'"') => {
                    self.at += 1;
                    return Ok(());
                }
                Some(b'\\') => {
                    self.at += 1;
                    match self.peek() {
                        Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => {
                            self.at += 1
                        }
                        Some(b'u') => {
                            self.at += 1;
                            for _ in 0..4 {
                                if !self.peek().is_some_and(|b| b.is_ascii_hexdigit()) {
                                    return self.fail("bad \\u escape");
                                }
                                self.at += 1;
                            }
                        }
                        _ => return self.fail("bad escape"),
                    }
                }
                Some(0..=0x1f) => return self.fail("control character in a string"),
                Some(_) => self.at += 1,
            }
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.at;
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.at += 1;
        }
        self.at - start
    }

    fn number(&mut self) -> Result<(), String> {
        self.eat(b'-');
        if !self.eat(b'0') && self.digits() == 0 {
            return self.fail("expected digits");
        }
        if self.eat(b'.') && self.digits() == 0 {
            return self.fail("expected fraction digits");
        }
        if self.eat(b'e') || self.eat(b'E') {
            if !self.eat(b'+') {
                self.eat(b'-');
            }
            if self.digits() == 0 {
                return self.fail("expected exponent digits");
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::check_json_object;

    #[test]
    fn json_objects_are_told_from_the_rest() {
        for good in [
            "{}",
            " {\"a\": [1, -2.5e+3, 0, true, false, null, \"x\\n\\u00e9\"], \"b\": {}} ",
            "{\"title\": \"Über\", \"panels\": []}",
        ] {
            assert_eq!(check_json_object(good), Ok(()), "{good}");
        }
        for bad in [
            "",
            "[]",
            "1",
            "{",
            "{a: 1}",
            "{\"a\" 1}",
            "{\"a\": 01}",
            "{\"a\": 1,}",
            "{\"a\": tru}",
            "{\"a\": \"\\x\"}",
            "{\"a\": 1} x",
            "{\"a\": \"\n\"}",
            "{\"a\": -}",
            "{\"a\": 1.}",
            "{\"a\": 1e}",
        ] {
            assert!(check_json_object(bad).is_err(), "{bad:?}");
        }
        let deep = format!("{{\"a\": {}{}}}", "[".repeat(200), "]".repeat(200));
        assert!(check_json_object(&deep).is_err());
    }
}
