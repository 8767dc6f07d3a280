//! `scan`'s own work: what a path is (a venv, a site-packages directory, a wheel tree), the
//! walk for ELF files by magic, which distribution owns each file (RECORD), resolving them all
//! in parallel, and grouping the loader's findings by distribution.
//!
//! The loader emulation itself is `crate::loader`'s; the rules are `crate::rules`'; printing
//! is `crate::report::scan`'s. Everything here returns data.

pub mod record;
pub mod target;
pub use crate::source::walk;

use std::borrow::Cow;
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use rustc_hash::FxHashSet;
use serde::{Deserialize, Serialize};

use crate::evidence::{CauseKind, Finding};
use crate::loader::report::{NeededLibrary, ResolvedObject};
use crate::loader::{self, Resolver};
use crate::source::loader_findings;

pub use record::{Distribution, Owners};
pub use target::{ScanTarget, TargetKind};
pub use walk::{Walk, WalkError};

/// The package name for files that no RECORD lists.
pub const UNOWNED: &str = "(unowned)";

/// One distribution's part of the scan (report.extra["packages"]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackageSummary {
    pub name: String,
    pub version: Option<String>,
    /// ELF files of this distribution that were resolved.
    pub files: usize,
    /// Those that would fail to load (paths relative to the scanned root).
    pub failing: Vec<String>,
    /// Distinct missing libraries (sonames).
    pub missing_libraries: usize,
    /// Distinct symbol versions that the library found lacks.
    pub unmet_versions: usize,
    /// Files of the wrong class or machine, or not loadable at all.
    pub wrong_class: usize,
    /// Objects asking for an executable stack that this loader refuses.
    pub executable_stack: usize,
    /// Libraries found only through LD_LIBRARY_PATH or an earlier import (advisory).
    pub latent: usize,
    /// Problems, once per (kind, library), each with the files that need it.
    pub problems: Vec<PackageProblem>,
}

/// One problem within a distribution.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackageProblem {
    pub kind: CauseKind,
    /// The soname, the symbol version, or the refused file.
    pub library: Option<String>,
    /// Files that need it (relative to the scanned root when under it).
    pub needed_by: Vec<String>,
    /// For versions: the library that was found but lacks it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub newest_available: Option<String>,
    /// For missing libraries: the directories tried (from the first file that needs it).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tried: Vec<String>,
    #[serde(default)]
    pub latent: bool,
    /// One line from the first finding.
    pub detail: String,
}

/// Resolve every file with one shared resolver (each library parsed once), in parallel.
/// `tick` is called once per file done, from any thread.
pub fn resolve_all(
    resolver: &Resolver,
    files: &[PathBuf],
    tick: &(dyn Fn() + Sync),
) -> Vec<ResolvedObject> {
    files
        .par_iter()
        .map(|file| {
            let object = resolver.resolve(file);
            tick();
            object
        })
        .collect()
}

/// The findings for one resolved file: the loader's, plus a file the loader would refuse
/// outright (truncated, unreadable) that the loader's findings leave to the caller.
pub fn object_findings(object: &ResolvedObject) -> Vec<Finding> {
    let mut findings = loader_findings::findings(std::slice::from_ref(object));
    // A refusal (class, machine) is among the loader's findings already.
    if let Some(error) = &object.error
        && !error.is_refusal()
    {
        findings.push(loader_findings::root_finding(&object.path, error));
    }
    findings
}

/// The scanned files that another scanned file loads (a wheel's vendored `*.libs/`): they
/// are judged through the files that load them, as the import does, not dlopen'd alone
/// (scipy's vendored libgfortran finds its libquadmath only because the BLAS that loads it
/// loaded that first).
pub fn dependencies(objects: &[ResolvedObject]) -> FxHashSet<String> {
    // Lexical normalisation on the text: every library of every tree comes through here.
    let scanned: FxHashSet<Cow<str>> = objects
        .iter()
        .map(|o| loader::lexically_normal(&o.path))
        .collect();
    objects
        .par_iter()
        .map(|object| {
            let mut loaded = FxHashSet::default();
            let mut stack: Vec<&NeededLibrary> = object.needed.iter().collect();
            while let Some(lib) = stack.pop() {
                if let Some(path) = &lib.path {
                    let path = loader::lexically_normal(path);
                    if scanned.contains(&path) && !loaded.contains(path.as_ref()) {
                        loaded.insert(path.into_owned());
                    }
                }
                stack.extend(lib.needed.iter());
            }
            loaded
        })
        .reduce(FxHashSet::default, |mut a, b| {
            a.extend(b);
            a
        })
}

/// Every file's findings in file order, each distinct finding once.
pub fn all_findings(per_object: &[Vec<Finding>]) -> Vec<Finding> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for finding in per_object.iter().flatten() {
        let key = (
            finding.kind,
            finding.library.clone(),
            finding.required_by.clone(),
            finding.latent,
        );
        if seen.insert(key) {
            out.push(finding.clone());
        }
    }
    out
}

