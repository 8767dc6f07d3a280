//! `pydoctor fix` on an FHS (pyenv) python whose libstdc++ is hidden in a private mount
//! namespace (`scripts/fixtures/hide-lib.sh`): the fix is a distribution package, which `fix`
//! never installs. It prints the command, says it cannot apply it, changes nothing in the venv,
//! and exits 1. Needs root and `unshare -m`; skips loudly without them.

#[path = "check_common.rs"]
mod common;
#[path = "support/fixvenv.rs"]
mod fixvenv;

use std::path::{Path, PathBuf};

use common::{Run, clean, run_with_stdin};

const LIB_DIR: &str = "/usr/lib/x86_64-linux-gnu";

/// `program args` run with every libstdc++.so.6* of LIB_DIR whited out, or None after SKIPPED.
fn with_libstdcxx_hidden(program: &Path, args: &[&str], envs: &[(&str, &str)]) -> Option<Run> {
    if unsafe { libc::geteuid() } != 0 {
        common::skip("hiding a library needs root (mount namespace + overlay)");
        return None;
    }
    let mut names: Vec<String> = std::fs::read_dir(LIB_DIR)
        .ok()?
        .flatten()
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| n.starts_with("libstdc++.so.6"))
        .collect();
    names.sort();
    if names.is_empty() {
        common::skip(format!("no libstdc++.so.6 under {LIB_DIR} to hide"));
        return None;
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/fixtures/hide-lib.sh");
    let cwd = tempfile::tempdir().unwrap();
    let mut cmd = clean("unshare", cwd.path());
    cmd.args(["-m", "sh"])
        .arg(script)
        .arg(LIB_DIR)
        .arg(names.join(","))
        .arg("--")
        .arg(program)
        .args(args)
        .envs(envs.iter().copied());
    let run = run_with_stdin(&mut cmd, None);
    if run.stderr.contains("unshare:") || run.stderr.contains("mount:") {
        common::skip(format!("cannot hide a library here: {}", run.stderr.trim()));
        return None;
    }
    Some(run)
}

/// The FHS venv of the check tests (the host python, numpy 2.3.2 from PyPI).
fn fhs_venv() -> Option<PathBuf> {
    common::host_venv("fhs-numpy", &["numpy==2.3.2"])
}

#[test]
fn on_an_fhs_python_fix_prints_the_distribution_command_changes_nothing_and_exits_1() {
    let Some(made) = fhs_venv() else { return };
    let work = tempfile::tempdir().unwrap();
    let python = fixvenv::copy_venv(&made, work.path());
    let venv = python.parent().unwrap().parent().unwrap().to_path_buf();
    let before = fixvenv::tree(&venv);
    // A store with nothing in it: no library file on this machine to preload.
    let store = tempfile::tempdir().unwrap();
    let envs = [("NIX_STORE_DIR", store.path().to_str().unwrap())];

    let args = [
        "fix",
        "numpy",
        "--python",
        python.to_str().unwrap(),
        "--color",
        "never",
    ];
    let Some(run) = with_libstdcxx_hidden(common::bin(), &args, &envs) else {
        return;
    };
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("sudo apt-get install libstdc++6"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("pydoctor fix cannot apply this:"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("Nothing was changed"), "{}", run.stdout);
    assert_eq!(
        fixvenv::diff(&before, &fixvenv::tree(&venv)),
        Vec::<String>::new()
    );

    let mut json_args = args.to_vec();
    json_args.extend_from_slice(&["--format", "json"]);
    let Some(run) = with_libstdcxx_hidden(common::bin(), &json_args, &envs) else {
        return;
    };
    assert_eq!(run.code, 1, "{}", run.stderr);
    let doc = run.json();
    assert_eq!(doc["fix"]["action"], "cannot-apply");
    assert!(doc["fix"]["changes"].as_array().unwrap().is_empty());
    assert_eq!(doc["diagnoses"][0]["fixes"][0]["id"], "distro-package");
    assert_eq!(
        fixvenv::diff(&before, &fixvenv::tree(&venv)),
        Vec::<String>::new()
    );
}
