//! `pydoctor scan [PATH]`: every ELF file of a venv, a site-packages directory or a wheel
//! tree, resolved in the loader context of the interpreter that will load it, grouped by the
//! distribution that installed it, then diagnosed by the rules once per cause.
//! Returns the report; the only output is the progress bar on a terminal's stderr.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock, PoisonError};

use rayon::prelude::*;

use super::resolution::Verifier;
use super::store_pick;
use crate::cli::ScanArgs;
use crate::env::loader_facts::Loaders;
use crate::env::machine::LocalMachine;
use crate::env::{self, EnvOptions, EnvProbe, HowFound, Interpreter, Settings, interpreter};
use crate::error::{Error, Result};
use crate::evidence::{Evidence, Finding};
use crate::loader::report::ResolvedObject;
use crate::loader::{LoaderContext, Resolver};
use crate::outcome::{Command, Diagnosis};
use crate::report::Report;
use crate::report::payload::{Payload, ScanFacts, ScanPayload};
use crate::report::scan::Progress;
use crate::request::Request;
use crate::rules::{self, FixContext};
use crate::scan::walk::Found;
use crate::scan::{self, Owners, ScanTarget, TargetKind, Walk};

pub fn run(args: &ScanArgs, request: &Request) -> Result<Report> {
    let flag = args.python.python.as_deref();
    let chosen = choose(args, request)?;
    let gathered = gather(&chosen)?;
    // A wrong path in CI must not pass green: a tree with no ELF file and no installed
    // distribution holds nothing to scan.
    if gathered.walked.elf_files.is_empty() && gathered.records.is_empty() {
        let roots: Vec<String> = chosen
            .target
            .roots
            .iter()
            .map(|r| r.display().to_string())
            .collect();
        return Err(Error::Usage(format!(
            "nothing to scan in {}: no ELF file and no installed distribution (.dist-info) found",
            roots.join(", ")
        )));
    }
    let Gathered {
        walked,
        probed,
        database,
        context,
        loader_note,
        resolver,
        records,
        objects,
    } = gathered;
    let interpreter = probed.interpreter.clone().unwrap_or(chosen.interpreter);
    let target = chosen.target;
    let (owners, record_errors) = Owners::from_records(records);
    let objects = in_walk_order(objects, &walked);
    let judged = judge(&objects, &owners, &target.roots);
    let mut findings = probed.findings.clone();
    findings.extend(scan::all_findings(&judged.per_object));
    let failing_paths: Vec<String> = judged
        .failing
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let mut report = Report::new(Command::Scan, probed.environment.clone());
    report.diagnoses = diagnose(
        &report,
        &findings,
        context,
        judged.failing,
        &chosen.settings,
        database?,
    );
    report.findings = findings;
    report.settle_status();
    report.objects = Some(objects);

    let mut walked = walked;
    walked.errors.extend(record_errors);
    let scan = scan_facts(
        &target,
        &interpreter,
        flag,
        &resolver,
        loader_note,
        &owners,
        walked,
    );
    report.extra = Payload::Scan(ScanPayload {
        scan,
        failing: failing_paths,
        dependencies: judged.dependencies,
        packages: judged.packages,
    });
    Ok(report)
}

/// What is scanned, with which interpreter; with no PATH, the interpreter's own site-packages
/// (it is run first to say where they are).
struct Chosen {
    interpreter: Interpreter,
    early_probe: Option<EnvProbe>,
    target: ScanTarget,
    /// The request the scan runs under: a kernel's brings its kernelspec's variables.
    request: Request,
    /// The env layer's view of it, typed once.
    settings: Settings,
}

fn choose(args: &ScanArgs, request: &Request) -> Result<Chosen> {
    let named = args
        .path
        .as_deref()
        .map(|p| scan::target::of_path(p, &request.cwd))
        .transpose()?;
    let (interpreter, request, settings) = match &args.python.kernel {
        Some(_) => {
            let target = super::target::choose(&args.python, request)?;
            (target.interpreter, target.request, target.settings)
        }
        None => {
            let settings = request.env_settings();
            let flag = args.python.python.as_deref();
            let found = choose_interpreter(flag, named.as_ref(), &settings)?;
            (found, request.clone(), settings)
        }
    };
    let (early_probe, target) = match named {
        Some(target) => (None, target),
        None => {
            let probed = env::probe(Some(&interpreter), &settings, &EnvOptions::default());
            let target = scan::target::of_interpreter(&interpreter.path, probed.facts.as_ref())?;
            (Some(probed), target)
        }
    };
    Ok(Chosen {
        interpreter,
        early_probe,
        target,
        request,
        settings,
    })
}

