//! `spec.loki.storage` and `spec.mimir.storage`: object storage through COSI.

use super::*;
use serde::Deserialize;

/// Which COSI API the cluster's driver speaks (it decides the credentials Secret's format).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum CosiApiVersion {
    /// `objectstorage.k8s.io/v1alpha1`: one key `BucketInfo` holding JSON (the seed's Garage).
    #[default]
    V1alpha1,
    /// `objectstorage.k8s.io/v1alpha2`: flat `COSI_S3_*` keys.
    V1alpha2,
}

/// Object storage through COSI: the bucket claim, the access and the setup Job.
#[derive(Debug, Clone, SpecDeserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct StorageSpec {
    pub bucket_class: DnsSubdomain,
    pub bucket_access_class: DnsSubdomain,
    pub cosi_api_version: CosiApiVersion,
    /// Region written to the S3 Secret when the COSI driver publishes none (Garage's default).
    pub fallback_region: DnsLabel,
    /// Image of the credentials setup Job (kubectl, jq, sh), pinned by tag or digest.
    pub setup_image: Option<Image>,
}

impl Default for StorageSpec {
    fn default() -> Self {
        StorageSpec {
            bucket_class: DnsSubdomain::fixed("garage-ssd"),
            bucket_access_class: DnsSubdomain::fixed("garage-ssd"),
            cosi_api_version: CosiApiVersion::V1alpha1,
            fallback_region: DnsLabel::fixed("garage"),
            setup_image: None,
        }
    }
}