/// Group objects and their findings by owning distribution; sorted by name, unowned last.
/// Only distributions with at least one ELF file appear. Paths are shown relative to the
/// site-packages directory holding them (the parent of a `.dist-info`), else to the root.
pub fn summarize(
    objects: &[ResolvedObject],
    per_object: &[Vec<Finding>],
    owners: &Owners,
    roots: &[PathBuf],
) -> Vec<PackageSummary> {
    let bases = display_bases(owners, roots);
    let roots = bases.as_slice();
    let mut groups: BTreeMap<(bool, String, String), Vec<usize>> = BTreeMap::new();
    for (i, object) in objects.iter().enumerate() {
        let key = match owners.owner_of(Path::new(&object.path)) {
            Some(d) => (
                false,
                d.name.to_lowercase(),
                d.dist_info.to_string_lossy().into(),
            ),
            None => (true, String::new(), String::new()),
        };
        groups.entry(key).or_default().push(i);
    }
    groups
        .into_values()
        .map(|members| {
            let owner = owners.owner_of(Path::new(&objects[members[0]].path));
            package(owner, &members, objects, per_object, roots)
        })
        .collect()
}

fn package(
    owner: Option<&Distribution>,
    members: &[usize],
    objects: &[ResolvedObject],
    per_object: &[Vec<Finding>],
    roots: &[PathBuf],
) -> PackageSummary {
    let mut problems: Vec<PackageProblem> = Vec::new();
    let mut failing = Vec::new();
    for &i in members {
        if per_object[i].iter().any(|f| !f.latent) {
            failing.push(relative(&objects[i].path, roots));
        }
        for finding in &per_object[i] {
            add_problem(&mut problems, finding, roots);
        }
    }
    let distinct = |kinds: &[CauseKind]| {
        problems
            .iter()
            .filter(|p| !p.latent && kinds.contains(&p.kind))
            .count()
    };
    PackageSummary {
        name: owner.map_or_else(|| UNOWNED.to_string(), |d| d.name.clone()),
        version: owner.and_then(|d| d.version.clone()),
        files: members.len(),
        missing_libraries: distinct(&[CauseKind::MissingSharedLibrary]),
        unmet_versions: distinct(&[
            CauseKind::GlibcVersionTooOld,
            CauseKind::LibstdcxxVersionTooOld,
        ]),
        wrong_class: distinct(&[CauseKind::WrongElfClass, CauseKind::MuslGlibcMismatch]),
        executable_stack: distinct(&[CauseKind::ExecutableStack]),
        latent: problems.iter().filter(|p| p.latent).count(),
        failing,
        problems,
    }
}

/// Fold a finding into the package's problems: once per (kind, library, latent).
fn add_problem(problems: &mut Vec<PackageProblem>, finding: &Finding, roots: &[PathBuf]) {
    let needed_by = finding
        .required_by
        .as_deref()
        .map(|p| relative(p, roots))
        .into_iter();
    if let Some(p) = problems.iter_mut().find(|p| {
        p.kind == finding.kind && p.library == finding.library && p.latent == finding.latent
    }) {
        for file in needed_by {
            if !p.needed_by.contains(&file) {
                p.needed_by.push(file);
            }
        }
        return;
    }
    let library = match finding.kind {
        // The refused file itself: shown relative like the others.
        CauseKind::WrongElfClass | CauseKind::ExecutableStack => {
            finding.library.as_deref().map(|l| relative(l, roots))
        }
        _ => finding.library.clone(),
    };
    problems.push(PackageProblem {
        kind: finding.kind,
        library,
        needed_by: needed_by.collect(),
        provider: finding.provider.clone(),
        newest_available: finding.newest_available.clone(),
        tried: distinct_dirs(&finding.tried),
        latent: finding.latent,
        detail: finding.detail.clone(),
    });
}

/// The dirs tried, each once (every object of an RPATH chain repeats the same dirs).
fn distinct_dirs(dirs: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for dir in dirs {
        let dir = loader::lexically_normal(dir).into_owned();
        if !out.contains(&dir) {
            out.push(dir);
        }
    }
    out
}

/// Directories paths are shown relative to: every `.dist-info`'s parent, then the roots;
/// deepest first, so a file is shown relative to its own site-packages.
fn display_bases(owners: &Owners, roots: &[PathBuf]) -> Vec<PathBuf> {
    let mut bases: Vec<PathBuf> = owners
        .distributions
        .iter()
        .filter_map(|d| d.dist_info.parent().map(Path::to_path_buf))
        .chain(roots.iter().cloned())
        .collect();
    bases.sort();
    bases.dedup();
    bases.sort_by_key(|b| std::cmp::Reverse(b.components().count()));
    bases
}

/// `path` relative to the first root it lies under, else as is. The loader spells paths as
/// found (`numpy/_core/../../numpy.libs/…`); they are normalised first, lexically, which is
/// exact inside the walked trees (their directories are real, symlinks are not walked).
pub fn relative(path: &str, roots: &[PathBuf]) -> String {
    let normalized = loader::lexically_normal(path);
    let p = Path::new(normalized.as_ref());
    roots
        .iter()
        .find_map(|root| p.strip_prefix(root).ok())
        .filter(|rel| !rel.as_os_str().is_empty())
        .map(|rel| rel.to_string_lossy().into_owned())
        .unwrap_or_else(|| p.to_string_lossy().into_owned())
}
