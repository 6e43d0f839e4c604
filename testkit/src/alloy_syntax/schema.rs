//! What the tests know about Alloy v1.18's components, independent of the writer: for each
//! component the writer may emit, and each block inside it, the attributes and blocks Alloy
//! accepts and the attributes it requires. Read from grafana/alloy's sources and reference docs
//! (`internal/component/...` argument structs, `reference/components/*`). A generated
//! configuration is checked against this table: a misspelt attribute or block, a missing
//! required one or an unknown component fails the test.

use super::{Expr, Stmt};

pub struct BlockSchema {
    /// `component` or `component/block/...`.
    pub path: &'static str,
    pub attributes: &'static [&'static str],
    pub required: &'static [&'static str],
    pub blocks: &'static [&'static str],
}

const RELABEL_RULE: &[&str] = &[
    "source_labels",
    "separator",
    "regex",
    "modulus",
    "target_label",
    "replacement",
    "action",
];
const HTTP_CLIENT: &[&str] = &[
    "bearer_token",
    "bearer_token_file",
    "enable_http2",
    "follow_redirects",
    "proxy_url",
    "no_proxy",
    "proxy_from_environment",
    "proxy_connect_header",
];
const BASIC_AUTH: &[&str] = &["username", "password", "password_file"];

const TLS_CONFIG: &[&str] = &[
    "ca_pem",
    "ca_file",
    "cert_pem",
    "cert_file",
    "key_pem",
    "key_file",
    "server_name",
    "insecure_skip_verify",
    "min_version",
];
const OPERATOR_ATTRIBUTES: &[&str] = &[
    "forward_to",
    "namespaces",
    "kubernetes_role",
    "informer_sync_timeout",
];
const OPERATOR_BLOCKS: &[&str] = &["client", "rule", "scrape", "selector", "clustering"];
const OPERATOR_SCRAPE: &[&str] = &[
    "default_scrape_interval",
    "default_scrape_timeout",
    "default_sample_limit",
    "scrape_native_histograms",
    "honor_metadata",
];
const SCRAPE_ATTRIBUTES: &[&str] = &[
    "targets",
    "forward_to",
    "job_name",
    "extra_metrics",
    "honor_labels",
    "honor_timestamps",
    "track_timestamps_staleness",
    "params",
    "scrape_classic_histograms",
    "scrape_interval",
    "scrape_timeout",
    "metrics_path",
    "scheme",
    "body_size_limit",
    "sample_limit",
    "target_limit",
    "label_limit",
    "label_name_length_limit",
    "label_value_length_limit",
    "bearer_token",
    "bearer_token_file",
    "enable_http2",
    "follow_redirects",
    "proxy_url",
];

