//! `pydoctor scan [PATH]`: every ELF file of a venv, a site-packages directory or a wheel
//! tree, resolved in the loader context of the interpreter that will load it, grouped by the
//! distribution that installed it, then diagnosed by the rules once per cause.
//! Returns the report; the only output is the progress bar on a terminal's stderr.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use rayon::prelude::*;
use serde_json::{Value, json};

use super::resolution::{Verifier, store_library_files};
use crate::cli::ScanArgs;
use crate::env::{self, EnvOptions, HowFound, Interpreter, interpreter};
use crate::error::Result;
use crate::evidence::{Evidence, Finding};
use crate::loader::{LoaderContext, Resolver};
use crate::outcome::{Command, Report, Status};
use crate::report::scan::Progress;
use crate::request::Request;
use crate::rules::{self, FixContext};
use crate::scan::{self, Owners, ScanTarget, TargetKind, Walk};

pub fn run(args: &ScanArgs, request: &Request) -> Result<Report> {
    let flag = args.python.python.as_deref();
    let named = args
        .path
        .as_deref()
        .map(|p| scan::target::of_path(p, request))
        .transpose()?;
    let interpreter = choose_interpreter(flag, named.as_ref(), request)?;
    // With no PATH, the interpreter must say where its site-packages are before the walk.
    let (early_probe, target) = match named {
        Some(target) => (None, target),
        None => {
            let probed = env::probe(Some(&interpreter), request, &EnvOptions::default());
            let target = scan::target::of_interpreter(&interpreter.path, probed.facts.as_ref())?;
            (Some(probed), target)
        }
    };
    // The interpreter's facts, the rules and the loader's facts are independent: overlapped.
    // The walk needs the loader: each ELF file is resolved as soon as it is found.
    let (probed, database, context) = std::thread::scope(|s| {
        // A named tree needs nothing that only a running interpreter knows.
        let probe = early_probe.is_none().then(|| {
            s.spawn(|| env::describe_without_running(&interpreter, request, &EnvOptions::default()))
        });
        let database = s.spawn(|| rules::Database::load(request));
        let context = loader_context(&interpreter, request);
        let probed = match (probe, early_probe) {
            (Some(handle), _) => joined(handle),
            (None, Some(probed)) => probed,
            (None, None) => unreachable!("probed before or now"),
        };
        (probed, joined(database), context)
    });
    let (context, loader_note) = context?;
    let interpreter = probed.interpreter.clone().unwrap_or(interpreter);

    let resolver = Resolver::new(context.clone());
    let progress = Progress::new(std::io::stderr().is_terminal());
    let resolved = Mutex::new(Vec::new());
    let walked = walk_roots(&target.roots, &|file| {
        progress.found();
        let object = resolver.resolve(file);
        progress.tick();
        resolved
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(object);
    });
    progress.finish();
    let (owners, record_errors) = Owners::read(&walked.dist_infos, &walked.elf_files);
    let mut objects = resolved
        .into_inner()
        .unwrap_or_else(PoisonError::into_inner);
    // The walk's order (by path), whatever order the files were resolved in.
    objects.sort_by(|a, b| Path::new(&a.path).cmp(Path::new(&b.path)));

    // Vendored libraries loaded by other scanned files are judged through those files.
    let dependencies = scan::dependencies(&objects);
    let per_object: Vec<Vec<Finding>> = objects
        .par_iter()
        .map(|o| {
            if dependencies.contains(Path::new(&o.path)) {
                Vec::new()
            } else {
                scan::object_findings(o)
            }
        })
        .collect();
    let packages = scan::summarize(&objects, &per_object, &owners, &target.roots);
    let mut findings = probed.findings.clone();
    findings.extend(scan::all_findings(&per_object));
    let failing: Vec<PathBuf> = objects
        .iter()
        .zip(&per_object)
        .filter(|(_, f)| f.iter().any(|f| !f.latent))
        .map(|(o, _)| PathBuf::from(&o.path))
        .collect();

    let failing_paths: Vec<String> = failing
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let mut report = Report::new(Command::Scan, probed.environment.clone());
    report.diagnoses = diagnose(&report, &findings, context, failing, request, database?);
    report.findings = findings;
    report.status = status_of(&report);
    report.objects = Some(objects);

    let mut errors = walked.errors;
    errors.extend(record_errors);
    report.extra.insert(
        "scan".into(),
        json!({
            "kind": target.kind,
            "roots": target.roots,
            "interpreter": interpreter.path,
            "interpreter_chosen_by": chosen_by(&target, flag),
            "loader": resolver.context().interpreter,
            "loader_flavor": resolver.context().flavor.as_str(),
            "glibc_version": resolver.context().glibc_version,
            "loader_note": loader_note,
            "files_seen": walked.files_seen,
            "elf_files": walked.elf_files.len(),
            "symlinks_skipped": walked.symlinks_skipped,
            "distributions": owners.distributions.len(),
            "errors": errors,
        }),
    );
    report.extra.insert("failing".into(), json!(failing_paths));
    let mut dependencies: Vec<PathBuf> = dependencies.into_iter().collect();
    dependencies.sort();
    report
        .extra
        .insert("dependencies".into(), json!(dependencies));
    report.extra.insert(
        "packages".into(),
        serde_json::to_value(&packages).unwrap_or(Value::Null),
    );
    Ok(report)
}

