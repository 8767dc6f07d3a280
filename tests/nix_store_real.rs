//! What pydoctor asks the real `nix-store` (Debian's nix-bin, with a store at /nix/store):
//! whether a GC root holds a path, before and after `nix-store --add-root`, and a path's
//! closure. Needs nix and a writable store; skips loudly without them.

use std::path::{Path, PathBuf};
use std::process::Command;

use pydoctor::env::nix_store::NixStore;

#[path = "support/skip.rs"]
mod skip;

fn nix_store() -> Option<NixStore> {
    let program = std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .map(|d| d.join("nix-store"))
            .find(|p| p.is_file())
    });
    let Some(program) = program else {
        skip::skip("no nix-store on PATH (Debian's nix-bin has one)");
        return None;
    };
    Some(NixStore { program })
}

/// A file added to the real store, so that nix knows it as a valid path.
fn add_to_store(nix: &NixStore, dir: &Path) -> Option<PathBuf> {
    let out = Command::new(&nix.program)
        .arg("--add")
        .arg(dir)
        .output()
        .ok()?;
    if !out.status.success() {
        skip::skip(format!(
            "nix-store --add failed (no writable store here?): {}",
            String::from_utf8_lossy(&out.stderr)
        ));
        return None;
    }
    Some(PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()))
}

#[test]
fn a_store_path_is_rooted_only_while_a_gc_root_points_at_it() {
    let Some(nix) = nix_store() else { return };
    let t = tempfile::tempdir().unwrap();
    let lib = t.path().join("pydoctor-gc-test");
    std::fs::create_dir_all(lib.join("lib")).unwrap();
    // Unique content, so that no earlier run's root holds the same path.
    let stamp = format!("{:?}", std::time::SystemTime::now());
    std::fs::write(lib.join("lib/libpydoctor_gc.so.1"), stamp).unwrap();
    let Some(path) = add_to_store(&nix, &lib) else {
        return;
    };
    assert_eq!(nix.is_rooted(&path), Some(false), "{}", path.display());
    let root = t.path().join("gcroots/lib");
    std::fs::create_dir_all(root.parent().unwrap()).unwrap();
    let added = Command::new(&nix.program)
        .args(["--add-root"])
        .arg(&root)
        .args(["--indirect", "--realise"])
        .arg(&path)
        .status()
        .unwrap();
    assert!(added.success());
    assert_eq!(nix.is_rooted(&path), Some(true));
    assert_eq!(nix.requisites(&path), Some(vec![path.clone()]));
    std::fs::remove_file(&root).unwrap();
    assert_eq!(nix.is_rooted(&path), Some(false));
}
