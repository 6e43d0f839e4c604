//! Every pinned upstream version, read at compile time from `versions.yaml` (one line per pin,
//! with the `# renovate:` comments Renovate's custom manager reads: README "Versions and
//! Renovate"). Changing a pin there changes every render; the reference charts in
//! `../shared/reference/charts/` are the versions these keys were checked against.

/// The data file, embedded.
pub const VERSIONS_YAML: &str = include_str!("../versions.yaml");

/// The value of `key` in [`VERSIONS_YAML`] (the first `key: value` line, value up to a space or
/// `#`), at compile time: a missing key fails the build.
pub const fn pin(key: &str) -> &'static str {
    let text = VERSIONS_YAML.as_bytes();
    let key = key.as_bytes();
    let mut i = 0;
    while i < text.len() {
        let mut j = i;
        while j < text.len() && text[j] == b' ' {
            j += 1;
        }
        let mut k = 0;
        while k < key.len() && j + k < text.len() && text[j + k] == key[k] {
            k += 1;
        }
        if k == key.len()
            && j + k + 1 < text.len()
            && text[j + k] == b':'
            && text[j + k + 1] == b' '
        {
            let start = j + k + 2;
            let mut end = start;
            while end < text.len() && text[end] != b'\n' && text[end] != b' ' && text[end] != b'#' {
                end += 1;
            }
            let (_, tail) = text.split_at(start);
            let (value, _) = tail.split_at(end - start);
            match core::str::from_utf8(value) {
                Ok(value) if !value.is_empty() => return value,
                _ => panic!("versions.yaml: a pin is empty or not UTF-8"),
            }
        }
        while i < text.len() && text[i] != b'\n' {
            i += 1;
        }
        i += 1;
    }
    panic!("versions.yaml: a key src/versions.rs reads is missing")
}

/// A Helm chart: where it is published and the exact version a render pins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Chart {
    pub name: &'static str,
    pub version: &'static str,
    pub repository: Repository,
}

/// The chart sources the control plane declares (`HelmRepository` / `OCIRepository` objects).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Repository {
    /// `https://grafana.github.io/helm-charts`: loki, mimir-distributed, alloy-operator.
    Grafana,
    /// `https://prometheus-community.github.io/helm-charts`: the exporters and the CRD chart.
    PrometheusCommunity,
    /// grafana-operator is published only as an OCI artifact (its README documents nothing else).
    GrafanaOperatorOci,
}

impl Repository {
    /// Name of the Flux source object in the control-plane namespace.
    pub fn object_name(self) -> &'static str {
        match self {
            Repository::Grafana => "grafana",
            Repository::PrometheusCommunity => "prometheus-community",
            Repository::GrafanaOperatorOci => "grafana-operator",
        }
    }

    pub fn url(self) -> &'static str {
        match self {
            Repository::Grafana => "https://grafana.github.io/helm-charts",
            Repository::PrometheusCommunity => "https://prometheus-community.github.io/helm-charts",
            Repository::GrafanaOperatorOci => "oci://ghcr.io/grafana/helm-charts/grafana-operator",
        }
    }
}

pub const GRAFANA_OPERATOR: Chart = Chart {
    name: "grafana-operator",
    version: pin("grafana-operator"),
    repository: Repository::GrafanaOperatorOci,
};
pub const LOKI: Chart = Chart {
    name: "loki",
    version: pin("loki"),
    repository: Repository::Grafana,
};
/// 5.6.0 is the newest stable line whose values were checked here; 6.x changes the architecture
/// (Kafka ingest storage on by default), so moving to it is a deliberate change, not a bump.
pub const MIMIR: Chart = Chart {
    name: "mimir-distributed",
    version: pin("mimir-distributed"),
    repository: Repository::Grafana,
};
pub const ALLOY_OPERATOR: Chart = Chart {
    name: "alloy-operator",
    version: pin("alloy-operator"),
    repository: Repository::Grafana,
};
pub const KUBE_STATE_METRICS: Chart = Chart {
    name: "kube-state-metrics",
    version: pin("kube-state-metrics"),
    repository: Repository::PrometheusCommunity,
};
pub const NODE_EXPORTER: Chart = Chart {
    name: "prometheus-node-exporter",
    version: pin("prometheus-node-exporter"),
    repository: Repository::PrometheusCommunity,
};
pub const PROMETHEUS_CRDS: Chart = Chart {
    name: "prometheus-operator-crds",
    version: pin("prometheus-operator-crds"),
    repository: Repository::PrometheusCommunity,
};

/// Image of the COSI credential setup Job: kubectl plus jq and a POSIX shell.
pub const SETUP_JOB_IMAGE: &str = concat_image();

/// `docker.io/alpine/k8s:<setup-job-image>` (const string concatenation, no allocation).
const fn concat_image() -> &'static str {
    const REPO: &str = "docker.io/alpine/k8s:";
    const TAG: &str = pin("setup-job-image");
    const LEN: usize = REPO.len() + TAG.len();
    const BYTES: [u8; LEN] = {
        let mut out = [0u8; LEN];
        let (repo, tag) = (REPO.as_bytes(), TAG.as_bytes());
        let mut i = 0;
        while i < repo.len() {
            out[i] = repo[i];
            i += 1;
        }
        while i < LEN {
            out[i] = tag[i - repo.len()];
            i += 1;
        }
        out
    };
    match core::str::from_utf8(&BYTES) {
        Ok(text) => text,
        Err(_) => panic!("versions.yaml: setup-job-image is not UTF-8"),
    }
}
