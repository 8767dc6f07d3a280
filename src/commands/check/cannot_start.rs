//! The interpreter never ran the probe: that is the diagnosis, not the module.

use std::path::Path;

use super::runs::{ModuleRun, top_level};
use crate::env::machine::LocalMachine;
use crate::env::{self, Interpreter, Settings, interpreter};
use crate::evidence::{CauseKind, Environment, Evidence, Finding};
use crate::loader;
use crate::outcome::Command;
use crate::report::Report;
use crate::rules::{Database, FixContext};
use crate::source::probe::ProbeOutcome;
use crate::source::text;

/// The report of a check whose interpreter did not start.
pub fn cannot_start_report(
    interpreter: &Interpreter,
    runs: &[ModuleRun],
    mut environment: Environment,
    settings: &Settings,
    database: &Database,
) -> Report {
    environment.python = env::python_facts(interpreter, None, settings);
    let fhs = environment
        .nix_ld
        .fhs_loader
        .map(|k| (k, Path::new(loader::context::HOST_LOADER)));
    let findings: Vec<Finding> = runs
        .iter()
        .filter_map(|r| match r.outcome() {
            ProbeOutcome::CannotStart(f) => Some(interpreter::explained_by_nix_ld(
                interpreter::cannot_start_finding(
                    interpreter,
                    f.exec_error.as_deref(),
                    &f.stderr.text,
                    fhs,
                ),
                interpreter,
                fhs,
                &settings.nix_ld_loader(),
            )),
            ProbeOutcome::Ran(_) => None,
        })
        .take(1)
        .collect();

    // The loader's own words ("error while loading shared libraries: libpython3.11.so.1.0…")
    // name the missing library; the text tables know how to read them.
    let said: String = runs
        .iter()
        .filter_map(|r| match r.outcome() {
            ProbeOutcome::CannotStart(f) => Some(f.stderr.text.clone()),
            ProbeOutcome::Ran(_) => None,
        })
        .next()
        .unwrap_or_default();
    let mut evidence = Evidence {
        environment,
        failure: None,
        findings,
        module: runs.first().map(|r| r.module().to_string()),
        package: runs.first().map(|r| top_level(r.module())),
    };
    let store_dir = settings.store_dir.display().to_string();
    let text = database
        .text()
        .map(|tables| text::analyse_with(&said, tables, &store_dir));
    if let Ok(text) = text {
        for finding in text.findings {
            if finding.kind == CauseKind::InterpreterCannotStart
                || !evidence.findings.iter().any(|f| f.kind == finding.kind)
            {
                evidence.findings.push(finding);
            }
        }
    }
    diagnose_into_report(
        evidence,
        database,
        &FixContext::offline().on_machine(&LocalMachine::new(settings)),
    )
}

/// The rules' verdict on `evidence`, as the check's report.
pub fn diagnose_into_report(
    evidence: Evidence,
    database: &Database,
    context: &FixContext,
) -> Report {
    let diagnoses = database.diagnose(&evidence, context);
    let mut report = Report::new(Command::Check, evidence.environment);
    report.failure = evidence.failure;
    report.findings = evidence.findings;
    report.diagnoses = diagnoses;
    report.settle_status();
    report
}
