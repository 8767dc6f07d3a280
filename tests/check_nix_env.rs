//! `python3.withPackages` environments, built as nixpkgs builds them over the Nix-like python
//! (`scripts/fixtures/nix-like-env.sh`): a buildEnv of symlinks whose `bin/python3.X` is a
//! gcc-built binary wrapper, in both layouts (the wrapper's own path as `argv[0]`, nixpkgs 24.05
//! and later; `NIX_PYTHONPATH` read by the python's sitecustomize, older), and Python packages
//! of real wheels in store paths of their own with `nix-support/propagated-build-inputs`.
//!
//! - A module the env lacks but the store has: PD415, a `withPackages` list that keeps the
//!   env's packages, checked by importing with the store copy's closure; an env rebuilt with
//!   that list imports it.
//! - The older layout moves `sys.prefix` to the env: it is not a venv, and pip is not offered
//!   into the store.
//! - A venv made from an env without `--system-site-packages`: PD416; its one-line fix runs as
//!   shown, and the import then works.

#[path = "support/nixlike.rs"]
mod nixlike;

#[path = "check_common.rs"]
mod common;

use std::path::{Path, PathBuf};

use common::{Run, clean, diagnosis, fix_ids};
use serde_json::Value;

/// A store of its own: the packages added here must not show in other tests' store looks.
fn dest() -> PathBuf {
    nixlike::scratch("nix-env")
}

fn store() -> PathBuf {
    dest().join("nix/store")
}

fn make_env(layout: &str, name: &str, packages: &[&str]) -> Option<PathBuf> {
    // pygments is what ipython_pygments_lexers imports first: only its closure makes it work.
    nixlike::env_at(
        &dest(),
        layout,
        name,
        packages,
        &["ipython_pygments_lexers:pygments"],
    )
}

fn check(module: &str, python: &Path, format: &str, cwd: &Path) -> Run {
    let store = store();
    common::pydoctor(
        &[
            "check",
            module,
            "--python",
            python.to_str().unwrap(),
            "--format",
            format,
            "--color",
            "never",
        ],
        &[("NIX_STORE_DIR", store.to_str().unwrap())],
        cwd,
    )
}

fn first_fix(d: &Value) -> &Value {
    &d["fixes"][0]
}

fn entry_named(suffix: &str) -> PathBuf {
    std::fs::read_dir(store())
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.to_string_lossy().ends_with(suffix))
        .unwrap_or_else(|| panic!("no store entry *{suffix}"))
}

