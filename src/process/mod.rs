//! The one way pydoctor runs another program: the import probe, the loader's `--help`,
//! `nix-store --query`. Each run has a time limit, its own process group, stdin closed and
//! its output captured, bounded in memory. A child that outlives the limit is killed with its
//! whole group, and nothing it started survives the run: see [`reap`] for the daemons that
//! leave the group.

mod capture;
mod reap;

use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use wait_timeout::ChildExt;

pub use capture::Captured;
pub use reap::become_subreaper;

use capture::{Stream, collect_output, spawn_reader};

/// How long a run may take and how much of its output is kept.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub timeout: Duration,
    /// Bytes kept of stdout and of stderr each (head and tail); the rest is drained.
    pub capture: usize,
}

/// A run that started.
#[derive(Debug, Clone, Default)]
pub struct Finished {
    /// None only when waiting failed after the kill.
    pub status: Option<ExitStatus>,
    /// It outlived the limit and was killed.
    pub timed_out: bool,
    pub stdout: Captured,
    pub stderr: Captured,
    pub elapsed: Duration,
}

impl Finished {
    pub fn exit_code(&self) -> Option<i32> {
        self.status.and_then(|s| s.code())
    }

    /// The signal that ended the process (e.g. 4 = SIGILL), when one did.
    pub fn signal(&self) -> Option<i32> {
        self.status.and_then(|s| s.signal())
    }

    pub fn succeeded(&self) -> bool {
        !self.timed_out && self.status.is_some_and(|s| s.success())
    }
}

/// How long the pipes may stay open once the child is gone: a descendant that escaped the
/// reaping (re-parented elsewhere) still holds them.
const PIPE_GRACE: Duration = Duration::from_secs(2);

/// Run `command` within `limits`. `Err` only when it could not be started (the error of exec:
/// ENOENT, EACCES …); stdin, stdout, stderr and the process group are set here.
pub fn run(command: &mut Command, limits: Limits) -> std::io::Result<Finished> {
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    let started = Instant::now();
    let mut child = reap::start_run(command)?;
    let pid = child.id();
    let (tx, rx) = mpsc::channel();
    spawn_reader(child.stdout.take(), limits.capture, Stream::Out, tx.clone());
    spawn_reader(child.stderr.take(), limits.capture, Stream::Err, tx);

    let (status, timed_out) = match child.wait_timeout(limits.timeout) {
        Ok(Some(status)) => (Some(status), false),
        // A failed wait is treated as a hang: the child is killed rather than left running.
        Ok(None) | Err(_) => {
            // Not reaped yet, so its pid is still the group's id: kill them all.
            reap::kill_group(pid);
            (child.wait().ok(), true)
        }
    };
    reap::end_run(pid);
    let (stdout, stderr, readers_done) = collect_output(&rx, PIPE_GRACE);
    if !readers_done {
        // Something left in the background still holds the pipes: most likely a member of the
        // group, which keeps the group's id in use. (Without the subreaper, or while another
        // run is still active, nothing else has killed it.)
        reap::kill_group(pid);
    }
    Ok(Finished {
        status,
        timed_out,
        stdout,
        stderr,
        elapsed: started.elapsed(),
    })
}

/// stdout of `command` when it exits successfully within `limit`. A helper that cannot be
/// started, fails or times out gives `None`: these answers are always optional facts.
pub fn stdout_within(mut command: Command, limit: Duration) -> Option<String> {
    let limits = Limits {
        timeout: limit,
        capture: 64 * 1024 * 1024,
    };
    let finished = run(&mut command, limits).ok()?;
    finished.succeeded().then_some(finished.stdout.text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(script: &str) -> Command {
        let mut command = Command::new("sh");
        command.arg("-c").arg(script);
        command
    }

    fn limits(seconds: u64) -> Limits {
        Limits {
            timeout: Duration::from_secs(seconds),
            capture: 1024,
        }
    }

    #[test]
    fn a_quick_child_gives_its_output_and_status() {
        let done = run(&mut sh("echo out; echo err >&2; exit 3"), limits(10)).unwrap();
        assert_eq!(done.stdout.text, "out\n");
        assert_eq!(done.stderr.text, "err\n");
        assert_eq!(done.exit_code(), Some(3));
        assert!(!done.timed_out && !done.succeeded());
    }

    #[test]
    fn a_child_that_hangs_is_killed_at_the_limit() {
        let started = Instant::now();
        let done = run(&mut sh("echo before; exec sleep 60"), limits(1)).unwrap();
        assert!(done.timed_out);
        assert_eq!(done.signal(), Some(libc::SIGKILL));
        assert_eq!(done.stdout.text, "before\n");
        assert!(started.elapsed() < Duration::from_secs(10), "{done:?}");
    }

    #[test]
    fn a_program_that_does_not_exist_is_an_error_to_start() {
        let err = run(&mut Command::new("/nonexistent/pydoctor-x"), limits(1)).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
    }

    #[test]
    fn stdout_within_is_none_on_failure_and_on_timeout() {
        assert_eq!(
            stdout_within(sh("echo hi"), Duration::from_secs(10)).as_deref(),
            Some("hi\n")
        );
        assert_eq!(
            stdout_within(sh("echo hi; exit 1"), Duration::from_secs(10)),
            None
        );
        assert_eq!(
            stdout_within(sh("sleep 60"), Duration::from_millis(200)),
            None
        );
    }
}
