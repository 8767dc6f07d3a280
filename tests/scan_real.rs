//! `pydoctor scan` on real venvs built from PyPI wheels, checked against the real loader:
//! clean on this machine, and with libstdc++ hidden (docs/how-it-is-tested.md, "Hiding a system library") it must name
//! exactly the files whose real dlopen fails.

#[path = "scan_support/mod.rs"]
mod scan_support;

use std::collections::BTreeSet;
use std::process::Command;

use scan_support::*;

const PACKAGES: &[&str] = &["numpy==2.3.2", "pandas"];

fn scan_json(args: &[&str]) -> (serde_json::Value, i32) {
    let out = Command::new(pydoctor())
        .args(["scan", "--format", "json"])
        .args(args)
        .env_remove("VIRTUAL_ENV")
        .env_remove("LD_LIBRARY_PATH")
        .output()
        .unwrap();
    let doc = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("bad JSON ({e}): {}", String::from_utf8_lossy(&out.stderr)));
    (doc, out.status.code().unwrap_or(-1))
}

#[test]
fn a_real_numpy_and_pandas_venv_scans_clean_and_every_file_really_loads() {
    let Some(venv) = real_venv("numpy-pandas", PACKAGES) else {
        return;
    };
    let (doc, code) = scan_json(&[venv.to_str().unwrap()]);
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(doc["status"], "ok");
    assert_eq!(doc["command"], "scan");
    let objects = doc["objects"].as_array().unwrap();
    assert!(objects.len() > 40, "{} ELF files", objects.len());
    let packages: Vec<&str> = doc["extra"]["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert!(
        packages.contains(&"numpy") && packages.contains(&"pandas"),
        "{packages:?}"
    );
    assert!(reported_failures(&doc).is_empty());

    let json = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(json.path(), doc.to_string()).unwrap();
    let really = oracle_failures(&venv.join("bin/python"), json.path(), &[]);
    let really = direct_failures(really, &doc);
    assert!(really.is_empty(), "the real loader failed on {really:?}");
}

#[test]
fn with_libstdcxx_hidden_scan_names_exactly_the_files_the_real_loader_fails_on() {
    let Some(venv) = real_venv("numpy-pandas", PACKAGES) else {
        return;
    };
    if !can_hide_libraries() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("scan.json");
    let oracle = dir.path().join("oracle.txt");
    let import = dir.path().join("import.txt");
    let python = venv.join("bin/python");
    // Scan, oracle and a real `import numpy`, all in the same namespace.
    let script = format!(
        "{pd} scan --format json {venv} > {json}; echo $? > {json}.rc; \
         {py} -c \"$ORACLE\" {json} > {oracle}; \
         {py} -c 'import numpy' 2> {import}; echo $? >> {import}",
        pd = pydoctor().display(),
        venv = venv.display(),
        json = json.display(),
        py = python.display(),
        oracle = oracle.display(),
        import = import.display(),
    );
    let out = Command::new("unshare")
        .args([
            "-m",
            "sh",
            "-c",
            HIDE_LIBSTDCXX,
            "hide",
            "sh",
            "-c",
            &script,
        ])
        .env("ORACLE", ORACLE)
        .env_remove("VIRTUAL_ENV")
        .env_remove("LD_LIBRARY_PATH")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let rc = std::fs::read_to_string(format!("{}.rc", json.display())).unwrap();
    assert_eq!(rc.trim(), "1", "exit code 1 for problems");
    assert_eq!(doc["status"], "problems");

    let really: BTreeSet<String> = std::fs::read_to_string(&oracle)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    let reported = reported_failures(&doc);
    let really = direct_failures(really, &doc);
    assert!(!really.is_empty(), "hiding libstdc++ broke nothing?");
    assert_eq!(reported, really);
    assert!(
        really
            .iter()
            .any(|f| f.contains("/_multiarray_umath.cpython-"))
    );
    let import_text = std::fs::read_to_string(&import).unwrap();
    assert!(import_text.contains("libstdc++.so.6"), "{import_text}");

    // The one cause, with the files that need it, under each package.
    let numpy = doc["extra"]["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "numpy")
        .unwrap();
    assert_eq!(numpy["missing_libraries"], 1);
    assert_eq!(numpy["problems"][0]["library"], "libstdc++.so.6");
    assert!(
        !numpy["problems"][0]["needed_by"]
            .as_array()
            .unwrap()
            .is_empty()
    );
}
