//! Tests of the reference-check helpers in `tests/support` themselves: they must accept valid
//! upstream objects and demonstrably reject typos, wrong types, missing fields and bad enums.

mod support;

use std::path::Path;

use serde_json::{json, Value};
use support::{check_alloy_cr_spec, check_helm_values, load_yaml_stream, CrdSchemas, Scope};

/// Upstream example files (relative to `examples/`) that are known not to pass strict validation,
/// with the reason. Empty: every upstream example with a CRD validates as published.
const KNOWN_EXAMPLE_EXCEPTIONS: &[(&str, &str)] = &[];

fn schemas() -> Option<&'static CrdSchemas> {
    support::crd_schemas()
}

fn expect_errors(schemas: &CrdSchemas, obj: &Value, needle: &str) -> Vec<String> {
    let errors = schemas
        .validate(obj)
        .expect_err(&format!("expected a validation error mentioning {needle}"));
    println!("{}", errors.join("\n"));
    assert!(
        errors.iter().any(|e| e.contains(needle)),
        "no error mentions {needle:?}:\n{}",
        errors.join("\n")
    );
    errors
}

fn assert_valid(schemas: &CrdSchemas, obj: &Value) {
    if let Err(errors) = schemas.validate(obj) {
        panic!("expected valid, got:\n{}", errors.join("\n"));
    }
}

fn set(obj: &mut Value, pointer: &str, value: Value) {
    let (parent, key) = pointer.rsplit_once('/').expect("pointer with a parent");
    obj.pointer_mut(parent)
        .and_then(Value::as_object_mut)
        .unwrap_or_else(|| panic!("{parent} is not an object"))
        .insert(key.to_owned(), value);
}

fn remove(obj: &mut Value, pointer: &str) -> Value {
    let (parent, key) = pointer.rsplit_once('/').expect("pointer with a parent");
    obj.pointer_mut(parent)
        .and_then(Value::as_object_mut)
        .and_then(|m| m.remove(key))
        .unwrap_or_else(|| panic!("{pointer} not present"))
}

fn rename(obj: &mut Value, pointer: &str, new_key: &str) {
    let value = remove(obj, pointer);
    let parent = pointer.rsplit_once('/').unwrap().0;
    set(obj, &format!("{parent}/{new_key}"), value);
}

#[test]
fn every_crd_version_is_indexed() {
    let Some(schemas) = schemas() else { return };
    let kinds = schemas.kinds();
    println!("indexed {} (apiVersion, kind) pairs:", kinds.len());
    for (api_version, kind) in &kinds {
        println!("  {api_version} {kind}");
    }
    for (api_version, kind) in [
        ("helm.toolkit.fluxcd.io/v2", "HelmRelease"),
        ("kustomize.toolkit.fluxcd.io/v1", "Kustomization"),
        ("source.toolkit.fluxcd.io/v1", "HelmRepository"),
        ("source.toolkit.fluxcd.io/v1", "OCIRepository"),
        ("source.toolkit.fluxcd.io/v1", "GitRepository"),
        ("grafana.integreatly.org/v1beta1", "Grafana"),
        ("grafana.integreatly.org/v1beta1", "GrafanaDatasource"),
        ("collectors.grafana.com/v1alpha1", "Alloy"),
        ("objectstorage.k8s.io/v1alpha1", "BucketClaim"),
        ("objectstorage.k8s.io/v1alpha2", "BucketClaim"),
        ("cert-manager.io/v1", "ClusterIssuer"),
        ("gateway.networking.k8s.io/v1", "HTTPRoute"),
        // served but not the storage version
        ("gateway.networking.k8s.io/v1beta1", "HTTPRoute"),
        ("monitoring.coreos.com/v1", "ServiceMonitor"),
    ] {
        assert!(schemas.knows(api_version, kind), "{api_version} {kind}");
    }
    assert!(!schemas.knows("helm.toolkit.fluxcd.io/v2beta1", "HelmRelease"));
    assert!(!schemas.knows("v1", "ConfigMap"));
    assert_eq!(
        schemas.scope("cert-manager.io/v1", "ClusterIssuer"),
        Some(Scope::Cluster)
    );
    assert_eq!(
        schemas.scope("objectstorage.k8s.io/v1alpha1", "BucketClass"),
        Some(Scope::Cluster)
    );
    assert_eq!(
        schemas.scope("helm.toolkit.fluxcd.io/v2", "HelmRelease"),
        Some(Scope::Namespaced)
    );
    assert!(schemas.covers_group("objectstorage.k8s.io"));
    assert!(!schemas.covers_group(""));
}

