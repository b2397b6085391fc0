//! Loads the shared vectors in `tests/vectors/` for the Rust suite and the benchmarks.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;
use wxpay_terminate::{Client, ClientConfig};

/// `tests/vectors`, anchored on this crate, never on the working directory.
pub fn vectors_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("vectors")
}

/// One case file.
#[derive(Debug, Clone)]
pub struct Case {
    /// Path relative to `tests/vectors/cases`, used as the test name.
    pub name: String,
    /// The parsed JSON.
    pub json: Value,
}

/// Every `cases/**/*.json`, sorted by path.
pub fn load_cases() -> Result<Vec<Case>, String> {
    let root = vectors_dir().join("cases");
    let mut files = Vec::new();
    collect_json(&root, &mut files)?;
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let text = fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            let json =
                serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
            let name = path
                .strip_prefix(&root)
                .map_err(|e| e.to_string())?
                .with_extension("")
                .to_string_lossy()
                .replace('\\', "/");
            Ok(Case { name, json })
        })
        .collect()
}

fn collect_json(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), String> {
    for entry in fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))? {
        let path = entry.map_err(|e| e.to_string())?.path();
        if path.is_dir() {
            collect_json(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "json") {
            out.push(path);
        }
    }
    Ok(())
}

/// Checks `tests/vectors/manifest.json` against the files on disk: the same set of case,
/// client and key files, each with its SHA-256. Returns the number of cases it lists.
pub fn check_manifest() -> Result<usize, String> {
    use sha2::{Digest, Sha256};
    let dir = vectors_dir();
    let text = fs::read_to_string(dir.join("manifest.json"))
        .map_err(|e| format!("tests/vectors/manifest.json: {e}"))?;
    let manifest: Value = serde_json::from_str(&text).map_err(|e| format!("manifest.json: {e}"))?;
    let listed = manifest["files"]
        .as_object()
        .ok_or("manifest.json has no `files` object")?;
    let mut on_disk = Vec::new();
    collect_json(&dir.join("cases"), &mut on_disk)?;
    on_disk.push(dir.join("clients.json"));
    for entry in fs::read_dir(dir.join("keys")).map_err(|e| e.to_string())? {
        let path = entry.map_err(|e| e.to_string())?.path();
        if path.extension().is_some_and(|e| e == "pem") {
            on_disk.push(path);
        }
    }
    let mut problems = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for path in on_disk {
        let name = path
            .strip_prefix(&dir)
            .map_err(|e| e.to_string())?
            .to_string_lossy()
            .replace('\\', "/");
        let digest = Sha256::digest(fs::read(&path).map_err(|e| format!("{name}: {e}"))?);
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        match listed.get(&name).and_then(Value::as_str) {
            None => problems.push(format!("{name}: on disk but not in manifest.json")),
            Some(want) if want != hex => problems.push(format!(
                "{name}: edited (its hash differs from manifest.json)"
            )),
            Some(_) => {}
        }
        seen.insert(name);
    }
    for name in listed.keys().filter(|n| !seen.contains(*n)) {
        problems.push(format!("{name}: listed in manifest.json but missing"));
    }
    if !problems.is_empty() {
        return Err(problems.join("\n"));
    }
    manifest["cases"]
        .as_u64()
        .and_then(|n| usize::try_from(n).ok())
        .ok_or_else(|| "manifest.json has no `cases` count".to_owned())
}

/// The bytes of `keys/<file>`.
pub fn key_file(file: &str) -> Result<Vec<u8>, String> {
    let path = vectors_dir().join("keys").join(file);
    fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))
}

/// Every named client of `clients.json`.
pub fn load_clients() -> Result<BTreeMap<String, Value>, String> {
    let path = vectors_dir().join("clients.json");
    let text = fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

fn opt_str(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::to_owned)
}

/// A `ClientConfig` from a `clients.json`-shaped object: key files in `keys/` are read into
/// their PEM text, then the core's own `ClientConfig::from_json` takes the options.
pub fn config_from_json(v: &Value) -> Result<ClientConfig, String> {
    let mut options = v.as_object().cloned().unwrap_or_default();
    let read_text = |file: &str| -> Result<Value, String> {
        Ok(Value::String(
            String::from_utf8_lossy(&key_file(file)?).into_owned(),
        ))
    };
    if let Some(text) = options.remove("private_key_text") {
        options.insert("private_key".to_owned(), text);
    } else if let Some(file) = opt_str(v, "private_key") {
        options.insert("private_key".to_owned(), read_text(&file)?);
    }
    if let Some(file) = opt_str(v, "wechatpay_public_key") {
        options.insert("wechatpay_public_key".to_owned(), read_text(&file)?);
    }
    if let Some(files) = v.get("platform_certificates").and_then(Value::as_array) {
        let pems = files
            .iter()
            .filter_map(Value::as_str)
            .map(read_text)
            .collect::<Result<Vec<_>, _>>()?;
        options.insert("platform_certificates".to_owned(), Value::Array(pems));
    }
    ClientConfig::from_json(Value::Object(options)).map_err(|e| e.to_string())
}

/// The client named `name` in `clients.json`.
pub fn client(name: &str) -> Result<Client, String> {
    let clients = load_clients()?;
    let config = clients
        .get(name)
        .ok_or_else(|| format!("no client `{name}` in clients.json"))?;
    Client::new(&config_from_json(config)?).map_err(|e| format!("client `{name}`: {e}"))
}
