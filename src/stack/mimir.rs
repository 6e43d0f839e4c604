//! The `mimir/` folder: namespace, the COSI bucket and its credentials Job, and (in `release/`)
//! the mimir-distributed HelmRelease on that bucket behind the unified gateway.

use super::flux::PinnedChart;
use super::storage::{env, Bucket, StorageComponent};
use super::{Component, Context};
use crate::versions;
use serde_json::{json, Value};

pub const FOLDER: &str = "mimir";

pub fn build(ctx: &Context) -> Option<Component> {
    let spec = &ctx.spec().mimir;
    if !spec.enabled {
        return None;
    }
    let component = StorageComponent {
        folder: FOLDER,
        namespace: spec.namespace.as_str(),
        chart: PinnedChart::new(versions::MIMIR, spec.chart_version.as_ref()),
        storage: &spec.storage,
        extra: &spec.values,
    };
    Some(component.build(ctx, |bucket| values(ctx, bucket)))
}

fn values(ctx: &Context, bucket: &Bucket) -> Value {
    let spec = &ctx.spec().mimir;
    let replicas = spec.replicas;
    let helpers = replicas.min(2);
    let zones = spec.zone_awareness;
    let var = env::placeholder;
    let volume = json!({
        "enabled": spec.persistence.enabled,
        "size": spec.persistence.size.as_str(),
        "storageClass": ctx.spec().cluster.storage_class.as_str(),
    });
    let mut values = json!({
        "mimir": { "structuredConfig": {
            "multitenancy_enabled": spec.multi_tenancy,
            // The chart passes -config.expand-env=true to every Mimir container itself.
            "common": { "storage": {
                "backend": "s3",
                "s3": {
                    "endpoint": var(env::ENDPOINT),
                    "bucket_name": var(env::BUCKET),
                    "access_key_id": var(env::ACCESS_KEY_ID),
                    "secret_access_key": var(env::SECRET_ACCESS_KEY),
                    "region": var(env::REGION),
                    "insecure": var(env::INSECURE),
                    "bucket_lookup_type": "path",
                },
            }},
            // COSI gives one bucket: Mimir refuses to share it unless each store has its own prefix.
            "blocks_storage": { "storage_prefix": "blocks" },
            "alertmanager_storage": { "storage_prefix": "alertmanager" },
            "ruler_storage": { "storage_prefix": "ruler" },
            "limits": { "compactor_blocks_retention_period": spec.retention.as_str() },
            "ingester": { "ring": { "replication_factor": replicas.min(3) } },
            "store_gateway": { "sharding_ring": { "replication_factor": replicas.min(3) } },
        }},
        "global": {
            "extraEnvFrom": [{ "secretRef": { "name": bucket.s3_secret() } }],
        },
        "minio": { "enabled": false },
        // The unified gateway (Service mimir-gateway) replaces the deprecated nginx section.
        "nginx": { "enabled": false },
        "gateway": { "enabledNonEnterprise": true },
        "ingester": {
            "replicas": replicas,
            "zoneAwareReplication": { "enabled": zones },
            "persistentVolume": volume.clone(),
        },
        "store_gateway": {
            "replicas": replicas,
            "zoneAwareReplication": { "enabled": zones },
            "persistentVolume": volume.clone(),
        },
        "compactor": { "replicas": 1, "persistentVolume": volume },
        // Alertmanager state is tiny: the chart's 1Gi, on the StorageClass.
        "alertmanager": { "persistentVolume": {
            "enabled": spec.persistence.enabled,
            "storageClass": ctx.spec().cluster.storage_class.as_str(),
        }},
        "distributor": { "replicas": replicas },
        "querier": { "replicas": replicas },
        "query_frontend": { "replicas": helpers },
        "query_scheduler": { "replicas": helpers },
        // Zone-aware rollouts are what the rollout-operator is for.
        "rollout_operator": { "enabled": zones },
        "metaMonitoring": { "serviceMonitor": {
            "enabled": true,
            "clusterLabel": ctx.cluster_name(),
        }},
    });
    if !spec.resources.is_empty() {
        for target in ["ingester", "distributor", "querier"] {
            values[target]["resources"] = json!(spec.resources);
        }
    }
    values
}
