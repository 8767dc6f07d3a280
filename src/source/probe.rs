//! Running the import inside the target interpreter, safely, and reading back what happened.
//!
//! The module name is validated before anything runs and passed as an argument, never spliced
//! into code. The probe (`probe.py`, embedded) is written to a private temporary directory and
//! run as `python -B probe.py OUT MODULE` without a shell, in its own process group, with the
//! request's environment and working directory (plus any overrides, for `check --verify`). It
//! writes its JSON record to OUT; stdout and stderr are captured, bounded in memory. On timeout
//! the whole process group is killed, grandchildren included.
//!
//! This module owns the probe and its record; what the record means is for `rules/`.

use std::collections::BTreeMap;
use std::io::Read;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use wait_timeout::ChildExt;

use crate::env::interpreter::Interpreter;
use crate::error::{Error, Result};
use crate::evidence::{ChainLink, Frame};
use crate::request::Request;

/// The probe's source, run inside the interpreter.
pub const PROBE_SOURCE: &str = include_str!("probe.py");

/// Longest module name accepted (far beyond any real one; keeps argv sane).
pub const MAX_MODULE_NAME: usize = 200;

/// A module name must be dotted identifiers: each part `[A-Za-z_][A-Za-z0-9_]*`.
/// Anything else is refused before anything runs.
pub fn validate_module_name(name: &str) -> Result<()> {
    let shown: String = name.chars().take(60).collect();
    let refuse = |why: &str| {
        Err(Error::Usage(format!(
            "invalid module name {shown:?}{}: {why}",
            if name.chars().count() > 60 { "…" } else { "" }
        )))
    };
    if name.is_empty() {
        return refuse("empty");
    }
    if name.len() > MAX_MODULE_NAME {
        return refuse(&format!("longer than {MAX_MODULE_NAME} characters"));
    }
    for part in name.split('.') {
        let mut chars = part.chars();
        match chars.next() {
            None => return refuse("empty part between dots"),
            Some(c) if !(c == '_' || c.is_ascii_alphabetic()) => {
                return refuse("each part must start with a letter or '_'");
            }
            Some(_) => {}
        }
        if !chars.all(|c| c == '_' || c.is_ascii_alphanumeric()) {
            return refuse("only letters, digits, '_' and '.' are allowed");
        }
    }
    Ok(())
}

/// How to run the probe: the environment and directory it runs in, and its limits.
#[derive(Debug, Clone)]
pub struct ProbeOptions {
    pub timeout: Duration,
    /// The child's whole environment (from the request: nothing of pydoctor's own leaks in).
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
    pub fn from_request(request: &Request, timeout: Duration) -> ProbeOptions {
        ProbeOptions {
            timeout,
            vars: request.vars.clone(),
            cwd: request.cwd.clone(),
            env_overrides: Vec::new(),
            env_removals: Vec::new(),
            capture_limit: 1024 * 1024,
        }
    }
}

/// Output of the child kept in memory: the head and the tail when it was long.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Captured {
    pub text: String,
    pub total_bytes: u64,
    pub truncated: bool,
}

/// What the interpreter reported about itself (the probe's `facts`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InterpreterFacts {
    /// `sys.executable`.
    pub executable: Option<String>,
    /// `/proc/self/exe`: the file really running (a wrapper's target after its exec).
    pub proc_exe: Option<String>,
    /// `3.11.7`.
    pub version: Option<String>,
    /// `sys.version`.
    pub version_full: Option<String>,
    pub implementation: Option<String>,
    pub prefix: Option<String>,
    pub base_prefix: Option<String>,
    pub exec_prefix: Option<String>,
    /// `sys.path` as the import saw it.
    #[serde(default)]
    pub path: Vec<String>,
    #[serde(default)]
    pub site_packages: Vec<String>,
    pub user_site: Option<String>,
    /// `LD_LIBRARY_PATH` as the process saw it at start (None: unset).
    pub ld_library_path: Option<String>,
    pub cwd: Option<String>,
    pub soabi: Option<String>,
    pub ldlibrary: Option<String>,
    pub libdir: Option<String>,
}

