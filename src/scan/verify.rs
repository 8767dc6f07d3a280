//! Checking a fix before it is shown, for `scan`: the files that fail are resolved again with
//! the fix's library directories added after LD_LIBRARY_PATH, and the problems still left are
//! counted.

use std::path::PathBuf;
use std::sync::OnceLock;

use rayon::prelude::*;

use crate::evidence::CauseKind;
use crate::loader::{LoaderContext, Resolver};
use crate::outcome::Verification;
use crate::rules::{FixPlan, FixVerifier};

/// Re-resolves the failing files of a scan under a fix's plan.
pub struct ResolverVerifier {
    context: LoaderContext,
    failing: Vec<PathBuf>,
    /// Counted on first use: rules that verify nothing cost nothing.
    problems_before: OnceLock<usize>,
}

impl ResolverVerifier {
    pub fn new(context: LoaderContext, failing: Vec<PathBuf>) -> ResolverVerifier {
        ResolverVerifier {
            context,
            failing,
            problems_before: OnceLock::new(),
        }
    }
}

impl FixVerifier for ResolverVerifier {
    fn verify(&self, plan: &FixPlan) -> Verification {
        let before = *self
            .problems_before
            .get_or_init(|| problems(&Resolver::new(self.context.clone()), &self.failing));
        if plan.library_dirs.is_empty() || before == 0 {
            return Verification::NotChecked;
        }
        let context = self
            .context
            .clone()
            .with_extra_library_dirs(plan.library_dirs.clone());
        let after = problems(&Resolver::new(context), &self.failing);
        if after == 0 {
            Verification::Verified
        } else if after < before {
            Verification::Partial
        } else {
            Verification::Failed
        }
    }
}

/// Load-breaking findings that a search path can change (missing libraries and versions).
fn problems(resolver: &Resolver, files: &[PathBuf]) -> usize {
    files
        .par_iter()
        .map(|file| {
            super::object_findings(&resolver.resolve(file))
                .iter()
                .filter(|f| {
                    !f.latent
                        && matches!(
                            f.kind,
                            CauseKind::MissingSharedLibrary
                                | CauseKind::GlibcVersionTooOld
                                | CauseKind::LibstdcxxVersionTooOld
                        )
                })
                .count()
        })
        .sum()
}
