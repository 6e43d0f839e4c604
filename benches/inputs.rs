//! Writes the inputs of `bench/run.sh` to the directory in `$BENCH_OUT`; without it (as in a
//! plain `cargo bench`) it does nothing. The script runs it unoptimised, which is quick to build:
//! `BENCH_OUT=DIR cargo test --bench inputs`.
//!
//! Files: `seed.yaml` (the seed stack's ResourceList), `list-N.yaml` (N objects of the mix plus
//! the minimal stack), `compact-N.yaml` (N small ConfigMaps: 100,000 fit the input limit),
//! `list-10mb.yaml` (10 MB), `alias-heavy-9mb.yaml`, `flow-scalars-3.9m.yaml`,
//! `compact-100000.json`, `list-10mb-crlf.yaml`, `list-10mb-duplicate-key.yaml` (issue 16's
//! memory cases), `pkg-N/` (N objects in files with a
//! kustomization) and `stack.yaml` (the minimal stack, kpt's `--fn-config`).

mod support;

use std::path::PathBuf;

fn main() {
    let Some(out) = std::env::var_os("BENCH_OUT").map(PathBuf::from) else {
        return;
    };
    let write = |name: &str, text: &str| {
        std::fs::write(out.join(name), text).unwrap_or_else(|e| panic!("write {name}: {e}"));
    };
    std::fs::create_dir_all(&out).expect("create $BENCH_OUT");
    write("seed.yaml", &support::seed_list());
    write("stack.yaml", support::MINIMAL_STACK);
    for n in [1_000, 2_000, 10_000, 80_000, 100_000] {
        write(&format!("list-{n}.yaml"), &support::resource_list(n));
    }
    for n in [1_000, 10_000, 100_000] {
        write(
            &format!("compact-{n}.yaml"),
            &support::compact_resource_list(n),
        );
    }
    let (ten_mb, n) = support::resource_list_of_size(10_000_000);
    write("list-10mb.yaml", &ten_mb);
    write("list-10mb.count", &format!("{n}\n"));
    write("list-10mb-crlf.yaml", &ten_mb.replace('\n', "\r\n"));
    write(
        "list-10mb-duplicate-key.yaml",
        &support::with_duplicate_key_in_last_item(&ten_mb),
    );
    // Pass-through of items the function does not own (issue 17): 30,000 objects in kpt's
    // block style, with one flow item, with 10% flow/alias/quoted multi-line items, as JSON.
    let block = support::styled_resource_list(30_000, 0, false);
    write("passthrough-json.json", &support::as_json(&block));
    write("passthrough-block.yaml", &block);
    write(
        "passthrough-one-flow.yaml",
        &support::styled_resource_list(30_000, 0, true),
    );
    write(
        "passthrough-10pct.yaml",
        &support::styled_resource_list(30_000, 10, false),
    );
    // Memory on error and full-read paths (issue 16, class 4b): a 9 MB alias-heavy item past
    // the node budget, 3.9 million flow scalars in one item, 100,000 objects as JSON (the
    // 10 MB list behind a `%YAML` directive is made by bench/run.sh).
    write(
        "alias-heavy-9mb.yaml",
        &support::alias_heavy_list(1_800_000),
    );
    write(
        "flow-scalars-3.9m.yaml",
        &support::flow_scalars_list(3_900_000),
    );
    write(
        "compact-100000.json",
        &support::as_json(&support::compact_resource_list(100_000)),
    );
    for n in [1_000, 2_000] {
        support::write_package(&out.join(format!("pkg-{n}")), n).expect("write package");
    }
}
