"""Offline transform step of vendor.sh: raw upstream mixins -> what the stack embeds.

Reads <src>/raw/ (and <src>/local/, the stack's own dashboards) and writes into <out>:

- dashboards/<area>/<name>.json.gz: each dashboard, adapted, as compact JSON, gzip level 9 with
  mtime 0 (what a GrafanaDashboard's `gzipJson` carries, base64-encoded by the renderer);
- rules/<area>-<name>.json: the rule groups of each rule file, adapted, compact JSON (for review
  and the tests);
- vendored.rs: the catalogue the renderer includes: each dashboard (area, name, uid, title, its
  gzip file) and the rule groups as static Rust data (no JSON parser at render time).

What "adapted" means, all mechanical (no hand edits):
- datasources: every reference to a datasource template variable becomes our fixed uid
  (`mimir` for Prometheus-type variables, `loki` for Loki-type ones) and the datasource
  variables are removed, so a dashboard works at first login with nothing to pick;
- kube-prometheus' kubelet selectors become our collector's jobs:
  `job="kubelet", metrics_path="/metrics/cadvisor"` -> `job="cadvisor"` and
  `job="kubelet", metrics_path="/metrics"` -> `job="kubelet"` (alloy-metrics scrapes the two
  endpoints as two jobs, src/stack/alloy/metrics.rs);
- rules selecting a `job` the stack does not collect (the API server, scheduler, controller
  manager, kube-proxy: managed control planes hide them) are dropped, and with them every rule
  reading a series only a dropped rule records, until nothing changes;
- likewise rules about parts the stack does not run (NOT_DEPLOYED: the API server's SLI series,
  Mimir's memcached caches, remote ruler evaluation, KEDA autoscaling, the rollout-operator,
  which runs only with zone awareness).
"""

import gzip
import json
import os
import re
import sys

import yaml

# The jobs src/stack/ produces besides those named after a namespace/component (Loki, Mimir:
# their charts' ServiceMonitors relabel `job` to `<namespace>/<component>`).
COLLECTED_JOBS = {"kubelet", "cadvisor", "node-exporter", "kube-state-metrics"}

# Substrings of expressions about parts the stack does not deploy or scrape.
NOT_DEPLOYED = ["apiserver_", "memcached", "ruler-query-frontend", "keda_", "rollout_operator_"]

# area, name, raw path (relative to raw/ or local/)
DASHBOARDS = [
    ("kubernetes", "k8s-resources-cluster", "kube-prometheus/manifests/grafana-dashboardDefinitions.yaml"),
    ("kubernetes", "k8s-resources-namespace", None),
    ("kubernetes", "k8s-resources-node", None),
    ("kubernetes", "k8s-resources-pod", None),
    ("kubernetes", "k8s-resources-workload", None),
    ("kubernetes", "k8s-resources-workloads-namespace", None),
    ("kubernetes", "kubelet", None),
    ("kubernetes", "persistentvolumesusage", None),
    ("kubernetes", "cluster-total", None),
    ("kubernetes", "namespace-by-pod", None),
    ("kubernetes", "namespace-by-workload", None),
    ("kubernetes", "pod-total", None),
    ("kubernetes", "workload-total", None),
    ("nodes", "node-cluster-rsrc-use", None),
    ("nodes", "node-rsrc-use", None),
    ("nodes", "nodes", None),
    ("loki", "loki-operational", "loki/production/loki-mixin-compiled/dashboards/loki-operational.json"),
    ("loki", "loki-reads", "loki/production/loki-mixin-compiled/dashboards/loki-reads.json"),
    ("loki", "loki-writes", "loki/production/loki-mixin-compiled/dashboards/loki-writes.json"),
    ("loki", "loki-chunks", "loki/production/loki-mixin-compiled/dashboards/loki-chunks.json"),
    ("loki", "loki-retention", "loki/production/loki-mixin-compiled/dashboards/loki-retention.json"),
    ("mimir", "mimir-overview", "mimir/operations/mimir-mixin-compiled/dashboards/mimir-overview.json"),
    ("mimir", "mimir-writes", "mimir/operations/mimir-mixin-compiled/dashboards/mimir-writes.json"),
    ("mimir", "mimir-reads", "mimir/operations/mimir-mixin-compiled/dashboards/mimir-reads.json"),
    ("mimir", "mimir-queries", "mimir/operations/mimir-mixin-compiled/dashboards/mimir-queries.json"),
    ("mimir", "mimir-object-store", "mimir/operations/mimir-mixin-compiled/dashboards/mimir-object-store.json"),
    ("mimir", "mimir-compactor", "mimir/operations/mimir-mixin-compiled/dashboards/mimir-compactor.json"),
    ("mimir", "mimir-ruler", "mimir/operations/mimir-mixin-compiled/dashboards/mimir-ruler.json"),
    ("mimir", "mimir-tenants", "mimir/operations/mimir-mixin-compiled/dashboards/mimir-tenants.json"),
    ("alloy", "alloy-controller", "alloy/operations/alloy-mixin/rendered/dashboards/alloy-controller.json"),
    ("alloy", "alloy-cluster-overview", "alloy/operations/alloy-mixin/rendered/dashboards/alloy-cluster-overview.json"),
    ("alloy", "alloy-cluster-node", "alloy/operations/alloy-mixin/rendered/dashboards/alloy-cluster-node.json"),
    ("alloy", "alloy-loki", "alloy/operations/alloy-mixin/rendered/dashboards/alloy-loki.json"),
    ("alloy", "alloy-prometheus-remote-write", "alloy/operations/alloy-mixin/rendered/dashboards/alloy-prometheus-remote-write.json"),
    ("alloy", "alloy-resources", "alloy/operations/alloy-mixin/rendered/dashboards/alloy-resources.json"),
    ("stack", "stack-health", "local:stack-health.json"),
]

