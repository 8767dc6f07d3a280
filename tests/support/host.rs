//! The pythons of the machine the tests run on, found rather than named: `PYDOCTOR_TEST_PYTHON`
//! if set, else `python3` on `PATH` (resolved to the real interpreter: pyenv's shims and
//! venvs' links are not it), plus the other `python3.N` on `PATH` for the version axes. Also
//! the wheel cache and the pip that fills it, and the scratch dir tests keep fixtures in.
//! Use from a test file with `#[path = "support/host.rs"] mod host;`.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

// Shared with other support modules the same test may include.
#[allow(clippy::duplicate_mod)]
#[path = "skip.rs"]
pub mod skip;

/// One CPython of this machine, as it describes itself.
#[derive(Debug, Clone)]
pub struct Python {
    /// The real interpreter binary (symlinks resolved).
    pub executable: PathBuf,
    /// `sys.base_prefix` (the installation, not a venv).
    pub prefix: PathBuf,
    /// `3.11.2`
    pub version: String,
    /// `3.11`
    pub short: String,
    /// The dir holding `Python.h`.
    pub include: PathBuf,
    /// `.cpython-311-x86_64-linux-gnu.so`
    pub ext_suffix: String,
    /// Whether `-m pip` works with this python (a Nix-like one has no zlib for it).
    pub has_pip: bool,
    /// The loader that started it, as mapped in its process.
    pub loader: PathBuf,
    /// Whether that loader is the FHS one, `/lib64/ld-linux-x86-64.so.2` (symlinks resolved).
    pub fhs_loader: bool,
}

impl Python {
    /// A venv's site-packages below `venv`.
    pub fn site_packages(&self, venv: &Path) -> PathBuf {
        venv.join(format!("lib/python{}/site-packages", self.short))
    }

    /// The file name of extension module `module` for this python.
    pub fn extension_file(&self, module: &str) -> String {
        format!("{module}{}", self.ext_suffix)
    }
}

const DESCRIBE: &str = r#"
import os, sys, platform, sysconfig
try:
    import pip, zlib
    has_pip = "1"
except Exception:
    has_pip = "0"
print(os.path.realpath(sys.executable))
print(sys.base_prefix)
print(platform.python_version())
print("%d.%d" % sys.version_info[:2])
print(sysconfig.get_paths()["include"])
print(sysconfig.get_config_var("EXT_SUFFIX"))
print(has_pip)
maps = [l.split(None, 5)[-1].strip() for l in open("/proc/self/maps") if "/ld-" in l]
print(maps[0] if maps else "")
print(os.path.realpath("/lib64/ld-linux-x86-64.so.2"))
"#;

/// What `program` says about itself, or None when it is no working CPython.
pub fn describe(program: &Path) -> Option<Python> {
    let out = Command::new(program)
        .args(["-I", "-c", DESCRIBE])
        .env_remove("PYTHONPATH")
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8(out.stdout).ok()?;
    let lines: Vec<&str> = text.lines().collect();
    let [
        executable,
        prefix,
        version,
        short,
        include,
        ext_suffix,
        has_pip,
        loader,
        fhs,
    ] = lines[..]
    else {
        return None;
    };
    Some(Python {
        executable: PathBuf::from(executable),
        prefix: PathBuf::from(prefix),
        version: version.to_string(),
        short: short.to_string(),
        include: PathBuf::from(include),
        ext_suffix: ext_suffix.to_string(),
        has_pip: has_pip == "1",
        loader: PathBuf::from(loader),
        fhs_loader: !loader.is_empty() && loader == fhs,
    })
}

/// `name` looked up on `PATH` as a shell would.
pub fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| is_executable(p))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// The python the tests run against: `PYDOCTOR_TEST_PYTHON`, else `python3` on `PATH`.
pub fn python() -> Option<&'static Python> {
    static HOST: OnceLock<Option<Python>> = OnceLock::new();
    HOST.get_or_init(|| {
        let program = match std::env::var_os("PYDOCTOR_TEST_PYTHON") {
            Some(p) if !p.is_empty() => PathBuf::from(p),
            _ => on_path("python3")?,
        };
        describe(&program)
    })
    .as_ref()
}

/// The host python, or None after a loud skip.
pub fn python_or_skip() -> Option<&'static Python> {
    let found = python();
    if found.is_none() {
        skip::skip("no working python3 (set PYDOCTOR_TEST_PYTHON or put python3 on PATH)");
    }
    found
}

