//! A python from the Nix store could not find a module: does the store have it (for this
//! python's version), or the `withPackages` env a venv was made from? And does the import work
//! once that is visible? The answer is `environment.store_module`, which PD415 and PD416 read.

use std::path::{Path, PathBuf};

use crate::env::Interpreter;
use crate::env::nix_env::{short_version, site_packages};
use crate::env::store::Budget;
use crate::env::store_python::{closure_site_dirs, find_module, holds_module};
use crate::evidence::{CauseKind, Environment, Finding, MissingModule, PythonKind};
use crate::source::probe::{self, ProbeOptions};

/// Store packages tried, newest first, before giving up on one that imports.
const TRIES: usize = 3;

/// What a check needs to answer: the failing modules and how to import them again.
pub struct Lookup<'a> {
    pub environment: &'a Environment,
    pub findings: &'a [Finding],
    /// The modules whose import failed, as the user named them.
    pub failing: &'a [String],
    pub interpreter: &'a Interpreter,
    pub options: &'a ProbeOptions,
    pub store_dir: &'a Path,
}

pub fn store_module(lookup: &Lookup) -> Option<MissingModule> {
    let python = &lookup.environment.python;
    if python.kind != PythonKind::NixStore {
        return None;
    }
    let version = short_version(python.version.as_deref()?)?;
    let missing = lookup
        .findings
        .iter()
        .find(|f| f.kind == CauseKind::ModuleNotFound && !f.latent)?
        .library
        .as_deref()?;
    let module = missing.split('.').next()?.to_string();
    let mut answer = MissingModule {
        module: module.clone(),
        ..MissingModule::default()
    };
    if let Some(env) = lookup.environment.nix_env.as_ref()
        && env.venv_base
        && env.venv_sees_env == Some(false)
    {
        let site = site_packages(Path::new(&env.path), &version);
        answer.in_env = holds_module(&site, &version, &module);
        if answer.in_env {
            answer.site_dirs = vec![site.display().to_string()];
            answer.imports = Some(imports_with(lookup, &[site]));
        }
        return Some(answer);
    }
    if python.venv.is_some() {
        return None;
    }
    let found = find_module(lookup.store_dir, &module, &version, Budget::default());
    answer.other_pythons = found.other_pythons;
    answer.store_look_cut_short = found.cut_short;
    answer.store = found.packages;
    for package in answer.store.iter().take(TRIES) {
        let dirs = closure_site_dirs(Path::new(&package.path), &version, lookup.store_dir);
        let works = imports_with(lookup, &dirs);
        if answer.site_dirs.is_empty() || works {
            answer.chosen = Some(package.path.clone());
            answer.site_dirs = dirs.iter().map(|d| d.display().to_string()).collect();
            answer.imports = Some(works);
        }
        if works {
            break;
        }
    }
    Some(answer)
}

/// Every failing module imports with `dirs` added as site dirs after the python's own.
fn imports_with(lookup: &Lookup, dirs: &[PathBuf]) -> bool {
    let mut options = lookup.options.clone();
    let joined = std::env::join_paths(dirs).map(|j| j.to_string_lossy().into_owned());
    let Ok(joined) = joined else {
        return false;
    };
    options
        .env_overrides
        .push(("PYDOCTOR_PROBE_SITE_DIRS".into(), joined));
    probe::all_import(&lookup.interpreter.path, lookup.failing, &options)
}
