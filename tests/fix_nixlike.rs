//! `pydoctor fix` end to end on the Nix-like python, with a pip venv and a uv venv holding real
//! numpy 2.3.2 and pandas wheels: the fix makes `import numpy, pandas` work in a new process,
//! `--undo` gives back the venv byte for byte, `--dry-run` and a second `fix` change nothing, a
//! failing fix is rolled back, a fix killed after any step is finished or cleaned up by the
//! next run, and a library that vanishes from the store gives one warning line that `check`
//! explains.

#[path = "check_common.rs"]
mod common;
#[path = "support/fixvenv.rs"]
mod fixvenv;

use std::path::{Path, PathBuf};

use common::{Run, pydoctor};
use fixvenv::{copy_venv, diff, python_c, tree};
use serde_json::Value;

const IMPORT_BOTH: &str = "import numpy, pandas";
const ABORT_VAR: &str = "PYDOCTOR_TEST_FIX_ABORT_AFTER";

/// `pydoctor ARGS --python PYTHON` with the store of `root`, plus `envs`.
fn fix(root: &Path, python: &Path, args: &[&str], envs: &[(&str, &str)]) -> Run {
    let store = fixvenv::store_dir(root);
    let mut all: Vec<&str> = args.to_vec();
    all.extend_from_slice(&["--python", python.to_str().unwrap(), "--color", "never"]);
    let mut vars = vec![("NIX_STORE_DIR", store.to_str().unwrap())];
    vars.extend_from_slice(envs);
    let cwd = tempfile::tempdir().unwrap();
    pydoctor(&all, &vars, cwd.path())
}

/// A copy of the store's pip venv, to change: (store root, its temporary dir, its python).
fn fresh_pip_venv(store: &str) -> Option<(PathBuf, tempfile::TempDir, PathBuf)> {
    let root = fixvenv::store(store)?;
    let made = fixvenv::pip_venv(&root)?;
    let work = tempfile::tempdir().unwrap();
    let python = copy_venv(&made, work.path());
    Some((root, work, python))
}

fn venv_dir(python: &Path) -> PathBuf {
    python.parent().unwrap().parent().unwrap().to_path_buf()
}

