//! Validated scalar types of the spec. Each one checks its text while it is deserialised, so a bad
//! value fails with the exact field path (`path_de` records where it was).

use serde::{Deserialize, Deserializer, Serialize};
use std::fmt;

/// Declares a `String` newtype whose `Deserialize` runs `$check` and whose message names the rule.
macro_rules! validated_string {
    ($(#[doc = $doc:expr])* $name:ident, $check:path) => {
        $(#[doc = $doc])*
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

        impl schemars::JsonSchema for $name {
            fn schema_name() -> std::borrow::Cow<'static, str> {
                stringify!($name).into()
            }

            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                string_schema(concat!($($doc),*).trim(), pattern_of(stringify!($name)))
            }
        }
    };
}

/// A string schema with the type's doc comment as description and, where one regular
/// expression says it, the pattern editors can check while typing.
fn string_schema(description: &str, pattern: Option<&str>) -> schemars::Schema {
    let mut schema = schemars::json_schema!({ "type": "string", "description": description });
    if let Some(pattern) = pattern {
        schema.insert("pattern".into(), pattern.into());
    }
    schema
}

/// Patterns for the types a regular expression describes exactly (the Rust check stays the
/// authority; it also gives the error message).
fn pattern_of(type_name: &str) -> Option<&'static str> {
    Some(match type_name {
        "DnsLabel" => "^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$",
        "DnsSubdomain" => "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$",
        "FluxDuration" => "^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$",
        "Retention" => "^([0-9]+(ms|s|m|h|d|w|y))+$",
        "Quantity" => {
            "^[+]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)([KMGTPE]i|[numkMGTPE]|[eE][+-]?[0-9]+)?$"
        }
        "ChartVersion" => "^[0-9]+\\.[0-9]+\\.[0-9]+(-[0-9A-Za-z.-]+)?(\\+[0-9A-Za-z.-]+)?$",
        "HttpUrl" => "^https?://",
        "DataKey" => "^[-._a-zA-Z0-9]+$",
        "MetricName" => "^[a-zA-Z_:][a-zA-Z0-9_:]*$",
        _ => return None,
    })
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
    /// A Go duration as Flux accepts it (`10m`, `1h30m`, `30s`): above zero, at most 2562047h.
    FluxDuration,
    check_flux_duration
);
validated_string!(
    /// A Prometheus-style duration as Loki and Mimir accept it (`30d`, `744h`, `2w`), at most
    /// Go's bound (about 292 years).
    Retention,
    check_retention
);
validated_string!(
    /// A Kubernetes resource quantity, not negative (`500m`, `10Gi`, `1.5`).
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

/// A free-form mapping the function hands on (Helm values, a CR's spec, Grafana settings).
/// What reads it in the end is JSON — Helm values, Kubernetes objects, Grafana's settings — so
/// YAML that JSON cannot say is refused here, with its place: keys that are not strings, tags,
/// and infinite or NaN numbers. `null` is an empty mapping.
pub fn json_mapping<'de, D: Deserializer<'de>>(
    deserializer: D,
    what: &str,
    example: &str,
) -> Result<serde_yaml_ng::Mapping, D::Error> {
    let mapping = match serde_yaml_ng::Value::deserialize(deserializer)? {
        serde_yaml_ng::Value::Mapping(mapping) => mapping,
        serde_yaml_ng::Value::Null => serde_yaml_ng::Mapping::new(),
        _ => {
            return Err(serde::de::Error::custom(format!(
                "{what} must be a mapping of {example}"
            )))
        }
    };
    check_json_mapping(&mapping, "").map_err(serde::de::Error::custom)?;
    Ok(mapping)
}

fn check_json_mapping(mapping: &serde_yaml_ng::Mapping, path: &str) -> Result<(), String> {
    for (key, value) in mapping {
        let serde_yaml_ng::Value::String(key) = key else {
            // Named by kind, not `{:?}`: Value's Debug costs the WebAssembly module 2 KB.
            let kind = match key {
                serde_yaml_ng::Value::Null => "null".to_string(),
                serde_yaml_ng::Value::Bool(b) => format!("the boolean {b}"),
                serde_yaml_ng::Value::Number(n) => format!("the number {n}"),
                serde_yaml_ng::Value::Sequence(_) => "a sequence".to_string(),
                serde_yaml_ng::Value::Mapping(_) => "a mapping".to_string(),
                _ => "a tagged value".to_string(),
            };
            return Err(format!(
                "{}: keys must be strings (the values end up as JSON), not {kind}",
                if path.is_empty() { "<top level>" } else { path }
            ));
        };
        let here = if path.is_empty() {
            key.clone()
        } else {
            format!("{path}.{key}")
        };
        check_json_value(value, &here)?;
    }
    Ok(())
}

fn check_json_value(value: &serde_yaml_ng::Value, path: &str) -> Result<(), String> {
    use serde_yaml_ng::Value;
    match value {
        Value::Mapping(mapping) => check_json_mapping(mapping, path),
        Value::Sequence(items) => items
            .iter()
            .enumerate()
            .try_for_each(|(i, item)| check_json_value(item, &format!("{path}[{i}]"))),
        Value::Number(n) if n.as_f64().is_some_and(|f| !f.is_finite()) => Err(format!(
            "{path}: {n} is not a finite number (the values end up as JSON)"
        )),
        Value::Tagged(tagged) => Err(format!(
            "{path}: YAML tags such as {} have no JSON form; write the plain value",
            tagged.tag
        )),
        _ => Ok(()),
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

/// The longest Go `time.Duration`, in nanoseconds (about 2562047h47m): what Flux, Alloy, Loki
/// and Mimir read durations into.
pub const MAX_GO_DURATION_NANOS: u128 = i64::MAX as u128;

/// The nanoseconds `number` (a decimal) times `unit_nanos` make, or `None` past the Go bound.
fn decimal_nanos(number: &str, unit_nanos: u128) -> Option<u128> {
    let (whole, frac) = number.split_once('.').unwrap_or((number, ""));
    let whole: u128 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let mut total = whole.checked_mul(unit_nanos)?;
    // Go keeps the fraction's first digits, as many as matter at nanosecond precision.
    let mut scale = unit_nanos;
    for digit in frac.bytes().take(30) {
        scale /= 10;
        let digit = char::from(digit).to_digit(10)?;
        total = total.checked_add(u128::from(digit) * scale)?;
    }
    (total <= MAX_GO_DURATION_NANOS).then_some(total)
}

/// The length of a duration made of `parts` in nanoseconds, or `None` past the Go bound.
fn duration_nanos(parts: &[(&str, &str)]) -> Option<u128> {
    parts.iter().try_fold(0u128, |total, (number, unit)| {
        let unit: u128 = match *unit {
            "ns" => 1,
            "us" | "µs" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            "d" => 86_400_000_000_000,
            "w" => 7 * 86_400_000_000_000,
            "y" => 365 * 86_400_000_000_000,
            _ => return None,
        };
        total
            .checked_add(decimal_nanos(number, unit)?)
            .filter(|t| *t <= MAX_GO_DURATION_NANOS)
    })
}

fn check_flux_duration(text: &str) -> Result<(), String> {
    let parts = duration_parts(text).filter(|parts| {
        parts
            .iter()
            .all(|(n, u)| is_decimal(n) && matches!(*u, "ms" | "s" | "m" | "h"))
    });
    let Some(parts) = parts else {
        return Err(format!(
            "{text:?} is not a duration Flux accepts (numbers with units ms, s, m, h, e.g. \"10m\" or \"1h30m\")"
        ));
    };
    match duration_nanos(&parts) {
        None => Err(format!(
            "{text:?} is longer than the longest duration Go reads (2562047h, about 292 years)"
        )),
        Some(0) => Err(format!("{text:?} must be above zero (e.g. \"10m\")")),
        Some(_) => Ok(()),
    }
}

impl FluxDuration {
    /// The length in seconds (rounded down; validation keeps it within Go's bound).
    pub fn seconds(&self) -> u64 {
        duration_parts(&self.0)
            .and_then(|parts| duration_nanos(&parts))
            .map_or(u64::MAX, |nanos| (nanos / 1_000_000_000) as u64)
    }
}

impl Retention {
    /// The length in seconds (validation keeps it within Go's bound).
    pub fn seconds(&self) -> u64 {
        duration_parts(&self.0)
            .and_then(|parts| duration_nanos(&parts))
            .map_or(u64::MAX, |nanos| (nanos / 1_000_000_000) as u64)
    }
}

fn check_retention(text: &str) -> Result<(), String> {
    let ok = duration_parts(text).is_some_and(|parts| {
        parts.iter().all(|(n, u)| {
            n.bytes().all(|b| b.is_ascii_digit())
                && matches!(*u, "ms" | "s" | "m" | "h" | "d" | "w" | "y")
        }) && parts.iter().any(|(n, _)| n.bytes().any(|b| b != b'0'))
    });
    if !ok {
        return Err(format!(
            "{text:?} is not a retention period (whole numbers with units s, m, h, d, w, y, e.g. \"30d\" or \"744h\"; must be above zero)"
        ));
    }
    if duration_parts(text)
        .and_then(|parts| duration_nanos(&parts))
        .is_none()
    {
        return Err(format!(
            "{text:?} is longer than the longest duration Loki and Mimir read (Go's, about 292 years)"
        ));
    }
    Ok(())
}

fn check_quantity(text: &str) -> Result<(), String> {
    let bad = || {
        format!("{text:?} is not a Kubernetes quantity (e.g. \"500m\", \"2\", \"512Mi\", \"10Gi\")")
    };
    if text.starts_with('-') {
        return Err(format!(
            "{text:?} is negative: sizes, requests and limits must be zero or more (e.g. \"500m\", \"10Gi\")"
        ));
    }
    let body = text.strip_prefix('+').unwrap_or(text);
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
        .is_some_and(|digits| {
            // Kubernetes reads the exponent as a 32-bit integer.
            !digits.is_empty()
                && digits.bytes().all(|b| b.is_ascii_digit())
                && digits.parse::<i32>().is_ok()
        });
    if number_ok && suffix_ok {
        Ok(())
    } else {
        Err(bad())
    }
}

impl Quantity {
    /// The amount as a float (close enough to compare a request with a limit, or to tell zero).
    pub fn approx(&self) -> f64 {
        let body = self.0.strip_prefix('+').unwrap_or(&self.0);
        let split = body
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(body.len());
        let (number, suffix) = body.split_at(split);
        let number: f64 = if number == "." || number.is_empty() {
            0.0
        } else {
            number.parse().unwrap_or(0.0)
        };
        let factor = match suffix {
            "" => 1.0,
            "n" => 1e-9,
            "u" => 1e-6,
            "m" => 1e-3,
            "k" => 1e3,
            "M" => 1e6,
            "G" => 1e9,
            "T" => 1e12,
            "P" => 1e15,
            "E" => 1e18,
            "Ki" => 1024.0,
            "Mi" => 1024f64.powi(2),
            "Gi" => 1024f64.powi(3),
            "Ti" => 1024f64.powi(4),
            "Pi" => 1024f64.powi(5),
            "Ei" => 1024f64.powi(6),
            exponent => exponent
                .get(1..)
                .and_then(|e| e.parse::<i32>().ok())
                .map_or(1.0, |e| 10f64.powi(e)),
        };
        number * factor
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

validated_string!(
    /// A Prometheus label name (`[a-zA-Z_][a-zA-Z0-9_]*`).
    LabelName,
    check_label_name
);
validated_string!(
    /// The `target_label` of a relabel rule: a label name that may contain `$1` / `${name}`
    /// references to the regex's groups (as Alloy accepts it).
    TargetLabel,
    check_target_label
);
validated_string!(
    /// A relabel regex in RE2 syntax (Alloy anchors it at both ends).
    RelabelRegex,
    check_relabel_regex
);
validated_string!(
    /// A scrape target `host:port` (DNS name, IPv4 address or `[IPv6]`, and a port).
    ScrapeTarget,
    check_scrape_target
);
validated_string!(
    /// An absolute URL path (`/metrics`): no query, fragment or spaces.
    UrlPath,
    check_url_path
);

validated_string!(
    /// A Prometheus metric name (`[a-zA-Z_:][a-zA-Z0-9_:]*`).
    MetricName,
    check_metric_name
);
validated_string!(
    /// A systemd unit name (`kubelet.service`): letters, digits and `:_.@-`, with a suffix.
    SystemdUnit,
    check_systemd_unit
);

impl SystemdUnit {
    pub(crate) fn fixed(text: &'static str) -> Self {
        SystemdUnit(text.to_string())
    }
}

fn check_metric_name(text: &str) -> Result<(), String> {
    let mut chars = text.chars();
    let ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| is_word(c) || c == ':');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{text:?} is not a valid metric name (letters, digits, '_' and ':', not starting with a digit)"
        ))
    }
}

fn check_systemd_unit(text: &str) -> Result<(), String> {
    let ok = !text.is_empty()
        && text.len() <= 256
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, ':' | '_' | '.' | '@' | '-'))
        && text.rsplit_once('.').is_some_and(|(name, suffix)| {
            !name.is_empty() && !suffix.is_empty() && suffix.chars().all(|c| c.is_ascii_lowercase())
        });
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{text:?} is not a systemd unit name (e.g. \"kubelet.service\")"
        ))
    }
}

