//! The resolver's errors are typed, and each maps to its cause once: a needed name that
//! leads nowhere is a missing library, not a file of the wrong ELF class (every error of a
//! search once became `wrong-elf-class`). Fixtures are built by gcc at test time.

mod support;
// Shared with other support modules the same test may include.
#[allow(clippy::duplicate_mod)]
#[path = "support/skip.rs"]
mod skip;

use std::path::{Path, PathBuf};
use std::process::Command;

use pydoctor::env::loader_facts::Loaders;
use pydoctor::evidence::CauseKind;
use pydoctor::loader::{HOST_LOADER, KnownLoader, LoaderContext, ResolveError, Resolver};
use pydoctor::source::loader_findings::findings;
use support::{FIXTURES, Fx};

/// `B/libb.so` needing `$LIB/liba.so` as written: linked by a path with no soname, the
/// linker records the path as given.
fn needs_lib_token(fx: &Fx) -> PathBuf {
    let gcc = |args: &[&str]| {
        let status = Command::new("gcc")
            .args(["-shared", "-fPIC"])
            .args(args)
            .current_dir(fx.dir.path())
            .status()
            .unwrap();
        assert!(status.success());
    };
    fx.mkdir("$LIB");
    fx.mkdir("B");
    let a = Path::new(FIXTURES).join("a.c");
    let b = Path::new(FIXTURES).join("b.c");
    gcc(&["-o", "$LIB/liba.so", a.to_str().unwrap()]);
    gcc(&["-o", "B/libb.so", b.to_str().unwrap(), "$LIB/liba.so"]);
    fx.path("B/libb.so")
}

#[test]
fn a_needed_path_whose_token_has_no_value_is_a_missing_library() {
    let fx = Fx::new();
    let root = needs_lib_token(&fx);
    let loaders = Loaders::from_request(&fx.request(&[], fx.dir.path()));
    let host = KnownLoader::at(Path::new(HOST_LOADER), &loaders.settings.store_dir);
    let mut facts = loaders.facts(&host);
    // A loader that does not say what `$LIB` is (musl's facts, a loader that cannot run).
    facts.lib_dst = None;
    let ours = Resolver::new(LoaderContext::host(&host, facts, &loaders.settings)).resolve(&root);
    let lib = &ours.needed[0];
    assert_eq!(lib.soname, "$LIB/liba.so");
    assert_eq!(lib.error, Some(ResolveError::EmptyDst));
    let json = serde_json::to_value(lib).unwrap();
    assert_eq!(json["error"], "empty dynamic string token substitution");
    let found = findings(std::slice::from_ref(&ours));
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].kind, CauseKind::MissingSharedLibrary);
    assert_eq!(found[0].library.as_deref(), Some("$LIB/liba.so"));
}

#[test]
fn a_needed_name_stopped_by_a_broken_file_is_a_file_the_loader_refuses() {
    let fx = Fx::new();
    let a = fx.lib("a.c", "A/liba.so", &[]);
    let rpath = format!("-Wl,-rpath,{}", fx.path("X").display());
    let root = fx.lib("b.c", "B/libb.so", &[a.to_str().unwrap(), &rpath]);
    fx.mkdir("X");
    std::fs::write(fx.path("X/liba.so"), b"short").unwrap();
    let loaders = Loaders::from_request(&fx.request(&[], fx.dir.path()));
    let ours = Resolver::new(loaders.host()).resolve(&root);
    let lib = &ours.needed[0];
    assert!(
        matches!(&lib.error, Some(ResolveError::BadCandidate { reason, .. }) if *reason == "file too short"),
        "{lib:?}"
    );
    let found = findings(std::slice::from_ref(&ours));
    assert_eq!(found[0].kind, CauseKind::WrongElfClass, "{found:#?}");
    assert!(
        found[0].detail.ends_with("/X/liba.so: file too short"),
        "{found:#?}"
    );
}
