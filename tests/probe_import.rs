//! The probe against the real CPython of this machine: healthy and failing imports, a C
//! extension built here that needs a missing library, a hang with a grandchild, a flood of
//! output, refused module names, an interpreter that cannot start.

// Shared with other support modules the same test may include.
#[allow(clippy::duplicate_mod)]
#[path = "support/skip.rs"]
mod skip;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use pydoctor::env::interpreter::{HowFound, Interpreter};
use pydoctor::error::Error;
use pydoctor::request::Request;
use pydoctor::source::probe::{self, ProbeOptions, ProbeOutcome, ProbeResult};

fn host_python() -> Option<Interpreter> {
    let request = Request::from_process(vec![]);
    let found = request.env_settings().search_path("python3")?;
    // Through a pyenv shim this is a shell script; the probe runs it as the user would.
    Some(Interpreter::at(found, HowFound::Path))
}

fn options(cwd: &Path, timeout: Duration) -> ProbeOptions {
    let mut request = Request::from_process(vec![]);
    request.cwd = cwd.to_path_buf();
    ProbeOptions::new(request.vars.clone(), request.cwd.clone(), timeout)
}

fn ran(outcome: ProbeOutcome) -> ProbeResult {
    match outcome {
        ProbeOutcome::Ran(r) => *r,
        ProbeOutcome::CannotStart(f) => panic!("interpreter did not start: {f:?}"),
    }
}

macro_rules! python_or_skip {
    () => {
        match host_python() {
            Some(p) => p,
            None => {
                skip::skip("no python3 on PATH");
                return;
            }
        }
    };
}

#[test]
fn a_healthy_import_reports_ok_with_facts() {
    let py = python_or_skip!();
    let t = tempfile::tempdir().unwrap();
    let r = ran(probe::run_import(
        &py.path,
        "json",
        &options(t.path(), Duration::from_secs(60)),
    )
    .unwrap());
    assert!(r.ok && r.completed, "{r:?}");
    assert!(r.chain.is_empty());
    let facts = r.facts.expect("facts");
    assert!(
        facts
            .version
            .as_deref()
            .is_some_and(|v| v.starts_with("3."))
    );
    assert_eq!(
        facts.path.first().map(String::as_str),
        Some(""),
        "sys.path[0] is the cwd, as with -c"
    );
    assert!(
        r.loaded_objects.iter().any(|o| o.contains("libc.so")),
        "{:?}",
        r.loaded_objects
    );
    assert_eq!(r.spec.first().map(|s| s.found), Some(true));
}

#[test]
fn a_module_that_is_not_installed_gives_module_not_found() {
    let py = python_or_skip!();
    let t = tempfile::tempdir().unwrap();
    let r = ran(probe::run_import(
        &py.path,
        "pydoctor_surely_not_installed.sub",
        &options(t.path(), Duration::from_secs(60)),
    )
    .unwrap());
    assert!(!r.ok && r.completed);
    assert_eq!(r.chain.len(), 1);
    assert_eq!(r.chain[0].exc_type, "ModuleNotFoundError");
    assert!(r.chain[0].message.contains("pydoctor_surely_not_installed"));
    assert_eq!(r.spec.first().map(|s| s.found), Some(false));
}

fn python_include(py: &Interpreter) -> Option<PathBuf> {
    let out = Command::new(&py.path)
        .args([
            "-c",
            "import sysconfig; print(sysconfig.get_paths()['include'])",
        ])
        .output()
        .ok()?;
    Some(PathBuf::from(String::from_utf8(out.stdout).ok()?.trim()))
}

