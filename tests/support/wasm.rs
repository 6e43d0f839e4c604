//! Helpers of `tests/wasm_kpt.rs` and `tests/wasm_npm.rs` (`support::wasm`):
//! building the WebAssembly artifacts through `wasm/build.sh`, checking what the tests need,
//! and running long commands (builds, node test suites) with a generous timeout.
//!
//! Outside CI a missing requirement prints a loud SKIPPED line and the test passes; under
//! `CI=true` it fails (`.ci/run` installs everything).

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Cargo's target directory for this test binary (`CARGO_TARGET_DIR` or `./target`): where
/// `wasm/build.sh` builds and writes the modules (it is told, so both agree).
pub fn target_dir() -> PathBuf {
    let tmp = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    tmp.parent()
        .map_or_else(|| repo().join("target"), PathBuf::from)
}

pub fn ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// A requirement is missing: fails under CI, else prints SKIPPED and returns false.
pub fn missing(test: &str, what: &str) -> bool {
    let message = format!("{test}: {what}");
    if ci() {
        panic!("{message} (CI=true: .ci/run must provide it)");
    }
    eprintln!("\n********************************************************************");
    eprintln!("SKIPPED: {message}");
    eprintln!("********************************************************************\n");
    false
}

fn on_path(tool: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(tool).is_file()))
}

/// Checks tools on PATH, the wasm32 target, and (`node_modules`) wasm/'s npm dependencies.
pub fn require(test: &str, tools: &[&str], node_modules: bool) -> bool {
    let absent: Vec<&str> = tools.iter().copied().filter(|t| !on_path(t)).collect();
    if !absent.is_empty() {
        return missing(test, &format!("not on PATH: {}", absent.join(", ")));
    }
    if !wasm_target_installed() {
        return missing(
            test,
            "the wasm32-unknown-unknown target is not installed (rustup target add wasm32-unknown-unknown)",
        );
    }
    if node_modules {
        let modules = repo().join("wasm/node_modules");
        for package in ["playwright-core", "typescript", "binaryen"] {
            if !modules.join(package).join("package.json").is_file() {
                return missing(
                    test,
                    &format!("wasm/node_modules/{package} is missing (cd wasm && npm ci)"),
                );
            }
        }
    }
    true
}

fn wasm_target_installed() -> bool {
    let Ok(output) = Command::new("rustc").args(["--print", "sysroot"]).output() else {
        return false;
    };
    let sysroot = String::from_utf8_lossy(&output.stdout).trim().to_string();
    Path::new(&sysroot)
        .join("lib/rustlib/wasm32-unknown-unknown")
        .is_dir()
}

/// The outcome of one command.
pub struct Run {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
    pub command: String,
    pub elapsed: Duration,
}

impl Run {
    pub fn output(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }

    pub fn report(&self) -> String {
        format!(
            "command: {}\nstatus: {} after {:.1?}\n--- stdout ---\n{}\n--- stderr ---\n{}\n--------------",
            self.command,
            self.status,
            self.elapsed,
            tail(&self.stdout),
            tail(&self.stderr)
        )
    }
}

fn tail(text: &str) -> &str {
    const LIMIT: usize = 40_000;
    if text.len() <= LIMIT {
        return text;
    }
    let mut start = text.len() - LIMIT;
    while !text.is_char_boundary(start) {
        start += 1;
    }
    &text[start..]
}

/// Runs a command with stdin from `input` (or empty), killing it after `timeout`.
pub fn run_with(command: &mut Command, input: Option<&[u8]>, timeout: Duration) -> Run {
    let description = format!("{command:?}");
    let started = Instant::now();
    let mut child = command
        .stdin(if input.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {description}: {e}"));
    let writer = input.map(|bytes| {
        let mut stdin = child.stdin.take().expect("piped stdin");
        let bytes = bytes.to_vec();
        std::thread::spawn(move || {
            use std::io::Write;
            let _ = stdin.write_all(&bytes);
        })
    });
    let reader = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = pipe.read_to_end(&mut bytes);
            String::from_utf8_lossy(&bytes).into_owned()
        })
    };
    let stdout = reader(Box::new(child.stdout.take().expect("piped stdout")));
    let stderr = reader(Box::new(child.stderr.take().expect("piped stderr")));
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() < timeout => {
                std::thread::sleep(Duration::from_millis(20))
            }
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "{description} did not finish within {timeout:?}; killed it\n{}{}",
                    stdout.join().unwrap_or_default(),
                    stderr.join().unwrap_or_default()
                );
            }
            Err(e) => panic!("cannot wait for {description}: {e}"),
        }
    };
    if let Some(writer) = writer {
        let _ = writer.join();
    }
    Run {
        status,
        stdout: stdout.join().expect("stdout reader"),
        stderr: stderr.join().expect("stderr reader"),
        command: description,
        elapsed: started.elapsed(),
    }
}

pub fn run(command: &mut Command) -> Run {
    run_with(command, None, Duration::from_secs(600))
}

pub fn run_ok(command: &mut Command) -> Run {
    let result = run(command);
    assert!(
        result.status.success(),
        "command failed\n{}",
        result.report()
    );
    result
}

/// Builds `wasm/build.sh <what>` (kpt or npm) once per test process; panics with its output on
/// failure. The script is incremental, so this is quick when nothing changed.
pub fn build(what: &str) {
    static BUILT: OnceLock<Mutex<BTreeMap<String, Result<String, String>>>> = OnceLock::new();
    let mut built = BUILT
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    let result = built.entry(what.to_string()).or_insert_with(|| {
        let result = run_with(
            Command::new(repo().join("wasm/build.sh"))
                .arg(what)
                .env("CARGO", env!("CARGO"))
                .env("CARGO_TARGET_DIR", target_dir())
                .current_dir(repo()),
            None,
            Duration::from_secs(1800),
        );
        if result.status.success() {
            eprintln!(
                "wasm/build.sh {what} ({:.0?}):\n{}",
                result.elapsed,
                result.output()
            );
            Ok(result.output())
        } else {
            Err(result.report())
        }
    });
    if let Err(report) = result {
        panic!("wasm/build.sh {what} failed\n{report}");
    }
}

/// The kpt WASM module `wasm/build.sh kpt` writes.
pub fn kpt_module() -> PathBuf {
    target_dir().join("wasm/monitoring-stack.wasm")
}

/// Runs node's test runner on files under wasm/test/, with the native binary to compare with.
pub fn node_tests(files: &[&str]) {
    let result = run_with(
        Command::new("node")
            .args(["--test", "--test-concurrency=1", "--test-reporter=spec"])
            .args(files.iter().map(|f| format!("test/{f}")))
            .env(
                "MONITORING_STACK_BIN",
                env!("CARGO_BIN_EXE_monitoring-stack"),
            )
            .env("MONITORING_STACK_KPT_WASM", kpt_module())
            .env("MONITORING_STACK_TARGET_DIR", target_dir())
            .env("NO_COLOR", "1")
            .current_dir(repo().join("wasm")),
        None,
        Duration::from_secs(900),
    );
    eprintln!("{}", result.output());
    assert!(
        result.status.success(),
        "node tests failed\n{}",
        result.report()
    );
}
