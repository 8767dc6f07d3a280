//! `pydoctor explain [FILE]`: the diagnosis from pasted text (FILE, or stdin).
//!
//! Glue only: read bounded, analyse the text, join the evidence, match the rules, fill the
//! report. `check -` uses [`report_for_input`] too.

use std::fs::File;

use serde_json::Value;

use crate::cli::ExplainArgs;
use crate::error::{Error, Result};
use crate::evidence::Evidence;
use crate::outcome::{Command, Report, Status};
use crate::request::Request;
use crate::rules::{Database, FixContext, NoVerifier};
use crate::source::input::{DEFAULT_LIMIT, Input, read_bounded};
use crate::source::text::{TextEvidence, analyse};

pub fn run(args: &ExplainArgs, request: &Request) -> Result<Report> {
    let input = match &args.file {
        Some(path) => {
            let file = open_no_wait(path).map_err(|e| Error::io(path, e))?;
            read_bounded(file, DEFAULT_LIMIT).map_err(|e| Error::io(path, e))?
        }
        None => read_bounded(std::io::stdin().lock(), DEFAULT_LIMIT)
            .map_err(|e| Error::io("<stdin>", e))?,
    };
    report_for_input(&input, request, Command::Explain)
}

/// Open without blocking in open(2) (a FIFO with no writer would wait forever), then read
/// normally: a FIFO that has a writer streams as usual, one without reads as empty.
fn open_no_wait(path: &std::path::Path) -> std::io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)?;
    // SAFETY: F_GETFL/F_SETFL on a descriptor we own; only the O_NONBLOCK bit changes.
    unsafe {
        use std::os::fd::AsRawFd;
        let fd = file.as_raw_fd();
        let flags = libc::fcntl(fd, libc::F_GETFL);
        if flags >= 0 {
            libc::fcntl(fd, libc::F_SETFL, flags & !libc::O_NONBLOCK);
        }
    }
    Ok(file)
}

/// The whole text pipeline for input already read: the report of `explain` (and `check -`).
pub fn report_for_input(input: &Input, request: &Request, command: Command) -> Result<Report> {
    let text = analyse(&input.text, request)?;
    let evidence = evidence_of(&text);
    let db = Database::load(request)?;
    let diagnoses = db.diagnose(
        &evidence,
        &FixContext {
            store_paths: &|_| Vec::new(),
            verifier: &NoVerifier,
        },
    );
    let mut report = Report::new(command, evidence.environment);
    report.failure = evidence.failure;
    report.findings = evidence.findings;
    report.diagnoses = diagnoses;
    report.settle_status();
    fill_extra(&mut report, input, &text);
    Ok(report)
}

fn evidence_of(text: &TextEvidence) -> Evidence {
    Evidence {
        environment: text.environment.clone(),
        failure: text.main_failure().cloned(),
        findings: text.findings.clone(),
        module: None,
    }
}

/// Notes about the input, and every failure when the paste held more than one.
fn fill_extra(report: &mut Report, input: &Input, text: &TextEvidence) {
    let mut notes = Vec::new();
    if input.stopped_early {
        notes.push(format!(
            "the input did not end; reading stopped after {} MiB",
            input.bytes_read / (1024 * 1024)
        ));
    } else if input.truncated {
        notes.push(format!(
            "the input was {} bytes; only its last {} MiB were read",
            input.bytes_read,
            DEFAULT_LIMIT / (1024 * 1024)
        ));
    }
    if input.text.trim().is_empty() {
        notes.push("the input is empty".to_string());
    } else if text.is_empty() {
        notes.push("no Python error or loader message found in the input".to_string());
    }
    if text.is_empty() {
        // Nothing recognisable is not "nothing wrong": the user pasted it for a reason.
        report.status = Status::Undiagnosed;
    }
    if !notes.is_empty() {
        report
            .extra
            .insert("note".into(), Value::String(notes.join("; ")));
    }
    report.extra.insert(
        "input".into(),
        serde_json::json!({
            "bytes_read": input.bytes_read,
            "truncated": input.truncated,
            "stopped_early": input.stopped_early,
        }),
    );
    if text.failures.len() > 1
        && let Ok(all) = serde_json::to_value(&text.failures)
    {
        report.extra.insert("failures".into(), all);
    }
}
