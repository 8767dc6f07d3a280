//! Which python a command diagnoses: `--python PATH`, the python of a Jupyter kernel
//! (`--kernel NAME`), or discovery ($VIRTUAL_ENV, ./.venv, python3 on PATH).
//!
//! A kernel brings its environment too: the variables its kernelspec sets are what the kernel
//! process has, so the import is run with them.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::cli::PythonArg;
use crate::env::kernel::{self, Kernelspec};
use crate::env::{self, EnvOptions, Interpreter, Settings, interpreter};
use crate::error::{Error, Result};
use crate::evidence::{CauseKind, Finding, KernelFacts};
use crate::request::Request;
use crate::source::package;

/// How long the other python may take to say where its packages are.
const OTHER_PYTHON_LIMIT: Duration = Duration::from_secs(15);

pub struct Target {
    pub interpreter: Interpreter,
    pub kernel: Option<Kernelspec>,
    /// The request, with the kernelspec's variables set when there is a kernel.
    pub request: Request,
    /// The env layer's view of that request, typed once.
    pub settings: Settings,
}

pub fn choose(arg: &PythonArg, request: &Request) -> Result<Target> {
    let settings = request.env_settings();
    let Some(name) = &arg.kernel else {
        return Ok(Target {
            interpreter: interpreter::discover(arg.python.as_deref(), &settings)?,
            kernel: None,
            request: request.clone(),
            settings,
        });
    };
    let spec = kernel::find(name, &settings, &env_prefixes(&settings))?;
    let python = kernel::python_of(&spec, &settings).ok_or_else(|| {
        Error::Usage(format!(
            "--kernel {name}: its python `{}` ({}) is not on PATH",
            spec.program,
            spec.file.display()
        ))
    })?;
    let interpreter = interpreter::discover(Some(&python), &settings).map_err(|e| {
        Error::Usage(format!(
            "--kernel {name} ({}): {}",
            spec.file.display(),
            e.to_string().trim_start_matches("--python ")
        ))
    })?;
    let mut request = request.clone();
    for (key, value) in &spec.env {
        let value = substitute(value, &request);
        request.vars.insert(key.clone(), value);
    }
    Ok(Target {
        interpreter,
        kernel: Some(spec),
        settings: request.env_settings(),
        request,
    })
}

/// The python environments whose `share/jupyter` holds kernels: the active venv and
/// `./.venv` (Jupyter's own environment, when it is installed there).
fn env_prefixes(settings: &Settings) -> Vec<PathBuf> {
    let mut prefixes: Vec<PathBuf> = settings
        .virtual_env
        .iter()
        .map(|v| settings.resolve(Path::new(v)))
        .collect();
    prefixes.push(settings.cwd.join(".venv"));
    prefixes
}

/// `$NAME` and `${NAME}` replaced by the variable, the way Jupyter fills a kernelspec's
/// `env` (Python's `string.Template.safe_substitute`: unknown names stay as written).
fn substitute(value: &str, request: &Request) -> String {
    let pattern =
        regex::Regex::new(r"\$(?:\$|\{([_A-Za-z][_A-Za-z0-9]*)\}|([_A-Za-z][_A-Za-z0-9]*))")
            .expect("a valid pattern");
    pattern
        .replace_all(value, |c: &regex::Captures| {
            let Some(name) = c.get(1).or_else(|| c.get(2)) else {
                return "$".to_string();
            };
            request
                .var(name.as_str())
                .map_or_else(|| c[0].to_string(), str::to_string)
        })
        .into_owned()
}

impl Target {
    /// The kernel's facts for the report; when the kernel's python lacks a module, whether
    /// another python of this shell has it.
    pub fn kernel_facts(&self, findings: &[Finding]) -> Option<KernelFacts> {
        let spec = self.kernel.as_ref()?;
        let mut facts = KernelFacts {
            name: spec.name.clone(),
            spec: spec.file.display().to_string(),
            display_name: spec.display_name.clone(),
            argv0: spec.program.clone(),
            env: spec.env.keys().cloned().collect(),
            user_overrides: spec.user_overrides,
            ..KernelFacts::default()
        };
        let missing = findings
            .iter()
            .find(|f| f.kind == CauseKind::ModuleNotFound)
            .and_then(|f| f.library.clone());
        if let Some(module) = missing
            && let Some((python, sys_path)) = self.other_python_with(&module)
        {
            let cwd = &self.request.cwd;
            facts.module_found_in_has_ipykernel =
                Some(package::locate("ipykernel", &sys_path, cwd).is_some());
            facts.module_found_in = Some(python.display().to_string());
        }
        Some(facts)
    }

    /// The python that discovery picks in this shell, when it is not the kernel's and it
    /// has `module`: its path and `sys.path`.
    fn other_python_with(&self, module: &str) -> Option<(PathBuf, Vec<String>)> {
        let settings = &self.settings;
        let other = interpreter::discover(None, settings).ok()?;
        if same_file(&other.real, &self.interpreter.real) && other.path == self.interpreter.path {
            return None;
        }
        let options = EnvOptions {
            timeout: OTHER_PYTHON_LIMIT,
            ..EnvOptions::default()
        };
        let probed = env::probe(Some(&other), settings, &options);
        let sys_path = probed.facts?.path;
        package::locate(module, &sys_path, &settings.cwd)?;
        Some((other.path, sys_path))
    }
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernel_env_values_are_filled_like_jupyter_fills_them() {
        let request = Request::with_vars(Path::new("/"), &[("HOME", "/home/u"), ("P", "/bin")]);
        assert_eq!(substitute("${HOME}/lib:$P", &request), "/home/u/lib:/bin");
        assert_eq!(
            substitute("$NOPE and ${NOPE}", &request),
            "$NOPE and ${NOPE}"
        );
        assert_eq!(substitute("cost $$5", &request), "cost $5");
    }
}
