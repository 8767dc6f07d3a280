//! `pydoctor check MODULE...`: run the import in the target interpreter, learn its
//! environment, resolve every ELF file of the package the way its loader would, diagnose, and
//! check each fix before it is shown.
//!
//! Glue only: the probe (`source::probe`), the environment (`env`), the package on disk
//! (`source::package`), the loader emulation (`loader`) and the rules (`rules`) do the work.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::fix::FixedVenv;
use super::resolution::{ImportCheck, Verifier, files_with_missing, resolve_all};
use super::store_pick;
use crate::catalog::causes::CauseTables;
use crate::cli::CheckArgs;
use crate::env::loader_facts::Loaders;
use crate::env::machine::LocalMachine;
use crate::env::{self, Interpreter, interpreter};
use crate::error::{Error, Result};
use crate::evidence::{
    self, CauseKind, Environment, Evidence, Failure, FhsLoaderKind, Finding, FindingSource,
};
use crate::loader::{self, LoaderContext};
use crate::outcome::Command;
use crate::report::Report;
use crate::report::payload::ModuleSummary;
use crate::request::Request;
use crate::rules::{Database, FixContext};
use crate::source::input::{DEFAULT_LIMIT, read_bounded};
use crate::source::loader_findings;
use crate::source::package::{self, PackageFiles};
use crate::source::probe::{self, ProbeOptions, ProbeOutcome, ProbeResult};
use crate::source::text;

pub fn run(args: &CheckArgs, request: &Request) -> Result<Report> {
    if args.modules.iter().any(|m| m == "-") {
        if args.modules.len() > 1 {
            return Err(Error::Usage(
                "`check -` reads error text from stdin and takes no module names".into(),
            ));
        }
        let input = read_bounded(std::io::stdin().lock(), DEFAULT_LIMIT)
            .map_err(|e| Error::io("<stdin>", e))?;
        return super::explain::report_for_input(&input, request, Command::Check, true);
    }
    Ok(diagnose(args, request)?.report)
}

/// What a check learnt beyond its report, for a command that acts on the diagnosis (`fix`).
pub struct CheckRun {
    pub report: Report,
    pub interpreter: Interpreter,
    pub options: ProbeOptions,
    /// The interpreter's site-packages directories, as it reported them (empty when it did
    /// not start).
    pub site_packages: Vec<String>,
    /// The store lib dir chosen per missing soname (what the fixes put on a search path).
    pub store_choice: BTreeMap<String, PathBuf>,
}

/// The check pipeline on the modules of `args` (not `check -`): probe, loader context,
/// resolution, diagnosis.
pub fn diagnose(args: &CheckArgs, request: &Request) -> Result<CheckRun> {
    // Refuse anything that is not a module name before anything runs.
    for module in &args.modules {
        probe::validate_module_name(module)?;
    }
    // A bad `--rules` file is a usage error before anything runs, and the rules load once.
    let database = Database::load(&request.rules_dirs)?;
    let target = super::target::choose(&args.python, request)?;
    let request = &target.request;
    let interpreter = target.interpreter.clone();
    let options = ProbeOptions::new(
        request.vars.clone(),
        request.cwd.clone(),
        Duration::from_secs(args.timeout.max(1)),
    );

    // The loader context is derived while the import runs: both take about as long.
    let loaders = Loaders::from_request(request);
    let (context, runs) = std::thread::scope(|scope| {
        let context = scope.spawn(|| loaders.for_interpreter(&interpreter.real));
        let runs = run_probes(args, &interpreter, &options);
        (context.join(), runs)
    });
    let runs = runs?;
    let mut environment = env::machine_facts(&request.env_settings(), Path::new("/"));

    let Some(facts_run) = runs.iter().find_map(|r| r.result()) else {
        let report = cannot_start_report(&interpreter, &runs, environment, request, &database);
        return Ok(CheckRun {
            report,
            interpreter,
            options,
            site_packages: Vec::new(),
            store_choice: BTreeMap::new(),
        });
    };
    let interpreter = match facts_run.facts.as_ref().and_then(|f| f.proc_exe.as_deref()) {
        Some(exe) => interpreter.clone().with_running_executable(exe),
        None => interpreter.clone(),
    };
    environment.python = env::python_facts(
        &interpreter,
        facts_run.facts.as_ref(),
        &request.env_settings(),
    );
    let context = match context {
        Ok(Ok(ctx)) => Some(through_nix_ld(ctx, &environment, &loaders)),
        _ => None,
    };
    let sys_path = facts_run
        .facts
        .as_ref()
        .map(|f| f.path.clone())
        .unwrap_or_default();

    // A venv that `pydoctor fix` fixed loads its libraries at start-up: resolve as it runs.
    let fixed = FixedVenv::find(environment.python.venv.as_deref());
    let mut checked = Checked {
        fixed_libraries: fixed.as_ref().map(FixedVenv::loadable).unwrap_or_default(),
        ..Checked::default()
    };
    for run in &runs {
        checked.add_module(run, &sys_path, context.as_ref(), request)?;
    }
    let import = ImportRun {
        interpreter: &interpreter,
        args,
        options: &options,
    };
    environment.kernel = target.kernel_facts(&checked.findings);
    let (mut report, store_choice) =
        checked.into_report(environment, context, &import, request, &database);
    if let Some(fixed) = fixed {
        fixed.annotate(&mut report);
    }
    let site_packages = facts_run
        .facts
        .as_ref()
        .map(|f| f.site_packages.clone())
        .unwrap_or_default();
    Ok(CheckRun {
        report,
        interpreter,
        options,
        site_packages,
        store_choice,
    })
}