impl InterpreterFacts {
    /// In a venv: `sys.prefix` differs from `sys.base_prefix`.
    pub fn in_venv(&self) -> bool {
        matches!((&self.prefix, &self.base_prefix), (Some(p), Some(b)) if p != b)
    }
}

/// The file an `ImportError` link says the import was trying (CPython sets `name` and `path`
/// on the error when an extension module fails to load). `link` indexes `chain`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportTarget {
    pub link: usize,
    pub name: Option<String>,
    pub path: Option<String>,
}

/// Where one part of the dotted module name lives, found without importing anything.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpecPart {
    pub name: String,
    #[serde(default)]
    pub found: bool,
    pub origin: Option<String>,
    pub search_locations: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// One run of the probe in an interpreter that started.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ProbeResult {
    /// The module imported (empty for a facts run).
    pub module: String,
    /// The import succeeded.
    pub ok: bool,
    /// The probe wrote its final record (false: killed by timeout, or the process died during
    /// the import — see `signal` and `exit_status`).
    pub completed: bool,
    /// The exception chain, root cause first.
    pub chain: Vec<ChainLink>,
    pub import_targets: Vec<ImportTarget>,
    /// The error as Python printed it (`traceback.format_exception`), bounded.
    pub original_text: Option<String>,
    pub facts: Option<InterpreterFacts>,
    /// ELF files mapped in the process when the import ended: the already-loaded set.
    pub loaded_objects: Vec<String>,
    pub spec: Vec<SpecPart>,
    pub import_seconds: Option<f64>,
    pub wall_seconds: f64,
    pub timed_out: bool,
    pub exit_status: Option<i32>,
    /// The signal that ended the process (e.g. 4 = SIGILL), when one did.
    pub signal: Option<i32>,
    pub stdout: Captured,
    pub stderr: Captured,
}

