//! Facts about the machine and the interpreter (NixOS, python kind, its loader, nix-ld, paths):
//! the environment block of the report, probed.
//!
//! Machine facts are read under a root directory (`/` normally) and from the shell's
//! variables; interpreter facts come from running the interpreter once with the probe's
//! `--facts` mode, plus its ELF (PT_INTERP). This module gathers facts; it judges nothing.

pub mod classify;
pub mod cuda;
pub mod interpreter;
pub mod interpreter_facts;
pub mod kernel;
pub mod loader_facts;
mod loader_help;
pub mod machine;
pub mod nix_env;
pub mod nix_store;
pub mod probe_script;
mod pt_interp;
pub mod python_file;
mod settings;
pub mod shell;
pub mod store;
pub mod store_python;
pub mod system;
pub mod venv;

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::evidence::{
    EnvSource, Environment, FhsLoaderKind, Finding, LoaderFlavor, NixLdFacts, OsFacts, PythonFacts,
    PythonKind,
};

pub use interpreter::{HowFound, Interpreter};
pub use interpreter_facts::InterpreterFacts;
use probe_script::ProbeOptions;
pub use settings::Settings;

/// Where and how long to look.
#[derive(Debug, Clone)]
pub struct EnvOptions {
    /// The root under which `/etc/os-release`, `/etc/NIXOS` and `/lib64/ld-linux-x86-64.so.2`
    /// are read (`/` except in tests).
    pub root: PathBuf,
    /// How long the interpreter may take to report its facts.
    pub timeout: Duration,
}

impl Default for EnvOptions {
    fn default() -> EnvOptions {
        EnvOptions {
            root: PathBuf::from("/"),
            timeout: Duration::from_secs(30),
        }
    }
}

/// Everything `env` learnt, beyond the contract's environment block.
#[derive(Debug, Clone, Default)]
pub struct EnvProbe {
    pub environment: Environment,
    /// The interpreter, its `real` file corrected by what the running process reported.
    pub interpreter: Option<Interpreter>,
    pub facts: Option<InterpreterFacts>,
    /// `interpreter-cannot-start` when the interpreter did not run.
    pub findings: Vec<Finding>,
    /// ELF files mapped in the interpreter right after start-up.
    pub loaded_objects: Vec<String>,
}

/// The environment block for `interpreter`, probed.
pub fn probe_environment(interpreter: &Interpreter, settings: &Settings) -> Environment {
    probe(Some(interpreter), settings, &EnvOptions::default()).environment
}

/// Machine facts, and when an interpreter is given, its facts (running it once).
pub fn probe(
    interpreter: Option<&Interpreter>,
    settings: &Settings,
    options: &EnvOptions,
) -> EnvProbe {
    let mut result = EnvProbe {
        environment: machine_facts(settings, &options.root),
        ..EnvProbe::default()
    };
    let Some(interpreter) = interpreter else {
        return result;
    };
    let probe_options = ProbeOptions::new(
        settings.child_vars.clone(),
        settings.cwd.clone(),
        options.timeout,
    );
    let mut interpreter = interpreter.clone();
    match interpreter_facts::run_facts(&interpreter.path, &probe_options) {
        Ok(Ok(ran)) => {
            if let Some(exe) = ran.facts.as_ref().and_then(|f| f.proc_exe.as_deref()) {
                interpreter = interpreter.with_running_executable(exe);
            }
            result.facts = ran.facts;
            result.loaded_objects = ran.loaded_objects;
        }
        Ok(Err(failure)) => {
            // PT_INTERP names the absolute FHS path; its kind was read under the root.
            let fhs_path = system::fhs_loader_under(Path::new("/"));
            let fhs_kind = result.environment.nix_ld.fhs_loader;
            let fhs = fhs_kind.map(|k| (k, fhs_path.as_path()));
            let generic = interpreter::cannot_start_finding(
                &interpreter,
                failure.exec_error.as_deref(),
                &failure.stderr.text,
                fhs,
            );
            result.findings.push(interpreter::explained_by_nix_ld(
                generic,
                &interpreter,
                fhs,
                &settings.nix_ld_loader(),
            ));
        }
        Err(_) => {}
    }
    result.environment.python = python_facts(&interpreter, result.facts.as_ref(), settings);
    result.environment.nix_env = nix_env::detect(
        &interpreter,
        &result.environment.python,
        result.facts.as_ref(),
        &settings.store_dir,
    );
    result.interpreter = Some(interpreter);
    result
}

