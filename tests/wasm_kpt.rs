//! The kpt WASM function (`wasm/kpt`, built by `wasm/build.sh kpt`) under the real kpt
//! (1.0.0-beta.56, `KPT_FN_WASM_RUNTIME=nodejs`, the only WASM runtime of this kpt build):
//! `kpt fn eval --allow-alpha-wasm --exec <module>.wasm` and `kpt fn render --allow-alpha-wasm
//! --allow-exec` must write exactly what the native binary writes, a second render must change
//! nothing, an invalid stack must make kpt fail with the field in its report, and a 10 MB package
//! must pass. `wasm/test/kpt-module.test.mjs` then checks the module under kpt's own node glue
//! (exit codes, the memory arena, a host-grown memory).
//!
//! Needs kpt, node and the wasm32-unknown-unknown target: SKIPPED without them, failing under
//! `CI=true`.

mod support;
mod tools;

use support::wasm;

use std::path::{Path, PathBuf};
use std::process::Command;
use tools::{replace_once, snapshot, tree_diff, TempDir};

const NEEDS: &[&str] = &["kpt", "node"];

fn ready(test: &str) -> bool {
    if !wasm::require(test, NEEDS, false) {
        return false;
    }
    wasm::build("kpt");
    true
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// A copy of `krm/kpt/` whose Kptfile runs `exec` (an absolute path).
fn package(dir: &Path, exec: &Path) -> PathBuf {
    let package = dir.to_path_buf();
    copy_dir(&wasm::repo().join("krm/kpt"), &package);
    let kptfile = package.join("Kptfile");
    let text = std::fs::read_to_string(&kptfile).unwrap();
    let text = replace_once(
        &text,
        "exec: ./target/debug/monitoring-stack",
        &format!("exec: {}", exec.display()),
    );
    std::fs::write(&kptfile, text).unwrap();
    package
}

fn kpt(args: &[&str]) -> Command {
    let mut command = Command::new("kpt");
    command
        .args(args)
        .env("KPT_FN_WASM_RUNTIME", "nodejs")
        .current_dir(wasm::repo());
    command
}

fn native() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_monitoring-stack"))
}

fn eval_wasm(dir: &Path, fn_config: &Path) -> wasm::Run {
    wasm::run(&mut kpt(&[
        "fn",
        "eval",
        dir.to_str().unwrap(),
        "--allow-alpha-wasm",
        "--exec",
        wasm::kpt_module().to_str().unwrap(),
        "--fn-config",
        fn_config.to_str().unwrap(),
    ]))
}

fn eval_native(dir: &Path, fn_config: &Path) -> wasm::Run {
    wasm::run(&mut kpt(&[
        "fn",
        "eval",
        dir.to_str().unwrap(),
        "--exec",
        native().to_str().unwrap(),
        "--fn-config",
        fn_config.to_str().unwrap(),
    ]))
}

fn assert_ok(run: &wasm::Run) {
    assert!(run.status.success(), "kpt failed\n{}", run.report());
    assert!(run.output().contains("[PASS]"), "{}", run.report());
}

/// The two trees with the Kptfiles left out (they name different `exec:` paths).
fn assert_same_packages(wasm_dir: &Path, native_dir: &Path) {
    let mut wasm_tree = snapshot(wasm_dir);
    let mut native_tree = snapshot(native_dir);
    wasm_tree.remove("Kptfile");
    native_tree.remove("Kptfile");
    let diff = tree_diff(&native_tree, &wasm_tree);
    assert!(
        diff.is_empty(),
        "the wasm run wrote something else than the native one:\n{diff}"
    );
}

#[test]
fn kpt_fn_eval_with_the_wasm_module_writes_what_the_native_binary_writes() {
    if !ready("kpt_fn_eval_wasm") {
        return;
    }
    let dir = TempDir::new("wasm-eval");
    let (wasm_dir, native_dir) = (dir.join("wasm"), dir.join("native"));
    copy_dir(&wasm::repo().join("krm/kpt"), &wasm_dir);
    copy_dir(&wasm::repo().join("krm/kpt"), &native_dir);
    let wasm_run = eval_wasm(&wasm_dir, &wasm_dir.join("monitoring-stack.yaml"));
    assert_ok(&wasm_run);
    let native_run = eval_native(&native_dir, &native_dir.join("monitoring-stack.yaml"));
    assert_ok(&native_run);
    assert!(wasm_dir.join("loki/release/helmrelease.yaml").is_file());
    assert_same_packages(&wasm_dir, &native_dir);
    eprintln!(
        "kpt fn eval, seed: wasm {:.1?}, native {:.1?}",
        wasm_run.elapsed, native_run.elapsed
    );
}