pub const SCHEMA: &[BlockSchema] = &[
    BlockSchema {
        path: "discovery.kubernetes",
        attributes: &[
            "api_server",
            "kubeconfig_file",
            "role",
            "bearer_token_file",
            "proxy_url",
        ],
        required: &["role"],
        blocks: &[
            "namespaces",
            "selectors",
            "attach_metadata",
            "tls_config",
            "authorization",
        ],
    },
    BlockSchema {
        path: "discovery.kubernetes/selectors",
        attributes: &["role", "label", "field"],
        required: &["role"],
        blocks: &[],
    },
    BlockSchema {
        path: "discovery.kubernetes/namespaces",
        attributes: &["own_namespace", "names"],
        required: &[],
        blocks: &[],
    },
    BlockSchema {
        path: "discovery.relabel",
        attributes: &["targets"],
        required: &["targets"],
        blocks: &["rule"],
    },
    BlockSchema {
        path: "discovery.relabel/rule",
        attributes: RELABEL_RULE,
        required: &[],
        blocks: &[],
    },
    BlockSchema {
        path: "loki.source.kubernetes",
        attributes: &["targets", "forward_to"],
        required: &["targets", "forward_to"],
        blocks: &["client", "clustering"],
    },
    BlockSchema {
        path: "loki.source.kubernetes/clustering",
        attributes: &["enabled"],
        required: &["enabled"],
        blocks: &[],
    },
    BlockSchema {
        path: "loki.write",
        attributes: &["external_labels", "max_streams"],
        required: &[],
        blocks: &["endpoint", "wal"],
    },
    BlockSchema {
        path: "loki.write/endpoint",
        attributes: &[
            "url",
            "name",
            "headers",
            "tenant_id",
            "batch_size",
            "batch_wait",
            "remote_timeout",
            "min_backoff_period",
            "max_backoff_period",
            "max_backoff_retries",
            "retry_on_http_429",
            "bearer_token",
            "bearer_token_file",
            "enable_http2",
            "follow_redirects",
            "proxy_url",
        ],
        required: &["url"],
        blocks: &[
            "authorization",
            "basic_auth",
            "oauth2",
            "tls_config",
            "queue_config",
        ],
    },
    BlockSchema {
        path: "prometheus.operator.podmonitors",
        attributes: OPERATOR_ATTRIBUTES,
        required: &["forward_to"],
        blocks: OPERATOR_BLOCKS,
    },
    BlockSchema {
        path: "prometheus.operator.podmonitors/clustering",
        attributes: &["enabled"],
        required: &["enabled"],
        blocks: &[],
    },
    BlockSchema {
        path: "prometheus.operator.podmonitors/scrape",
        attributes: OPERATOR_SCRAPE,
        required: &[],
        blocks: &[],
    },
    BlockSchema {
        path: "prometheus.operator.podmonitors/rule",
        attributes: RELABEL_RULE,
        required: &[],
        blocks: &[],
    },
    BlockSchema {
        path: "prometheus.operator.servicemonitors",
        attributes: OPERATOR_ATTRIBUTES,
        required: &["forward_to"],
        blocks: OPERATOR_BLOCKS,
    },
    BlockSchema {
        path: "prometheus.operator.servicemonitors/clustering",
        attributes: &["enabled"],
        required: &["enabled"],
        blocks: &[],
    },
    BlockSchema {
        path: "prometheus.operator.servicemonitors/scrape",
        attributes: OPERATOR_SCRAPE,
        required: &[],
        blocks: &[],
    },
    BlockSchema {
        path: "prometheus.operator.servicemonitors/rule",
        attributes: RELABEL_RULE,
        required: &[],
        blocks: &[],
    },
    BlockSchema {
        path: "prometheus.remote_write",
        attributes: &["external_labels"],
        required: &[],
        blocks: &["endpoint", "wal"],
    },
    BlockSchema {
        path: "prometheus.remote_write/endpoint",
        attributes: &[
            "url",
            "name",
            "headers",
            "remote_timeout",
            "send_exemplars",
            "send_native_histograms",
            "bearer_token",
            "bearer_token_file",
            "enable_http2",
            "follow_redirects",
            "proxy_url",
        ],
        required: &["url"],
        blocks: &[
            "basic_auth",
            "authorization",
            "oauth2",
            "sigv4",
            "tls_config",
            "queue_config",
            "metadata_config",
            "write_relabel_config",
        ],
    },
    BlockSchema {
        path: "prometheus.remote_write/endpoint/write_relabel_config",
        attributes: RELABEL_RULE,
        required: &[],
        blocks: &[],
    },
    BlockSchema {
        path: "prometheus.scrape",
        attributes: SCRAPE_ATTRIBUTES,
        required: &["targets", "forward_to"],
        blocks: &[
            "basic_auth",
            "authorization",
            "oauth2",
            "tls_config",
            "clustering",
        ],
    },
    BlockSchema {
        path: "prometheus.scrape/tls_config",
        attributes: TLS_CONFIG,
        required: &[],
        blocks: &[],
    },
    // The HTTP client blocks of the writers (Alloy's `common/config` HTTPClientConfig):
    // `basic_auth` and `tls_config` under each endpoint and the rules syncer.
    BlockSchema {
        path: "loki.write/endpoint/basic_auth",
        attributes: BASIC_AUTH,
        required: &["username"],
        blocks: &[],
    },
    BlockSchema {
        path: "loki.write/endpoint/tls_config",
        attributes: TLS_CONFIG,
        required: &[],
        blocks: &[],
    },
    BlockSchema {
        path: "prometheus.remote_write/endpoint/basic_auth",
        attributes: BASIC_AUTH,
        required: &["username"],
        blocks: &[],
    },
    BlockSchema {
        path: "prometheus.remote_write/endpoint/tls_config",
        attributes: TLS_CONFIG,
        required: &[],
        blocks: &[],
    },
    BlockSchema {
        path: "mimir.rules.kubernetes/basic_auth",
        attributes: BASIC_AUTH,
        required: &["username"],
        blocks: &[],
    },
    BlockSchema {
        path: "mimir.rules.kubernetes/tls_config",
        attributes: TLS_CONFIG,
        required: &[],
        blocks: &[],
    },
    // mimir.rules.kubernetes: docs/sources/reference/components/mimir/mimir.rules.kubernetes.md
    // and internal/component/mimir/rules/kubernetes/types.go (Alloy v1.18.0).
    BlockSchema {
        path: "mimir.rules.kubernetes",
        attributes: &[
            "address",
            "tenant_id",
            "use_legacy_routes",
            "prometheus_http_prefix",
            "sync_interval",
            "mimir_namespace_prefix",
            "mimir_namespace_separator",
            "external_labels",
            "http_headers",
            "bearer_token",
            "bearer_token_file",
            "enable_http2",
            "follow_redirects",
            "proxy_url",
            "no_proxy",
            "proxy_from_environment",
            "proxy_connect_header",
        ],
        required: &["address"],
        blocks: &[
            "basic_auth",
            "authorization",
            "oauth2",
            "tls_config",
            "rule_selector",
            "rule_namespace_selector",
            "extra_query_matchers",
        ],
    },
    BlockSchema {
        path: "mimir.rules.kubernetes/extra_query_matchers",
        attributes: &[],
        required: &[],
        blocks: &["matcher"],
    },
    BlockSchema {
        path: "mimir.rules.kubernetes/extra_query_matchers/matcher",
        attributes: &["name", "match_type", "value", "value_from_label"],
        required: &["name", "match_type"],
        blocks: &[],
    },
    BlockSchema {
        path: "prometheus.scrape/clustering",
        attributes: &["enabled"],
        required: &["enabled"],
        blocks: &[],
    },
    // Issue 19 (appended). Read from Alloy v1.18's reference docs
    // (`reference/components/loki/loki.source.kubernetes_events.md`, `loki.process.md`,
    // `loki.source.journal.md`, `loki.relabel.md`, `prometheus/prometheus.relabel.md`) and
    // their argument structs (`internal/component/loki/source/kubernetes_events`,
    // `loki/process/stages`, `loki/source/journal`, `loki/relabel`, `prometheus/relabel`).
    BlockSchema {
        path: "loki.source.kubernetes_events",
        attributes: &["forward_to", "job_name", "log_format", "namespaces"],
        required: &["forward_to"],
        blocks: &["client"],
    },
    BlockSchema {
        path: "loki.process",
        attributes: &["forward_to"],
        required: &["forward_to"],
        blocks: &[
            "stage.drop",
            "stage.json",
            "stage.label_drop",
            "stage.label_keep",
            "stage.labels",
            "stage.logfmt",
            "stage.match",
            "stage.regex",
            "stage.static_labels",
            "stage.structured_metadata",
        ],
    },
    BlockSchema {
        path: "loki.process/stage.logfmt",
        attributes: &["mapping", "source"],
        required: &["mapping"],
        blocks: &[],
    },
    BlockSchema {
        path: "loki.process/stage.structured_metadata",
        attributes: &["values", "regex"],
        required: &[],
        blocks: &[],
    },
    BlockSchema {
        path: "prometheus.relabel",
        attributes: &["forward_to", "max_cache_size"],
        required: &["forward_to"],
        blocks: &["rule"],
    },
    BlockSchema {
        path: "prometheus.relabel/rule",
        attributes: RELABEL_RULE,
        required: &[],
        blocks: &[],
    },
    BlockSchema {
        path: "loki.source.journal",
        attributes: &[
            "format_as_json",
            "max_age",
            "path",
            "relabel_rules",
            "matches",
            "forward_to",
            "labels",
        ],
        required: &["forward_to"],
        blocks: &[],
    },
    BlockSchema {
        path: "loki.relabel",
        attributes: &["forward_to", "max_cache_size"],
        required: &["forward_to"],
        blocks: &["rule"],
    },
    BlockSchema {
        path: "loki.relabel/rule",
        attributes: RELABEL_RULE,
        required: &[],
        blocks: &[],
    },
];