/// What the walk, the interpreter, the rules and the loader gave.
struct Gathered {
    walked: Walk,
    probed: EnvProbe,
    database: Result<rules::Database>,
    context: LoaderContext,
    loader_note: Option<String>,
    resolver: Resolver,
    records: Vec<scan::record::Record>,
    objects: Vec<ResolvedObject>,
}

/// Everything overlaps: the walk starts at once; the interpreter's facts, the rules and the
/// loader's facts are gathered meanwhile. Each ELF file is resolved as soon as it is found
/// once the loader is known (those found before wait for it), and each RECORD is read as soon
/// as its `.dist-info` is met. The closures share the queue, the resolver and the progress
/// bar, which is why they sit in one function.
fn gather(chosen: &Chosen) -> Result<Gathered> {
    let request = &chosen.request;
    let progress = Progress::new(std::io::stderr().is_terminal());
    let resolver: OnceLock<Resolver> = OnceLock::new();
    // `None` once the resolver is ready; files found before then wait here.
    let waiting: Mutex<Option<Vec<PathBuf>>> = Mutex::new(Some(Vec::new()));
    let resolved = Mutex::new(Vec::new());
    let records = Mutex::new(Vec::new());
    let resolve = |file: &Path, resolver: &Resolver| {
        let object = resolver.resolve(file);
        progress.tick();
        locked(&resolved).push(object);
    };
    let found = |found: Found<'_>| match found {
        Found::ElfFile(file) => {
            progress.found();
            let mut waiting = locked(&waiting);
            match (waiting.as_mut(), resolver.get()) {
                (Some(queue), _) => queue.push(file.to_path_buf()),
                (None, Some(ready)) => {
                    drop(waiting);
                    resolve(file, ready);
                }
                (None, None) => unreachable!("the resolver is set before the queue is taken"),
            }
        }
        Found::DistInfo(dist_info) => {
            let record = scan::record::read_record(dist_info);
            locked(&records).push(record);
        }
    };
    let interpreter = &chosen.interpreter;
    let (walked, (probed, (database, context))) = rayon::join(
        || walk_roots(&chosen.target.roots, &found),
        || {
            let setup = rayon::join(
                // A named tree needs nothing that only a running interpreter knows.
                || match chosen.early_probe.clone() {
                    Some(probed) => probed,
                    None => env::describe_without_running(
                        interpreter,
                        &chosen.settings,
                        &EnvOptions::default(),
                    ),
                },
                || {
                    rayon::join(
                        || rules::Database::load(&request.rules_dirs),
                        || loader_context(interpreter, request),
                    )
                },
            );
            if let Ok((context, _)) = &setup.1.1 {
                let ready = resolver.get_or_init(|| Resolver::new(context.clone()));
                let queue = locked(&waiting).take().unwrap_or_default();
                queue.par_iter().for_each(|file| resolve(file, ready));
            }
            setup
        },
    );
    progress.finish();
    let (context, loader_note) = context?;
    Ok(Gathered {
        walked,
        probed,
        database,
        context,
        loader_note,
        resolver: resolver
            .into_inner()
            .expect("set when the context is known"),
        records: records.into_inner().unwrap_or_else(PoisonError::into_inner),
        objects: resolved
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner),
    })
}

/// The walk's order (by path), whatever order the files were resolved in.
fn in_walk_order(mut objects: Vec<ResolvedObject>, walked: &Walk) -> Vec<ResolvedObject> {
    let order: rustc_hash::FxHashMap<&std::ffi::OsStr, usize> = walked
        .elf_files
        .iter()
        .enumerate()
        .map(|(i, p)| (p.as_os_str(), i))
        .collect();
    objects.sort_by_cached_key(|o| order.get(std::ffi::OsStr::new(&o.path)).copied());
    objects
}

/// Each file's findings, by package, and the files that would fail to load.
struct Judged {
    per_object: Vec<Vec<Finding>>,
    packages: Vec<scan::PackageSummary>,
    failing: Vec<PathBuf>,
    dependencies: Vec<String>,
}

fn judge(objects: &[ResolvedObject], owners: &Owners, roots: &[PathBuf]) -> Judged {
    // Vendored libraries loaded by other scanned files are judged through those files.
    let dependencies = scan::dependencies(objects);
    let per_object: Vec<Vec<Finding>> = objects
        .par_iter()
        .map(|o| {
            if dependencies.contains(o.path.as_str()) {
                Vec::new()
            } else {
                scan::object_findings(o)
            }
        })
        .collect();
    let packages = scan::summarize(objects, &per_object, owners, roots);
    let failing: Vec<PathBuf> = objects
        .iter()
        .zip(&per_object)
        .filter(|(_, f)| f.iter().any(|f| !f.latent))
        .map(|(o, _)| PathBuf::from(&o.path))
        .collect();
    let mut dependencies: Vec<String> = dependencies.into_iter().collect();
    dependencies.sort_by(|a, b| Path::new(a).cmp(Path::new(b)));
    Judged {
        per_object,
        packages,
        failing,
        dependencies,
    }
}

