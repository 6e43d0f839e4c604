//! Validated scalar types of the spec. Each one checks its text while it is deserialised, so a bad
//! value fails with the exact field path (`serde_path_to_error` records where it was).

use serde::{Deserialize, Deserializer, Serialize};
use std::fmt;

/// Declares a `String` newtype whose `Deserialize` runs `$check` and whose message names the rule.
macro_rules! validated_string {
    ($(#[$doc:meta])* $name:ident, $check:path) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Validates `text`; `Err` holds a message that says what was expected.
            pub fn parse(text: &str) -> Result<Self, String> {
                $check(text).map(|()| $name(text.to_string()))
            }
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = String::deserialize(deserializer)?;
                $name::parse(&text).map_err(serde::de::Error::custom)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

validated_string!(
    /// An RFC 1123 label: namespaces and most object names.
    DnsLabel,
    check_dns_label
);
validated_string!(
    /// An RFC 1123 subdomain: hostnames, StorageClass and BucketClass names, Secret names.
    DnsSubdomain,
    check_dns_subdomain
);
validated_string!(
    /// An absolute `http(s)://` URL with a host.
    HttpUrl,
    check_http_url
);
validated_string!(
    /// A Go duration as Flux accepts it (`10m`, `1h30m`, `30s`).
    FluxDuration,
    check_flux_duration
);
validated_string!(
    /// A Prometheus-style duration as Loki and Mimir accept it (`30d`, `744h`, `2w`).
    Retention,
    check_retention
);
validated_string!(
    /// A Kubernetes resource quantity (`500m`, `10Gi`, `1.5`).
    Quantity,
    check_quantity
);
validated_string!(
    /// An exact chart version (`7.3.0`, `5.6.0-weekly.1`): output stays reproducible.
    ChartVersion,
    check_chart_version
);
validated_string!(
    /// A container image reference with an explicit tag or digest (never `latest`).
    Image,
    check_image
);
validated_string!(
    /// A key of a Secret or ConfigMap (`[-._a-zA-Z0-9]+`).
    DataKey,
    check_data_key
);
validated_string!(
    /// A relative repository path (`./k8s/clusters/main/...`), as Flux `spec.path` takes it.
    RepoPath,
    check_repo_path
);

impl DnsLabel {
    /// For defaults known to be valid at compile time.
    pub(crate) fn fixed(text: &'static str) -> Self {
        DnsLabel(text.to_string())
    }
}
impl DnsSubdomain {
    pub(crate) fn fixed(text: &'static str) -> Self {
        DnsSubdomain(text.to_string())
    }
}
impl FluxDuration {
    pub(crate) fn fixed(text: &'static str) -> Self {
        FluxDuration(text.to_string())
    }
}
impl Retention {
    pub(crate) fn fixed(text: &'static str) -> Self {
        Retention(text.to_string())
    }
}
impl Quantity {
    pub(crate) fn fixed(text: &'static str) -> Self {
        Quantity(text.to_string())
    }
}
impl DataKey {
    pub(crate) fn fixed(text: &'static str) -> Self {
        DataKey(text.to_string())
    }
}
impl RepoPath {
    pub(crate) fn fixed(text: &'static str) -> Self {
        RepoPath(text.to_string())
    }
}

fn is_label(text: &str) -> bool {
    let bytes = text.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= 63
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
        && bytes[0] != b'-'
        && bytes[bytes.len() - 1] != b'-'
}

pub fn check_dns_label(text: &str) -> Result<(), String> {
    if is_label(text) {
        Ok(())
    } else {
        Err(format!(
            "{text:?} is not a valid DNS-1123 label (at most 63 characters: lowercase letters, digits and '-', starting and ending with a letter or digit)"
        ))
    }
}

pub fn check_dns_subdomain(text: &str) -> Result<(), String> {
    if !text.is_empty() && text.len() <= 253 && text.split('.').all(is_label) {
        Ok(())
    } else {
        Err(format!(
            "{text:?} is not a valid DNS-1123 subdomain (lowercase labels of letters, digits and '-', separated by '.', at most 253 characters)"
        ))
    }
}

fn check_http_url(text: &str) -> Result<(), String> {
    let rest = text
        .strip_prefix("https://")
        .or_else(|| text.strip_prefix("http://"));
    let bad = || {
        format!("{text:?} is not an absolute http(s) URL (e.g. \"https://idp.example.com/realms/main\")")
    };
    let rest = rest.ok_or_else(bad)?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = match authority.rsplit_once(':') {
        Some((host, port)) if !port.is_empty() => {
            port.parse::<u16>().map_err(|_| bad())?;
            host
        }
        _ => authority,
    };
    let host_ok = !host.is_empty()
        && host.split('.').all(|label| {
            !label.is_empty()
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        });
    if host_ok && !text.chars().any(char::is_whitespace) {
        Ok(())
    } else {
        Err(bad())
    }
}

/// Splits `text` into (number, unit) pairs; `None` when it does not have that shape.
fn duration_parts(text: &str) -> Option<Vec<(&str, &str)>> {
    let mut parts = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let (number, after) = rest.split_at(digits);
        let unit_len = after
            .find(|c: char| !c.is_ascii_alphabetic())
            .unwrap_or(after.len());
        let (unit, after) = after.split_at(unit_len);
        if number.is_empty() || unit.is_empty() {
            return None;
        }
        parts.push((number, unit));
        rest = after;
    }
    (!parts.is_empty()).then_some(parts)
}

fn is_decimal(number: &str) -> bool {
    match number.split_once('.') {
        None => number.bytes().all(|b| b.is_ascii_digit()),
        Some((whole, frac)) => {
            !whole.is_empty()
                && !frac.is_empty()
                && whole.bytes().all(|b| b.is_ascii_digit())
                && frac.bytes().all(|b| b.is_ascii_digit())
        }
    }
}

fn check_flux_duration(text: &str) -> Result<(), String> {
    let ok = duration_parts(text).is_some_and(|parts| {
        parts
            .iter()
            .all(|(n, u)| is_decimal(n) && matches!(*u, "ms" | "s" | "m" | "h"))
    });
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{text:?} is not a duration Flux accepts (numbers with units ms, s, m, h, e.g. \"10m\" or \"1h30m\")"
        ))
    }
}

