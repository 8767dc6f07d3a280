//! `pydoctor fix MODULE...`: diagnose as `check` does, apply the contained fix inside the venv
//! (a start-up preload of the missing libraries), prove it by importing every module again in a
//! fresh process, and keep it only then. `fix --undo` takes it back; `fix --dry-run` shows it.
//!
//! Glue only: `check` diagnoses, `fix::plan` decides, `fix::apply` writes and undoes,
//! `fix::pin` pins. Also what `check` needs to know about a venv that was fixed.

use std::path::{Path, PathBuf};

use super::check::{self, CheckRun};
use crate::catalog::tables::Tables;
use crate::cli::{CheckArgs, FixArgs};
use crate::env::interpreter;
use crate::error::{Error, Result};
use crate::evidence::{CauseKind, Finding, FindingSource};
use crate::fix::apply::{self, NewFile, Steps};
use crate::fix::manifest::{self, MANIFEST_VERSION, Manifest, State};
use crate::fix::plan::{self, Verdict};
use crate::fix::{self as core, FixAction, FixOutcome, ModuleImport, preload};
use crate::outcome::{Command, Status};
use crate::report::Report;
use crate::request::Request;
use crate::rules::Database;
use crate::source::probe::{self, ProbeOutcome};

/// Test-only: abort the process right after step N of applying (or of `--undo`), as a kill
/// would.
const ABORT_AFTER_VAR: &str = "PYDOCTOR_TEST_FIX_ABORT_AFTER";

fn abort_after(request: &Request) -> Option<usize> {
    request
        .nonempty_var(ABORT_AFTER_VAR)
        .and_then(|n| n.parse().ok())
}

pub fn run(args: &FixArgs, request: &Request) -> Result<Report> {
    for module in &args.modules {
        probe::validate_module_name(module)?;
    }
    let found = super::target::choose(&args.python, request)?.interpreter;
    let venv = venv_of(&found.path)?;
    if args.undo {
        return undo_report(&venv, request, &found);
    }
    // The rules load once, for the diagnosis and for the plan's tables, and a bad `--rules`
    // dir stops the fix before anything in the venv is touched.
    let database = Database::load(&request.rules_dirs)?;
    let recovered = recover(&venv, args.dry_run)?;
    let check = check::diagnose(&check_args(args), request, &database)?;
    let mut outcome = fix_venv(args, &venv, &check, request, &database.tables)?;
    outcome.recovered = recovered.or(outcome.recovered);
    outcome.venv = Some(venv.to_string_lossy().into_owned());
    outcome.manifest = Some(Manifest::path(&venv).to_string_lossy().into_owned());
    Ok(into_report(check.report, outcome))
}

fn check_args(args: &FixArgs) -> CheckArgs {
    CheckArgs {
        modules: args.modules.clone(),
        python: args.python.clone(),
        no_import: false,
        verify: false,
        timeout: args.timeout,
        cuda: args.cuda,
    }
}

/// The venv a `bin/python` belongs to (the directory holding `pyvenv.cfg`).
fn venv_of(python: &Path) -> Result<PathBuf> {
    let venv = python.parent().and_then(Path::parent);
    match venv {
        Some(dir) if dir.join("pyvenv.cfg").is_file() => Ok(dir.to_path_buf()),
        _ => Err(Error::Usage(format!(
            "{} is not in a venv (no pyvenv.cfg beside its bin/): pydoctor fix changes only a \
             venv; use `pydoctor check` for the advice",
            python.display()
        ))),
    }
}

/// An earlier fix that was killed before it was proven is rolled back first (a dry run only
/// says so: it changes nothing).
fn recover(venv: &Path, dry_run: bool) -> Result<Option<String>> {
    let dir = Manifest::dir(venv);
    let interrupted = match Manifest::read(venv)? {
        Some(m) => m.state == State::Applying,
        None => dir.exists(),
    };
    if !interrupted {
        return Ok(None);
    }
    if dry_run {
        return Ok(Some(
            "an earlier pydoctor fix was interrupted; `pydoctor fix` or `pydoctor fix --undo` \
             cleans it up"
                .into(),
        ));
    }
    apply::undo(venv)?;
    Ok(Some(
        "an earlier pydoctor fix was interrupted before it was proven; it was rolled back".into(),
    ))
}

