//! `spec.grafana` and `spec.grafanaOperator`: Grafana's types and checks, one module per part
//! (exposure, OIDC, alerting). The dashboards are in [`super::dashboards`].

mod alerting;
mod exposure;
mod oidc;

#[cfg(test)]
pub(super) use alerting::check_template;
pub use alerting::*;
pub use exposure::*;
pub use oidc::*;

use super::*;
use serde_yaml_ng::Value;
use std::collections::BTreeMap;

chart_component!(
    GrafanaOperatorSpec,
    GrafanaOperatorDefaults,
    "grafana-operator"
);

#[derive(Debug, Clone, SpecDeserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct GrafanaSpec {
    pub enabled: bool,
    pub namespace: DnsLabel,
    /// Public hostname of Grafana (server root URL, TLS certificate). Required when enabled.
    pub hostname: Option<DnsSubdomain>,
    /// Grafana version (image tag, or a full image reference) the operator runs; the
    /// operator's default (pinned by the operator's chart version) when unset.
    pub version: Option<String>,
    pub resources: Resources,
    pub persistence: Persistence,
    pub exposure: ExposureSpec,
    pub tls: TlsSpec,
    pub oidc: Option<OidcSpec>,
    pub alerting: AlertingSpec,
    /// Extra grafana.ini settings (section → key → value), merged over the generated ones.
    /// Values may be YAML booleans or numbers; they are written as the strings Grafana reads.
    pub config: BTreeMap<String, BTreeMap<String, values::IniValue>>,
    /// Raw fields merged last into the `Grafana` CR's `spec` (the escape hatch).
    pub values: ExtraValues,
    /// Dashboards (`GrafanaDashboard`s, a folder per area).
    pub dashboards: dashboards::DashboardsSpec,
}

impl Default for GrafanaSpec {
    fn default() -> Self {
        GrafanaSpec {
            enabled: true,
            namespace: DnsLabel::fixed("grafana"),
            hostname: None,
            version: None,
            resources: Resources::default(),
            persistence: Persistence::default(),
            exposure: ExposureSpec::default(),
            tls: TlsSpec::default(),
            oidc: None,
            alerting: AlertingSpec::default(),
            config: BTreeMap::new(),
            values: ExtraValues::default(),
            dashboards: dashboards::DashboardsSpec::default(),
        }
    }
}

/// What validation guarantees of an enabled Grafana, in the types: the fields required when
/// Grafana is on, no longer `Option`. [`MonitoringStack::grafana`] holds it exactly when
/// Grafana is on.
#[derive(Debug, Clone)]
pub struct ValidGrafana {
    /// `spec.grafana.hostname`: the public hostname (server root URL, TLS certificate, routes).
    pub hostname: DnsSubdomain,
}

/// Grafana's cross-field rules: required-when values, settings that only fit one exposure
/// type, OIDC role mapping, grafana.ini keys, and the users' rule groups and contact points
/// (no secret literals, unique names and uids). Returns the validated required fields when
/// Grafana is on and they are present (the stack is valid only if `errors` stays empty).
pub(super) fn check_grafana(
    spec: &MonitoringStackSpec,
    errors: &mut Vec<SpecError>,
) -> Option<ValidGrafana> {
    let grafana = &spec.grafana;
    if !grafana.enabled {
        return None;
    }
    grafana.dashboards.check(errors);
    if grafana.hostname.is_none() {
        errors.push(SpecError::new(
            "spec.grafana.hostname",
            "required when Grafana is enabled: its public hostname (e.g. grafana.example.com)",
        ));
    }
    exposure::check(&grafana.exposure, errors);
    if let Some(version) = &grafana.version {
        if version.is_empty()
            || version.chars().any(|c| c.is_whitespace() || c.is_control())
            || version == "latest"
            || version.ends_with(":latest")
        {
            errors.push(SpecError::new(
                "spec.grafana.version",
                format!("{version:?} is not a pinned Grafana version (e.g. \"12.1.1\" or a full image reference with a tag)"),
            ));
        }
    }
    if let Some(oidc) = &grafana.oidc {
        oidc::check(oidc, errors);
    }
    check_config(grafana, errors);
    alerting::check(spec, errors);
    let hostname = grafana.hostname.clone()?;
    Some(ValidGrafana { hostname })
}

