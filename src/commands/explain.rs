//! `pydoctor explain [FILE]`: the diagnosis from pasted text (FILE, or stdin).
//!
//! Glue only: read bounded, analyse the text, join the evidence, match the rules, fill the
//! report. `check -` uses [`report_for_input`] too.

use std::fs::File;
use std::path::{Path, PathBuf};

use super::resolution::{Verifier, files_with_missing, resolve_all};
use super::store_pick;
use crate::cli::ExplainArgs;
use crate::env::loader_facts::Loaders;
use crate::env::machine::LocalMachine;
use crate::error::{Error, Result};
use crate::evidence::{Evidence, Failure, PythonKind};
use crate::loader::LoaderContext;
use crate::outcome::{Command, Status};
use crate::report::Report;
use crate::report::payload::{ExplainPayload, InputFacts, Payload};
use crate::request::Request;
use crate::rules::{Database, FixContext};
use crate::source::input::{DEFAULT_LIMIT, Input, read_bounded};
use crate::source::loader_findings;
use crate::source::package;
use crate::source::text::{TextEvidence, analyse_with};

pub fn run(args: &ExplainArgs, request: &Request) -> Result<Report> {
    let input = match &args.file {
        Some(path) => {
            let file = open_no_wait(path).map_err(|e| Error::io(path, e))?;
            read_bounded(file, DEFAULT_LIMIT).map_err(|e| Error::io(path, e))?
        }
        None => read_bounded(std::io::stdin().lock(), DEFAULT_LIMIT)
            .map_err(|e| Error::io("<stdin>", e))?,
    };
    report_for_input(&input, request, Command::Explain, !args.text_only)
}

/// Open without blocking in open(2) (a FIFO with no writer would wait forever), then read
/// normally: a FIFO that has a writer streams as usual, one without reads as empty.
fn open_no_wait(path: &std::path::Path) -> std::io::Result<File> {
    crate::fsio::open_streaming(path)
}

/// The whole text pipeline for input already read: the report of `explain` (and `check -`).
pub fn report_for_input(
    input: &Input,
    request: &Request,
    command: Command,
    resolve_local: bool,
) -> Result<Report> {
    let db = Database::load(&request.rules_dirs)?;
    let store_dir = request.store_dir().display().to_string();
    let text = analyse_with(&input.text, db.text()?, &store_dir);
    let mut evidence = evidence_of(&text);
    let local = resolve_local
        .then(|| resolve_local_files(&mut evidence, request))
        .flatten();
    // Files named in the text that exist here make the fixes this machine's: they are
    // re-resolved, and their commands checked.
    let verifier = Verifier {
        context: local.as_ref().map(|l| &l.context),
        files: local.as_ref().map_or(&[], |l| l.broken_files.as_slice()),
        preloaded: &[],
        import: None,
    };
    let pick = store_pick::pick(
        &request.store_dir(),
        &evidence.findings,
        &verifier,
        &store_pick::Hints {
            closure: None,
            glibc_dir: None,
            tables: &db.tables,
        },
    );
    let lookup = |soname: &str| pick.paths(soname);
    let note = pick.note();
    let machine = LocalMachine::new(&request.env_settings());
    let context = FixContext::new(&lookup, &verifier).with_store(&pick.candidates, note.as_deref());
    let context = match &local {
        Some(_) => context.on_machine(&machine),
        None => context,
    };
    let diagnoses = db.diagnose(&evidence, &context);
    let mut report = Report::new(command, evidence.environment);
    report.failure = evidence.failure;
    report.findings = evidence.findings;
    report.diagnoses = diagnoses;
    let mut payload = input_payload(input, &text);
    payload.resolved_locally = local.as_ref().map(|local| {
        local
            .files
            .iter()
            .map(|f| f.display().to_string())
            .collect()
    });
    report.extra = Payload::Explain(payload);
    report.settle_status();
    if report.status == Status::Undiagnosed {
        let steps = next_steps(&report, &text);
        if let Payload::Explain(payload) = &mut report.extra {
            payload.next_steps = Some(steps);
        }
    }
    Ok(report)
}