#[test]
fn upstream_examples_validate() {
    let Some(schemas) = schemas() else { return };
    let reference = support::reference_dir().expect("reference dir");
    let examples = reference.join("examples");
    let mut checked = Vec::new();
    let mut failures = Vec::new();
    for file in support::yaml_files_under(&examples) {
        let rel = file
            .strip_prefix(&examples)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let text = std::fs::read_to_string(&file).unwrap();
        let mut file_errors = Vec::new();
        let mut n = 0;
        for mut obj in load_yaml_stream(&text) {
            let api_version = obj["apiVersion"].as_str().unwrap_or("").to_owned();
            let kind = obj["kind"].as_str().unwrap_or("").to_owned();
            if !schemas.knows(&api_version, &kind) {
                // Core objects (v1 Secret) have no CRD; a CRD group with an unknown version is a bug.
                assert!(
                    !schemas.covers_group(support::api_group(&api_version)),
                    "{rel}: {api_version} {kind} belongs to a CRD group but is not served"
                );
                continue;
            }
            // Upstream examples rely on `kubectl apply -n …`; the generator must set namespaces,
            // so the helper requires one — supply it here the way kubectl would.
            if schemas.scope(&api_version, &kind) == Some(Scope::Namespaced)
                && obj.pointer("/metadata/namespace").is_none()
            {
                set(&mut obj, "/metadata/namespace", json!("default"));
            }
            n += 1;
            if let Err(mut e) = schemas.validate(&obj) {
                file_errors.append(&mut e);
            }
            if kind == "Alloy" {
                file_errors.extend(check_alloy_cr_spec(&reference, &obj["spec"]));
            }
        }
        if n == 0 {
            continue;
        }
        let exception = KNOWN_EXAMPLE_EXCEPTIONS.iter().find(|(f, _)| *f == rel);
        match (exception, file_errors.is_empty()) {
            (None, true) => {}
            (None, false) => failures.push(format!("{rel}:\n  {}", file_errors.join("\n  "))),
            (Some((_, why)), false) => println!("known exception {rel}: {why}"),
            (Some(_), true) => failures.push(format!(
                "{rel} is listed in KNOWN_EXAMPLE_EXCEPTIONS but now validates; remove it"
            )),
        }
        checked.push(format!("{rel} ({n} object(s))"));
    }
    println!("checked {} example files:", checked.len());
    for c in &checked {
        println!("  {c}");
    }
    assert!(
        checked.len() >= 12,
        "expected the 13 upstream example files, checked only {checked:?}"
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn helm_release() -> Value {
    json!({
        "apiVersion": "helm.toolkit.fluxcd.io/v2",
        "kind": "HelmRelease",
        "metadata": {"name": "loki", "namespace": "loki"},
        "spec": {
            "interval": "30m",
            "timeout": "10m",
            "releaseName": "loki",
            "chart": {
                "spec": {
                    "chart": "loki",
                    "version": "7.3.0",
                    "interval": "12h",
                    "sourceRef": {"kind": "HelmRepository", "name": "grafana", "namespace": "flux-system"}
                }
            },
            "install": {"crds": "CreateReplace", "remediation": {"retries": 3}},
            "upgrade": {"crds": "CreateReplace", "remediation": {"retries": 3, "strategy": "rollback"}},
            "valuesFrom": [{"kind": "Secret", "name": "loki-s3", "valuesKey": "values.yaml"}],
            "values": {"deploymentMode": "Distributed", "anything": {"goes": [1, 2]}}
        }
    })
}

fn kustomization() -> Value {
    json!({
        "apiVersion": "kustomize.toolkit.fluxcd.io/v1",
        "kind": "Kustomization",
        "metadata": {"name": "monitoring", "namespace": "flux-system"},
        "spec": {
            "interval": "10m",
            "path": "./clusters/prod/monitoring",
            "prune": true,
            "wait": true,
            "sourceRef": {"kind": "GitRepository", "name": "flux-system"},
            "targetNamespace": "monitoring",
            "dependsOn": [{"name": "cosi"}],
            "postBuild": {"substitute": {"CLUSTER": "prod"}}
        }
    })
}

#[test]
fn flux_helm_release_valid_and_invalid() {
    let Some(schemas) = schemas() else { return };
    assert_valid(schemas, &helm_release());

    let mut typo = helm_release();
    rename(&mut typo, "/spec/chart/spec/sourceRef", "sourcRef");
    let errors = expect_errors(schemas, &typo, "/spec/chart/spec/sourcRef");
    // the now-missing required sourceRef is reported too
    assert!(
        errors
            .iter()
            .any(|e| e.contains("/spec/chart/spec/sourceRef")),
        "{errors:?}"
    );

    let mut bad_enum = helm_release();
    set(&mut bad_enum, "/spec/install/crds", json!("Always"));
    expect_errors(schemas, &bad_enum, "/spec/install/crds");

    let mut missing = helm_release();
    remove(&mut missing, "/spec/interval");
    expect_errors(schemas, &missing, "/spec/interval");

    let mut bad_pattern = helm_release();
    set(&mut bad_pattern, "/spec/interval", json!("30 minutes"));
    expect_errors(schemas, &bad_pattern, "/spec/interval");

    let mut bad_retries = helm_release();
    set(
        &mut bad_retries,
        "/spec/install/remediation/retries",
        json!("3"),
    );
    expect_errors(schemas, &bad_retries, "/spec/install/remediation/retries");

    let mut wrong_version = helm_release();
    set(
        &mut wrong_version,
        "/apiVersion",
        json!("helm.toolkit.fluxcd.io/v2beta1"),
    );
    expect_errors(
        schemas,
        &wrong_version,
        "no CRD serves helm.toolkit.fluxcd.io/v2beta1",
    );

    let mut no_namespace = helm_release();
    remove(&mut no_namespace, "/metadata/namespace");
    expect_errors(schemas, &no_namespace, "/metadata/namespace");

    let mut bad_name = helm_release();
    set(&mut bad_name, "/metadata/name", json!("Loki_Release"));
    expect_errors(schemas, &bad_name, "/metadata/name");

    let mut long_name = helm_release();
    set(&mut long_name, "/metadata/name", json!("a".repeat(254)));
    expect_errors(schemas, &long_name, "/metadata/name");

    // Free-form values stay free-form.
    let mut values = helm_release();
    set(
        &mut values,
        "/spec/values",
        json!({"x": {"y": {"z": null}}}),
    );
    assert_valid(schemas, &values);
}

#[test]
fn flux_kustomization_valid_and_invalid() {
    let Some(schemas) = schemas() else { return };
    assert_valid(schemas, &kustomization());

    let mut typo = kustomization();
    rename(&mut typo, "/spec/targetNamespace", "targetNamespce");
    expect_errors(schemas, &typo, "/spec/targetNamespce");

    let mut wrong_type = kustomization();
    set(&mut wrong_type, "/spec/prune", json!("yes"));
    expect_errors(schemas, &wrong_type, "/spec/prune");

    let mut missing = kustomization();
    remove(&mut missing, "/spec/interval");
    expect_errors(schemas, &missing, "/spec/interval");

    let mut bad_kind = kustomization();
    set(
        &mut bad_kind,
        "/spec/sourceRef/kind",
        json!("HelmRepository"),
    );
    expect_errors(schemas, &bad_kind, "/spec/sourceRef/kind");

    let mut deep_typo = kustomization();
    set(&mut deep_typo, "/spec/dependsOn/0/namespce", json!("x"));
    expect_errors(schemas, &deep_typo, "/spec/dependsOn/0/namespce");

    // validate_all reports errors of covered groups and skips core objects.
    let objs = vec![
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "monitoring"}}),
        kustomization(),
        wrong_type,
    ];
    let errors = schemas.validate_all(&objs);
    assert_eq!(errors.len(), 1, "{errors:?}");
}