/// One module's import, or for `--no-import` the interpreter's facts alone.
enum ModuleRun {
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
    fn module(&self) -> &str {
        match self {
            ModuleRun::Imported { module, .. } | ModuleRun::NotImported { module, .. } => module,
        }
    }

    fn outcome(&self) -> &ProbeOutcome {
        match self {
            ModuleRun::Imported { outcome, .. } | ModuleRun::NotImported { facts: outcome, .. } => {
                outcome
            }
        }
    }

    fn result(&self) -> Option<&ProbeResult> {
        match self.outcome() {
            ProbeOutcome::Ran(result) => Some(result),
            ProbeOutcome::CannotStart(_) => None,
        }
    }

    /// The import ran and failed (not: was not run, or succeeded).
    fn failed_import(&self) -> Option<&ProbeResult> {
        match self {
            ModuleRun::Imported {
                outcome: ProbeOutcome::Ran(r),
                ..
            } if !r.ok => Some(r),
            _ => None,
        }
    }
}

fn run_probes(
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

/// A python whose loader is the FHS path, on a machine where that path is nix-ld, really runs
/// under the loader NIX_LD names, with NIX_LD_LIBRARY_PATH appended (docs/loader-and-nix.md, "nix-ld's variables and defaults").
fn through_nix_ld(
    ctx: LoaderContext,
    environment: &Environment,
    loaders: &Loaders,
) -> LoaderContext {
    let fhs = environment.nix_ld.fhs_loader == Some(FhsLoaderKind::NixLd)
        && ctx.interpreter.as_deref() == Some(Path::new(loader::context::HOST_LOADER));
    if !fhs {
        return ctx;
    }
    loaders.through_nix_ld(ctx)
}

/// The interpreter never ran the probe: that is the diagnosis, not the module.
fn cannot_start_report(
    interpreter: &Interpreter,
    runs: &[ModuleRun],
    mut environment: Environment,
    request: &Request,
    database: &Database,
) -> Report {
    environment.python = env::python_facts(interpreter, None, &request.env_settings());
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
                &request.nix_ld_loader(),
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
    if let Ok(text) = text::analyse(&said, &request.store_dir()) {
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
        &FixContext::offline().on_machine(&LocalMachine::new(&request.env_settings())),
    )
}

fn diagnose_into_report(evidence: Evidence, database: &Database, context: &FixContext) -> Report {
    let diagnoses = database.diagnose(&evidence, context);
    let mut report = Report::new(Command::Check, evidence.environment);
    report.failure = evidence.failure;
    report.findings = evidence.findings;
    report.diagnoses = diagnoses;
    report.settle_status();
    report
}

/// How the imports were run: what `--verify` needs to run them again.
#[derive(Clone, Copy)]
struct ImportRun<'a> {
    interpreter: &'a Interpreter,
    args: &'a CheckArgs,
    options: &'a ProbeOptions,
}

