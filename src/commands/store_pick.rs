//! Which copy of a missing library in the Nix store a fix should use.
//!
//! A workstation's store holds several `libstdc++.so.6` and `libz.so.1` from different nixpkgs
//! revisions; the first in name order may lack the `GLIBCXX_` version a wheel needs, or need a
//! newer glibc than the interpreter's. Candidates are ranked — the interpreter's own closure
//! first (when `nix-store` can tell), then those built against the interpreter's glibc, newest
//! first within each — and each is tried through the resolver, with the other sonames' picks
//! in place, until one leaves nothing of its own unresolved. What was passed over, and why, is
//! kept for the report.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::resolution::{Verifier, missing_sonames};
use crate::elf;
use crate::env::store::{self, Budget, StoreLook, Wanted};
use crate::evidence::{CauseKind, Finding};
use crate::outcome::StoreCandidate;
use crate::rules::tables::Tables;

/// The store look and the choice made from it.
#[derive(Debug, Clone, Default)]
pub struct StorePick {
    /// The chosen lib dir per soname.
    pub chosen: BTreeMap<String, PathBuf>,
    pub candidates: Vec<StoreCandidate>,
    pub entries: usize,
    pub cut_short: bool,
    pub elapsed: Duration,
}

impl StorePick {
    /// The chosen library file for `soname` (what a fix puts on a search path), if any.
    pub fn paths(&self, soname: &str) -> Vec<PathBuf> {
        self.chosen
            .get(soname)
            .map(|dir| vec![dir.join(soname)])
            .unwrap_or_default()
    }

    /// A note for the report when the look was incomplete.
    pub fn note(&self) -> Option<String> {
        self.cut_short.then(|| {
            format!(
                "the store look stopped early after {} entries ({} ms): a better copy may exist",
                self.entries,
                self.elapsed.as_millis()
            )
        })
    }
}

/// What ranks a candidate: lower sorts first.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Rank {
    outside_closure: bool,
    other_glibc: bool,
    newest_first: std::cmp::Reverse<Vec<u64>>,
}

/// What ranks and narrows the look besides the store itself.
pub struct Hints<'a> {
    /// The interpreter's runtime closure (store entries), when `nix-store` can tell.
    pub closure: Option<&'a [PathBuf]>,
    /// The lib dir of the interpreter's glibc.
    pub glibc_dir: Option<&'a Path>,
    /// The nixpkgs table: which packages usually ship each soname.
    pub tables: &'a Tables,
}

/// Look in the store for every missing soname of `findings` and pick one copy of each.
pub fn pick(
    store_dir: &Path,
    findings: &[Finding],
    verifier: &Verifier,
    hints: &Hints,
) -> StorePick {
    let started = Instant::now();
    let sonames = missing_sonames(findings);
    if sonames.is_empty() {
        return StorePick::default();
    }
    let names: Vec<Vec<String>> = sonames
        .iter()
        .map(|s| {
            hints
                .tables
                .nixpkgs(s)
                .map(|e| e.store_names.clone())
                .unwrap_or_default()
        })
        .collect();
    let wanted: Vec<Wanted> = sonames
        .iter()
        .zip(&names)
        .map(|(soname, names)| Wanted { soname, names })
        .collect();
    let look = store::find_wanted(store_dir, &wanted, Budget::default());
    let mut pick = choose(&look, verifier, hints.closure, hints.glibc_dir);
    pick.entries = look.entries;
    pick.cut_short = look.cut_short;
    pick.elapsed = started.elapsed();
    pick
}

fn choose(
    look: &StoreLook,
    verifier: &Verifier,
    closure: Option<&[PathBuf]>,
    glibc_dir: Option<&Path>,
) -> StorePick {
    let ranked: BTreeMap<&str, Vec<PathBuf>> = look
        .found
        .iter()
        .map(|(soname, dirs)| (soname.as_str(), ranked(soname, dirs, closure, glibc_dir)))
        .collect();
    // Tentative picks, so that each soname is judged with the others in place.
    let mut chosen: BTreeMap<String, PathBuf> = ranked
        .iter()
        .filter_map(|(s, dirs)| dirs.first().map(|d| (s.to_string(), d.clone())))
        .collect();
    let mut candidates = Vec::new();
    for (soname, dirs) in &ranked {
        let mut winner: Option<PathBuf> = None;
        for dir in dirs {
            let reason = match &winner {
                Some(won) => Some(ranked_below(soname, dir, won, glibc_dir)),
                None => disqualified(soname, dir, &chosen, verifier),
            };
            let is_winner = winner.is_none() && reason.is_none();
            if is_winner {
                winner = Some(dir.clone());
            }
            candidates.push(StoreCandidate {
                soname: soname.to_string(),
                dir: dir.display().to_string(),
                chosen: is_winner,
                passed_over: reason,
            });
        }
        match winner {
            Some(dir) => chosen.insert(soname.to_string(), dir),
            None => chosen.remove(*soname),
        };
    }
    StorePick {
        chosen,
        candidates,
        ..StorePick::default()
    }
}

