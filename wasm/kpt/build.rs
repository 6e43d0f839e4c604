//! Linker settings of the kpt WASM module (only when building for wasm32).

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    if std::env::var("CARGO_CFG_TARGET_ARCH").as_deref() != Ok("wasm32") {
        return;
    }
    // Go's glue reads the linear memory from the export `mem` (wasm-ld's default name is `memory`).
    println!("cargo::rustc-link-arg-cdylib=--export-memory=mem");
    // The shadow stack sits below the data, at the bottom of memory (wasm-ld's default layout), so
    // an overflow traps instead of overwriting data. 4 MiB instead of the default 1 MiB: deeply
    // nested YAML is parsed and written recursively. (The host writes argv at 4096 before `run`,
    // when the stack is empty, and the module never reads it.)
    println!("cargo::rustc-link-arg-cdylib=-zstack-size=4194304");
}
