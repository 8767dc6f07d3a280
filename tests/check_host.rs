//! `pydoctor check` end to end on the host python (pyenv, FHS loader): a healthy numpy, a
//! library found only through LD_LIBRARY_PATH (a warning, exit 0), a module that is not
//! installed, a C extension built here that needs a library found nowhere, a module name that
//! is code, `--no-import`, `check -`, an interpreter that cannot start and a hanging import.
//! Every JSON document is validated against docs/schema.json.

#[path = "check_common.rs"]
mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use common::{Run, clean, diagnosis, findings, pydoctor, run_with_stdin};
use serde_json::Value;

/// A venv of the host python with real numpy 2.3.2.
fn numpy_venv() -> Option<PathBuf> {
    static VENV: OnceLock<Option<PathBuf>> = OnceLock::new();
    VENV.get_or_init(|| common::host_venv("host-numpy", &["numpy==2.3.2"]))
        .clone()
}

/// A venv (no packages) holding modules built here:
/// - `pdext`: a C extension needing `libpdfoo.so`, which sits only in `lib_dir`;
/// - `pdpkg`: a package holding the same extension, whose `__init__.py` writes `marker`;
/// - `pdhang`: a module whose import never ends.
struct Fixture {
    host: &'static common::Python,
    python: PathBuf,
    site: PathBuf,
    lib_dir: PathBuf,
    marker: PathBuf,
}

fn fixture() -> Option<&'static Fixture> {
    static FIXTURE: OnceLock<Option<Fixture>> = OnceLock::new();
    FIXTURE.get_or_init(build_fixture).as_ref()
}

fn build_fixture() -> Option<Fixture> {
    let root = common::scratch("host-fixture");
    let _ = std::fs::remove_dir_all(&root);
    let host = common::fhs_python()?;
    let python = common::venv_of(host, "host-fixture/venv", &[])?;
    let venv = python.parent()?.parent()?.to_path_buf();
    let site = host.site_packages(&venv);
    let lib_dir = root.join("only-on-ld-library-path");
    common::build_library(&lib_dir, "pdfoo")?;
    common::build_extension(&site, "pdext", &lib_dir, "pdfoo")?;
    let package = site.join("pdpkg");
    std::fs::create_dir_all(&package).ok()?;
    common::build_extension(&package, "pdext", &lib_dir, "pdfoo")?;
    let marker = root.join("pdpkg-ran");
    std::fs::write(
        package.join("__init__.py"),
        format!(
            "open({:?}, 'w').write('ran')\n",
            marker.display().to_string()
        ),
    )
    .ok()?;
    std::fs::write(
        site.join("pdhang.py"),
        "import time\nwhile True:\n    time.sleep(1)\n",
    )
    .ok()?;
    Some(Fixture {
        host,
        python,
        site,
        lib_dir,
        marker,
    })
}

fn check(args: &[&str], python: &Path, envs: &[(&str, &str)]) -> Run {
    let cwd = tempfile::tempdir().unwrap();
    let mut all = vec!["check"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--python", python.to_str().unwrap()]);
    pydoctor(&all, envs, cwd.path())
}

fn check_json(args: &[&str], python: &Path, envs: &[(&str, &str)], code: i32) -> Value {
    let run = check(&[args, &["--format", "json"]].concat(), python, envs);
    assert_eq!(run.code, code, "{}\n{}", run.stdout, run.stderr);
    let doc = run.json();
    assert_eq!(doc["command"], "check");
    doc
}

#[test]
fn a_healthy_numpy_is_ok() {
    let Some(python) = numpy_venv() else { return };
    let doc = check_json(&["numpy"], &python, &[], 0);
    assert_eq!(doc["status"], "ok");
    assert_eq!(doc["failure"], Value::Null);
    assert_eq!(doc["diagnoses"], serde_json::json!([]));
    assert!(
        doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["latent"] == true),
        "{doc:#}"
    );
    let env = &doc["environment"];
    assert_eq!(env["source"], "probed");
    let host = common::fhs_python().unwrap();
    if let Some(kind) = common::expected_kind(host) {
        assert_eq!(env["python"]["kind"], kind);
    }
    assert_eq!(env["python"]["loader_flavor"], "fhs-glibc");
    assert_eq!(env["python"]["version"], host.version.as_str());
    let module = &doc["extra"]["modules"][0];
    assert_eq!(module["ok"], true);
    assert!(module["elf_files"].as_u64().unwrap() > 10, "{module:#}");

    let human = check(&["numpy", "--color", "never"], &python, &[]);
    assert_eq!(human.code, 0);
    assert!(
        human.stdout.starts_with("✓ numpy imports fine"),
        "{}",
        human.stdout
    );
}

