//! The vendored mixins (`vendor/mixins/`, SOURCES.md there): their dashboards, embedded
//! pre-compressed (a `GrafanaDashboard`'s `gzipJson`: nothing is fetched at reconcile time), and
//! their rule groups, shipped as `PrometheusRule`s for Mimir's ruler. Which ones ship follows
//! the spec's switches and what the stack deploys.

use super::Context;

/// What a dashboard or rule file is about; a dashboard folder per area.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Area {
    Kubernetes,
    Nodes,
    Loki,
    Mimir,
    Alloy,
    Stack,
}

impl Area {
    pub const ALL: [Area; 6] = [
        Area::Kubernetes,
        Area::Nodes,
        Area::Loki,
        Area::Mimir,
        Area::Alloy,
        Area::Stack,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Area::Kubernetes => "kubernetes",
            Area::Nodes => "nodes",
            Area::Loki => "loki",
            Area::Mimir => "mimir",
            Area::Alloy => "alloy",
            Area::Stack => "stack",
        }
    }

    /// Title of its Grafana folder.
    pub fn title(self) -> &'static str {
        match self {
            Area::Kubernetes => "Kubernetes",
            Area::Nodes => "Nodes",
            Area::Loki => "Loki",
            Area::Mimir => "Mimir",
            Area::Alloy => "Alloy",
            Area::Stack => "Monitoring stack health",
        }
    }

    /// Whether what the area watches is deployed and its metrics reach Mimir (every area's
    /// dashboards and rules read Mimir): this stack's, or on an edge the central stack's.
    pub fn deployed(self, ctx: &Context) -> bool {
        let spec = ctx.spec();
        let metrics = (spec.mimir.enabled || spec.remote.metrics.is_some())
            && spec.alloy.enabled
            && spec.alloy.metrics.runs(spec.ships_metrics());
        metrics
            && match self {
                Area::Kubernetes => {
                    spec.kube_state_metrics.enabled
                        && (spec.alloy.metrics.scrape_kubelet || spec.alloy.metrics.scrape_cadvisor)
                }
                Area::Nodes => spec.node_exporter.enabled,
                Area::Loki => spec.loki.enabled,
                Area::Mimir => spec.mimir.enabled,
                Area::Alloy | Area::Stack => true,
            }
    }

    /// The `grafana.dashboards` switch of the area.
    pub fn dashboards_on(self, ctx: &Context) -> bool {
        let d = &ctx.spec().grafana.dashboards;
        match self {
            Area::Kubernetes => d.kubernetes,
            Area::Nodes => d.nodes,
            Area::Loki => d.loki,
            Area::Mimir => d.mimir,
            Area::Alloy => d.alloy,
            Area::Stack => d.stack,
        }
    }
}

pub struct VendoredDashboard {
    pub area: Area,
    pub name: &'static str,
    pub uid: &'static str,
    pub title: &'static str,
    /// The adapted dashboard JSON, gzip-compressed.
    pub gzip: &'static [u8],
}

/// One rule file of a mixin, adapted: its groups, as static data (no parser at render time).
pub struct VendoredRules {
    pub area: Area,
    pub name: &'static str,
    pub groups: &'static [VendoredGroup],
}

pub struct VendoredGroup {
    pub name: &'static str,
    pub rules: &'static [VendoredRule],
}

/// A recording rule (`record` set) or an alerting rule (`alert` set); empty strings are unset.
pub struct VendoredRule {
    pub record: &'static str,
    pub alert: &'static str,
    pub expr: &'static str,
    pub for_: &'static str,
    pub labels: &'static [(&'static str, &'static str)],
    pub annotations: &'static [(&'static str, &'static str)],
}

impl VendoredRule {
    /// The rule as a PrometheusRule's `spec.groups[].rules[]` item, built as YAML directly: the
    /// rules are most of a stack's output, and going through JSON values copied them twice.
    pub fn to_yaml(&self) -> serde_yaml_ng::Value {
        use serde_yaml_ng::{Mapping, Value};
        let pairs = |items: &[(&str, &str)]| {
            let mut map = Mapping::with_capacity(items.len());
            for (key, value) in items {
                map.insert(Value::from(*key), Value::from(*value));
            }
            Value::Mapping(map)
        };
        let mut rule = Mapping::with_capacity(5);
        if self.record.is_empty() {
            rule.insert("alert".into(), self.alert.into());
        } else {
            rule.insert("record".into(), self.record.into());
        }
        rule.insert("expr".into(), self.expr.into());
        if !self.for_.is_empty() {
            rule.insert("for".into(), self.for_.into());
        }
        if !self.labels.is_empty() {
            rule.insert("labels".into(), pairs(self.labels));
        }
        if !self.annotations.is_empty() {
            rule.insert("annotations".into(), pairs(self.annotations));
        }
        Value::Mapping(rule)
    }
}

include!("../../vendor/mixins/vendored.rs");

/// Standard base64 (RFC 4648, padded): how YAML carries a `format: byte` field.
pub fn base64(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    // Bytes first, one string at the end: the dashboards are 100 KB of it per stack, and a
    // `char` push a digit was a tenth of the seed's expansion.
    let mut out = Vec::with_capacity(data.len().div_ceil(3) * 4);
    let digit = |n: u32, shift: u32| ALPHABET[((n >> shift) & 63) as usize];
    let mut chunks = data.chunks_exact(3);
    for chunk in &mut chunks {
        let n = (u32::from(chunk[0]) << 16) | (u32::from(chunk[1]) << 8) | u32::from(chunk[2]);
        out.extend_from_slice(&[digit(n, 18), digit(n, 12), digit(n, 6), digit(n, 0)]);
    }
    match *chunks.remainder() {
        [a] => {
            let n = u32::from(a) << 16;
            out.extend_from_slice(&[digit(n, 18), digit(n, 12), b'=', b'=']);
        }
        [a, b] => {
            let n = (u32::from(a) << 16) | (u32::from(b) << 8);
            out.extend_from_slice(&[digit(n, 18), digit(n, 12), digit(n, 6), b'=']);
        }
        _ => {}
    }
    // Only alphabet bytes and `=`: always UTF-8.
    String::from_utf8(out).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc_4648_vectors() {
        for (plain, encoded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(plain.as_bytes()), encoded);
        }
    }

    #[test]
    fn every_vendored_rule_is_a_record_or_an_alert() {
        for file in RULES {
            for group in file.groups {
                assert!(!group.rules.is_empty(), "{} {}", file.name, group.name);
                for rule in group.rules {
                    assert!(
                        rule.record.is_empty() != rule.alert.is_empty(),
                        "{} {}",
                        file.name,
                        group.name
                    );
                    assert!(!rule.expr.is_empty());
                }
            }
        }
    }
}
