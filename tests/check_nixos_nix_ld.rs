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

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{Run, clean, diagnosis, fix, run_with_stdin};
use serde_json::Value;

const STANDIN: &str = "fixtures/c/nixos/fhs-loader-standin.c";

/// Bind the machine's files, then run the rest of the arguments (`$1` is the machine dir).
const ENTER: &str = r#"mount --bind "$1/os-release" /etc/os-release || exit 90
mount --bind "$1/lib64" /lib64 || exit 91
shift
exec "$@""#;

#[derive(Clone, Copy, PartialEq)]
enum FhsLoader {
    NixLd,
    StubLd,
}

/// A NixOS-like machine to enter: its `/lib64` and its `/etc/os-release`.
struct Machine {
    dir: tempfile::TempDir,
}

impl Machine {
    fn new(loader: FhsLoader) -> Option<Machine> {
        if !common::host::skip::is_root() {
            common::skip("a private /lib64 needs root (unshare -m)");
            return None;
        }
        if Command::new("unshare").arg("--help").output().is_err() {
            common::skip("no unshare");
            return None;
        }
        let dir = tempfile::tempdir().ok()?;
        let d = dir.path();
        // Named as NixOS names them: pydoctor reads the link target.
        let (standin, define) = match loader {
            FhsLoader::NixLd => (d.join("nix-ld/libexec/nix-ld"), None),
            FhsLoader::StubLd => (d.join("stub-ld/bin/stub-ld"), Some("-DSTUB_LD")),
        };
        std::fs::create_dir_all(standin.parent()?).ok()?;
        std::fs::create_dir_all(d.join("lib64")).ok()?;
        let source = Path::new(env!("CARGO_MANIFEST_DIR")).join(STANDIN);
        let built = Command::new("gcc")
            .args([
                "-nostdlib",
                "-static-pie",
                "-fPIE",
                "-ffreestanding",
                "-fno-builtin",
                "-fno-tree-loop-distribute-patterns",
                "-fno-stack-protector",
                "-o",
            ])
            .arg(&standin)
            .args(define)
            .arg(&source)
            .status()
            .is_ok_and(|s| s.success());
        if !built {
            common::skip("gcc could not build the freestanding /lib64 loader stand-in");
            return None;
        }
        std::fs::copy("/lib64/ld-linux-x86-64.so.2", d.join("lib64/ld-real.so")).ok()?;
        std::os::unix::fs::symlink(&standin, d.join("lib64/ld-linux-x86-64.so.2")).ok()?;
        std::fs::write(d.join("os-release"), "NAME=NixOS\nID=nixos\n").ok()?;
        Some(Machine { dir })
    }

    /// `program args…` inside the machine, with only `envs` set (and PATH).
    fn run(&self, program: &Path, args: &[&str], envs: &[(&str, &str)]) -> Run {
        let cwd = tempfile::tempdir().unwrap();
        let mut cmd = clean("unshare", cwd.path());
        cmd.args(["-m", "sh", "-c", ENTER, "sh"])
            .arg(self.dir.path())
            .arg(program)
            .args(args)
            .envs(envs.iter().copied());
        let run = run_with_stdin(&mut cmd, None);
        assert!(
            ![90, 91].contains(&run.code),
            "the namespace could not be set up: {}",
            run.stderr
        );
        run
    }

    /// pydoctor inside the machine, started by the real loader (the FHS path is nix-ld's now).
    fn pydoctor(&self, args: &[&str], envs: &[(&str, &str)]) -> Run {
        let mut all = vec![common::bin().to_str().unwrap()];
        all.extend_from_slice(args);
        self.run(&self.dir.path().join("lib64/ld-real.so"), &all, envs)
    }
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

fn zlib_dir() -> String {
    nixlike::package_lib("zlib-1.2.13")
        .expect("the Nix-like zlib")
        .to_string_lossy()
        .into_owned()
}

fn check(machine: &Machine, python: &Path, store: &Path, envs: &[(&str, &str)]) -> Run {
    let mut all = vec![("NIX_STORE_DIR", store.to_str().unwrap())];
    all.extend_from_slice(envs);
    machine.pydoctor(
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
    let zlib = zlib_dir();
    let nix_ld = [
        ("NIX_LD", loader.to_str().unwrap()),
        ("NIX_LD_LIBRARY_PATH", zlib.as_str()),
    ];
    // The real failure, through the stand-in and Nix glibc's search.
    let real = machine.run(&python, &["-c", "import numpy"], &nix_ld);
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
    let works = machine.run(
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
    let real = machine.run(&python, &["-c", "pass"], envs);
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