#[test]
fn a_module_the_env_lacks_but_the_store_has_gets_the_env_list_with_it_added() {
    let Some(env) = make_env("argv0", "idna-only", &["idna"]) else {
        return;
    };
    let cwd = tempfile::tempdir().unwrap();
    let python = env.join("bin/python3");
    let run = check("ipython_pygments_lexers", &python, "json", cwd.path());
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    let doc = run.json();
    let environment = &doc["environment"];
    assert_eq!(environment["python"]["venv"], Value::Null);
    let nix_env = &environment["nix_env"];
    assert_eq!(nix_env["path"], env.to_str().unwrap());
    assert_eq!(nix_env["layout"], "argv0");
    assert_eq!(nix_env["packages"][0]["name"], "idna");
    let lexers = entry_named("-python3.11-ipython-pygments-lexers-1.1.1");
    let found = &environment["store_module"];
    assert_eq!(found["module"], "ipython_pygments_lexers");
    assert_eq!(found["chosen"], lexers.to_str().unwrap());
    assert_eq!(found["imports"], true);
    let dirs: Vec<&str> = found["site_dirs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_str().unwrap())
        .collect();
    assert_eq!(dirs.len(), 2, "the package and its pygments: {dirs:?}");
    assert!(dirs[1].contains("-python3.11-pygments-"), "{dirs:?}");

    let d = &doc["diagnoses"][0];
    assert_eq!(d["rule"], "PD415", "{d:#}");
    assert_eq!(d["kind"], "module-not-found");
    let fix = first_fix(d);
    assert_eq!(fix["id"], "nixpkgs-python");
    // The env is not rebuilt: the store copy importing is part of the proof, not all of it.
    assert_eq!(fix["verified"], "partial", "{fix:#}");
    assert_eq!(fix["verified_by"], "import");
    let snippet = fix["snippet"].as_str().unwrap();
    let list = format!(
        "{}.withPackages (ps: [ ps.idna ps.ipython-pygments-lexers ])",
        nixlike::nix_attribute()
    );
    assert!(snippet.contains(&list), "{snippet}");
    assert!(
        !fix_ids(d).contains(&"reinstall-package".to_string()),
        "no pip into the store: {d:#}"
    );

    // The env that list builds imports the module.
    let rebuilt = make_env(
        "argv0",
        "idna-and-lexers",
        &["idna", "ipython_pygments_lexers:pygments"],
    )
    .unwrap();
    let run = check(
        "ipython_pygments_lexers",
        &rebuilt.join("bin/python3"),
        "json",
        cwd.path(),
    );
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
}

#[test]
fn a_bare_store_python_gets_an_env_of_the_missing_package() {
    let Some(_) = make_env("argv0", "idna-only", &["idna"]) else {
        return;
    };
    let python = nixlike::python_at(&dest()).unwrap();
    let cwd = tempfile::tempdir().unwrap();
    let doc = check("ipython_pygments_lexers", &python, "json", cwd.path()).json();
    assert!(doc["environment"].get("nix_env").is_none(), "{doc:#}");
    let d = diagnosis(&doc, "module-not-found").unwrap();
    assert_eq!(d["rule"], "PD415", "{d:#}");
    let snippet = first_fix(d)["snippet"].as_str().unwrap();
    assert!(
        snippet.contains("(ps: [ ps.ipython-pygments-lexers ])"),
        "{snippet}"
    );
}

#[test]
fn a_module_the_store_does_not_have_keeps_the_env_packages_and_is_not_checked() {
    let Some(env) = make_env("argv0", "idna-only", &["idna"]) else {
        return;
    };
    let cwd = tempfile::tempdir().unwrap();
    let doc = check(
        "pydoctor_absent_mod",
        &env.join("bin/python3"),
        "json",
        cwd.path(),
    )
    .json();
    let d = &doc["diagnoses"][0];
    assert_eq!(d["rule"], "PD411", "{d:#}");
    let fix = first_fix(d);
    assert_eq!(fix["verified"], "not-checked");
    let snippet = fix["snippet"].as_str().unwrap();
    assert!(
        snippet.contains("(ps: [ ps.idna ps.pydoctor-absent-mod ])"),
        "{snippet}"
    );
    assert!(
        doc["environment"]["store_module"]["store"]
            .as_array()
            .unwrap()
            .is_empty()
    );
}

#[test]
fn the_older_layout_is_an_env_and_not_a_venv() {
    // A binary wrapper, and the shell script makeWrapper wrote before it.
    for layout in ["nix-pythonpath", "nix-pythonpath-script"] {
        let Some(env) = make_env(layout, "old-idna", &["idna"]) else {
            return;
        };
        older_layout(&env);
    }
}

fn older_layout(env: &Path) {
    let cwd = tempfile::tempdir().unwrap();
    let python = env.join("bin/python3");
    // Its packages come through NIX_PYTHONPATH: the import works.
    let run = check("idna", &python, "json", cwd.path());
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let doc = run.json();
    let environment = &doc["environment"];
    assert_eq!(
        environment["python"]["venv"],
        Value::Null,
        "sitecustomize moved sys.prefix; that is no venv: {environment:#}"
    );
    assert_eq!(environment["nix_env"]["layout"], "nix-pythonpath");
    let doc = check("ipython_pygments_lexers", &python, "json", cwd.path()).json();
    let d = &doc["diagnoses"][0];
    assert_eq!(d["rule"], "PD415", "{d:#}");
    assert!(!fix_ids(d).contains(&"reinstall-package".to_string()));
}

#[test]
fn a_venv_of_an_env_is_told_it_does_not_see_the_env_and_the_fix_runs() {
    let Some(env) = make_env("argv0", "idna-only", &["idna"]) else {
        return;
    };
    let project = tempfile::tempdir().unwrap();
    let venv = project.path().join(".venv");
    let made = clean(env.join("bin/python3"), project.path())
        .args(["-m", "venv", "--without-pip"])
        .arg(&venv)
        .status()
        .unwrap();
    assert!(made.success());
    let python = venv.join("bin/python");
    let run = check("idna", &python, "json", project.path());
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    let doc = run.json();
    let nix_env = &doc["environment"]["nix_env"];
    assert_eq!(nix_env["venv_base"], true);
    assert_eq!(nix_env["venv_sees_env"], false);
    let d = &doc["diagnoses"][0];
    assert_eq!(d["rule"], "PD416", "{d:#}");
    let fix = first_fix(d);
    assert_eq!(fix["id"], "venv-system-site-packages");
    assert_eq!(fix["verified"], "verified", "{fix:#}");

    let human = check("idna", &python, "human", project.path()).stdout;
    assert!(human.contains("PD416"), "{human}");
    let doc = run_fix_then_check(fix, &python, project.path());
    assert_eq!(doc["environment"]["nix_env"]["venv_sees_env"], true);
}

/// The fix's snippet run in a shell as shown; then `check idna` passes. Its JSON.
fn run_fix_then_check(fix: &Value, python: &Path, cwd: &Path) -> Value {
    let snippet = fix["snippet"].as_str().unwrap();
    let ran = clean("sh", cwd).args(["-c", snippet]).status().unwrap();
    assert!(ran.success(), "{snippet}");
    let run = check("idna", python, "json", cwd);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    run.json()
}

#[test]
fn env_shows_the_env_and_its_packages() {
    let Some(env) = make_env("argv0", "idna-only", &["idna"]) else {
        return;
    };
    let cwd = tempfile::tempdir().unwrap();
    let store = store();
    let run = common::pydoctor(
        &[
            "env",
            "--python",
            env.join("bin/python3").to_str().unwrap(),
            "--color",
            "never",
        ],
        &[("NIX_STORE_DIR", store.to_str().unwrap())],
        cwd.path(),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains(env.to_str().unwrap()), "{}", run.stdout);
    assert!(run.stdout.contains("idna 3."), "{}", run.stdout);
}

#[test]
fn a_uv_venv_of_an_env_gets_the_same_diagnosis_and_fix() {
    let Some(env) = make_env("argv0", "idna-only", &["idna"]) else {
        return;
    };
    let Some(uv) = nixlike::uv() else {
        return;
    };
    let project = tempfile::tempdir().unwrap();
    let venv = project.path().join(".venv");
    let made = clean(&uv, project.path())
        .env("UV_CACHE_DIR", nixlike::scratch("uv-cache"))
        .args(["venv", "-q", "--python"])
        .arg(env.join("bin/python3"))
        .arg(&venv)
        .status()
        .unwrap();
    assert!(made.success());
    let python = venv.join("bin/python");
    let doc = check("idna", &python, "json", project.path()).json();
    assert_eq!(doc["environment"]["python"]["venv_tool"], "uv");
    let d = &doc["diagnoses"][0];
    assert_eq!(d["rule"], "PD416", "{d:#}");
    run_fix_then_check(first_fix(d), &python, project.path());
}

#[test]
fn a_module_built_only_for_another_python_version_is_said_so() {
    let Some(_) = make_env("argv0", "idna-only", &["idna"]) else {
        return;
    };
    // What `python312Packages.x` leaves in the store next to a python 3.11 (or the other way).
    let other = if nixlike::short_version() == "3.12" {
        "3.13"
    } else {
        "3.12"
    };
    let package = store().join(format!(
        "0123456789abcdfghijklmnpqrsvwxyz-python{other}-pd-other-version-1.0"
    ));
    let module = package.join(format!("lib/python{other}/site-packages/pd_other_version"));
    std::fs::create_dir_all(&module).unwrap();
    std::fs::write(module.join("__init__.py"), "").unwrap();
    let python = nixlike::python_at(&dest()).unwrap();
    let cwd = tempfile::tempdir().unwrap();
    let doc = check("pd_other_version", &python, "json", cwd.path()).json();
    assert_eq!(
        doc["environment"]["store_module"]["other_pythons"][0],
        other
    );
    let d = &doc["diagnoses"][0];
    assert_eq!(d["rule"], "PD417", "{d:#}");
    let attr = format!("python{}", other.replace('.', ""));
    let snippets: Vec<&str> = d["fixes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["snippet"].as_str())
        .collect();
    assert!(
        snippets.iter().any(|s| s.contains(&format!(
            "{attr}.withPackages (ps: [ ps.pd-other-version ])"
        ))),
        "{snippets:#?}"
    );
}

#[test]
fn an_env_dir_given_as_python_points_at_its_wrapper() {
    let Some(env) = make_env("argv0", "idna-only", &["idna"]) else {
        return;
    };
    let cwd = tempfile::tempdir().unwrap();
    let run = check("idna", &env, "human", cwd.path());
    assert_eq!(run.code, 2, "{}", run.stderr);
    let hint = format!("did you mean --python {}", env.join("bin/python").display());
    assert!(run.stderr.contains(&hint), "{}", run.stderr);
}
