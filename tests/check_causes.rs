//! The cause tables (`rules/tables/causes.toml`) as `check` applies them to a real import:
//! a signal the table names is a cause (SIGILL: illegal instruction), one it does not name is
//! said as it is; a package directory next to a project file in the working directory is a
//! source checkout that shadows the installed package.

#[path = "check_common.rs"]
mod common;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use common::{findings, pydoctor};
use serde_json::Value;

/// A venv holding `pdsigill` and `pdsegv`, modules whose import kills the interpreter with
/// that signal, and `pdcheckout`, a package that fails to import.
fn venv() -> Option<&'static PathBuf> {
    static VENV: OnceLock<Option<PathBuf>> = OnceLock::new();
    VENV.get_or_init(|| {
        let python = common::venv_of(common::host()?, "causes/venv", &[])?;
        let venv = python.parent()?.parent()?.to_path_buf();
        let site = common::host()?.site_packages(&venv);
        let kill =
            |signal: &str| format!("import os, signal\nos.kill(os.getpid(), signal.{signal})\n");
        std::fs::write(site.join("pdsigill.py"), kill("SIGILL")).ok()?;
        std::fs::write(site.join("pdsegv.py"), kill("SIGSEGV")).ok()?;
        Some(python)
    })
    .as_ref()
}

fn check_json(module: &str, python: &Path, cwd: &Path) -> Value {
    let args = [
        "check",
        module,
        "--python",
        python.to_str().unwrap(),
        "--format",
        "json",
    ];
    let run = pydoctor(&args, &[], cwd);
    assert!(
        run.code == 1 || run.code == 3,
        "{}\n{}",
        run.stdout,
        run.stderr
    );
    run.json()
}

#[test]
fn sigill_is_an_illegal_instruction() {
    let Some(python) = venv() else { return };
    let cwd = tempfile::tempdir().unwrap();
    let doc = check_json("pdsigill", python, cwd.path());
    let found = findings(&doc, "illegal-instruction", false);
    assert_eq!(found, [("pdsigill".to_string(), String::new())], "{doc:#}");
    let detail = doc["findings"][0]["detail"].as_str().unwrap_or("");
    assert!(
        detail.ends_with("killed the interpreter with SIGILL"),
        "{doc:#}"
    );
}

#[test]
fn a_signal_the_table_does_not_name_is_said_as_it_is() {
    let Some(python) = venv() else { return };
    let cwd = tempfile::tempdir().unwrap();
    let doc = check_json("pdsegv", python, cwd.path());
    assert!(
        findings(&doc, "illegal-instruction", false).is_empty(),
        "{doc:#}"
    );
    let said = serde_json::to_string(&doc["findings"]).unwrap();
    assert!(
        said.contains("killed the interpreter with signal 11"),
        "{doc:#}"
    );
}

#[test]
fn a_package_next_to_a_project_file_is_a_source_checkout() {
    let Some(python) = venv() else { return };
    for project_file in ["pyproject.toml", "setup.py", "meson.build"] {
        let cwd = tempfile::tempdir().unwrap();
        let package = cwd.path().join("pdcheckout");
        std::fs::create_dir(&package).unwrap();
        std::fs::write(package.join("__init__.py"), "from . import _built\n").unwrap();
        std::fs::write(cwd.path().join(project_file), "").unwrap();
        let doc = check_json("pdcheckout", python, cwd.path());
        let found = findings(&doc, "source-tree-shadowing", false);
        assert_eq!(found.len(), 1, "{project_file}: {doc:#}");
        assert_eq!(found[0].0, "pdcheckout");
    }
    // The package alone, with no project file, is the user's code, not a checkout.
    let cwd = tempfile::tempdir().unwrap();
    let package = cwd.path().join("pdcheckout");
    std::fs::create_dir(&package).unwrap();
    std::fs::write(package.join("__init__.py"), "from . import _built\n").unwrap();
    let doc = check_json("pdcheckout", python, cwd.path());
    assert!(
        findings(&doc, "source-tree-shadowing", false).is_empty(),
        "{doc:#}"
    );
}
