//! Pod Security "restricted" (https://kubernetes.io/docs/concepts/security/pod-security-standards/),
//! every control of the baseline and restricted levels, checked on a Pod spec (JSON).

use serde_json::Value;

fn get<'a>(value: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(value, |v, key| v.get(*key))
}

fn text<'a>(value: &'a Value, path: &[&str]) -> Option<&'a str> {
    get(value, path)?.as_str()
}

/// The Pod spec of a workload object (`Pod`, the template of a Deployment, StatefulSet,
/// DaemonSet, ReplicaSet or Job, a CronJob's job template, the `Grafana` CR's deployment
/// overlay, which the grafana-operator merges into Grafana's Deployment).
pub fn pod_spec(object: &Value) -> Option<&Value> {
    match object.get("kind").and_then(Value::as_str)? {
        "Pod" => object.get("spec"),
        "Job" | "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet" => {
            get(object, &["spec", "template", "spec"])
        }
        "CronJob" => get(object, &["spec", "jobTemplate", "spec", "template", "spec"]),
        "Grafana" => get(object, &["spec", "deployment", "spec", "template", "spec"]),
        _ => None,
    }
}

/// Every container of a Pod spec (init and ephemeral ones too).
pub fn containers(pod: &Value) -> impl Iterator<Item = &Value> {
    ["initContainers", "containers", "ephemeralContainers"]
        .into_iter()
        .filter_map(|k| pod.get(k).and_then(Value::as_array))
        .flatten()
}

const ALLOWED_VOLUMES: &[&str] = &[
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "persistentVolumeClaim",
    "projected",
    "secret",
];

/// What keeps a pod spec from meeting "restricted"; empty when it does. Checks every control
/// of the baseline and restricted levels.
pub fn restricted_violations(pod: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    for host in ["hostNetwork", "hostPID", "hostIPC"] {
        if pod.get(host).and_then(Value::as_bool) == Some(true) {
            problems.push(format!("{host}: true"));
        }
    }
    if pod.get("hostUsers").and_then(Value::as_bool) == Some(false) {
        // Allowed (a user namespace is stricter); nothing to report.
    }
    for volume in pod
        .get("volumes")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let kinds: Vec<&str> = volume
            .as_object()
            .into_iter()
            .flat_map(|m| m.keys())
            .map(String::as_str)
            .filter(|k| *k != "name")
            .collect();
        if kinds.iter().any(|k| !ALLOWED_VOLUMES.contains(k)) {
            problems.push(format!("volume type {kinds:?} is not allowed"));
        }
    }
    let pod_context = pod.get("securityContext");
    let pod_field = |path: &[&str]| pod_context.and_then(|c| get(c, path));
    if let Some(sysctls) = pod_field(&["sysctls"]).and_then(Value::as_array) {
        if !sysctls.is_empty() {
            problems.push("sysctls are set".into());
        }
    }
    let containers: Vec<&Value> = containers(pod).collect();
    if containers.is_empty() {
        problems.push("no containers to check".into());
    }
    for container in containers {
        let name = text(container, &["name"]).unwrap_or("?");
        let context = container.get("securityContext");
        let field = |path: &[&str]| context.and_then(|c| get(c, path));
        let mut bad = |what: String| problems.push(format!("container {name}: {what}"));
        if field(&["privileged"]).and_then(Value::as_bool) == Some(true) {
            bad("privileged".into());
        }
        if field(&["allowPrivilegeEscalation"]).and_then(Value::as_bool) != Some(false) {
            bad("allowPrivilegeEscalation is not false".into());
        }
        let drops: Vec<&str> = field(&["capabilities", "drop"])
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        if !drops.contains(&"ALL") {
            bad("capabilities do not drop ALL".into());
        }
        for added in field(&["capabilities", "add"])
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            if added != "NET_BIND_SERVICE" {
                bad(format!("adds capability {added}"));
            }
        }
        let non_root = field(&["runAsNonRoot"])
            .or_else(|| pod_field(&["runAsNonRoot"]))
            .and_then(Value::as_bool);
        if non_root != Some(true) {
            bad("runAsNonRoot is not true (container or pod)".into());
        }
        for user in [field(&["runAsUser"]), pod_field(&["runAsUser"])]
            .into_iter()
            .flatten()
        {
            if user.as_u64() == Some(0) {
                bad("runAsUser: 0".into());
            }
        }
        let seccomp = field(&["seccompProfile", "type"])
            .or_else(|| pod_field(&["seccompProfile", "type"]))
            .and_then(Value::as_str);
        if !matches!(seccomp, Some("RuntimeDefault" | "Localhost")) {
            bad(format!("seccompProfile is {seccomp:?}, not RuntimeDefault"));
        }
        for port in container
            .get("ports")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if port.get("hostPort").and_then(Value::as_u64).unwrap_or(0) != 0 {
                bad("uses a hostPort".into());
            }
        }
        if field(&["procMount"])
            .and_then(Value::as_str)
            .unwrap_or("Default")
            != "Default"
        {
            bad("procMount is not Default".into());
        }
        if field(&["windowsOptions", "hostProcess"]).and_then(Value::as_bool) == Some(true) {
            bad("hostProcess".into());
        }
    }
    problems
}