impl UrlPath {
    pub(crate) fn fixed(text: &'static str) -> Self {
        UrlPath(text.to_string())
    }
}

fn is_word(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

fn check_label_name(text: &str) -> Result<(), String> {
    let mut chars = text.chars();
    let ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(is_word);
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{text:?} is not a valid label name (letters, digits and '_', not starting with a digit)"
        ))
    }
}

fn check_target_label(text: &str) -> Result<(), String> {
    let bad = || {
        format!(
            "{text:?} is not a valid target label (a label name, optionally with $1 or ${{name}} references to regex groups)"
        )
    };
    let chars: Vec<char> = text.chars().collect();
    match chars.first() {
        Some(c) if c.is_ascii_alphabetic() || *c == '_' || *c == '$' => {}
        _ => return Err(bad()),
    }
    let mut i = 0;
    while i < chars.len() {
        if chars[i] == '$' {
            i += 1;
            if chars.get(i) == Some(&'{') {
                let start = i + 1;
                i = start;
                while i < chars.len() && is_word(chars[i]) {
                    i += 1;
                }
                if i == start || chars.get(i) != Some(&'}') {
                    return Err(bad());
                }
                i += 1;
            } else {
                let start = i;
                while i < chars.len() && is_word(chars[i]) {
                    i += 1;
                }
                if i == start {
                    return Err(bad());
                }
            }
        } else if is_word(chars[i]) {
            i += 1;
        } else {
            return Err(bad());
        }
    }
    Ok(())
}

