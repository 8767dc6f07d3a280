//! The Nix-like python, for any test: built once per machine by
//! `scripts/fixtures/nix-like-python.sh` from an FHS python of this machine (cached under
//! `nix-like` in the test cache, see `host.rs`), and venvs made with it holding real PyPI wheels.
//! Use from a test file with `#[path = "support/nixlike.rs"] mod nixlike;`.
//! When it cannot be built, the functions return None after saying so loudly on stderr.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

// Shared with other support modules the same test may include.
#[allow(clippy::duplicate_mod)]
#[path = "host.rs"]
pub mod host;

pub use host::skip;

/// The directory the fixture lives in (the store is `dest()/nix/store`).
pub fn dest() -> PathBuf {
    host::cache_root().join("nix-like")
}

/// The Nix-like store directory (point `NIX_STORE_DIR` here).
pub fn store_dir() -> PathBuf {
    dest().join("nix/store")
}

fn script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scripts/fixtures")
        .join(name)
}

fn run_script(name: &str, args: &[&str]) -> Option<PathBuf> {
    // The Nix-like python is a copy of an FHS one, whose pip also fills its venvs.
    let base = host::fhs_python_or_skip()?;
    let out = Command::new(script(name))
        .args(args)
        .env("PYDOCTOR_TEST_PYTHON", &base.executable)
        .env("PYDOCTOR_TEST_CACHE", host::cache_root())
        .output();
    match out {
        Ok(out) if out.status.success() => {
            let text = String::from_utf8_lossy(&out.stdout);
            let path = PathBuf::from(text.lines().last()?.trim());
            path.exists().then_some(path)
        }
        Ok(out) => {
            skip::skip(format!(
                "{name} failed ({}): {}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            ));
            None
        }
        Err(e) => {
            skip::skip(format!("cannot run {name}: {e}"));
            None
        }
    }
}

/// The Nix-like `bin/python3.N` (in the store), built on first use.
pub fn python() -> Option<PathBuf> {
    static PYTHON: OnceLock<Option<PathBuf>> = OnceLock::new();
    PYTHON
        .get_or_init(|| {
            let dest = dest();
            std::fs::create_dir_all(&dest).ok()?;
            run_script("nix-like-python.sh", &[dest.to_str()?])
        })
        .clone()
}

/// The Nix-like python's version (`3.11.2`), from its store package's name.
pub fn version() -> Option<String> {
    let python = python()?;
    let package = python.parent()?.parent()?.file_name()?.to_str()?;
    Some(package.rsplit_once("-python3-")?.1.to_string())
}

/// Its `major.minor` (`3.11`).
pub fn short_version() -> String {
    version()
        .and_then(|v| v.rsplit_once('.').map(|(short, _)| short.to_string()))
        .unwrap_or_default()
}

/// The nixpkgs attribute of that version (`python311`).
pub fn nix_attribute() -> String {
    format!("python{}", short_version().replace('.', ""))
}

/// A venv called `name` made with the Nix-like python, with `packages` (pip requirement
/// specs) installed from real wheels. Returns its `bin/python`.
pub fn venv(name: &str, packages: &[&str]) -> Option<PathBuf> {
    python()?;
    let dest = dest();
    let mut args = vec![dest.to_str()?, name];
    args.extend_from_slice(packages);
    run_script("nix-like-venv.sh", &args)
}

/// The lib dir of the store package whose name ends with `suffix` (`gcc-12.2.0-lib`, `zlib-1.2.13`).
pub fn package_lib(suffix: &str) -> Option<PathBuf> {
    std::fs::read_dir(store_dir())
        .ok()?
        .flatten()
        .map(|e| e.path())
        .find(|p| p.to_string_lossy().ends_with(suffix))
        .map(|p| p.join("lib"))
}

/// A Nix-like python built in a store of its own under `dest` (for tests that add entries to
/// the store and must not disturb the shared one).
pub fn python_at(dest: &Path) -> Option<PathBuf> {
    std::fs::create_dir_all(dest).ok()?;
    run_script("nix-like-python.sh", &[dest.to_str()?])
}

/// A venv of [`python_at`]'s python under `dest`.
pub fn venv_at(dest: &Path, name: &str, packages: &[&str]) -> Option<PathBuf> {
    python_at(dest)?;
    let mut args = vec![dest.to_str()?, name];
    args.extend_from_slice(packages);
    run_script("nix-like-venv.sh", &args)
}

/// A real `uv`: `$PYDOCTOR_TEST_UV`, else `uv` on PATH, or None after a loud skip.
pub fn uv() -> Option<PathBuf> {
    let given = std::env::var_os("PYDOCTOR_TEST_UV")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from);
    let found = given.or_else(|| host::on_path("uv"));
    if found.is_none() {
        skip::skip(
            "no uv (PYDOCTOR_TEST_UV, or uv on PATH; `python3 -m pip install uv` gives one)",
        );
    }
    found
}

/// Where a test keeps a fixture of its own between runs.
pub fn scratch(name: &str) -> PathBuf {
    host::scratch_root().join(name)
}

/// `uv venv` with the Nix-like python at `project/.venv`, and `packages` installed by
/// `uv pip` (from the wheel cache when it has them, else from PyPI). A uv venv has no pip.
pub fn uv_venv(project: &Path, packages: &[&str]) -> Option<PathBuf> {
    let uv = uv()?;
    let python = python()?;
    let venv = project.join(".venv");
    let marker = project.join(".venv-complete");
    // The venv is reused only for the same python and the same packages.
    let want = format!("{} {}", python.display(), packages.join(" "));
    if std::fs::read_to_string(&marker).is_ok_and(|m| m == want) {
        return Some(venv.join("bin/python"));
    }
    let _ = std::fs::remove_dir_all(&venv);
    std::fs::create_dir_all(project).ok()?;
    // uv keeps its cache under HOME, which a sandboxed run does not have.
    let uv_cmd = || {
        let mut cmd = Command::new(&uv);
        cmd.env("UV_CACHE_DIR", host::scratch_root().join("uv-cache"))
            // The system's trust store, which holds any CA a proxy here needs.
            .env("UV_NATIVE_TLS", "1");
        cmd
    };
    let run = |cmd: &mut Command| cmd.output().ok().filter(|o| o.status.success()).is_some();
    if !run(uv_cmd()
        .args(["venv", "-q", "--python"])
        .arg(&python)
        .arg(&venv))
    {
        skip::skip(format!("uv venv --python {} failed", python.display()));
        return None;
    }
    let target = venv.join("bin/python");
    // From the wheels the other fixtures downloaded, else from PyPI when it can be reached.
    let mut offline = uv_cmd();
    offline.args(["pip", "install", "-q", "--offline", "--no-index"]);
    for dir in [host::wheels(), dest().join("wheels")] {
        if dir.is_dir() {
            offline.arg("--find-links").arg(dir);
        }
    }
    let installed = run(offline.arg("--python").arg(&target).args(packages))
        || (skip::online()
            && run(uv_cmd()
                .args(["pip", "install", "-q", "--python"])
                .arg(&target)
                .args(packages)));
    if !installed {
        skip::skip(format!(
            "uv pip install {} found no wheels offline and PyPI cannot be reached",
            packages.join(" ")
        ));
        return None;
    }
    std::fs::write(&marker, want).ok()?;
    Some(venv.join("bin/python"))
}

/// A `python3.withPackages`-like env in the store of [`python_at`]`(dest)`, built by
/// `nix-like-env.sh`: `layout` is `argv0` or `nix-pythonpath`, `packages` go into the env and
/// `store_only` into the store alone (each `dist` or `dist:dep,dep`). Returns the env's path.
pub fn env_at(
    dest: &Path,
    layout: &str,
    name: &str,
    packages: &[&str],
    store_only: &[&str],
) -> Option<PathBuf> {
    python_at(dest)?;
    let mut args = vec![dest.to_str()?, layout, name];
    args.extend_from_slice(packages);
    if !store_only.is_empty() {
        args.push("--");
        args.extend_from_slice(store_only);
    }
    run_script("nix-like-env.sh", &args)
}