#[test]
fn a_library_found_only_through_ld_library_path_is_a_warning() {
    let Some(fx) = fixture() else { return };
    let llp = fx.lib_dir.to_str().unwrap();
    let doc = check_json(&["pdext"], &fx.python, &[("LD_LIBRARY_PATH", llp)], 0);
    assert_eq!(doc["status"], "ok");
    // One advisory diagnosis, which does not fail the check: the import works only with
    // this shell's LD_LIBRARY_PATH (no tool is known to have set it).
    let diagnoses = doc["diagnoses"].as_array().unwrap();
    assert_eq!(diagnoses.len(), 1, "{diagnoses:#?}");
    assert_eq!(diagnoses[0]["rule"], "PD804");
    assert_eq!(diagnoses[0]["advisory"], true);
    assert_eq!(diagnoses[0]["library"], "libpdfoo.so");
    let latent = findings(&doc, "missing-shared-library", true);
    assert_eq!(latent.len(), 1, "{doc:#}");
    assert_eq!(latent[0].0, "libpdfoo.so");
    assert!(latent[0].1.starts_with(fx.site.to_str().unwrap()));
    let finding = &doc["findings"][0];
    assert_eq!(
        finding["provider"],
        fx.lib_dir.join("libpdfoo.so").to_str().unwrap()
    );
    assert_eq!(doc["environment"]["ld_library_path"][0], llp);

    let human = check(
        &["pdext", "--color", "never"],
        &fx.python,
        &[("LD_LIBRARY_PATH", llp)],
    );
    assert_eq!(human.code, 0);
    let warning = human
        .stdout
        .lines()
        .find(|l| l.starts_with("! warning:"))
        .unwrap_or_else(|| panic!("a warning line:\n{}", human.stdout));
    assert!(
        warning.contains("libpdfoo.so") && warning.contains("LD_LIBRARY_PATH"),
        "{warning}"
    );
}

#[test]
fn an_extension_needing_a_library_found_nowhere_is_diagnosed() {
    let Some(fx) = fixture() else { return };
    let doc = check_json(&["pdext"], &fx.python, &[], 1);
    assert_eq!(doc["status"], "problems");
    let ext = fx.site.join(fx.host.extension_file("pdext"));
    let d = diagnosis(&doc, "missing-shared-library").expect("a diagnosis");
    assert_eq!(d["library"], "libpdfoo.so");
    assert_eq!(d["required_by"], ext.to_str().unwrap());
    // The real import's error is the root of the chain.
    let root = &doc["failure"]["chain"][0];
    assert!(
        root["message"]
            .as_str()
            .unwrap()
            .starts_with("libpdfoo.so: cannot open shared object file"),
        "{root:#}"
    );
    // An FHS python: no Nix advice.
    let ids = common::fix_ids(d);
    assert!(
        !ids.iter()
            .any(|i| ["nix-ld", "fix-python", "nixpkgs-python"].contains(&i.as_str())),
        "{ids:?}"
    );
}

#[test]
fn a_module_that_is_not_installed_is_module_not_found() {
    let Some(fx) = fixture() else { return };
    let doc = check_json(&["pd_not_installed_anywhere"], &fx.python, &[], 1);
    let d = diagnosis(&doc, "module-not-found").expect("module-not-found");
    assert!(
        d["summary"]
            .as_str()
            .unwrap()
            .contains("pd_not_installed_anywhere")
    );
    assert_eq!(doc["failure"]["chain"][0]["type"], "ModuleNotFoundError");
}