/// The components the table knows (its top-level paths).
pub fn components() -> Vec<&'static str> {
    SCHEMA
        .iter()
        .map(|s| s.path)
        .filter(|p| !p.contains('/'))
        .collect()
}

fn schema(path: &str) -> Option<&'static BlockSchema> {
    SCHEMA.iter().find(|s| s.path == path)
}

/// Checks a parsed file against the table; one message per problem.
pub fn check(file: &[Stmt]) -> Vec<String> {
    let mut errors = Vec::new();
    let mut labels: Vec<(String, String)> = Vec::new();
    for stmt in file {
        match stmt {
            Stmt::Attribute { name, .. } => errors.push(format!(
                "top-level attribute {name:?}: only components belong there"
            )),
            Stmt::Block { name, label, body } => {
                let component = name.join(".");
                match label {
                    Some(label) if !label.is_empty() => {
                        if labels.iter().any(|(c, l)| *c == component && l == label) {
                            errors.push(format!("{component} \"{label}\" is defined twice"));
                        }
                        labels.push((component.clone(), label.clone()));
                    }
                    _ => errors.push(format!("{component} has no label")),
                }
                if schema(&component).is_none() {
                    errors.push(format!("unknown component {component}"));
                    continue;
                }
                check_body(&component, body, &mut errors);
            }
        }
    }
    errors
}

