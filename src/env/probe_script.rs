//! Running pydoctor's probe script (`probe.py`, embedded) in an interpreter: for its facts
//! (`env::interpreter_facts`) and for an import (`source::probe`).
//!
//! The script is written to a private temporary directory and run as
//! `python -B probe.py OUT ARG…` without a shell, through [`crate::process`], with exactly the
//! given environment and working directory: nothing of pydoctor's own leaks in. It writes its
//! JSON record to OUT; what the record means is for the caller.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::process::{self, Captured, Finished, Limits};

/// The probe's source, run inside the interpreter.
pub const PROBE_SOURCE: &str = include_str!("probe.py");

/// How to run the probe: the environment and directory it runs in, and its limits.
#[derive(Debug, Clone)]
pub struct ProbeOptions {
    pub timeout: Duration,
    /// The child's whole environment (the user's: nothing of pydoctor's own leaks in).
    pub vars: BTreeMap<String, String>,
    pub cwd: PathBuf,
    /// Set on top of `vars` (a fix's `LD_LIBRARY_PATH` for `check --verify`).
    pub env_overrides: Vec<(String, String)>,
    /// Removed from `vars`.
    pub env_removals: Vec<String>,
    /// Bytes kept of stdout and of stderr each (head and tail); the rest is drained.
    pub capture_limit: usize,
}

impl ProbeOptions {
    pub fn new(vars: BTreeMap<String, String>, cwd: PathBuf, timeout: Duration) -> ProbeOptions {
        ProbeOptions {
            timeout,
            vars,
            cwd,
            env_overrides: Vec::new(),
            env_removals: Vec::new(),
            capture_limit: 1024 * 1024,
        }
    }

    fn child_env(&self) -> BTreeMap<String, String> {
        let mut vars = self.vars.clone();
        for name in &self.env_removals {
            vars.remove(name);
        }
        for (name, value) in &self.env_overrides {
            vars.insert(name.clone(), value.clone());
        }
        vars
    }
}

/// The interpreter never got as far as running the probe.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StartFailure {
    /// exec itself failed (ENOENT for a missing PT_INTERP, EACCES …).
    pub exec_error: Option<String>,
    pub exit_status: Option<i32>,
    pub signal: Option<i32>,
    pub stdout: Captured,
    pub stderr: Captured,
}

impl StartFailure {
    /// It ran, but wrote no record.
    pub fn of(run: ScriptRun) -> StartFailure {
        StartFailure {
            exec_error: None,
            exit_status: run.finished.exit_code(),
            signal: run.finished.signal(),
            stdout: run.finished.stdout,
            stderr: run.finished.stderr,
        }
    }
}

/// One run of the script in an interpreter that could be executed.
#[derive(Debug, Clone, Default)]
pub struct ScriptRun {
    /// The record as last written (None: the process ended before it wrote one).
    pub record: Option<Vec<u8>>,
    /// Every thread's stack when the import outlived its watch (`probe.py`'s OUT.stack).
    pub stack_dump: Option<String>,
    pub finished: Finished,
}

/// Run the probe with `args` after OUT. `Err(StartFailure)` when exec itself failed.
pub fn run_script(
    python: &Path,
    args: &[&str],
    options: &ProbeOptions,
) -> Result<std::result::Result<ScriptRun, StartFailure>> {
    let dir = tempfile::Builder::new()
        .prefix("pydoctor-probe-")
        .tempdir()
        .map_err(|e| Error::Other(format!("cannot create a temporary directory: {e}")))?;
    let script = dir.path().join("pydoctor_probe.py");
    std::fs::write(&script, PROBE_SOURCE).map_err(|e| Error::io(&script, e))?;
    let out = dir.path().join("record.json");

    let mut command = Command::new(python);
    command
        .arg("-B")
        .arg(&script)
        .arg(&out)
        .args(args)
        .env_clear()
        .envs(options.child_env())
        .current_dir(&options.cwd);
    let limits = Limits {
        timeout: options.timeout,
        capture: options.capture_limit,
    };
    let finished = match process::run(&mut command, limits) {
        Ok(finished) => finished,
        Err(e) => {
            return Ok(Err(StartFailure {
                exec_error: Some(e.to_string()),
                ..StartFailure::default()
            }));
        }
    };
    Ok(Ok(ScriptRun {
        record: std::fs::read(&out).ok(),
        stack_dump: std::fs::read_to_string(out.with_extension("json.stack")).ok(),
        finished,
    }))
}
