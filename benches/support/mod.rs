//! Benchmark inputs, shared by the criterion benches (`benches/process.rs`) and the
//! whole-process script (`bench/run.sh`, through `benches/inputs.rs`).
//!
//! The mix is what a package of application manifests holds: a third each of Deployments
//! (with a flow-style `args` list), ConfigMaps with multi-line data (a script and a properties
//! file) and custom resources (a cert-manager `Certificate`, a `ServiceMonitor`), some with
//! comments and quoted values as people write them. Objects average about 410 bytes, so a
//! 10 MB ResourceList holds about 25,000 of them. Every object is unique (name, namespace).

#![allow(dead_code)] // each bench target uses a part

use std::fmt::Write as _;
use std::path::Path;

/// The minimal stack (krm/examples/minimal.yaml): the functionConfig of every benchmark list.
pub const MINIMAL_STACK: &str = "apiVersion: monitoring-stack.dev/v1alpha1
kind: MonitoringStack
metadata:
  name: main
spec:
  grafana:
    hostname: grafana.example.com
";

/// Small ConfigMap `i` (about 190 bytes): the compact list that fits 100,000 objects under the
/// 32 MiB input limit, for the growth measurement from 1,000 to 100,000 objects.
pub fn compact_object(i: usize) -> String {
    format!(
        "apiVersion: v1
kind: ConfigMap
metadata:
  name: flags-{i}
  namespace: team-{ns}
  labels:
    app.kubernetes.io/name: flags-{i}
data:
  enabled: \"yes\"
  level: info
",
        ns = i % 37
    )
}

/// `n` compact objects and the minimal stack as functionConfig.
pub fn compact_resource_list(n: usize) -> String {
    list_of(n, compact_object)
}

/// Object `i` of the mix, as a YAML document at column 0 (no `---`).
pub fn object(i: usize) -> String {
    let namespace = format!("team-{}", i % 37);
    let mut text = String::with_capacity(512);
    match i % 3 {
        0 => {
            let _ = write!(
                text,
                "apiVersion: apps/v1
kind: Deployment
metadata:
  name: app-{i}
  namespace: {namespace}
  labels:
    app.kubernetes.io/name: app-{i}
spec:
  replicas: {replicas}
  selector:
    matchLabels:
      app.kubernetes.io/name: app-{i}
  template:
    metadata:
      labels:
        app.kubernetes.io/name: app-{i}
    spec:
      containers:
      - name: app
        image: registry.example.com/shop/app:1.{minor}.0
        args: [\"--port\", \"8080\"]
        ports:
        - containerPort: 8080
        resources:
          limits:
            memory: 256Mi
",
                replicas = 1 + i % 3,
                minor = i % 50,
            );
        }
        1 => {
            let _ = write!(
                text,
                "apiVersion: v1
kind: ConfigMap
metadata:
  name: settings-{i}
  namespace: {namespace}
data:
  enabled: \"yes\"
  start.sh: |
    #!/bin/sh
    exec /app --config /etc/app/app.properties
  app.properties: |
    port=8080
    pool.size={pool}
    feature.flags=a,b
",
                pool = 4 + i % 8,
            );
        }
        _ if i % 2 == 0 => {
            let _ = write!(
                text,
                "# TLS for the public endpoint
apiVersion: cert-manager.io/v1
kind: Certificate
metadata:
  name: web-{i}
  namespace: {namespace}
spec:
  secretName: web-{i}-tls
  dnsNames:
  - web-{i}.example.com
  issuerRef:
    kind: ClusterIssuer
    name: letsencrypt
"
            );
        }
        _ => {
            let _ = write!(
                text,
                "apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata:
  name: app-{i}
  namespace: {namespace}
spec:
  selector:
    matchLabels:
      app.kubernetes.io/name: app-{i}
  endpoints:
  - port: http
    interval: 30s # scrape often
"
            );
        }
    }
    text
}

/// A ResourceList of `n` objects of the mix plus the minimal stack as functionConfig, in the
/// block style kpt and kustomize write (items at column 0, contents indented by two).
pub fn resource_list(n: usize) -> String {
    list_of(n, object)
}

/// `n` objects made by `make` and the minimal stack as functionConfig.
fn list_of(n: usize, make: fn(usize) -> String) -> String {
    let mut text = String::with_capacity(n * 430 + 512);
    text.push_str("apiVersion: config.kubernetes.io/v1\nkind: ResourceList\n");
    text.push_str(if n == 0 { "items: []\n" } else { "items:\n" });
    for i in 0..n {
        push_item(&mut text, &make(i));
    }
    text.push_str("functionConfig:\n");
    for line in MINIMAL_STACK.lines() {
        let _ = writeln!(text, "  {line}");
    }
    text
}

/// A ResourceList of about `bytes` bytes (whole objects).
pub fn resource_list_of_size(bytes: usize) -> (String, usize) {
    let mut n = bytes / 410;
    loop {
        let text = resource_list(n);
        if text.len() >= bytes || n == 0 {
            return (text, n);
        }
        n += (bytes - text.len()) / 400 + 1;
    }
}

/// The seed cluster's stack (krm/examples/seed.yaml) as the functionConfig of an empty list:
/// the function's full expansion with nothing to pass through.
pub fn seed_list() -> String {
    let seed = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("krm/examples/seed.yaml"),
    )
    .expect("krm/examples/seed.yaml");
    let mut text = String::from(
        "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: []\nfunctionConfig:\n",
    );
    for line in seed.lines() {
        if line.is_empty() {
            text.push('\n');
        } else {
            let _ = writeln!(text, "  {line}");
        }
    }
    text
}

