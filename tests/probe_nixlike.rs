//! The probe on the Nix-like python with real numpy 2.3.2 (docs/how-it-is-tested.md, "The Nix-like python"): one missing
//! library at a time, as the real loader reports them, and the store lookup that finds them.

#[path = "support/nixlike.rs"]
mod nixlike;

use std::time::Duration;

use pydoctor::env::interpreter::{HowFound, Interpreter};
use pydoctor::env::store::{Budget, find_libraries};
use pydoctor::request::Request;
use pydoctor::source::probe::{self, ProbeOptions, ProbeOutcome, ProbeResult};

fn import_numpy(python: &std::path::Path, ld_library_path: Option<String>) -> ProbeResult {
    let t = tempfile::tempdir().unwrap();
    let mut request = Request::from_process(vec![]);
    request.cwd = t.path().to_path_buf();
    request.vars.remove("LD_LIBRARY_PATH");
    let mut options = ProbeOptions::new(
        request.vars.clone(),
        request.cwd.clone(),
        Duration::from_secs(120),
    );
    if let Some(value) = ld_library_path {
        options
            .env_overrides
            .push(("LD_LIBRARY_PATH".into(), value));
    }
    let interp = Interpreter::at(python.to_path_buf(), HowFound::Flag);
    match probe::run_import(&interp.path, "numpy", &options).unwrap() {
        ProbeOutcome::Ran(r) => *r,
        other => panic!("{other:?}"),
    }
}

#[test]
fn numpy_2_3_2_fails_one_missing_library_at_a_time() {
    let Some(python) = nixlike::venv("numpy-2.3.2", &["numpy==2.3.2"]) else {
        return;
    };
    let gcc_lib = nixlike::package_lib("gcc-12.2.0-lib").unwrap();
    let zlib = nixlike::package_lib("zlib-1.2.13").unwrap();

    let first = import_numpy(&python, None);
    assert!(!first.ok && first.completed);
    assert_eq!(first.chain.len(), 3, "{:?}", first.chain);
    assert!(
        first.chain[0]
            .message
            .starts_with("libstdc++.so.6: cannot open shared object file")
    );
    assert!(first.chain[2].message.contains("source directory"));
    assert!(first.trying().unwrap().contains("_multiarray_umath"));
    let store = nixlike::store_dir();
    assert!(
        first
            .loaded_objects
            .iter()
            .any(|o| o.starts_with(store.to_str().unwrap()) && o.ends_with("/libc.so.6")),
        "{:?}",
        first.loaded_objects
    );

    let second = import_numpy(&python, Some(gcc_lib.display().to_string()));
    assert!(!second.ok);
    assert!(
        second.chain[0]
            .message
            .starts_with("libz.so.1: cannot open shared object file")
    );

    let both = import_numpy(
        &python,
        Some(format!("{}:{}", gcc_lib.display(), zlib.display())),
    );
    assert!(both.ok, "{:?}", both.chain);
    assert!(
        both.loaded_objects
            .iter()
            .any(|o| o.ends_with("libstdc++.so.6"))
    );
}

#[test]
fn the_store_lookup_finds_where_the_missing_libraries_sit() {
    if nixlike::python().is_none() {
        return;
    }
    let found = find_libraries(
        &nixlike::store_dir(),
        &[
            "libstdc++.so.6",
            "libz.so.1",
            "libgcc_s.so.1",
            "libquux.so.9",
        ],
        Budget::default(),
    )
    .found;
    assert_eq!(
        found["libstdc++.so.6"],
        vec![nixlike::package_lib("gcc-12.2.0-lib").unwrap()]
    );
    assert_eq!(
        found["libz.so.1"],
        vec![nixlike::package_lib("zlib-1.2.13").unwrap()]
    );
    assert_eq!(found["libgcc_s.so.1"].len(), 2);
    assert!(found["libquux.so.9"].is_empty());
}
