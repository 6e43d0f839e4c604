//! The queries a stack ships, as PromQL: the Grafana alert rules (Mimir datasource), every
//! `PrometheusRule`, and every target of every `GrafanaDashboard` panel that does not query Loki
//! (gzipJson dashboards decoded), with Grafana's macros and variables replaced so the text
//! parses. Shared by the mixin checks (tests/mixins.rs) and the allow-list check
//! (tests/allow_lists.rs).

use base64::Engine as _;
use serde_json::Value;
use std::io::Read as _;

pub fn gunzip(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(data)
        .read_to_end(&mut out)
        .expect("gzip data");
    out
}

/// A dashboard's JSON model: `spec.json` (text or object) or `spec.gzipJson` (base64 of gzip).
pub fn dashboard_model(object: &Value) -> Option<Value> {
    match (
        object.pointer("/spec/json"),
        object.pointer("/spec/gzipJson"),
    ) {
        (Some(Value::String(text)), _) => serde_json::from_str(text).ok(),
        (Some(model), _) => Some(model.clone()),
        (None, Some(Value::String(gzip))) => {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(gzip)
                .ok()?;
            serde_json::from_slice(&gunzip(&bytes)).ok()
        }
        _ => None,
    }
}

pub fn walk_panels<'a>(panels: &'a [Value], out: &mut Vec<&'a Value>) {
    for panel in panels {
        out.push(panel);
        if let Some(inner) = panel.get("panels").and_then(Value::as_array) {
            walk_panels(inner, out);
        }
    }
}

pub fn datasource_uid(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(s) => Some(s.clone()),
        Value::Object(o) => o.get("uid").and_then(Value::as_str).map(str::to_string),
        _ => None,
    }
}

/// Grafana's macros and variables, replaced so the text is PromQL.
pub fn substitute(expr: &str) -> String {
    let mut text = expr.to_string();
    for (from, to) in [
        ("$__rate_interval", "5m"),
        ("${__rate_interval}", "5m"),
        ("$__interval_ms", "60000"),
        ("$__interval", "1m"),
        ("${__interval}", "1m"),
        ("$__range_s", "3600"),
        ("$__range", "1h"),
        ("${__range}", "1h"),
        ("$interval", "1m"),
        ("$__auto_interval_interval", "1m"),
    ] {
        text = text.replace(from, to);
    }
    // Remaining variables: inside quotes they are text; outside they stand for a number, a
    // duration or a label name, by what follows them.
    let mut out = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '"' {
            quoted = !quoted;
        }
        if c == '$' && !quoted {
            let mut name = String::new();
            if chars.peek() == Some(&'{') {
                chars.next();
                for c in chars.by_ref() {
                    if c == '}' {
                        break;
                    }
                    name.push(c);
                }
            } else {
                while let Some(&c) = chars.peek() {
                    if c.is_ascii_alphanumeric() || c == '_' {
                        name.push(c);
                        chars.next();
                    } else {
                        break;
                    }
                }
            }
            let next = chars.peek().copied();
            let replacement = if next == Some(']') || next == Some(':') {
                "5m"
            } else if in_label_list(&out) {
                "grafana_variable"
            } else {
                "1"
            };
            let _ = name;
            out.push_str(replacement);
            continue;
        }
        out.push(c);
    }
    out
}

/// Whether the text ends inside a label list: `by (`, `without (`, `on (`, `ignoring (`,
/// `group_left (`, `group_right (` with no `)` since.
fn in_label_list(text: &str) -> bool {
    let Some(open) = text.rfind('(') else {
        return false;
    };
    if text[open..].contains(')') {
        return false;
    }
    let before = text[..open].trim_end();
    [
        "by",
        "without",
        "on",
        "ignoring",
        "group_left",
        "group_right",
    ]
    .iter()
    .any(|k| before.ends_with(k))
}

/// (where, PromQL with Grafana's variables replaced) of every query the objects ship.
pub fn shipped_expressions(objects: &[Value]) -> Vec<(String, String)> {
    let text = |v: &Value, p: &str| {
        v.pointer(p)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    let mut out = Vec::new();
    for object in objects {
        let name = text(object, "/metadata/name");
        match object.get("kind").and_then(Value::as_str).unwrap_or("") {
            "GrafanaAlertRuleGroup" => {
                for rule in object["spec"]["rules"].as_array().into_iter().flatten() {
                    for query in rule["data"].as_array().into_iter().flatten() {
                        if text(query, "/model/datasource/type") == "prometheus" {
                            out.push((
                                format!("alert rule {}", text(rule, "/uid")),
                                text(query, "/model/expr"),
                            ));
                        }
                    }
                }
            }
            "PrometheusRule" => {
                for group in object["spec"]["groups"].as_array().into_iter().flatten() {
                    for rule in group["rules"].as_array().into_iter().flatten() {
                        let id = [text(rule, "/alert"), text(rule, "/record")].concat();
                        let expr = match &rule["expr"] {
                            Value::String(s) => s.clone(),
                            other => other.to_string(),
                        };
                        out.push((format!("PrometheusRule {name}: {id}"), expr));
                    }
                }
            }
            "GrafanaDashboard" => {
                let Some(model) = dashboard_model(object) else {
                    continue;
                };
                let mut panels = Vec::new();
                walk_panels(
                    model["panels"].as_array().map_or(&[][..], Vec::as_slice),
                    &mut panels,
                );
                for panel in panels {
                    let panel_uid = datasource_uid(panel.get("datasource"));
                    for target in panel["targets"].as_array().map_or(&[][..], Vec::as_slice) {
                        let Some(expr) = target["expr"].as_str().filter(|e| !e.trim().is_empty())
                        else {
                            continue;
                        };
                        let uid = datasource_uid(target.get("datasource")).or(panel_uid.clone());
                        if uid.as_deref() == Some("loki") {
                            continue;
                        }
                        out.push((
                            format!(
                                "dashboard {name} panel {:?}",
                                panel["title"].as_str().unwrap_or_default()
                            ),
                            substitute(expr),
                        ));
                    }
                }
            }
            _ => {}
        }
    }
    out
}