#[test]
fn grafana_deep_fields_are_strict() {
    let Some(schemas) = schemas() else { return };
    let mut grafana = json!({
        "apiVersion": "grafana.integreatly.org/v1beta1",
        "kind": "Grafana",
        "metadata": {"name": "grafana", "namespace": "grafana", "labels": {"dashboards": "grafana"}},
        "spec": {
            "config": {"auth": {"disable_login_form": "false"}, "server": {"root_url": "https://g.example.com"}},
            "deployment": {"spec": {"template": {"spec": {"containers": [{
                "name": "grafana",
                "env": [{"name": "GF_AUTH_GENERIC_OAUTH_CLIENT_SECRET",
                         "valueFrom": {"secretKeyRef": {"name": "oauth", "key": "secret"}}}]
            }]}}}},
            "httpRoute": {"spec": {"parentRefs": [{"name": "gw", "namespace": "gateway"}],
                                    "hostnames": ["g.example.com"]}}
        }
    });
    assert_valid(schemas, &grafana);
    let pointer = "/spec/deployment/spec/template/spec/containers/0/env/0/valueFrom/secretKeyRef";
    let mut typo = grafana.clone();
    set(&mut typo, &format!("{pointer}/keyy"), json!("x"));
    expect_errors(schemas, &typo, &format!("{pointer}/keyy"));
    let mut route_typo = grafana.clone();
    set(
        &mut route_typo,
        "/spec/httpRoute/spec/parentRefs/0/sectionNam",
        json!("https"),
    );
    expect_errors(
        schemas,
        &route_typo,
        "/spec/httpRoute/spec/parentRefs/0/sectionNam",
    );
    // grafana.ini values are strings: a YAML boolean is rejected.
    set(
        &mut grafana,
        "/spec/config/auth/disable_login_form",
        json!(false),
    );
    expect_errors(schemas, &grafana, "/spec/config/auth/disable_login_form");
}