fn check_retention(text: &str) -> Result<(), String> {
    let ok = duration_parts(text).is_some_and(|parts| {
        parts.iter().all(|(n, u)| {
            n.bytes().all(|b| b.is_ascii_digit())
                && matches!(*u, "ms" | "s" | "m" | "h" | "d" | "w" | "y")
        }) && parts.iter().any(|(n, _)| n.bytes().any(|b| b != b'0'))
    });
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{text:?} is not a retention period (whole numbers with units s, m, h, d, w, y, e.g. \"30d\" or \"744h\"; must be above zero)"
        ))
    }
}

fn check_quantity(text: &str) -> Result<(), String> {
    let bad = || {
        format!("{text:?} is not a Kubernetes quantity (e.g. \"500m\", \"2\", \"512Mi\", \"10Gi\")")
    };
    let body = text.strip_prefix(['+', '-']).unwrap_or(text);
    let number_len = body
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(body.len());
    let (number, suffix) = body.split_at(number_len);
    let number_ok = match number.split_once('.') {
        None => !number.is_empty(),
        Some((whole, frac)) => !(frac.contains('.') || whole.is_empty() && frac.is_empty()),
    };
    let suffix_ok = matches!(
        suffix,
        "" | "Ki"
            | "Mi"
            | "Gi"
            | "Ti"
            | "Pi"
            | "Ei"
            | "n"
            | "u"
            | "m"
            | "k"
            | "M"
            | "G"
            | "T"
            | "P"
            | "E"
    ) || suffix
        .strip_prefix(['e', 'E'])
        .map(|exp| exp.strip_prefix(['+', '-']).unwrap_or(exp))
        .is_some_and(|digits| !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()));
    if number_ok && suffix_ok {
        Ok(())
    } else {
        Err(bad())
    }
}

