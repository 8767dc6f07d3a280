//! From resolved trees to findings: one [`Finding`] per distinct problem (a missing library
//! per requiring object, a missing version, a wrong class, a refused executable stack), plus
//! latent ones for libraries found only by luck of the environment.
//!
//! Paths in findings are lexically normalised (`a/b/../c` → `a/c`, no symlinks resolved):
//! one file reached through two `$ORIGIN` routes is one finding. The `objects` tree keeps
//! the loader's spelling, which is what `$ORIGIN` sees.

use std::borrow::Cow;
use std::collections::HashSet;

use rayon::prelude::*;

use crate::evidence::{CauseKind, Finding, FindingSource};

use super::report::{NeededLibrary, ResolvedObject};
use super::versions;

/// Findings for a set of resolved files, in tree order, without duplicates. Each file's
/// trees are walked in parallel; the merge keeps the first of each finding, in file order.
pub fn findings(objects: &[ResolvedObject]) -> Vec<Finding> {
    let per_object: Vec<Vec<Finding>> = objects.par_iter().map(object_findings).collect();
    let mut out = Collector::default();
    for finding in per_object.into_iter().flatten() {
        out.push(finding);
    }
    out.findings
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
                                Some(super::report::FoundVia::AlreadyLoaded) => {
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

/// `.` and `..` components resolved on the text alone (no symlinks followed), so
/// `/v/numpy/_core/../../numpy.libs/x.so` is `/v/numpy.libs/x.so`. `..` at the root stays
/// at the root; leading `..` of a relative path are kept.
pub fn lexically_normal(path: &str) -> Cow<'_, str> {
    // Most paths have nothing to resolve: no copy for them (a large `ldd` run normalises
    // every library of every tree).
    if is_normal(path) {
        return Cow::Borrowed(path);
    }
    // Built in place (no Vec of parts, no join): every library reached through an
    // auditwheel `$ORIGIN/../x.libs` RPATH comes this way.
    let absolute = path.starts_with('/');
    let mut out = String::with_capacity(path.len() + 1);
    // Normal components in `out`; leading `..` of a relative path are not counted.
    let mut depth = 0usize;
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." if depth > 0 => {
                out.truncate(out.rfind('/').unwrap_or(0));
                depth -= 1;
            }
            ".." if absolute => {}
            _ => {
                if absolute || !out.is_empty() {
                    out.push('/');
                }
                out.push_str(part);
                if part != ".." {
                    depth += 1;
                }
            }
        }
    }
    Cow::Owned(match (absolute, out.is_empty()) {
        (true, true) => "/".to_string(),
        (false, true) => ".".to_string(),
        _ => out,
    })
}

/// No empty, `.` or `..` component (the leading `/` aside): normalising changes nothing.
fn is_normal(path: &str) -> bool {
    let bytes = path.as_bytes();
    if bytes.is_empty() {
        return false;
    }
    let rest = bytes.strip_prefix(b"/").unwrap_or(bytes);
    // Split on bytes, not chars: a memchr per component costs more than the scan itself
    // on paths this short, and every library of every tree comes through here.
    rest.is_empty()
        || rest
            .split(|b| *b == b'/')
            .all(|part| !part.is_empty() && part != b"." && part != b"..")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::loader::report::NeededLibrary;

    #[test]
    fn dot_and_dot_dot_are_resolved_on_the_text() {
        assert_eq!(
            lexically_normal("/v/numpy/_core/../../numpy.libs/libgfortran.so.5"),
            "/v/numpy.libs/libgfortran.so.5"
        );
        assert_eq!(lexically_normal("/a/./b//c/"), "/a/b/c");
        assert_eq!(lexically_normal("/../a"), "/a");
        assert_eq!(lexically_normal("../x/../../y"), "../../y");
        assert_eq!(lexically_normal("a/.."), ".");
        assert_eq!(lexically_normal("a/../../b"), "../b");
        assert_eq!(lexically_normal("./a/b/../c"), "a/c");
        assert_eq!(lexically_normal("/a/.."), "/");
        assert_eq!(lexically_normal("/"), "/");
        assert_eq!(lexically_normal(""), ".");
    }

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
            found_via: Some(super::super::report::FoundVia::Rpath),
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