#[test]
fn cluster_scoped_kinds_reject_namespace() {
    let Some(schemas) = schemas() else { return };
    let mut issuer = json!({
        "apiVersion": "cert-manager.io/v1",
        "kind": "ClusterIssuer",
        "metadata": {"name": "letsencrypt"},
        "spec": {"selfSigned": {}}
    });
    assert_valid(schemas, &issuer);
    set(&mut issuer, "/metadata/namespace", json!("cert-manager"));
    expect_errors(schemas, &issuer, "/metadata/namespace");
}

#[test]
fn int_or_string_and_nullable_conversion() {
    let converted = support::to_strict_json_schema(&json!({
        "type": "object",
        "properties": {
            "metadata": {"type": "object", "properties": {"name": {"type": "string"}}},
            "port": {"x-kubernetes-int-or-string": true},
            "maybe": {"type": "string", "nullable": true, "enum": ["a"]},
            "open": {"type": "object", "x-kubernetes-preserve-unknown-fields": true,
                     "properties": {"a": {"type": "string"}}},
            "map": {"type": "object", "additionalProperties": {"type": "string"}}
        }
    }));
    assert_eq!(
        converted,
        json!({
            "type": "object",
            "properties": {
                "metadata": {"type": "object"},
                "port": {"anyOf": [{"type": "integer"}, {"type": "string"}]},
                "maybe": {"type": ["string", "null"], "enum": ["a", null]},
                "open": {"type": "object", "properties": {"a": {"type": "string"}}},
                "map": {"type": "object", "additionalProperties": {"type": "string"}}
            },
            "additionalProperties": false
        })
    );

    let Some(schemas) = schemas() else { return };
    // int-or-string in a real CRD: ServiceMonitor endpoint targetPort.
    let mut monitor = json!({
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "ServiceMonitor",
        "metadata": {"name": "loki", "namespace": "loki"},
        "spec": {
            "selector": {"matchLabels": {"app": "loki"}},
            "endpoints": [{"targetPort": 3100, "interval": "30s"}]
        }
    });
    assert_valid(schemas, &monitor);
    set(
        &mut monitor,
        "/spec/endpoints/0/targetPort",
        json!("http-metrics"),
    );
    assert_valid(schemas, &monitor);
    set(&mut monitor, "/spec/endpoints/0/targetPort", json!(true));
    expect_errors(schemas, &monitor, "/spec/endpoints/0/targetPort");
}

