//! Object storage through COSI, shared by Loki and Mimir: the `BucketClaim` and `BucketAccess`,
//! and the setup Job that reshapes COSI's credentials Secret into the S3 Secret the component's
//! config reads (`${S3_BUCKET}`, `${AWS_ACCESS_KEY_ID}`, ... expanded at start-up).

use super::object::object;
use super::Context;
use crate::json::json;
use crate::spec::{CosiApiVersion, StorageSpec};
use crate::versions;
use serde_yaml_ng::Value;

pub const COSI_GROUP: &str = "objectstorage.k8s.io";

/// The env var names the S3 Secret holds; Loki's and Mimir's configs refer to them as `${NAME}`.
pub mod env {
    pub const BUCKET: &str = "S3_BUCKET";
    /// `host[:port]`, no scheme: what Loki and Mimir take as `endpoint`.
    pub const ENDPOINT: &str = "S3_ENDPOINT";
    /// The endpoint as a URL, for clients that want one.
    pub const ENDPOINT_URL: &str = "S3_ENDPOINT_URL";
    pub const REGION: &str = "S3_REGION";
    /// `true` when the endpoint is plain http.
    pub const INSECURE: &str = "S3_INSECURE";
    pub const ACCESS_KEY_ID: &str = "AWS_ACCESS_KEY_ID";
    pub const SECRET_ACCESS_KEY: &str = "AWS_SECRET_ACCESS_KEY";

    /// `${NAME}` as the component config writes it.
    pub fn placeholder(name: &str) -> String {
        format!("${{{name}}}")
    }
}

/// One component's bucket: the names of everything the pattern creates.
pub struct Bucket<'a> {
    /// `loki` or `mimir`: prefixes every name.
    pub component: &'a str,
    pub namespace: &'a str,
    pub spec: &'a StorageSpec,
}

