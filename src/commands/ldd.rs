//! `pydoctor ldd`: resolve files the way a loader would (the host's, or `--python`'s) and
//! return the trees, the findings and the loader facts. Prints nothing.

use std::collections::HashMap;

use rayon::prelude::*;

use crate::cli::LddArgs;
use crate::env::loader_facts::Loaders;
use crate::error::{Error, Result};
use crate::evidence::{EnvSource, Environment};
use crate::loader::report::{NeededLibrary, ResolvedObject};
use crate::loader::{LoaderContext, Resolver};
use crate::outcome::Command;
use crate::report::Report;
use crate::report::payload::{LddPayload, LoaderFacts, Payload};
use crate::request::Request;
use crate::source::loader_findings;

pub fn run(args: &LddArgs, request: &Request) -> Result<Report> {
    let loaders = Loaders::from_request(request);
    let ctx = match &args.python {
        Some(python) => loaders.for_interpreter(python)?,
        None => loaders.host(),
    };
    let environment = environment_of(&ctx, args, request);
    let loader_facts = loader_facts(&ctx);
    let resolver = Resolver::new(ctx);
    let mut objects: Vec<ResolvedObject> =
        args.files.par_iter().map(|f| resolver.resolve(f)).collect();
    // A file given that cannot be read or is no ELF file at all is a usage or I/O error
    // (exit 2), as the docs say: alone, with the error document; beside files that could be
    // resolved, after their report. A wrong class or machine is a finding about an ELF file.
    let unusable = unusable_inputs(&objects);
    if unusable.len() == objects.len()
        && let Some(first) = unusable.first()
    {
        let more = match unusable.len() {
            1 => String::new(),
            n => format!(" (and {} more file(s))", n - 1),
        };
        return Err(Error::Other(format!("{first}{more}")));
    }
    if args.all {
        objects.iter_mut().for_each(unfold);
    }
    let mut report = Report::new(Command::Ldd, environment);
    report.findings = loader_findings::findings(&objects);
    report.settle_status();
    report.objects = Some(objects);
    report.input_errors = unusable;
    report.extra = Payload::Ldd(LddPayload {
        loader: loader_facts,
    });
    Ok(report)
}

/// `path: why` for each file given that cannot be read or is not an ELF file.
fn unusable_inputs(objects: &[ResolvedObject]) -> Vec<String> {
    objects
        .iter()
        .filter_map(|o| {
            let error = o.error.as_ref()?;
            error
                .is_unusable_input()
                .then(|| format!("{}: {error}", o.path))
        })
        .collect()
}

fn environment_of(ctx: &LoaderContext, args: &LddArgs, request: &Request) -> Environment {
    let mut env = Environment {
        source: EnvSource::Probed,
        ld_library_path: request.ld_library_path().unwrap_or_default(),
        store_dir: Some(request.store_dir().to_string_lossy().into_owned()),
        ..Environment::default()
    };
    env.python.executable = args
        .python
        .as_ref()
        .map(|p| p.to_string_lossy().into_owned());
    env.python.loader = ctx
        .interpreter
        .as_ref()
        .map(|p| p.to_string_lossy().into_owned());
    env.python.loader_flavor = ctx.flavor;
    env
}

fn loader_facts(ctx: &LoaderContext) -> LoaderFacts {
    LoaderFacts {
        interpreter: ctx.interpreter.clone(),
        flavor: ctx.flavor,
        glibc_version: ctx.glibc_version.clone(),
        default_dirs: ctx.default_dirs.clone(),
        cache_path: ctx.cache_path.clone(),
        hwcaps_subdirs: ctx.subdirs.clone(),
        main_program: ctx.main_program.clone(),
        preloaded: ctx.preloaded.iter().map(|p| p.path.clone()).collect(),
    }
}

/// `--all`: every repeated library gets a copy of the subtree listed where it first appeared.
fn unfold(object: &mut ResolvedObject) {
    let mut first: HashMap<String, Vec<NeededLibrary>> = HashMap::new();
    collect(&object.needed, &mut first);
    fill(&mut object.needed, &first, &mut Vec::new());
}

fn collect(libs: &[NeededLibrary], first: &mut HashMap<String, Vec<NeededLibrary>>) {
    for lib in libs {
        if let (Some(path), false) = (&lib.path, lib.repeated) {
            first
                .entry(path.clone())
                .or_insert_with(|| lib.needed.clone());
            collect(&lib.needed, first);
        }
    }
}

/// `ancestors` keeps a dependency cycle folded where it closes (and the copy finite).
fn fill(
    libs: &mut [NeededLibrary],
    first: &HashMap<String, Vec<NeededLibrary>>,
    ancestors: &mut Vec<String>,
) {
    for lib in libs {
        let Some(path) = lib.path.clone() else {
            continue;
        };
        if ancestors.contains(&path) || ancestors.len() > 64 {
            continue;
        }
        if lib.repeated
            && let Some(sub) = first.get(&path)
        {
            lib.needed = sub.clone();
            lib.repeated = false;
        }
        ancestors.push(path);
        fill(&mut lib.needed, first, ancestors);
        ancestors.pop();
    }
}