/// Catches the mistakes RE2 rejects at Alloy's start-up: lookaround, backreferences, atomic
/// groups, unbalanced parentheses and brackets. (The full syntax is Alloy's to check.)
fn check_relabel_regex(text: &str) -> Result<(), String> {
    let bad = |why: &str| format!("{text:?} is not an RE2 regular expression: {why}");
    let chars: Vec<char> = text.chars().collect();
    let mut depth = 0usize;
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '\\' => {
                match chars.get(i + 1) {
                    None => return Err(bad("it ends with a lone backslash")),
                    Some(c) if ('1'..='9').contains(c) => {
                        return Err(bad("backreferences (\\1) are not supported"))
                    }
                    Some(_) => {}
                }
                i += 2;
            }
            '[' => {
                // A character class: a leading `^` and a leading `]` are literal.
                i += 1;
                if chars.get(i) == Some(&'^') {
                    i += 1;
                }
                if chars.get(i) == Some(&']') {
                    i += 1;
                }
                loop {
                    match chars.get(i) {
                        None => return Err(bad("a character class `[` is not closed")),
                        Some('\\') => i += 2,
                        Some('[') if chars.get(i + 1) == Some(&':') => {
                            // [:alpha:]
                            let close = (i + 2..chars.len().saturating_sub(1))
                                .find(|&j| chars[j] == ':' && chars[j + 1] == ']');
                            match close {
                                Some(j) => i = j + 2,
                                None => i += 1,
                            }
                        }
                        Some(']') => break,
                        Some(_) => i += 1,
                    }
                }
                i += 1;
            }
            '(' => {
                let rest: String = chars[i + 1..].iter().take(3).collect();
                if ["?=", "?!", "?<=", "?<!", "?>"]
                    .iter()
                    .any(|p| rest.starts_with(p))
                {
                    return Err(bad(
                        "lookahead, lookbehind and atomic groups are not supported",
                    ));
                }
                depth += 1;
                i += 1;
            }
            ')' => {
                if depth == 0 {
                    return Err(bad("a `)` has no matching `(`"));
                }
                depth -= 1;
                i += 1;
            }
            '*' | '+' | '?' if matches!(chars.get(i + 1), Some('+')) => {
                return Err(bad("possessive quantifiers (*+, ++, ?+) are not supported"));
            }
            _ => i += 1,
        }
    }
    if depth > 0 {
        return Err(bad("a `(` is not closed"));
    }
    Ok(())
}