#[test]
fn go_only_regex_patterns_are_translated() {
    let Some(schemas) = schemas() else { return };
    assert!(
        schemas.dropped_patterns().is_empty(),
        "untranslatable patterns: {:?}",
        schemas.dropped_patterns()
    );
    // partial_response_strategy has the Go pattern `^(?i)(abort|warn)?$`.
    let mut rule = json!({
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PrometheusRule",
        "metadata": {"name": "loki", "namespace": "loki"},
        "spec": {"groups": [{
            "name": "loki",
            "partial_response_strategy": "WARN",
            "rules": [{"alert": "LokiDown", "expr": "up == 0", "for": "5m"}]
        }]}
    });
    assert_valid(schemas, &rule);
    set(
        &mut rule,
        "/spec/groups/0/partial_response_strategy",
        json!("ignore"),
    );
    expect_errors(schemas, &rule, "/spec/groups/0/partial_response_strategy");
    set(
        &mut rule,
        "/spec/groups/0/partial_response_strategy",
        json!("abort"),
    );
    set(&mut rule, "/spec/groups/0/rules/0/for", json!("5 minutes"));
    expect_errors(schemas, &rule, "/spec/groups/0/rules/0/for");
}

#[test]
fn cosi_versions_are_indexed_separately() {
    let Some(schemas) = schemas() else { return };
    let claim_v1alpha1 = json!({
        "apiVersion": "objectstorage.k8s.io/v1alpha1",
        "kind": "BucketClaim",
        "metadata": {"name": "loki", "namespace": "loki"},
        "spec": {"bucketClassName": "garage", "protocols": ["S3"]}
    });
    assert_valid(schemas, &claim_v1alpha1);
    assert_eq!(
        schemas.versions_of("BucketClaim"),
        [
            "objectstorage.k8s.io/v1alpha1",
            "objectstorage.k8s.io/v1alpha2"
        ]
    );
    let v1 = schemas
        .schema("objectstorage.k8s.io/v1alpha1", "BucketClaim")
        .unwrap();
    let v2 = schemas
        .schema("objectstorage.k8s.io/v1alpha2", "BucketClaim")
        .unwrap();
    assert_ne!(
        v1, v2,
        "v1alpha1 and v1alpha2 BucketClaim must have their own schemas"
    );

    // The same claim as v1alpha2: checked against the v1alpha2 schema (whose `protocols` items are
    // an enum with minItems 1, and which requires minProperties 1 on spec). Field names are
    // shared, so this claim happens to be valid there too; a v1alpha1-only protocol is not.
    let mut claim_v1alpha2 = claim_v1alpha1.clone();
    set(
        &mut claim_v1alpha2,
        "/apiVersion",
        json!("objectstorage.k8s.io/v1alpha2"),
    );
    let result_v2 = schemas.validate(&claim_v1alpha2);
    println!("BucketClaim v1alpha1 spec under v1alpha2: {result_v2:?}");
    let mut lower = claim_v1alpha1.clone();
    set(&mut lower, "/spec/protocols", json!(["s3"]));
    assert_valid(schemas, &lower); // v1alpha1: protocols are free strings
    set(
        &mut lower,
        "/apiVersion",
        json!("objectstorage.k8s.io/v1alpha2"),
    );
    expect_errors(schemas, &lower, "/spec/protocols/0");

    // BucketAccess really differs between the versions.
    let access_v1alpha1 = json!({
        "apiVersion": "objectstorage.k8s.io/v1alpha1",
        "kind": "BucketAccess",
        "metadata": {"name": "loki", "namespace": "loki"},
        "spec": {
            "bucketClaimName": "loki",
            "bucketAccessClassName": "garage",
            "credentialsSecretName": "loki-bucket",
            "protocol": "S3"
        }
    });
    assert_valid(schemas, &access_v1alpha1);
    let mut access_v1alpha2 = access_v1alpha1;
    set(
        &mut access_v1alpha2,
        "/apiVersion",
        json!("objectstorage.k8s.io/v1alpha2"),
    );
    expect_errors(schemas, &access_v1alpha2, "/spec/bucketClaimName");
    expect_errors(schemas, &access_v1alpha2, "/spec/bucketClaims");
}

