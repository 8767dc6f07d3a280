//! A bounded look for libraries in the Nix store: which `$STORE/*/lib/<soname>` exist.
//!
//! One readdir of the store, then one stat per entry and soname, stopped by a budget: the real
//! `/nix/store` can hold 100k entries, and a diagnosis must not hang on it. The answer is the
//! lib directories where each soname sits (what a fix would put on a search path).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rayon::prelude::*;

/// How much of the store one look may cover.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    pub max_entries: usize,
    pub max_time: Duration,
}

impl Default for Budget {
    fn default() -> Budget {
        Budget {
            max_entries: 200_000,
            max_time: Duration::from_secs(2),
        }
    }
}

/// What one look at the store found, and whether the budget cut it short.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoreLook {
    /// For each soname asked for, the lib dirs that hold it, in store-name order.
    pub found: BTreeMap<String, Vec<PathBuf>>,
    /// Store entries listed.
    pub entries: usize,
    /// The budget ran out before every entry was looked at.
    pub cut_short: bool,
}

/// The lib dirs under `store_dir` that hold `soname`.
pub fn find_library(store_dir: &Path, soname: &str, budget: Budget) -> Vec<PathBuf> {
    find_libraries(store_dir, &[soname], budget)
        .found
        .remove(soname)
        .unwrap_or_default()
}

/// One soname to look for, with the package names that usually ship it (`gcc`, `zlib`).
#[derive(Debug, Clone, Copy)]
pub struct Wanted<'a> {
    pub soname: &'a str,
    /// Entries named `<hash>-<name>-…` for one of these are looked in first; when one of them
    /// holds the soname, the rest of the store is not searched for it.
    pub names: &'a [String],
}

/// For each soname, the lib dirs under `store_dir` that hold it, in store-name order (every
/// soname is in the map, possibly with no dirs). Sonames with a `/` are ignored. Entries that
/// are not directories (`*.drv`, single-file paths: most of a real store) are never looked
/// into, and their type comes from the directory listing itself.
pub fn find_libraries(store_dir: &Path, sonames: &[&str], budget: Budget) -> StoreLook {
    let wanted: Vec<Wanted> = sonames
        .iter()
        .map(|&soname| Wanted { soname, names: &[] })
        .collect();
    find_wanted(store_dir, &wanted, budget)
}

pub fn find_wanted(store_dir: &Path, wanted: &[Wanted], budget: Budget) -> StoreLook {
    let wanted: Vec<Wanted> = wanted
        .iter()
        .copied()
        .filter(|w| !w.soname.is_empty() && !w.soname.contains('/'))
        .collect();
    let mut look = StoreLook {
        found: wanted
            .iter()
            .map(|w| (w.soname.to_string(), Vec::new()))
            .collect(),
        ..StoreLook::default()
    };
    if wanted.is_empty() {
        return look;
    }
    let started = Instant::now();
    let over = || started.elapsed() > budget.max_time;
    let (names, cut_short) = directory_entries(store_dir, budget, started);
    look.cut_short = cut_short;
    look.entries = names.len();
    let holds = |name: &std::ffi::OsStr, soname: &str| {
        store_dir.join(name).join("lib").join(soname).exists()
    };
    for w in &wanted {
        let hinted: Vec<&std::ffi::OsString> = names
            .iter()
            .filter(|n| !w.names.is_empty() && package_name_is(n, w.names))
            .collect();
        let mut dirs: Vec<PathBuf> = hinted
            .par_iter()
            .filter(|n| holds(n, w.soname))
            .map(|n| store_dir.join(n).join("lib"))
            .collect();
        if dirs.is_empty() {
            dirs = names
                .par_iter()
                .filter(|n| !over() && holds(n, w.soname))
                .map(|n| store_dir.join(n).join("lib"))
                .collect();
        }
        if let Some(found) = look.found.get_mut(w.soname) {
            *found = dirs;
        }
    }
    look.cut_short |= over();
    look
}