fn check_scrape_target(text: &str) -> Result<(), String> {
    let bad = || {
        format!("{text:?} is not a scrape target host:port (e.g. \"router.lan:9100\" or \"10.0.0.1:9100\")")
    };
    let (host, port) = text.rsplit_once(':').ok_or_else(bad)?;
    let port_ok = !port.is_empty()
        && port.bytes().all(|b| b.is_ascii_digit())
        && port.parse::<u16>().is_ok_and(|p| p > 0);
    let host_ok = if let Some(inner) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        !inner.is_empty()
            && inner.contains(':')
            && inner
                .chars()
                .all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.')
    } else {
        !host.is_empty()
            && host.len() <= 253
            && host.split('.').all(|label| {
                !label.is_empty()
                    && label.len() <= 63
                    && label
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-')
                    && !label.starts_with('-')
                    && !label.ends_with('-')
            })
    };
    if host_ok && port_ok {
        Ok(())
    } else {
        Err(bad())
    }
}

fn check_url_path(text: &str) -> Result<(), String> {
    let ok = text.starts_with('/')
        && !text
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '?' || c == '#');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{text:?} is not an absolute URL path (e.g. \"/metrics\"; no spaces, query or fragment)"
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
        // Issue 16: Go's time.Duration bound (2562047h47m16.854775807s).
        for bad in ["99999999999999999999d", "106752d", "293y", "9223372037s"] {
            assert!(
                Retention::parse(bad).is_err_and(|e| e.contains("longest")),
                "{bad}"
            );
        }
        assert!(Retention::parse("106751d").is_ok());
        for bad in [
            "9999999999h",
            "2562048h",
            "0s",
            "0m0s",
            "99999999999999999999999999999999999999999h",
        ] {
            assert!(FluxDuration::parse(bad).is_err(), "{bad}");
        }
        assert!(FluxDuration::parse("2562047h").is_ok());
        assert!(FluxDuration::parse("2562047.78h").is_ok());
        assert!(FluxDuration::parse("2562047.79h").is_err());
        assert_eq!(FluxDuration::fixed("1m30s").seconds(), 90);
        assert_eq!(FluxDuration::fixed("1.5h").seconds(), 5400);
        assert_eq!(Retention::fixed("2w").seconds(), 14 * 86_400);
    }

    #[test]
    fn quantities() {
        for good in ["500m", "2", "512Mi", "10Gi", "1.5", ".5", "1e3", "100k"] {
            assert!(Quantity::parse(good).is_ok(), "{good}");
        }
        for bad in ["", "10GB", "Gi", "1.2.3", "ten", "10 Gi"] {
            assert!(Quantity::parse(bad).is_err(), "{bad}");
        }
        // Issue 16: what Kubernetes refuses for sizes, requests and limits.
        for bad in ["-5Gi", "-1", "-0.5", "1e99999999999"] {
            assert!(Quantity::parse(bad).is_err(), "{bad}");
        }
        assert!(Quantity::parse("-1").is_err_and(|e| e.contains("negative")));
        assert_eq!(Quantity::fixed("500m").approx(), 0.5);
        assert_eq!(Quantity::fixed("1Gi").approx(), 1073741824.0);
        assert_eq!(Quantity::fixed("1e3").approx(), 1000.0);
        assert_eq!(Quantity::fixed("0Gi").approx(), 0.0);
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

// ---------------------------------------------------------------------------------------------
// Grafana: URLs, Slack, alerting durations, rule ids and queries, Kubernetes qualified names,
// grafana.ini values.

validated_string!(
    /// A basic-auth user name: 1-256 printable ASCII characters, no ':' or spaces.
    BasicAuthUser,
    check_basic_auth_user
);

fn check_basic_auth_user(text: &str) -> Result<(), String> {
    let ok = !text.is_empty()
        && text.len() <= 256
        && text.bytes().all(|b| b.is_ascii_graphic() && b != b':');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{text:?} is not a basic-auth user name: 1-256 printable ASCII characters without ':' or spaces"
        ))
    }
}

