#!/usr/bin/env bash
# Builds the WebAssembly artifacts (see wasm/README.md):
#
#   wasm/build.sh kpt   target/wasm/monitoring-stack.wasm   the kpt WASM function (Go js/wasm ABI)
#                       (target/ is cargo's target directory: $CARGO_TARGET_DIR when set)
#   wasm/build.sh npm   wasm/pkg/                           the npm package (wasm-bindgen + wasm-opt)
#   wasm/build.sh       both
#   wasm/build.sh target-dir   print the target directory the modules are read from and written to
#
# Needs the wasm32-unknown-unknown target (rustup target add wasm32-unknown-unknown); the npm
# package also needs wasm-bindgen-cli at the exact version of the wasm-bindgen crate in Cargo.lock.
# Both modules go through wasm-opt from the npm package `binaryen` pinned in wasm/package.json
# (`cd wasm && npm ci`): Debian's binaryen 108 corrupts wasm-bindgen's externref table export.
# Without it the modules are left unoptimised with a warning (an error under CI=true).
#
# Environment: WASM_PROFILE=wasm-release (default: size-optimised, LTO), wasm-fast (the
# library's own code optimised for speed, its dependencies for size: ~930 KB instead of ~650 KB,
# about twice as fast on large inputs; PERFORMANCE.md) or dev (fast to build, several MB: for
# iteration). Every step is skipped when its output is newer than its input, and
# concurrent runs wait for each other (flock), so tests can call this unconditionally.
set -euo pipefail
caller=$PWD
cd "$(dirname "$0")/.."
root=$PWD

what=${1:-all}
case $what in kpt | npm | all | target-dir) ;; *)
    echo "usage: wasm/build.sh [kpt|npm|all|target-dir]" >&2
    exit 2
    ;;
esac

