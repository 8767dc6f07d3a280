//! A conda environment, built here the way conda lays one out: `conda-meta/`, `bin/python` a
//! copy of a real FHS python with the RPATH `$ORIGIN/../lib` (patchelf `--force-rpath`, as
//! conda's python has), its libpython and stdlib under `lib/`, numpy 2.3.2 from PyPI in its
//! site-packages, and a `lib/libstdc++.so.6` built with an old version script, so it lacks the
//! GLIBCXX and CXXABI versions the wheel needs. pydoctor must say the env is conda's, which
//! copy of libstdc++ was found and how, and offer conda-forge's libstdc++ of the GCC release the
//! wheel needs. On NixOS (the nix-ld machine of `support/nixos.rs`) a conda python is an FHS
//! one: it needs nix-ld.

#[path = "check_common.rs"]
mod common;

#[path = "support/nixlike.rs"]
mod nixlike;

#[path = "support/nixos.rs"]
mod nixos;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{Run, diagnosis, fix, run_with_stdin};
use nixos::{FhsLoader, Machine};
use serde_json::Value;

/// A libstdc++ that stops at GLIBCXX_3.4.14 and defines no CXXABI version at all.
const OLD_MAP: &str = "GLIBCXX_3.4 { global: f; };\nGLIBCXX_3.4.14 { global: *; } GLIBCXX_3.4;\n";

#[derive(Clone, Copy, PartialEq)]
enum EnvLibstdcxx {
    /// `lib/libstdc++.so.6` is an old one.
    Old,
    /// The env has none (the loader must find one elsewhere).
    Missing,
}

/// The conda env under `root`; its `bin/python`. None after a loud skip.
fn conda_env(root: &Path, libstdcxx: EnvLibstdcxx) -> Option<PathBuf> {
    let base = common::fhs_python()?;
    if Command::new("patchelf").arg("--version").output().is_err() {
        common::skip("no patchelf (apt-get install patchelf)");
        return None;
    }
    let env = root.join("miniforge3-like/envs/proj");
    let lib = env.join("lib");
    let stdlib = lib.join(format!("python{}", base.short));
    let site = stdlib.join("site-packages");
    for dir in [env.join("conda-meta"), env.join("bin"), site.clone()] {
        std::fs::create_dir_all(dir).ok()?;
    }
    std::fs::write(
        env.join("conda-meta/history"),
        "==> 2025-01-01 00:00:00 <==\n",
    )
    .ok()?;
    let python = env.join(format!("bin/python{}", base.short));
    std::fs::copy(&base.executable, &python).ok()?;
    std::os::unix::fs::symlink(python.file_name()?, env.join("bin/python")).ok()?;
    // libpython, when the base python links it (pyenv's does).
    for entry in std::fs::read_dir(base.prefix.join("lib")).ok()?.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with("libpython") && name.contains(".so") {
            std::fs::copy(entry.path(), lib.join(&name)).ok()?;
        }
    }
    // The stdlib, linked entry by entry: site-packages is the env's own.
    let base_stdlib = base.prefix.join(format!("lib/python{}", base.short));
    for entry in std::fs::read_dir(&base_stdlib).ok()?.flatten() {
        if entry.file_name() != "site-packages" {
            std::os::unix::fs::symlink(entry.path(), stdlib.join(entry.file_name())).ok()?;
        }
    }
    let patched = Command::new("patchelf")
        .args(["--force-rpath", "--set-rpath", "$ORIGIN/../lib"])
        .arg(&python)
        .status()
        .is_ok_and(|s| s.success());
    if !patched {
        common::skip("patchelf could not set the conda python's RPATH");
        return None;
    }
    if libstdcxx == EnvLibstdcxx::Old {
        std::fs::write(root.join("old.map"), OLD_MAP).ok()?;
        std::fs::write(root.join("old.c"), "void f(void) {}\n").ok()?;
        let built = common::gcc(&[
            "-shared",
            "-fPIC",
            "-o",
            lib.join("libstdc++.so.6").to_str()?,
            "-Wl,-soname,libstdc++.so.6",
            &format!("-Wl,--version-script={}", root.join("old.map").display()),
            root.join("old.c").to_str()?,
        ]);
        if !built {
            common::skip("gcc could not build the old libstdc++");
            return None;
        }
    }
    // A conda env ships the libraries its python links (libexpat, libz) in its own lib/.
    let own = nixos::own_libraries(&base.executable, root)?;
    for entry in std::fs::read_dir(&own).ok()?.flatten() {
        let target = std::fs::canonicalize(entry.path()).ok()?;
        std::fs::copy(target, lib.join(entry.file_name())).ok()?;
    }
    // Where this python looks for packages (Debian's patched site uses dist-packages).
    let site = Command::new(&python)
        .args(["-c", "import site; print(site.getsitepackages()[0])"])
        .output()
        .ok()
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()))
        .filter(|p| p.starts_with(&env))
        .unwrap_or(site);
    std::fs::create_dir_all(&site).ok()?;
    if !common::host::install_wheels(base, &site, &["numpy==2.3.2"]) {
        return None;
    }
    Some(env.join("bin/python"))
}

