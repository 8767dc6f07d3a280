//! `pydoctor scan` of a venv made with the Nix-like python (docs/how-it-is-tested.md, "The Nix-like python"): the venv's
//! own interpreter's loader (Nix glibc: no ld.so.cache, no /usr/lib) must be used, every
//! missing library reported at once, and exactly the files that the real interpreter fails
//! to dlopen named.

#[path = "support/nixlike.rs"]
mod nixlike;
#[path = "scan_support/mod.rs"]
mod scan_support;

use std::collections::BTreeSet;
use std::process::Command;

use scan_support::*;

#[test]
fn a_nix_like_venv_is_resolved_with_its_own_loader_and_matches_the_real_import() {
    let Some(python) = nixlike::venv("scan-numpy", &["numpy==2.3.2"]) else {
        return;
    };
    let venv = python.parent().unwrap().parent().unwrap();
    let store = nixlike::store_dir();
    let out = Command::new(pydoctor())
        .args(["scan", "--format", "json"])
        .arg(venv)
        .env("NIX_STORE_DIR", &store)
        .env_remove("VIRTUAL_ENV")
        .env_remove("LD_LIBRARY_PATH")
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    assert_eq!(out.status.code(), Some(1), "{doc:#}");
    assert_eq!(doc["extra"]["scan"]["loader_flavor"], "nix-glibc");
    assert_eq!(
        doc["extra"]["scan"]["interpreter_chosen_by"],
        "the scanned venv"
    );

    // Both missing libraries at once (the real loader shows one at a time).
    let missing: BTreeSet<&str> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["kind"] == "missing-shared-library" && f["latent"] == false)
        .map(|f| f["library"].as_str().unwrap())
        .collect();
    assert!(missing.contains("libstdc++.so.6"), "{missing:?}");
    assert!(missing.contains("libz.so.1"), "{missing:?}");
    // libgcc_s is found in Nix glibc's default dirs.
    assert!(!missing.contains("libgcc_s.so.1"), "{missing:?}");

    let json = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(json.path(), doc.to_string()).unwrap();
    let really = direct_failures(oracle_failures(&python, json.path(), &[]), &doc);
    assert!(!really.is_empty());
    assert_eq!(reported_failures(&doc), really);
}
