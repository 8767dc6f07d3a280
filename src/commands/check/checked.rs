//! What the modules' runs and the static resolution found, joined into one report.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use super::cannot_start::diagnose_into_report;
use super::runs::{ModuleRun, module_summary, top_level};
use crate::catalog::causes::CauseTables;
use crate::cli::CheckArgs;
use crate::commands::resolution::{self, ImportCheck, Verifier, files_with_missing, resolve_all};
use crate::commands::store_pick;
use crate::env::machine::LocalMachine;
use crate::env::{Interpreter, Settings};
use crate::error::Result;
use crate::evidence::{self, CauseKind, Environment, Evidence, Failure, Finding, FindingSource};
use crate::loader::LoaderContext;
use crate::report::Report;
use crate::report::payload::ModuleSummary;
use crate::request::Request;
use crate::rules::{Database, FixContext};
use crate::source::loader_findings;
use crate::source::package;
use crate::source::probe::{self, ProbeOptions, ProbeResult};
use crate::source::text;

/// How the imports were run: what `--verify` needs to run them again.
#[derive(Clone, Copy)]
pub struct ImportRun<'a> {
    pub interpreter: &'a Interpreter,
    /// The shell it ran in, as the env layer sees it.
    pub settings: &'a Settings,
    pub args: &'a CheckArgs,
    pub options: &'a ProbeOptions,
}

/// What the modules' runs and the static resolution found, joined.
#[derive(Default)]
pub struct Checked {
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
    /// `fixed_libraries`: what a `pydoctor fix` preload loads before every module.
    pub fn new(fixed_libraries: Vec<PathBuf>) -> Checked {
        Checked {
            fixed_libraries,
            ..Checked::default()
        }
    }

    pub fn findings(&self) -> &[Finding] {
        &self.findings
    }

    /// Findings beyond the modules' own (`--cuda`'s run-time libraries), after theirs.
    pub fn add_findings(&mut self, findings: Vec<Finding>) {
        evidence::merge_text_and_loader(&mut self.findings, Vec::new(), findings);
    }

