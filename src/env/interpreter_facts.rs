//! What the interpreter says about itself: `sys.executable`, `sys.path`, its prefixes, the ELF
//! files it maps at start-up. Asked by running the probe script's `--facts` mode once.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::probe_script::{self, ProbeOptions, ScriptRun, StartFailure};
use crate::error::Result;

/// What the interpreter reported about itself (the probe's `facts`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InterpreterFacts {
    /// `sys.executable`.
    pub executable: Option<String>,
    /// `/proc/self/exe`: the file really running (a wrapper's target after its exec).
    pub proc_exe: Option<String>,
    /// `3.11.7`.
    pub version: Option<String>,
    /// `sys.version`.
    pub version_full: Option<String>,
    pub implementation: Option<String>,
    pub prefix: Option<String>,
    /// `sys.prefix` holds a `pyvenv.cfg` (None: a probe that did not say).
    #[serde(default)]
    pub prefix_has_pyvenv_cfg: Option<bool>,
    pub base_prefix: Option<String>,
    pub exec_prefix: Option<String>,
    /// `sys.path` as the import saw it.
    #[serde(default)]
    pub path: Vec<String>,
    #[serde(default)]
    pub site_packages: Vec<String>,
    pub user_site: Option<String>,
    /// `LD_LIBRARY_PATH` as the process saw it at start (None: unset).
    pub ld_library_path: Option<String>,
    pub cwd: Option<String>,
    pub soabi: Option<String>,
    pub ldlibrary: Option<String>,
    pub libdir: Option<String>,
}

impl InterpreterFacts {
    /// In a venv: `sys.prefix` differs from `sys.base_prefix` and holds a `pyvenv.cfg`. An
    /// older nixpkgs `withPackages` env moves `sys.prefix` to itself without being a venv.
    pub fn in_venv(&self) -> bool {
        matches!((&self.prefix, &self.base_prefix), (Some(p), Some(b)) if p != b)
            && self.prefix_has_pyvenv_cfg != Some(false)
    }
}

/// The `--facts` record as `probe.py` writes it.
#[derive(Debug, Deserialize)]
struct FactsRecord {
    facts: Option<InterpreterFacts>,
    #[serde(default)]
    loaded_objects: Vec<String>,
}

/// An interpreter that ran and answered.
#[derive(Debug, Clone, Default)]
pub struct FactsRun {
    pub facts: Option<InterpreterFacts>,
    /// ELF files mapped in the interpreter right after start-up.
    pub loaded_objects: Vec<String>,
    pub script: ScriptRun,
}

/// Ask the interpreter at `python` about itself. `Ok(Err(_))`: it could not start (or died
/// before it answered), for `interpreter::cannot_start_finding`.
pub fn run_facts(
    python: &Path,
    options: &ProbeOptions,
) -> Result<std::result::Result<FactsRun, StartFailure>> {
    let run = match probe_script::run_script(python, &["--facts"], options)? {
        Ok(run) => run,
        Err(failure) => return Ok(Err(failure)),
    };
    let record = run
        .record
        .as_deref()
        .and_then(|bytes| serde_json::from_slice::<FactsRecord>(bytes).ok());
    Ok(match record {
        Some(record) => Ok(FactsRun {
            facts: record.facts,
            loaded_objects: record.loaded_objects,
            script: run,
        }),
        None if run.finished.timed_out => Ok(FactsRun {
            script: run,
            ..FactsRun::default()
        }),
        None => Err(StartFailure::of(run)),
    })
}
