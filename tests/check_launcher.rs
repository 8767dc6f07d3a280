//! A python started through a launcher (a pyenv shim, a wrapper script): the launcher has no
//! PT_INTERP of its own, so the loader `check` resolves with must be that of the python the
//! launcher ran. It used to be read from the launcher, fail, and leave every file unresolved
//! ("the interpreter's loader could not be read") on every pyenv machine.

#[path = "check_common.rs"]
mod common;

use std::os::unix::fs::PermissionsExt;
use std::process::Command;

/// A stdlib module of `python` that is an extension module (a file with a loader to resolve).
fn extension_module(python: &std::path::Path) -> Option<String> {
    let code = "import importlib\n\
                for m in ['_ctypes', '_json', '_decimal', '_ssl', '_sqlite3', 'math']:\n\
                \x20   try:\n\
                \x20       f = getattr(importlib.import_module(m), '__file__', '') or ''\n\
                \x20   except ImportError:\n\
                \x20       continue\n\
                \x20   if f.endswith('.so'):\n\
                \x20       print(m); break\n";
    let out = Command::new(python).args(["-c", code]).output().ok()?;
    let name = String::from_utf8_lossy(&out.stdout).trim().to_string();
    (!name.is_empty()).then_some(name)
}

#[test]
fn a_python_behind_a_launcher_script_is_resolved_with_its_own_loader() {
    let Some(python) = common::host_python() else {
        return;
    };
    let Some(module) = extension_module(&python) else {
        common::skip(format!(
            "{} has no stdlib extension module",
            python.display()
        ));
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let launcher = dir.path().join("python3");
    std::fs::write(
        &launcher,
        format!("#!/bin/sh\nexec {} \"$@\"\n", python.display()),
    )
    .unwrap();
    std::fs::set_permissions(&launcher, std::fs::Permissions::from_mode(0o755)).unwrap();

    let args = [
        "check",
        &module,
        "--python",
        launcher.to_str().unwrap(),
        "--format",
        "json",
    ];
    let run = common::pydoctor(&args, &[], dir.path());
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let doc = run.json();
    assert!(doc["extra"]["note"].is_null(), "{doc:#}");
    let files = doc["extra"]["modules"][0]["elf_files"].as_u64().unwrap();
    assert!(files >= 1, "the extension module was not resolved: {doc:#}");
}
