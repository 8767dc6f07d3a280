//! The numpy failure of the Nix tests, through an FHS (pyenv) python instead: libstdc++ is
//! hidden in a private mount namespace (docs/how-it-is-tested.md, "Hiding a system library"; `scripts/fixtures/hide-lib.sh`)
//! and pydoctor itself runs inside it. The advice differs: a distribution package first, no
//! LD_LIBRARY_PATH of store paths, nothing about Nix. Needs root and `unshare -m`; skips loudly
//! without them.

#[path = "check_common.rs"]
mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{Run, clean, diagnosis, findings, fix_ids, run_with_stdin};
use serde_json::Value;

const LIB_DIR: &str = "/usr/lib/x86_64-linux-gnu";
/// numpy's core extension module, with any CPython's suffix.
fn is_multiarray(path: &str) -> bool {
    path.contains("/numpy/_core/_multiarray_umath.cpython-") && path.ends_with(".so")
}

fn hide_script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/fixtures/hide-lib.sh")
}

/// The files of libstdc++.so.6 in the system lib dir (names differ between releases).
fn libstdcxx_files() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(LIB_DIR)
        .map(|dir| {
            dir.flatten()
                .filter_map(|e| e.file_name().into_string().ok())
                .filter(|n| n.starts_with("libstdc++.so.6"))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// Run `program args` with libstdc++ hidden, or None (after SKIPPED) where that cannot be done.
fn hidden(program: &Path, args: &[&str]) -> Option<Run> {
    let names = libstdcxx_files();
    if names.is_empty() {
        common::skip(format!("no libstdc++.so.6 under {LIB_DIR} to hide"));
        return None;
    }
    if unsafe { libc::geteuid() } != 0 {
        common::skip("hiding a library needs root (mount namespace + overlay)");
        return None;
    }
    let cwd = tempfile::tempdir().unwrap();
    let mut cmd = clean("unshare", cwd.path());
    cmd.args(["-m", "sh"])
        .arg(hide_script())
        .arg(LIB_DIR)
        .arg(names.join(","))
        .arg("--")
        .arg(program)
        .args(args);
    let run = run_with_stdin(&mut cmd, None);
    if run.stderr.contains("unshare:") || run.stderr.contains("mount:") {
        common::skip(format!("cannot hide a library here: {}", run.stderr.trim()));
        return None;
    }
    Some(run)
}

fn numpy_venv() -> Option<PathBuf> {
    common::host_venv("fhs-numpy", &["numpy==2.3.2"])
}

#[test]
fn numpy_with_libstdcxx_hidden_gets_distribution_advice() {
    let Some(python) = numpy_venv() else { return };
    if Command::new("unshare").arg("--help").output().is_err() {
        common::skip("no unshare");
        return;
    }

    // The recipe really breaks the import, in the namespace only.
    let Some(real) = hidden(&python, &["-c", "import numpy"]) else {
        return;
    };
    assert_ne!(real.code, 0);
    assert!(
        real.stderr
            .contains("libstdc++.so.6: cannot open shared object file"),
        "{}",
        real.stderr
    );

    let args = [
        "check",
        "numpy",
        "--python",
        python.to_str().unwrap(),
        "--format",
        "json",
    ];
    let Some(run) = hidden(common::bin(), &args) else {
        return;
    };
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    let doc: Value = run.json();

    let py = &doc["environment"]["python"];
    if let Some(kind) = common::fhs_python().and_then(common::expected_kind) {
        assert_eq!(py["kind"], kind, "{py:#}");
    }
    assert_eq!(py["loader_flavor"], "fhs-glibc", "{py:#}");

    // Only libstdc++ is missing here (the system has zlib), for _multiarray_umath first.
    let missing = findings(&doc, "missing-shared-library", false);
    assert!(
        missing
            .iter()
            .any(|(lib, by)| lib == "libstdc++.so.6" && is_multiarray(by)),
        "{missing:?}"
    );
    assert!(
        missing.iter().all(|(lib, _)| lib == "libstdc++.so.6"),
        "{missing:?}"
    );
    let d = diagnosis(&doc, "missing-shared-library").expect("a diagnosis");
    assert_eq!(d, &doc["diagnoses"][0]);
    assert_eq!(d["library"], "libstdc++.so.6");
    assert!(is_multiarray(d["required_by"].as_str().unwrap()));

    // The advice for an FHS python: the distribution's package first; nothing from Nix.
    let ids = fix_ids(d);
    assert_eq!(ids[0], "distro-package", "{ids:?}");
    for nix in [
        "ld-library-path",
        "nix-ld",
        "fix-python",
        "nixpkgs-python",
        "fhs-env",
    ] {
        assert!(!ids.iter().any(|i| i == nix), "{nix} offered: {ids:?}");
    }
    let snippet = d["fixes"][0]["snippet"].as_str().unwrap();
    assert!(snippet.contains("apt-get install libstdc++6"), "{snippet}");
    let text = d["fixes"].to_string() + d["explanation"].as_str().unwrap();
    assert!(
        !text.contains("/nix/store") && !text.contains("nix-"),
        "{text}"
    );

    // numpy 2.3.2's "source directory" message is seen through here too.
    let misleading = doc["failure"]["misleading"].as_array().unwrap();
    assert!(
        misleading
            .iter()
            .any(|m| m["id"] == "numpy-source-directory"
                && m["hidden_cause"]
                    .as_str()
                    .unwrap()
                    .contains("libstdc++.so.6")),
        "{misleading:#?}"
    );

    // Outside the namespace nothing changed: the same check is healthy.
    let cwd = tempfile::tempdir().unwrap();
    let outside = common::pydoctor(&args, &[], cwd.path());
    assert_eq!(outside.code, 0, "{}", outside.stdout);
    assert_eq!(outside.json()["status"], "ok");
}
