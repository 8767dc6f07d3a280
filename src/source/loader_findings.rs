//! From resolved trees to findings: one [`Finding`] per distinct problem (a missing library
//! per requiring object, a missing version, a wrong class, a refused executable stack), plus
//! latent ones for libraries found only by luck of the environment.
//! The loader emulation says what ld.so would do; this says what that means as evidence,
//! like the other evidence makers of this layer (the import probe, the text parsers).
//!
//! Paths in findings are lexically normalised (see [`lexically_normal`]): one file reached
//! through two `$ORIGIN` routes is one finding.

use rayon::prelude::*;

use crate::evidence::{CauseKind, Finding, FindingSet, FindingSource};
use crate::loader::report::{FoundVia, NeededLibrary, ResolvedObject, VersionProblem};
use crate::loader::{ResolveError, lexically_normal};

/// Findings for a set of resolved files, in tree order, without duplicates. Each file's
/// trees are walked in parallel; the merge keeps the first of each finding, in file order.
pub fn findings(objects: &[ResolvedObject]) -> Vec<Finding> {
    let per_object: Vec<Vec<Finding>> = objects.par_iter().map(object_findings).collect();
    let mut out = Collector::default();
    for finding in per_object.into_iter().flatten() {
        out.push(finding);
    }
    out.findings.into_vec()
}

fn object_findings(object: &ResolvedObject) -> Vec<Finding> {
    let mut out = Collector::default();
    let path = lexically_normal(&object.path);
    if let Some(error) = &object.error {
        out.root_error(&path, error);
    }
    if object.executable_stack {
        out.push(exec_stack(&path, None));
    }
    for lib in &object.needed {
        out.walk(lib, &path);
    }
    out.findings.into_vec()
}

#[derive(Default)]
struct Collector {
    findings: FindingSet,
}

impl Collector {
    fn push(&mut self, f: Finding) {
        self.findings.push(f);
    }

    fn root_error(&mut self, path: &str, error: &ResolveError) {
        // Unreadable files are the caller's report line, not a loader finding.
        if error.is_refusal() {
            self.push(root_finding(path, error));
        }
    }

    fn walk(&mut self, lib: &NeededLibrary, parent: &str) {
        match &lib.path {
            None => self.not_found(lib, parent),
            Some(path) => {
                let path = &lexically_normal(path);
                for p in &lib.version_problems {
                    let mut f = version_finding(p, path);
                    f.provider_via = lib.found_via.map(|v| v.as_str().to_string());
                    self.push(f);
                }
                if lib.latent {
                    let mut f = Finding::new(
                        CauseKind::MissingSharedLibrary,
                        FindingSource::Elf,
                        format!(
                            "{} is found only {} ({path}); without it the loader would not find it",
                            lib.soname,
                            match lib.found_via {
                                Some(FoundVia::AlreadyLoaded) => {
                                    "because an earlier import already loaded it"
                                }
                                _ => "through LD_LIBRARY_PATH",
                            }
                        ),
                    )
                    .library(&lib.soname)
                    .required_by(parent);
                    f.provider = Some(path.to_string());
                    f.provider_via = lib.found_via.map(|v| v.as_str().to_string());
                    f.latent = true;
                    self.push(f);
                }
                if lib.executable_stack {
                    self.push(exec_stack(path, Some(parent)));
                }
                for child in &lib.needed {
                    self.walk(child, path);
                }
            }
        }
    }

    fn not_found(&mut self, lib: &NeededLibrary, parent: &str) {
        let soname = &lib.soname;
        let (kind, detail) = match &lib.error {
            Some(e) => (cause_of(e), format!("{soname}: {e}")),
            None if crate::catalog::causes::is_musl_soname(soname) => (
                CauseKind::MuslGlibcMismatch,
                format!("{parent} is built for musl (needs {soname}) but the loader is glibc's"),
            ),
            None => (
                CauseKind::MissingSharedLibrary,
                format!(
                    "{soname}: cannot open shared object file: No such file or directory (needed by {parent})"
                ),
            ),
        };
        let mut f = Finding::new(kind, FindingSource::Elf, detail)
            .library(soname)
            .required_by(parent);
        f.tried = lib.tried.clone();
        self.push(f);
    }
}

