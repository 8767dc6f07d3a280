//! The CLI behaves as documented and as ripgrep and uv users expect: the exit codes of
//! docs/commands/*.md, no panic when stdout is a closed pipe, `--help` wrapped to 80 columns
//! when stdout is not a terminal, one man page per command, `-q/--quiet`, an error for a scan
//! of nothing, and `check A B` reporting each module.

#[path = "support/host.rs"]
mod host;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const FIXTURE: &str = "fixtures/text/numpy-2.4-libstdcxx-hidden.txt";

fn pydoctor() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_pydoctor"));
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("NO_COLOR", "1")
        .current_dir(ROOT)
        .stdin(Stdio::null());
    cmd
}

struct Ran {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run(args: &[&str]) -> Ran {
    let out = pydoctor().args(args).output().expect("run pydoctor");
    Ran {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// A shared library built by gcc in `dir`, the one ELF file of a tree to scan and resolve.
fn elf_tree(dir: &Path) -> PathBuf {
    let src = dir.join("x.c");
    std::fs::write(&src, "int x(void) { return 1; }\n").unwrap();
    let lib = dir.join("libx.so");
    let built = Command::new("gcc")
        .args(["-shared", "-fPIC", "-o"])
        .arg(&lib)
        .arg(&src)
        .status()
        .is_ok_and(|s| s.success());
    assert!(built, "gcc could not build a shared library");
    lib
}

#[test]
fn no_command_panics_when_stdout_is_a_closed_pipe() {
    let t = tempfile::tempdir().unwrap();
    let lib = elf_tree(t.path());
    let lib = lib.to_str().unwrap();
    let tree = t.path().to_str().unwrap();
    let mut commands: Vec<Vec<&str>> = vec![
        vec!["--help"],
        vec!["--version"],
        vec!["check", "--help"],
        vec!["completions", "bash"],
        vec!["completions", "zsh"],
        vec!["manpage"],
        vec!["rules"],
        vec!["rules", "PD101"],
        vec!["rules", "--markdown"],
        vec!["explain", FIXTURE],
        vec!["explain", "--format", "json", FIXTURE],
        vec!["ldd", lib],
        vec!["ldd", "--format", "json", lib],
        vec!["scan", tree],
        vec!["scan", "--format", "github", tree],
        vec!["env"],
    ];
    let python = host::python().map(|p| p.executable.to_string_lossy().into_owned());
    if let Some(python) = &python {
        commands.push(vec!["check", "os", "--python", python]);
        commands.push(vec!["check", "os", "--format", "json", "--python", python]);
        commands.push(vec!["env", "--python", python]);
    } else {
        host::skip::skip("no python: check into a closed pipe not tried");
    }
    for args in commands {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let out = pydoctor()
            .args(&args)
            .stdout(writer)
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_ne!(out.status.code(), Some(101), "{args:?} panicked: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert!(out.status.code().is_some(), "{args:?} died of a signal");
    }
}

#[test]
fn explain_of_text_with_no_failure_exits_zero() {
    // docs/commands/explain.md: 0 "the text shows no failure".
    let t = tempfile::tempdir().unwrap();
    let log = t.path().join("green.log");
    std::fs::write(&log, "collected 12 items\n\n12 passed in 0.31s\n").unwrap();
    let ran = run(&["explain", log.to_str().unwrap()]);
    assert_eq!(ran.code, 0, "{}{}", ran.stdout, ran.stderr);
    let ran = run(&["explain", "--format", "json", log.to_str().unwrap()]);
    assert_eq!(ran.code, 0);
    let doc: Value = serde_json::from_str(&ran.stdout).unwrap();
    assert_eq!(doc["status"], "ok");
}

#[test]
fn ldd_of_a_file_that_is_not_elf_is_an_error() {
    // docs/commands/ldd.md: 2 "usage or I/O error (missing file, not an ELF file)".
    let t = tempfile::tempdir().unwrap();
    let text = t.path().join("passwd");
    std::fs::write(&text, "root:x:0:0:root:/root:/bin/sh\n").unwrap();
    let ran = run(&["ldd", text.to_str().unwrap()]);
    assert_eq!(ran.code, 2, "{}{}", ran.stdout, ran.stderr);
    assert!(ran.stderr.contains("not an ELF file"), "{}", ran.stderr);
    let ran = run(&["ldd", "--format", "json", text.to_str().unwrap()]);
    assert_eq!(ran.code, 2);
    let doc: Value = serde_json::from_str(&ran.stdout).expect("the error document");
    assert_eq!(doc["command"], "ldd");
    // A good file beside it does not make the wrong one right.
    let lib = elf_tree(t.path());
    let ran = run(&["ldd", lib.to_str().unwrap(), text.to_str().unwrap()]);
    assert_eq!(ran.code, 2, "{}{}", ran.stdout, ran.stderr);
    assert_eq!(run(&["ldd", lib.to_str().unwrap()]).code, 0);
}

#[test]
fn scan_of_a_dir_holding_nothing_to_scan_is_an_error_that_says_so() {
    let t = tempfile::tempdir().unwrap();
    std::fs::write(t.path().join("README"), "not a venv\n").unwrap();
    let ran = run(&["scan", t.path().to_str().unwrap()]);
    assert_eq!(ran.code, 2, "{}{}", ran.stdout, ran.stderr);
    assert!(ran.stderr.contains("nothing to scan"), "{}", ran.stderr);
    let ran = run(&["scan", "--format", "json", t.path().to_str().unwrap()]);
    assert_eq!(ran.code, 2);
    let doc: Value = serde_json::from_str(&ran.stdout).expect("the error document");
    assert_eq!(doc["command"], "scan");
}

#[test]
fn help_is_wrapped_to_80_columns_when_stdout_is_not_a_terminal() {
    let mut pages = vec![vec!["--help"], vec!["-h"]];
    for command in [
        "check",
        "explain",
        "ldd",
        "scan",
        "env",
        "rules",
        "completions",
    ] {
        pages.push(vec![command, "--help"]);
    }
    for args in pages {
        let mut cmd = pydoctor();
        let out = cmd.args(&args).env_remove("COLUMNS").output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{args:?}");
        let text = String::from_utf8(out.stdout).unwrap();
        for line in text.lines() {
            assert!(
                line.chars().count() <= 80,
                "{args:?}: {} columns: {line}",
                line.chars().count()
            );
        }
    }
}

#[test]
fn manpage_dir_writes_a_page_per_command_and_names_only_pages_that_exist() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("man1");
    let ran = run(&["manpage", "--dir", dir.to_str().unwrap()]);
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    for command in [
        "check",
        "explain",
        "ldd",
        "scan",
        "env",
        "rules",
        "completions",
    ] {
        let page = dir.join(format!("pydoctor-{command}.1"));
        assert!(page.is_file(), "no {}", page.display());
    }
    let named = regex::Regex::new(r"pydoctor\\?-([a-z]+)\(1\)").unwrap();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let page = entry.unwrap().path();
        let text = std::fs::read_to_string(&page).unwrap();
        for name in named.captures_iter(&text) {
            let target = dir.join(format!("pydoctor-{}.1", &name[1]));
            assert!(
                target.is_file(),
                "{} names {}, which was not written",
                page.display(),
                target.display()
            );
        }
    }
    assert!(dir.join("pydoctor.1").is_file());
    // The page on stdout names the same pages.
    let stdout = run(&["manpage"]).stdout;
    assert!(!stdout.contains("pydoctor-help"), "{stdout}");
}

#[test]
fn quiet_prints_the_verdict_line_only_with_the_same_exit_code() {
    let full = run(&["explain", FIXTURE]);
    let quiet = run(&["explain", "-q", FIXTURE]);
    assert_eq!(quiet.code, full.code);
    assert_eq!(quiet.code, 1);
    assert_eq!(quiet.stdout.lines().count(), 1, "{}", quiet.stdout);
    assert_eq!(quiet.stdout.lines().next(), full.stdout.lines().next());
    let long = run(&["--quiet", "explain", FIXTURE]);
    assert_eq!(long.stdout, quiet.stdout);
    // JSON is a contract: --quiet does not cut it.
    let json = run(&["explain", "-q", "--format", "json", FIXTURE]);
    assert_eq!(json.code, 1);
    serde_json::from_str::<Value>(&json.stdout).expect("whole JSON");
}

#[test]
fn check_of_two_modules_reports_each() {
    let Some(python) = host::python_or_skip() else {
        return;
    };
    let python = python.executable.to_str().unwrap();
    let t = tempfile::tempdir().unwrap();
    let out = pydoctor()
        .args(["check", "json", "pdnotinstalled", "--python", python])
        .current_dir(t.path())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("pdnotinstalled is not installed"), "{text}");
    assert!(text.contains("✓ json imports fine"), "{text}");
    // The fixes are for the module that failed, not the first one named.
    assert!(!text.contains("install json"), "{text}");
    assert!(text.contains("pip install pdnotinstalled"), "{text}");
    let out = pydoctor()
        .args(["check", "json", "os", "--python", python])
        .current_dir(t.path())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        text.contains("json imports fine") && text.contains("os imports fine"),
        "{text}"
    );
}
