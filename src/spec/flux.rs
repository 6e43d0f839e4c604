//! `spec.flux`: the Flux control plane and the Git source of the rendered tree.

use super::*;
use serde::Deserialize;

/// The Flux control plane: where its objects live and where the rendered tree sits in Git.
#[derive(Debug, Clone, SpecDeserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct FluxSpec {
    /// Control-plane namespace: Flux objects only, no workloads.
    pub namespace: DnsLabel,
    /// Reconcile interval of the Kustomizations, HelmReleases and sources.
    pub interval: FluxDuration,
    /// How long a Kustomization or HelmRelease may take before it is reported failed.
    pub timeout: FluxDuration,
    /// The Flux source that holds the rendered tree.
    pub source_ref: SourceRef,
    /// Repository path of the rendered tree; component folders are below it. In a package of
    /// several stacks, each flux-layout stack's tree is the package's folder named after the
    /// stack, so this must be `<package path>/<stack name>`.
    pub path: RepoPath,
}

impl Default for FluxSpec {
    fn default() -> Self {
        FluxSpec {
            namespace: DnsLabel::fixed("monitoring"),
            interval: FluxDuration::fixed("10m"),
            timeout: FluxDuration::fixed("10m"),
            source_ref: SourceRef::default(),
            path: RepoPath::fixed("./k8s/clusters/main/infrastructure/monitoring"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default, schemars::JsonSchema)]
pub enum SourceKind {
    #[default]
    GitRepository,
    OCIRepository,
    Bucket,
}

impl SourceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::GitRepository => "GitRepository",
            SourceKind::OCIRepository => "OCIRepository",
            SourceKind::Bucket => "Bucket",
        }
    }
}

#[derive(Debug, Clone, SpecDeserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct SourceRef {
    pub kind: SourceKind,
    pub name: DnsSubdomain,
    pub namespace: DnsLabel,
}

impl Default for SourceRef {
    fn default() -> Self {
        SourceRef {
            kind: SourceKind::GitRepository,
            name: DnsSubdomain::fixed("flux-system"),
            namespace: DnsLabel::fixed("flux-system"),
        }
    }
}
