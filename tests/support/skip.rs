//! Skipping a test whose precondition is absent, loudly: `SKIPPED: <why>` on stderr, one line
//! appended to the skip log (`$PYDOCTOR_SKIP_LOG`, else `skipped.log` in Cargo's per-target
//! scratch dir) that `scripts/test.sh` prints at the end of the run, and a panic instead when
//! `PYDOCTOR_REQUIRE_ALL=1` (CI proves that everything ran).
//! Use from a test file with `#[path = "support/skip.rs"] mod skip;`.
#![allow(dead_code)]

use std::io::Write;
use std::path::PathBuf;

/// Where skips are recorded for the run's summary.
pub fn log_path() -> PathBuf {
    match std::env::var_os("PYDOCTOR_SKIP_LOG") {
        Some(path) if !path.is_empty() => PathBuf::from(path),
        _ => PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("skipped.log"),
    }
}

/// Whether every skip must fail the test instead (`PYDOCTOR_REQUIRE_ALL=1`).
pub fn require_all() -> bool {
    std::env::var_os("PYDOCTOR_REQUIRE_ALL").is_some_and(|v| v == "1")
}

/// Skip the calling test because `why`; the caller returns right after.
pub fn skip(why: impl std::fmt::Display) {
    let test = std::thread::current()
        .name()
        .unwrap_or("(unnamed thread)")
        .to_string();
    let binary = std::env::current_exe()
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .map(|name| match name.rsplit_once('-') {
            Some((stem, _hash)) => stem.to_string(),
            None => name,
        })
        .unwrap_or_default();
    if require_all() {
        panic!("SKIPPED: {why} (PYDOCTOR_REQUIRE_ALL=1 makes a skip a failure)");
    }
    eprintln!("SKIPPED: {why}");
    let line = format!("{binary}::{test}: {why}\n");
    let path = log_path();
    if let Some(dir) = path.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    // One write per line with O_APPEND: lines from parallel tests do not interleave.
    if let Ok(mut file) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
    {
        let _ = file.write_all(line.as_bytes());
    }
}

/// Whether tests may reach PyPI: not with `PYDOCTOR_OFFLINE=1`, nor when pypi.org cannot be
/// reached within a few seconds. Asked once per test binary.
pub fn online() -> bool {
    use std::net::{TcpStream, ToSocketAddrs};
    use std::sync::OnceLock;
    use std::time::Duration;
    static ONLINE: OnceLock<bool> = OnceLock::new();
    *ONLINE.get_or_init(|| {
        if std::env::var_os("PYDOCTOR_OFFLINE").is_some_and(|v| v == "1") {
            return false;
        }
        let Ok(addrs) = ("pypi.org", 443).to_socket_addrs() else {
            return false;
        };
        addrs
            .into_iter()
            .any(|addr| TcpStream::connect_timeout(&addr, Duration::from_secs(3)).is_ok())
    })
}

/// Whether this process runs as root (mount namespaces, overlays, other users).
pub fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}