/// The store's directory entries (`*.drv` and other single files left out), sorted so that
/// answers do not depend on directory order, and whether the budget cut the listing short.
pub fn directory_entries(
    store_dir: &Path,
    budget: Budget,
    started: Instant,
) -> (Vec<std::ffi::OsString>, bool) {
    let Ok(entries) = std::fs::read_dir(store_dir) else {
        return (Vec::new(), false);
    };
    let mut names: Vec<std::ffi::OsString> = Vec::new();
    let mut cut_short = false;
    for entry in entries.flatten() {
        if names.len() >= budget.max_entries || started.elapsed() > budget.max_time {
            cut_short = true;
            break;
        }
        // d_type from the listing; a symlinked entry (rare) is followed.
        let is_dir = entry
            .file_type()
            .is_ok_and(|t| t.is_dir() || t.is_symlink());
        if is_dir {
            names.push(entry.file_name());
        }
    }
    names.sort_unstable();
    (names, cut_short)
}

/// `<hash>-gcc-13.2.0-lib` is a `gcc` entry; `<hash>-gccgo-…` is not.
fn package_name_is(entry: &std::ffi::OsStr, names: &[String]) -> bool {
    let entry = entry.to_string_lossy();
    let Some((_, rest)) = entry.split_once('-') else {
        return false;
    };
    names.iter().any(|n| {
        rest.strip_prefix(n.as_str())
            .is_some_and(|after| after.is_empty() || after.starts_with('-'))
    })
}

/// The version in a store entry's name (`…-gcc-12.2.0-lib` → `[12, 2, 0]`): the first
/// dash-separated part that starts with a digit, read as dotted numbers.
pub fn entry_version(entry: &Path) -> Vec<u64> {
    let name = entry
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let Some((_, rest)) = name.split_once('-') else {
        return Vec::new();
    };
    rest.split('-')
        .find(|part| part.starts_with(|c: char| c.is_ascii_digit()))
        .map(|part| {
            part.split(|c: char| !c.is_ascii_digit())
                .filter(|n| !n.is_empty())
                .filter_map(|n| n.parse().ok())
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_each_soname_in_one_pass() {
        let t = tempfile::tempdir().unwrap();
        let store = t.path();
        for (pkg, lib) in [
            ("aaa-gcc-12-lib", "libstdc++.so.6"),
            ("bbb-zlib-1.3", "libz.so.1"),
            ("ccc-zlib-1.2", "libz.so.1"),
        ] {
            std::fs::create_dir_all(store.join(pkg).join("lib")).unwrap();
            std::fs::write(store.join(pkg).join("lib").join(lib), "").unwrap();
        }
        std::fs::write(store.join("ddd-a-file.drv"), "").unwrap();
        let hinted = find_wanted(
            store,
            &[Wanted {
                soname: "libz.so.1",
                names: &["zlib".to_string()],
            }],
            Budget::default(),
        );
        assert_eq!(hinted.found["libz.so.1"].len(), 2);
        let got = find_libraries(
            store,
            &["libz.so.1", "libstdc++.so.6", "libnope.so.1"],
            Budget::default(),
        )
        .found;
        assert_eq!(
            got["libz.so.1"],
            vec![
                store.join("bbb-zlib-1.3/lib"),
                store.join("ccc-zlib-1.2/lib")
            ]
        );
        assert_eq!(
            got["libstdc++.so.6"],
            vec![store.join("aaa-gcc-12-lib/lib")]
        );
        assert!(got["libnope.so.1"].is_empty());
        assert_eq!(
            find_library(
                store,
                "libz.so.1",
                Budget {
                    max_entries: 0,
                    max_time: Duration::from_secs(1)
                }
            ),
            Vec::<PathBuf>::new()
        );
        assert!(
            find_libraries(Path::new("/nonexistent"), &["libz.so.1"], Budget::default()).found
                ["libz.so.1"]
                .is_empty()
        );
        assert!(
            find_libraries(
                store,
                &["libz.so.1"],
                Budget {
                    max_entries: 1,
                    max_time: Duration::from_secs(1)
                }
            )
            .cut_short
        );
    }

    #[test]
    fn versions_are_read_from_entry_names() {
        assert_eq!(
            entry_version(Path::new("/nix/store/abc-gcc-12.2.0-lib")),
            vec![12, 2, 0]
        );
        assert_eq!(
            entry_version(Path::new("/nix/store/abc-zlib-1.3.1")),
            vec![1, 3, 1]
        );
        assert!(entry_version(Path::new("/nix/store/abc-source")).is_empty());
    }
}
