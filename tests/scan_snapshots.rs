//! Snapshots of every `scan` output format over a wheel-like tree built by gcc at test time:
//! a distribution with an extension module that needs a vendored library (found through its
//! RUNPATH `$ORIGIN`) and a library that exists nowhere, a file that is called `.so` but is
//! not an ELF, and an ELF file no RECORD lists. Machine paths are filtered out.

#[path = "scan_support/mod.rs"]
mod scan_support;

use std::path::{Path, PathBuf};
use std::process::Command;

use regex::Regex;
use serde_json::Value;

use scan_support::*;

fn gcc(args: &[&str], cwd: &Path) {
    let status = Command::new("gcc").args(args).current_dir(cwd).status();
    assert!(status.is_ok_and(|s| s.success()), "gcc {args:?}");
}

/// The tree, under a temp dir (returned first, to keep it alive).
fn wheel_tree() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = std::fs::canonicalize(dir.path()).unwrap().join("tree");
    let src = dir.path().join("src");
    for d in ["demo", "demo.libs", "demo-1.0.dist-info"] {
        std::fs::create_dir_all(root.join(d)).unwrap();
    }
    std::fs::create_dir_all(&src).unwrap();
    std::fs::write(
        src.join("missing.c"),
        "int pydoctor_missing(void) { return 1; }\n",
    )
    .unwrap();
    std::fs::write(src.join("vendored.c"), "int vendored(void) { return 2; }\n").unwrap();
    std::fs::write(
        src.join("ext.c"),
        "int pydoctor_missing(void); int vendored(void);\n\
         int PyInit__ext(void) { return pydoctor_missing() + vendored(); }\n",
    )
    .unwrap();
    std::fs::write(src.join("stray.c"), "int stray(void) { return 3; }\n").unwrap();
    let libs = root.join("demo.libs");
    gcc(
        &[
            "-shared",
            "-fPIC",
            "-Wl,-soname,libpydoctor_missing.so.1",
            "-o",
            "libpydoctor_missing.so.1",
            "missing.c",
        ],
        &src,
    );
    gcc(
        &[
            "-shared",
            "-fPIC",
            "-Wl,-soname,libvendored-1a2b.so",
            "-o",
            libs.join("libvendored-1a2b.so").to_str().unwrap(),
            "vendored.c",
        ],
        &src,
    );
    gcc(
        &[
            "-shared",
            "-fPIC",
            "-o",
            root.join("demo/_ext.cpython-311-x86_64-linux-gnu.so")
                .to_str()
                .unwrap(),
            "ext.c",
            "-L.",
            "-l:libpydoctor_missing.so.1",
            "-L",
            libs.to_str().unwrap(),
            "-l:libvendored-1a2b.so",
            "-Wl,--enable-new-dtags,-rpath,$ORIGIN/../demo.libs",
        ],
        &src,
    );
    gcc(
        &[
            "-shared",
            "-fPIC",
            "-o",
            root.join("stray.so.1").to_str().unwrap(),
            "stray.c",
        ],
        &src,
    );
    std::fs::write(root.join("demo/_fake.so"), "not an ELF file\n").unwrap();
    std::fs::write(root.join("demo/__init__.py"), "from ._ext import *\n").unwrap();
    std::fs::write(
        root.join("demo-1.0.dist-info/METADATA"),
        "Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n",
    )
    .unwrap();
    std::fs::write(
        root.join("demo-1.0.dist-info/RECORD"),
        "demo/__init__.py,sha256=x,1\n\
         demo/_ext.cpython-311-x86_64-linux-gnu.so,sha256=x,1\n\
         demo/_fake.so,sha256=x,1\n\
         demo.libs/libvendored-1a2b.so,sha256=x,1\n\
         demo-1.0.dist-info/METADATA,,\n\
         demo-1.0.dist-info/RECORD,,\n",
    )
    .unwrap();
    (dir, root)
}

