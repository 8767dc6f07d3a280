//! `pydoctor check MODULE...`: run the import in the target interpreter, learn its
//! environment, resolve every ELF file of the package the way its loader would, diagnose, and
//! check each fix before it is shown.
//!
//! Glue only: the probe (`source::probe`), the environment (`env`), the package on disk
//! (`source::package`), the loader emulation (`loader`) and the rules (`rules`) do the work.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

mod cannot_start;
mod checked;
mod runs;
mod store_module;

use super::fix::FixedVenv;
use super::target::Target;
use crate::cli::CheckArgs;
use crate::env::InterpreterFacts;
use crate::env::loader_facts::Loaders;
use crate::env::{self, Interpreter};
use crate::error::{Error, Result};
use crate::evidence::{Environment, FhsLoaderKind};
use crate::loader::{self, LoaderContext};
use crate::outcome::Command;
use crate::report::Report;
use crate::request::Request;
use crate::rules::Database;
use crate::source::input::{DEFAULT_LIMIT, read_bounded};
use crate::source::probe::{self, ProbeOptions};
use crate::source::{cuda, package};
use cannot_start::cannot_start_report;
use checked::{Checked, ImportRun};
use runs::{ModuleRun, run_probes};

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
    // A bad `--rules` file is a usage error before anything runs, and the rules load once.
    let database = Database::load(&request.rules_dirs)?;
    Ok(diagnose(args, request, &database)?.report)
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
/// resolution, diagnosis, with the rules the caller loaded.
pub fn diagnose(args: &CheckArgs, request: &Request, database: &Database) -> Result<CheckRun> {
    // Refuse anything that is not a module name before anything runs.
    for module in &args.modules {
        probe::validate_module_name(module)?;
    }
    let target = super::target::choose(&args.python, request)?;
    let request = &target.request;
    let options = ProbeOptions::new(
        request.vars.clone(),
        request.cwd.clone(),
        Duration::from_secs(args.timeout.max(1)),
    );
    // The loader context is derived while the import runs: both take about as long.
    let loaders = Loaders::from_request(request);
    let (context, runs) = std::thread::scope(|scope| {
        let context = scope.spawn(|| loaders.for_interpreter(&target.interpreter.real));
        let runs = run_probes(args, &target.interpreter, &options);
        (context.join(), runs)
    });
    let runs = runs?;
    let environment = env::machine_facts(&target.settings, Path::new("/"));
    let Some(facts) = runs
        .iter()
        .find_map(|r| r.result())
        .map(|r| r.facts.clone())
    else {
        let interpreter = target.interpreter.clone();
        let report =
            cannot_start_report(&interpreter, &runs, environment, &target.settings, database);
        return Ok(CheckRun {
            report,
            interpreter,
            options,
            site_packages: Vec::new(),
            store_choice: BTreeMap::new(),
        });
    };
    let started = Started {
        args,
        target: &target,
        database,
        loaders: &loaders,
        options,
        facts,
    };
    started.finish(&runs, environment, context.ok().and_then(|c| c.ok()))
}

/// A check whose interpreter started: what the rest of the pipeline needs.
struct Started<'a> {
    args: &'a CheckArgs,
    target: &'a Target,
    database: &'a Database,
    loaders: &'a Loaders,
    options: ProbeOptions,
    facts: Option<InterpreterFacts>,
}

impl Started<'_> {
    /// Resolve each module's files, then diagnose what the runs and the resolution found.
    fn finish(
        self,
        runs: &[ModuleRun],
        mut environment: Environment,
        context: Option<LoaderContext>,
    ) -> Result<CheckRun> {
        let request = &self.target.request;
        let facts = self.facts.as_ref();
        let interpreter = match facts.and_then(|f| f.proc_exe.as_deref()) {
            Some(exe) => self.target.interpreter.clone().with_running_executable(exe),
            None => self.target.interpreter.clone(),
        };
        environment.python = env::python_facts(&interpreter, facts, &self.target.settings);
        environment.nix_env = env::nix_env::detect(
            &interpreter,
            &environment.python,
            facts,
            &self.target.settings.store_dir,
        );
        // A launcher (a pyenv shim, a wrapper script) has no PT_INTERP of its own: the loader is
        // that of the python it started, known only once it ran.
        let context = context.or_else(|| {
            (interpreter.real != self.target.interpreter.real)
                .then(|| self.loaders.for_interpreter(&interpreter.real).ok())
                .flatten()
        });
        let context = context.map(|ctx| through_nix_ld(ctx, &environment, self.loaders));
        let sys_path = facts.map(|f| f.path.clone()).unwrap_or_default();
        // A venv that `pydoctor fix` fixed loads its libraries at start-up: resolve as it runs.
        let fixed = FixedVenv::find(environment.python.venv.as_deref());
        let fixed_libraries = fixed.as_ref().map(FixedVenv::loadable).unwrap_or_default();
        let mut checked = Checked::new(fixed_libraries.clone());
        for run in runs {
            checked.add_module(run, &sys_path, context.as_ref(), request, self.database)?;
        }
        environment.kernel = self.target.kernel_facts(checked.findings());
        let failing: Vec<String> = runs
            .iter()
            .filter(|r| r.failed_import().is_some())
            .map(|r| r.module().to_string())
            .collect();
        environment.store_module = store_module::store_module(&store_module::Lookup {
            environment: &environment,
            findings: checked.findings(),
            failing: &failing,
            interpreter: &interpreter,
            options: &self.options,
            store_dir: &self.target.settings.store_dir,
        });
        if self.args.cuda
            && let Some(ctx) = context.as_ref()
        {
            // What a `pydoctor fix` preload loads is loaded before any dlopen too.
            let ctx = ctx.clone().with_preloaded(fixed_libraries);
            let facts = cuda_facts(&ctx, runs, &sys_path, &interpreter, request);
            checked.add_findings(cuda::findings(&facts));
            environment.cuda = Some(facts);
        }
        let import = ImportRun {
            interpreter: &interpreter,
            settings: &self.target.settings,
            args: self.args,
            options: &self.options,
        };
        let (mut report, store_choice) =
            checked.into_report(environment, context, &import, request, self.database);
        if let Some(fixed) = fixed {
            fixed.annotate(&mut report);
        }
        Ok(CheckRun {
            report,
            site_packages: facts.map(|f| f.site_packages.clone()).unwrap_or_default(),
            interpreter,
            options: self.options,
            store_choice,
        })
    }
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

/// `--cuda`: the CUDA libraries of the checked modules' files, searched by their loader.
fn cuda_facts(
    ctx: &LoaderContext,
    runs: &[ModuleRun],
    sys_path: &[String],
    interpreter: &Interpreter,
    request: &Request,
) -> crate::evidence::CudaFacts {
    let mut files = Vec::new();
    for run in runs {
        if let Some(found) = package::locate(run.module(), sys_path, &request.cwd) {
            files.extend(found.elf_files);
        }
    }
    let inputs = cuda::CudaInputs {
        files: &files,
        sys_path,
        interpreter: &interpreter.real,
        root: Path::new("/"),
    };
    cuda::facts(ctx, &inputs)
}