fn check(python: &Path, envs: &[(&str, &str)]) -> Run {
    let cwd = tempfile::tempdir().unwrap();
    common::pydoctor(
        &[
            "check",
            "numpy",
            "--python",
            python.to_str().unwrap(),
            "--format",
            "json",
        ],
        envs,
        cwd.path(),
    )
}

fn import_numpy(python: &Path) -> std::process::Output {
    let cwd = tempfile::tempdir().unwrap();
    common::clean(python, cwd.path())
        .args(["-c", "import numpy; print(numpy.__version__)"])
        .output()
        .unwrap()
}

fn assert_conda(doc: &Value) {
    let py = &doc["environment"]["python"];
    assert_eq!(py["kind"], "conda", "{py:#}");
    assert_eq!(py["venv_tool"], "conda", "{py:#}");
    assert_eq!(py["venv"], Value::Null, "a conda env is no venv: {py:#}");
}

/// The system's own libstdc++ (what conda-forge's upgrade stands in for here).
fn system_libstdcxx() -> Option<PathBuf> {
    let out = Command::new("gcc")
        .arg("-print-file-name=libstdc++.so.6")
        .output()
        .ok()?;
    let path = PathBuf::from(String::from_utf8(out.stdout).ok()?.trim());
    path.is_absolute()
        .then(|| path.canonicalize().ok())
        .flatten()
}

#[test]
fn a_conda_env_with_an_old_libstdcxx_names_the_copy_found_and_the_conda_forge_upgrade() {
    let root = tempfile::tempdir().unwrap();
    let Some(python) = conda_env(root.path(), EnvLibstdcxx::Old) else {
        return;
    };
    let env_copy = root
        .path()
        .join("miniforge3-like/envs/proj/lib/libstdc++.so.6");
    let real = import_numpy(&python);
    assert!(!real.status.success());
    let said = String::from_utf8_lossy(&real.stderr);
    assert!(
        said.contains("libstdc++.so.6: version `") && said.contains("' not found"),
        "{said}"
    );

    let run = check(&python, &[]);
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    let doc = run.json();
    assert_conda(&doc);
    let d = diagnosis(&doc, "libstdcxx-version-too-old").expect("a libstdc++ diagnosis");
    assert_eq!(d["rule"], "PD212", "{d:#}");
    assert_eq!(doc["diagnoses"][0]["rule"], "PD212", "it leads");
    // Which copy, and how the loader found it: the env's lib/, through python's RPATH.
    let finding = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["kind"] == "libstdcxx-version-too-old")
        .unwrap();
    assert_eq!(
        finding["provider"],
        env_copy.to_str().unwrap(),
        "{finding:#}"
    );
    assert_eq!(finding["provider_via"], "rpath", "{finding:#}");
    let explanation = d["explanation"].as_str().unwrap();
    assert!(
        explanation.contains(env_copy.to_str().unwrap()) && explanation.contains("rpath"),
        "{explanation}"
    );
    // The upgrade names the GCC release the wheel needs, from the versions it lacks.
    let f = fix(d, "distro-package");
    let snippet = f["snippet"].as_str().unwrap();
    let wanted =
        regex::Regex::new(r#"conda install -c conda-forge "libstdcxx-ng>=(\d+)\.\d+\.\d+""#)
            .unwrap();
    let major: u32 = wanted
        .captures(snippet)
        .unwrap_or_else(|| panic!("{snippet}"))[1]
        .parse()
        .unwrap();
    assert!(
        major >= 5,
        "numpy 2.3.2 needs GLIBCXX_3.4.21 (GCC 5.1) at least: {snippet}"
    );

    // What the upgrade brings (a libstdc++ of that GCC or newer in the env's lib/) makes the
    // import work, and pydoctor agrees.
    let Some(newer) = system_libstdcxx() else {
        common::skip("gcc does not say where its libstdc++.so.6 is");
        return;
    };
    std::fs::copy(&newer, &env_copy).unwrap();
    let works = import_numpy(&python);
    assert!(
        works.status.success(),
        "{}",
        String::from_utf8_lossy(&works.stderr)
    );
    let after = check(&python, &[]);
    assert_eq!(after.code, 0, "{}\n{}", after.stdout, after.stderr);
}