fn ranked(
    soname: &str,
    dirs: &[PathBuf],
    closure: Option<&[PathBuf]>,
    glibc_dir: Option<&Path>,
) -> Vec<PathBuf> {
    let mut keyed: Vec<(Rank, PathBuf)> = dirs
        .iter()
        .map(|dir| {
            let entry = dir.parent().unwrap_or(dir);
            let summary = elf::read_summary(&dir.join(soname)).ok();
            let rank = Rank {
                outside_closure: !closure.is_some_and(|c| c.iter().any(|e| e == entry)),
                other_glibc: !glibc_dir
                    .is_some_and(|g| summary.as_ref().is_some_and(|s| built_against(s, g))),
                newest_first: std::cmp::Reverse(store::entry_version(entry)),
            };
            (rank, dir.clone())
        })
        .collect();
    keyed.sort();
    keyed.into_iter().map(|(_, d)| d).collect()
}

/// Why a copy after the chosen one was not tried.
fn ranked_below(soname: &str, dir: &Path, won: &Path, glibc_dir: Option<&Path>) -> String {
    let same = |d: &Path| {
        glibc_dir
            .is_some_and(|g| elf::read_summary(&d.join(soname)).is_ok_and(|s| built_against(&s, g)))
    };
    if same(won) && !same(dir) {
        "not tried: built against another glibc than the interpreter's".into()
    } else {
        format!("not tried: {} was chosen before it", won.display())
    }
}

/// Nix links a library against one glibc and records it in the RUNPATH.
fn built_against(summary: &elf::ElfSummary, glibc_dir: &Path) -> bool {
    let glibc = glibc_dir.to_string_lossy();
    [summary.runpath.as_deref(), summary.rpath.as_deref()]
        .into_iter()
        .flatten()
        .any(|list| list.split(':').any(|d| d.trim_end_matches('/') == glibc))
}

/// Why the copy in `dir` cannot serve `soname`: resolve the failing files with it (and the
/// other picks) on the search path and look for problems that are its own.
fn disqualified(
    soname: &str,
    dir: &Path,
    chosen: &BTreeMap<String, PathBuf>,
    verifier: &Verifier,
) -> Option<String> {
    let mut dirs = vec![dir.to_path_buf()];
    dirs.extend(
        chosen
            .iter()
            .filter(|(s, _)| s.as_str() != soname)
            .map(|(_, d)| d.clone()),
    );
    let problems = verifier.problems(&dirs)?;
    let inside = |path: &Option<String>| {
        path.as_deref()
            .is_some_and(|p| Path::new(p).starts_with(dir))
    };
    problems.iter().find_map(|f| match f.kind {
        CauseKind::MissingSharedLibrary if f.library.as_deref() == Some(soname) => {
            Some("the loader still does not find it there".to_string())
        }
        CauseKind::LibstdcxxVersionTooOld | CauseKind::GlibcVersionTooOld
            if inside(&f.provider) =>
        {
            let version = f.library.clone().unwrap_or_default();
            Some(match &f.newest_available {
                Some(newest) => format!("lacks {version} (its newest is {newest})"),
                None => format!("lacks {version}"),
            })
        }
        _ if inside(&f.required_by) => Some(match f.kind {
            CauseKind::GlibcVersionTooOld => format!(
                "needs {}, newer than the interpreter's glibc",
                f.library.clone().unwrap_or_default()
            ),
            _ => f.detail.clone(),
        }),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_look_cut_short_by_its_budget_says_so() {
        let pick = StorePick {
            entries: 1234,
            cut_short: true,
            elapsed: Duration::from_millis(2001),
            ..StorePick::default()
        };
        let note = pick.note().unwrap();
        assert!(note.contains("stopped early after 1234 entries"), "{note}");
        assert!(StorePick::default().note().is_none());
    }

    #[test]
    fn without_elf_facts_the_newest_entry_ranks_first() {
        let dirs = [
            PathBuf::from("/s/aaa-zlib-1.2.13/lib"),
            PathBuf::from("/s/bbb-zlib-1.3.1/lib"),
            PathBuf::from("/s/ccc-zlib-1.2.8/lib"),
        ];
        let order = ranked("libz.so.1", &dirs, None, None);
        assert_eq!(order[0], dirs[1]);
        assert_eq!(order[2], dirs[2]);
    }
}