/// What the modules' runs and the static resolution found, joined.
#[derive(Default)]
struct Checked {
    failure: Option<Failure>,
    findings: Vec<Finding>,
    /// Files that have a missing library: what a fix must repair.
    broken_files: Vec<PathBuf>,
    /// Objects mapped when a failing import stopped (the already-loaded set).
    preloaded: Vec<PathBuf>,
    modules: Vec<ModuleSummary>,
    notes: Vec<String>,
    first_module: Option<String>,
    failing_modules: Vec<String>,
    /// Libraries a `pydoctor fix` preload loads at start-up (already loaded for every module).
    fixed_libraries: Vec<PathBuf>,
}

impl Checked {
    fn add_module(
        &mut self,
        run: &ModuleRun,
        sys_path: &[String],
        context: Option<&LoaderContext>,
        request: &Request,
    ) -> Result<()> {
        let module = run.module();
        self.first_module.get_or_insert_with(|| module.to_string());
        let failed = run.failed_import();
        let mut text_findings = Vec::new();
        if let Some(result) = failed {
            self.failing_modules.push(module.to_string());
            text_findings = self.read_failure(module, result)?;
        }
        let imported_ok = matches!(run, ModuleRun::Imported { .. }) && failed.is_none();

        let files = package::locate(module, sys_path, &request.cwd);
        let mut elf_files = files
            .as_ref()
            .map(|f| f.elf_files.clone())
            .unwrap_or_default();
        // The file the import was loading when it failed, even if it sits elsewhere.
        for target in failed.iter().flat_map(|r| r.import_targets.iter()) {
            if let Some(path) = target.path.as_deref().map(PathBuf::from)
                && package::is_elf_file(&path)
                && !elf_files.contains(&path)
            {
                elf_files.push(path);
            }
        }
        let started = Instant::now();
        let mut elf_findings = match context {
            Some(ctx) => {
                let mut observed: Vec<PathBuf> = failed
                    .map(|r| r.loaded_objects.iter().map(PathBuf::from).collect())
                    .unwrap_or_default();
                observed.extend(self.fixed_libraries.iter().cloned());
                self.preloaded.extend_from_slice(&observed);
                let objects = resolve_all(ctx.clone().with_preloaded(observed), &elf_files);
                self.broken_files.extend(files_with_missing(&objects));
                loader_findings::findings(&objects)
            }
            None => {
                self.notes.push(
                    "the interpreter's loader could not be read: files were not resolved".into(),
                );
                Vec::new()
            }
        };
        let resolve_ms = started.elapsed().as_secs_f64() * 1000.0;
        if imported_ok {
            mark_latent(&mut elf_findings);
        }
        // What the failing file itself lacks leads; the rest of the package follows.
        let targets: Vec<&str> = failed
            .iter()
            .flat_map(|r| r.import_targets.iter())
            .filter_map(|t| t.path.as_deref())
            .collect();
        elf_findings.sort_by_key(|f| {
            !f.required_by
                .as_deref()
                .is_some_and(|r| targets.contains(&r))
        });
        if failed.is_some() {
            elf_findings.extend(source_tree_shadowing(module, &request.cwd));
        }
        evidence::merge_text_and_loader(&mut self.findings, text_findings, elf_findings);
        self.modules.push(module_summary(
            run,
            files.as_ref(),
            elf_files.len(),
            resolve_ms,
        ));
        Ok(())
    }

    /// The import's exception chain as evidence; a hang or a signal as findings.
    fn read_failure(&mut self, module: &str, result: &ProbeResult) -> Result<Vec<Finding>> {
        let mut findings = Vec::new();
        if !result.chain.is_empty() {
            let (mut failure, found) = text::analyse_chain(result.chain.clone())?;
            failure.original_text = result.original_text.clone();
            findings = found;
            self.failure.get_or_insert(failure);
        }
        // A hang or a crash is a failure seen, never "no problem found".
        if result.timed_out {
            findings.push(probe::timeout_finding(module, result));
            self.notes.push(format!(
                "importing {module} did not finish in time; the process group was killed"
            ));
        } else if let Some(cause) = result.signal.and_then(|s| CauseTables::builtin().signal(s)) {
            findings.push(
                Finding::new(
                    cause.kind,
                    FindingSource::Probe,
                    format!(
                        "importing {module} killed the interpreter with {}",
                        cause.name
                    ),
                )
                .library(module),
            );
        } else if let Some(signal) = result.signal {
            let said = format!("importing {module} killed the interpreter with signal {signal}");
            findings.push(
                Finding::new(CauseKind::Unknown, FindingSource::Probe, said.clone())
                    .library(module),
            );
            self.notes.push(said);
        }
        Ok(findings)
    }

