//! The `mimir/` folder: namespace, the COSI bucket and its credentials Job, and (in `release/`)
//! the mimir-distributed HelmRelease on that bucket behind the unified gateway.

use super::flux::PinnedChart;
use super::storage::{env, Bucket, StorageComponent};
use super::{Component, Context};
use crate::json::json;
use crate::versions;
use serde_json::Value;

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
    let mut component = component.build(ctx, |bucket| values(ctx, bucket));
    for rule in prometheus_rules(ctx, spec.namespace.as_str()) {
        component.push(RULES_FILE, rule);
    }
    for (file, object) in super::central::objects(ctx, super::central::Gateway::Mimir) {
        component.push(file, object);
    }
    Some(component)
}

/// The file of the mixins' `PrometheusRule`s: in `release/`, applied with the release (the
/// storage stage stays storage only).
const RULES_FILE: &str = "release/prometheusrules.yaml";
/// Where the Slack webhook Secret is mounted in Mimir's Alertmanager pods.
const SLACK_SECRET_DIR: &str = "/etc/monitoring-stack/slack";

/// The vendored mixins' rule groups of every deployed area, as `PrometheusRule`s in
/// `namespace` (alerting rules only when `mimir.rules.alerting`). `alloy-metrics` loads them,
/// with every other PrometheusRule in the cluster, into the ruler: this stack's, or on an edge
/// the central stack's, as the edge's tenant.
pub fn prometheus_rules(ctx: &Context, namespace: &str) -> Vec<serde_yaml_ng::Value> {
    let spec = &ctx.spec().mimir;
    if !spec.rules.enabled {
        return Vec::new();
    }
    let mut out = Vec::new();
    for file in crate::stack::mixins::RULES {
        if !file.area.deployed(ctx) {
            continue;
        }
        // YAML built directly (no `json!`): these objects are a third of a stack's output.
        let groups: Vec<serde_yaml_ng::Value> = file
            .groups
            .iter()
            .filter_map(|group| {
                let rules: Vec<serde_yaml_ng::Value> = group
                    .rules
                    .iter()
                    .filter(|r| spec.rules.alerting || r.alert.is_empty())
                    .map(|r| r.to_yaml())
                    .collect();
                (!rules.is_empty()).then(|| {
                    let mut entry = serde_yaml_ng::Mapping::with_capacity(2);
                    entry.insert("name".into(), group.name.into());
                    entry.insert("rules".into(), serde_yaml_ng::Value::Sequence(rules));
                    serde_yaml_ng::Value::Mapping(entry)
                })
            })
            .collect();
        if groups.is_empty() {
            continue;
        }
        let name = format!("mixin-{}-{}", file.area.name(), file.name);
        let mut rule_spec = serde_yaml_ng::Mapping::with_capacity(1);
        rule_spec.insert("groups".into(), serde_yaml_ng::Value::Sequence(groups));
        let mut body = serde_yaml_ng::Mapping::with_capacity(1);
        body.insert("spec".into(), serde_yaml_ng::Value::Mapping(rule_spec));
        out.push(crate::stack::object::object(
            "monitoring.coreos.com/v1",
            "PrometheusRule",
            ctx.meta(&name, Some(namespace)),
            serde_yaml_ng::Value::Mapping(body),
        ));
    }
    out
}

