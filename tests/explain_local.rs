//! `explain` resolves the files a paste names when they exist on this machine: the loader
//! then names every missing library at once, not only the first one the real loader hit.

use std::path::Path;
use std::process::Command;

use assert_cmd::cargo::cargo_bin_cmd;
use serde_json::Value;

fn gcc(args: &[&str], dir: &Path) {
    let out = Command::new("gcc")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("gcc runs");
    assert!(
        out.status.success(),
        "gcc {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// An extension module that needs two libraries, neither on any search path, and the real
/// error text of importing it with the real python.
fn broken_extension(dir: &Path) -> String {
    std::fs::write(dir.join("a.c"), "int from_a(void) { return 1; }\n").unwrap();
    std::fs::write(dir.join("b.c"), "int from_b(void) { return 2; }\n").unwrap();
    std::fs::create_dir_all(dir.join("hidden")).unwrap();
    gcc(
        &[
            "-shared",
            "-fPIC",
            "-Wl,-soname,libpdx_a.so.1",
            "-o",
            "hidden/libpdx_a.so.1",
            "a.c",
        ],
        dir,
    );
    gcc(
        &[
            "-shared",
            "-fPIC",
            "-Wl,-soname,libpdx_b.so.1",
            "-o",
            "hidden/libpdx_b.so.1",
            "b.c",
        ],
        dir,
    );
    std::fs::write(
        dir.join("ext.c"),
        "#include <Python.h>\nint from_a(void); int from_b(void);\n\
         static struct PyModuleDef m = {PyModuleDef_HEAD_INIT, \"twolibs\", 0, -1, 0};\n\
         PyMODINIT_FUNC PyInit_twolibs(void) { from_a(); from_b(); return PyModule_Create(&m); }\n",
    )
    .unwrap();
    let include = String::from_utf8(
        Command::new("python3")
            .args([
                "-c",
                "import sysconfig; print(sysconfig.get_paths()['include'])",
            ])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    let include = format!("-I{}", include.trim());
    std::fs::create_dir_all(dir.join("site-packages/twopkg")).unwrap();
    std::fs::write(
        dir.join("site-packages/twopkg/__init__.py"),
        "from . import twolibs\n",
    )
    .unwrap();
    gcc(
        &[
            "-shared",
            "-fPIC",
            &include,
            "-o",
            "site-packages/twopkg/twolibs.so",
            "ext.c",
            "-Lhidden",
            "-l:libpdx_a.so.1",
            "-l:libpdx_b.so.1",
            "-Wl,--no-as-needed",
        ],
        dir,
    );
    let out = Command::new("python3")
        .args(["-c", "import twopkg"])
        .current_dir(dir)
        .env("PYTHONPATH", dir.join("site-packages"))
        .output()
        .unwrap();
    assert!(!out.status.success(), "the import must fail");
    String::from_utf8(out.stderr).unwrap()
}

fn explain(paste: &str, extra: &[&str]) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("paste.txt");
    std::fs::write(&file, paste).unwrap();
    let out = cargo_bin_cmd!("pydoctor")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .args(["--format", "json", "explain"])
        .args(extra)
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn missing(json: &Value) -> Vec<String> {
    let mut libs: Vec<String> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["kind"] == "missing-shared-library")
        .map(|f| f["library"].as_str().unwrap().to_string())
        .collect();
    libs.sort();
    libs.dedup();
    libs
}

#[test]
fn a_paste_naming_local_files_gets_every_missing_library() {
    let dir = tempfile::tempdir().unwrap();
    let paste = broken_extension(dir.path());
    assert!(
        paste.contains("libpdx_a.so.1: cannot open shared object file"),
        "{paste}"
    );
    assert!(
        !paste.contains("libpdx_b.so.1"),
        "the real loader stops at the first one"
    );

    let text_only = explain(&paste, &["--text-only"]);
    assert_eq!(missing(&text_only), ["libpdx_a.so.1"]);

    let resolved = explain(&paste, &[]);
    assert_eq!(missing(&resolved), ["libpdx_a.so.1", "libpdx_b.so.1"]);
    let ext = dir
        .path()
        .join("site-packages/twopkg/twolibs.so")
        .display()
        .to_string();
    assert!(
        resolved["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["kind"] == "missing-shared-library")
            .all(|f| f["required_by"] == ext.as_str()),
        "every finding names the extension that needs it"
    );
    assert!(
        resolved["extra"]["resolved_locally"][0]
            .as_str()
            .unwrap()
            .ends_with("twolibs.so")
    );
}
