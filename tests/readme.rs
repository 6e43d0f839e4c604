//! The README's command blocks are executed: every ```sh block carries a marker comment —
//! `<!-- readme: run -->` (run here, in a scratch copy of `krm/`), `<!-- readme: ci ... -->`
//! (run by `.ci/run`) or `<!-- readme: skip: reason -->` — and every `run` block must succeed.

use std::path::{Path, PathBuf};
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_monitoring-stack");

struct Block {
    marker: String,
    script: String,
    line: usize,
}

fn blocks() -> Vec<Block> {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
        .expect("README");
    let lines: Vec<&str> = readme.lines().collect();
    let mut found = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        if lines[i].trim() == "```sh" {
            let marker = lines[..i]
                .iter()
                .rev()
                .find(|l| !l.trim().is_empty())
                .and_then(|l| l.trim().strip_prefix("<!-- readme:"))
                .and_then(|l| l.strip_suffix("-->"))
                .map(|m| m.trim().to_string())
                .unwrap_or_default();
            let start = i;
            let mut script = String::new();
            i += 1;
            while i < lines.len() && lines[i].trim() != "```" {
                script.push_str(lines[i]);
                script.push('\n');
                i += 1;
            }
            found.push(Block {
                marker,
                script,
                line: start + 1,
            });
        }
        i += 1;
    }
    found
}

#[test]
fn every_command_block_says_how_it_is_tested() {
    let blocks = blocks();
    assert!(blocks.len() >= 5);
    for block in &blocks {
        let kind = block.marker.split([' ', ':']).next().unwrap_or_default();
        assert!(
            matches!(kind, "run" | "ci" | "skip"),
            "README.md line {}: a ```sh block needs <!-- readme: run|ci|skip: why --> before it",
            block.line
        );
    }
    // The second opening command is the test suite, and .ci/run runs exactly it.
    let ci = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(".ci/run"))
        .expect(".ci/run");
    let suite = blocks
        .iter()
        .find(|b| b.marker.starts_with("ci"))
        .expect("the test command block");
    let command = suite
        .script
        .lines()
        .find(|l| !l.starts_with('#'))
        .expect("a command")
        .trim();
    assert!(
        ci.lines().any(|l| l.trim().starts_with(command)),
        ".ci/run must run `{command}`"
    );
}

fn have(tool: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read").flatten() {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

#[test]
fn run_blocks_succeed() {
    for tool in ["kpt", "kubectl"] {
        if !have(tool) {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "{tool} is required in CI"
            );
            eprintln!("SKIPPED: {tool} not installed; README command blocks were not run");
            return;
        }
    }
    let scratch: PathBuf =
        std::env::temp_dir().join(format!("monitoring-stack-readme-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&scratch);
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("krm"),
        &scratch.join("krm"),
    );
    std::fs::create_dir_all(scratch.join("target/debug")).expect("mkdir");
    std::fs::copy(BIN, scratch.join("target/debug/monitoring-stack")).expect("binary");
    for block in blocks().iter().filter(|b| b.marker == "run") {
        // `cargo run -q --` is the binary the test already built.
        let script = block
            .script
            .replace("cargo build && ", "")
            .replace("cargo run -q --", "\"$BIN\"");
        let output = Command::new("sh")
            .args(["-ec", &script])
            .current_dir(&scratch)
            .env("BIN", BIN)
            .output()
            .expect("sh");
        assert!(
            output.status.success(),
            "README.md line {} failed:\n{script}\nstdout:\n{}\nstderr:\n{}",
            block.line,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let _ = std::fs::remove_dir_all(&scratch);
}