#[test]
fn helm_values_loki() {
    let Some(reference) = support::reference_dir() else {
        return;
    };
    let ok = json!({
        "deploymentMode": "Distributed",
        "loki": {
            "storage": {"type": "s3", "bucketNames": {"chunks": "c"}},
            "structuredConfig": {"anything": {"goes": 1}}
        },
        "ingester": {"replicas": 3}
    });
    let errors = check_helm_values(&reference, "loki", &ok);
    assert!(errors.is_empty(), "{errors:?}");

    let errors = check_helm_values(
        &reference,
        "loki",
        &json!({"loki": {"storage": {"typo": 1}}}),
    );
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].contains("loki.storage.typo"), "{errors:?}");

    // The upstream distributed example is accepted as a whole. It repeats the key
    // `commonLabels.labelA` (Helm's YAML parser keeps the last one; serde_yaml rejects duplicate
    // keys), so drop the first occurrence.
    let example =
        std::fs::read_to_string(reference.join("charts/loki/distributed-values.yaml")).unwrap();
    let deduplicated = example.replacen("  labelA: valueA\n", "", 1);
    assert_ne!(
        deduplicated, example,
        "distributed-values.yaml changed upstream"
    );
    let example = support::load_yaml_doc(&deduplicated).unwrap();
    let errors = check_helm_values(&reference, "loki", &example);
    assert!(errors.is_empty(), "{errors:?}");

    // global.extraArgs is a list in Loki; schemaConfig/limits_config are free-form; values.schema.json
    // declares loki.rulerConfig.storage (free-form object).
    let more = json!({
        "global": {"extraArgs": ["-config.expand-env=true"], "extraEnvFrom": [{"secretRef": {"name": "s3"}}]},
        "loki": {
            "schemaConfig": {"configs": [{"from": "2024-04-01", "store": "tsdb"}]},
            "limits_config": {"retention_period": "744h"},
            "rulerConfig": {"storage": {"type": "s3", "s3": {"bucketnames": "r"}}},
            "auth_enabled": false
        },
        "backend": {"replicas": 0},
        "resultsCache": {"enabled": false}
    });
    let errors = check_helm_values(&reference, "loki", &more);
    assert!(errors.is_empty(), "{errors:?}");

    // A string where the chart has a mapping is caught.
    let errors = check_helm_values(&reference, "loki", &json!({"loki": {"storage": "s3"}}));
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].contains("loki.storage"), "{errors:?}");

    // A mapping where the chart has a scalar is caught.
    let errors = check_helm_values(&reference, "loki", &json!({"deploymentMode": {"a": 1}}));
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].contains("deploymentMode"), "{errors:?}");
}

#[test]
fn helm_values_mimir() {
    let Some(reference) = support::reference_dir() else {
        return;
    };
    let ok = json!({
        "minio": {"enabled": false},
        "mimir": {"structuredConfig": {"common": {"storage": {"backend": "s3"}}}},
        "global": {"extraEnvFrom": [{"secretRef": {"name": "mimir-s3"}}]},
        "ingester": {"extraArgs": {"log.level": "debug"}}
    });
    let errors = check_helm_values(&reference, "mimir-distributed", &ok);
    assert!(errors.is_empty(), "{errors:?}");

    let errors = check_helm_values(
        &reference,
        "mimir-distributed",
        &json!({"nginx": {"enabledd": false}}),
    );
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].contains("nginx.enabledd"), "{errors:?}");

    // Mimir has no global.extraArgs (Loki does).
    let errors = check_helm_values(
        &reference,
        "mimir-distributed",
        &json!({"global": {"extraArgs": ["-config.expand-env=true"]}}),
    );
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].contains("global.extraArgs"), "{errors:?}");
}

#[test]
fn helm_values_other_charts() {
    let Some(reference) = support::reference_dir() else {
        return;
    };
    for chart in ["kube-state-metrics", "prometheus-node-exporter"] {
        let errors = check_helm_values(
            &reference,
            chart,
            &json!({"prometheus": {"monitor": {"enabled": true, "additionalLabels": {"a": "b"}}}}),
        );
        assert!(errors.is_empty(), "{chart}: {errors:?}");
    }
    let errors = check_helm_values(
        &reference,
        "kube-state-metrics",
        &json!({"prometheus": {"monitorr": {"enabled": true}}}),
    );
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].contains("prometheus.monitorr"), "{errors:?}");

    let errors = check_helm_values(
        &reference,
        "grafana-operator",
        &json!({"crds": {"immutable": false}, "serviceMonitor": {"enabled": true}}),
    );
    assert!(errors.is_empty(), "{errors:?}");

    // alloy-operator ships a values.schema.json; keys from either source are accepted.
    let errors = check_helm_values(
        &reference,
        "alloy-operator",
        &json!({"crds": {"deployAlloyCRD": true}, "nodeSelector": {"kubernetes.io/os": "linux"}}),
    );
    assert!(errors.is_empty(), "{errors:?}");
    let errors = check_helm_values(
        &reference,
        "alloy-operator",
        &json!({"crds": {"deployAlloyCRDs": true}}),
    );
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].contains("crds.deployAlloyCRDs"), "{errors:?}");

    let errors = check_helm_values(
        &reference,
        "prometheus-operator-crds",
        &json!({"crds": {"annotations": {"x": "y"}}}),
    );
    assert!(errors.is_empty(), "{errors:?}");
}