profile=${WASM_PROFILE:-wasm-release}
cargo=${CARGO:-cargo}
# Where cargo builds: CARGO_TARGET_DIR (relative to the caller's directory, as cargo reads it;
# made absolute since this script changes directory), else what cargo's configuration says
# (build.target-dir, CARGO_BUILD_TARGET_DIR), else ./target. Asking cargo keeps the modules
# read here the ones cargo just built, never a stale copy under ./target.
if [ -n "${CARGO_TARGET_DIR:-}" ]; then
    case $CARGO_TARGET_DIR in
    /*) ;;
    *) CARGO_TARGET_DIR=$caller/$CARGO_TARGET_DIR ;;
    esac
    export CARGO_TARGET_DIR
fi
target_dir=$("$cargo" metadata --no-deps --format-version 1 2>/dev/null |
    sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p' | head -n 1) || true
if [ -z "$target_dir" ]; then
    target_dir=${CARGO_TARGET_DIR:-$root/target}
fi
if [ "$what" = target-dir ]; then
    echo "$target_dir"
    exit 0
fi
out=$target_dir/wasm
mkdir -p "$out"

# One build at a time (tests of several binaries, other shells).
exec 9>"$out/.build.lock"
flock 9

# The size-optimised profile, defined here: the root Cargo.toml stays the library's.
profile_flags=()
size_profile() { # name
    profile_flags+=(
        --config "profile.$1.inherits=\"release\""
        --config "profile.$1.opt-level=\"z\""
        --config "profile.$1.lto=true"
        --config "profile.$1.codegen-units=1"
        --config "profile.$1.panic=\"abort\""
        --config "profile.$1.debug=false"
        --config "profile.$1.incremental=false"
        # Panic locations name their source files: crates.io paths without the build machine's
        # registry prefix (about 2.5 KB, and the same module wherever it is built).
        --config "target.wasm32-unknown-unknown.rustflags=[\"--remap-path-prefix=${CARGO_HOME:-$HOME/.cargo}/registry/src/=\"]"
    )
}
case $profile in
wasm-release) size_profile wasm-release ;;
wasm-fast)
    # The hot path (the ResourceList scanner and writer) lives in the library crate: at
    # opt-level "z" its small helpers stay calls, which costs half the speed on large lists.
    size_profile wasm-fast
    profile_flags+=(--config 'profile.wasm-fast.package.monitoring-stack.opt-level=3')
    ;;
esac
# Where the modules go: the speed-optimised build beside the default one, never over it.
kpt_module=$out/monitoring-stack.wasm
bindgen_dir=$out/bindgen
pkg=$root/wasm/pkg
if [ "$profile" = wasm-fast ]; then
    kpt_module=$out/monitoring-stack-fast.wasm
    bindgen_dir=$out/bindgen-fast
    pkg=$out/pkg-fast
fi
# wasm-release and dev share their outputs: drop them when the profile changes, or a timestamp
# check would keep the other profile's module.
if [ "$profile" != wasm-fast ] && [ "$(cat "$out/.profile" 2>/dev/null)" != "$profile" ]; then
    rm -rf "$kpt_module" "$bindgen_dir" "$pkg/monitoring_stack_bg.wasm"
    echo "$profile" >"$out/.profile"
fi
locked=()
if [ "${CI:-}" = true ]; then locked=(--locked); fi
profile_dir=$profile
if [ "$profile" = dev ]; then profile_dir=debug; fi
wasm_dir=$target_dir/wasm32-unknown-unknown/$profile_dir

build() { # package
    "$cargo" build --quiet -p "$1" --target wasm32-unknown-unknown --profile "$profile" \
        "${locked[@]}" "${profile_flags[@]}"
}

# True when $1 exists and is newer than every other argument.
fresh() {
    local output=$1
    shift
    [ -e "$output" ] || return 1
    local input
    for input in "$@"; do
        [ "$output" -nt "$input" ] || return 1
    done
}

wasm_opt=$root/wasm/node_modules/.bin/wasm-opt
# The features rustc enables by default for wasm32-unknown-unknown.
wasm_features=(--enable-bulk-memory --enable-sign-ext --enable-mutable-globals
    --enable-nontrapping-float-to-int --enable-reference-types --enable-multivalue)

optimize() { # input output [extra wasm-opt flags]
    # Size: functions that differ only in constants merged, -Oz repeated until it stops
    # shrinking, no producers section (about 3 KB off the npm module; 25 s instead of 7).
    local level=(--merge-similar-functions -Oz --converge --strip-producers)
    local extra=("${@:3}")
    if [ "$profile" = wasm-fast ]; then level=(-O3); fi
    if [ "$profile" = dev ]; then
        cp "$1" "$2"
    elif [ -x "$wasm_opt" ]; then
        "$wasm_opt" "${extra[@]}" "${level[@]}" "${wasm_features[@]}" "$1" -o "$2.tmp"
        mv "$2.tmp" "$2"
    elif [ "${CI:-}" = true ]; then
        echo "wasm/build.sh: $wasm_opt not found: run npm ci in wasm/" >&2
        exit 1
    else
        echo "wasm/build.sh: WARNING: $wasm_opt not found (npm ci in wasm/): not size-optimised" >&2
        cp "$1" "$2"
    fi
}

size_line() { # label file
    printf '%-40s %9d bytes raw, %8d gzip\n' "$1" "$(stat -c %s "$2")" "$(gzip -9c "$2" | wc -c)"
}

build_kpt() {
    build monitoring-stack-kpt
    local module=$wasm_dir/monitoring_stack_kpt.wasm
    if ! fresh "$kpt_module" "$module"; then
        optimize "$module" "$kpt_module"
    fi
    size_line "kpt module, cargo output ($profile)" "$module"
    size_line "kpt module (${kpt_module#"$root/"})" "$kpt_module"
}

build_npm() {
    build monitoring-stack-npm
    local module=$wasm_dir/monitoring_stack_npm.wasm
    local want
    want=$(grep -A1 '^name = "wasm-bindgen"$' Cargo.lock | sed -n 's/^version = "\(.*\)"$/\1/p')
    if ! command -v wasm-bindgen >/dev/null; then
        echo "wasm/build.sh: wasm-bindgen not found: cargo install wasm-bindgen-cli --version $want" >&2
        exit 1
    fi
    local have
    have=$(wasm-bindgen --version | awk '{print $2}')
    if [ "$have" != "$want" ]; then
        echo "wasm/build.sh: wasm-bindgen $have installed, Cargo.lock has $want:" \
            "cargo install wasm-bindgen-cli --version $want --force" >&2
        exit 1
    fi
    if ! fresh "$bindgen_dir/monitoring_stack_bg.wasm" "$module"; then
        rm -rf "$bindgen_dir"
        wasm-bindgen --target web --out-dir "$bindgen_dir" --out-name monitoring_stack "$module"
    fi

    mkdir -p "$pkg"
    local final=$pkg/monitoring_stack_bg.wasm
    if ! fresh "$final" "$bindgen_dir/monitoring_stack_bg.wasm"; then
        # --low-memory-unused: the module never touches the first KB of its memory (rustc puts
        # the stack below the 1 MB mark and the data above it; the stack never grows that
        # deep), so wasm-opt may fold pointer additions into load and store offsets: about
        # 4 KB off the npm module. The kpt module keeps the plain flags: its Go js/wasm host
        # shares its memory, and that case was not examined.
        optimize "$bindgen_dir/monitoring_stack_bg.wasm" "$final" --low-memory-unused
    fi
    cp "$bindgen_dir/monitoring_stack.js" "$bindgen_dir/monitoring_stack.d.ts" "$pkg/"
    cp wasm/npm/package.json wasm/npm/README.md wasm/npm/index.d.ts "$pkg/"
    cp wasm/npm/js/node.js wasm/npm/js/browser.js "$pkg/"

    size_line "npm module, cargo output ($profile)" "$module"
    size_line "wasm-bindgen output ($profile)" "$bindgen_dir/monitoring_stack_bg.wasm"
    size_line "npm package .wasm (${pkg#"$root/"})" "$final"
}

case $what in
kpt) build_kpt ;;
npm) build_npm ;;
all)
    build_kpt
    build_npm
    ;;
esac