/// Mimir's Alertmanager configuration for tenants that uploaded none (every tenant here): the
/// mixins' alerts, evaluated by the ruler, go to the same Slack channel as Grafana's, the URL
/// read from the webhook Secret mounted into the pods (the Secret must exist in Mimir's
/// namespace too: prerequisites say so). Without Slack: the chart's receiver-less default.
fn alertmanager_values(ctx: &Context) -> Value {
    let slack = &ctx.spec().grafana.alerting.slack;
    let spec = &ctx.spec().mimir;
    let mut values = json!({
        "enabled": true,
        "persistentVolume": {
            "enabled": spec.persistence.enabled,
            "storageClass": ctx.spec().cluster.storage_class.as_str(),
        },
    });
    if spec.rules.enabled && spec.rules.alerting && slack.enabled && ctx.spec().grafana.enabled {
        // A template rather than a built value keeps the module small; the channel
        // (`#[a-z0-9_-]+`) and the key (`[-._a-zA-Z0-9]+`) are validated and need no escape.
        values["fallbackConfig"] = Value::String(format!(
            r#"{{
  "route": {{
    "receiver": "slack",
    "group_by": ["alertname", "cluster", "namespace"],
    "group_wait": "30s",
    "group_interval": "5m",
    "repeat_interval": "4h"
  }},
  "receivers": [{{
    "name": "slack",
    "slack_configs": [{{
      "api_url_file": "{SLACK_SECRET_DIR}/{key}",
      "channel": "{channel}",
      "send_resolved": true,
      "title": "[{{{{ .Status | toUpper }}}}] {{{{ .CommonLabels.alertname }}}} ({{{{ .CommonLabels.cluster }}}})",
      "text": "{{{{ range .Alerts }}}}{{{{ .Annotations.summary }}}}{{{{ if .Annotations.description }}}}\n{{{{ .Annotations.description }}}}{{{{ end }}}}\n{{{{ end }}}}"
    }}]
  }}]
}}
"#,
            key = slack.webhook_secret.key.as_str(),
            channel = slack.channel.as_str(),
        ));
        values["extraVolumes"] = json!([{
            "name": "slack-webhook",
            "secret": { "secretName": slack.webhook_secret.name.as_str() },
        }]);
        values["extraVolumeMounts"] = json!([{
            "name": "slack-webhook",
            "mountPath": SLACK_SECRET_DIR,
            "readOnly": true,
        }]);
    }
    values
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
        // Alertmanager state is tiny: the chart's 1Gi, on the StorageClass. It routes what the
        // ruler fires (alertmanager_values).
        "alertmanager": alertmanager_values(ctx),
        // The ruler evaluates the PrometheusRules alloy-metrics loads (ruler_storage above).
        "ruler": { "enabled": true },
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
    super::central::mimir_values(ctx, &mut values);
    values
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stack(extra: &str) -> crate::spec::MonitoringStack {
        let text = format!(
            "apiVersion: monitoring-stack.dev/v1alpha1\nkind: MonitoringStack\nmetadata: {{name: main}}\nspec:\n  grafana: {{hostname: g.example.com}}\n{extra}"
        );
        let value: serde_yaml_ng::Value = serde_yaml_ng::from_str(&text).expect("test YAML");
        crate::spec::parse_stack(&value).unwrap_or_else(|e| panic!("{extra}: {e:?}"))
    }

    #[test]
    fn alertmanager_routes_the_rulers_alerts_to_the_slack_secret() {
        let stack = stack("");
        let ctx = Context::new(&stack);
        let values = alertmanager_values(&ctx);
        let config: serde_yaml_ng::Value =
            serde_yaml_ng::from_str(values["fallbackConfig"].as_str().expect("a config"))
                .expect("YAML");
        let slack = &config["receivers"][0]["slack_configs"][0];
        assert_eq!(
            slack["api_url_file"].as_str(),
            Some("/etc/monitoring-stack/slack/url")
        );
        assert_eq!(slack["channel"].as_str(), Some("#it-alerts"));
        assert!(slack["text"].as_str().is_some_and(|t| t.contains("}}\n{{")));
        assert_eq!(config["route"]["receiver"].as_str(), Some("slack"));
        assert_eq!(
            values["extraVolumeMounts"][0]["mountPath"],
            SLACK_SECRET_DIR
        );
        assert_eq!(
            values["extraVolumes"][0]["secret"]["secretName"],
            "grafana-slack-webhook"
        );
    }

    #[test]
    fn without_alerting_rules_only_recording_rules_ship_and_slack_stays_off() {
        let stack_ = stack("  mimir:\n    rules:\n      alerting: false\n");
        let ctx = Context::new(&stack_);
        assert!(alertmanager_values(&ctx).get("fallbackConfig").is_none());
        let rules = prometheus_rules(&ctx, "mimir");
        assert!(!rules.is_empty());
        for object in rules {
            let json = serde_json::to_value(&object).expect("JSON");
            for group in json["spec"]["groups"].as_array().expect("groups") {
                for rule in group["rules"].as_array().expect("rules") {
                    assert!(rule.get("record").is_some(), "{rule}");
                }
            }
        }
        let off = stack("  mimir:\n    rules:\n      enabled: false\n");
        assert!(prometheus_rules(&Context::new(&off), "mimir").is_empty());
    }
}
