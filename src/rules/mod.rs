//! The rule database: loading rule files, matching evidence, rendering and verifying fixes.
//!
//! API used by the commands (bodies are being filled in; signatures are the contract):
//! `Database::load(&Request)`, `Database::diagnose(&Evidence, &FixContext)`.

pub mod files;

use std::path::PathBuf;

use crate::error::Result;
use crate::evidence::Evidence;
use crate::outcome::{Diagnosis, Verification};
use crate::request::Request;

/// The loaded rule database (built-in rules plus `--rules` dirs).
#[derive(Debug, Default)]
pub struct Database {}

impl Database {
    /// Built-in rules plus every `--rules DIR` of the request; a malformed file is an error
    /// naming file, line and field.
    pub fn load(request: &Request) -> Result<Database> {
        let _ = request;
        Ok(Database {})
    }

    /// Match the evidence against every rule; most likely diagnosis first. Fixes are rendered
    /// for the evidence's environment and checked through `context.verifier`.
    pub fn diagnose(&self, evidence: &Evidence, context: &FixContext) -> Vec<Diagnosis> {
        let _ = (evidence, context);
        Vec::new()
    }
}

/// What fix rendering may know about this machine beyond the evidence.
pub struct FixContext<'a> {
    /// Where a library already sits in the local Nix store, per soname (empty when unknown).
    pub store_paths: &'a dyn Fn(&str) -> Vec<PathBuf>,
    /// Re-checks a fix that changes the search path.
    pub verifier: &'a dyn FixVerifier,
}

/// A fix reduced to what changes for the loader, so it can be re-resolved.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FixPlan {
    pub fix_id: String,
    /// Directories the fix adds to the search (LD_LIBRARY_PATH, nix-ld libraries, rpath).
    pub library_dirs: Vec<PathBuf>,
    /// Environment variables the fix sets when the import is re-run (`check --verify`).
    pub env: Vec<(String, String)>,
}

/// Checks a fix before it is shown (by re-resolving, or by re-running the import).
pub trait FixVerifier {
    fn verify(&self, plan: &FixPlan) -> Verification;
}

/// For sources where nothing can be re-checked (a paste whose paths are not on this machine).
pub struct NoVerifier;

impl FixVerifier for NoVerifier {
    fn verify(&self, _plan: &FixPlan) -> Verification {
        Verification::NotChecked
    }
}