impl ProbeResult {
    /// The extension module file the failed import was trying, root-most first.
    pub fn trying(&self) -> Option<&str> {
        self.import_targets.iter().find_map(|t| t.path.as_deref())
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

#[derive(Debug, Clone, PartialEq)]
pub enum ProbeOutcome {
    /// The probe ran (the import may have failed, hung or crashed the process).
    Ran(Box<ProbeResult>),
    /// The interpreter could not start: see `env::interpreter::cannot_start_finding`.
    CannotStart(StartFailure),
}

/// Import `module` in `interpreter` and record what happened.
pub fn run_import(
    interpreter: &Interpreter,
    module: &str,
    options: &ProbeOptions,
) -> Result<ProbeOutcome> {
    validate_module_name(module)?;
    let mut outcome = run_probe(interpreter, module, options)?;
    if let ProbeOutcome::Ran(result) = &mut outcome {
        result.module = module.to_string();
    }
    Ok(outcome)
}

/// Ask `interpreter` about itself (the probe's `--facts` mode).
pub fn run_facts(interpreter: &Interpreter, options: &ProbeOptions) -> Result<ProbeOutcome> {
    run_probe(interpreter, "--facts", options)
}

/// The probe's JSON record as written (`probe.py`).
#[derive(Debug, Deserialize)]
struct Record {
    phase: String,
    #[serde(default)]
    ok: bool,
    #[serde(default)]
    chain: Vec<RecordLink>,
    original_text: Option<String>,
    facts: Option<InterpreterFacts>,
    #[serde(default)]
    loaded_objects: Vec<String>,
    #[serde(default)]
    spec: Vec<SpecPart>,
    import_seconds: Option<f64>,
}

#[derive(Debug, Deserialize)]
struct RecordLink {
    #[serde(rename = "type")]
    exc_type: String,
    message: String,
    #[serde(default)]
    frames: Vec<Frame>,
    import_name: Option<String>,
    import_path: Option<String>,
}

fn run_probe(interpreter: &Interpreter, arg: &str, options: &ProbeOptions) -> Result<ProbeOutcome> {
    let dir = tempfile::Builder::new()
        .prefix("pydoctor-probe-")
        .tempdir()
        .map_err(|e| Error::Other(format!("cannot create a temporary directory: {e}")))?;
    let script = dir.path().join("pydoctor_probe.py");
    std::fs::write(&script, PROBE_SOURCE).map_err(|e| Error::io(&script, e))?;
    let out = dir.path().join("record.json");

    let mut command = Command::new(&interpreter.path);
    command
        .arg("-B")
        .arg(&script)
        .arg(&out)
        .arg(arg)
        .env_clear()
        .envs(child_env(options))
        .current_dir(&options.cwd)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);

    let started = Instant::now();
    let mut child = match command.spawn() {
        Ok(child) => child,
        Err(e) => {
            return Ok(ProbeOutcome::CannotStart(StartFailure {
                exec_error: Some(e.to_string()),
                ..StartFailure::default()
            }));
        }
    };
    let pgid = child.id() as libc::pid_t;
    let (tx, rx) = mpsc::channel();
    spawn_reader(
        child.stdout.take(),
        options.capture_limit,
        Stream::Out,
        tx.clone(),
    );
    spawn_reader(child.stderr.take(), options.capture_limit, Stream::Err, tx);

    let (status, timed_out) = match child.wait_timeout(options.timeout) {
        Ok(Some(status)) => (Some(status), false),
        Ok(None) => {
            // The child is not reaped yet, so its pid is still the group's id: kill them all.
            kill_group(pgid);
            (child.wait().ok(), true)
        }
        Err(e) => {
            kill_group(pgid);
            let _ = child.wait();
            return Err(Error::Other(format!("waiting for the probe: {e}")));
        }
    };
    let (stdout, stderr, readers_done) = collect_output(&rx, Duration::from_secs(2));
    if !readers_done {
        // Something left in the group still holds the pipes (a grandchild in the background).
        kill_group(pgid);
    }
    let wall_seconds = started.elapsed().as_secs_f64();
    let exit_status = status.and_then(|s| s.code());
    let signal = status.and_then(|s| s.signal());

    let record = std::fs::read(&out)
        .ok()
        .and_then(|bytes| serde_json::from_slice::<Record>(&bytes).ok());
    let run = ProbeResult {
        timed_out,
        wall_seconds,
        exit_status,
        signal,
        stdout,
        stderr,
        ..ProbeResult::default()
    };
    match record {
        Some(record) => Ok(ProbeOutcome::Ran(Box::new(result_of(record, run)))),
        // Killed before it wrote anything: it ran, but did not finish.
        None if timed_out => Ok(ProbeOutcome::Ran(Box::new(run))),
        None => Ok(ProbeOutcome::CannotStart(StartFailure {
            exec_error: None,
            exit_status: run.exit_status,
            signal: run.signal,
            stdout: run.stdout,
            stderr: run.stderr,
        })),
    }
}

fn child_env(options: &ProbeOptions) -> BTreeMap<String, String> {
    let mut vars = options.vars.clone();
    for name in &options.env_removals {
        vars.remove(name);
    }
    for (name, value) in &options.env_overrides {
        vars.insert(name.clone(), value.clone());
    }
    vars
}

fn result_of(record: Record, mut result: ProbeResult) -> ProbeResult {
    result.completed = record.phase == "done";
    result.ok = result.completed && record.ok;
    result.import_targets = record
        .chain
        .iter()
        .enumerate()
        .filter(|(_, l)| l.import_name.is_some() || l.import_path.is_some())
        .map(|(i, l)| ImportTarget {
            link: i,
            name: l.import_name.clone(),
            path: l.import_path.clone(),
        })
        .collect();
    result.chain = record
        .chain
        .into_iter()
        .map(|l| ChainLink {
            exc_type: l.exc_type,
            message: l.message,
            frames: l.frames,
        })
        .collect();
    result.original_text = record.original_text;
    result.facts = record.facts;
    result.loaded_objects = record.loaded_objects;
    result.spec = record.spec;
    result.import_seconds = record.import_seconds;
    result
}

fn kill_group(pgid: libc::pid_t) {
    // SAFETY: plain syscall; pgid is the id of a group this process created (process_group(0)).
    unsafe {
        libc::killpg(pgid, libc::SIGKILL);
    }
}

#[derive(Clone, Copy)]
enum Stream {
    Out,
    Err,
}

fn spawn_reader<R: Read + Send + 'static>(
    pipe: Option<R>,
    limit: usize,
    which: Stream,
    tx: mpsc::Sender<(Stream, Captured)>,
) {
    let Some(mut pipe) = pipe else {
        let _ = tx.send((which, Captured::default()));
        return;
    };
    std::thread::spawn(move || {
        let mut capture = BoundedCapture::new(limit);
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            match pipe.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => capture.push(&buf[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(_) => break,
            }
        }
        let _ = tx.send((which, capture.finish()));
    });
}

