//! For the `fix_*` tests: a Nix-like store of the test's own (one per test that changes the
//! store), venvs of its python made by pip and by uv holding real numpy 2.3.2 and pandas wheels,
//! copies of them to change, and every file of a venv hashed to prove it unchanged.
//! Use with `#[path = "support/fixvenv.rs"] mod fixvenv;` beside `check_common.rs` as `common`.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

// Shared with other support modules the same test may include.
#[allow(clippy::duplicate_mod)]
#[path = "host.rs"]
pub mod host;

use host::skip::skip;

/// The packages of every fix test venv.
pub const PACKAGES: &[&str] = &["numpy==2.3.2", "pandas"];

fn script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scripts/fixtures")
        .join(name)
}

/// The fixture scripts, run with the FHS python the Nix-like one is copied from and the
/// shared wheel cache. Their stdout, or None after a loud skip.
fn run_script(name: &str, args: &[&Path]) -> Option<String> {
    let base = host::fhs_python_or_skip()?;
    let out = Command::new(script(name))
        .args(args)
        .env("PYDOCTOR_TEST_PYTHON", &base.executable)
        .env("PYDOCTOR_TEST_CACHE", host::cache_root())
        .output()
        .ok()?;
    if !out.status.success() {
        skip(format!(
            "{name} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
        return None;
    }
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// A store of its own under the scratch dir, with a python whose ctypes works as a real Nix
/// python's does. Returns the store's root (the store is `root/nix/store`).
pub fn store(name: &str) -> Option<PathBuf> {
    let dest = host::scratch_root().join("fix").join(name);
    std::fs::create_dir_all(&dest).ok()?;
    for step in ["nix-like-python.sh", "nix-like-ctypes.sh"] {
        run_script(step, &[&dest])?;
    }
    Some(dest)
}

pub fn store_dir(root: &Path) -> PathBuf {
    root.join("nix/store")
}

/// The lib dir of the store package whose name ends with `suffix`.
pub fn package(root: &Path, suffix: &str) -> PathBuf {
    std::fs::read_dir(store_dir(root))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.to_string_lossy().ends_with(suffix))
        .unwrap_or_else(|| panic!("no {suffix} in the store"))
}

/// The store's python, whatever CPython the fixture was made from (`bin/python3.X`).
fn store_python(root: &Path) -> PathBuf {
    let prefix = std::fs::read_dir(store_dir(root))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.to_string_lossy().contains("-python3-"))
        .unwrap_or_else(|| panic!("no python3 in the store"));
    let version = prefix
        .to_string_lossy()
        .rsplit_once("-python3-")
        .unwrap()
        .1
        .to_string();
    let short = version
        .rsplit_once('.')
        .map_or(version.clone(), |(s, _)| s.to_string());
    prefix.join(format!("bin/python{short}"))
}

/// The site-packages dir of the venv whose `bin/python` is `python`.
pub fn site_packages(python: &Path) -> PathBuf {
    let venv = python.parent().and_then(Path::parent).unwrap();
    std::fs::read_dir(venv.join("lib"))
        .unwrap()
        .flatten()
        .map(|e| e.path().join("site-packages"))
        .find(|p| p.is_dir())
        .unwrap_or_else(|| panic!("no site-packages under {}", venv.display()))
}

/// A venv made by `python -m venv` with the wheels installed by the host's pip (the fixture
/// script). Returns its `bin/python`; kept between runs.
pub fn pip_venv(root: &Path) -> Option<PathBuf> {
    let mut args: Vec<&Path> = vec![root, Path::new("pip")];
    args.extend(PACKAGES.iter().map(Path::new));
    let out = run_script("nix-like-venv.sh", &args)?;
    let python = PathBuf::from(out.lines().last()?.trim());
    python.exists().then_some(python)
}

/// uv: `$PYDOCTOR_TEST_UV`, else on PATH, else the `uv` module of the host python (`python3 -m pip install uv`).
fn uv() -> Option<Vec<String>> {
    let works = |cmd: &[String]| {
        Command::new(&cmd[0])
            .args(&cmd[1..])
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    };
    let given = std::env::var_os("PYDOCTOR_TEST_UV")
        .filter(|v| !v.is_empty())
        .map(|p| vec![p.to_string_lossy().into_owned()]);
    let on_path =
        given.or_else(|| host::on_path("uv").map(|p| vec![p.to_string_lossy().into_owned()]));
    let module = host::python().map(|p| {
        vec![
            p.executable.to_string_lossy().into_owned(),
            "-m".into(),
            "uv".into(),
        ]
    });
    on_path.into_iter().chain(module).find(|c| works(c))
}

/// A venv made by `uv venv` from the store's python, with the wheels installed by
/// `uv pip install` (no pip in it). Returns its `bin/python`; kept between runs.
pub fn uv_venv(root: &Path) -> Option<PathBuf> {
    let Some(uv) = uv() else {
        skip("no uv (neither on PATH nor `python3 -m uv`; `python3 -m pip install uv` gives one)");
        return None;
    };
    let venv = root.join("venvs/uv/.venv");
    let python = venv.join("bin/python");
    let marker = venv.join(".complete");
    let want = PACKAGES.join(" ");
    if std::fs::read_to_string(&marker).ok().as_deref() == Some(want.as_str()) {
        return Some(python);
    }
    let _ = std::fs::remove_dir_all(&venv);
    let run = |args: &[&str]| {
        Command::new(&uv[0])
            .args(&uv[1..])
            .args(args)
            // uv keeps its cache under HOME, which a sandboxed run does not have.
            .env("UV_CACHE_DIR", host::scratch_root().join("uv-cache"))
            // The system's trust store, which holds any CA a proxy here needs.
            .env("UV_NATIVE_TLS", "1")
            .output()
            .is_ok_and(|o| o.status.success())
    };
    let made = run(&[
        "venv",
        "-q",
        "--python",
        store_python(root).to_str()?,
        venv.to_str()?,
    ]);
    let mut install = vec!["pip", "install", "-q", "--python", python.to_str()?];
    install.extend_from_slice(PACKAGES);
    if !(made && run(&install)) {
        skip(format!("uv could not make the venv with {want}"));
        return None;
    }
    assert!(!venv.join("bin/pip").exists(), "a uv venv has no pip");
    std::fs::write(&marker, &want).ok()?;
    Some(python)
}

/// A copy of the venv of `python` in `into` (a venv runs from anywhere: its python is a
/// symlink into the store and pyvenv.cfg names the store's bin). Returns the copy's python.
pub fn copy_venv(python: &Path, into: &Path) -> PathBuf {
    let venv = python.parent().unwrap().parent().unwrap();
    let copy = into.join(".venv");
    let ok = Command::new("cp")
        .arg("-a")
        .arg(venv)
        .arg(&copy)
        .status()
        .unwrap()
        .success();
    assert!(ok, "cp -a {}", venv.display());
    copy.join("bin/python")
}

/// Every entry under `dir`: files by content hash, symlinks by target, directories as such.
pub fn tree(dir: &Path) -> BTreeMap<String, String> {
    use std::hash::{Hash, Hasher};
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap().flatten() {
            let path = entry.path();
            let rel = path
                .strip_prefix(dir)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            let kind = entry.file_type().unwrap();
            let value = if kind.is_symlink() {
                format!("-> {}", std::fs::read_link(&path).unwrap().display())
            } else if kind.is_dir() {
                stack.push(path);
                "dir".into()
            } else {
                let bytes = std::fs::read(&path).unwrap();
                let mut h = std::collections::hash_map::DefaultHasher::new();
                bytes.hash(&mut h);
                format!("{} bytes {:016x}", bytes.len(), h.finish())
            };
            out.insert(rel, value);
        }
    }
    out
}