/// The whole story on one venv: broken, fixed, proven in a new process, undone to the byte.
fn fix_then_undo(root: &Path, made: &Path) {
    let work = tempfile::tempdir().unwrap();
    let python = copy_venv(made, work.path());
    let venv = venv_dir(&python);
    let (works, said) = python_c(&python, IMPORT_BOTH);
    assert!(
        !works && said.contains("libstdc++.so.6"),
        "broken before: {said}"
    );
    let before = tree(&venv);

    let run = fix(root, &python, &["fix", "numpy"], &[]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stdout.starts_with("✓ fixed: numpy now imports"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("LD_LIBRARY_PATH = lib.makeLibraryPath [ stdenv.cc.cc.lib zlib ];"),
        "the declarative equivalent: {}",
        run.stdout
    );
    assert!(
        run.stdout.contains("languages.python.libraries"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("not pinned"),
        "a test store is never pinned: {}",
        run.stdout
    );
    let (works, said) = python_c(&python, IMPORT_BOTH);
    assert!(works, "numpy and pandas import in a new process: {said}");
    assert!(
        said.is_empty(),
        "the preload is silent when it works: {said}"
    );
    let (works, said) = fixvenv::python_args(&python, &["-X", "dev", "-W", "error", "-c", "pass"]);
    assert!(
        works && said.is_empty(),
        "no warning even in dev mode: {said}"
    );

    // check sees the fix.
    let checked = fix(root, &python, &["check", "numpy"], &[]);
    assert_eq!(checked.code, 0, "{}", checked.stdout);
    assert!(
        checked.stdout.contains("note: fixed by pydoctor fix on "),
        "{}",
        checked.stdout
    );
    assert!(!checked.stdout.contains("warning:"), "{}", checked.stdout);

    let undone = fix(root, &python, &["fix", "--undo"], &[]);
    assert_eq!(undone.code, 0, "{}\n{}", undone.stdout, undone.stderr);
    assert!(undone.stdout.starts_with("✓ undone:"), "{}", undone.stdout);
    assert_eq!(
        diff(&before, &tree(&venv)),
        Vec::<String>::new(),
        "byte for byte"
    );
    assert!(!python_c(&python, IMPORT_BOTH).0, "broken again after undo");
}

#[test]
fn fix_numpy_makes_numpy_and_pandas_import_in_a_pip_venv_and_undo_restores_every_byte() {
    let Some(root) = fixvenv::store("main") else {
        return;
    };
    let Some(made) = fixvenv::pip_venv(&root) else {
        return;
    };
    fix_then_undo(&root, &made);
}

#[test]
fn fix_numpy_makes_numpy_and_pandas_import_in_a_uv_venv_and_undo_restores_every_byte() {
    let Some(root) = fixvenv::store("main") else {
        return;
    };
    let Some(made) = fixvenv::uv_venv(&root) else {
        return;
    };
    fix_then_undo(&root, &made);
}

#[test]
fn dry_run_prints_the_plan_and_changes_nothing() {
    let Some((root, _work, python)) = fresh_pip_venv("main") else {
        return;
    };
    let before = tree(&venv_dir(&python));
    let run = fix(root.as_path(), &python, &["fix", "numpy", "--dry-run"], &[]);
    assert_eq!(
        run.code, 1,
        "a problem, not fixed: {}\n{}",
        run.stdout, run.stderr
    );
    assert!(
        run.stdout.contains("plan (dry run: nothing was changed)"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("_pydoctor_fix.pth"), "{}", run.stdout);
    assert!(run.stdout.contains("libz.so.1"), "{}", run.stdout);
    assert_eq!(
        diff(&before, &tree(&venv_dir(&python))),
        Vec::<String>::new()
    );
}

#[test]
fn a_second_fix_changes_nothing_and_says_the_venv_is_fixed() {
    let Some((root, _work, python)) = fresh_pip_venv("main") else {
        return;
    };
    assert_eq!(fix(&root, &python, &["fix", "numpy"], &[]).code, 0);
    let once = tree(&venv_dir(&python));
    let again = fix(&root, &python, &["fix", "numpy"], &[]);
    assert_eq!(again.code, 0, "{}\n{}", again.stdout, again.stderr);
    assert!(
        again.stdout.contains("already fixed by pydoctor fix on "),
        "{}",
        again.stdout
    );
    assert_eq!(diff(&once, &tree(&venv_dir(&python))), Vec::<String>::new());
}

#[test]
fn json_reports_the_changes_the_verification_and_the_manifest() {
    let Some((root, _work, python)) = fresh_pip_venv("main") else {
        return;
    };
    let run = fix(&root, &python, &["fix", "numpy", "--format", "json"], &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let doc = run.json();
    assert_eq!(doc["command"], "fix");
    assert_eq!(doc["status"], "ok");
    let f = &doc["fix"];
    assert_eq!(f["action"], "applied");
    let manifest = f["manifest"].as_str().unwrap();
    assert!(Path::new(manifest).is_file(), "{manifest}");
    let written: Value = serde_json::from_str(&std::fs::read_to_string(manifest).unwrap()).unwrap();
    assert_eq!(written["state"], "applied");
    assert_eq!(
        written["files"], f["changes"],
        "the manifest records what the report says"
    );
    let changes = f["changes"].as_array().unwrap();
    assert_eq!(changes.len(), 2, "{changes:?}");
    for change in changes {
        assert!(change["before"].is_null(), "only new files: {change}");
        assert!(
            change["after"].as_str().unwrap().starts_with("sha256:"),
            "{change}"
        );
        assert!(
            change["path"]
                .as_str()
                .unwrap()
                .starts_with(venv_dir(&python).to_str().unwrap())
        );
    }
    assert_eq!(
        f["verification"],
        serde_json::json!([{ "module": "numpy", "ok": true, "error": null }])
    );
    let sonames: Vec<&str> = f["libraries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["soname"].as_str().unwrap())
        .collect();
    assert_eq!(sonames, ["libstdc++.so.6", "libz.so.1"]);
    assert!(
        f["pins"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["pinned"] == false && p["note"].is_string())
    );

    let undone = fix(&root, &python, &["fix", "--undo", "--format", "json"], &[]);
    let doc = undone.json();
    assert_eq!(doc["fix"]["action"], "undone");
}

#[test]
fn a_fix_whose_import_still_fails_is_rolled_back() {
    let Some((root, _work, python)) = fresh_pip_venv("main") else {
        return;
    };
    let before = tree(&venv_dir(&python));
    // numpy's libraries can be preloaded; a module that does not exist cannot be fixed by it.
    let run = fix(&root, &python, &["fix", "numpy", "no_such_module_pd"], &[]);
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stdout.starts_with("✗ rolled back:"), "{}", run.stdout);
    assert!(run.stdout.contains("no_such_module_pd"), "{}", run.stdout);
    assert_eq!(
        diff(&before, &tree(&venv_dir(&python))),
        Vec::<String>::new()
    );
}

/// Steps of a fix with two store paths: manifest, module, .pth, two GC roots, commit.
const STEPS: usize = 6;

#[test]
fn a_fix_killed_after_any_step_is_finished_or_cleaned_up_by_the_next_run() {
    let Some(root) = fixvenv::store("main") else {
        return;
    };
    let Some(made) = fixvenv::pip_venv(&root) else {
        return;
    };
    for step in 1..=STEPS {
        let work = tempfile::tempdir().unwrap();
        let python = copy_venv(&made, work.path());
        let venv = venv_dir(&python);
        let before = tree(&venv);
        let n = step.to_string();
        let killed = fix(&root, &python, &["fix", "numpy"], &[(ABORT_VAR, &n)]);
        assert_ne!(killed.code, 0, "step {step}: the process died");
        assert!(
            killed.stdout.is_empty(),
            "step {step}: killed before it reported"
        );

        // Either untouched for Python (no .pth yet, the import fails as before) or fixed.
        let pth = fixvenv::site_packages(&python).join("_pydoctor_fix.pth");
        let works = python_c(&python, IMPORT_BOTH).0;
        assert_eq!(
            works,
            pth.exists(),
            "step {step}: fixed exactly when the .pth is there"
        );
        if !pth.exists() {
            let left: Vec<String> = diff(&before, &tree(&venv))
                .into_iter()
                .filter(|l| !l.contains(".pydoctor-fix") && !l.contains("_pydoctor_fix.py"))
                .collect();
            assert_eq!(
                left,
                Vec::<String>::new(),
                "step {step}: nothing else changed"
            );
        }

        // Odd steps: undo cleans up. Even steps: a new fix finishes, then undo.
        if step % 2 == 1 {
            let undone = fix(&root, &python, &["fix", "--undo"], &[]);
            assert_eq!(
                undone.code, 0,
                "step {step}: {}\n{}",
                undone.stdout, undone.stderr
            );
        } else {
            let again = fix(&root, &python, &["fix", "numpy"], &[]);
            assert_eq!(
                again.code, 0,
                "step {step}: {}\n{}",
                again.stdout, again.stderr
            );
            assert!(python_c(&python, IMPORT_BOTH).0, "step {step}: fixed");
            assert_eq!(fix(&root, &python, &["fix", "--undo"], &[]).code, 0);
        }
        assert_eq!(
            diff(&before, &tree(&venv)),
            Vec::<String>::new(),
            "step {step}"
        );
    }
}

#[test]
fn a_library_gone_from_the_store_gives_one_warning_line_and_check_names_it() {
    // A store of its own: this test takes a package out of it.
    let Some((root, _work, python)) = fresh_pip_venv("gone") else {
        return;
    };
    assert_eq!(fix(&root, &python, &["fix", "numpy"], &[]).code, 0);

    let gcc_lib = fixvenv::package(&root, "-gcc-12.2.0-lib");
    let aside = root.join("gcc-lib-aside");
    std::fs::rename(&gcc_lib, &aside).unwrap();
    // Wherever the package went (aside, or to a new store path below), it comes back.
    let moved = fixvenv::store_dir(&root).join("00000000000000000000000000000000-gcc-12.2.0-lib");
    struct PutBack<'a>([&'a Path; 2], &'a Path);
    impl Drop for PutBack<'_> {
        fn drop(&mut self) {
            for from in self.0 {
                let _ = std::fs::rename(from, self.1);
            }
        }
    }
    let _put_back = PutBack([&aside, &moved], &gcc_lib);
    let gone = gcc_lib.join("lib/libstdc++.so.6");
    let gone = gone.to_str().unwrap();

    let (works, said) = python_c(&python, "pass");
    assert!(works, "python still starts: {said}");
    assert_eq!(
        said.lines().count(),
        1,
        "one warning line, no traceback: {said}"
    );
    assert!(
        said.starts_with("pydoctor fix: cannot load ") && said.contains(gone),
        "{said}"
    );
    let (works, said) = python_c(&python, "import numpy");
    assert!(!works);
    assert_eq!(
        said.lines()
            .filter(|l| l.starts_with("pydoctor fix:"))
            .count(),
        1,
        "{said}"
    );

    let checked = fix(&root, &python, &["check", "numpy", "--format", "json"], &[]);
    assert_eq!(checked.code, 1, "{}", checked.stderr);
    let doc = checked.json();
    let note = doc["extra"]["fixed"].as_str().unwrap();
    assert!(note.starts_with("fixed by pydoctor fix on "), "{note}");
    let warned = doc["findings"].as_array().unwrap().iter().any(|f| {
        f["latent"] == true
            && f["detail"]
                .as_str()
                .unwrap()
                .contains(&format!("{gone} is gone"))
    });
    assert!(warned, "check names the gone path: {doc:#}");

    // The library reappears at another store path (a newer build): `fix` replaces its fix,
    // keeping zlib, which the diagnosis saw loaded.
    std::fs::rename(&aside, &moved).unwrap();
    let again = fix(&root, &python, &["fix", "numpy", "--format", "json"], &[]);
    assert_eq!(again.code, 0, "{}\n{}", again.stdout, again.stderr);
    let doc = again.json();
    assert_eq!(doc["fix"]["action"], "applied");
    assert!(
        doc["fix"]["recovered"]
            .as_str()
            .unwrap()
            .contains("replaced")
    );
    let paths: Vec<&str> = doc["fix"]["libraries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["path"].as_str().unwrap())
        .collect();
    assert!(paths[0].starts_with(moved.to_str().unwrap()), "{paths:?}");
    assert!(
        paths[1].ends_with("-zlib-1.2.13/lib/libz.so.1"),
        "{paths:?}"
    );
    let (works, said) = python_c(&python, IMPORT_BOTH);
    assert!(works && said.is_empty(), "{said}");
}

#[test]
fn undo_refuses_naming_the_file_when_it_changed_since_the_fix() {
    let Some((root, _work, python)) = fresh_pip_venv("main") else {
        return;
    };
    assert_eq!(fix(&root, &python, &["fix", "numpy"], &[]).code, 0);
    let module = fixvenv::site_packages(&python).join("_pydoctor_fix.py");
    let mut text = std::fs::read_to_string(&module).unwrap();
    text.push_str("# edited by hand\n");
    std::fs::write(&module, &text).unwrap();
    let changed = tree(&venv_dir(&python));

    let refused = fix(&root, &python, &["fix", "--undo"], &[]);
    assert_eq!(refused.code, 2, "{}\n{}", refused.stdout, refused.stderr);
    assert!(
        refused.stderr.contains(&format!(
            "{} changed since pydoctor fix wrote it",
            module.display()
        )),
        "{}",
        refused.stderr
    );
    assert_eq!(
        diff(&changed, &tree(&venv_dir(&python))),
        Vec::<String>::new(),
        "nothing undone"
    );
}

#[test]
fn with_nix_each_store_path_gets_a_gc_root_under_the_venv_and_undo_removes_it() {
    let Some(nix_store) = fixvenv::nix_store() else {
        return;
    };
    // A store of its own, whose libraries are registered in its own nix database.
    let Some(root) = fixvenv::store("pinned") else {
        return;
    };
    if fixvenv::register_libraries(&root, &nix_store).is_none() {
        return;
    }
    let Some((root, _work, python)) = fresh_pip_venv("pinned") else {
        return;
    };
    let before = tree(&venv_dir(&python));
    let env = fixvenv::nix_env(&root);
    let envs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();

    let run = fix(&root, &python, &["fix", "numpy", "--format", "json"], &envs);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let doc = run.json();
    let pins = doc["fix"]["pins"].as_array().unwrap();
    assert_eq!(pins.len(), 2, "{pins:#?}");
    for pin in pins {
        assert_eq!(pin["pinned"], true, "{pin:#}");
        let link = PathBuf::from(pin["root"].as_str().unwrap());
        assert!(
            link.starts_with(venv_dir(&python).join(".pydoctor-fix/gcroots")),
            "{pin}"
        );
        assert_eq!(
            std::fs::read_link(&link).unwrap(),
            Path::new(pin["store_path"].as_str().unwrap())
        );
        assert!(
            !fixvenv::dead_paths(&root, &nix_store).contains(pin["store_path"].as_str().unwrap()),
            "a collection keeps the pinned path"
        );
    }
    assert!(python_c(&python, IMPORT_BOTH).0);

    assert_eq!(fix(&root, &python, &["fix", "--undo"], &envs).code, 0);
    assert_eq!(
        diff(&before, &tree(&venv_dir(&python))),
        Vec::<String>::new()
    );
    let dead = fixvenv::dead_paths(&root, &nix_store);
    for pin in pins {
        assert!(
            dead.contains(pin["store_path"].as_str().unwrap()),
            "unpinned after undo: {dead}"
        );
    }
}

/// Steps of undoing that fix (no GC roots in the test store): module, .pth, the directory.
const UNDO_STEPS: usize = 3;

#[test]
fn an_undo_killed_after_any_step_is_finished_by_the_next_undo() {
    let Some((root, _work, python)) = fresh_pip_venv("main") else {
        return;
    };
    let venv = venv_dir(&python);
    let before = tree(&venv);
    for step in 1..=UNDO_STEPS {
        assert_eq!(fix(&root, &python, &["fix", "numpy"], &[]).code, 0);
        let n = step.to_string();
        let killed = fix(&root, &python, &["fix", "--undo"], &[(ABORT_VAR, &n)]);
        assert_ne!(killed.code, 0, "step {step}: the process died");
        // The .pth goes first: from the first step on, Python no longer preloads.
        assert!(
            !python_c(&python, IMPORT_BOTH).0,
            "step {step}: undone for Python"
        );
        let undone = fix(&root, &python, &["fix", "--undo"], &[]);
        assert_eq!(
            undone.code, 0,
            "step {step}: {}\n{}",
            undone.stdout, undone.stderr
        );
        assert_eq!(
            diff(&before, &tree(&venv)),
            Vec::<String>::new(),
            "step {step}"
        );
    }
}