    pub fn add_module(
        &mut self,
        run: &ModuleRun,
        sys_path: &[String],
        context: Option<&LoaderContext>,
        request: &Request,
        database: &Database,
    ) -> Result<()> {
        let module = run.module();
        self.first_module.get_or_insert_with(|| module.to_string());
        let failed = run.failed_import();
        let mut text_findings = Vec::new();
        if let Some(result) = failed {
            self.failing_modules.push(module.to_string());
            text_findings = self.read_failure(module, result, database)?;
        }
        let imported_ok = matches!(run, ModuleRun::Imported { .. }) && failed.is_none();
        let files = package::locate(module, sys_path, &request.cwd);
        let elf_files = elf_files_of(files.as_ref(), failed);
        let started = Instant::now();
        let mut elf_findings = self.resolve(&elf_files, failed, context);
        let resolve_ms = started.elapsed().as_secs_f64() * 1000.0;
        if imported_ok {
            mark_latent(&mut elf_findings);
        }
        lead_with_failing_file(&mut elf_findings, failed);
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

    /// The loader's findings for `elf_files`, resolved with what the failing import had
    /// already mapped (and what a `pydoctor fix` preload loads) counted as loaded.
    fn resolve(
        &mut self,
        elf_files: &[PathBuf],
        failed: Option<&ProbeResult>,
        context: Option<&LoaderContext>,
    ) -> Vec<Finding> {
        let Some(ctx) = context else {
            self.notes
                .push("the interpreter's loader could not be read: files were not resolved".into());
            return Vec::new();
        };
        let mut observed: Vec<PathBuf> = failed
            .map(|r| r.loaded_objects.iter().map(PathBuf::from).collect())
            .unwrap_or_default();
        observed.extend(self.fixed_libraries.iter().cloned());
        self.preloaded.extend_from_slice(&observed);
        let objects = resolve_all(ctx.clone().with_preloaded(observed), elf_files);
        self.broken_files.extend(files_with_missing(&objects));
        loader_findings::findings(&objects)
    }

    /// The import's exception chain as evidence; a hang or a signal as findings.
    fn read_failure(
        &mut self,
        module: &str,
        result: &ProbeResult,
        database: &Database,
    ) -> Result<Vec<Finding>> {
        let mut findings = Vec::new();
        if !result.chain.is_empty() {
            let tables = database.text()?;
            let (mut failure, found) = text::analyse_chain_with(result.chain.clone(), tables);
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

    pub fn into_report(
        mut self,
        environment: Environment,
        context: Option<LoaderContext>,
        import: &ImportRun,
        request: &Request,
        database: &Database,
    ) -> (Report, BTreeMap<String, PathBuf>) {
        let evidence = self.evidence(environment);
        let verifier = Verifier {
            context: context.as_ref(),
            files: &self.broken_files,
            preloaded: &self.preloaded,
            import: import.args.verify.then_some(ImportCheck {
                interpreter: import.interpreter,
                modules: &self.failing_modules,
                options: import.options,
            }),
        };
        let machine = LocalMachine::new(import.settings);
        let pick = pick_store_copies(&evidence, &verifier, &machine, import, request, database);
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
        payload.modules = Some(std::mem::take(&mut self.modules));
        if !self.notes.is_empty() {
            payload.note = Some(self.notes.join("; "));
        }
        (report, pick.chosen)
    }

    /// The evidence of the whole check. The fixes name the module that failed, not the first
    /// one asked about.
    fn evidence(&mut self, environment: Environment) -> Evidence {
        let named = self
            .failing_modules
            .first()
            .or(self.first_module.as_ref())
            .cloned();
        Evidence {
            environment,
            failure: self.failure.take(),
            findings: std::mem::take(&mut self.findings),
            package: named.as_deref().map(top_level),
            module: named,
        }
    }
}

/// The store's copies of each missing library, ranked and tried (see `store_pick`).
fn pick_store_copies(
    evidence: &Evidence,
    verifier: &Verifier,
    machine: &LocalMachine,
    import: &ImportRun,
    request: &Request,
    database: &Database,
) -> store_pick::StorePick {
    // Asking nix-store costs a process: only when there is a library to look for.
    let closure = machine
        .nix_store()
        .filter(|_| !resolution::missing_sonames(&evidence.findings).is_empty())
        .and_then(|n| n.requisites(&import.interpreter.real));
    let glibc_dir = verifier
        .context
        .and_then(|c| c.interpreter.as_deref())
        .and_then(Path::parent)
        .map(Path::to_path_buf);
    store_pick::pick(
        &request.store_dir(),
        &evidence.findings,
        verifier,
        &store_pick::Hints {
            closure: closure.as_deref(),
            glibc_dir: glibc_dir.as_deref(),
            tables: &database.tables,
        },
    )
}

/// The ELF files of the package, and the file the import was loading when it failed, even if
/// it sits elsewhere.
fn elf_files_of(
    files: Option<&package::PackageFiles>,
    failed: Option<&ProbeResult>,
) -> Vec<PathBuf> {
    let mut elf_files = files.map(|f| f.elf_files.clone()).unwrap_or_default();
    for target in failed.iter().flat_map(|r| r.import_targets.iter()) {
        if let Some(path) = target.path.as_deref().map(PathBuf::from)
            && package::is_elf_file(&path)
            && !elf_files.contains(&path)
        {
            elf_files.push(path);
        }
    }
    elf_files
}

/// What the failing file itself lacks leads; the rest of the package follows.
fn lead_with_failing_file(findings: &mut [Finding], failed: Option<&ProbeResult>) {
    let targets: Vec<&str> = failed
        .iter()
        .flat_map(|r| r.import_targets.iter())
        .filter_map(|t| t.path.as_deref())
        .collect();
    findings.sort_by_key(|f| {
        !f.required_by
            .as_deref()
            .is_some_and(|r| targets.contains(&r))
    });
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
