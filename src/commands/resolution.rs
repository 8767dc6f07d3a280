//! What `check` and `explain` share once they hold files to resolve: resolving them in
//! parallel, the sonames still missing, where those sit in the local store, and checking a fix
//! by resolving again with it applied (and, for `check --verify`, by importing again).

use std::path::PathBuf;

use rayon::prelude::*;

use crate::env::Interpreter;
use crate::evidence::{CauseKind, Finding};
use crate::loader::report::{NeededLibrary, ResolvedObject};
use crate::loader::{LoaderContext, Resolver};
use crate::outcome::Verification;
use crate::rules::{FixPlan, FixVerifier};
use crate::source::loader_findings;
use crate::source::probe::{self, ProbeOptions};

/// Resolve files in parallel; one resolver, so each library is parsed once.
pub fn resolve_all(context: LoaderContext, files: &[PathBuf]) -> Vec<ResolvedObject> {
    let resolver = Resolver::new(context);
    files.par_iter().map(|f| resolver.resolve(f)).collect()
}

/// The files among `objects` that lack a library today: what a fix must repair. Read off the
/// trees directly; the findings walk is done once, by the caller.
pub fn files_with_missing(objects: &[ResolvedObject]) -> Vec<PathBuf> {
    fn lacks(libs: &[NeededLibrary]) -> bool {
        libs.iter()
            .any(|l| (l.path.is_none() && !l.latent) || lacks(&l.needed))
    }
    objects
        .iter()
        .filter(|o| lacks(&o.needed))
        .map(|o| PathBuf::from(&o.path))
        .collect()
}

/// Distinct sonames that non-latent findings say are missing, sorted.
pub fn missing_sonames(findings: &[Finding]) -> Vec<String> {
    let mut sonames: Vec<String> = findings
        .iter()
        .filter(|f| f.kind == CauseKind::MissingSharedLibrary && !f.latent)
        .filter_map(|f| f.library.clone())
        .collect();
    sonames.sort();
    sonames.dedup();
    sonames
}

/// Re-checks a fix: the resolver with the fix's dirs added, then (with `import`) the real
/// import under the fix's environment.
pub struct Verifier<'a> {
    pub context: Option<&'a LoaderContext>,
    /// The files that lack a library today.
    pub files: &'a [PathBuf],
    /// Objects already mapped when the failure happened.
    pub preloaded: &'a [PathBuf],
    pub import: Option<ImportCheck<'a>>,
}

/// `check --verify`: which modules to import again, with which interpreter.
pub struct ImportCheck<'a> {
    pub interpreter: &'a Interpreter,
    pub modules: &'a [String],
    pub options: &'a ProbeOptions,
}

impl Verifier<'_> {
    /// Load-breaking problems a search path can change (missing libraries, unmet versions)
    /// left in the files with `extra_dirs` searched after LD_LIBRARY_PATH.
    pub fn problems(&self, extra_dirs: &[PathBuf]) -> Option<Vec<Finding>> {
        let ctx = self
            .context?
            .clone()
            .with_preloaded(self.preloaded.to_vec())
            .with_extra_library_dirs(extra_dirs.to_vec());
        let objects = resolve_all(ctx, self.files);
        let problems = loader_findings::findings(&objects)
            .into_iter()
            .filter(|f| {
                !f.latent
                    && matches!(
                        f.kind,
                        CauseKind::MissingSharedLibrary
                            | CauseKind::GlibcVersionTooOld
                            | CauseKind::LibstdcxxVersionTooOld
                    )
            })
            .collect();
        Some(problems)
    }

    fn problem_count(&self, extra_dirs: &[PathBuf]) -> Option<usize> {
        self.problems(extra_dirs).map(|p| p.len())
    }

    fn import_works(check: &ImportCheck, plan: &FixPlan) -> bool {
        let mut options = check.options.clone();
        options.env_overrides.extend(plan.env.iter().cloned());
        probe::all_import(&check.interpreter.path, check.modules, &options)
    }
}

impl FixVerifier for Verifier<'_> {
    fn verify(&self, plan: &FixPlan) -> Verification {
        if plan.library_dirs.is_empty() || self.files.is_empty() {
            return Verification::NotChecked;
        }
        let (Some(before), Some(after)) = (
            self.problem_count(&[]),
            self.problem_count(&plan.library_dirs),
        ) else {
            return Verification::NotChecked;
        };
        if before == 0 {
            return Verification::NotChecked;
        }
        let resolved = match after {
            0 => Verification::Verified,
            n if n < before => Verification::Partial,
            _ => Verification::Failed,
        };
        match &self.import {
            Some(check) if resolved == Verification::Verified && !plan.env.is_empty() => {
                if Verifier::import_works(check, plan) {
                    Verification::Verified
                } else {
                    Verification::Failed
                }
            }
            _ => resolved,
        }
    }

    /// The import is re-run only for a fix that sets variables; an rpath fix (fix-python)
    /// is checked by the resolver even under `--verify`.
    fn method(&self, plan: &FixPlan) -> &'static str {
        if self.import.is_some() && !plan.env.is_empty() {
            "import"
        } else {
            "resolver"
        }
    }
}