fn fix_venv(
    args: &FixArgs,
    venv: &Path,
    check: &CheckRun,
    request: &Request,
    tables: &Tables,
) -> Result<FixOutcome> {
    let existing = Manifest::read(venv)?;
    if check.report.status == Status::Ok {
        return Ok(nothing_to_do(existing));
    }
    let mut choice = check.store_choice.clone();
    choice.extend(driver_dir_choice(check));
    let verdict = plan::plan(
        &check.report.diagnoses,
        &check.report.findings,
        &choice,
        &request.store_dir(),
        tables,
    );
    let libraries = match verdict {
        Verdict::Contained(libraries) => libraries,
        Verdict::CannotApply(reason) => {
            let mut outcome = FixOutcome::new(FixAction::CannotApply);
            outcome.reason = Some(reason);
            return Ok(outcome);
        }
    };
    let libraries = with_earlier(existing.as_ref(), libraries);
    let site = site_packages_in(&check.site_packages, venv)?;
    let created = manifest::now_utc();
    let files = preload_files(&site, &libraries, &created);
    let mut outcome = FixOutcome::new(FixAction::DryRun);
    outcome.declarative = core::declarative(&plan::nix_attrs(&libraries, tables));
    outcome.changes = apply::changes_for(&files);
    outcome.libraries = libraries;
    if args.dry_run {
        return Ok(outcome);
    }
    if existing.is_some() {
        // The fix in place no longer works (a library gone): replaced by this one.
        apply::undo(venv)?;
        outcome.recovered = Some("the earlier fix no longer worked and was replaced".into());
    }
    apply::ensure_new(&files)?;
    let manifest = Manifest {
        version: MANIFEST_VERSION,
        state: State::Applying,
        created,
        modules: args.modules.clone(),
        libraries: outcome.libraries.clone(),
        files: outcome.changes.clone(),
        gc_roots: Vec::new(),
    };
    apply_and_prove(venv, manifest, &files, check, request, outcome)
}

/// The driver's libraries that `check --cuda` found unreachable (or only as a stub) and that
/// NixOS's driver dir holds: the dir is where a preload takes them from. Through its
/// `/run/opengl-driver` link the preload follows the driver the system runs, also after an
/// upgrade.
fn driver_dir_choice(check: &CheckRun) -> Vec<(String, PathBuf)> {
    let Some(cuda) = check.report.environment.cuda.as_ref() else {
        return Vec::new();
    };
    let dir = PathBuf::from(&cuda.driver_dir);
    cuda.libraries
        .iter()
        .filter(|l| l.how == "dlopen" && (l.path.is_none() || l.stub))
        .filter(|l| dir.join(&l.soname).is_file())
        .map(|l| (l.soname.clone(), dir.clone()))
        .collect()
}

/// A fix that replaces an earlier one keeps the earlier one's libraries that are still there:
/// the diagnosis ran with them preloaded, so it does not count them as missing.
fn with_earlier(
    existing: Option<&Manifest>,
    libraries: Vec<manifest::Library>,
) -> Vec<manifest::Library> {
    let kept = existing
        .into_iter()
        .flat_map(|m| &m.libraries)
        .filter(|old| {
            Path::new(&old.path).is_file() && !libraries.iter().any(|l| l.soname == old.soname)
        });
    let mut all: Vec<manifest::Library> = kept.cloned().collect();
    all.extend(libraries);
    all.sort_by(|a, b| a.soname.cmp(&b.soname));
    all
}

