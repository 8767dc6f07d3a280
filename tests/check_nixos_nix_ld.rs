//! NixOS's `/lib64/ld-linux-x86-64.so.2` for real: in a private mount namespace (as root), a
//! directory is bind-mounted over `/lib64` whose loader is a symlink to a stand-in nix-ld or
//! stub-ld, and `/etc/os-release` says NixOS. The stand-ins are freestanding static programs
//! built with gcc here (`fixtures/c/nixos/fhs-loader-standin.c`); the nix-ld one hands the
//! program to `$NIX_LD`, the Nix-like glibc loader (no system cache, no `/usr/lib`), with
//! `$NIX_LD_LIBRARY_PATH` searched. A pyenv python with a venv holding numpy 2.3.2 then runs as
//! a uv-managed python does on NixOS with nix-ld.
//!
//! Every dynamically linked program in the namespace starts through the stand-in, so pydoctor
//! itself is started by a copy of the real loader kept in the mounted dir; the pythons it runs
//! go through `/lib64` like any program. Skips loudly without root, `unshare`, gcc, the FHS
//! python or the Nix-like store.

#[path = "support/nixlike.rs"]
mod nixlike;

#[path = "check_common.rs"]
mod common;

#[path = "support/nixos.rs"]
mod nixos;

use std::path::{Path, PathBuf};

use common::{Run, diagnosis, fix, run_with_stdin};
use nixos::{FhsLoader, Machine};
use serde_json::Value;

/// `program args…` in the machine with `envs`.
fn run_in(machine: &Machine, program: &Path, args: &[&str], envs: &[(&str, &str)]) -> Run {
    let cwd = tempfile::tempdir().unwrap();
    let mut cmd = machine.command(program, args, cwd.path());
    let run = run_with_stdin(cmd.envs(envs.iter().copied()), None);
    assert!(
        !nixos::setup_failed(run.code),
        "no namespace: {}",
        run.stderr
    );
    run
}

/// pydoctor in the machine, started by the real loader.
fn pydoctor_in(machine: &Machine, args: &[&str], envs: &[(&str, &str)]) -> Run {
    let cwd = tempfile::tempdir().unwrap();
    let mut cmd = machine.through_real_loader(common::bin(), args, cwd.path());
    let run = run_with_stdin(cmd.envs(envs.iter().copied()), None);
    assert!(
        !nixos::setup_failed(run.code),
        "no namespace: {}",
        run.stderr
    );
    run
}

/// The FHS venv with numpy, and the Nix-like store (its loader is what NIX_LD names).
fn fixtures() -> Option<(PathBuf, PathBuf)> {
    let python = common::host_venv("fhs-numpy", &["numpy==2.3.2"])?;
    nixlike::python()?;
    Some((python, nixlike::store_dir()))
}

fn nix_ld_loader() -> PathBuf {
    nixlike::package_lib("glibc-2.36")
        .expect("the Nix-like glibc")
        .join("ld-linux-x86-64.so.2")
}

/// nix-ld's list before the fix: zlib, and what the python binary itself links (Debian's
/// links libexpat), as a NixOS user's list would carry.
fn zlib_dir(python: &Path) -> String {
    let zlib = nixlike::package_lib("zlib-1.2.13").expect("the Nix-like zlib");
    let real = python.canonicalize().unwrap_or(python.to_path_buf());
    let scratch = tempfile::tempdir().unwrap().keep();
    let own = nixos::own_libraries(&real, &scratch).expect("the python's own libraries");
    format!("{}:{}", zlib.display(), own.display())
}

fn check(machine: &Machine, python: &Path, store: &Path, envs: &[(&str, &str)]) -> Run {
    let mut all = vec![("NIX_STORE_DIR", store.to_str().unwrap())];
    all.extend_from_slice(envs);
    pydoctor_in(
        machine,
        &[
            "check",
            "numpy",
            "--python",
            python.to_str().unwrap(),
            "--format",
            "json",
        ],
        &all,
    )
}

