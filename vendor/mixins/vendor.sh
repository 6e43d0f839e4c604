#!/bin/sh
# Re-vendors the upstream compiled mixins (SOURCES.md) in two steps:
#
#   vendor/mixins/vendor.sh fetch      copies the pinned files out of local git mirrors into raw/
#                                     (MIRRORS, default /work/.mirror: <owner>+<repo>/repo, as the
#                                     search tool's fetch leaves them; any clone with the tags works)
#   vendor/mixins/vendor.sh transform  offline: raw/ -> dashboards/, rules/, vendored.rs (adapted to
#                                     the stack's labels; transform.py says what changes)
#
# Without an argument it runs both. tests/mixins.rs runs the transform step into a scratch
# directory and fails when the committed output differs from what it produces.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
MIRRORS=${MIRRORS:-/work/.mirror}
# The tags are the `dashboards:` pins of versions.yaml (Renovate bumps them there).
pin() { sed -n "s/^  $1: \([^ #]*\).*/\1/p" "$here/../../versions.yaml"; }

# repo-dir tag path... (the pins; SOURCES.md records the same with their commits and licenses)
fetch() {
  dir=$1 tag=$2 out=$3
  shift 3
  git_dir="$MIRRORS/$dir/repo"
  commit=$(git --git-dir="$git_dir" rev-parse "$tag^{commit}")
  for path in "$@"; do
    mkdir -p "$here/raw/$out/$(dirname "$path")"
    git --git-dir="$git_dir" show "$commit:$path" > "$here/raw/$out/$path"
  done
  echo "$out $tag $commit" >&2
}

do_fetch() {
  rm -rf "$here/raw"
  fetch prometheus-operator+kube-prometheus "$(pin kube-prometheus)" kube-prometheus \
    LICENSE \
    manifests/grafana-dashboardDefinitions.yaml \
    manifests/kubernetesControlPlane-prometheusRule.yaml \
    manifests/kubePrometheus-prometheusRule.yaml \
    manifests/kubeStateMetrics-prometheusRule.yaml \
    manifests/nodeExporter-prometheusRule.yaml
  loki=production/loki-mixin-compiled
  fetch grafana+loki "$(pin loki-mixin)" loki \
    LICENSING.md \
    $loki/rules.yaml $loki/alerts.yaml \
    $loki/dashboards/loki-operational.json $loki/dashboards/loki-reads.json \
    $loki/dashboards/loki-writes.json $loki/dashboards/loki-chunks.json \
    $loki/dashboards/loki-retention.json
  # grafana/mimir is over the mirror size limit: NGDATA/mimir is a fork carrying the upstream tag.
  mimir=operations/mimir-mixin-compiled
  fetch NGDATA+mimir "$(pin mimir-mixin)" mimir \
    operations/LICENSE_APACHE2 \
    $mimir/rules.yaml $mimir/alerts.yaml \
    $mimir/dashboards/mimir-overview.json $mimir/dashboards/mimir-writes.json \
    $mimir/dashboards/mimir-reads.json $mimir/dashboards/mimir-queries.json \
    $mimir/dashboards/mimir-object-store.json $mimir/dashboards/mimir-compactor.json \
    $mimir/dashboards/mimir-ruler.json $mimir/dashboards/mimir-tenants.json
  # The Alloy mixin is jsonnet; upstream commits its compiled output (rendered/, `make
  # generate-rendered-mixin`), which is what is vendored: no jsonnet toolchain needed here.
  alloy=operations/alloy-mixin/rendered
  fetch grafana+alloy "$(pin alloy-mixin)" alloy \
    LICENSE \
    $alloy/alerts/alloy_clustering.yaml $alloy/alerts/alloy_controller.yaml \
    $alloy/dashboards/alloy-controller.json $alloy/dashboards/alloy-cluster-overview.json \
    $alloy/dashboards/alloy-cluster-node.json $alloy/dashboards/alloy-loki.json \
    $alloy/dashboards/alloy-prometheus-remote-write.json \
    $alloy/dashboards/alloy-resources.json
}

case "${1:-all}" in
  fetch) do_fetch ;;
  transform) python3 "$here/transform.py" "$here" "${2:-$here}" ;;
  all) do_fetch; python3 "$here/transform.py" "$here" "$here" ;;
  *) echo "usage: $0 [fetch|transform [out-dir]]" >&2; exit 2 ;;
esac