/// Every module imports: an earlier fix did it, or nothing was wrong.
fn nothing_to_do(existing: Option<Manifest>) -> FixOutcome {
    match existing {
        Some(m) => FixOutcome {
            fixed_on: Some(m.created),
            libraries: m.libraries,
            ..FixOutcome::new(FixAction::AlreadyFixed)
        },
        None => FixOutcome::new(FixAction::NothingToFix),
    }
}

/// The module first, the `.pth` that runs it last: until the `.pth` exists nothing changes.
fn preload_files(site: &Path, libraries: &[manifest::Library], created: &str) -> Vec<NewFile> {
    let paths: Vec<String> = libraries.iter().map(|l| l.path.clone()).collect();
    let preload = preload::render(site, &paths, created);
    vec![
        NewFile {
            path: preload.module.0,
            contents: preload.module.1,
        },
        NewFile {
            path: preload.pth.0,
            contents: preload.pth.1,
        },
    ]
}

/// Write, pin, import every module again in a fresh process; keep it only if all import.
fn apply_and_prove(
    venv: &Path,
    mut manifest: Manifest,
    files: &[NewFile],
    check: &CheckRun,
    request: &Request,
    mut outcome: FixOutcome,
) -> Result<FixOutcome> {
    let mut steps = Steps::new(abort_after(request));
    let nix_store = request.env_settings().search_path("nix-store");
    let applied = apply::apply(venv, &mut manifest, files, nix_store.as_deref(), &mut steps);
    outcome.pins = match applied {
        Ok(pins) => pins,
        Err(e) => {
            // A write failed half-way (a full disk, a read-only file): take back what was done.
            let _ = apply::undo(venv);
            return Err(e);
        }
    };
    outcome.verification = import_again(check, &manifest.modules, &manifest.libraries);
    if outcome.verification.iter().all(|m| m.ok) {
        apply::commit(venv, &mut manifest, &mut steps)?;
        outcome.action = FixAction::Applied;
    } else {
        apply::undo(venv)?;
        outcome.action = FixAction::RolledBack;
        outcome.reason = Some(
            "the import still fails with the fix in place, so everything was taken back".into(),
        );
    }
    Ok(outcome)
}

/// The venv's own site-packages (not the base interpreter's).
fn site_packages_in(site_packages: &[String], venv: &Path) -> Result<PathBuf> {
    site_packages
        .iter()
        .map(PathBuf::from)
        .find(|p| p.starts_with(venv) && p.is_dir())
        .ok_or_else(|| {
            Error::Other(format!(
                "the interpreter reported no site-packages inside {}",
                venv.display()
            ))
        })
}

/// Every module imported again, each in a fresh process, with every preloaded library mapped
/// in it: an import that works without them (a library loaded only at run time, as CUDA's
/// driver is) proves nothing of the preload.
fn import_again(
    check: &CheckRun,
    modules: &[String],
    libraries: &[manifest::Library],
) -> Vec<ModuleImport> {
    modules
        .iter()
        .map(|module| {
            let outcome = probe::run_import(&check.interpreter.path, module, &check.options);
            let (ok, error) = match outcome {
                Ok(ProbeOutcome::Ran(r)) if r.ok => {
                    match not_loaded(libraries, &r.loaded_objects) {
                        None => (true, None),
                        Some(path) => (false, Some(format!("the preload did not load {path}"))),
                    }
                }
                Ok(ProbeOutcome::Ran(r)) => (
                    false,
                    r.chain.first().map(|l| {
                        format!("{}: {}", l.exc_type, l.message.lines().next().unwrap_or(""))
                    }),
                ),
                Ok(ProbeOutcome::CannotStart(f)) => (false, f.exec_error.or(Some(f.stderr.text))),
                Err(e) => (false, Some(e.to_string())),
            };
            ModuleImport {
                module: module.clone(),
                ok,
                error,
            }
        })
        .collect()
}