/// The cause a resolver error stands for: the one place loader errors meet cause kinds.
pub fn cause_of(error: &ResolveError) -> CauseKind {
    match error {
        // Built for another word size or machine, or no loadable ELF file at all (a bad
        // header stops the search): the text tables file "invalid ELF header" and "file too
        // short" under the same kind.
        ResolveError::WrongClass(_)
        | ResolveError::WrongMachine(_)
        | ResolveError::NotElf
        | ResolveError::BadHeader(_)
        | ResolveError::BadCandidate { .. }
        | ResolveError::Unreadable(_)
        | ResolveError::CannotOpen { .. } => CauseKind::WrongElfClass,
        // The name leads nowhere: the library cannot be found, whatever lies on disk.
        ResolveError::EmptyDst => CauseKind::MissingSharedLibrary,
        // Only on a library that was found; no cause of its own.
        ResolveError::TreeTooDeep(_) => CauseKind::Unknown,
        // Text read back from JSON: what every error was filed as before errors had types.
        ResolveError::Reported(_) => CauseKind::WrongElfClass,
    }
}

/// The finding for a file given that the loader would not map: `path: error`.
pub fn root_finding(path: &str, error: &ResolveError) -> Finding {
    Finding::new(
        cause_of(error),
        FindingSource::Elf,
        format!("{path}: {error}"),
    )
    .library(path)
}

fn version_finding(p: &VersionProblem, provider: &str) -> Finding {
    let kind = crate::catalog::causes::version_kind(&p.version);
    let mut f = Finding::new(
        kind,
        FindingSource::Elf,
        format!(
            "{provider}: version `{}' not found (required by {})",
            p.version,
            lexically_normal(&p.required_by)
        ),
    )
    .library(&p.version)
    .required_by(lexically_normal(&p.required_by));
    f.provider = Some(provider.to_string());
    f.newest_available = p.newest_available.clone();
    f
}

fn exec_stack(path: &str, parent: Option<&str>) -> Finding {
    let mut f = Finding::new(
        CauseKind::ExecutableStack,
        FindingSource::Elf,
        format!("{path}: cannot enable executable stack as shared object requires"),
    )
    .library(path);
    f.required_by = parent.map(str::to_string);
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    fn missing(soname: &str) -> NeededLibrary {
        NeededLibrary {
            soname: soname.into(),
            path: None,
            found_via: None,
            tried: vec!["/usr/lib/".into()],
            tried_via: vec!["default-dir".into()],
            needed: Vec::new(),
            error: None,
            rejected: Vec::new(),
            cache_searched: None,
            version_problems: Vec::new(),
            repeated: false,
            latent: false,
            executable_stack: false,
        }
    }

    fn found(path: &str, needed: Vec<NeededLibrary>) -> NeededLibrary {
        NeededLibrary {
            path: Some(path.into()),
            found_via: Some(FoundVia::Rpath),
            tried: Vec::new(),
            tried_via: Vec::new(),
            needed,
            ..missing("libgfortran.so.5")
        }
    }

    #[test]
    fn one_library_reached_through_two_origin_routes_gives_one_finding() {
        let object = |root: &str, via: &str| ResolvedObject {
            path: root.into(),
            error: None,
            needed: vec![found(via, vec![missing("libquadmath.so.0")])],
            elf: None,
            executable_stack: false,
            loader: None,
        };
        let objects = [
            object(
                "/v/numpy/_core/_multiarray_umath.so",
                "/v/numpy/_core/../../numpy.libs/libgfortran.so.5",
            ),
            object(
                "/v/numpy/linalg/_umath_linalg.so",
                "/v/numpy/linalg/../../numpy.libs/libgfortran.so.5",
            ),
        ];
        let f = findings(&objects);
        assert_eq!(f.len(), 1, "{f:#?}");
        assert_eq!(
            f[0].required_by.as_deref(),
            Some("/v/numpy.libs/libgfortran.so.5")
        );
        assert!(
            f[0].detail
                .contains("(needed by /v/numpy.libs/libgfortran.so.5)")
        );
        // The tree keeps the loader's spelling.
        assert!(
            objects[0].needed[0]
                .path
                .as_deref()
                .unwrap()
                .contains("/../")
        );
    }
}
