//! Running a short helper program (the loader's `--help`, `nix-store --query`) with a time
//! limit and its stdout captured. A helper that hangs is killed; one that cannot be started,
//! fails or times out gives `None`, since these answers are always optional facts.

use std::process::{Command, Stdio};
use std::time::Duration;

use wait_timeout::ChildExt;

/// stdout of `command` when it exits successfully within `limit`.
pub fn stdout_within(mut command: Command, limit: Duration) -> Option<String> {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let mut stdout = child.stdout.take()?;
    // Read while waiting: a chatty helper would otherwise block on a full pipe.
    let reader = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = std::io::Read::read_to_end(&mut stdout, &mut s);
        s
    });
    match child.wait_timeout(limit) {
        Ok(Some(status)) if status.success() => {}
        Ok(Some(_)) => return None,
        _ => {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
    }
    let out = reader.join().ok()?;
    Some(String::from_utf8_lossy(&out).into_owned())
}
