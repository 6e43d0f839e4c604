//! The npm package (`wasm/npm`, built into `wasm/pkg/` by `wasm/build.sh npm`: wasm-bindgen, then
//! wasm-opt) and the browser playground (`wasm/playground/`), through their node test suites:
//!
//! - `npm.test.mjs`: `render`, `renderFiles` and `process` give exactly the native binary's
//!   output on the examples; failures throw a `MonitoringStackError` with the KRM results;
//! - `browser-entry.test.mjs`, `package.test.mjs`: the browser entry, and the packed package
//!   installed into a fresh project, used from ESM, CommonJS, the `browser` condition and
//!   TypeScript (against `index.d.ts`);
//! - `field-line.test.mjs`: the playground's field path → editor line mapping;
//! - `playground.test.mjs`: the page in headless Chromium (playwright-core, Debian's chromium),
//!   served on 127.0.0.1: render the seed, introduce an error, see it marked; screenshots in
//!   `target/wasm/playground-*.png`.
//!
//! Needs node, npm, wasm-bindgen (the Cargo.lock version), the wasm32 target and `npm ci` in
//! wasm/ (and chromium for the playground): SKIPPED without them, failing under `CI=true`.

mod support;

use support::wasm;

#[test]
fn npm_package_under_node() {
    if !wasm::require(
        "npm_package_under_node",
        &["node", "npm", "wasm-bindgen"],
        true,
    ) {
        return;
    }
    wasm::build("npm");
    wasm::node_tests(&[
        "npm.test.mjs",
        "browser-entry.test.mjs",
        "package.test.mjs",
        "field-line.test.mjs",
    ]);
}

#[test]
fn npm_package_size_budget() {
    if !wasm::require("npm_package_size_budget", &["node", "wasm-bindgen"], true) {
        return;
    }
    wasm::build("npm");
    let module = wasm::repo().join("wasm/pkg/monitoring_stack_bg.wasm");
    let size = std::fs::metadata(&module).unwrap().len();
    // The data compiled in (issue 18): the vendored dashboards (gzip) and rule groups, and the
    // pins. It is reported, and kept out of the code budget.
    let data = embedded_data_bytes();
    eprintln!(
        "{}: {size} bytes ({data} bytes of embedded data, {} bytes of code)",
        module.display(),
        size - data.min(size)
    );
    // The budget of the WebAssembly issue: 600 KB of code, raw after wasm-opt (wasm/README.md,
    // "Size").
    const BUDGET: u64 = 600_000;
    let code = size - data.min(size);
    assert!(
        code <= BUDGET,
        "{} is {size} bytes, {data} of them embedded data: {code} bytes of code, over the \
         {BUDGET}-byte budget (wasm/README.md, \"Size\")",
        module.display()
    );
}

/// Bytes of the data compiled into the module (issue 18): the gzip dashboards
/// (`include_bytes!`), the rule groups (static strings of vendor/mixins/vendored.rs, measured by
/// their JSON copies in vendor/mixins/rules/) and versions.yaml (an upper bound: it is read at
/// compile time).
fn embedded_data_bytes() -> u64 {
    let repo = wasm::repo();
    let mut total = std::fs::metadata(repo.join("versions.yaml")).map_or(0, |m| m.len());
    let mut dirs = vec![
        repo.join("vendor/mixins/dashboards"),
        repo.join("vendor/mixins/rules"),
    ];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else {
                total += entry.metadata().map_or(0, |m| m.len());
            }
        }
    }
    total
}

#[test]
fn playground_in_headless_chromium() {
    if !wasm::require(
        "playground_in_headless_chromium",
        &["node", "wasm-bindgen", "chromium"],
        true,
    ) {
        return;
    }
    wasm::build("npm");
    wasm::node_tests(&["playground.test.mjs"]);
}

/// Issue 16, class 9: wasm/build.sh reads the modules from cargo's target directory, not a
/// fixed `./target`: `CARGO_TARGET_DIR` (absolute, or relative to the caller's directory) is
/// honoured, and the tests hand theirs over. Needs only cargo and the shell.
#[test]
fn build_script_uses_cargos_target_directory() {
    let script = wasm::repo().join("wasm/build.sh");
    let target_dir_of = |dir: Option<&str>, cwd: &std::path::Path| {
        let mut command = std::process::Command::new(&script);
        command
            .arg("target-dir")
            .current_dir(cwd)
            .env("CARGO", env!("CARGO"));
        match dir {
            Some(dir) => command.env("CARGO_TARGET_DIR", dir),
            None => command.env_remove("CARGO_TARGET_DIR"),
        };
        let output = command.output().expect("wasm/build.sh runs");
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).trim().to_string()
    };
    let scratch = std::env::temp_dir().join(format!(
        "monitoring-stack-wasm-target-{}",
        std::process::id()
    ));
    std::fs::create_dir_all(&scratch).expect("scratch");
    let absolute = scratch.join("elsewhere");
    assert_eq!(
        target_dir_of(Some(absolute.to_str().expect("utf-8")), &wasm::repo()),
        absolute.to_str().expect("utf-8")
    );
    // Relative to the caller's directory, as cargo reads it.
    assert_eq!(
        target_dir_of(Some("rel-target"), &scratch),
        scratch.join("rel-target").to_str().expect("utf-8")
    );
    assert_eq!(
        target_dir_of(None, &wasm::repo()),
        wasm::repo().join("target").to_str().expect("utf-8")
    );
    // The tests' own target directory is what they hand to the script.
    assert_eq!(
        wasm::kpt_module(),
        wasm::target_dir().join("wasm/monitoring-stack.wasm")
    );
    let _ = std::fs::remove_dir_all(&scratch);
}
