//! `check` runs the package's import code, and nothing else: module names are validated
//! before anything runs, the probe gets the name as an argument (never through a shell or
//! spliced into code), `--no-import` runs none of the module's code, and no environment
//! variable or file the user did not name adds code to what runs. CLI behaviour only.
//!
//! The `check` command is written on another branch; until it lands here these are ignored
//! (run them with `cargo test --test hardening_check -- --ignored`).

// Shared with other support modules the same test may include.
#[allow(clippy::duplicate_mod)]
#[path = "support/host.rs"]
mod host;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The python under test (see `support/host.rs`); `python3` when none works, so that the
/// refusals, which never start it, are still tested.
fn python() -> PathBuf {
    host::python()
        .map(|p| p.executable.clone())
        .unwrap_or_else(|| PathBuf::from("python3"))
}

/// `pydoctor check ARGS…` with exactly `env`, in `cwd`, guarded against hangs.
fn check(args: &[&str], env: &[(&str, &str)], cwd: &Path) -> Output {
    use wait_timeout::ChildExt;
    let started = Instant::now();
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("pydoctor"))
        .arg("check")
        .args(args)
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .envs(env.iter().copied())
        .current_dir(cwd)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if child
        .wait_timeout(Duration::from_secs(120))
        .unwrap()
        .is_none()
    {
        let _ = child.kill();
        panic!("check {args:?} hung");
    }
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(started.elapsed() < Duration::from_secs(120));
    output
}

/// A package `evilpkg` whose `__init__` creates `marker` when imported.
fn marker_package(dir: &Path, marker: &Path) {
    let pkg = dir.join("evilpkg");
    std::fs::create_dir_all(&pkg).unwrap();
    std::fs::write(
        pkg.join("__init__.py"),
        format!(
            "open({:?}, 'w').write('imported')\n",
            marker.display().to_string()
        ),
    )
    .unwrap();
}

#[test]
fn a_module_name_with_code_in_it_is_refused_and_nothing_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let marker = tmp.path().join("x");
    let evil = format!("os; os.system('touch {}')", marker.display());
    let py = python();
    let out = check(&[&evil, "--python", py.to_str().unwrap()], &[], tmp.path());
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        stderr.trim_end().lines().count(),
        1,
        "one-line error: {stderr}"
    );
    assert!(stderr.contains("module name"), "{stderr}");
    std::thread::sleep(Duration::from_millis(200));
    assert!(!marker.exists(), "the code in the name ran");
}

#[test]
fn names_that_a_shell_or_python_would_interpret_are_all_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let marker = tmp.path().join("m");
    let m = marker.display().to_string();
    let py = python();
    let names = [
        format!("$(touch {m})"),
        format!("`touch {m}`"),
        format!("os;open('{m}','w')"),
        format!("__import__('os').system('touch {m}')"),
        "a b".to_string(),
        "../evil".to_string(),
        "/etc/passwd".to_string(),
        "evil\nimport os".to_string(),
        "-c".to_string(),
        "numpy.".to_string(),
        ".numpy".to_string(),
        "1abc".to_string(),
        "x".repeat(10_000),
        String::new(),
    ];
    for name in &names {
        let out = check(
            &["--python", py.to_str().unwrap(), "--", name],
            &[],
            tmp.path(),
        );
        assert_eq!(out.status.code(), Some(2), "{name:?} was accepted");
    }
    assert!(!marker.exists());
}

#[test]
fn no_import_runs_none_of_the_module_code() {
    let tmp = tempfile::tempdir().unwrap();
    let marker = tmp.path().join("imported");
    marker_package(tmp.path(), &marker);
    let pythonpath = tmp.path().display().to_string();
    let env = [("PYTHONPATH", pythonpath.as_str())];
    let py = python();
    let out = check(
        &["--no-import", "evilpkg", "--python", py.to_str().unwrap()],
        &env,
        tmp.path(),
    );
    assert!(
        out.status.code().is_some_and(|c| c != 2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!marker.exists(), "--no-import ran the package's __init__");

    // The control: without --no-import the same package is imported (so the test is real).
    check(
        &["evilpkg", "--python", py.to_str().unwrap()],
        &env,
        tmp.path(),
    );
    assert!(
        marker.exists(),
        "the package was not importable: the test proves nothing"
    );
}

#[test]
fn shell_start_files_named_by_the_environment_never_run() {
    // The probe is started directly, not through a shell: BASH_ENV and ENV are never read.
    let tmp = tempfile::tempdir().unwrap();
    let marker = tmp.path().join("shell-ran");
    let script = tmp.path().join("rc.sh");
    std::fs::write(&script, format!("touch {}\n", marker.display())).unwrap();
    let s = script.display().to_string();
    let py = python();
    check(
        &["json", "--python", py.to_str().unwrap()],
        &[("BASH_ENV", &s), ("ENV", &s), ("PYTHONSTARTUP", &s)],
        tmp.path(),
    );
    assert!(
        !marker.exists(),
        "a start file named by the environment ran"
    );
}

#[test]
fn pythoninspect_in_the_environment_does_not_leave_an_interactive_python_waiting() {
    let tmp = tempfile::tempdir().unwrap();
    let py = python();
    let started = Instant::now();
    let out = check(
        &["json", "--python", py.to_str().unwrap(), "--timeout", "20"],
        &[("PYTHONINSPECT", "1")],
        tmp.path(),
    );
    assert!(started.elapsed() < Duration::from_secs(30));
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