fn gcc(args: &[&str]) -> bool {
    Command::new("gcc")
        .args(args)
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

#[test]
fn a_c_extension_needing_a_missing_library_fails_with_the_loader_message() {
    let py = python_or_skip!();
    let t = tempfile::tempdir().unwrap();
    let (libdir, mods) = (t.path().join("lib"), t.path().join("mods"));
    std::fs::create_dir_all(&libdir).unwrap();
    std::fs::create_dir_all(&mods).unwrap();
    std::fs::write(libdir.join("m.c"), "int pd_missing(void){return 7;}\n").unwrap();
    std::fs::write(
        mods.join("pdext.c"),
        "#include <Python.h>\nint pd_missing(void);\n\
         static struct PyModuleDef d = {PyModuleDef_HEAD_INIT, \"pdext\", 0, -1, 0};\n\
         PyMODINIT_FUNC PyInit_pdext(void){ pd_missing(); return PyModule_Create(&d); }\n",
    )
    .unwrap();
    let include = python_include(&py).expect("python include dir");
    let s = |p: &Path| p.to_string_lossy().to_string();
    let built = gcc(&[
        "-shared",
        "-fPIC",
        "-Wl,-soname,libpdmissing.so.1",
        "-o",
        &s(&libdir.join("libpdmissing.so.1")),
        &s(&libdir.join("m.c")),
    ]) && gcc(&[
        "-shared",
        "-fPIC",
        &format!("-I{}", s(&include)),
        "-o",
        &s(&mods.join("pdext.so")),
        &s(&mods.join("pdext.c")),
        &s(&libdir.join("libpdmissing.so.1")),
    ]);
    if !built {
        skip::skip("gcc could not build the extension (Python.h missing?)");
        return;
    }
    let r = ran(
        probe::run_import(&py.path, "pdext", &options(&mods, Duration::from_secs(60))).unwrap(),
    );
    assert!(!r.ok && r.completed);
    let root = &r.chain[0];
    assert_eq!(root.exc_type, "ImportError");
    assert!(
        root.message
            .contains("libpdmissing.so.1: cannot open shared object file"),
        "{}",
        root.message
    );
    assert_eq!(r.trying(), Some(mods.join("pdext.so").to_str().unwrap()));
    assert!(
        r.original_text
            .as_deref()
            .is_some_and(|t| t.contains("Traceback"))
    );
}

fn is_dead(pid: i32) -> bool {
    for _ in 0..50 {
        match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
            Err(_) => return true,
            Ok(stat) => {
                let state = stat
                    .rsplit(')')
                    .next()
                    .and_then(|r| r.split_whitespace().next());
                if state == Some("Z") || state == Some("X") {
                    return true;
                }
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    false
}

#[test]
fn a_hanging_import_is_killed_with_its_grandchildren() {
    let py = python_or_skip!();
    let t = tempfile::tempdir().unwrap();
    let pids = t.path().join("pids");
    std::fs::write(
        t.path().join("pdhang.py"),
        format!(
            "import os, subprocess, time\n\
             g = subprocess.Popen(['sleep', '1000'])\n\
             open({:?}, 'w').write('%d %d' % (os.getpid(), g.pid))\n\
             time.sleep(1000)\n",
            pids.to_str().unwrap()
        ),
    )
    .unwrap();
    let started = std::time::Instant::now();
    let r = ran(probe::run_import(
        &py.path,
        "pdhang",
        &options(t.path(), Duration::from_secs(3)),
    )
    .unwrap());
    assert!(r.timed_out && !r.ok && !r.completed, "{r:?}");
    assert!(started.elapsed() < Duration::from_secs(20));
    let text = std::fs::read_to_string(&pids).expect("the module ran and wrote its pids");
    let ids: Vec<i32> = text
        .split_whitespace()
        .map(|p| p.parse().unwrap())
        .collect();
    for pid in ids {
        assert!(is_dead(pid), "process {pid} survived the timeout");
    }
}

#[test]
fn fifty_megabytes_on_stdout_are_bounded_and_the_probe_finishes() {
    let py = python_or_skip!();
    let t = tempfile::tempdir().unwrap();
    std::fs::write(
        t.path().join("pdloud.py"),
        "import sys\nfor _ in range(50):\n    sys.stdout.write('x' * 1_000_000)\nsys.stdout.flush()\n",
    )
    .unwrap();
    let r = ran(probe::run_import(
        &py.path,
        "pdloud",
        &options(t.path(), Duration::from_secs(60)),
    )
    .unwrap());
    assert!(r.ok && r.completed, "{:?}", r.stderr);
    assert_eq!(r.stdout.total_bytes, 50_000_000);
    assert!(r.stdout.truncated);
    assert!(r.stdout.text.len() < 1_100_000, "{}", r.stdout.text.len());
}

#[test]
fn invalid_module_names_are_refused_before_anything_runs() {
    use std::os::unix::fs::PermissionsExt;
    let t = tempfile::tempdir().unwrap();
    let marker = t.path().join("ran");
    let fake = t.path().join("python");
    std::fs::write(&fake, format!("#!/bin/sh\ntouch {}\n", marker.display())).unwrap();
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    let py = Interpreter::at(fake, HowFound::Flag);
    let long = "a".repeat(10_000);
    for bad in [
        "os; import x",
        "os; os.system('id')",
        "a..b",
        "",
        "1abc",
        "../x",
        long.as_str(),
    ] {
        let got = probe::run_import(&py.path, bad, &options(t.path(), Duration::from_secs(5)));
        assert!(
            matches!(got, Err(Error::Usage(_))),
            "{bad:?} was not refused"
        );
    }
    assert!(
        !marker.exists(),
        "the interpreter was run for an invalid name"
    );
}

#[test]
fn an_interpreter_whose_loader_is_missing_cannot_start() {
    let t = tempfile::tempdir().unwrap();
    let src = t.path().join("m.c");
    std::fs::write(&src, "int main(void){return 0;}\n").unwrap();
    let exe = t.path().join("python3");
    let s = |p: &Path| p.to_string_lossy().to_string();
    if !gcc(&[
        &s(&src),
        "-o",
        &s(&exe),
        "-Wl,--dynamic-linker=/lib64/ld-nowhere-x86-64.so.2",
    ]) {
        skip::skip("gcc could not build the fixture");
        return;
    }
    let py = Interpreter::at(exe, HowFound::Flag);
    match probe::run_import(
        &py.path,
        "json",
        &options(t.path(), Duration::from_secs(10)),
    )
    .unwrap()
    {
        ProbeOutcome::CannotStart(f) => {
            assert!(f.exec_error.is_some(), "{f:?}");
            let finding = pydoctor::env::interpreter::cannot_start_finding(
                &py,
                f.exec_error.as_deref(),
                &f.stderr.text,
                None,
            );
            assert!(
                finding
                    .detail
                    .contains("PT_INTERP /lib64/ld-nowhere-x86-64.so.2 does not exist")
            );
        }
        other => panic!("expected CannotStart, got {other:?}"),
    }
}

#[test]
fn a_python_that_exits_before_the_probe_cannot_start() {
    use std::os::unix::fs::PermissionsExt;
    let t = tempfile::tempdir().unwrap();
    let fake = t.path().join("python");
    std::fs::write(&fake, "#!/bin/sh\necho 'error while loading shared libraries: libpython3.11.so.1.0' >&2\nexit 127\n").unwrap();
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    let py = Interpreter::at(fake, HowFound::Flag);
    match probe::run_import(
        &py.path,
        "json",
        &options(t.path(), Duration::from_secs(10)),
    )
    .unwrap()
    {
        ProbeOutcome::CannotStart(f) => {
            assert_eq!(f.exit_status, Some(127));
            assert!(f.stderr.text.contains("libpython3.11.so.1.0"));
        }
        other => panic!("expected CannotStart, got {other:?}"),
    }
}
