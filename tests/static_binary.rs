//! The static release binary of `scripts/build-static.sh` (`cargo build --profile dist`,
//! `+crt-static`): no PT_INTERP and no DT_NEEDED, so it starts on NixOS without nix-ld; it runs
//! with `/lib64/ld-linux-x86-64.so.2` hidden (a mount namespace, as root); and it maps no
//! shared object at run time (no NSS, no dlopen), seen with strace.
//!
//! The binary is `$PYDOCTOR_STATIC_BIN`, else the script's output under `target/`; when it has
//! not been built the tests skip loudly (CI builds it first).

#[path = "support/host.rs"]
mod host;

use std::path::PathBuf;
use std::process::Command;

use host::skip::{is_root, skip};

fn static_binary() -> Option<PathBuf> {
    let path = match std::env::var_os("PYDOCTOR_STATIC_BIN") {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => {
            let target = std::env::var_os("CARGO_TARGET_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"));
            target.join("x86_64-unknown-linux-gnu/dist/pydoctor")
        }
    };
    if !path.is_file() {
        skip(format!(
            "no static binary at {} (scripts/build-static.sh builds it; .ci/run does)",
            path.display()
        ));
        return None;
    }
    Some(path)
}

#[test]
fn the_static_binary_has_no_interpreter_and_needs_no_library() {
    let Some(bin) = static_binary() else { return };
    let bytes = std::fs::read(&bin).unwrap();
    let summary = pydoctor::elf::parse_summary(&bytes).expect("an ELF file");
    assert_eq!(summary.interpreter, None, "PT_INTERP in {}", bin.display());
    assert!(
        summary.needed.is_empty(),
        "DT_NEEDED {:?} in {}",
        summary.needed,
        bin.display()
    );
    let out = Command::new(&bin).arg("--version").output().unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("pydoctor "));
}

#[test]
fn the_static_binary_runs_with_the_fhs_loader_hidden() {
    let Some(bin) = static_binary() else { return };
    if !is_root() {
        skip("hiding /lib64 needs root (a mount namespace)");
        return;
    }
    let empty = tempfile::tempdir().unwrap();
    let t = tempfile::tempdir().unwrap();
    let fixture = t.path().join("t.json");
    std::fs::write(&fixture, "{}\n").unwrap();
    // After the bind mount no dynamically linked program starts (the check `true` proves it),
    // and the shell's `exec` hands over to the static binary.
    let script = r#"mount --bind "$1" /lib64 || exit 90
/usr/bin/true 2>/dev/null && exit 91
shift
exec "$@""#;
    let run = |args: &[&str]| {
        Command::new("unshare")
            .args(["-m", "sh", "-c", script, "sh"])
            .arg(empty.path())
            .arg(&bin)
            .args(args)
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("NO_COLOR", "1")
            .output()
    };
    let Ok(out) = run(&["--version"]) else {
        skip("no unshare");
        return;
    };
    match out.status.code() {
        Some(90) => {
            skip(format!(
                "cannot bind-mount over /lib64 here: {}",
                String::from_utf8_lossy(&out.stderr)
            ));
            return;
        }
        Some(91) => panic!("a dynamic program still started with /lib64 hidden"),
        _ => {}
    }
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Real work: the rule database, and the loader emulation on a file that is no ELF file.
    let rules = run(&["rules", "PD101"]).unwrap();
    assert_eq!(rules.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&rules.stdout).contains("PD101"));
    let ldd = run(&["ldd", fixture.to_str().unwrap()]).unwrap();
    assert_eq!(
        ldd.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&ldd.stderr)
    );
    // `env` with no python that can start says so instead of failing to start itself.
    let env = run(&["env", "--format", "json"]).unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&env.stdout).expect("whole JSON");
    assert_eq!(doc["command"], "env");
}

#[test]
fn the_static_binary_maps_no_shared_object_at_run_time() {
    let Some(bin) = static_binary() else { return };
    let t = tempfile::tempdir().unwrap();
    let trace = t.path().join("trace");
    let text = t.path().join("paste.txt");
    std::fs::write(
        &text,
        "ImportError: libstdc++.so.6: cannot open shared object file: No such file or directory\n",
    )
    .unwrap();
    for args in [
        vec!["--version"],
        vec!["rules"],
        vec!["explain", text.to_str().unwrap()],
        vec!["ldd", "/bin/sh"],
        vec!["env", "--format", "json"],
    ] {
        let Ok(out) = Command::new("strace")
            .args(["-f", "-qq", "-e", "trace=mmap,openat", "-o"])
            .arg(&trace)
            .arg(&bin)
            .args(&args)
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("HOME", "/nonexistent")
            .output()
        else {
            skip("no strace (apt-get install strace; .ci/run does)");
            return;
        };
        if out.status.code().is_none_or(|c| c > 3) {
            skip(format!(
                "strace cannot trace here: {}",
                String::from_utf8_lossy(&out.stderr)
            ));
            return;
        }
        let log = std::fs::read_to_string(&trace).unwrap();
        // pydoctor's own process, not the python `env` starts (it runs after a fork + exec).
        let own_pid = log
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_string();
        for line in log.lines().filter(|l| l.starts_with(&own_pid)) {
            let executable_file_mapping =
                line.contains("mmap(") && line.contains("PROT_EXEC") && !line.contains("-1, 0)");
            assert!(
                !executable_file_mapping,
                "{args:?} mapped code from a file (dlopen): {line}"
            );
            for config in ["/etc/nsswitch.conf", "/etc/passwd", "/etc/group", "gconv"] {
                assert!(
                    !(line.contains("openat(") && line.contains(config)),
                    "{args:?} reads {config} (NSS or iconv): {line}"
                );
            }
        }
    }
}
