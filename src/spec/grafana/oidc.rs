//! `spec.grafana.oidc`: Keycloak login through Grafana's `auth.generic_oauth`.

use super::super::*;
use super::check_ini_text;
use serde::Deserialize;

/// Keycloak login through Grafana's `auth.generic_oauth` (the endpoint paths are Keycloak's).
#[derive(Debug, Clone, SpecDeserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OidcSpec {
    /// Issuer URL: the Keycloak realm, e.g. `https://idp.astaup.de/realms/main`.
    pub issuer_url: values::HttpsUrl,
    #[serde(default = "OidcSpec::default_client_id")]
    pub client_id: String,
    /// Secret holding the client secret; never a literal in the output.
    #[serde(default = "OidcSpec::default_client_secret")]
    pub client_secret: SecretKeyRef,
    /// Name on the login button.
    #[serde(default = "OidcSpec::default_display_name")]
    pub display_name: String,
    #[serde(default = "OidcSpec::default_scopes")]
    pub scopes: Vec<String>,
    /// Token claim (a JMESPath path such as `groups` or `realm_access.roles`) that lists the
    /// user's groups or roles.
    #[serde(default = "OidcSpec::default_groups_claim")]
    pub groups_claim: String,
    /// Members of this group become Grafana admins.
    #[serde(default = "OidcSpec::default_admin_group")]
    pub admin_group: String,
    /// Members of this group become editors.
    #[serde(default)]
    pub editor_group: Option<String>,
    /// Role of every other user.
    #[serde(default)]
    pub default_role: GrafanaRole,
}

impl OidcSpec {
    fn default_client_id() -> String {
        "grafana".into()
    }
    fn default_client_secret() -> SecretKeyRef {
        SecretKeyRef::fixed("grafana-oidc", "client-secret")
    }
    fn default_display_name() -> String {
        "Keycloak".into()
    }
    fn default_scopes() -> Vec<String> {
        ["openid", "email", "profile", "offline_access", "roles"]
            .map(String::from)
            .to_vec()
    }
    fn default_groups_claim() -> String {
        "groups".into()
    }
    fn default_admin_group() -> String {
        "grafana-admins".into()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default, schemars::JsonSchema)]
pub enum GrafanaRole {
    #[default]
    Viewer,
    Editor,
    Admin,
}

/// Client id, scopes, the groups claim and the role groups: each lands in a grafana.ini line.
pub(super) fn check(oidc: &OidcSpec, errors: &mut Vec<SpecError>) {
    let mut error = |path: String, message: String| errors.push(SpecError::new(path, message));
    if oidc.client_id.is_empty() || oidc.client_id.chars().any(char::is_whitespace) {
        error(
            "spec.grafana.oidc.clientId".into(),
            "must be a client id without spaces (e.g. \"grafana\")".into(),
        );
    }
    if oidc.display_name.trim().is_empty() {
        error(
            "spec.grafana.oidc.displayName".into(),
            "must not be empty".into(),
        );
    }
    if !oidc.scopes.iter().any(|s| s == "openid") {
        error(
            "spec.grafana.oidc.scopes".into(),
            "must include \"openid\" (e.g. [openid, email, profile, offline_access, roles])".into(),
        );
    }
    for (i, scope) in oidc.scopes.iter().enumerate() {
        if scope.is_empty() || scope.chars().any(char::is_whitespace) {
            error(
                format!("spec.grafana.oidc.scopes[{i}]"),
                format!("{scope:?} is not a scope name (one word per list item)"),
            );
        }
    }
    let identifier = |part: &str| {
        let mut chars = part.chars();
        chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
    };
    if !oidc.groups_claim.split('.').all(identifier) {
        error(
            "spec.grafana.oidc.groupsClaim".into(),
            format!(
                "{:?} is not a claim path (names of letters, digits and '_' joined by '.', e.g. \"groups\" or \"realm_access.roles\")",
                oidc.groups_claim
            ),
        );
    }
    let groups = [
        ("adminGroup", Some(&oidc.admin_group)),
        ("editorGroup", oidc.editor_group.as_ref()),
    ];
    for (field, group) in groups {
        if let Some(group) = group {
            if group.is_empty() || group.contains(['\'', '\\']) {
                error(
                    format!("spec.grafana.oidc.{field}"),
                    format!(
                        "{group:?} must be a non-empty group name without quotes or backslashes"
                    ),
                );
            }
        }
    }
    // Every OIDC string lands in a grafana.ini `key = value` line.
    let mut ini_fields: Vec<(String, &str)> = vec![
        ("displayName".into(), oidc.display_name.as_str()),
        ("clientId".into(), oidc.client_id.as_str()),
        ("groupsClaim".into(), oidc.groups_claim.as_str()),
        ("adminGroup".into(), oidc.admin_group.as_str()),
    ];
    if let Some(editors) = &oidc.editor_group {
        ini_fields.push(("editorGroup".into(), editors.as_str()));
    }
    for (i, scope) in oidc.scopes.iter().enumerate() {
        ini_fields.push((format!("scopes[{i}]"), scope.as_str()));
    }
    for (field, value) in ini_fields {
        if let Err(message) = check_ini_text(value, false) {
            error(format!("spec.grafana.oidc.{field}"), message);
        }
    }
    let issuer = oidc.issuer_url.as_str();
    if issuer.contains(['?', '#']) || issuer.chars().any(char::is_control) {
        error(
            "spec.grafana.oidc.issuerUrl".into(),
            format!("{issuer:?}: the issuer URL takes no query, fragment or control characters (Keycloak's endpoint paths are appended to it)"),
        );
    }
}