validated_string!(
    /// An absolute `https://` URL with a host (OIDC issuers: tokens never travel in clear text).
    HttpsUrl,
    check_https_url
);
validated_string!(
    /// A Slack channel: `#` and 1-80 lowercase letters, digits, `-` or `_` (`#it-alerts`).
    SlackChannel,
    check_slack_channel
);
validated_string!(
    /// A duration as Grafana's alert rules (`for`) and notification policies take it: whole
    /// numbers with units s, m, h, d, w (`5m`, `4h`, `1d`); `0s` is allowed.
    AlertDuration,
    check_alert_duration
);
validated_string!(
    /// A Kubernetes qualified name (`[prefix/]name`): annotation keys, `loadBalancerClass`.
    QualifiedName,
    check_qualified_name
);
validated_string!(
    /// A Grafana object uid (alert rules): letters, digits, `-` and `_`, at most 40 characters.
    GrafanaUid,
    check_grafana_uid
);
validated_string!(
    /// A PromQL or LogQL expression, checked for balanced brackets and closed quotes (the query
    /// language itself is checked by Grafana's datasource, not here).
    QueryExpr,
    check_query_expr
);

impl SlackChannel {
    pub(crate) fn fixed(text: &'static str) -> Self {
        SlackChannel(text.to_string())
    }
}
impl AlertDuration {
    pub(crate) fn fixed(text: &'static str) -> Self {
        AlertDuration(text.to_string())
    }