/// What differs between two trees, one line per entry.
pub fn diff(before: &BTreeMap<String, String>, after: &BTreeMap<String, String>) -> Vec<String> {
    let mut lines = Vec::new();
    for (k, v) in before {
        match after.get(k) {
            None => lines.push(format!("- {k}")),
            Some(w) if w != v => lines.push(format!("~ {k}")),
            _ => {}
        }
    }
    lines.extend(
        after
            .keys()
            .filter(|k| !before.contains_key(*k))
            .map(|k| format!("+ {k}")),
    );
    lines
}

/// `python -c CODE` in a new process, no bytecode written. Returns (worked, stderr).
pub fn python_c(python: &Path, code: &str) -> (bool, String) {
    python_args(python, &["-c", code])
}

/// `python ARGS` in a new process, no bytecode written. Returns (worked, stderr).
pub fn python_args(python: &Path, args: &[&str]) -> (bool, String) {
    let cwd = tempfile::tempdir().unwrap();
    let out = Command::new(python)
        .args(args)
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .current_dir(cwd.path())
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `nix-store` on PATH, or None after SKIPPED.
pub fn nix_store() -> Option<PathBuf> {
    let found = host::on_path("nix-store");
    if found.is_none() {
        skip("no nix-store on PATH: pinning cannot be tested");
    }
    found
}

/// The variables that make nix use the store of `root` as its own (store dir, database, logs).
pub fn nix_env(root: &Path) -> Vec<(String, String)> {
    let var = root.join("nix/var");
    vec![
        (
            "NIX_STORE_DIR".into(),
            store_dir(root).to_string_lossy().into_owned(),
        ),
        (
            "NIX_STATE_DIR".into(),
            var.join("nix").to_string_lossy().into_owned(),
        ),
        (
            "NIX_LOG_DIR".into(),
            var.join("log/nix").to_string_lossy().into_owned(),
        ),
    ]
}

/// Make the store's gcc-lib and zlib real store paths: each added with `nix-store --add`
/// (registered in the store's own database), and the unregistered originals moved out, so
/// that the only copies a fix can use are paths nix knows. Idempotent.
pub fn register_libraries(root: &Path, nix_store: &Path) -> Option<()> {
    let marker = store_dir(root).join(".registered");
    if marker.exists() {
        return Some(());
    }
    let aside = root.join("unregistered");
    std::fs::create_dir_all(&aside).ok()?;
    for suffix in ["-gcc-12.2.0-lib", "-zlib-1.2.13"] {
        let original = package(root, suffix);
        let out = Command::new(nix_store)
            .arg("--add")
            .arg(&original)
            .envs(nix_env(root))
            .output()
            .ok()?;
        if !out.status.success() {
            skip(format!(
                "nix-store --add failed: {}",
                String::from_utf8_lossy(&out.stderr)
            ));
            return None;
        }
        std::fs::rename(&original, aside.join(original.file_name()?)).ok()?;
    }
    std::fs::write(&marker, "").ok()?;
    Some(())
}

/// `nix-store --gc --print-dead` for the store of `root`: what a collection would delete.
pub fn dead_paths(root: &Path, nix_store: &Path) -> String {
    let out = Command::new(nix_store)
        .args(["--gc", "--print-dead"])
        .envs(nix_env(root))
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}
