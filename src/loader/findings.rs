//! From resolved trees to findings: one [`Finding`] per distinct problem (a missing library
//! per requiring object, a missing version, a wrong class, a refused executable stack), plus
//! latent ones for libraries found only by luck of the environment.

use std::collections::HashSet;

use crate::evidence::{CauseKind, Finding, FindingSource};

use super::report::{NeededLibrary, ResolvedObject};
use super::versions;

/// Findings for a set of resolved files, in tree order, without duplicates.
pub fn findings(objects: &[ResolvedObject]) -> Vec<Finding> {
    let mut out = Collector::default();
    for object in objects {
        if let Some(error) = &object.error {
            out.root_error(&object.path, error);
        }
        if object.executable_stack {
            out.push(exec_stack(&object.path, None));
        }
        for lib in &object.needed {
            out.walk(lib, &object.path);
        }
    }
    out.findings
}

#[derive(Default)]
struct Collector {
    findings: Vec<Finding>,
    seen: HashSet<(CauseKind, Option<String>, Option<String>, bool)>,
}

impl Collector {
    fn push(&mut self, f: Finding) {
        let key = (f.kind, f.library.clone(), f.required_by.clone(), f.latent);
        if self.seen.insert(key) {
            self.findings.push(f);
        }
    }

    fn root_error(&mut self, path: &str, error: &str) {
        // Unreadable files are the caller's report line, not a loader finding.
        if error.starts_with("wrong ELF class") || error.starts_with("wrong machine") {
            self.push(
                Finding::new(
                    CauseKind::WrongElfClass,
                    FindingSource::Elf,
                    format!("{path}: {error}"),
                )
                .library(path),
            );
        }
    }

    fn walk(&mut self, lib: &NeededLibrary, parent: &str) {
        match &lib.path {
            None => self.not_found(lib, parent),
            Some(path) => {
                for p in &lib.version_problems {
                    self.push(version_finding(p, path));
                }
                if lib.latent {
                    let mut f = Finding::new(
                        CauseKind::MissingSharedLibrary,
                        FindingSource::Elf,
                        format!(
                            "{} is found only {} ({path}); without it the loader would not find it",
                            lib.soname,
                            match lib.found_via {
                                Some(super::report::FoundVia::AlreadyLoaded) => {
                                    "because an earlier import already loaded it"
                                }
                                _ => "through LD_LIBRARY_PATH",
                            }
                        ),
                    )
                    .library(&lib.soname)
                    .required_by(parent);
                    f.provider = Some(path.clone());
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
            Some(e) => (CauseKind::WrongElfClass, format!("{soname}: {e}")),
            None if soname.starts_with("libc.musl-") || soname.starts_with("ld-musl-") => (
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

fn version_finding(p: &super::report::VersionProblem, provider: &str) -> Finding {
    let kind = match versions::family(&p.version) {
        "GLIBC_" => CauseKind::GlibcVersionTooOld,
        "GLIBCXX_" | "CXXABI_" => CauseKind::LibstdcxxVersionTooOld,
        _ => CauseKind::Unknown,
    };
    let mut f = Finding::new(
        kind,
        FindingSource::Elf,
        format!(
            "{provider}: version `{}' not found (required by {})",
            p.version, p.required_by
        ),
    )
    .library(&p.version)
    .required_by(&p.required_by);
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