/// Machine and interpreter facts read from files alone, without running the interpreter
/// (`scan PATH` needs no more, and an interpreter start costs more than the scan itself). A
/// PT_INTERP that does not exist is still reported as an interpreter that cannot start.
pub fn describe_without_running(
    interpreter: &Interpreter,
    settings: &Settings,
    options: &EnvOptions,
) -> EnvProbe {
    let mut result = EnvProbe {
        environment: machine_facts(settings, &options.root),
        ..EnvProbe::default()
    };
    result.environment.python = python_facts(interpreter, None, settings);
    result.environment.nix_env = nix_env::detect(
        interpreter,
        &result.environment.python,
        None,
        &settings.store_dir,
    );
    if let Some(loader) = result.environment.python.loader.as_deref()
        && !Path::new(loader).exists()
    {
        result.findings.push(interpreter::cannot_start_finding(
            interpreter,
            None,
            "",
            None,
        ));
    }
    result.interpreter = Some(interpreter.clone());
    result
}

/// OS, nix-ld, paths: what does not need the interpreter.
pub fn machine_facts(settings: &Settings, root: &Path) -> Environment {
    let (fhs_kind, fhs_target) = system::classify_fhs_loader(&system::fhs_loader_under(root));
    Environment {
        source: EnvSource::Probed,
        os: OsFacts {
            nixos: system::is_nixos(root),
            ..OsFacts::default()
        },
        python: PythonFacts::default(),
        nix_ld: NixLdFacts {
            shim: Some(fhs_kind == FhsLoaderKind::NixLd),
            nix_ld: settings.nix_ld.clone(),
            library_path: settings
                .nix_ld_library_path
                .as_deref()
                .map(|v| v.split(':').map(str::to_string).collect())
                .unwrap_or_default(),
            fhs_loader: Some(fhs_kind),
            fhs_loader_target: fhs_target.map(|p| p.to_string_lossy().into_owned()),
        },
        ld_library_path: settings.ld_library_path.clone().unwrap_or_default(),
        in_nix_shell: settings.in_nix_shell.clone(),
        store_dir: Some(settings.store_dir.to_string_lossy().into_owned()),
        shell: shell::detect(settings),
        kernel: None,
        cuda: None,
        nix_env: None,
        store_module: None,
    }
}

/// The python block: kind from the real file's path (then the venv's base), loader from its
/// PT_INTERP, venv from `sys.prefix != sys.base_prefix` or a `pyvenv.cfg`.
pub fn python_facts(
    interpreter: &Interpreter,
    facts: Option<&InterpreterFacts>,
    settings: &Settings,
) -> PythonFacts {
    let store = settings.store_dir.to_string_lossy();
    let venv_cfg = pyvenv_cfg(&interpreter.path);
    let (venv, base_prefix) = match facts {
        Some(f) if f.in_venv() => (f.prefix.clone(), f.base_prefix.clone()),
        Some(_) => (None, None),
        None => match &venv_cfg {
            Some(cfg) => (
                Some(cfg.dir.to_string_lossy().into_owned()),
                cfg.home.as_ref().map(|h| parent_of_bin(h)),
            ),
            None => (None, None),
        },
    };
    let loader = pt_interp::read(&interpreter.real)
        .path()
        .map(str::to_string);
    // Without running it, a venv's pyvenv.cfg still says which python it was made with.
    let version = facts
        .and_then(|f| f.version.clone())
        .or_else(|| venv_cfg.as_ref().and_then(|c| c.version.clone()));
    // A conda env is no venv (its prefix is its base), but its tooling is conda's.
    let conda_env = || {
        let prefix = facts
            .and_then(|f| f.prefix.clone())
            .map(PathBuf::from)
            .or_else(|| interpreter.real.parent()?.parent().map(Path::to_path_buf))?;
        prefix.join("conda-meta").is_dir().then_some(prefix)
    };
    let venv_facts = match venv.as_deref() {
        Some(dir) => Some(venv::describe(Path::new(dir))),
        None => conda_env().map(|prefix| venv::describe(&prefix)),
    };
    PythonFacts {
        venv_tool: venv_facts.as_ref().map(|v| v.tool.as_str().to_string()),
        venv_has_pip: venv_facts.as_ref().map(|v| v.has_pip),
        venv_copies: venv_facts.as_ref().map(|v| v.copies),
        executable: Some(
            facts
                .and_then(|f| f.executable.clone())
                .filter(|e| !e.is_empty())
                .unwrap_or_else(|| interpreter.path.to_string_lossy().into_owned()),
        ),
        kind: python_kind(&interpreter.real, base_prefix.as_deref(), settings, &store),
        // A loader that is not there is no flavour at all (the python cannot start).
        loader_flavor: match loader.as_deref() {
            Some(l) if !Path::new(l).exists() => LoaderFlavor::Unknown,
            l => loader_flavor(l, &store),
        },
        loader,
        nix_attribute: version.as_deref().and_then(classify::nix_python_attribute),
        version,
        venv,
        base_prefix,
        ..PythonFacts::default()
    }
}

