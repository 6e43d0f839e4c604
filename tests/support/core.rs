//! Strict checks of core Kubernetes kinds (no CRD in the reference): the object is read into the
//! typed k8s-openapi struct and written back; a field the struct does not know is dropped by that
//! round trip, and a wrong type fails the read. Both are reported with their path.

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

/// `Some(result)` when `(apiVersion, kind)` is a core kind this check knows, else `None`.
pub fn validate_core(object: &Value) -> Option<Result<(), Vec<String>>> {
    use k8s_openapi::api::{apps, batch, core, networking, policy, rbac};
    let api_version = object.get("apiVersion").and_then(Value::as_str)?;
    let kind = object.get("kind").and_then(Value::as_str)?;
    Some(match (api_version, kind) {
        ("v1", "Namespace") => round_trip::<core::v1::Namespace>(object),
        ("v1", "ServiceAccount") => round_trip::<core::v1::ServiceAccount>(object),
        ("v1", "Service") => round_trip::<core::v1::Service>(object),
        ("v1", "ConfigMap") => round_trip::<core::v1::ConfigMap>(object),
        ("v1", "Secret") => round_trip::<core::v1::Secret>(object),
        ("v1", "PersistentVolumeClaim") => round_trip::<core::v1::PersistentVolumeClaim>(object),
        ("apps/v1", "Deployment") => round_trip::<apps::v1::Deployment>(object),
        ("apps/v1", "DaemonSet") => round_trip::<apps::v1::DaemonSet>(object),
        ("apps/v1", "StatefulSet") => round_trip::<apps::v1::StatefulSet>(object),
        ("batch/v1", "Job") => round_trip::<batch::v1::Job>(object),
        ("batch/v1", "CronJob") => round_trip::<batch::v1::CronJob>(object),
        ("rbac.authorization.k8s.io/v1", "Role") => round_trip::<rbac::v1::Role>(object),
        ("rbac.authorization.k8s.io/v1", "RoleBinding") => {
            round_trip::<rbac::v1::RoleBinding>(object)
        }
        ("rbac.authorization.k8s.io/v1", "ClusterRole") => {
            round_trip::<rbac::v1::ClusterRole>(object)
        }
        ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding") => {
            round_trip::<rbac::v1::ClusterRoleBinding>(object)
        }
        ("networking.k8s.io/v1", "Ingress") => round_trip::<networking::v1::Ingress>(object),
        ("networking.k8s.io/v1", "NetworkPolicy") => {
            round_trip::<networking::v1::NetworkPolicy>(object)
        }
        ("apiextensions.k8s.io/v1", "CustomResourceDefinition") => {
            use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1 as apiextensions;
            round_trip::<apiextensions::CustomResourceDefinition>(object)
        }
        ("v1", "Pod") => round_trip::<core::v1::Pod>(object),
        ("policy/v1", "PodDisruptionBudget") => {
            round_trip::<policy::v1::PodDisruptionBudget>(object)
        }
        _ => return None,
    })
}

fn round_trip<T: DeserializeOwned + Serialize>(object: &Value) -> Result<(), Vec<String>> {
    let name = object
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("?");
    let kind = object.get("kind").and_then(Value::as_str).unwrap_or("?");
    let typed: T = serde_path_to_error::deserialize(object.clone())
        .map_err(|e| vec![format!("{kind}/{name}: {}: {}", e.path(), e.inner())])?;
    let back = serde_json::to_value(&typed).map_err(|e| vec![format!("{kind}/{name}: {e}")])?;
    let mut errors = Vec::new();
    missing(object, &back, String::new(), &mut errors);
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors
            .into_iter()
            .map(|e| format!("{kind}/{name}: {e}"))
            .collect())
    }
}

/// Paths of `original` that the round trip lost or changed.
fn missing(original: &Value, back: &Value, path: String, errors: &mut Vec<String>) {
    match (original, back) {
        (Value::Object(a), Value::Object(b)) => {
            for (key, value) in a {
                let here = format!("{path}/{key}");
                match b.get(key) {
                    Some(other) => missing(value, other, here, errors),
                    // An empty object or list may be omitted by the typed writer.
                    None if value.as_object().is_some_and(|o| o.is_empty())
                        || value.as_array().is_some_and(|l| l.is_empty())
                        || value.is_null() => {}
                    None => errors.push(format!("{here}: unknown field")),
                }
            }
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                missing(x, y, format!("{path}/{i}"), errors);
            }
        }
        (a, b) if a == b => {}
        // Typed float fields (a CRD schema's `minimum`) write 31 back as 31.0.
        (Value::Number(a), Value::Number(b)) if a.as_f64() == b.as_f64() => {}
        (a, b) => errors.push(format!("{path}: {a} came back as {b}")),
    }
}