fn in_machine(machine: &Machine, python: &Path, envs: &[(&str, &str)]) -> (Run, Run) {
    let cwd = tempfile::tempdir().unwrap();
    let mut import = machine.command(python, &["-c", "import numpy"], cwd.path());
    let real = run_with_stdin(import.envs(envs.iter().copied()), None);
    assert!(!nixos::setup_failed(real.code), "{}", real.stderr);
    let args = [
        "check",
        "numpy",
        "--python",
        python.to_str().unwrap(),
        "--format",
        "json",
    ];
    let mut check = machine.through_real_loader(common::bin(), &args, cwd.path());
    let run = run_with_stdin(check.envs(envs.iter().copied()), None);
    (real, run)
}

#[test]
fn a_conda_python_on_nixos_is_an_fhs_python_that_needs_nix_ld() {
    let root = tempfile::tempdir().unwrap();
    let Some(python) = conda_env(root.path(), EnvLibstdcxx::Missing) else {
        return;
    };
    let Some(_) = nixlike::python() else { return };
    let store = nixlike::store_dir();
    let loader = nixlike::package_lib("glibc-2.36")
        .unwrap()
        .join("ld-linux-x86-64.so.2");
    let zlib = nixlike::package_lib("zlib-1.2.13").unwrap();
    let envs = [
        ("NIX_STORE_DIR", store.to_str().unwrap()),
        ("NIX_LD", loader.to_str().unwrap()),
        ("NIX_LD_LIBRARY_PATH", zlib.to_str().unwrap()),
    ];

    // With nix-ld, and libstdc++ in neither the env nor nix-ld's list: nix-ld's diagnosis.
    let Some(machine) = Machine::new(FhsLoader::NixLd) else {
        return;
    };
    let (real, run) = in_machine(&machine, &python, &envs);
    assert!(
        real.stderr
            .contains("libstdc++.so.6: cannot open shared object file"),
        "{}",
        real.stderr
    );
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    let doc = run.json();
    assert_conda(&doc);
    assert_eq!(doc["environment"]["nix_ld"]["fhs_loader"], "nix-ld");
    let d = diagnosis(&doc, "missing-shared-library").expect("a missing library");
    assert_eq!(d["rule"], "PD102", "{d:#}");
    assert_eq!(fix(d, "nix-ld")["verified"], "verified", "{d:#}");

    // With stub-ld, it cannot start at all: PD601.
    let Some(stub) = Machine::new(FhsLoader::StubLd) else {
        return;
    };
    let (real, run) = in_machine(&stub, &python, &envs);
    assert_eq!(real.code, 127, "{}", real.stderr);
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    let doc = run.json();
    assert_eq!(
        doc["diagnoses"][0]["rule"], "PD601",
        "{:#}",
        doc["diagnoses"]
    );
    assert_eq!(doc["environment"]["python"]["kind"], "conda");
}

#[test]
fn under_nix_ld_the_envs_old_libstdcxx_still_comes_first() {
    let root = tempfile::tempdir().unwrap();
    let Some(python) = conda_env(root.path(), EnvLibstdcxx::Old) else {
        return;
    };
    let Some(_) = nixlike::python() else { return };
    let store = nixlike::store_dir();
    let loader = nixlike::package_lib("glibc-2.36")
        .unwrap()
        .join("ld-linux-x86-64.so.2");
    // nix-ld's list has a good libstdc++, but python's RPATH is searched before it.
    let libs = format!(
        "{}:{}",
        nixlike::package_lib("zlib-1.2.13").unwrap().display(),
        nixlike::package_lib("gcc-12.2.0-lib").unwrap().display()
    );
    let envs = [
        ("NIX_STORE_DIR", store.to_str().unwrap()),
        ("NIX_LD", loader.to_str().unwrap()),
        ("NIX_LD_LIBRARY_PATH", libs.as_str()),
    ];
    let Some(machine) = Machine::new(FhsLoader::NixLd) else {
        return;
    };
    let (real, run) = in_machine(&machine, &python, &envs);
    assert!(
        real.stderr.contains("libstdc++.so.6: version `"),
        "{}",
        real.stderr
    );
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    let doc = run.json();
    assert_conda(&doc);
    assert_eq!(
        doc["diagnoses"][0]["rule"], "PD212",
        "{:#}",
        doc["diagnoses"]
    );
}