/// What to do when the text is not enough: the `check` line to run where it failed, and
/// where to take the text.
fn next_steps(report: &Report, text: &TextEvidence) -> Vec<String> {
    let python = report
        .environment
        .python
        .executable
        .as_deref()
        .map(|p| format!(" --python {p}"))
        .unwrap_or_default();
    let check = match &text.package {
        Some(package) => format!(
            "Run `pydoctor check{python} {package}` on the machine where it failed, from the directory where it failed: it runs the import, reads the whole error and resolves the extension's libraries the way the loader does."
        ),
        None => format!(
            "Run `pydoctor check{python}` followed by the module that failed to import, on the machine where it failed: it runs the import, reads the whole error and resolves the extension's libraries the way the loader does."
        ),
    };
    vec![
        check,
        "Report the text: pydoctor has no public issue tracker yet, so keep the paste and the output of `pydoctor check --format json` for whoever maintains your copy.".to_string(),
    ]
}

/// Files named in the text that exist here, resolved by the loader that would load them.
struct LocalResolution {
    context: LoaderContext,
    files: Vec<PathBuf>,
    broken_files: Vec<PathBuf>,
}

/// Where the paths in the text exist on this machine, resolve them too: the loader then names
/// every missing library at once, not just the first one the real loader stopped at. Only
/// with a loader that is really the one the text's python used: that python's, when it is
/// here; the host's, unless the text shows a Nix-store python that is not here.
fn resolve_local_files(evidence: &mut Evidence, request: &Request) -> Option<LocalResolution> {
    let mut files: Vec<PathBuf> = evidence
        .findings
        .iter()
        .filter_map(|f| f.required_by.as_deref())
        .map(PathBuf::from)
        .filter(|p| p.is_absolute() && package::is_elf_file(p))
        .collect();
    files.extend(packages_in_frames(evidence.failure.as_ref()));
    files.sort();
    files.dedup();
    if files.is_empty() {
        return None;
    }
    let python = &evidence.environment.python;
    let context = match python.executable.as_deref().map(Path::new) {
        Some(exe) if exe.exists() => Loaders::from_request(request).for_interpreter(exe).ok()?,
        _ if python.kind == PythonKind::NixStore => return None,
        _ => Loaders::from_request(request).host(),
    };
    let objects = resolve_all(context.clone(), &files);
    let found = loader_findings::findings(&objects);
    let text = std::mem::take(&mut evidence.findings);
    crate::evidence::merge_text_and_loader(&mut evidence.findings, text, found);
    Some(LocalResolution {
        broken_files: files_with_missing(&objects),
        context,
        files,
    })
}

/// The ELF files of the installed packages the traceback went through (`…/site-packages/numpy/
/// _core/multiarray.py` → every ELF file of numpy and numpy.libs), when they are on this machine.
fn packages_in_frames(failure: Option<&Failure>) -> Vec<PathBuf> {
    let Some(failure) = failure else {
        return Vec::new();
    };
    let mut packages: Vec<(String, String)> = failure
        .chain
        .iter()
        .flat_map(|link| &link.frames)
        .filter_map(|frame| site_and_package(&frame.file))
        .collect();
    packages.sort();
    packages.dedup();
    packages
        .into_iter()
        .filter_map(|(site, top)| package::locate(&top, &[site], Path::new("/")))
        .flat_map(|found| found.elf_files)
        .collect()
}

/// `/…/site-packages/numpy/_core/x.py` → (`/…/site-packages`, `numpy`), when that exists here.
fn site_and_package(file: &str) -> Option<(String, String)> {
    let (site, rest) = ["/site-packages/", "/dist-packages/"]
        .iter()
        .find_map(|marker| {
            file.split_once(marker)
                .map(|(a, b)| (format!("{a}{}", marker.trim_end_matches('/')), b))
        })?;
    let top = rest
        .split('/')
        .next()
        .filter(|t| !t.is_empty() && !t.ends_with(".py"))?;
    Path::new(&site)
        .join(top)
        .is_dir()
        .then(|| (site, top.to_string()))
}

fn evidence_of(text: &TextEvidence) -> Evidence {
    Evidence {
        environment: text.environment.clone(),
        failure: text.main_failure().cloned(),
        findings: text.findings.clone(),
        // The package the text shows stands for the module asked about, as in `check`.
        module: text.package.clone(),
        package: text.package.clone(),
    }
}

/// Notes about the input, and every failure when the paste held more than one.
fn input_payload(input: &Input, text: &TextEvidence) -> ExplainPayload {
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
    ExplainPayload {
        note: (!notes.is_empty()).then(|| notes.join("; ")),
        input: InputFacts {
            bytes_read: input.bytes_read,
            truncated: input.truncated,
            stopped_early: input.stopped_early,
        },
        // What the fixes' {package} stands for, read from the text (import line, frames,
        // file names).
        package: text.package.clone(),
        failures: (text.failures.len() > 1).then(|| text.failures.clone()),
        ..ExplainPayload::default()
    }
}