/// The facts block of the scan: what was scanned, with which interpreter and loader, and what
/// the walk met (files seen, ELF files, symlinks skipped, errors, the RECORDs' included).
fn scan_facts(
    target: &ScanTarget,
    interpreter: &Interpreter,
    flag: Option<&Path>,
    resolver: &Resolver,
    loader_note: Option<String>,
    owners: &Owners,
    walked: Walk,
) -> ScanFacts {
    let context = resolver.context();
    ScanFacts {
        kind: target.kind,
        roots: target.roots.clone(),
        interpreter: interpreter.path.clone(),
        interpreter_chosen_by: chosen_by(target, flag),
        loader: context.interpreter.clone(),
        loader_flavor: context.flavor,
        glibc_version: context.glibc_version.clone(),
        loader_note,
        files_seen: walked.files_seen,
        elf_files: walked.elf_files.len(),
        symlinks_skipped: walked.symlinks_skipped,
        distributions: owners.distributions.len(),
        errors: walked.errors,
    }
}

/// The loader of the interpreter; the host's when the interpreter has none to read.
fn loader_context(
    interpreter: &Interpreter,
    request: &Request,
) -> Result<(LoaderContext, Option<String>)> {
    let loaders = Loaders::from_request(request);
    match loaders.for_interpreter(&interpreter.real) {
        Ok(ctx) => Ok((ctx, None)),
        Err(e) => Ok((loaders.host(), Some(e.to_string()))),
    }
}

/// A mutex's contents, whether or not a panicking thread poisoned it (its panic goes on up
/// through rayon anyway).
fn locked<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// `--python` first; then a venv's own interpreter; then discovery (as `check`).
fn choose_interpreter(
    flag: Option<&Path>,
    named: Option<&ScanTarget>,
    settings: &Settings,
) -> Result<Interpreter> {
    if flag.is_none()
        && let Some(python) = named.and_then(|t| t.venv_python.clone())
    {
        return Ok(Interpreter::at(python, HowFound::VirtualEnv));
    }
    interpreter::discover(flag, settings)
}

fn chosen_by(target: &ScanTarget, flag: Option<&Path>) -> &'static str {
    match (flag, target.kind, &target.venv_python) {
        (Some(_), _, _) => "--python",
        (None, TargetKind::Venv, Some(_)) => "the scanned venv",
        _ => "discovery",
    }
}

/// Walk every root, one list of files; `found` gets what the walk meets as it meets it.
fn walk_roots(roots: &[PathBuf], found: &(dyn Fn(Found<'_>) + Sync)) -> Walk {
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
    settings: &Settings,
    database: rules::Database,
) -> Vec<Diagnosis> {
    let evidence = Evidence {
        environment: report.environment.clone(),
        failure: None,
        findings: findings.to_vec(),
        module: None,
        package: None,
    };
    let verifier = Verifier {
        context: Some(&context),
        files: &failing,
        preloaded: &[],
        import: None,
    };
    let pick = store_pick::pick(
        &settings.store_dir,
        findings,
        &verifier,
        &store_pick::Hints {
            closure: None,
            glibc_dir: None,
            tables: &database.tables,
        },
    );
    let store_paths = |soname: &str| pick.paths(soname);
    let note = pick.note();
    let machine = LocalMachine::new(settings);
    let diagnoses = database.diagnose(
        &evidence,
        &FixContext::new(&store_paths, &verifier)
            .on_machine(&machine)
            .with_store(&pick.candidates, note.as_deref()),
    );
    once_per_cause(diagnoses)
}

/// The rules' diagnoses, once per cause: a rule that matched the same library for many
/// files is kept once (the first, most likely), its `libraries` merged.
fn once_per_cause(diagnoses: Vec<Diagnosis>) -> Vec<Diagnosis> {
    let mut out: Vec<Diagnosis> = Vec::new();
    for d in diagnoses {
        if let Some(kept) = out
            .iter_mut()
            .find(|k| k.rule == d.rule && k.kind == d.kind && k.library == d.library)
        {
            for lib in d.libraries {
                if !kept.libraries.contains(&lib) {
                    kept.libraries.push(lib);
                }
            }
            continue;
        }
        out.push(d);
    }
    out
}
