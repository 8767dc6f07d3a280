//! One command's result: what every renderer (human, JSON, GitHub) receives.
//!
//! This module owns the JSON contract's top-level shape (docs/json.md, schema version 1), the
//! one definition of a command's status and the mapping to the documented exit code. It lives
//! with the printer, above the layers whose data the commands' payloads carry (scan, rules,
//! fix); the vocabulary it is made of (diagnoses, fixes, statuses) is `outcome`'s.

use serde::Serialize;
use serde_json::{Map, Value};

use crate::evidence::{Environment, Failure, Finding};
use crate::fix::{FixAction, FixOutcome};
use crate::loader::report::ResolvedObject;
use crate::outcome::{Command, Diagnosis, SCHEMA_VERSION, Status};
use crate::report::payload::Payload;

/// One command's result. Renderers get this and nothing else.
#[derive(Debug, Clone)]
pub struct Report {
    pub schema_version: u32,
    pub pydoctor_version: String,
    pub command: Command,
    pub status: Status,
    pub environment: Environment,
    pub failure: Option<Failure>,
    pub findings: Vec<Finding>,
    pub diagnoses: Vec<Diagnosis>,
    /// `ldd` and `scan` only: the resolution itself, one entry per ELF file examined.
    pub objects: Option<Vec<ResolvedObject>>,
    /// Command-specific data (the rule list for `rules`, the modules for `check` …): the
    /// JSON's `extra`.
    pub extra: Payload,
    /// `fix` only: what was changed, how it was proven, where the manifest is.
    pub fix: Option<FixOutcome>,
    /// Inputs given that could not be used at all (a file that cannot be read, or is no ELF
    /// file, beside others that could): said on stderr, and the exit code is 2.
    pub input_errors: Vec<String>,
}

impl Report {
    pub fn new(command: Command, environment: Environment) -> Report {
        Report {
            schema_version: SCHEMA_VERSION,
            pydoctor_version: crate::version::long().to_string(),
            command,
            status: Status::Ok,
            environment,
            failure: None,
            findings: Vec::new(),
            diagnoses: Vec::new(),
            objects: None,
            extra: Payload::None,
            fix: None,
            input_errors: Vec::new(),
        }
    }

    /// The documented exit code: the status's, or 2 when an input could not be used.
    pub fn exit_code(&self) -> i32 {
        if self.input_errors.is_empty() {
            self.status.exit_code()
        } else {
            2
        }
    }

    /// The status from what the report holds; every command settles it here.
    pub fn settle_status(&mut self) {
        self.status = self.computed_status();
    }

    fn computed_status(&self) -> Status {
        if let Some(fix) = &self.fix {
            return match fix.action {
                FixAction::Applied
                | FixAction::AlreadyFixed
                | FixAction::NothingToFix
                | FixAction::Undone
                | FixAction::NothingToUndo => Status::Ok,
                // Nothing was fixed: the diagnosis stands (unexplained stays unexplained).
                FixAction::DryRun | FixAction::CannotApply | FixAction::RolledBack => {
                    match self.diagnosed_status() {
                        Status::Undiagnosed => Status::Undiagnosed,
                        _ => Status::Problems,
                    }
                }
            };
        }
        match self.command {
            // A file that would not load is the problem, whether or not a rule explains it.
            Command::Ldd | Command::Scan => {
                if !self.diagnoses.is_empty() || self.findings.iter().any(|f| !f.latent) {
                    Status::Problems
                } else {
                    Status::Ok
                }
            }
            _ => self.diagnosed_status(),
        }
    }

    /// A diagnosis means problems; a failure or a non-latent finding that no rule explained
    /// means undiagnosed.
    fn diagnosed_status(&self) -> Status {
        let saw_failure = self.failure.as_ref().is_some_and(|f| !f.chain.is_empty())
            || self.findings.iter().any(|f| !f.latent)
            || self.input_unfinished();
        if self.diagnoses.iter().any(|d| !d.advisory) {
            Status::Problems
        } else if saw_failure {
            Status::Undiagnosed
        } else {
            Status::Ok
        }
    }

    /// Text without a failure is "nothing wrong found" (exit 0, as for a CI log of a green
    /// run), but an input that did not end was not read to its end: nothing can be said.
    fn input_unfinished(&self) -> bool {
        matches!(&self.extra, Payload::Explain(e) if e.input.stopped_early)
            && self.failure.is_none()
            && self.findings.is_empty()
    }