/// The loader of the interpreter; the host's when the interpreter has none to read.
fn loader_context(
    interpreter: &Interpreter,
    request: &Request,
) -> Result<(LoaderContext, Option<String>)> {
    match LoaderContext::for_interpreter(&interpreter.real, request) {
        Ok(ctx) => Ok((ctx, None)),
        Err(e) => Ok((LoaderContext::host(request)?, Some(e.to_string()))),
    }
}

/// A scoped thread's result; its panic goes on up.
fn joined<T>(handle: std::thread::ScopedJoinHandle<'_, T>) -> T {
    handle
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}

/// `--python` first; then a venv's own interpreter; then discovery (as `check`).
fn choose_interpreter(
    flag: Option<&Path>,
    named: Option<&ScanTarget>,
    request: &Request,
) -> Result<Interpreter> {
    if flag.is_none()
        && let Some(python) = named.and_then(|t| t.venv_python.clone())
    {
        return Ok(Interpreter::at(python, HowFound::VirtualEnv));
    }
    interpreter::discover(flag, request)
}

fn chosen_by(target: &ScanTarget, flag: Option<&Path>) -> &'static str {
    match (flag, target.kind, &target.venv_python) {
        (Some(_), _, _) => "--python",
        (None, TargetKind::Venv, Some(_)) => "the scanned venv",
        _ => "discovery",
    }
}

/// Walk every root, one list of files; `found` gets each ELF file as it is found.
fn walk_roots(roots: &[PathBuf], found: &(dyn Fn(&Path) + Sync)) -> Walk {
    let mut all = Walk::default();
    for root in roots {
        let w = scan::walk::walk_with(root, found);
        all.elf_files.extend(w.elf_files);
        all.dist_infos.extend(w.dist_infos);
        all.files_seen += w.files_seen;
        all.symlinks_skipped += w.symlinks_skipped;
        all.errors.extend(w.errors);
    }
    all
}

/// The rules over every finding; fixes checked by re-resolving the failing files.
fn diagnose(
    report: &Report,
    findings: &[Finding],
    context: LoaderContext,
    failing: Vec<PathBuf>,
    request: &Request,
    database: rules::Database,
) -> Vec<crate::outcome::Diagnosis> {
    let evidence = Evidence {
        environment: report.environment.clone(),
        failure: None,
        findings: findings.to_vec(),
        module: None,
    };
    let in_store = store_library_files(&request.store_dir(), findings);
    let store_paths = |soname: &str| in_store.get(soname).cloned().unwrap_or_default();
    let verifier = Verifier {
        context: Some(&context),
        files: &failing,
        preloaded: &[],
        import: None,
    };
    let diagnoses = database.diagnose(
        &evidence,
        &FixContext {
            store_paths: &store_paths,
            verifier: &verifier,
        },
    );
    scan::once_per_cause(diagnoses)
}

/// 1 when any file would fail to load (rules or not: the loader's verdict is the problem);
/// 0 when every file loads, advisories aside.
fn status_of(report: &Report) -> Status {
    if !report.diagnoses.is_empty() || report.findings.iter().any(|f| !f.latent) {
        Status::Problems
    } else {
        Status::Ok
    }
}
