//! nixpkgs `python3.withPackages` environments: which env a python belongs to (or a venv was
//! made from), how its packages reach the python, and which packages it holds.
//!
//! The env is a buildEnv in the store (`…-python3-3.12.11-env`): its `lib/python3.X` links the
//! stdlib and every package's site-packages entries, and its `bin/python3.X` is a wrapper of
//! the store's python (nixpkgs `pkgs/development/interpreters/python/wrapper.nix`). Since
//! nixpkgs 24.05 the wrapper passes its own path as `argv[0]`, so the python takes the env as
//! its prefix; before, it set `NIX_PYTHONPATH`, read by the python's `sitecustomize`. Read from
//! the file system alone.

use std::path::{Path, PathBuf};

use super::InterpreterFacts;
use super::interpreter::{Interpreter, find, read_wrapper};
use super::nix_store::entry_of;
use crate::evidence::{NixEnvFacts, NixPythonPackage, PythonFacts};

/// The wrapper of an older env names this variable; a newer one hands over `argv[0]`.
const PYTHONPATH_MARKER: &[u8] = b"NIX_PYTHONPATH";
const ARGV0_MARKER: &[u8] = b"inherit-argv0";

/// The env of this interpreter: the one its wrapper lives in, its prefix, or its venv's base.
pub fn detect(
    interpreter: &Interpreter,
    python: &PythonFacts,
    facts: Option<&InterpreterFacts>,
    store_dir: &Path,
) -> Option<NixEnvFacts> {
    let version = short_version(python.version.as_deref()?)?;
    let in_venv = python.venv.is_some();
    let mut candidates: Vec<PathBuf> = Vec::new();
    if in_venv {
        candidates.extend(python.base_prefix.iter().map(PathBuf::from));
    } else {
        candidates.extend(interpreter.wrapper.iter().filter_map(|w| grandparent(w)));
        candidates.extend(facts.and_then(|f| f.prefix.as_ref()).map(PathBuf::from));
        let resolved = std::fs::canonicalize(&interpreter.path).ok();
        candidates.extend(resolved.as_deref().and_then(grandparent));
    }
    let env = candidates
        .into_iter()
        .find(|dir| is_env(dir, store_dir, &version))?;
    let layout = layout_of(&env, &version);
    let venv_sees_env = in_venv.then(|| {
        layout == "nix-pythonpath"
            || python
                .venv
                .as_deref()
                .is_some_and(|v| includes_system_site(Path::new(v)))
    });
    Some(NixEnvFacts {
        path: env.display().to_string(),
        packages: packages_of(&env, &version, store_dir),
        layout: layout.to_string(),
        venv_base: in_venv,
        venv_sees_env,
    })
}

/// `3.12` of `3.12.11`.
pub fn short_version(version: &str) -> Option<String> {
    let mut parts = version.split('.');
    let (major, minor) = (parts.next()?, parts.next()?);
    Some(format!("{major}.{minor}"))
}

/// The env's `lib/python3.X/site-packages`.
pub fn site_packages(env: &Path, version: &str) -> PathBuf {
    env.join(format!("lib/python{version}/site-packages"))
}

fn grandparent(path: &Path) -> Option<PathBuf> {
    Some(path.parent()?.parent()?.to_path_buf())
}

/// A store entry named like a `withPackages` env (`…-python3-3.12.11-env`, buildEnv's name).
pub fn is_env_entry(path: &Path, store_dir: &Path) -> bool {
    let is_entry = entry_of(path, store_dir).is_some_and(|entry| entry == path);
    is_entry
        && path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.ends_with("-env"))
}

/// An env entry with a site-packages of this python's version.
fn is_env(dir: &Path, store_dir: &Path, version: &str) -> bool {
    is_env_entry(dir, store_dir) && site_packages(dir, version).is_dir()
}

fn layout_of(env: &Path, version: &str) -> &'static str {
    let wrapper = env.join(format!("bin/python{version}"));
    let Some(bytes) = read_wrapper(&wrapper) else {
        return "unknown";
    };
    if find(&bytes, PYTHONPATH_MARKER).is_some() {
        "nix-pythonpath"
    } else if find(&bytes, ARGV0_MARKER).is_some() {
        "argv0"
    } else {
        "unknown"
    }
}

