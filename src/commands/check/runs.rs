//! The runs of a check: one import per module (or, for `--no-import`, the interpreter's facts
//! alone), and what each run says of its module.

use crate::cli::CheckArgs;
use crate::env::Interpreter;
use crate::error::Result;
use crate::report::payload::ModuleSummary;
use crate::source::package::PackageFiles;
use crate::source::probe::{self, ProbeOptions, ProbeOutcome, ProbeResult};

/// One module's import, or for `--no-import` the interpreter's facts alone.
pub enum ModuleRun {
    Imported {
        module: String,
        outcome: ProbeOutcome,
    },
    NotImported {
        module: String,
        facts: ProbeOutcome,
    },
}

impl ModuleRun {
    pub fn module(&self) -> &str {
        match self {
            ModuleRun::Imported { module, .. } | ModuleRun::NotImported { module, .. } => module,
        }
    }

    pub fn outcome(&self) -> &ProbeOutcome {
        match self {
            ModuleRun::Imported { outcome, .. } | ModuleRun::NotImported { facts: outcome, .. } => {
                outcome
            }
        }
    }

    pub fn result(&self) -> Option<&ProbeResult> {
        match self.outcome() {
            ProbeOutcome::Ran(result) => Some(result),
            ProbeOutcome::CannotStart(_) => None,
        }
    }

    /// The import ran and failed (not: was not run, or succeeded).
    pub fn failed_import(&self) -> Option<&ProbeResult> {
        match self {
            ModuleRun::Imported {
                outcome: ProbeOutcome::Ran(r),
                ..
            } if !r.ok => Some(r),
            _ => None,
        }
    }
}

pub fn run_probes(
    args: &CheckArgs,
    interpreter: &Interpreter,
    options: &ProbeOptions,
) -> Result<Vec<ModuleRun>> {
    if args.no_import {
        // One run for sys.path and versions; the modules' own code never runs.
        let facts = probe::run_facts(&interpreter.path, options)?;
        return Ok(args
            .modules
            .iter()
            .map(|m| ModuleRun::NotImported {
                module: m.clone(),
                facts: facts.clone(),
            })
            .collect());
    }
    args.modules
        .iter()
        .map(|module| {
            let outcome = probe::run_import(&interpreter.path, module, options)?;
            Ok(ModuleRun::Imported {
                module: module.clone(),
                outcome,
            })
        })
        .collect()
}

pub fn module_summary(
    run: &ModuleRun,
    files: Option<&PackageFiles>,
    elf_count: usize,
    resolve_ms: f64,
) -> ModuleSummary {
    let result = run.result();
    ModuleSummary {
        module: run.module().to_string(),
        imported: matches!(run, ModuleRun::Imported { .. }),
        ok: result.map(|r| r.ok),
        timed_out: result.map(|r| r.timed_out),
        import_seconds: result.and_then(|r| r.import_seconds),
        package: files.map(|f| f.root.display().to_string()),
        vendored: files.map(|f| f.vendored.iter().map(|v| v.display().to_string()).collect()),
        elf_files: elf_count,
        resolve_ms: (resolve_ms * 10.0).round() / 10.0,
    }
}

/// The top-level package of a module (`numpy.linalg` → `numpy`).
pub fn top_level(module: &str) -> String {
    module.split('.').next().unwrap_or(module).to_string()
}
