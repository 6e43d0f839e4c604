//! The `loki/` folder: namespace, the COSI bucket and its credentials Job, and (in `release/`)
//! the loki HelmRelease in distributed mode on that bucket.

use super::flux::PinnedChart;
use super::storage::{env, Bucket, StorageComponent};
use super::{Component, Context};
use crate::json::json;
use crate::versions;
use serde_json::Value;

pub const FOLDER: &str = "loki";

pub fn build(ctx: &Context) -> Option<Component> {
    let spec = &ctx.spec().loki;
    if !spec.enabled {
        return None;
    }
    let component = StorageComponent {
        folder: FOLDER,
        namespace: spec.namespace.as_str(),
        chart: PinnedChart::new(versions::LOKI, spec.chart_version.as_ref()),
        storage: &spec.storage,
        extra: &spec.values,
    };
    let mut component = component.build(ctx, |bucket| values(ctx, bucket));
    for (file, object) in super::central::objects(ctx, super::central::Gateway::Loki) {
        component.push(file, object);
    }
    Some(component)
}

/// Replicas of the components that scale with `spec.loki.replicas` (at most 2 for the light
/// query-path helpers).
fn values(ctx: &Context, bucket: &Bucket) -> Value {
    let spec = &ctx.spec().loki;
    let replicas = spec.replicas;
    let helpers = replicas.min(2);
    let storage_class = ctx.spec().cluster.storage_class.as_str();
    let size = spec.persistence.size.as_str();
    let persistence_enabled = spec.persistence.enabled;
    let var = env::placeholder;
    let claims = json!([{
        "name": "data",
        "accessModes": ["ReadWriteOnce"],
        "size": size,
        "storageClass": storage_class,
    }]);
    let mut values = json!({
        "deploymentMode": "Distributed",
        "loki": {
            "auth_enabled": spec.multi_tenancy,
            "commonConfig": { "replication_factor": replicas.min(3) },
            "schemaConfig": { "configs": [{
                "from": "2024-04-01",
                "store": "tsdb",
                "object_store": "s3",
                "schema": "v13",
                "index": { "prefix": "loki_index_", "period": "24h" },
            }]},
            // One COSI bucket holds chunks and rules (Loki keeps them under separate prefixes).
            "storage": {
                "type": "s3",
                "bucketNames": { "chunks": var(env::BUCKET), "ruler": var(env::BUCKET), "admin": var(env::BUCKET) },
                "s3": {
                    "endpoint": var(env::ENDPOINT),
                    "region": var(env::REGION),
                    "accessKeyId": var(env::ACCESS_KEY_ID),
                    "secretAccessKey": var(env::SECRET_ACCESS_KEY),
                    "insecure": var(env::INSECURE),
                    // Garage (and most in-cluster S3) serves path-style URLs only.
                    "s3ForcePathStyle": true,
                },
            },
            "limits_config": { "retention_period": spec.retention.as_str() },
            "compactor": { "retention_enabled": true, "delete_request_store": "s3" },
            // The chart's pod contexts (Loki, gateway, memcached caches) leave seccomp unset:
            // Pod Security "restricted" needs it.
            "podSecurityContext": super::restricted_seccomp(),
        },
        "memcached": { "podSecurityContext": super::restricted_seccomp() },
        // The credentials Secret reaches every Loki container, and every container expands it.
        "global": {
            "extraEnvFrom": [{ "secretRef": { "name": bucket.s3_secret() } }],
            "extraArgs": ["-config.expand-env=true"],
        },
        "ingester": {
            "replicas": replicas,
            "zoneAwareReplication": { "enabled": false },
            "persistence": { "enabled": persistence_enabled, "claims": claims.clone() },
        },
        "distributor": { "replicas": replicas },
        "querier": { "replicas": replicas },
        "queryFrontend": { "replicas": helpers },
        "queryScheduler": { "replicas": helpers },
        "indexGateway": {
            "replicas": helpers,
            "persistence": { "enabled": persistence_enabled, "size": size, "storageClass": storage_class },
        },
        "compactor": {
            "replicas": 1,
            "persistence": { "enabled": persistence_enabled, "claims": claims },
        },
        // The simple-scalable and single-binary targets must be zero in distributed mode.
        "backend": { "replicas": 0 },
        "read": { "replicas": 0 },
        "write": { "replicas": 0 },
        "singleBinary": { "replicas": 0 },
        "minio": { "enabled": false },
        "gateway": { "enabled": true, "podSecurityContext": super::restricted_seccomp() },
        // The `cluster` label Loki's ServiceMonitor sets (the chart's default is the release
        // name): the stack's cluster, as on every other series (the Loki dashboards select on it).
        "clusterLabelOverride": ctx.cluster_name(),
        "monitoring": {
            "serviceMonitor": {
                "enabled": true,
                // A Grafana Agent MetricsInstance needs CRDs this stack does not install.
                "metricsInstance": { "enabled": false },
            },
        },
    });
    // The chart refuses (`fail`) a PodDisruptionBudget without `maxUnavailable` for any of
    // these at more than one replica; one pod at a time keeps the quorum of three.
    for target in [
        "ingester",
        "distributor",
        "querier",
        "queryFrontend",
        "queryScheduler",
        "indexGateway",
    ] {
        values[target]["maxUnavailable"] = json!(1);
    }
    if !spec.resources.is_empty() {
        for target in ["ingester", "distributor", "querier"] {
            values[target]["resources"] = json!(spec.resources);
        }
    }
    super::central::loki_values(ctx, &mut values);
    values
}
