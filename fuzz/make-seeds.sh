#!/usr/bin/env bash
# Writes the seed corpus of the fuzz targets into fuzz/seeds/ from the crate's own examples, so
# the seeds follow the examples as they change: every example stack as a ResourceList's
# functionConfig (and as an item), the golden expansions as the items of a later run, and a few
# hostile shapes. Run from anywhere; CI runs it before the bounded fuzz runs.
set -euo pipefail
cd "$(dirname "$0")/.."
out=fuzz/seeds/process_bytes
rm -rf "$out" && mkdir -p "$out"

header='apiVersion: config.kubernetes.io/v1
kind: ResourceList'
indent() { sed 's/^/  /' "$1"; }
# A YAML stream (`---` separated, `# file:` headers) as list entries.
as_items() {
  awk 'BEGIN { start = 1 }
       /^# file:/ || /^---$/ { start = 1; next }
       { if (start) { print "- " $0; start = 0 } else { print "  " $0 } }' "$1"
}

for stack in krm/examples/*.yaml krm/kustomize/*/stack.yaml; do
  name=$(echo "$stack" | tr '/' '_' | sed 's/\.yaml$//')
  { echo "$header"; echo "items: []"; echo "functionConfig:"; indent "$stack"; } >"$out/config-$name.yaml"
  { echo "$header"; echo "items:"; as_items "$stack"; } >"$out/item-$name.yaml"
done

for golden in minimal grafana-alerting seed-flat; do
  case $golden in
    seed-flat) stack=krm/kustomize/legacy-plugin/stack.yaml ;;
    *) stack=krm/examples/$golden.yaml ;;
  esac
  { echo "$header"; echo "items:"; as_items "tests/golden/$golden.yaml"
    echo "functionConfig:"; indent "$stack"; } >"$out/rerun-$golden.yaml"
done

printf '%s\n' '{"apiVersion":"config.kubernetes.io/v1","kind":"ResourceList","items":[{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a"},"data":{"k":"yes"}}],"functionConfig":{"apiVersion":"monitoring-stack.dev/v1alpha1","kind":"MonitoringStack","metadata":{"name":"main"},"spec":{"grafana":{"hostname":"g.example.com"}}}}' >"$out/json.json"
printf '%s\n' 'apiVersion: config.kubernetes.io/v1' 'kind: ResourceList' 'items:' '- &a {apiVersion: v1, kind: ConfigMap, metadata: {name: a}, data: {x: &b [1, 2, *b]}}' '- *a' >"$out/aliases.yaml"
printf '%s\n' 'apiVersion: config.kubernetes.io/v1' 'kind: ResourceList' 'items:' '- apiVersion: v1' '  kind: ConfigMap' '  metadata: {name: a, name: b}' >"$out/duplicate-key.yaml"
printf '%s\n' 'apiVersion: config.kubernetes.io/v1' 'kind: ResourceList' 'items:' '- apiVersion: v1' '	kind: ConfigMap' >"$out/tab.yaml"
printf '%s\n' 'apiVersion: config.kubernetes.io/v1' 'kind: ResourceList' 'items: []' '---' 'kind: ResourceList' >"$out/two-documents.yaml"
printf '%s\n' 'apiVersion: config.kubernetes.io/v1' 'kind: ResourceList' 'items:' '- !tagged {apiVersion: v1, kind: ConfigMap, metadata: {name: t}}' '- {? [complex, key] : v, 1: one, true: t, null: n, 1.5: f, "": e}' '- [[[[[[]]]]]]' '- 99999999999999999999999' >"$out/odd-nodes.yaml"
echo "fuzz seeds: $(ls "$out" | wc -l) files in $out"