/// `include-system-site-packages = true` in the venv's `pyvenv.cfg`.
pub fn includes_system_site(venv: &Path) -> bool {
    let text = std::fs::read_to_string(venv.join("pyvenv.cfg")).unwrap_or_default();
    text.lines().any(|line| {
        line.split_once('=').is_some_and(|(k, v)| {
            k.trim() == "include-system-site-packages" && v.trim().eq_ignore_ascii_case("true")
        })
    })
}

/// The store packages the env's site-packages links into, in name order; the python itself
/// (whose site-packages holds its `sitecustomize`) is not one.
fn packages_of(env: &Path, version: &str, store_dir: &Path) -> Vec<NixPythonPackage> {
    let Ok(entries) = std::fs::read_dir(site_packages(env, version)) else {
        return Vec::new();
    };
    let mut packages: Vec<NixPythonPackage> = Vec::new();
    for entry in entries.flatten() {
        let Ok(target) = std::fs::read_link(entry.path()) else {
            continue;
        };
        let Some(package) = entry_of(&target, store_dir).and_then(|e| python_package(&e, version))
        else {
            continue;
        };
        if !packages.iter().any(|p| p.path == package.path) {
            packages.push(package);
        }
    }
    packages.sort_by(|a, b| a.name.cmp(&b.name));
    let propagated: Vec<String> = packages
        .iter()
        .flat_map(|p| {
            let inputs = Path::new(&p.path).join("nix-support/propagated-build-inputs");
            let text = std::fs::read_to_string(inputs).unwrap_or_default();
            text.split_whitespace()
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .collect();
    for package in &mut packages {
        package.dependency = propagated.contains(&package.path);
    }
    packages
}

/// A store entry named `<hash>-python3.X-<name>-<version>`, read as a package of python 3.X.
pub fn python_package(entry: &Path, version: &str) -> Option<NixPythonPackage> {
    let name = entry.file_name()?.to_str()?;
    let (_, rest) = name.split_once('-')?;
    let rest = rest.strip_prefix(&format!("python{version}-"))?;
    let (pname, pversion) = split_name_version(rest);
    Some(NixPythonPackage {
        name: pname.to_string(),
        version: pversion.to_string(),
        path: entry.display().to_string(),
        dependency: false,
    })
}

/// `scikit-learn-1.5.2` → (`scikit-learn`, `1.5.2`): the version starts at the first
/// dash-separated part that starts with a digit, as Nix's `parseDrvName` reads it.
pub fn split_name_version(text: &str) -> (&str, &str) {
    text.match_indices('-')
        .find(|(i, _)| text[i + 1..].starts_with(|c: char| c.is_ascii_digit()))
        .map_or((text, ""), |(i, _)| (&text[..i], &text[i + 1..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_names_split_like_nix_does() {
        assert_eq!(
            split_name_version("scikit-learn-1.5.2"),
            ("scikit-learn", "1.5.2")
        );
        assert_eq!(
            split_name_version("requests-2.32.3"),
            ("requests", "2.32.3")
        );
        assert_eq!(split_name_version("pyyaml"), ("pyyaml", ""));
        let package = python_package(
            Path::new("/nix/store/0123-python3.12-ipython-pygments-lexers-1.1.1"),
            "3.12",
        )
        .unwrap();
        assert_eq!(
            (package.name.as_str(), package.version.as_str()),
            ("ipython-pygments-lexers", "1.1.1")
        );
        assert!(python_package(Path::new("/nix/store/0123-python3-3.12.11-env"), "3.12").is_none());
        assert!(python_package(Path::new("/nix/store/0123-python3.11-idna-3.7"), "3.12").is_none());
    }

    #[test]
    fn a_venv_sees_its_base_only_with_system_site_packages() {
        let t = tempfile::tempdir().unwrap();
        std::fs::write(
            t.path().join("pyvenv.cfg"),
            "home = /x/bin\ninclude-system-site-packages = false\n",
        )
        .unwrap();
        assert!(!includes_system_site(t.path()));
        std::fs::write(
            t.path().join("pyvenv.cfg"),
            "home = /x/bin\ninclude-system-site-packages = True\n",
        )
        .unwrap();
        assert!(includes_system_site(t.path()));
    }
}