#[test]
fn alloy_cr_spec() {
    let Some(reference) = support::reference_dir() else {
        return;
    };
    let spec = json!({
        "alloy": {
            "configMap": {"content": "logging { level = \"info\" }"},
            "clustering": {"enabled": true},
            "mounts": {"varlog": true},
            "extraEnv": [{"name": "A", "value": "b"}],
            "stabilityLevel": "generally-available"
        },
        "controller": {"type": "statefulset", "replicas": 2},
        "serviceMonitor": {"enabled": true}
    });
    let errors = check_alloy_cr_spec(&reference, &spec);
    assert!(errors.is_empty(), "{errors:?}");
    let errors = check_alloy_cr_spec(
        &reference,
        &json!({"alloy": {"clustering": {"enabeld": true}}, "controler": {"type": "deployment"}}),
    );
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(errors
        .iter()
        .any(|e| e.contains("alloy.clustering.enabeld")));
    assert!(errors.iter().any(|e| e.contains("controler")));
}

#[test]
fn free_form_list_is_public() {
    assert!(support::FREE_FORM_VALUES.contains(&("loki", "loki.storage.bucketNames")));
    let mimir = support::free_form_for("mimir-distributed");
    assert_eq!(mimir[0], "mimir.structuredConfig");
    // Every other entry is a key that is only commented out upstream: prove it is there.
    let values = std::fs::read_to_string(
        support::default_reference_path().join("charts/mimir-distributed/values.yaml"),
    )
    .unwrap_or_default();
    if !values.is_empty() {
        for path in &mimir[1..] {
            let key = path.rsplit('.').next().expect("key");
            assert!(
                values.contains(&format!("# {key}:")),
                "{path} is not in values.yaml even as a comment"
            );
        }
    }
}

#[test]
fn load_yaml_stream_skips_empty_documents() {
    let docs =
        load_yaml_stream("---\n# only a comment\n---\na: 1\n---\n---\nb: [x, \"=\", =]\n...\n");
    assert_eq!(docs, vec![json!({"a": 1}), json!({"b": ["x", "=", "="]})]);
    assert!(load_yaml_stream("").is_empty());
    assert!(support::try_load_yaml_stream("a: [").is_err());
}

#[test]
fn missing_reference_dir_skips_outside_ci() {
    let missing = Path::new(env!("CARGO_MANIFEST_DIR")).join("../no-such-reference-dir");
    assert_eq!(support::reference_dir_at(&missing, false), None);
}

#[test]
#[should_panic(expected = "reference material not found")]
fn missing_reference_dir_panics_in_ci() {
    let missing = Path::new(env!("CARGO_MANIFEST_DIR")).join("../no-such-reference-dir");
    support::reference_dir_at(&missing, true);
}

#[test]
fn core_kinds_are_checked_strictly_by_round_trip() {
    let job = serde_json::json!({
        "apiVersion": "batch/v1", "kind": "Job", "metadata": { "name": "j", "namespace": "n" },
        "spec": { "backoffLimit": 2, "template": { "spec": { "restartPolicy": "Never",
            "containers": [{ "name": "c", "image": "busybox:1.36", "securityContext": { "capabilities": { "drop": ["ALL"] } } }] } } }
    });
    assert_eq!(support::validate_core(&job), Some(Ok(())));
    let mut typo = job.clone();
    typo["spec"]["backofLimit"] = serde_json::json!(2);
    let errors = support::validate_core(&typo)
        .expect("known kind")
        .expect_err("typo");
    assert!(
        errors.iter().any(|e| e.contains("/spec/backofLimit")),
        "{errors:?}"
    );
    let mut wrong_type = job.clone();
    wrong_type["spec"]["backoffLimit"] = serde_json::json!("two");
    assert!(support::validate_core(&wrong_type)
        .expect("known kind")
        .is_err());
    assert_eq!(
        support::validate_core(&serde_json::json!({"apiVersion": "x/v1", "kind": "Y"})),
        None
    );
}