/// The kind of the real interpreter file; for a venv made with `--copies`, that of its base.
pub fn python_kind(
    real: &Path,
    base_prefix: Option<&str>,
    settings: &Settings,
    store: &str,
) -> PythonKind {
    let candidates = std::iter::once(real.to_path_buf())
        .chain(base_prefix.map(|b| Path::new(b).join("bin/python")));
    for candidate in candidates {
        let kind = kind_of_path(&candidate, settings, store);
        if kind != PythonKind::Unknown {
            return kind;
        }
    }
    PythonKind::Unknown
}

/// The path classifier, plus what only this machine knows: custom pyenv and uv roots, and a
/// prefix with `conda-meta/`.
fn kind_of_path(path: &Path, settings: &Settings, store: &str) -> PythonKind {
    let text = path.to_string_lossy();
    let under = |root: &Option<String>| root.as_deref().is_some_and(|r| path.starts_with(r));
    if under(&settings.pyenv_root)
        && !text.starts_with(&format!("{}/", store.trim_end_matches('/')))
    {
        return PythonKind::Pyenv;
    }
    if under(&settings.uv_python_install_dir) {
        return PythonKind::UvManaged;
    }
    let kind = classify::python_kind_of_path(&text, store);
    if kind == PythonKind::Unknown
        && path
            .parent()
            .and_then(Path::parent)
            .is_some_and(|prefix| prefix.join("conda-meta").is_dir())
    {
        return PythonKind::Conda;
    }
    kind
}

/// The loader's flavour, by the loader's own classifier (the path as PT_INTERP writes it: a
/// link into the store is not followed, as this has always reported it); none without one.
pub fn loader_flavor(loader: Option<&str>, store: &str) -> LoaderFlavor {
    match loader {
        Some(l) => crate::loader::flavor::classify(Path::new(l), Path::new(l), Path::new(store)),
        None => LoaderFlavor::Unknown,
    }
}

/// A venv's directory and its `pyvenv.cfg` `home`, for `DIR/bin/python`.
/// A venv's `pyvenv.cfg` beside `bin/`: its directory and its keys.
struct PyvenvCfg {
    dir: PathBuf,
    home: Option<String>,
    /// `version` (venv) or `version_info` (uv, virtualenv).
    version: Option<String>,
}

fn pyvenv_cfg(python: &Path) -> Option<PyvenvCfg> {
    let dir = python.parent()?.parent()?;
    let text = std::fs::read_to_string(dir.join("pyvenv.cfg")).ok()?;
    let key = |name: &str| {
        text.lines().find_map(|line| {
            let (key, value) = line.split_once('=')?;
            (key.trim() == name).then(|| value.trim().to_string())
        })
    };
    Some(PyvenvCfg {
        dir: dir.to_path_buf(),
        home: key("home"),
        version: key("version").or_else(|| key("version_info")),
    })
}

/// `home` in pyvenv.cfg is the base's `bin` directory; the base prefix is its parent.
fn parent_of_bin(home: &str) -> String {
    let path = Path::new(home);
    match path.file_name() {
        Some(name) if name == "bin" => path
            .parent()
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_else(|| home.to_string()),
        _ => home.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loader_flavours() {
        let s = "/nix/store";
        // pkgsMusl: in the store, and musl (env once said nix-glibc here, the loader musl).
        assert_eq!(
            loader_flavor(Some("/nix/store/x-musl-1.2.5/lib/ld-musl-x86_64.so.1"), s),
            LoaderFlavor::Musl
        );
        assert_eq!(
            loader_flavor(Some("/lib/ld-musl-x86_64.so.1"), s),
            LoaderFlavor::Musl
        );
        assert_eq!(loader_flavor(None, s), LoaderFlavor::Unknown);
    }
}
