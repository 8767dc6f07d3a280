//! A bounded look for libraries in the Nix store: which `$STORE/*/lib/<soname>` exist.
//!
//! One readdir of the store, then one stat per entry and soname, stopped by a budget: the real
//! `/nix/store` can hold 100k entries, and a diagnosis must not hang on it. The answer is the
//! lib directories where each soname sits (what a fix would put on a search path).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

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

/// The lib dirs under `store_dir` that hold `soname`.
pub fn find_library(store_dir: &Path, soname: &str, budget: Budget) -> Vec<PathBuf> {
    find_libraries(store_dir, &[soname], budget)
        .remove(soname)
        .unwrap_or_default()
}

/// For each soname, the lib dirs under `store_dir` that hold it, in store-name order (every
/// soname is in the map, possibly with no dirs). Sonames with a `/` are ignored.
pub fn find_libraries(
    store_dir: &Path,
    sonames: &[&str],
    budget: Budget,
) -> BTreeMap<String, Vec<PathBuf>> {
    let wanted: Vec<&str> = sonames
        .iter()
        .copied()
        .filter(|s| !s.is_empty() && !s.contains('/'))
        .collect();
    let mut found: BTreeMap<String, Vec<PathBuf>> =
        wanted.iter().map(|s| (s.to_string(), Vec::new())).collect();
    if wanted.is_empty() {
        return found;
    }
    let started = Instant::now();
    let Ok(entries) = std::fs::read_dir(store_dir) else {
        return found;
    };
    let mut names: Vec<PathBuf> = Vec::new();
    for entry in entries.flatten() {
        if names.len() >= budget.max_entries || started.elapsed() > budget.max_time {
            break;
        }
        names.push(entry.path());
    }
    // Sorted so that answers do not depend on directory order.
    names.sort();
    for entry in names {
        if started.elapsed() > budget.max_time {
            break;
        }
        let lib = entry.join("lib");
        for soname in &wanted {
            if lib.join(soname).exists()
                && let Some(dirs) = found.get_mut(*soname)
            {
                dirs.push(lib.clone());
            }
        }
    }
    found
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
        let got = find_libraries(
            store,
            &["libz.so.1", "libstdc++.so.6", "libnope.so.1"],
            Budget::default(),
        );
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
        assert!(find_libraries(Path::new("/nonexistent"), &["libz.so.1"], Budget::default())["libz.so.1"].is_empty());
    }
}