    /// The length in seconds (validation keeps it within [`MAX_ALERT_SECONDS`]).
    pub fn seconds(&self) -> u64 {
        alert_seconds(&self.0).unwrap_or(MAX_ALERT_SECONDS)
    }

    /// The same length as a Go duration (`1d` → `24h`): for fields that take no days or weeks.
    pub fn to_go_duration(&self) -> String {
        let total = self.seconds();
        let (h, m, s) = (total / 3_600, total % 3_600 / 60, total % 60);
        let mut text = String::new();
        if h > 0 {
            text.push_str(&format!("{h}h"));
        }
        if m > 0 {
            text.push_str(&format!("{m}m"));
        }
        if s > 0 || text.is_empty() {
            text.push_str(&format!("{s}s"));
        }
        text
    }
}
impl QualifiedName {
    pub(crate) fn fixed(text: &'static str) -> Self {
        QualifiedName(text.to_string())
    }
}

fn check_https_url(text: &str) -> Result<(), String> {
    check_http_url(text)?;
    if text.starts_with("https://") {
        Ok(())
    } else {
        Err(format!(
            "{text:?} is not an https:// URL (e.g. \"https://idp.example.com/realms/main\"): the login flow must not run over plain HTTP"
        ))
    }
}

fn check_slack_channel(text: &str) -> Result<(), String> {
    let name = text.strip_prefix('#').unwrap_or_default();
    let ok = !name.is_empty()
        && name.len() <= 80
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{text:?} is not a Slack channel: write '#' and the channel name (lowercase letters, digits, '-' and '_', e.g. \"#it-alerts\"; quote it in YAML)"
        ))
    }
}

