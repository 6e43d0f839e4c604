//! Every pinned upstream version, in one place. Changing a pin here changes every render; the
//! reference charts in `../shared/reference/charts/` are the versions these keys were checked against.

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
    version: "5.24.0",
    repository: Repository::GrafanaOperatorOci,
};
pub const LOKI: Chart = Chart {
    name: "loki",
    version: "7.3.0",
    repository: Repository::Grafana,
};
/// 5.6.0 is the newest stable line whose values were checked here; 6.x changes the architecture
/// (Kafka ingest storage on by default), so moving to it is a deliberate change, not a bump.
pub const MIMIR: Chart = Chart {
    name: "mimir-distributed",
    version: "5.6.0",
    repository: Repository::Grafana,
};
pub const ALLOY_OPERATOR: Chart = Chart {
    name: "alloy-operator",
    version: "0.6.2",
    repository: Repository::Grafana,
};
pub const KUBE_STATE_METRICS: Chart = Chart {
    name: "kube-state-metrics",
    version: "8.4.0",
    repository: Repository::PrometheusCommunity,
};
pub const NODE_EXPORTER: Chart = Chart {
    name: "prometheus-node-exporter",
    version: "4.56.1",
    repository: Repository::PrometheusCommunity,
};
pub const PROMETHEUS_CRDS: Chart = Chart {
    name: "prometheus-operator-crds",
    version: "31.0.1",
    repository: Repository::PrometheusCommunity,
};

/// Image of the COSI credential setup Job: kubectl plus jq and a POSIX shell.
pub const SETUP_JOB_IMAGE: &str = "docker.io/alpine/k8s:1.32.4";
