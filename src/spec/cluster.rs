//! `spec.cluster`: facts about the cluster the stack is deployed into.

use super::*;

/// Facts about the cluster the stack is deployed into (its prerequisites).
#[derive(Debug, Clone, SpecDeserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct ClusterSpec {
    /// The `cluster` external label on every metric; defaults to the MonitoringStack's name.
    pub name: Option<DnsLabel>,
    /// Label component namespaces `istio.io/dataplane-mode: ambient`.
    pub istio_ambient: bool,
    /// StorageClass for every PersistentVolumeClaim.
    pub storage_class: DnsSubdomain,
}

impl Default for ClusterSpec {
    fn default() -> Self {
        ClusterSpec {
            name: None,
            istio_ambient: true,
            storage_class: DnsSubdomain::fixed("ssd-replicated-retain"),
        }
    }
}