    fn into_report(
        mut self,
        environment: Environment,
        context: Option<LoaderContext>,
        import: &ImportRun,
        request: &Request,
        database: &Database,
    ) -> (Report, BTreeMap<String, PathBuf>) {
        let ImportRun {
            interpreter,
            args,
            options,
        } = *import;
        let evidence = Evidence {
            environment,
            failure: self.failure.take(),
            findings: std::mem::take(&mut self.findings),
            // The fixes name the module that failed, not the first one asked about.
            module: self
                .failing_modules
                .first()
                .or(self.first_module.as_ref())
                .cloned(),
            package: self
                .failing_modules
                .first()
                .or(self.first_module.as_ref())
                .map(|m| top_level(m)),
        };
        let verifier = Verifier {
            context: context.as_ref(),
            files: &self.broken_files,
            preloaded: &self.preloaded,
            import: args.verify.then_some(ImportCheck {
                interpreter,
                modules: &self.failing_modules,
                options,
            }),
        };
        let machine = LocalMachine::new(&request.env_settings());
        // Asking nix-store costs a process: only when there is a library to look for.
        let closure = machine
            .nix_store()
            .filter(|_| !super::resolution::missing_sonames(&evidence.findings).is_empty())
            .and_then(|n| n.requisites(&interpreter.real));
        let glibc_dir = context
            .as_ref()
            .and_then(|c| c.interpreter.as_deref())
            .and_then(Path::parent)
            .map(Path::to_path_buf);
        let pick = store_pick::pick(
            &request.store_dir(),
            &evidence.findings,
            &verifier,
            &store_pick::Hints {
                closure: closure.as_deref(),
                glibc_dir: glibc_dir.as_deref(),
                tables: &database.tables,
            },
        );
        let lookup = |soname: &str| pick.paths(soname);
        let note = pick.note();
        let mut report = diagnose_into_report(
            evidence,
            database,
            &FixContext::new(&lookup, &verifier)
                .on_machine(&machine)
                .with_store(&pick.candidates, note.as_deref()),
        );
        let payload = report.extra.check_mut();
        payload.modules = Some(self.modules);
        if !self.notes.is_empty() {
            payload.note = Some(self.notes.join("; "));
        }
        (report, pick.chosen)
    }
}

/// The import works today: what the static resolution found is a warning, not the verdict.
fn mark_latent(findings: &mut [Finding]) {
    for finding in findings.iter_mut().filter(|f| !f.latent) {
        finding.latent = true;
        finding.detail = format!(
            "{} (the import succeeds now, through another route or because this file is not \
             loaded by it)",
            finding.detail
        );
    }
}

/// A real source checkout in the working directory shadows the installed package: then the
/// "source directory" message is genuine, not a wrapper.
fn source_tree_shadowing(module: &str, cwd: &Path) -> Option<Finding> {
    let top = module.split('.').next()?;
    let package = cwd.join(top);
    let is_checkout = package.join("__init__.py").is_file()
        && CauseTables::builtin()
            .source_tree
            .project_files
            .iter()
            .any(|f| cwd.join(f).is_file());
    is_checkout.then(|| {
        Finding::new(
            CauseKind::SourceTreeShadowing,
            FindingSource::Probe,
            format!(
                "{} is a source checkout of {top}; Python imports it instead of the installed \
                 package",
                package.display()
            ),
        )
        .library(top)
        .required_by(package.display().to_string())
    })
}

fn module_summary(
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
fn top_level(module: &str) -> String {
    module.split('.').next().unwrap_or(module).to_string()
}
