#!/usr/bin/env bash
# Whole-process benchmarks of monitoring-stack; prints the tables of PERFORMANCE.md, every ratio
# measured side by side in this one run. Run by hand, not by CI:
#
#   bench/run.sh [WORKDIR]          (inputs, captures and hyperfine CSVs are kept in WORKDIR)
#
# Needs, besides the README's set-up (Rust toolchain, kpt, kubectl):
#   hyperfine   Debian: apt-get install hyperfine
#   GNU time    /usr/bin/time, for peak memory (max RSS); Debian: apt-get install time
# Optional: node with the wasm builds (wasm/build.sh: target/wasm/monitoring-stack.wasm for kpt,
# wasm/pkg/ for the npm package, and WASM_PROFILE=wasm-fast wasm/build.sh npm for
# target/wasm/pkg-fast/); their rows say so when they are missing.
# It installs nothing. Timings are noisy on a shared machine: run it when `uptime` is low.
#
# Environment: RUNS (hyperfine runs per command, default 10; kpt and kustomize rows use
# RUNS/2, at least 3), QUICK=1 (skips the 2,000-object kpt/kustomize rows).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

missing=()
command -v hyperfine >/dev/null || missing+=("hyperfine (Debian: apt-get install hyperfine)")
[ -x /usr/bin/time ] || missing+=("GNU time at /usr/bin/time (Debian: apt-get install time)")
command -v kpt >/dev/null || missing+=("kpt (see the README)")
command -v kubectl >/dev/null || missing+=("kubectl (see the README)")
if [ ${#missing[@]} -gt 0 ]; then
    printf 'bench/run.sh needs: %s\n' "${missing[@]}" >&2
    exit 2
fi

work=${1:-$(mktemp -d -t monitoring-stack-bench.XXXXXX)}
mkdir -p "$work"
work=$(cd "$work" && pwd)
runs=${RUNS:-10}
slow_runs=$((runs / 2 > 3 ? runs / 2 : 3))

echo "building the release binary and the inputs (in $work) ..." >&2
cargo build --release --locked --quiet --bin monitoring-stack
bin=$root/target/release/monitoring-stack
in=$work/in
rm -rf "$in"
BENCH_OUT=$in cargo test --locked --quiet --bench inputs >/dev/null
# The same 10 MB list with a tag directive first: read by the full parser, every item re-written
# (what every input cost before the fast path). Behind a `%YAML` directive it is scanned.
{ printf '%%TAG !e! tag:example.com,2000:\n---\n'; cat "$in/list-10mb.yaml"; } >"$in/list-10mb-full.yaml"
{ printf '%%YAML 1.1\n---\n'; cat "$in/list-10mb.yaml"; } >"$in/list-10mb-yaml11.yaml"

# median_seconds NAME RUNS COMMAND [HYPERFINE OPTIONS]: hyperfine's median, CSV kept as
# WORKDIR/NAME.csv.
median_seconds() {
    hyperfine --style none --warmup 1 --runs "$2" --export-csv "$work/$1.csv" "${@:4}" "$3" >/dev/null
    awk -F, 'NR == 2 { print $4 }' "$work/$1.csv"
}
# rss_mb COMMAND: peak resident memory of the command's process tree, in MB.
rss_mb() {
    /usr/bin/time -f %M -o "$work/rss" sh -c "$1" >/dev/null 2>&1 || true
    tail -1 "$work/rss" | awk '{ printf "%.1f", $1 / 1024 }'
}
# cpu_seconds NAME: mean user + system time of the last median_seconds NAME (less sensitive
# than wall time to other work on the machine).
cpu_seconds() { awk -F, 'NR == 2 { print $5 + $6 }' "$work/$1.csv"; }
bytes() { wc -c <"$1" | tr -d ' '; }
ms() { awk -v s="$1" 'BEGIN { printf "%.1f", s * 1000 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
mbps() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", n / s / 1e6 }'; }

load=$(cut -d' ' -f1-3 /proc/loadavg)
echo "## monitoring-stack benchmarks"
echo
echo "$(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')),"
echo "load average at start: $load; $(kpt version 2>/dev/null | head -1 | sed 's/^/kpt /'),"
echo "$(kubectl version --client 2>/dev/null | head -2 | tr '\n' ' '); hyperfine $(hyperfine --version | cut -d' ' -f2); medians of $runs runs."
echo

echo "### The function against the I/O floor and the full parser"
echo
echo "| input | command | median | throughput | vs cat | CPU (user+sys) | CPU throughput | max RSS | RSS / input |"
echo "|---|---|---|---|---|---|---|---|---|"
seed_s=$(median_seconds seed "$runs" "$bin < $in/seed.yaml > /dev/null")
echo "| seed stack (empty list) | \`monitoring-stack\` | $(ms "$seed_s") ms | | | $(ms "$(cpu_seconds seed)") ms | | $(rss_mb "$bin < $in/seed.yaml") MB | |"
size=$(bytes "$in/list-10mb.yaml")
count=$(cat "$in/list-10mb.count")
cat_s=$(median_seconds cat-10mb "$runs" "cat $in/list-10mb.yaml > /dev/null")
fast_s=$(median_seconds fast-10mb "$runs" "$bin < $in/list-10mb.yaml > /dev/null")
full_s=$(median_seconds full-10mb "$slow_runs" "$bin < $in/list-10mb-full.yaml > /dev/null")
fast_rss=$(rss_mb "$bin < $in/list-10mb.yaml")
full_rss=$(rss_mb "$bin < $in/list-10mb-full.yaml")
input_mb=$(awk -v n="$size" 'BEGIN { printf "%.1f", n / 1048576 }')
fast_cpu=$(cpu_seconds fast-10mb)
full_cpu=$(cpu_seconds full-10mb)
echo "| 10 MB list, $count objects | \`cat\` | $(ms "$cat_s") ms | $(mbps "$size" "$cat_s") MB/s | 1.00 | $(ms "$(cpu_seconds cat-10mb)") ms | | $(rss_mb "cat $in/list-10mb.yaml") MB | |"
echo "| same | \`monitoring-stack\` (fast path) | $(ms "$fast_s") ms | $(mbps "$size" "$fast_s") MB/s | $(ratio "$fast_s" "$cat_s") | $(ms "$fast_cpu") ms | $(mbps "$size" "$fast_cpu") MB/s | $fast_rss MB | $(ratio "$fast_rss" "$input_mb") |"
echo "| same, read in full (\`%TAG\` first) | \`monitoring-stack\` (full parser) | $(ms "$full_s") ms | $(mbps "$size" "$full_s") MB/s | $(ratio "$full_s" "$cat_s") | $(ms "$full_cpu") ms | $(mbps "$size" "$full_cpu") MB/s | $full_rss MB | $(ratio "$full_rss" "$input_mb") |"
echo

echo "### Pass-through of items the function does not own, by style"
echo
echo "30,000 objects of the mix (the same objects in each input) and the minimal stack: in kpt's"
echo "block style; with one flow item in the middle; with every tenth item in flow style, with an"
echo "anchor and alias, or with a quoted multi-line string; as a JSON ResourceList. Goal (issue 17):"
echo "at least 100 MB/s and at most 3x the input + 20 MB of memory for each."
echo
echo "| input | size | \`cat\` | \`monitoring-stack\` | throughput | vs cat | max RSS | RSS / input | goal |"
echo "|---|---|---|---|---|---|---|---|---|"
for case in block:passthrough-block.yaml one-flow:passthrough-one-flow.yaml \
    10pct:passthrough-10pct.yaml json:passthrough-json.json; do
    name=${case%%:*}
    file=$in/${case#*:}
    size=$(bytes "$file")
    c_s=$(median_seconds "cat-$name" "$runs" "cat $file > /dev/null")
    f_s=$(median_seconds "pass-$name" "$runs" "$bin < $file > /dev/null")
    rss=$(rss_mb "$bin < $file")
    mb=$(awk -v n="$size" 'BEGIN { printf "%.1f", n / 1048576 }')
    goal=$(awk -v n="$size" -v s="$f_s" -v r="$rss" -v m="$mb" \
        'BEGIN { print ((n / s / 1e6 >= 100 && r <= 3 * m + 20) ? "met" : "missed") }')
    echo "| $name | $mb MiB | $(ms "$c_s") ms | $(ms "$f_s") ms | $(mbps "$size" "$f_s") MB/s | $(ratio "$f_s" "$c_s") | $rss MB | $(ratio "$rss" "$mb") | $goal |"
done
echo

echo "### Memory on error and full-read paths (issue 16)"
echo
echo "Inputs that once sent the whole list to the full parser or held a document's events: an"
echo "alias-heavy item past the node budget (an error), 3.9 million flow scalars in one item,"
echo "100,000 small objects as JSON, the 10 MB list behind a \`%YAML\` directive and with CR LF"
echo "line breaks, and with a duplicate key in its last item (an error). Goal: peak memory at most"
echo "3x the input + 50 MB on every path."
echo
echo "| input | size | \`monitoring-stack\` | exit | max RSS | RSS / input | goal |"
echo "|---|---|---|---|---|---|---|"
for case in "alias-heavy item:alias-heavy-9mb.yaml" "3.9M flow scalars:flow-scalars-3.9m.yaml" \
    "100,000 objects as JSON:compact-100000.json" "10 MB behind %YAML 1.1:list-10mb-yaml11.yaml" \
    "10 MB with CR LF:list-10mb-crlf.yaml" "10 MB, duplicate key:list-10mb-duplicate-key.yaml"; do
    name=${case%%:*}
    file=$in/${case#*:}
    size=$(bytes "$file")
    status=0
    "$bin" <"$file" >/dev/null 2>&1 || status=$?
    s=$(median_seconds "memory-$(basename "$file")" "$slow_runs" "$bin < $file > /dev/null" --ignore-failure)
    rss=$(rss_mb "$bin < $file")
    mb=$(awk -v n="$size" 'BEGIN { printf "%.1f", n / 1048576 }')
    goal=$(awk -v r="$rss" -v m="$mb" 'BEGIN { print (r <= 3 * m + 50 ? "met" : "missed") }')
    echo "| $name | $mb MiB | $(ms "$s") ms | $status | $rss MB | $(ratio "$rss" "$mb") | $goal (limit $(awk -v m="$mb" 'BEGIN { printf "%.0f", 3 * m + 50 }') MB) |"
done
echo

echo "### Growth with the number of objects"
echo
echo "The mix (~400 bytes an object; 100,000 of them are 38 MB, within the 256 MiB input limit),"
echo "then small ConfigMaps (~190 bytes)."
echo
echo "| objects | input | median | per object | throughput | CPU per object | max RSS |"
echo "|---|---|---|---|---|---|---|"
for list in list-1000 list-10000 list-80000 list-100000 compact-1000 compact-10000 compact-100000; do
    n=${list#*-}
    label="$n, $([ "${list%%-*}" = list ] && echo mix || echo small)"
    file=$in/$list.yaml
    if ! "$bin" <"$file" >/dev/null 2>"$work/$list.err"; then
        s=$(median_seconds "$list" "$runs" "$bin < $file > /dev/null" --ignore-failure)
        echo "| $label | $(awk -v n="$(bytes "$file")" 'BEGIN { printf "%.1f MB", n / 1e6 }') | refused in $(ms "$s") ms: $(cut -c1-90 "$work/$list.err" | head -1)... | | | | $(rss_mb "$bin < $file") MB |"
        continue
    fi
    s=$(median_seconds "$list" "$runs" "$bin < $file > /dev/null")
    per() { awk -v s="$1" -v n="$n" 'BEGIN { printf "%.2f µs", s / n * 1e6 }'; }
    echo "| $label | $(awk -v n="$(bytes "$file")" 'BEGIN { printf "%.1f MB", n / 1e6 }') | $(ms "$s") ms | $(per "$s") | $(mbps "$(bytes "$file")" "$s") MB/s | $(per "$(cpu_seconds "$list")") | $(rss_mb "$bin < $file") MB |"
done
echo

echo "### Inside the orchestrators"
echo
echo "kpt: \`kpt fn eval PKG --exec F --fn-config stack.yaml\` on a package that already holds"
echo "the generated objects (so both functions return the same package); \`cat\` is the identity"
echo "function. \"alone\" is the function run on the exact ResourceList kpt sent it."
echo
echo "| package | kpt + cat | kpt + monitoring-stack | added | function alone | alone / kpt + cat | kpt max RSS |"
echo "|---|---|---|---|---|---|---|"
sizes=(1000 2000)
if [ "${QUICK:-}" = 1 ]; then sizes=(1000); fi
capture=$work/capture.sh
for n in "${sizes[@]}"; do
    pkg=$work/pkg-$n
    rm -rf "$pkg" "$pkg-cat"
    cp -r "$in/pkg-$n" "$pkg"
    # The stack writes its own kustomization.yaml at the package root.
    rm "$pkg/kustomization.yaml"
    printf '#!/bin/sh\ntee %s | %s\n' "$work/kpt-input-$n.yaml" "$bin" >"$capture"
    chmod +x "$capture"
    kpt fn eval "$pkg" --exec "$capture" --fn-config "$in/stack.yaml" >/dev/null 2>&1
    cp -r "$pkg" "$pkg-cat"
    ours=$(median_seconds "kpt-ours-$n" "$slow_runs" "kpt fn eval $pkg --exec $bin --fn-config $in/stack.yaml > /dev/null 2>&1")
    cats=$(median_seconds "kpt-cat-$n" "$slow_runs" "kpt fn eval $pkg-cat --exec cat --fn-config $in/stack.yaml > /dev/null 2>&1")
    alone=$(median_seconds "alone-$n" "$runs" "$bin < $work/kpt-input-$n.yaml > /dev/null")
    added=$(awk -v a="$ours" -v b="$cats" 'BEGIN { printf "%+.1f%%", (a - b) / b * 100 }')
    share=$(awk -v a="$alone" -v b="$cats" 'BEGIN { printf "%.1f%%", a / b * 100 }')
    echo "| $n objects | $(ms "$cats") ms | $(ms "$ours") ms | $added | $(ms "$alone") ms | $share | $(rss_mb "kpt fn eval $pkg --exec $bin --fn-config $in/stack.yaml") MB |"
done
echo
echo "kustomize: \`kubectl kustomize PKG\` (the same objects, no function) against the function"
echo "passing the same objects through (\`monitoring-stack < list-N.yaml\`)."
echo
echo "| objects | kubectl kustomize | max RSS | monitoring-stack | max RSS | kustomize / function |"
echo "|---|---|---|---|---|---|"
for n in "${sizes[@]}"; do
    k=$(median_seconds "kustomize-$n" "$slow_runs" "kubectl kustomize $in/pkg-$n > /dev/null")
    f=$(median_seconds "function-$n" "$runs" "$bin < $in/list-$n.yaml > /dev/null")
    echo "| $n | $(ms "$k") ms | $(rss_mb "kubectl kustomize $in/pkg-$n") MB | $(ms "$f") ms | $(rss_mb "$bin < $in/list-$n.yaml") MB | $(awk -v a="$k" -v b="$f" 'BEGIN { printf "%.0f×", a / b }') |"
done
echo

echo "### WebAssembly against native"
echo
kpt_wasm=$root/target/wasm/monitoring-stack.wasm
npm_pkg=$root/wasm/pkg
if ! command -v node >/dev/null; then
    echo "node is not installed: no WebAssembly rows."
elif [ ! -f "$npm_pkg/node.js" ] && [ ! -f "$kpt_wasm" ]; then
    echo "No wasm builds (run \`wasm/build.sh\` first): no WebAssembly rows."
else
    echo "| build | input | median | vs native | max RSS |"
    echo "|---|---|---|---|---|"
    if [ -f "$npm_pkg/node.js" ]; then
        node_floor=$(median_seconds node-floor "$runs" "node $root/bench/wasm-node.mjs $npm_pkg --load-only < $in/list-10mb.yaml")
        npm_s=$(median_seconds npm-10mb "$slow_runs" "node $root/bench/wasm-node.mjs $npm_pkg < $in/list-10mb.yaml > /dev/null")
        echo "| native | 10 MB list | $(ms "$fast_s") ms | 1.00 | $fast_rss MB |"
        echo "| npm package under node (\`process\`) | 10 MB list | $(ms "$npm_s") ms | $(ratio "$npm_s" "$fast_s") | $(rss_mb "node $root/bench/wasm-node.mjs $npm_pkg < $in/list-10mb.yaml") MB |"
        echo "| node loading the package and reading the input, no call | 10 MB list | $(ms "$node_floor") ms | $(ratio "$node_floor" "$fast_s") | |"
    else
        echo "| npm package | | not built (wasm/build.sh npm) | | |"
    fi
    # In-process: process() called in a running node, first call and warm median, against the
    # native binary as a whole process (which still pays its start and I/O).
    fast_pkg=$root/target/wasm/pkg-fast
    for variant in "$npm_pkg:npm package (size-optimised)" "$fast_pkg:npm package, WASM_PROFILE=wasm-fast"; do
        dir=${variant%%:*}
        label=${variant#*:}
        if [ -f "$dir/node.js" ]; then
            read -r first warm < <(node "$root/bench/wasm-node.mjs" "$dir" --time "$runs" <"$in/list-10mb.yaml")
            echo "| $label, \`process()\` in a running node: first call / warm median | 10 MB list | $first / $warm ms | $(ratio "$(awk -v w="$warm" 'BEGIN { print w / 1000 }')" "$fast_s") (warm) | |"
        else
            echo "| $label, in process | | not built (wasm/build.sh npm$([ "$dir" = "$fast_pkg" ] && echo ', WASM_PROFILE=wasm-fast')) | | |"
        fi
    done
    if [ -f "$kpt_wasm" ]; then
        pkg=$work/pkg-1000
        wasm_s=$(KPT_FN_WASM_RUNTIME=nodejs median_seconds kpt-wasm-1000 "$slow_runs" "KPT_FN_WASM_RUNTIME=nodejs kpt fn eval $pkg --allow-alpha-wasm --exec $kpt_wasm --fn-config $in/stack.yaml > /dev/null 2>&1")
        native_s=$(awk -F, 'NR == 2 { print $4 }' "$work/kpt-ours-1000.csv")
        echo "| kpt module, \`kpt fn eval\` (node runtime) | 1,000-object package | $(ms "$wasm_s") ms | $(ratio "$wasm_s" "$native_s") (native in kpt: $(ms "$native_s") ms) | $(rss_mb "KPT_FN_WASM_RUNTIME=nodejs kpt fn eval $pkg --allow-alpha-wasm --exec $kpt_wasm --fn-config $in/stack.yaml") MB |"
    else
        echo "| kpt module | | not built (wasm/build.sh kpt) | | |"
    fi
fi
echo
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg); raw CSVs in $work"
