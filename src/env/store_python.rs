//! Python packages in the Nix store: which store packages hold a module, and the site-packages
//! dirs a package needs with its Python dependencies.
//!
//! nixpkgs builds each Python package into `<hash>-python3.X-<name>-<version>`, with its files
//! under `lib/python3.X/site-packages` and the store paths of its Python dependencies in
//! `nix-support/propagated-build-inputs`; `withPackages` takes that closure. One listing of the
//! store under the same budget as the library look (`store.rs`), then a few stats per entry of
//! a python package.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Instant;

use super::nix_env::{python_package, site_packages};
use super::store::{Budget, directory_entries, entry_version};
use crate::evidence::NixPythonPackage;

/// A closure bigger than this is not a package's dependencies but a runaway walk.
const CLOSURE_LIMIT: usize = 500;

/// Where the store holds a module.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ModuleInStore {
    /// Packages of this python's version that hold it, newest first.
    pub packages: Vec<NixPythonPackage>,
    /// Other Python versions (`3.11`) whose packages hold it.
    pub other_pythons: Vec<String>,
    pub cut_short: bool,
}

/// The store packages of python `version` (`3.12`) that hold top-level `module`.
pub fn find_module(store_dir: &Path, module: &str, version: &str, budget: Budget) -> ModuleInStore {
    let started = Instant::now();
    let (names, cut_short) = directory_entries(store_dir, budget, started);
    let mut found = ModuleInStore {
        cut_short,
        ..ModuleInStore::default()
    };
    let mut others = BTreeSet::new();
    for name in &names {
        if started.elapsed() > budget.max_time {
            found.cut_short = true;
            break;
        }
        let Some(built_for) = python_of_entry(&name.to_string_lossy()) else {
            continue;
        };
        let entry = store_dir.join(name);
        if !holds_module(&site_packages(&entry, &built_for), &built_for, module) {
            continue;
        }
        if built_for == version {
            found.packages.extend(python_package(&entry, version));
        } else {
            others.insert(built_for);
        }
    }
    found
        .packages
        .sort_by_key(|p| std::cmp::Reverse(entry_version(Path::new(&p.path))));
    found.other_pythons = others.into_iter().collect();
    found
}

/// The Python version a store entry is a package of: `3.12` for `<hash>-python3.12-numpy-2.1.3`.
/// Environments (`…-env`) and the interpreters themselves (`…-python3-3.12.11`) are not.
fn python_of_entry(name: &str) -> Option<String> {
    let (_, rest) = name.split_once('-')?;
    let rest = rest.strip_prefix("python")?;
    let (version, package) = rest.split_once('-')?;
    let digits = version
        .split('.')
        .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()));
    let minor_given = version.contains('.');
    (digits && minor_given && !package.is_empty() && !name.ends_with("-env"))
        .then(|| version.to_string())
}

/// Extension module file names CPython looks for besides `<module>.so`, for python 3.X
/// (`importlib.machinery.EXTENSION_SUFFIXES` on Linux).
const EXTENSION_SUFFIXES: &[&str] = &[
    "cpython-{v}-x86_64-linux-gnu.so",
    "cpython-{v}-aarch64-linux-gnu.so",
    "abi3.so",
    "so",
];

/// A site-packages dir holds `module` as a package, a `.py` file, or an extension module.
/// Named stats only: the store look runs this over every Python package of the store.
pub fn holds_module(site: &Path, version: &str, module: &str) -> bool {
    if site.join(module).is_dir() || site.join(format!("{module}.py")).is_file() {
        return true;
    }
    let tag = version.replace('.', "");
    EXTENSION_SUFFIXES.iter().any(|suffix| {
        site.join(format!("{module}.{}", suffix.replace("{v}", &tag)))
            .is_file()
    })
}

/// The site-packages dirs of `package` and of its Python dependencies, the package's first.
pub fn closure_site_dirs(package: &Path, version: &str, store_dir: &Path) -> Vec<PathBuf> {
    let mut seen: Vec<PathBuf> = vec![package.to_path_buf()];
    let mut next = 0;
    while next < seen.len() && seen.len() < CLOSURE_LIMIT {
        let inputs =
            std::fs::read_to_string(seen[next].join("nix-support/propagated-build-inputs"))
                .unwrap_or_default();
        next += 1;
        for input in inputs.split_whitespace().map(PathBuf::from) {
            if input.starts_with(store_dir) && !seen.contains(&input) {
                seen.push(input);
            }
        }
    }
    seen.iter()
        .map(|entry| site_packages(entry, version))
        .filter(|dir| dir.is_dir())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn package(store: &Path, name: &str, version: &str, module: &str, deps: &[&Path]) -> PathBuf {
        let entry = store.join(name);
        let site = site_packages(&entry, version);
        std::fs::create_dir_all(site.join(module)).unwrap();
        std::fs::create_dir_all(entry.join("nix-support")).unwrap();
        let deps: Vec<String> = deps.iter().map(|d| d.display().to_string()).collect();
        std::fs::write(
            entry.join("nix-support/propagated-build-inputs"),
            deps.join(" "),
        )
        .unwrap();
        entry
    }

    #[test]
    fn finds_the_module_for_this_python_newest_first_and_notes_other_versions() {
        let t = tempfile::tempdir().unwrap();
        let store = t.path();
        let six = package(store, "aaa-python3.12-six-1.16.0", "3.12", "six", &[]);
        let old = package(
            store,
            "bbb-python3.12-dateutil-2.8.0",
            "3.12",
            "dateutil",
            &[&six],
        );
        package(
            store,
            "ccc-python3.12-dateutil-2.9.0",
            "3.12",
            "dateutil",
            &[&six],
        );
        package(
            store,
            "ddd-python3.11-dateutil-2.9.0",
            "3.11",
            "dateutil",
            &[],
        );
        package(store, "eee-python3-3.12.11-env", "3.12", "dateutil", &[]);
        let found = find_module(store, "dateutil", "3.12", Budget::default());
        let versions: Vec<&str> = found.packages.iter().map(|p| p.version.as_str()).collect();
        assert_eq!(versions, ["2.9.0", "2.8.0"]);
        assert_eq!(found.other_pythons, ["3.11"]);
        assert_eq!(
            closure_site_dirs(&old, "3.12", store),
            [site_packages(&old, "3.12"), site_packages(&six, "3.12")]
        );
        assert!(
            find_module(store, "nope", "3.12", Budget::default())
                .packages
                .is_empty()
        );
        // An extension module alone, as ujson ships.
        let ujson = site_packages(&store.join("fff-python3.12-ujson-5.10.0"), "3.12");
        std::fs::create_dir_all(&ujson).unwrap();
        std::fs::write(ujson.join("ujson.cpython-312-x86_64-linux-gnu.so"), "").unwrap();
        let found = find_module(store, "ujson", "3.12", Budget::default());
        assert_eq!(found.packages[0].name, "ujson");
    }

    #[test]
    fn a_dependency_cycle_ends() {
        let t = tempfile::tempdir().unwrap();
        let store = t.path();
        let a = store.join("aaa-python3.12-a-1");
        let b = store.join("bbb-python3.12-b-1");
        package(store, "aaa-python3.12-a-1", "3.12", "a", &[&b]);
        package(store, "bbb-python3.12-b-1", "3.12", "b", &[&a]);
        assert_eq!(closure_site_dirs(&a, "3.12", store).len(), 2);
    }
}