#[test]
fn under_nix_ld_without_libstdcxx_the_diagnosis_is_nix_ld_and_its_libraries_make_numpy_import() {
    let Some((python, store)) = fixtures() else {
        return;
    };
    let Some(machine) = Machine::new(FhsLoader::NixLd) else {
        return;
    };
    let loader = nix_ld_loader();
    let zlib = zlib_dir(&python);
    let nix_ld = [
        ("NIX_LD", loader.to_str().unwrap()),
        ("NIX_LD_LIBRARY_PATH", zlib.as_str()),
    ];
    // The real failure, through the stand-in and Nix glibc's search.
    let real = run_in(&machine, &python, &["-c", "import numpy"], &nix_ld);
    assert_ne!(real.code, 0, "{}", real.stderr);
    assert!(
        real.stderr
            .contains("libstdc++.so.6: cannot open shared object file"),
        "{}",
        real.stderr
    );

    let run = check(&machine, &python, &store, &nix_ld);
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    let doc = run.json();
    let env = &doc["environment"];
    assert_eq!(env["os"]["nixos"], true, "{env:#}");
    assert_eq!(env["nix_ld"]["fhs_loader"], "nix-ld", "{env:#}");
    // The python is the pyenv one it is, not the loader that nix-ld ran it with.
    let py = &env["python"];
    assert_eq!(py["loader"], "/lib64/ld-linux-x86-64.so.2", "{py:#}");
    assert_ne!(py["kind"], "nix-store", "{py:#}");
    if let Some(kind) = common::fhs_python().and_then(common::expected_kind) {
        assert_eq!(py["kind"], kind, "{py:#}");
    }
    let d = diagnosis(&doc, "missing-shared-library").expect("a missing library");
    assert_eq!(d["rule"], "PD102", "{d:#}");
    assert_eq!(doc["diagnoses"][0]["rule"], "PD102", "it leads");
    let f = fix(d, "nix-ld");
    assert_eq!(f["verified"], "verified", "{f:#}");
    let snippet = f["snippet"].as_str().unwrap();
    assert!(snippet.contains("programs.nix-ld.libraries"), "{snippet}");
    assert!(snippet.contains("stdenv.cc.cc.lib"), "{snippet}");
    // libz is found through NIX_LD_LIBRARY_PATH: nix-ld's list, not a fragile shell variable.
    for finding in doc["findings"].as_array().unwrap() {
        assert!(
            !(finding["library"] == "libz.so.1" && finding["latent"] == true),
            "{finding:#}"
        );
    }

    // The directories it chose, added to nix-ld's list, really make the import work.
    let chosen: Vec<String> = d["store_candidates"]
        .as_array()
        .expect("store candidates")
        .iter()
        .filter(|c| c["chosen"] == true)
        .map(|c| c["dir"].as_str().unwrap().to_string())
        .collect();
    assert!(!chosen.is_empty(), "{d:#}");
    let fixed = std::iter::once(zlib.clone())
        .chain(chosen)
        .collect::<Vec<_>>()
        .join(":");
    let fixed_env = [
        ("NIX_LD", loader.to_str().unwrap()),
        ("NIX_LD_LIBRARY_PATH", fixed.as_str()),
    ];
    let works = run_in(
        &machine,
        &python,
        &["-c", "import numpy; print(numpy.__version__)"],
        &fixed_env,
    );
    assert_eq!(works.code, 0, "{}", works.stderr);
    assert_eq!(works.stdout.trim(), "2.3.2");
    let after = check(&machine, &python, &store, &fixed_env);
    assert_eq!(after.code, 0, "{}\n{}", after.stdout, after.stderr);
    let doc = after.json();
    assert!(
        doc["diagnoses"].as_array().unwrap().is_empty(),
        "{:#}",
        doc["diagnoses"]
    );
}

/// The one diagnosis of an interpreter that cannot start, and what the real run printed.
fn cannot_start(machine: &Machine, envs: &[(&str, &str)]) -> Option<(Value, String)> {
    let (python, store) = fixtures()?;
    let real = run_in(machine, &python, &["-c", "pass"], envs);
    assert_eq!(real.code, 127, "{}{}", real.stdout, real.stderr);
    let run = check(machine, &python, &store, envs);
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    let doc = run.json();
    let diagnoses = doc["diagnoses"].as_array().unwrap();
    assert_eq!(diagnoses.len(), 1, "{diagnoses:#?}");
    assert_eq!(diagnoses[0]["kind"], "interpreter-cannot-start");
    Some((diagnoses[0].clone(), real.stderr))
}

#[test]
fn nix_ld_with_no_loader_to_start_is_told_apart_from_stub_ld() {
    let Some(machine) = Machine::new(FhsLoader::NixLd) else {
        return;
    };
    // NIX_LD unset, and nix-ld's default /run/current-system/sw/share/nix-ld/lib/ld.so absent.
    assert!(!Path::new("/run/current-system/sw/share/nix-ld/lib/ld.so").exists());
    let Some((d, said)) = cannot_start(&machine, &[]) else {
        return;
    };
    assert!(said.contains("NIX_LD is not set"), "{said}");
    assert_eq!(d["rule"], "PD603", "{d:#}");
    assert!(d["summary"].as_str().unwrap().contains("nix-ld"), "{d:#}");
    assert_eq!(
        d["library"], "/run/current-system/sw/share/nix-ld/lib/ld.so",
        "{d:#}"
    );
    let ids = common::fix_ids(&d);
    assert_eq!(ids, ["nix-ld", "nix-ld-variable"], "{d:#}");
    // Nothing destructive for a machine setting: the venv is fine.
    assert!(
        !d.to_string().contains("--clear"),
        "no venv is recreated: {d:#}"
    );
}

#[test]
fn stub_ld_is_named_as_stub_ld() {
    let Some(machine) = Machine::new(FhsLoader::StubLd) else {
        return;
    };
    let Some((d, said)) = cannot_start(&machine, &[]) else {
        return;
    };
    assert!(
        said.contains("Could not start dynamically linked executable"),
        "{said}"
    );
    assert_eq!(d["rule"], "PD601", "{d:#}");
    assert_eq!(fix(&d, "nix-ld")["id"], "nix-ld");
}