/// `config` and the escape hatch's `values.config`: grafana.ini section and key names, one-line
/// values, and no secret literals.
fn check_config(grafana: &GrafanaSpec, errors: &mut Vec<SpecError>) {
    let mut error = |path: String, message: String| errors.push(SpecError::new(path, message));
    for (section, settings) in &grafana.config {
        let name_ok = |name: &str| {
            !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
        };
        if !name_ok(section) {
            error(
                format!("spec.grafana.config.{section}"),
                "is not a grafana.ini section name (letters, digits, '_', '.', '-')".into(),
            );
        }
        for (key, value) in settings {
            let path = format!("spec.grafana.config.{section}.{key}");
            if !name_ok(key) {
                error(
                    path.clone(),
                    "is not a grafana.ini key (letters, digits, '_', '.', '-')".into(),
                );
            }
            let value = value.as_str();
            if let Err(message) = check_ini_text(value, true) {
                error(path.clone(), message);
            }
            let from_env_or_file = value.starts_with("$__env{") || value.starts_with("$__file{");
            let flag = matches!(value, "" | "true" | "false");
            if (is_secret_ini_key(key) && !flag && !from_env_or_file)
                || looks_like_credential(value)
            {
                error(
                    path,
                    "looks like a secret (a password, token, key, or a URL with a password): never write it literally; use \"$__env{VAR}\" with the variable set from a Secret (grafana.values.deployment), or \"$__file{/path}\"".into(),
                );
            }
        }
    }

    // The escape hatch reaches grafana.ini too: `values.config` is merged into the CR's
    // `spec.config`, so its strings follow the same rules.
    if let Some(Value::Mapping(sections)) = grafana.values.0.get("config") {
        for (section, settings) in sections {
            let (Some(section), Value::Mapping(settings)) = (section.as_str(), settings) else {
                continue;
            };
            for (key, value) in settings {
                let (Some(key), Some(value)) = (key.as_str(), value.as_str()) else {
                    continue;
                };
                let path = format!("spec.grafana.values.config.{section}.{key}");
                if let Err(message) = check_ini_text(value, true) {
                    error(path, message);
                } else if looks_like_credential(value)
                    || (is_secret_ini_key(key)
                        && !matches!(value, "" | "true" | "false")
                        && !value.starts_with("$__env{")
                        && !value.starts_with("$__file{"))
                {
                    error(
                        path,
                        "looks like a secret: never write it literally; use \"$__env{VAR}\" with the variable set from a Secret (grafana.values.deployment), or \"$__file{/path}\"".into(),
                    );
                }
            }
        }
    }
}

/// A value written as one grafana.ini `key = value` line (the operator writes them unescaped;
/// go-ini trims spaces, reads quoted values and cuts at an inline `#` or `;` comment; Grafana
/// expands `$__env{}`, `$__file{}`, `$__vault{}` and `${}`): one line without control
/// characters, edge spaces, leading quotes, `#` or `;`, and no expansion unless `expansions`
/// (grafana.config, where `$__env{VAR}` is how a secret is referenced and `"""..."""` may
/// quote a value on purpose).
pub(super) fn check_ini_text(value: &str, expansions: bool) -> Result<(), String> {
    if value.contains(['\n', '\r']) {
        return Err(format!(
            "{value:?}: a grafana.ini value is one line (a line break would start a new setting or [section])"
        ));
    }
    if value.chars().any(char::is_control) {
        return Err(format!(
            "{value:?}: control characters have no place in a grafana.ini value"
        ));
    }
    if value != value.trim() {
        return Err(format!(
            "{value:?}: grafana.ini drops leading and trailing spaces; remove them"
        ));
    }
    // go-ini reads `"""..."""` as the text between the quotes, whatever it holds: Grafana's
    // documented form for values with `#` or `;` (grafana.config only).
    let triple_quoted = value.len() >= 6
        && value.starts_with("\"\"\"")
        && value.ends_with("\"\"\"")
        && !value[3..value.len() - 3].contains("\"\"\"");
    if expansions && triple_quoted {
        return Ok(());
    }
    if value.starts_with(['"', '`', '\'']) {
        return Err(format!(
            "{value:?}: grafana.ini reads a value starting with a quote as quoted text; write it without quotes"
        ));
    }
    if value.contains(['#', ';']) {
        let hint = if expansions {
            " (or wrap the whole value in triple quotes: \"\"\"a;b\"\"\")"
        } else {
            ""
        };
        return Err(format!(
            "{value:?}: grafana.ini cuts a value at `#` or `;` (an inline comment); remove them{hint}"
        ));
    }
    if !expansions && (value.contains("$__") || value.contains("${")) {
        return Err(format!(
            "{value:?}: Grafana would expand `$__...{{}}` or `${{...}}` in it (reading an environment variable or a file); remove the `$`"
        ));
    }
    Ok(())
}

/// A value that is a credential whatever its key: an HTTP authorization value (`Bearer ...`,
/// `Basic ...`, `Token ...`), or a URL carrying a password (`postgres://user:password@host`).
pub(super) fn looks_like_credential(value: &str) -> bool {
    let lower = value.trim_start().to_ascii_lowercase();
    let scheme = ["bearer ", "basic ", "token ", "bot ", "apikey ", "digest "]
        .iter()
        .any(|prefix| lower.starts_with(prefix) && lower.len() > prefix.len());
    scheme || url_with_password(value)
}

/// `scheme://user:password@host...`: the userinfo part holds a password.
fn url_with_password(value: &str) -> bool {
    value.match_indices("://").any(|(at, _)| {
        let rest = &value[at + 3..];
        let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
        authority.rsplit_once('@').is_some_and(|(userinfo, _)| {
            userinfo
                .split_once(':')
                .is_some_and(|(_, password)| !password.is_empty())
        })
    })
}

/// grafana.ini keys whose value is a credential.
fn is_secret_ini_key(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    [
        "password",
        "secret",
        "secret_key",
        "api_key",
        "private_key",
        "_token",
    ]
    .iter()
    .any(|suffix| key.ends_with(suffix))
        || key == "token"
}
