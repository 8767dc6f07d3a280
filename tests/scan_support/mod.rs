//! Shared by the `scan_*` tests: real venvs built from PyPI wheels (cached), the loader as
//! oracle (each file dlopen'd by the real interpreter in a forked child), and a private mount
//! namespace in which libstdc++ is hidden (docs/how-it-is-tested.md, "Hiding a system library").
//! Use with `#[path = "scan_support/mod.rs"] mod scan_support;`.
#![allow(dead_code)]

// Shared with other support modules the same test may include.
#[allow(clippy::duplicate_mod)]
#[path = "../support/host.rs"]
pub mod host;

pub use host::skip;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Where fixtures are cached: `scan` in the test cache (see `host::cache_root`).
pub fn cache_dir() -> PathBuf {
    host::cache_root().join("scan")
}

/// The python scans resolve for: an FHS one where there is one, else the host python, else
/// `python3` (the tests that need one skip through `real_venv` or `fhs_python_or_skip`).
pub fn host_python() -> PathBuf {
    host::all_pythons()
        .iter()
        .find(|p| p.fhs_loader)
        .or_else(|| host::python())
        .map(|p| p.executable.clone())
        .unwrap_or_else(|| PathBuf::from("python3"))
}

/// A venv called `name` of an FHS python with `packages` installed from real PyPI wheels;
/// built once. None after a loud skip.
pub fn real_venv(name: &str, packages: &[&str]) -> Option<PathBuf> {
    let python = host::fhs_python_or_skip()?;
    let venv = cache_dir().join(name);
    let want = format!("{} {}", python.executable.display(), packages.join(" "));
    std::fs::create_dir_all(cache_dir()).ok()?;
    // Tests run in parallel: one builder per venv, the others wait and reuse it.
    let lock = std::fs::File::create(cache_dir().join(format!(".{name}.lock"))).ok()?;
    // SAFETY: flock on a file descriptor we own; released when `lock` is dropped.
    unsafe { libc::flock(std::os::fd::AsRawFd::as_raw_fd(&lock), libc::LOCK_EX) };
    let marker = venv.join(".complete");
    if std::fs::read_to_string(&marker).ok().as_deref() == Some(want.as_str()) {
        return Some(venv);
    }
    let _ = std::fs::remove_dir_all(&venv);
    let made = Command::new(&python.executable)
        .args(["-m", "venv", "--without-pip"])
        .arg(&venv)
        .status();
    if !made.is_ok_and(|s| s.success()) {
        skip::skip(format!("cannot make a venv at {}", venv.display()));
        return None;
    }
    if !host::install_wheels(python, &python.site_packages(&venv), packages) {
        return None;
    }
    std::fs::write(&marker, &want).ok()?;
    Some(venv)
}

/// The oracle: reads a pydoctor scan JSON (argv[1]) and dlopens each object's file in a
/// forked child of this interpreter, through the import machinery (`_imp.create_dynamic`)
/// under a module name no file exports, so no package code runs. A file is loaded when it
/// is mapped afterwards. Prints the files that did not load, one per line.
pub const ORACLE: &str = r#"
import json, os, sys, _imp
from importlib.machinery import ModuleSpec
doc = json.load(open(sys.argv[1]))
for obj in doc["objects"]:
    path = obj["path"]
    pid = os.fork()
    if pid == 0:
        try:
            _imp.create_dynamic(ModuleSpec("pydoctor_oracle_probe", None, origin=path))
        except BaseException:
            pass
        real = os.path.realpath(path)
        with open("/proc/self/maps") as maps:
            loaded = any(line.rstrip("\n").endswith(" " + real) for line in maps)
        os._exit(0 if loaded else 1)
    _, status = os.waitpid(pid, 0)
    if not (os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0):
        print(path)
"#;

/// Run `python` on the oracle over the scan JSON in `json_file`; the files that fail.
pub fn oracle_failures(python: &Path, json_file: &Path, envs: &[(&str, &str)]) -> BTreeSet<String> {
    let out = Command::new(python)
        .arg("-c")
        .arg(ORACLE)
        .arg(json_file)
        .envs(envs.iter().copied())
        .output()
        .expect("run the oracle");
    assert!(
        out.status.success(),
        "oracle failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

/// The scanned files that other scanned files load (judged through them, not alone).
pub fn dependencies(doc: &serde_json::Value) -> BTreeSet<String> {
    doc["extra"]["dependencies"]
        .as_array()
        .expect("extra.dependencies")
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect()
}

/// What the real loader failed on among the files that are loaded directly (not vendored
/// libraries that another scanned file loads).
pub fn direct_failures(really: BTreeSet<String>, doc: &serde_json::Value) -> BTreeSet<String> {
    let deps = dependencies(doc);
    really.into_iter().filter(|f| !deps.contains(f)).collect()
}

/// The files pydoctor says would fail to load.
pub fn reported_failures(doc: &serde_json::Value) -> BTreeSet<String> {
    doc["extra"]["failing"]
        .as_array()
        .expect("extra.failing")
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect()
}

/// A shell script that hides every `libstdc++.so*` of the multiarch dir behind an overlay
/// whiteout, then runs its arguments. Only meaningful under `unshare -m`.
pub const HIDE_LIBSTDCXX: &str = r#"
d=/usr/lib/x86_64-linux-gnu
T=$(mktemp -d)
mkdir -p "$T/upper" "$T/work"
for f in "$d"/libstdc++.so*; do mknod "$T/upper/$(basename "$f")" c 0 0 || exit 97; done
mount -t overlay overlay -o "lowerdir=$d,upperdir=$T/upper,workdir=$T/work" "$d" || exit 98
"$@"
"#;

/// True when a private mount namespace with an overlay can be made here.
pub fn can_hide_libraries() -> bool {
    let ok = Command::new("unshare")
        .args(["-m", "sh", "-c", HIDE_LIBSTDCXX, "hide", "true"])
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        skip::skip("cannot make a mount namespace with an overlay (needs root)");
    }
    ok
}

/// Run `args` inside a namespace where libstdc++ is hidden.
pub fn hidden_libstdcxx(args: &[&str]) -> std::process::Output {
    Command::new("unshare")
        .args(["-m", "sh", "-c", HIDE_LIBSTDCXX, "hide"])
        .args(args)
        .env_remove("LD_LIBRARY_PATH")
        .output()
        .expect("run unshare")
}

/// The pydoctor binary under test.
pub fn pydoctor() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_pydoctor"))
}