impl Bucket<'_> {
    pub fn cosi_secret(&self) -> String {
        format!("{}-cosi-credentials", self.component)
    }

    pub fn s3_secret(&self) -> String {
        format!("{}-s3-credentials", self.component)
    }

    fn setup_name(&self) -> String {
        format!("{}-s3-setup", self.component)
    }

    /// `BucketClaim` and `BucketAccess`, in the COSI API version the cluster's driver speaks.
    pub fn cosi_objects(&self, ctx: &Context) -> Vec<Value> {
        let name = self.component;
        let meta = || ctx.meta(name, Some(self.namespace));
        let protocol = "S3";
        let api_version = match self.spec.cosi_api_version {
            CosiApiVersion::V1alpha1 => "objectstorage.k8s.io/v1alpha1",
            CosiApiVersion::V1alpha2 => "objectstorage.k8s.io/v1alpha2",
        };
        // The claim has the same shape in both versions; the access changed.
        let claim = object(
            api_version,
            "BucketClaim",
            meta(),
            json!({ "spec": {
                "bucketClassName": self.spec.bucket_class,
                "protocols": [protocol],
            }}),
        );
        let access = match self.spec.cosi_api_version {
            CosiApiVersion::V1alpha1 => json!({ "spec": {
                "bucketClaimName": name,
                "bucketAccessClassName": self.spec.bucket_access_class,
                "credentialsSecretName": self.cosi_secret(),
                "protocol": protocol,
            }}),
            CosiApiVersion::V1alpha2 => json!({ "spec": {
                "bucketAccessClassName": self.spec.bucket_access_class,
                "bucketClaims": [{
                    "bucketClaimName": name,
                    "accessMode": "ReadWrite",
                    "accessSecretName": self.cosi_secret(),
                }],
                "protocol": protocol,
            }}),
        };
        vec![claim, object(api_version, "BucketAccess", meta(), access)]
    }

    /// The shell script of the setup Job (POSIX sh, kubectl and jq).
    pub fn setup_script(&self) -> String {
        let extract = match self.spec.cosi_api_version {
            // One key `BucketInfo` holding JSON (sidecar of COSI v0.2).
            CosiApiVersion::V1alpha1 => {
                r#"info() { jq -r --arg f "$1" '.data.BucketInfo // empty | @base64d | fromjson | getpath($f | split(".")) // empty' "$work/cosi.json"; }
bucket=$(info spec.bucketName)
endpoint=$(info spec.secretS3.endpoint)
region=$(info spec.secretS3.region)
access_key=$(info spec.secretS3.accessKeyID)
secret_key=$(info spec.secretS3.accessSecretKey)"#
            }
            // Flat COSI_S3_* keys.
            CosiApiVersion::V1alpha2 => {
                r#"info() { jq -r --arg k "$1" '.data[$k] // empty | @base64d' "$work/cosi.json"; }
bucket=$(info COSI_S3_BUCKET_ID)
endpoint=$(info COSI_S3_ENDPOINT)
region=$(info COSI_S3_REGION)
access_key=$(info COSI_S3_ACCESS_KEY_ID)
secret_key=$(info COSI_S3_ACCESS_SECRET_KEY)"#
            }
        };
        format!(
            r#"set -eu
# Reshape the COSI credentials Secret into the S3 Secret {component} reads. Idempotent: safe to re-run.
namespace={namespace}
cosi_secret={cosi_secret}
s3_secret={s3_secret}
attempts=${{SETUP_WAIT_ATTEMPTS:-{attempts}}}
work=${{SETUP_WORK_DIR:-/tmp}}

attempt=0
until kubectl get secret "$cosi_secret" -n "$namespace" -o json > "$work/cosi.json" 2>/dev/null; do
  attempt=$((attempt + 1))
  if [ "$attempt" -ge "$attempts" ]; then
    echo "error: Secret $cosi_secret did not appear in namespace $namespace (is the BucketAccess bound?)" >&2
    exit 1
  fi
  echo "waiting for Secret $cosi_secret ($attempt/$attempts)"
  sleep {sleep}
done

{extract}

# Values must be single lines: a trailing newline breaks the YAML config after env expansion.
clean() {{ printf '%s' "$1" | tr -d '\r\n'; }}
bucket=$(clean "$bucket"); endpoint=$(clean "$endpoint"); region=$(clean "$region")
access_key=$(clean "$access_key"); secret_key=$(clean "$secret_key")
for required in bucket endpoint access_key secret_key; do
  eval "value=\${{$required}}"
  if [ -z "$value" ]; then
    echo "error: Secret $cosi_secret has no $required (COSI API {api_version})" >&2
    exit 1
  fi
done
[ -n "$region" ] || region={fallback_region}

# S3 clients want host[:port] plus an insecure flag; COSI publishes a URL (or a bare host).
case "$endpoint" in
  http://*) host=${{endpoint#http://}}; insecure=true; url=$endpoint ;;
  https://*) host=${{endpoint#https://}}; insecure=false; url=$endpoint ;;
  *) host=$endpoint; insecure=false; url="https://$endpoint" ;;
esac
host=${{host%%/*}}

umask 077
cat > "$work/s3.env" <<EOF
{bucket_env}=$bucket
{endpoint_env}=$host
{url_env}=$url
{region_env}=$region
{insecure_env}=$insecure
{access_env}=$access_key
{secret_env}=$secret_key
EOF
kubectl create secret generic "$s3_secret" -n "$namespace" --from-env-file="$work/s3.env" \
  --dry-run=client -o yaml | kubectl apply -n "$namespace" -f -
rm -f "$work/s3.env" "$work/cosi.json"
echo "Secret $s3_secret is up to date"
"#,
            component = self.component,
            namespace = self.namespace,
            cosi_secret = self.cosi_secret(),
            s3_secret = self.s3_secret(),
            attempts = 120,
            sleep = 5,
            api_version = match self.spec.cosi_api_version {
                CosiApiVersion::V1alpha1 => "v1alpha1",
                CosiApiVersion::V1alpha2 => "v1alpha2",
            },
            fallback_region = self.spec.fallback_region,
            bucket_env = env::BUCKET,
            endpoint_env = env::ENDPOINT,
            url_env = env::ENDPOINT_URL,
            region_env = env::REGION,
            insecure_env = env::INSECURE,
            access_env = env::ACCESS_KEY_ID,
            secret_env = env::SECRET_ACCESS_KEY,
        )
    }

    /// ServiceAccount, Role, RoleBinding and Job of the credentials setup.
    pub fn setup_objects(&self, ctx: &Context) -> Vec<Value> {
        let name = self.setup_name();
        let meta = || ctx.meta(&name, Some(self.namespace));
        let service_account = object("v1", "ServiceAccount", meta(), json!({}));
        // Least privilege: read the one COSI Secret; get/patch/update the one S3 Secret. RBAC cannot
        // restrict `create` by name (the name is not known when a create is authorised), so create
        // is a rule of its own.
        let role = object(
            "rbac.authorization.k8s.io/v1",
            "Role",
            meta(),
            json!({ "rules": [
                { "apiGroups": [""], "resources": ["secrets"], "resourceNames": [self.cosi_secret()], "verbs": ["get"] },
                { "apiGroups": [""], "resources": ["secrets"], "resourceNames": [self.s3_secret()], "verbs": ["get", "patch", "update"] },
                { "apiGroups": [""], "resources": ["secrets"], "verbs": ["create"] },
            ]}),
        );
        let binding = object(
            "rbac.authorization.k8s.io/v1",
            "RoleBinding",
            meta(),
            json!({
                "roleRef": { "apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": name },
                "subjects": [{ "kind": "ServiceAccount", "name": name, "namespace": self.namespace }],
            }),
        );
        let image = self
            .spec
            .setup_image
            .as_ref()
            .map_or(versions::SETUP_JOB_IMAGE, |i| i.as_str());
        let job_spec = json!({
            "backoffLimit": 4,
            // Deleted a day after it finished; Flux then re-creates it on its next reconcile,
            // which refreshes the S3 Secret should COSI rotate the credentials.
            "ttlSecondsAfterFinished": 86400,
            "template": {
                "metadata": { "labels": { "app.kubernetes.io/name": name, "app.kubernetes.io/component": "s3-setup" } },
                "spec": {
                    "serviceAccountName": name,
                    "restartPolicy": "OnFailure",
                    "securityContext": {
                        "runAsNonRoot": true,
                        "runAsUser": 65534,
                        "runAsGroup": 65534,
                        "seccompProfile": { "type": "RuntimeDefault" },
                    },
                    "containers": [{
                        "name": "setup",
                        "image": image,
                        "command": ["/bin/sh", "-c", self.setup_script()],
                        "env": [{ "name": "HOME", "value": "/tmp" }],
                        "securityContext": {
                            "allowPrivilegeEscalation": false,
                            "readOnlyRootFilesystem": true,
                            "capabilities": { "drop": ["ALL"] },
                        },
                        "resources": {
                            "requests": { "cpu": "10m", "memory": "32Mi" },
                            "limits": { "cpu": "200m", "memory": "128Mi" },
                        },
                        "volumeMounts": [{ "name": "tmp", "mountPath": "/tmp" }],
                    }],
                    // Credentials pass through /tmp: keep it in memory, never on the node's disk.
                    "volumes": [{ "name": "tmp", "emptyDir": { "medium": "Memory", "sizeLimit": "16Mi" } }],
                },
            },
        });
        // Jobs are immutable: a changed Job gets a new name, so Flux prunes the old one and
        // runs the new one.
        let hash = short_hash(&crate::json::compact(&job_spec));
        let job_meta = ctx
            .meta(&format!("{name}-{hash}"), Some(self.namespace))
            .annotation("monitoring-stack.dev/job-hash", &hash);
        let job = object("batch/v1", "Job", job_meta, json!({ "spec": job_spec }));
        vec![service_account, role, binding, job]
    }
}

/// A component whose chart stores in a COSI bucket (Loki, Mimir): its folder holds the namespace,
/// `bucket.yaml` and `s3-setup.yaml`, and the HelmRelease waits in `release/` until the setup
/// Job has written the S3 Secret (a staged component).
pub struct StorageComponent<'a> {
    pub folder: &'static str,
    pub namespace: &'a str,
    pub chart: super::flux::PinnedChart,
    pub storage: &'a StorageSpec,
    pub extra: &'a crate::spec::ExtraValues,
}

impl StorageComponent<'_> {
    /// Builds the folder; `values` gets the bucket to point the chart at its S3 Secret.
    pub fn build(
        self,
        ctx: &Context,
        values: impl FnOnce(&Bucket) -> serde_json::Value,
    ) -> super::Component {
        let bucket = Bucket {
            component: self.folder,
            namespace: self.namespace,
            spec: self.storage,
        };
        let mut component = super::ChartFolder {
            folder: self.folder,
            namespace: self.namespace,
            chart: self.chart,
            values: values(&bucket),
            extra: self.extra,
            // The charts' ServiceMonitors (self-monitoring) need the CRDs.
            uses_monitor_crds: true,
            depends_on: Vec::new(),
            staged: true,
            pod_security: super::PodSecurity::Restricted,
        }
        .build(ctx);
        for object in bucket.cosi_objects(ctx) {
            component.push("bucket.yaml", object);
        }
        for object in bucket.setup_objects(ctx) {
            component.push("s3-setup.yaml", object);
        }
        component
    }
}

/// 8 hex digits of FNV-1a over `text`: stable across builds and platforms.
pub fn short_hash(text: &str) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in text.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{:08x}", hash >> 32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_is_stable_and_short() {
        assert_eq!(short_hash("a"), short_hash("a"));
        assert_ne!(short_hash("a"), short_hash("b"));
        assert_eq!(short_hash("").len(), 8);
    }
}
