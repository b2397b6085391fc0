//! One version for every package: the crate (and through maturin the wheel, whose version is
//! dynamic), the npm package and the JVM artefact.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::path::Path;

fn read(relative: &str) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    std::fs::read_to_string(root.join(relative)).unwrap_or_else(|e| panic!("{relative}: {e}"))
}

#[test]
fn every_package_has_the_workspace_version() {
    let version = env!("CARGO_PKG_VERSION");
    let npm: serde_json::Value = serde_json::from_str(&read("bindings-wasm/package.json")).unwrap();
    assert_eq!(npm["version"], version, "bindings-wasm/package.json");

    let pom = read("bindings-uniffi/kotlin/pom.xml");
    let project_version = pom
        .split("<version>")
        .nth(1)
        .and_then(|rest| rest.split("</version>").next());
    assert_eq!(
        project_version,
        Some(version),
        "bindings-uniffi/kotlin/pom.xml"
    );

    let pyproject = read("bindings-python/pyproject.toml");
    assert!(
        pyproject.contains(r#"dynamic = ["version"]"#),
        "the wheel takes its version from Cargo.toml"
    );
    assert!(
        read("CHANGELOG.md").contains("## Unreleased")
            || read("CHANGELOG.md").contains(&format!("## {version}")),
        "CHANGELOG.md names the version"
    );
}