/// Wait (bounded) for both readers; a reader still blocked after `grace` is abandoned.
fn collect_output(
    rx: &mpsc::Receiver<(Stream, Captured)>,
    grace: Duration,
) -> (Captured, Captured, bool) {
    let deadline = Instant::now() + grace;
    let (mut out, mut err) = (None, None);
    while out.is_none() || err.is_none() {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok((Stream::Out, c)) => out = Some(c),
            Ok((Stream::Err, c)) => err = Some(c),
            Err(_) => break,
        }
    }
    let done = out.is_some() && err.is_some();
    (out.unwrap_or_default(), err.unwrap_or_default(), done)
}

/// Keeps the first and the last `limit / 2` bytes of a stream, counts the rest.
struct BoundedCapture {
    half: usize,
    head: Vec<u8>,
    tail: std::collections::VecDeque<u8>,
    total: u64,
}

impl BoundedCapture {
    fn new(limit: usize) -> BoundedCapture {
        BoundedCapture {
            half: (limit / 2).max(1),
            head: Vec::new(),
            tail: std::collections::VecDeque::new(),
            total: 0,
        }
    }

    fn push(&mut self, mut bytes: &[u8]) {
        self.total += bytes.len() as u64;
        let room = self.half.saturating_sub(self.head.len());
        let take = room.min(bytes.len());
        self.head.extend_from_slice(&bytes[..take]);
        bytes = &bytes[take..];
        if bytes.len() >= self.half {
            bytes = &bytes[bytes.len() - self.half..];
            self.tail.clear();
        }
        self.tail.extend(bytes);
        let excess = self.tail.len().saturating_sub(self.half);
        self.tail.drain(..excess);
    }

    fn finish(self) -> Captured {
        let kept = (self.head.len() + self.tail.len()) as u64;
        let truncated = self.total > kept;
        let mut text = String::from_utf8_lossy(&self.head).into_owned();
        if truncated {
            text.push_str(&format!("\n[… {} bytes not kept …]\n", self.total - kept));
        }
        let tail: Vec<u8> = self.tail.into_iter().collect();
        text.push_str(&String::from_utf8_lossy(&tail));
        Captured {
            text,
            total_bytes: self.total,
            truncated,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dotted_identifiers_are_accepted() {
        for ok in ["numpy", "numpy._core.multiarray", "_x", "a1.b_2", "X"] {
            assert!(validate_module_name(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn anything_else_is_refused() {
        let long = "a".repeat(10_000);
        for bad in [
            "",
            "os; import x",
            "a..b",
            "1abc",
            "../x",
            ".a",
            "a.",
            "a b",
            "é",
            "a-b",
            &long,
        ] {
            assert!(
                matches!(validate_module_name(bad), Err(Error::Usage(_))),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn capture_keeps_head_and_tail() {
        let mut c = BoundedCapture::new(10);
        for chunk in [&b"0123"[..], b"456789", b"abcdefgh", b"XYZ"] {
            c.push(chunk);
        }
        let got = c.finish();
        assert_eq!(got.total_bytes, 21);
        assert!(got.truncated);
        assert!(got.text.starts_with("01234"), "{}", got.text);
        assert!(
            got.text.ends_with("fghXY") || got.text.ends_with("ghXYZ"),
            "{}",
            got.text
        );
        let mut small = BoundedCapture::new(100);
        small.push(b"hello");
        assert_eq!(small.finish().text, "hello");
    }
}
