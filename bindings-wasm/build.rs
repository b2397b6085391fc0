//! The catalog (operations, events, JSON Schemas of every result) as JSON text for the
//! `catalogJson` export, written at build time from the core itself: the schema generator
//! (schemars) then stays out of the `.wasm` that browsers and edge workers download.

fn main() {
    let out = std::path::PathBuf::from(std::env::var_os("OUT_DIR").unwrap_or_default());
    let text = wxpay_terminate::catalog_json().to_string();
    if let Err(e) = std::fs::write(out.join("catalog.json"), text) {
        // A build script reports failure by exiting non-zero; cargo shows this message.
        eprintln!("cannot write catalog.json to OUT_DIR: {e}");
        std::process::exit(1);
    }
    println!("cargo::rerun-if-changed=build.rs");
}