/// The longest alerting duration: what Go's `time.Duration` holds (about 292 years), since
/// Grafana and the operator read these as Go durations.
pub const MAX_ALERT_SECONDS: u64 = i64::MAX as u64 / 1_000_000_000;

/// The seconds of an alerting duration, or `None` past [`MAX_ALERT_SECONDS`] (checked
/// arithmetic: a fuzzer's `0016004989434594561588m` once overflowed the multiplication).
fn alert_seconds(text: &str) -> Option<u64> {
    duration_parts(text)?
        .iter()
        .try_fold(0u64, |total, (number, unit)| {
            let n: u64 = number.parse().ok()?;
            let unit: u64 = match *unit {
                "w" => 7 * 86_400,
                "d" => 86_400,
                "h" => 3_600,
                "m" => 60,
                _ => 1,
            };
            total.checked_add(n.checked_mul(unit)?)
        })
        .filter(|total| *total <= MAX_ALERT_SECONDS)
}

fn check_alert_duration(text: &str) -> Result<(), String> {
    let ok = duration_parts(text).is_some_and(|parts| {
        parts.iter().all(|(n, u)| {
            n.bytes().all(|b| b.is_ascii_digit()) && matches!(*u, "s" | "m" | "h" | "d" | "w")
        })
    });
    if !ok {
        return Err(format!(
            "{text:?} is not an alerting duration (whole numbers with units s, m, h, d, w, e.g. \"5m\" or \"4h\")"
        ));
    }
    if alert_seconds(text).is_none() {
        return Err(format!(
            "{text:?} is longer than the longest duration Grafana reads (Go's, about 292 years)"
        ));
    }
    Ok(())
}

fn check_qualified_name(text: &str) -> Result<(), String> {
    let (prefix, name) = match text.split_once('/') {
        Some((prefix, name)) => (Some(prefix), name),
        None => (None, text),
    };
    let bytes = name.as_bytes();
    let name_ok = !bytes.is_empty()
        && bytes.len() <= 63
        && bytes[0].is_ascii_alphanumeric()
        && bytes[bytes.len() - 1].is_ascii_alphanumeric()
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    let prefix_ok = prefix.is_none_or(|p| check_dns_subdomain(p).is_ok());
    if name_ok && prefix_ok {
        Ok(())
    } else {
        Err(format!(
            "{text:?} is not a Kubernetes qualified name (an optional DNS-subdomain prefix and '/', then at most 63 letters, digits, '-', '_' or '.', e.g. \"example.com/my-key\")"
        ))
    }
}

fn check_grafana_uid(text: &str) -> Result<(), String> {
    let ok = !text.is_empty()
        && text.len() <= 40
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{text:?} is not a Grafana uid (at most 40 letters, digits, '-' and '_')"
        ))
    }
}

/// Balanced `()`, `[]`, `{}` outside string literals, and every `"`, `'` and `` ` `` closed.
fn check_query_expr(text: &str) -> Result<(), String> {
    if text.trim().is_empty() {
        return Err("the query must not be empty".to_string());
    }
    let mut open: Vec<char> = Vec::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' | '\'' | '`' => {
                let quote = c;
                let mut closed = false;
                while let Some(d) = chars.next() {
                    if d == '\\' && quote != '`' {
                        chars.next();
                    } else if d == quote {
                        closed = true;
                        break;
                    }
                }
                if !closed {
                    return Err(format!(
                        "{text:?}: the string opened with {quote} is not closed"
                    ));
                }
            }
            '(' | '[' | '{' => open.push(c),
            ')' | ']' | '}' => {
                let expected = match c {
                    ')' => '(',
                    ']' => '[',
                    _ => '{',
                };
                if open.pop() != Some(expected) {
                    return Err(format!(
                        "{text:?}: {c:?} does not close an open {expected:?}"
                    ));
                }
            }
            _ => {}
        }
    }
    match open.last() {
        Some(c) => Err(format!("{text:?}: {c:?} is never closed")),
        None => Ok(()),
    }
}