# area, name, raw path
RULES = [
    ("kubernetes", "kubernetes", "kube-prometheus/manifests/kubernetesControlPlane-prometheusRule.yaml"),
    ("kubernetes", "kube-state-metrics", "kube-prometheus/manifests/kubeStateMetrics-prometheusRule.yaml"),
    ("kubernetes", "general", "kube-prometheus/manifests/kubePrometheus-prometheusRule.yaml"),
    ("nodes", "node-exporter", "kube-prometheus/manifests/nodeExporter-prometheusRule.yaml"),
    ("loki", "loki-rules", "loki/production/loki-mixin-compiled/rules.yaml"),
    ("loki", "loki-alerts", "loki/production/loki-mixin-compiled/alerts.yaml"),
    ("mimir", "mimir-rules", "mimir/operations/mimir-mixin-compiled/rules.yaml"),
    ("mimir", "mimir-alerts", "mimir/operations/mimir-mixin-compiled/alerts.yaml"),
    ("alloy", "alloy-clustering", "alloy/operations/alloy-mixin/rendered/alerts/alloy_clustering.yaml"),
    ("alloy", "alloy-controller", "alloy/operations/alloy-mixin/rendered/alerts/alloy_controller.yaml"),
]

UIDS = {"prometheus": "mimir", "loki": "loki"}

KUBELET_REWRITES = [
    (re.compile(r'job="kubelet",\s*metrics_path="/metrics/cadvisor"'), 'job="cadvisor"'),
    (re.compile(r'job="kubelet",\s*metrics_path="/metrics"'), 'job="kubelet"'),
]


def rewrite_selectors(text):
    for pattern, repl in KUBELET_REWRITES:
        text = pattern.sub(repl, text)
    return text


def walk_strings(value, fn):
    if isinstance(value, dict):
        return {k: walk_strings(v, fn) for k, v in value.items()}
    if isinstance(value, list):
        return [walk_strings(v, fn) for v in value]
    if isinstance(value, str):
        return fn(value)
    return value


VAR = re.compile(r"^\$\{?([A-Za-z0-9_]+)(?::[a-z]+)?\}?$")


def bind_datasources(dashboard, where):
    templating = dashboard.get("templating", {}).get("list", [])
    kinds = {t["name"]: t.get("query") for t in templating if t.get("type") == "datasource"}
    dashboard.get("templating", {})["list"] = [t for t in templating if t.get("type") != "datasource"]

    def fixed(kind):
        if kind not in UIDS:
            raise SystemExit(f"{where}: datasource type {kind!r} has no uid of ours")
        return {"type": kind, "uid": UIDS[kind]}

    def bind(ref):
        if isinstance(ref, str):
            match = VAR.match(ref)
            if match and match.group(1) in kinds:
                return fixed(kinds[match.group(1)])
            return ref
        if isinstance(ref, dict):
            uid = ref.get("uid")
            if isinstance(uid, str):
                match = VAR.match(uid)
                if match and match.group(1) in kinds:
                    return fixed(ref.get("type") or kinds[match.group(1)])
        return ref

    def walk(value):
        if isinstance(value, dict):
            out = {}
            for key, item in value.items():
                out[key] = bind(item) if key == "datasource" else walk(item)
            return out
        if isinstance(value, list):
            return [walk(v) for v in value]
        return value

    return walk(dashboard)


def adapt_dashboard(dashboard, where):
    dashboard = walk_strings(dashboard, rewrite_selectors)
    dashboard = bind_datasources(dashboard, where)
    # Grafana assigns ids; a vendored one would clash.
    dashboard.pop("id", None)
    return dashboard


JOB_EQ = re.compile(r'job\s*=\s*"([^"]*)"')
METRIC = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")


def rule_jobs(expr):
    return set(JOB_EQ.findall(expr))