/// A python whose loader is the FHS one (`/lib64/ld-linux-x86-64.so.2`): the host python
/// when it is one, else another on `PATH`. None after a loud skip (a Nix build has none).
pub fn fhs_python_or_skip() -> Option<&'static Python> {
    let found = python()
        .filter(|p| p.fhs_loader)
        .or_else(|| all_pythons().iter().find(|p| p.fhs_loader));
    if found.is_none() {
        skip::skip("no python with the FHS loader /lib64/ld-linux-x86-64.so.2 on PATH");
    }
    found
}

/// Every distinct CPython on `PATH` (`python3`, `python3.N` in every dir of it, not just
/// the first hit), the host first.
pub fn all_pythons() -> &'static [Python] {
    static ALL: OnceLock<Vec<Python>> = OnceLock::new();
    ALL.get_or_init(|| {
        let mut found: Vec<Python> = python().into_iter().cloned().collect();
        let names: Vec<String> = std::iter::once("python3".to_string())
            .chain((6..=20).map(|n| format!("python3.{n}")))
            .collect();
        let dirs = std::env::var_os("PATH")
            .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
            .unwrap_or_default();
        for dir in dirs {
            for name in &names {
                let program = dir.join(name);
                if !is_executable(&program) {
                    continue;
                }
                let Ok(real) = program.canonicalize() else {
                    continue;
                };
                if found.iter().any(|f| f.executable == real) {
                    continue;
                }
                if let Some(py) = describe(&program)
                    && !found.iter().any(|f| f.executable == py.executable)
                {
                    found.push(py);
                }
            }
        }
        found
    })
}

/// A python that can run pip for the host python's wheels: the host itself when it can,
/// else another one on `PATH` (it installs with `--python-version` of the host).
pub fn pip_python() -> Option<&'static Python> {
    let host = python()?;
    if host.has_pip {
        return Some(host);
    }
    all_pythons()
        .iter()
        .filter(|p| p.has_pip)
        .max_by_key(|p| p.short == host.short)
}

/// Where tests keep fixtures between runs: `$PYDOCTOR_TEST_TMPDIR`, else Cargo's per-target
/// scratch dir (`target/tmp`). Another user running the tests points it at a dir of theirs.
pub fn scratch_root() -> PathBuf {
    match std::env::var_os("PYDOCTOR_TEST_TMPDIR") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => PathBuf::from(env!("CARGO_TARGET_TMPDIR")),
    }
}

/// The cache of fixtures worth keeping across `cargo clean` (`$PYDOCTOR_TEST_CACHE`), else
/// a dir below the scratch root.
pub fn cache_root() -> PathBuf {
    match std::env::var_os("PYDOCTOR_TEST_CACHE") {
        Some(cache) if !cache.is_empty() => PathBuf::from(cache),
        _ => scratch_root().join("cache"),
    }
}

/// The wheel cache: wheels are downloaded here once and installed from here.
pub fn wheels() -> PathBuf {
    cache_root().join("wheels")
}

fn pip(runner: &Python, args: &[&str], packages: &[&str]) -> bool {
    Command::new(&runner.executable)
        .args(["-m", "pip"])
        .args(args)
        .args(["-q", "--disable-pip-version-check", "--only-binary=:all:"])
        .args(packages)
        .status()
        .is_ok_and(|s| s.success())
}

/// Install `packages` (pip requirement specs) for `target`'s python into the dir `into`
/// (`pip install --target`): from the wheel cache, downloading what is missing when online.
/// False after a loud skip.
pub fn install_wheels(target: &Python, into: &Path, packages: &[&str]) -> bool {
    let Some(runner) = pip_python() else {
        skip::skip("no python with a working pip to install wheels with");
        return false;
    };
    let wheels = wheels();
    let _ = std::fs::create_dir_all(&wheels);
    let (Some(wheels), Some(into)) = (wheels.to_str(), into.to_str()) else {
        return false;
    };
    let version = ["--python-version", target.short.as_str()];
    let install = || {
        let mut args = vec![
            "install",
            "--root-user-action=ignore",
            "--no-index",
            "--upgrade",
        ];
        args.extend_from_slice(&["--find-links", wheels, "--target", into]);
        args.extend_from_slice(&version);
        pip(runner, &args, packages)
    };
    if install() {
        return true;
    }
    if !skip::online() {
        skip::skip(format!(
            "{} not in the wheel cache {wheels} and PyPI is out of reach (offline)",
            packages.join(" ")
        ));
        return false;
    }
    let mut download = vec!["download", "-d", wheels];
    download.extend_from_slice(&version);
    if !(pip(runner, &download, packages) && install()) {
        skip::skip(format!("pip could not install {}", packages.join(" ")));
        return false;
    }
    true
}
