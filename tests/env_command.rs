//! `pydoctor env` on this machine and on the Nix-like python, through the real binary.

#[path = "support/nixlike.rs"]
mod nixlike;

use assert_cmd::Command;
use serde_json::Value;

fn env_json(args: &[&str], vars: &[(&str, &str)]) -> Value {
    let mut cmd = Command::cargo_bin("pydoctor").unwrap();
    cmd.args(["env", "--format", "json"]).args(args);
    cmd.env_remove("VIRTUAL_ENV")
        .env_remove("NIX_STORE_DIR")
        .env_remove("LD_LIBRARY_PATH");
    for (k, v) in vars {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.code().is_some_and(|c| c == 0 || c == 3),
        "exit {:?}: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("one JSON document on stdout")
}

#[test]
fn env_on_this_machine_sees_an_fhs_python_with_the_fhs_loader() {
    let Some(host) = nixlike::host::fhs_python_or_skip() else {
        return;
    };
    let pyenv = host.executable.to_str().unwrap();
    let doc = env_json(&["--python", pyenv], &[]);
    let env = &doc["environment"];
    assert_eq!(doc["command"], "env");
    assert_eq!(doc["status"], "ok");
    assert_eq!(env["source"], "probed");
    assert_eq!(env["os"]["nixos"], false);
    let path = host.executable.to_string_lossy();
    if path.contains("/.pyenv/versions/") {
        assert_eq!(env["python"]["kind"], "pyenv");
    } else if path.starts_with("/usr/bin/") {
        assert_eq!(env["python"]["kind"], "system");
    }
    assert_eq!(env["python"]["version"], host.version.as_str());
    assert_eq!(env["python"]["loader"], "/lib64/ld-linux-x86-64.so.2");
    assert_eq!(env["python"]["loader_flavor"], "fhs-glibc");
    assert_eq!(env["python"]["venv"], Value::Null);
    assert_eq!(env["nix_ld"]["shim"], false);
    assert_eq!(env["nix_ld"]["fhs_loader"], "glibc");
    assert_eq!(env["store_dir"], "/nix/store");
    assert_eq!(doc["extra"]["interpreter"]["how_found"], "flag");
}

#[test]
fn env_reports_the_version_and_loader_of_every_python_on_path() {
    // The version axis: each CPython of this machine (python3, python3.N on PATH), as found.
    let pythons = nixlike::host::all_pythons();
    if pythons.is_empty() {
        nixlike::skip::skip("no python on PATH");
        return;
    }
    for python in pythons {
        let doc = env_json(&["--python", python.executable.to_str().unwrap()], &[]);
        let py = &doc["environment"]["python"];
        assert_eq!(py["version"], python.version.as_str(), "{python:?}");
        if python.fhs_loader {
            assert_eq!(py["loader_flavor"], "fhs-glibc", "{python:?}");
        }
    }
}

#[test]
fn env_finds_python3_on_path_by_default() {
    let doc = env_json(&[], &[]);
    assert_eq!(doc["extra"]["interpreter"]["how_found"], "path");
    assert!(doc["environment"]["python"]["version"].is_string());
}

#[test]
fn env_on_the_nix_like_python_sees_a_nix_store_python_and_its_venv() {
    let Some(venv_python) = nixlike::venv("empty", &[]) else {
        return;
    };
    let store = nixlike::store_dir();
    let store = store.to_str().unwrap();
    let doc = env_json(
        &["--python", venv_python.to_str().unwrap()],
        &[
            ("NIX_STORE_DIR", store),
            ("LD_LIBRARY_PATH", "/a::/b"),
            ("IN_NIX_SHELL", "impure"),
        ],
    );
    let env = &doc["environment"];
    let py = &env["python"];
    assert_eq!(py["kind"], "nix-store");
    assert_eq!(py["loader_flavor"], "nix-glibc");
    let loader = py["loader"].as_str().unwrap();
    assert!(
        loader.starts_with(store) && loader.ends_with("-glibc-2.36/lib/ld-linux-x86-64.so.2"),
        "{loader}"
    );
    assert_eq!(py["nix_attribute"], nixlike::nix_attribute().as_str());
    assert!(py["venv"].as_str().unwrap().ends_with("/venvs/empty"));
    assert!(
        py["base_prefix"]
            .as_str()
            .unwrap()
            .ends_with(&format!("-python3-{}", nixlike::version().unwrap()))
    );
    let real = doc["extra"]["interpreter"]["real"].as_str().unwrap();
    assert!(
        real.starts_with(store)
            && real.ends_with(&format!("/bin/python{}", nixlike::short_version())),
        "{real}"
    );
    assert_eq!(env["store_dir"], store);
    assert_eq!(env["ld_library_path"], serde_json::json!(["/a", "", "/b"]));
    assert_eq!(env["in_nix_shell"], "impure");
}

#[test]
fn env_human_output_is_a_check_list() {
    let mut cmd = Command::cargo_bin("pydoctor").unwrap();
    let out = cmd
        .args(["env", "--color", "never"])
        .env_remove("VIRTUAL_ENV")
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("✓ OS: "), "{text}");
    assert!(text.contains("✓ loader: "), "{text}");
    assert!(!text.contains('\u{1b}'), "no colour with --color never");
}

#[test]
fn env_with_a_python_that_cannot_start_reports_it() {
    let t = tempfile::tempdir().unwrap();
    let src = t.path().join("m.c");
    // Shaped like a python with libpython linked in (it exports the runtime's entry point),
    // so that `--python` takes it; its loader is what is missing.
    std::fs::write(
        &src,
        "int Py_BytesMain(int c, char **v){(void)c;(void)v;return 0;}\nint main(void){return 0;}\n",
    )
    .unwrap();
    let exe = t.path().join("python3");
    let built = std::process::Command::new("gcc")
        .arg(&src)
        .arg("-rdynamic")
        .arg("-o")
        .arg(&exe)
        .arg("-Wl,--dynamic-linker=/lib64/ld-gone-x86-64.so.2")
        .status()
        .is_ok_and(|s| s.success());
    if !built {
        nixlike::skip::skip("gcc could not build the fixture");
        return;
    }
    let mut cmd = Command::cargo_bin("pydoctor").unwrap();
    let out = cmd
        .args(["env", "--format", "json", "--python", exe.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let finding = &doc["findings"][0];
    assert_eq!(finding["kind"], "interpreter-cannot-start");
    assert!(
        finding["detail"]
            .as_str()
            .unwrap()
            .contains("PT_INTERP /lib64/ld-gone-x86-64.so.2 does not exist"),
        "{finding}"
    );
}

#[test]
fn env_with_a_missing_python_flag_is_a_usage_error() {
    let mut cmd = Command::cargo_bin("pydoctor").unwrap();
    cmd.args(["env", "--python", "/nonexistent/python3"])
        .assert()
        .code(2);
}