def adapt_rules(groups):
    groups = walk_strings(groups, rewrite_selectors)
    dropped_records = set()
    changed = True
    kept = groups
    while changed:
        changed = False
        out = []
        for group in kept:
            rules = []
            for rule in group.get("rules", []):
                expr = str(rule.get("expr", ""))
                foreign = rule_jobs(expr) - COLLECTED_JOBS
                foreign = {j for j in foreign if "/" not in j}
                reads_dropped = bool(set(METRIC.findall(expr)) & dropped_records)
                absent = any(part in expr for part in NOT_DEPLOYED)
                if foreign or reads_dropped or absent:
                    if "record" in rule:
                        dropped_records.add(rule["record"])
                    changed = True
                    continue
                rules.append(rule)
            if rules:
                out.append({**group, "rules": rules})
            else:
                changed = True
        kept = out
        # A record dropped in one group can still be recorded by a kept rule elsewhere.
        recorded = {r["record"] for g in kept for r in g["rules"] if "record" in r}
        dropped_records -= recorded
    return kept


def load_dashboards(src):
    definitions = yaml.safe_load(open(os.path.join(src, "raw", DASHBOARDS[0][2])))
    kube = {}
    for item in definitions["items"]:
        for key, text in item["data"].items():
            kube[key[: -len(".json")]] = json.loads(text)
    for area, name, path in DASHBOARDS:
        if path is None or path.endswith(".yaml"):
            yield area, name, kube[name]
        elif path.startswith("local:"):
            yield area, name, json.load(open(os.path.join(src, "local", path[len("local:"):])))
        else:
            yield area, name, json.load(open(os.path.join(src, "raw", path)))


def load_rules(path):
    doc = yaml.safe_load(open(path))
    if doc.get("kind") == "PrometheusRule":
        return doc["spec"]["groups"]
    return doc["groups"]


def rust_str(text):
    """A Rust string literal of `text`."""
    out = []
    for c in text:
        if c in '"\\':
            out.append("\\" + c)
        elif c == "\n":
            out.append("\\n")
        elif c == "\t":
            out.append("\\t")
        elif c == "\r":
            out.append("\\r")
        elif ord(c) < 0x20 or ord(c) == 0x7F:
            out.append("\\u{%x}" % ord(c))
        else:
            out.append(c)
    return '"' + "".join(out) + '"'


def compact(value):
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def main(src, out):
    catalogue = []
    for area, name, dashboard in load_dashboards(src):
        adapted = adapt_dashboard(dashboard, f"{area}/{name}")
        os.makedirs(os.path.join(out, "dashboards", area), exist_ok=True)
        path = os.path.join("dashboards", area, name + ".json.gz")
        with open(os.path.join(out, path), "wb") as f:
            f.write(gzip.compress(compact(adapted), compresslevel=9, mtime=0))
        catalogue.append(("Dashboard", area, name, adapted.get("uid", name), adapted.get("title", name), path))
    os.makedirs(os.path.join(out, "rules"), exist_ok=True)
    for area, name, path in RULES:
        groups = adapt_rules(load_rules(os.path.join(src, "raw", path)))
        rel = os.path.join("rules", f"{area}-{name}.json")
        with open(os.path.join(out, rel), "wb") as f:
            f.write(compact({"groups": groups}))
        catalogue.append(("Rules", area, name, "", "", rel))

    lines = [
        "// Generated by vendor/mixins/transform.py: do not edit.",
        "",
        "pub static DASHBOARDS: &[VendoredDashboard] = &[",
    ]
    for kind, area, name, uid, title, path in catalogue:
        if kind == "Dashboard":
            lines.append(
                f"    VendoredDashboard {{ area: Area::{area.capitalize()}, name: {json.dumps(name)}, "
                f"uid: {json.dumps(uid)}, title: {json.dumps(title)}, "
                f"gzip: include_bytes!({json.dumps(path)}) }},"
            )
    lines.append("];")
    lines.append("")
    lines.append("pub static RULES: &[VendoredRules] = &[")
    for kind, area, name, _, _, path in catalogue:
        if kind != "Rules":
            continue
        groups = json.load(open(os.path.join(out, path)))["groups"]
        lines.append(f"    VendoredRules {{ area: Area::{area.capitalize()}, name: {rust_str(name)}, groups: &[")
        for group in groups:
            unknown = set(group) - {"name", "rules"}
            if unknown:
                raise SystemExit(f"{path}: group fields {unknown} are not carried over")
            lines.append(f"        VendoredGroup {{ name: {rust_str(group['name'])}, rules: &[")
            for rule in group["rules"]:
                unknown = set(rule) - {"record", "alert", "expr", "for", "labels", "annotations"}
                if unknown:
                    raise SystemExit(f"{path}: rule fields {unknown} are not carried over")
                pairs = lambda key: "&[" + ", ".join(
                    f"({rust_str(k)}, {rust_str(v)})" for k, v in rule.get(key, {}).items()
                ) + "]"
                lines.append(
                    f"            VendoredRule {{ record: {rust_str(rule.get('record', ''))}, "
                    f"alert: {rust_str(rule.get('alert', ''))}, expr: {rust_str(str(rule['expr']))}, "
                    f"for_: {rust_str(rule.get('for', ''))}, labels: {pairs('labels')}, "
                    f"annotations: {pairs('annotations')} }},"
                )
            lines.append("        ] },")
        lines.append("    ] },")
    lines.append("];")
    with open(os.path.join(out, "vendored.rs"), "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