fn scan(root: &Path, format: &str) -> (String, i32) {
    let out = Command::new(pydoctor())
        .args(["scan", "--color", "never", "--format", format, "--python"])
        .arg(host_python())
        .arg(root)
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("COLUMNS", "100")
        .output()
        .unwrap();
    (
        String::from_utf8(out.stdout).unwrap(),
        out.status.code().unwrap_or(-1),
    )
}

/// Machine paths out: the tree becomes [TREE], anything else absolute becomes [system].
fn redact(value: &mut Value, tree: &str) {
    match value {
        Value::String(s) => {
            *s = s.replace(tree, "[TREE]");
            if s.starts_with('/') {
                *s = "[system]".into();
            }
        }
        Value::Array(items) => {
            items.iter_mut().for_each(|v| redact(v, tree));
        }
        Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                match key.as_str() {
                    "environment" | "pydoctor_version" | "glibc_version" | "loader_flavor" => {
                        *v = Value::String(format!("[{key}]"))
                    }
                    // The dirs searched depend on this machine's loader; keep the tree's.
                    "tried" => {
                        let dirs: Vec<&str> = v
                            .as_array()
                            .into_iter()
                            .flatten()
                            .filter_map(|d| d.as_str())
                            .collect();
                        let mut kept: Vec<Value> = dirs
                            .iter()
                            .filter(|d| d.starts_with(tree))
                            .map(|d| Value::String(d.replace(tree, "[TREE]")))
                            .collect();
                        if kept.len() < dirs.len() {
                            kept.push(Value::String("[system dirs]".into()));
                        }
                        *v = Value::Array(kept);
                    }
                    _ => redact(v, tree),
                }
            }
        }
        _ => {}
    }
}

fn filter_text(text: &str, tree: &str) -> String {
    let text = text.replace(tree, "[TREE]");
    let text = text.replace(host_python().to_str().unwrap(), "[python]");
    let loader = Regex::new(r" by /\S+ \(glibc [0-9.]+\)").unwrap();
    let tried = Regex::new(r"(?m)^(\s+tried: ).*$").unwrap();
    let text = loader.replace_all(&text, " by [loader]");
    tried.replace_all(&text, "${1}[dirs]").into_owned()
}

#[test]
fn json_output_of_a_wheel_tree() {
    // The snapshot shows an FHS loader's search (the cache, the system dirs).
    if host::fhs_python_or_skip().is_none() {
        return;
    }
    let (_dir, root) = wheel_tree();
    let (text, code) = scan(&root, "json");
    assert_eq!(code, 1);
    let mut doc: Value = serde_json::from_str(&text).unwrap();
    redact(&mut doc, root.to_str().unwrap());
    insta::assert_snapshot!(serde_json::to_string_pretty(&doc).unwrap());
}

#[test]
fn github_annotations_of_a_wheel_tree() {
    // The snapshot shows an FHS loader's search (the cache, the system dirs).
    if host::fhs_python_or_skip().is_none() {
        return;
    }
    let (_dir, root) = wheel_tree();
    let (text, code) = scan(&root, "github");
    assert_eq!(code, 1);
    insta::assert_snapshot!(filter_text(&text, root.to_str().unwrap()));
}

#[test]
fn human_output_of_a_wheel_tree() {
    // The snapshot shows an FHS loader's search (the cache, the system dirs).
    if host::fhs_python_or_skip().is_none() {
        return;
    }
    let (_dir, root) = wheel_tree();
    let (text, code) = scan(&root, "human");
    assert_eq!(code, 1);
    insta::assert_snapshot!(filter_text(&text, root.to_str().unwrap()));
}

#[test]
fn a_clean_tree_exits_zero_with_one_verdict_line() {
    let (_dir, root) = wheel_tree();
    std::fs::remove_file(root.join("demo/_ext.cpython-311-x86_64-linux-gnu.so")).unwrap();
    let (text, code) = scan(&root, "human");
    assert_eq!(code, 0, "{text}");
    assert!(
        text.starts_with("✓ 2 ELF files in 2 packages: every one would load"),
        "{text}"
    );
}