/// A grafana.ini value. Grafana reads every value as text and the operator's CRD takes only
/// strings, so YAML booleans and numbers are accepted and written as strings (`true` → `"true"`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct IniValue(String);

impl IniValue {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl schemars::JsonSchema for IniValue {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "IniValue".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": ["string", "number", "boolean"],
            "description": "A grafana.ini value (written as a string).",
        })
    }
}

impl<'de> Deserialize<'de> for IniValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match serde_yaml_ng::Value::deserialize(deserializer)? {
            serde_yaml_ng::Value::String(text) => Ok(IniValue(text)),
            serde_yaml_ng::Value::Bool(b) => Ok(IniValue(b.to_string())),
            serde_yaml_ng::Value::Number(n) => Ok(IniValue(n.to_string())),
            _ => Err(serde::de::Error::custom(
                "a grafana.ini value must be a string, number or boolean",
            )),
        }
    }
}

#[cfg(test)]
mod grafana_value_tests {
    use super::*;

    #[test]
    fn https_urls() {
        assert!(HttpsUrl::parse("https://idp.astaup.de/realms/main").is_ok());
        for bad in [
            "http://idp.astaup.de/realms/main",
            "idp.astaup.de",
            "https://",
        ] {
            assert!(HttpsUrl::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn slack_channels() {
        for good in ["#it-alerts", "#ops_2"] {
            assert!(SlackChannel::parse(good).is_ok(), "{good}");
        }
        for bad in ["it-alerts", "#", "#IT-Alerts", "#it alerts", "@user"] {
            assert!(SlackChannel::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn alert_durations() {
        for good in ["5m", "4h", "1d", "0s", "1h30m", "2w"] {
            assert!(AlertDuration::parse(good).is_ok(), "{good}");
        }
        for bad in ["", "5", "1.5h", "1y", "500ms", "5 m"] {
            assert!(AlertDuration::parse(bad).is_err(), "{bad}");
        }
        // A fuzz finding: this overflowed the multiplication into seconds.
        assert!(AlertDuration::parse("0016004989434594561588m")
            .is_err_and(|e| e.contains("longest duration")));
        assert!(AlertDuration::parse("292y").is_err());
        assert!(AlertDuration::parse("15250w").is_ok());
        assert!(AlertDuration::parse("15251w").is_err());
        let day = AlertDuration::parse("1d").expect("valid");
        assert_eq!(day.seconds(), 86_400);
        assert_eq!(day.to_go_duration(), "24h");
        assert_eq!(AlertDuration::fixed("90s").to_go_duration(), "1m30s");
        assert_eq!(AlertDuration::fixed("0s").to_go_duration(), "0s");
    }

    #[test]
    fn qualified_names_and_uids() {
        for good in [
            "mikrolb",
            "example.com/lb",
            "metallb.universe.tf/address-pool",
        ] {
            assert!(QualifiedName::parse(good).is_ok(), "{good}");
        }
        for bad in ["", "/x", "Example.com/x", "a/b/c", "-x", "x y"] {
            assert!(QualifiedName::parse(bad).is_err(), "{bad}");
        }
        assert!(GrafanaUid::parse("ms-target-down").is_ok());
        assert!(GrafanaUid::parse(&"a".repeat(41)).is_err());
        assert!(GrafanaUid::parse("a.b").is_err());
    }

    #[test]
    fn query_expressions() {
        for good in [
            "up",
            "sum by (job) (rate(x{a=\"(\"}[5m]))",
            "sum(count_over_time({namespace=~\".+\"} |= `)` [5m]))",
        ] {
            assert!(QueryExpr::parse(good).is_ok(), "{good}");
        }
        for bad in ["", "sum(rate(x[5m])", "x{a=\"b}", "rate(x[5m)]", "x)"] {
            assert!(QueryExpr::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn ini_values_become_strings() {
        let value: IniValue = serde_yaml_ng::from_str("true").expect("bool");
        assert_eq!(value.as_str(), "true");
        let value: IniValue = serde_yaml_ng::from_str("30").expect("number");
        assert_eq!(value.as_str(), "30");
        assert!(serde_yaml_ng::from_str::<IniValue>("[1]").is_err());
    }
}
