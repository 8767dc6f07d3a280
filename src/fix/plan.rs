//! Whether a diagnosis has a contained fix, and which library files it loads.
//!
//! Contained means: every library the loader misses sits as a file on this machine (in the
//! store), and the rules' own search-path fix (`ld-library-path`) was verified by re-resolving
//! with those libraries. Anything else (nix-ld, a distribution package, a different python)
//! changes the system or the user's configuration, which `fix` never does.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::env::nix_store::entry_of;
use crate::evidence::{CauseKind, Finding};
use crate::fix::manifest::Library;
use crate::outcome::{Diagnosis, Verification};
use crate::rules::tables::Tables;

/// The rules' fix whose effect a preload reproduces: the same libraries, found without a search.
const SEARCH_PATH_FIX: &str = "ld-library-path";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Load these libraries at start-up.
    Contained(Vec<Library>),
    /// No contained fix: why, in one sentence.
    CannotApply(String),
}

/// Decide from the diagnosis. `store_choice` holds, per missing soname, the store lib dir the
/// rules' fixes use (the copy `check` chose).
pub fn plan(
    diagnoses: &[Diagnosis],
    findings: &[Finding],
    store_choice: &BTreeMap<String, PathBuf>,
    store_dir: &Path,
    tables: &Tables,
) -> Verdict {
    let search_fix = diagnoses
        .iter()
        .flat_map(|d| &d.fixes)
        .find(|f| f.id == SEARCH_PATH_FIX);
    let Some(search_fix) = search_fix else {
        let shown = diagnoses
            .first()
            .and_then(|d| d.fixes.first())
            .map(|f| format!(" (the fix for it: {})", f.title))
            .unwrap_or_default();
        return Verdict::CannotApply(format!(
            "the fix for this set-up changes the system or your configuration, which pydoctor \
             fix does not touch{shown}"
        ));
    };
    let mut libraries = Vec::new();
    let mut absent = Vec::new();
    for soname in missing_sonames(findings, tables) {
        match store_choice.get(&soname).map(|dir| dir.join(&soname)) {
            Some(file) => libraries.push(Library {
                store_path: entry_of(&file, store_dir).map(|p| p.to_string_lossy().into_owned()),
                soname,
                path: file.to_string_lossy().into_owned(),
            }),
            None => absent.push(soname),
        }
    }
    if !absent.is_empty() {
        return Verdict::CannotApply(format!(
            "no file in the store at {1} provides {0}",
            absent.join(" and "),
            store_dir.display()
        ));
    }
    if search_fix.verified != Verification::Verified {
        return Verdict::CannotApply(
            "with the libraries of the store, the loader would still miss some: a preload \
             would not be enough"
                .into(),
        );
    }
    if libraries.is_empty() {
        return Verdict::CannotApply("no missing library to load".into());
    }
    Verdict::Contained(libraries)
}

/// Sonames that non-latent findings say are missing, glibc's own left out (the loader always
/// has them), sorted and distinct.
fn missing_sonames(findings: &[Finding], tables: &Tables) -> Vec<String> {
    let mut sonames: Vec<String> = findings
        .iter()
        .filter(|f| f.kind == CauseKind::MissingSharedLibrary && !f.latent)
        .filter_map(|f| f.library.clone())
        .filter(|s| !tables.nixpkgs(s).is_some_and(|e| e.glibc))
        .collect();
    sonames.sort();
    sonames.dedup();
    sonames
}

/// nixpkgs attributes for the libraries, for the declarative equivalent (`stdenv.cc.cc.lib
/// zlib`); a soname the table does not know is left out.
pub fn nix_attrs(libraries: &[Library], tables: &Tables) -> Vec<String> {
    let mut attrs: Vec<String> = Vec::new();
    for attr in libraries
        .iter()
        .filter_map(|l| tables.nixpkgs(&l.soname))
        .filter_map(|e| e.attr.clone())
    {
        if !attrs.contains(&attr) {
            attrs.push(attr);
        }
    }
    attrs
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::FindingSource;
    use crate::outcome::Fix;

    fn diagnosis(fix_id: &str, verified: Verification) -> Diagnosis {
        Diagnosis {
            rule: "PD101".into(),
            kind: CauseKind::MissingSharedLibrary,
            library: Some("libz.so.1".into()),
            required_by: None,
            summary: "libz.so.1 cannot be found".into(),
            explanation: String::new(),
            fixes: vec![Fix {
                id: fix_id.into(),
                title: format!("the {fix_id} fix"),
                snippet: None,
                verified,
                verified_by: None,
                checked: Vec::new(),
                note: None,
            }],
            libraries: Vec::new(),
            store_candidates: Vec::new(),
            advisory: false,
        }
    }

    fn missing(soname: &str) -> Finding {
        Finding::new(
            CauseKind::MissingSharedLibrary,
            FindingSource::Elf,
            "missing",
        )
        .library(soname)
    }

    fn verdict(fix_id: &str, verified: Verification, chosen: &[(&str, &str)]) -> Verdict {
        let chosen = chosen
            .iter()
            .map(|(s, d)| (s.to_string(), PathBuf::from(d)))
            .collect();
        plan(
            &[diagnosis(fix_id, verified)],
            &[missing("libz.so.1")],
            &chosen,
            Path::new("/s"),
            &Tables::default(),
        )
    }

    #[test]
    fn a_verified_search_path_fix_with_store_copies_is_contained() {
        let got = verdict(
            "ld-library-path",
            Verification::Verified,
            &[("libz.so.1", "/s/abc-zlib/lib")],
        );
        assert_eq!(
            got,
            Verdict::Contained(vec![Library {
                soname: "libz.so.1".into(),
                path: "/s/abc-zlib/lib/libz.so.1".into(),
                store_path: Some("/s/abc-zlib".into()),
            }])
        );
    }

    #[test]
    fn nix_ld_or_a_distribution_package_is_not_applied() {
        for id in ["nix-ld", "distro-package"] {
            let Verdict::CannotApply(why) = verdict(id, Verification::NotChecked, &[]) else {
                panic!("{id} must not be applied");
            };
            assert!(why.contains(&format!("the {id} fix")), "{why}");
        }
    }

    #[test]
    fn a_library_not_in_the_store_or_an_unverified_fix_is_not_applied() {
        let absent = verdict("ld-library-path", Verification::Verified, &[]);
        assert_eq!(
            absent,
            Verdict::CannotApply("no file in the store at /s provides libz.so.1".into())
        );
        let partial = verdict(
            "ld-library-path",
            Verification::Partial,
            &[("libz.so.1", "/s/a/lib")],
        );
        assert!(matches!(partial, Verdict::CannotApply(_)), "{partial:?}");
    }
}