#[test]
fn kpt_fn_render_with_the_wasm_module_matches_native_and_is_stable() {
    if !ready("kpt_fn_render_wasm") {
        return;
    }
    let dir = TempDir::new("wasm-render");
    let wasm_dir = package(&dir.join("wasm"), &wasm::kpt_module());
    let native_dir = package(&dir.join("native"), &native());
    // With --allow-alpha-wasm kpt runs every exec function as WASM: the native render goes
    // without it.
    let render = |package: &Path, wasm: bool| {
        let mut args = vec!["fn", "render", package.to_str().unwrap(), "--allow-exec"];
        if wasm {
            args.push("--allow-alpha-wasm");
        }
        wasm::run(&mut kpt(&args))
    };
    assert_ok(&render(&wasm_dir, true));
    assert_ok(&render(&native_dir, false));
    assert_same_packages(&wasm_dir, &native_dir);

    let before = snapshot(&wasm_dir);
    assert_ok(&render(&wasm_dir, true));
    let diff = tree_diff(&before, &snapshot(&wasm_dir));
    assert!(
        diff.is_empty(),
        "a second render changed the package:\n{diff}"
    );
}

#[test]
fn an_invalid_stack_makes_kpt_fail_with_the_field_in_its_report() {
    if !ready("kpt_wasm_invalid_stack") {
        return;
    }
    let dir = TempDir::new("wasm-invalid");
    let package = package(&dir.join("package"), &wasm::kpt_module());
    let stack = package.join("monitoring-stack.yaml");
    let text = std::fs::read_to_string(&stack).unwrap();
    std::fs::write(
        &stack,
        replace_once(
            &text,
            "  loki:\n    retention: 30d",
            "  loki:\n    retntion: 30d",
        ),
    )
    .unwrap();
    let before = snapshot(&package);

    let render = wasm::run(&mut kpt(&[
        "fn",
        "render",
        package.to_str().unwrap(),
        "--allow-exec",
        "--allow-alpha-wasm",
    ]));
    assert!(
        !render.status.success(),
        "kpt render succeeded\n{}",
        render.report()
    );
    let output = render.output();
    assert!(output.contains("[FAIL]"), "{}", render.report());
    assert!(output.contains("spec.loki.retntion"), "{}", render.report());
    assert!(
        output.contains("did you mean `retention`"),
        "{}",
        render.report()
    );
    let diff = tree_diff(&before, &snapshot(&package));
    assert!(
        diff.is_empty(),
        "a failed render changed the package:\n{diff}"
    );

    let eval = eval_wasm(&package, &stack);
    assert!(
        !eval.status.success(),
        "kpt eval succeeded\n{}",
        eval.report()
    );
    assert!(eval.output().contains("[FAIL]"), "{}", eval.report());
    assert!(
        eval.output().contains("spec.loki.retntion"),
        "{}",
        eval.report()
    );
}

/// About 10 MB of ConfigMaps in 20 files, beside the seed stack.
fn big_package(dir: &Path) {
    copy_dir(&wasm::repo().join("krm/kpt"), dir);
    for file in 0..20 {
        let mut text = String::new();
        for i in 0..500 {
            let n = file * 500 + i;
            text.push_str(&format!(
                "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: filler-{n}\n  namespace: apps\ndata:\n"
            ));
            for k in 0..8 {
                text.push_str(&format!("  key{k}: \"{n}-{}\"\n", "x".repeat(100)));
            }
        }
        std::fs::write(dir.join(format!("filler-{file}.yaml")), text).unwrap();
    }
}

#[test]
fn a_10_mb_package_passes_through_the_wasm_module() {
    if !ready("kpt_wasm_10mb") {
        return;
    }
    let dir = TempDir::new("wasm-10mb");
    let (wasm_dir, native_dir) = (dir.join("wasm"), dir.join("native"));
    big_package(&wasm_dir);
    big_package(&native_dir);
    let size: u64 = snapshot(&wasm_dir).values().map(|b| b.len() as u64).sum();
    assert!(size > 9_500_000, "the package is only {size} bytes");
    // kpt's own YAML work dominates here: run both at once.
    let (wasm_run, native_run) = std::thread::scope(|scope| {
        let w = scope.spawn(|| eval_wasm(&wasm_dir, &wasm_dir.join("monitoring-stack.yaml")));
        let n = scope.spawn(|| eval_native(&native_dir, &native_dir.join("monitoring-stack.yaml")));
        (w.join().unwrap(), n.join().unwrap())
    });
    assert_ok(&wasm_run);
    assert_ok(&native_run);
    assert_same_packages(&wasm_dir, &native_dir);
    eprintln!(
        "kpt fn eval, {size}-byte package: wasm {:.1?}, native {:.1?} (run side by side)",
        wasm_run.elapsed, native_run.elapsed
    );
}

#[test]
fn the_module_under_kpts_node_glue() {
    if !ready("kpt_wasm_node_glue") {
        return;
    }
    wasm::node_tests(&["kpt-module.test.mjs"]);
}
