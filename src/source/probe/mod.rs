//! Running the import inside the target interpreter, safely, and reading back what happened.
//!
//! The module name is validated before anything runs and passed as an argument, never spliced
//! into code. The probe script (`env::probe_script`) runs it with the caller's environment and
//! working directory (plus any overrides, for `check --verify`), through `crate::process`: on
//! timeout the whole process group is killed and nothing the import started survives. A hang
//! still says where it was, from the stack the probe dumps just before the limit.
//!
//! This module owns the import run and its record; what the record means is for `rules/`.

mod hang;
mod module_name;
mod record;

use std::path::Path;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::env::interpreter_facts::{self, FactsRun};
use crate::env::probe_script::{self, ScriptRun};
use crate::error::Result;
use crate::evidence::ChainLink;

pub use crate::env::interpreter_facts::InterpreterFacts;
pub use crate::env::probe_script::{PROBE_SOURCE, ProbeOptions, StartFailure};
pub use crate::process::Captured;
pub use hang::timeout_finding;
pub use module_name::{MAX_MODULE_NAME, validate_module_name};

/// The file an `ImportError` link says the import was trying (CPython sets `name` and `path`
/// on the error when an extension module fails to load). `link` indexes `chain`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportTarget {
    pub link: usize,
    pub name: Option<String>,
    pub path: Option<String>,
}

/// Where one part of the dotted module name lives, found without importing anything.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpecPart {
    pub name: String,
    #[serde(default)]
    pub found: bool,
    pub origin: Option<String>,
    pub search_locations: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// One run of the probe in an interpreter that started.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ProbeResult {
    /// The module imported (empty for a facts run).
    pub module: String,
    /// The import succeeded.
    pub ok: bool,
    /// The probe wrote its final record (false: killed by timeout, or the process died during
    /// the import — see `signal` and `exit_status`).
    pub completed: bool,
    /// The exception chain, root cause first.
    pub chain: Vec<ChainLink>,
    pub import_targets: Vec<ImportTarget>,
    /// The error as Python printed it (`traceback.format_exception`), bounded.
    pub original_text: Option<String>,
    pub facts: Option<InterpreterFacts>,
    /// ELF files mapped in the process when the import ended: the already-loaded set.
    pub loaded_objects: Vec<String>,
    pub spec: Vec<SpecPart>,
    pub import_seconds: Option<f64>,
    pub wall_seconds: f64,
    pub timed_out: bool,
    /// For an import that timed out: where it was, in words (`hang::stuck_at`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stuck_at: Option<String>,
    /// For an import that timed out: the limit it outlived, in whole seconds (rounded up).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_limit_seconds: Option<u64>,
    pub exit_status: Option<i32>,
    /// The signal that ended the process (e.g. 4 = SIGILL), when one did.
    pub signal: Option<i32>,
    pub stdout: Captured,
    pub stderr: Captured,
}

impl ProbeResult {
    /// The extension module file the failed import was trying, root-most first.
    pub fn trying(&self) -> Option<&str> {
        self.import_targets.iter().find_map(|t| t.path.as_deref())
    }

    /// What the run showed by itself, before its record is read.
    fn of_run(run: &ScriptRun) -> ProbeResult {
        let finished = &run.finished;
        ProbeResult {
            timed_out: finished.timed_out,
            wall_seconds: finished.elapsed.as_secs_f64(),
            exit_status: finished.exit_code(),
            signal: finished.signal(),
            stdout: finished.stdout.clone(),
            stderr: finished.stderr.clone(),
            ..ProbeResult::default()
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum ProbeOutcome {
    /// The probe ran (the import may have failed, hung or crashed the process).
    Ran(Box<ProbeResult>),
    /// The interpreter could not start: see `env::interpreter::cannot_start_finding`.
    CannotStart(StartFailure),
}

/// Import `module` in the interpreter at `python` and record what happened.
pub fn run_import(python: &Path, module: &str, options: &ProbeOptions) -> Result<ProbeOutcome> {
    validate_module_name(module)?;
    let watch = format!("{:.3}", watch_seconds(options.timeout));
    let run = match probe_script::run_script(python, &[module, &watch], options)? {
        Ok(run) => run,
        Err(failure) => return Ok(ProbeOutcome::CannotStart(failure)),
    };
    let mut result = ProbeResult::of_run(&run);
    if result.timed_out {
        result.stuck_at = run.stack_dump.as_deref().and_then(hang::stuck_at);
        result.time_limit_seconds = Some(options.timeout.as_secs_f64().ceil() as u64);
    }
    let result = match run.record.as_deref().and_then(record::Record::parse) {
        Some(record) => record.into_result(result),
        // Killed before it wrote anything: it ran, but did not finish.
        None if result.timed_out => result,
        None => return Ok(ProbeOutcome::CannotStart(StartFailure::of(run))),
    };
    Ok(ProbeOutcome::Ran(Box::new(ProbeResult {
        module: module.to_string(),
        ..result
    })))
}

/// Every module imports in the interpreter at `python`, each in a fresh process (how a fix is
/// checked by importing again).
pub fn all_import(python: &Path, modules: &[String], options: &ProbeOptions) -> bool {
    modules.iter().all(|module| {
        matches!(
            run_import(python, module, options),
            Ok(ProbeOutcome::Ran(r)) if r.ok
        )
    })
}

/// When the probe dumps the stack: just before the kill, so that the dump is written by then,
/// and late enough that an import about to finish is not reported as stuck somewhere.
fn watch_seconds(timeout: Duration) -> f64 {
    let timeout = timeout.as_secs_f64();
    (timeout - (timeout / 4.0).min(0.5)).max(0.0)
}

/// Ask the interpreter at `python` about itself (the probe's `--facts` mode), as a run of the
/// probe: `check --no-import` reports it in place of an import.
pub fn run_facts(python: &Path, options: &ProbeOptions) -> Result<ProbeOutcome> {
    Ok(match interpreter_facts::run_facts(python, options)? {
        Ok(FactsRun {
            facts,
            loaded_objects,
            script,
        }) => ProbeOutcome::Ran(Box::new(ProbeResult {
            completed: script.record.is_some(),
            ok: script.record.is_some(),
            facts,
            loaded_objects,
            ..ProbeResult::of_run(&script)
        })),
        Err(failure) => ProbeOutcome::CannotStart(failure),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_import_line_of_the_probe_does_not_move() {
        // `File "…/pydoctor_probe.py", line 224, in probe_import` is in every recorded
        // traceback, JSON and human: editing probe.py above it changes every report.
        let line = PROBE_SOURCE.lines().nth(223).map(str::trim);
        assert_eq!(line, Some("__import__(module)"));
    }

    #[test]
    fn the_stack_is_dumped_before_the_kill() {
        assert_eq!(watch_seconds(Duration::from_secs(60)), 59.5);
        assert_eq!(watch_seconds(Duration::from_secs(1)), 0.75);
        assert_eq!(watch_seconds(Duration::ZERO), 0.0);
    }
}
