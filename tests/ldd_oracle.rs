//! The differential test: glibc's `ldd` is the oracle. For every shared object of a real venv
//! of PyPI wheels (numpy, scipy, pandas) and of /usr/lib/x86_64-linux-gnu, every library that
//! ldd names must resolve to the same file in pydoctor's emulation (host loader, same
//! environment: none). Documented exceptions are listed in `EXCEPTIONS` with their reason.
//!
//! The venv is built once and cached under `$PYDOCTOR_ORACLE_VENV`, else `ldd/venv` in the
//! test cache (see `support/host.rs`).

// Shared with other support modules the same test may include.
#[allow(clippy::duplicate_mod)]
#[path = "support/host.rs"]
mod host;
mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use pydoctor::env::loader_facts::Loaders;
use pydoctor::loader::Resolver;
use pydoctor::loader::report::NeededLibrary;
use rayon::prelude::*;

/// (file name fragment, reason) pairs that are allowed to differ.
const EXCEPTIONS: &[(&str, &str)] = &[];

fn venv() -> Option<PathBuf> {
    let dir = std::env::var_os("PYDOCTOR_ORACLE_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| host::cache_root().join("ldd/venv"));
    let marker = dir.join(".complete");
    if !marker.exists() {
        let python = host::python_or_skip()?;
        let _ = std::fs::remove_dir_all(&dir);
        let made = Command::new(&python.executable)
            .args(["-m", "venv", "--without-pip"])
            .arg(&dir)
            .status()
            .is_ok_and(|s| s.success());
        if !made {
            host::skip::skip(format!("cannot make the oracle venv at {}", dir.display()));
            return None;
        }
        let site = python.site_packages(&dir);
        if !host::install_wheels(python, &site, &["numpy", "scipy", "pandas"]) {
            return None;
        }
        std::fs::write(&marker, "").ok()?;
    }
    Some(dir)
}

fn shared_objects(root: &Path, recursive: bool) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(root) else {
        return out;
    };
    for e in entries.flatten() {
        let path = e.path();
        let Ok(ft) = e.file_type() else { continue };
        if ft.is_dir() && recursive {
            out.extend(shared_objects(&path, true));
        } else if ft.is_file() && path.to_string_lossy().contains(".so") {
            let head = std::fs::read(&path)
                .map(|b| b.starts_with(b"\x7fELF"))
                .unwrap_or(false);
            if head {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// `ldd FILE` as name → Some(path) / None ("not found"); None when ldd cannot list it.
fn real_ldd(file: &Path) -> Option<BTreeMap<String, Option<String>>> {
    let out = Command::new("ldd")
        .arg(file)
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let mut map = BTreeMap::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let Some((name, rest)) = line.trim().split_once(" => ") else {
            continue;
        };
        let path = if rest.starts_with("not found") {
            None
        } else {
            Some(rest.rsplit_once(" (").map_or(rest, |(p, _)| p).to_string())
        };
        map.insert(name.to_string(), path);
    }
    Some(map)
}

fn flatten(libs: &[NeededLibrary], into: &mut BTreeMap<String, Option<String>>) {
    for l in libs {
        into.entry(l.soname.clone())
            .or_insert_with(|| l.path.clone());
        flatten(&l.needed, into);
    }
}

fn compare(files: &[PathBuf]) -> Vec<String> {
    let request = pydoctor::request::Request {
        cwd: std::env::current_dir().unwrap(),
        ..Default::default()
    };
    let resolver = Resolver::new(Loaders::from_request(&request).host());
    files
        .par_iter()
        .filter_map(|file| {
            let real = real_ldd(file)?;
            let ours = resolver.resolve(file);
            let mut mine = BTreeMap::new();
            flatten(&ours.needed, &mut mine);
            let mut diffs = Vec::new();
            for (name, path) in &real {
                if mine.get(name) != Some(path) {
                    diffs.push(format!(
                        "{}: {name}: ldd {path:?}, pydoctor {:?}",
                        file.display(),
                        mine.get(name)
                    ));
                }
            }
            Some(diffs)
        })
        .flatten()
        .filter(|d| !EXCEPTIONS.iter().any(|(frag, _)| d.contains(frag)))
        .collect()
}

#[test]
fn every_library_ldd_names_in_a_venv_of_numpy_scipy_pandas_resolves_to_the_same_file() {
    let Some(venv) = venv() else { return };
    let files = shared_objects(&venv.join("lib"), true);
    assert!(
        files.len() > 50,
        "only {} shared objects in {}",
        files.len(),
        venv.display()
    );
    let diffs = compare(&files);
    assert!(
        diffs.is_empty(),
        "{} differences:\n{}",
        diffs.len(),
        diffs.join("\n")
    );
}

#[test]
fn every_library_ldd_names_under_usr_lib_resolves_to_the_same_file() {
    let files = shared_objects(Path::new("/usr/lib/x86_64-linux-gnu"), false);
    if files.is_empty() {
        host::skip::skip("no /usr/lib/x86_64-linux-gnu here");
        return;
    }
    let diffs = compare(&files);
    assert!(
        diffs.is_empty(),
        "{} differences:\n{}",
        diffs.len(),
        diffs.join("\n")
    );
}
