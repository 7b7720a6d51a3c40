//! Keeps relocations in the app's linked wasm: `wasm-split-cli` (Trunk's post_build hook,
//! scripts/split.mjs) needs them to cut the lazily loaded parts out (src/ui/lazy.rs). Only the
//! app binary's wasm link gets the flag: the worker, native builds and the wasm test binaries
//! are linked as usual.
fn main() {
    if std::env::var("CARGO_CFG_TARGET_ARCH").as_deref() == Ok("wasm32") {
        println!("cargo:rustc-link-arg-bins=--emit-relocs");
    }
}