    /// The JSON document, with `objects` as given (the report's own, or pre-serialised).
    pub(crate) fn document<O: Serialize>(
        &self,
        objects: Option<O>,
    ) -> serde_json::Result<Document<'_, O>> {
        let Report {
            schema_version,
            pydoctor_version,
            command,
            status,
            environment,
            failure,
            findings,
            diagnoses,
            objects: _,
            extra,
            fix,
            input_errors: _,
        } = self;
        Ok(Document {
            schema_version: *schema_version,
            pydoctor_version,
            command: *command,
            status: *status,
            environment,
            failure,
            findings,
            diagnoses,
            objects,
            extra: sorted(extra)?,
            fix: fix.as_ref(),
        })
    }
}

impl Serialize for Report {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.document(self.objects.as_deref())
            .map_err(serde::ser::Error::custom)?
            .serialize(s)
    }
}

/// The report as written, in the documented member order.
#[derive(Serialize)]
pub(crate) struct Document<'a, O> {
    schema_version: u32,
    pydoctor_version: &'a str,
    command: Command,
    status: Status,
    environment: &'a Environment,
    failure: &'a Option<Failure>,
    findings: &'a [Finding],
    diagnoses: &'a [Diagnosis],
    #[serde(skip_serializing_if = "Option::is_none")]
    objects: Option<O>,
    #[serde(skip_serializing_if = "Option::is_none")]
    extra: Option<Map<String, Value>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    fix: Option<&'a FixOutcome>,
}

/// The payload as a JSON object with its keys sorted at every level, as `extra` has always
/// been written (it was a `serde_json::Map`); `None` when it holds nothing.
fn sorted(payload: &Payload) -> serde_json::Result<Option<Map<String, Value>>> {
    Ok(match serde_json::to_value(payload)? {
        Value::Object(map) if !map.is_empty() => Some(map),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::{HowFound, Interpreter};
    use crate::evidence::{CauseKind, FindingSource};
    use crate::report::payload::{EnvPayload, ExplainPayload, InputFacts};

    fn with_finding(command: Command) -> Report {
        let mut report = Report::new(command, Environment::default());
        report.findings.push(Finding::new(
            CauseKind::MissingSharedLibrary,
            FindingSource::Elf,
            "libz.so.1 not found",
        ));
        report.settle_status();
        report
    }

    #[test]
    fn a_file_that_would_not_load_is_a_problem_for_ldd_and_scan_and_unexplained_elsewhere() {
        assert_eq!(with_finding(Command::Ldd).status, Status::Problems);
        assert_eq!(with_finding(Command::Scan).status, Status::Problems);
        assert_eq!(with_finding(Command::Check).status, Status::Undiagnosed);
        assert_eq!(with_finding(Command::Explain).status, Status::Undiagnosed);
    }

    #[test]
    fn a_fix_that_changed_nothing_keeps_the_diagnosis_status() {
        let mut report = with_finding(Command::Fix);
        for (action, status) in [
            (FixAction::DryRun, Status::Undiagnosed),
            (FixAction::Applied, Status::Ok),
            (FixAction::Undone, Status::Ok),
        ] {
            report.fix = Some(FixOutcome::new(action));
            report.settle_status();
            assert_eq!(report.status, status, "{action:?}");
        }
    }

    #[test]
    fn an_input_that_did_not_end_with_nothing_found_is_undiagnosed() {
        let mut report = Report::new(Command::Explain, Environment::default());
        report.settle_status();
        assert_eq!(report.status, Status::Ok);
        report.extra = Payload::Explain(ExplainPayload {
            input: InputFacts {
                bytes_read: 1,
                truncated: true,
                stopped_early: true,
            },
            ..ExplainPayload::default()
        });
        report.settle_status();
        assert_eq!(report.status, Status::Undiagnosed);
    }

    #[test]
    fn extra_is_written_with_sorted_keys_and_left_out_when_empty() {
        let mut report = Report::new(Command::Env, Environment::default());
        let json = serde_json::to_string(&report).unwrap();
        assert!(!json.contains("\"extra\""));
        report.extra = Payload::Env(EnvPayload {
            interpreter: Some(Interpreter::at("/usr/bin/python3".into(), HowFound::Path)),
            ..EnvPayload::default()
        });
        let json = serde_json::to_string(&report).unwrap();
        let extra = &json[json.find("\"extra\"").unwrap()..];
        assert!(extra.starts_with("\"extra\":{\"interpreter\":{\"how_found\":\"path\",\"path\":"));
    }
}