fn check_chart_version(text: &str) -> Result<(), String> {
    let (core, _build) = text.split_once('+').unwrap_or((text, ""));
    let (core, pre) = core.split_once('-').unwrap_or((core, ""));
    let numbers: Vec<&str> = core.split('.').collect();
    let core_ok = numbers.len() == 3
        && numbers
            .iter()
            .all(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
    let pre_ok = text.split_once('-').is_none()
        || (!pre.is_empty()
            && pre
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-'));
    if core_ok && pre_ok {
        Ok(())
    } else {
        Err(format!(
            "{text:?} is not an exact chart version (MAJOR.MINOR.PATCH, e.g. \"7.3.0\"; ranges are not accepted so renders stay reproducible)"
        ))
    }
}

fn check_image(text: &str) -> Result<(), String> {
    let bad = |why: &str| format!("{text:?} is not a pinned image reference: {why}");
    if text.is_empty() || text.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad("it must be non-empty with no spaces"));
    }
    if text.contains("@sha256:") {
        return Ok(());
    }
    let last = text.rsplit('/').next().unwrap_or(text);
    match last.split_once(':') {
        Some((_, "latest")) => Err(bad("the tag `latest` is not reproducible")),
        Some((name, tag)) if !name.is_empty() && !tag.is_empty() => Ok(()),
        _ => Err(bad("add a tag (name:1.2.3) or a digest (name@sha256:...)")),
    }
}

fn check_data_key(text: &str) -> Result<(), String> {
    let ok = !text.is_empty()
        && text.len() <= 253
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{text:?} is not a valid Secret key (letters, digits, '-', '.' and '_')"
        ))
    }
}

fn check_repo_path(text: &str) -> Result<(), String> {
    let ok = !text.is_empty()
        && !text.starts_with('/')
        && !text.split('/').any(|part| part == "..")
        && !text
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '\\');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{text:?} is not a relative repository path (e.g. \"./k8s/clusters/main/infrastructure/monitoring\"; no '..', no spaces)"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dns_names() {
        assert!(DnsLabel::parse("loki").is_ok());
        assert!(DnsLabel::parse("kube-state-metrics").is_ok());
        for bad in ["", "Loki", "-a", "a-", "a.b", "a_b", &"a".repeat(64)] {
            assert!(DnsLabel::parse(bad).is_err(), "{bad:?}");
        }
        assert!(DnsSubdomain::parse("grafana.example.com").is_ok());
        for bad in ["", "a..b", ".a", "A.b", "a b"] {
            assert!(DnsSubdomain::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn urls() {
        for good in [
            "https://idp.astaup.de/realms/main",
            "http://localhost:8080",
            "https://a.b/c?d",
        ] {
            assert!(HttpUrl::parse(good).is_ok(), "{good}");
        }
        for bad in [
            "idp.astaup.de",
            "ftp://x",
            "https://",
            "https://a b",
            "https://a:99999",
        ] {
            assert!(HttpUrl::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn durations() {
        for good in ["10m", "1h30m", "30s", "1.5h", "500ms"] {
            assert!(FluxDuration::parse(good).is_ok(), "{good}");
        }
        for bad in ["", "10", "10d", "m", "1h 30m", "-1m"] {
            assert!(FluxDuration::parse(bad).is_err(), "{bad}");
        }
        for good in ["30d", "744h", "2w", "1y", "1d12h"] {
            assert!(Retention::parse(good).is_ok(), "{good}");
        }
        for bad in ["", "30", "0d", "1.5d", "30days", "thirty"] {
            assert!(Retention::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn quantities() {
        for good in ["500m", "2", "512Mi", "10Gi", "1.5", ".5", "1e3", "100k"] {
            assert!(Quantity::parse(good).is_ok(), "{good}");
        }
        for bad in ["", "10GB", "Gi", "1.2.3", "ten", "10 Gi"] {
            assert!(Quantity::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn versions_images_paths() {
        assert!(ChartVersion::parse("7.3.0").is_ok());
        assert!(ChartVersion::parse("5.6.0-weekly.1").is_ok());
        for bad in ["7.3", "v7.3.0", ">=7.0.0", "*", "7.3.0-"] {
            assert!(ChartVersion::parse(bad).is_err(), "{bad}");
        }
        assert!(Image::parse("docker.io/alpine/k8s:1.32.4").is_ok());
        assert!(Image::parse("localhost:5000/k8s@sha256:abc").is_ok());
        for bad in ["alpine/k8s", "alpine/k8s:latest", "localhost:5000/k8s", ""] {
            assert!(Image::parse(bad).is_err(), "{bad}");
        }
        assert!(RepoPath::parse("./k8s/clusters/main").is_ok());
        for bad in ["/abs", "../up", "a/../b", "a b", ""] {
            assert!(RepoPath::parse(bad).is_err(), "{bad}");
        }
    }
}