/// Appends `document` as one `- ` item of a block sequence at column 0.
pub fn push_item(text: &mut String, document: &str) {
    for (index, line) in document.lines().enumerate() {
        text.push_str(if index == 0 {
            "- "
        } else if line.is_empty() {
            ""
        } else {
            "  "
        });
        text.push_str(line);
        text.push('\n');
    }
}

/// Writes a package of `n` objects: `DIR/objects-NNN.yaml` files of 10 objects each and a
/// `kustomization.yaml` listing them (for `kpt fn eval DIR` and `kubectl kustomize DIR`).
pub fn write_package(dir: &Path, n: usize) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let mut kustomization = String::from(
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nmetadata:\n  name: bench\n  annotations:\n    config.kubernetes.io/local-config: \"true\"\nresources:\n",
    );
    for file in 0..n.div_ceil(10) {
        let name = format!("objects-{file:04}.yaml");
        let mut text = String::new();
        for i in file * 10..(file * 10 + 10).min(n) {
            if i > file * 10 {
                text.push_str("---\n");
            }
            text.push_str(&object(i));
        }
        std::fs::write(dir.join(&name), text)?;
        let _ = writeln!(kustomization, "- {name}");
    }
    std::fs::write(dir.join("kustomization.yaml"), kustomization)
}

/// The pass-through inputs of `bench/run.sh` (issue 17): the same `n` objects of the mix, in
/// block style but for every `every`-th item, which is written in flow style, with an anchor
/// and alias, or with a quoted multi-line string, in turn (`every == 0`: block style only;
/// `one`: only the middle item is odd).
pub fn styled_resource_list(n: usize, every: usize, one: bool) -> String {
    let mut text = String::with_capacity(n * 430 + 512);
    text.push_str("apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n");
    for i in 0..n {
        let odd = if one {
            i == n / 2
        } else {
            every > 0 && i % every == every - 1
        };
        if odd {
            text.push_str(&odd_item(i, i / every.max(1)));
        } else {
            push_item(&mut text, &object(i));
        }
    }
    text.push_str("functionConfig:\n");
    for line in MINIMAL_STACK.lines() {
        let _ = writeln!(text, "  {line}");
    }
    text
}

/// An item the block scanner cannot follow: flow style, an anchor and alias, or a quoted
/// multi-line string (by `turn`).
fn odd_item(i: usize, turn: usize) -> String {
    match turn % 3 {
        0 => format!(
            "- {{apiVersion: v1, kind: ConfigMap, metadata: {{name: flow-{i}, namespace: team-{}}}, data: {{text: '{{a: 1, b: [x, y]}}'}}}}\n",
            i % 37
        ),
        1 => format!(
            "- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: alias-{i}\n    labels: &labels\n      app: web\n  data:\n    copy: *labels\n"
        ),
        _ => format!(
            "- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: quoted-{i}\n  data:\n    text: \"first line\n      second line\"\n"
        ),
    }
}

/// `text` (a YAML ResourceList) as JSON.
pub fn as_json(text: &str) -> String {
    let value: serde_json::Value = serde_yaml_ng::from_str(text).expect("yaml");
    serde_json::to_string(&value).expect("json")
}

/// Memory on error and full-read paths (issue 16, class 4b): one ConfigMap whose `data.a` is a
/// flow sequence of `n` scalars anchored `&a` and whose `data.b` uses `*a` `n` times, about
/// `5 n` bytes. Its expansion (`n²` nodes) is past the node budget: the run must fail with the
/// budget error without holding the document's events first.
pub fn alias_heavy_list(n: usize) -> String {
    let mut text = String::with_capacity(5 * n + 512);
    text.push_str("apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n");
    text.push_str(
        "- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: aliases\n  data:\n    a: &a [",
    );
    for i in 0..n {
        text.push_str(if i == 0 { "x" } else { ",x" });
    }
    text.push_str("]\n    b: [");
    for i in 0..n {
        text.push_str(if i == 0 { "*a" } else { ",*a" });
    }
    text.push_str("]\n");
    stack_config(&mut text);
    text
}

/// One unowned item (kind `Blob`) holding a flow sequence of `n` one-character scalars, next to
/// the minimal stack: within the node budget, so it passes through as its text.
pub fn flow_scalars_list(n: usize) -> String {
    let mut text = String::with_capacity(2 * n + 512);
    text.push_str("apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n");
    text.push_str(
        "- apiVersion: example.com/v1\n  kind: Blob\n  metadata:\n    name: scalars\n  data: [",
    );
    for i in 0..n {
        text.push_str(if i == 0 { "1" } else { ",1" });
    }
    text.push_str("]\n");
    stack_config(&mut text);
    text
}

/// The minimal stack as the list's functionConfig.
fn stack_config(text: &mut String) {
    text.push_str("functionConfig:\n");
    for line in MINIMAL_STACK.lines() {
        let _ = writeln!(text, "  {line}");
    }
}

/// `list` (a block-style ResourceList) with its last item's `kind` written twice: an error of
/// that item's own text.
pub fn with_duplicate_key_in_last_item(list: &str) -> String {
    let mut text = list.to_string();
    let last = text.rfind("\n- ").map_or(0, |at| at + 1);
    if let Some(kind) = text[last..].find("  kind:") {
        text.insert_str(last + kind, "  kind: Twice\n");
    }
    text
}