/// The first preloaded library that is not among the process's mapped files (compared after
/// symlinks: the maps name real files).
fn not_loaded(libraries: &[manifest::Library], loaded: &[String]) -> Option<String> {
    let real = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    let mapped: Vec<PathBuf> = loaded.iter().map(|l| real(Path::new(l))).collect();
    libraries
        .iter()
        .find(|l| !mapped.contains(&real(Path::new(&l.path))))
        .map(|l| l.path.clone())
}

fn into_report(mut report: Report, outcome: FixOutcome) -> Report {
    report.command = Command::Fix;
    report.fix = Some(outcome);
    report.settle_status();
    report
}

/// `--undo`; a file changed since the fix is an error naming it (exit 2), nothing undone.
fn undo_report(venv: &Path, request: &Request, found: &interpreter::Interpreter) -> Result<Report> {
    let settings = request.env_settings();
    let environment = crate::env::machine_facts(&settings, Path::new("/"));
    let mut report = Report::new(Command::Fix, environment);
    report.environment.python = crate::env::python_facts(found, None, &settings);
    let mut outcome = match apply::undo_in_steps(venv, &mut Steps::new(abort_after(request)))? {
        Some(m) => {
            let mut o = FixOutcome::new(FixAction::Undone);
            o.fixed_on = Some(m.created);
            o.changes = m.files;
            o.libraries = m.libraries;
            o
        }
        None => FixOutcome::new(FixAction::NothingToUndo),
    };
    outcome.venv = Some(venv.to_string_lossy().into_owned());
    outcome.manifest = Some(Manifest::path(venv).to_string_lossy().into_owned());
    report.fix = Some(outcome);
    report.settle_status();
    Ok(report)
}

/// A venv that `pydoctor fix` fixed, as `check` sees it.
pub struct FixedVenv {
    manifest: Manifest,
    manifest_path: PathBuf,
}

impl FixedVenv {
    /// The venv's proven fix, if it has one.
    pub fn find(venv: Option<&str>) -> Option<FixedVenv> {
        let venv = Path::new(venv?);
        let manifest = Manifest::read(venv).ok()??;
        (manifest.state == State::Applied).then(|| FixedVenv {
            manifest,
            manifest_path: Manifest::path(venv),
        })
    }

    /// The libraries its preload really loads (those still there).
    pub fn loadable(&self) -> Vec<PathBuf> {
        self.manifest
            .libraries
            .iter()
            .map(|l| PathBuf::from(&l.path))
            .filter(|p| p.is_file())
            .collect()
    }

    /// A note that the venv was fixed, and a warning for each library that has gone. That a
    /// preloaded library is found "only because it was loaded before" is the fix working, not
    /// a warning.
    pub fn annotate(&self, report: &mut Report) {
        let libraries: Vec<&str> = self
            .manifest
            .libraries
            .iter()
            .map(|l| l.path.as_str())
            .collect();
        let note = format!(
            "fixed by pydoctor fix on {}; libraries: {}",
            self.manifest.date(),
            libraries.join(", ")
        );
        report.extra.check_mut().fixed = Some(note);
        let loaded: Vec<&str> = self
            .manifest
            .libraries
            .iter()
            .filter(|l| Path::new(&l.path).is_file())
            .map(|l| l.soname.as_str())
            .collect();
        report.findings.retain(|f| {
            !(f.latent
                && f.kind == CauseKind::MissingSharedLibrary
                && f.library.as_deref().is_some_and(|l| loaded.contains(&l)))
        });
        for library in self
            .manifest
            .libraries
            .iter()
            .filter(|l| !Path::new(&l.path).is_file())
        {
            let mut finding = Finding::new(
                CauseKind::MissingSharedLibrary,
                FindingSource::Probe,
                format!(
                    "{} is gone, and this venv's pydoctor fix loads it from there (run `pydoctor \
                     fix` again)",
                    library.path
                ),
            )
            .library(&library.soname)
            .required_by(self.manifest_path.to_string_lossy());
            finding.latent = true;
            report.findings.push(finding);
        }
    }
}