fn check_body(path: &str, body: &[Stmt], errors: &mut Vec<String>) {
    let Some(schema) = schema(path) else {
        errors.push(format!("{path}: block not known"));
        return;
    };
    let mut seen = Vec::new();
    for stmt in body {
        match stmt {
            Stmt::Attribute { name, .. } => {
                if !schema.attributes.contains(&name.as_str()) {
                    errors.push(format!("{path}: unknown attribute {name:?}"));
                }
                if seen.contains(name) {
                    errors.push(format!("{path}: attribute {name:?} set twice"));
                }
                seen.push(name.clone());
            }
            Stmt::Block { name, label, body } => {
                let name = name.join(".");
                if label.is_some() {
                    errors.push(format!("{path}/{name}: nested blocks take no label"));
                }
                if !schema.blocks.contains(&name.as_str()) {
                    errors.push(format!("{path}: unknown block {name:?}"));
                    continue;
                }
                check_body(&format!("{path}/{name}"), body, errors);
            }
        }
    }
    for required in schema.required {
        if !seen.iter().any(|s| s == required) {
            errors.push(format!("{path}: required attribute {required:?} missing"));
        }
    }
}

/// References `<component>.<label>.<export>` in the file that name no defined component.
pub fn unresolved_references(file: &[Stmt]) -> Vec<String> {
    let defined: Vec<(String, String)> = file
        .iter()
        .filter_map(|stmt| match stmt {
            Stmt::Block {
                name,
                label: Some(label),
                ..
            } => Some((name.join("."), label.clone())),
            _ => None,
        })
        .collect();
    let mut problems = Vec::new();
    let mut visit = |expr: &Expr| {
        let Some(path) = expr.path() else { return };
        // Only whole chains: the walk also visits each prefix of an access chain.
        for component in components() {
            let parts: Vec<&str> = component.split('.').collect();
            if path.len() == parts.len() + 2 && path.iter().zip(&parts).all(|(a, b)| a == b) {
                let label = &path[parts.len()];
                if !defined.iter().any(|(c, l)| c == component && l == label) {
                    problems.push(format!("{} refers to no defined component", path.join(".")));
                }
            }
        }
    };
    for stmt in file {
        walk_stmt(stmt, &mut visit);
    }
    problems
}

fn walk_stmt<'a>(stmt: &'a Stmt, visit: &mut dyn FnMut(&'a Expr)) {
    match stmt {
        Stmt::Attribute { value, .. } => value.walk(visit),
        Stmt::Block { body, .. } => body.iter().for_each(|s| walk_stmt(s, visit)),
    }
}
