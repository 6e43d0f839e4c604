//! Issue 18, item 4: `versions.yaml` is the one place of every pin, and Renovate's custom
//! manager (`renovate.json`) finds each of them: its pattern, run here with the `regex` crate
//! (the same syntax for what the pattern uses), matches once per pin, with the value
//! `src/versions.rs` compiles in. The vendored mixins' tags are those `vendor.sh` fetches.

use monitoring_stack::versions;
use std::path::Path;

fn repo_file(path: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(path)).expect(path)
}

/// `key: value` lines (indented, not comments) of versions.yaml.
fn pins(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter(|l| l.starts_with("  ") && !l.trim_start().starts_with('#'))
        .filter_map(|l| l.trim().split_once(": "))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn renovate_finds_every_pin() {
    let text = repo_file("versions.yaml");
    let config: serde_json::Value =
        serde_json::from_str(&repo_file("renovate.json")).expect("JSON");
    let manager = &config["customManagers"][0];
    assert_eq!(manager["customType"], "regex");
    let pattern = manager["matchStrings"][0].as_str().expect("a pattern");
    let re = regex::Regex::new(pattern).expect("the pattern compiles");
    let found: Vec<(String, String)> = re
        .captures_iter(&text)
        .map(|c| {
            let line = c.get(0).map_or("", |m| m.as_str());
            let key = line
                .lines()
                .last()
                .and_then(|l| l.trim().split_once(':'))
                .map_or("", |(k, _)| k);
            (key.to_string(), c["currentValue"].to_string())
        })
        .collect();
    let pins = pins(&text);
    assert_eq!(
        found, pins,
        "every pin is preceded by its `# renovate:` comment"
    );
    for (key, value) in &pins {
        assert_eq!(versions::pin(key), value, "{key}");
    }
    eprintln!("{} pins, each found by the Renovate manager", pins.len());
}

#[test]
fn the_compiled_pins_are_the_files() {
    assert_eq!(versions::LOKI.version, versions::pin("loki"));
    assert_eq!(versions::MIMIR.version, versions::pin("mimir-distributed"));
    assert_eq!(
        versions::SETUP_JOB_IMAGE,
        format!("docker.io/alpine/k8s:{}", versions::pin("setup-job-image"))
    );
    // vendor.sh fetches the `dashboards:` tags; SOURCES.md records them.
    let sources = repo_file("vendor/mixins/SOURCES.md");
    for key in [
        "kube-prometheus",
        "loki-mixin",
        "mimir-mixin",
        "alloy-mixin",
    ] {
        let tag = versions::pin(key);
        assert!(
            sources.contains(&format!("| {tag} |")),
            "SOURCES.md lacks {key} {tag}"
        );
    }
    assert!(repo_file("vendor/mixins/vendor.sh").contains("$(pin mimir-mixin)"));
}