#[test]
fn a_module_name_that_is_code_is_refused_and_nothing_runs() {
    let t = tempfile::tempdir().unwrap();
    // A "python" that leaves a mark if anything starts it.
    let ran = t.path().join("python-ran");
    let fake = t.path().join("python");
    std::fs::write(
        &fake,
        format!("#!/bin/sh\ntouch '{}'\nexec /bin/true\n", ran.display()),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    let touched = t.path().join("marker");
    let module = format!("os; os.system('touch {}')", touched.display());

    let run = check(&[&module], &fake, &[]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_eq!(run.stdout, "");
    assert_eq!(run.stderr.trim_end().lines().count(), 1, "{}", run.stderr);
    assert!(run.stderr.contains("invalid module name"), "{}", run.stderr);

    let run = check(&[&module, "--format", "json"], &fake, &[]);
    assert_eq!(run.code, 2);
    let doc = run.json();
    assert!(
        doc["error"]["message"]
            .as_str()
            .unwrap()
            .contains("invalid module name")
    );
    assert!(!touched.exists(), "the module name ran as code");
    assert!(!ran.exists(), "the interpreter was started");
}

#[test]
fn no_import_does_not_run_the_package_but_still_finds_what_is_missing() {
    let Some(fx) = fixture() else { return };
    let _ = std::fs::remove_file(&fx.marker);
    let doc = check_json(&["pdpkg", "--no-import"], &fx.python, &[], 1);
    assert!(!fx.marker.exists(), "--no-import ran the package's code");
    let d = diagnosis(&doc, "missing-shared-library").expect("a static finding");
    assert_eq!(d["library"], "libpdfoo.so");
    assert_eq!(
        d["required_by"],
        fx.site
            .join("pdpkg")
            .join(fx.host.extension_file("pdext"))
            .to_str()
            .unwrap()
    );
    assert_eq!(doc["failure"], Value::Null, "no import, no failure text");
    assert_eq!(doc["extra"]["modules"][0]["imported"], false);

    // The same package imported for real does run it (the marker proves the probe is honest).
    let _ = check_json(&["pdpkg"], &fx.python, &[], 0);
    assert!(fx.marker.exists());
}

const FIXTURE_TEXT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/fixtures/text/numpy-2.3.2-libstdcxx-hidden.txt"
);

#[test]
fn check_dash_reads_stdin_like_explain() {
    let text = std::fs::read(FIXTURE_TEXT).unwrap();
    let t = tempfile::tempdir().unwrap();
    let run = |command: &str| {
        run_with_stdin(
            clean(common::bin(), t.path()).args([command, "-", "--format", "json"]),
            Some(&text),
        )
    };
    let checked = run("check");
    let explained = run_with_stdin(
        clean(common::bin(), t.path()).args(["explain", "--format", "json"]),
        Some(&text),
    );
    assert_eq!(checked.code, explained.code, "{}", checked.stderr);
    assert_eq!(checked.code, 1);
    let (checked, explained) = (checked.json(), explained.json());
    assert_eq!(checked["command"], "check");
    assert_eq!(checked["environment"]["source"], "inferred-from-text");
    for key in ["status", "failure", "findings", "diagnoses"] {
        assert_eq!(checked[key], explained[key], "{key}");
    }
    assert_eq!(checked["diagnoses"][0]["library"], "libstdc++.so.6");

    // `-` is the whole input: no module names beside it.
    let run = run_with_stdin(
        clean(common::bin(), t.path()).args(["check", "-", "numpy"]),
        Some(&text),
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
}

#[test]
fn an_interpreter_with_a_missing_pt_interp_cannot_start() {
    let Some(host) = common::fhs_python() else {
        return;
    };
    let t = tempfile::tempdir().unwrap();
    let venv = t.path().join("venv");
    let made = Command::new(&host.executable)
        .args(["-m", "venv", "--without-pip"])
        .arg(&venv)
        .status()
        .is_ok_and(|s| s.success());
    let binary = t.path().join(format!("python{}", host.short));
    std::fs::copy(&host.executable, &binary).unwrap();
    let patched = Command::new("patchelf")
        .args(["--set-interpreter", "/nonexistent/ld.so"])
        .arg(&binary)
        .status()
        .is_ok_and(|s| s.success());
    if !(made && patched) {
        common::skip("no venv or no patchelf to make a python that cannot start");
        return;
    }
    let link = venv.join("bin/python");
    std::fs::remove_file(&link).unwrap();
    std::os::unix::fs::symlink(&binary, &link).unwrap();

    let doc = check_json(&["numpy"], &link, &[], 1);
    let d = diagnosis(&doc, "interpreter-cannot-start").expect("interpreter-cannot-start");
    assert_eq!(d, &doc["diagnoses"][0]);
    let found = findings(&doc, "interpreter-cannot-start", false);
    assert_eq!(found[0].0, "/nonexistent/ld.so", "{found:?}");
    assert_eq!(found[0].1, binary.to_str().unwrap());
    // It never ran, but the venv's pyvenv.cfg says which python made it.
    assert_eq!(
        doc["environment"]["python"]["version"],
        host.version.as_str()
    );
}

#[test]
fn a_hanging_import_ends_in_bounded_time_with_a_whole_document() {
    let Some(fx) = fixture() else { return };
    let started = Instant::now();
    let run = check(
        &["pdhang", "--timeout", "2", "--format", "json"],
        &fx.python,
        &[],
    );
    let took = started.elapsed();
    assert!(took < Duration::from_secs(10), "took {took:?}");
    assert!(took >= Duration::from_secs(2), "took {took:?}");
    // A hang is diagnosed as one, with where it was and the limit it outlived.
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    let doc = run.json();
    assert_eq!(doc["status"], "problems");
    assert_eq!(doc["extra"]["modules"][0]["timed_out"], true);
    let hang = diagnosis(&doc, "unknown").expect("a diagnosis of the hang (PD541)");
    assert_eq!(hang["rule"], "PD541");
    assert!(
        hang["explanation"].as_str().unwrap().contains(&format!(
            "it was at line 3 of {}.",
            fx.site.join("pdhang.py").display()
        )),
        "{doc:#}"
    );
    assert!(
        hang["explanation"]
            .as_str()
            .unwrap()
            .contains("`pydoctor check pdhang --timeout 120`"),
        "{doc:#}"
    );
    assert!(
        doc["extra"]["note"]
            .as_str()
            .unwrap()
            .contains("did not finish in time"),
        "{doc:#}"
    );
}
