//! Nothing an import starts outlives `pydoctor check`: a daemon that left the process group
//! (`start_new_session`, a double fork and `setsid`) is killed whether the import hangs past
//! `--timeout` or succeeds and leaves it behind. And a hang is diagnosed as one (PD541), saying
//! where it was. Each daemon carries a unique marker argument, looked for in /proc afterwards.

#[path = "check_common.rs"]
mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::{Run, pydoctor};

/// A marker no other process has in its command line.
fn marker(case: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("pydoctor-daemon-{case}-{}-{nanos}", std::process::id())
}

/// Python that starts the daemon (its way given by `start`, a statement using `argv`) and
/// waits until it is up, so that the test knows it existed.
fn module_source(start: &str, marker: &str, ready: &Path, then: &str) -> String {
    format!(
        "import os, subprocess, sys, time\n\
         ready = {ready:?}\n\
         argv = [sys.executable, '-c', 'import sys, time; open(sys.argv[2], \"w\").write(\"up\"); time.sleep(300)', {marker:?}, ready]\n\
         {start}\n\
         for _ in range(200):\n\
         \x20   if os.path.exists(ready):\n\
         \x20       break\n\
         \x20   time.sleep(0.05)\n\
         {then}\n",
        ready = ready.to_str().unwrap(),
    )
}

/// Live (not zombie) processes whose command line holds `marker`.
fn survivors(marker: &str) -> Vec<i32> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        let state = stat
            .rsplit(')')
            .next()
            .and_then(|r| r.split_whitespace().next());
        if String::from_utf8_lossy(&cmdline).contains(marker) && !matches!(state, Some("Z" | "X")) {
            found.push(pid);
        }
    }
    found
}

/// Fail when a marked process is alive, killing it first so that the test leaks nothing.
fn assert_none_survives(marker: &str, run: &Run) {
    let left = survivors(marker);
    for &pid in &left {
        // SAFETY: plain syscall on a process this test started (through pydoctor).
        unsafe {
            libc::kill(pid, libc::SIGKILL);
        }
    }
    assert!(
        left.is_empty(),
        "daemons {left:?} outlived pydoctor\n{}\n{}",
        run.stdout,
        run.stderr
    );
}

/// `pydoctor check MODULE --timeout 2 --format json` on the host python, in `dir`.
fn check(dir: &Path, module: &str) -> Option<(Run, Duration)> {
    let python = common::host_python()?;
    let started = Instant::now();
    let run = pydoctor(
        &[
            "check",
            module,
            "--python",
            python.to_str().unwrap(),
            "--timeout",
            "2",
            "--format",
            "json",
        ],
        &[],
        dir,
    );
    Some((run, started.elapsed()))
}

#[test]
fn a_hanging_import_is_diagnosed_and_its_setsid_daemon_does_not_survive() {
    let dir = tempfile::tempdir().unwrap();
    let marker = marker("hang");
    let ready = dir.path().join("ready");
    let start = "subprocess.Popen(argv, start_new_session=True)";
    let source = module_source(start, &marker, &ready, "while True:\n    time.sleep(1)");
    std::fs::write(dir.path().join("pdhangd.py"), source).unwrap();
    let Some((run, took)) = check(dir.path(), "pdhangd") else {
        return;
    };
    assert!(ready.exists(), "the daemon never started\n{}", run.stderr);
    assert_none_survives(&marker, &run);
    assert!(took < Duration::from_secs(15), "took {took:?}");
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    let doc = run.json();
    assert_eq!(doc["status"], "problems");
    let diagnosis = common::diagnosis(&doc, "unknown").expect("a diagnosis of the hang (PD541)");
    assert_eq!(diagnosis["rule"], "PD541");
    assert_eq!(
        diagnosis["summary"],
        "importing pdhangd did not finish within 2 s"
    );
    let finding = &doc["findings"][0];
    assert_eq!(finding["timeout_seconds"], 2);
    let at = finding["stuck_at"].as_str().unwrap();
    assert!(at.contains("pdhangd.py"), "{at}");
}

#[test]
fn an_import_that_succeeds_leaves_no_double_forked_daemon_behind() {
    let dir = tempfile::tempdir().unwrap();
    let marker = marker("ok");
    let ready = dir.path().join("ready");
    let start = "pid = os.fork()\n\
                 if pid == 0:\n\
                 \x20   os.setsid()\n\
                 \x20   if os.fork() == 0:\n\
                 \x20       os.execv(sys.executable, argv)\n\
                 \x20   os._exit(0)\n\
                 os.waitpid(pid, 0)";
    let source = module_source(start, &marker, &ready, "");
    std::fs::write(dir.path().join("pdokd.py"), source).unwrap();
    let Some((run, _)) = check(dir.path(), "pdokd") else {
        return;
    };
    assert!(ready.exists(), "the daemon never started\n{}", run.stderr);
    assert_none_survives(&marker, &run);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(run.json()["status"], "ok");
}
