//! The CLI's comforts: help, version, completions, man page, and the Nix packaging files.

// Shared with other support modules the same test may include.
#[allow(clippy::duplicate_mod)]
#[path = "support/skip.rs"]
mod skip;

use std::process::Command;

use assert_cmd::cargo::cargo_bin_cmd;

fn pydoctor() -> assert_cmd::Command {
    let mut cmd = cargo_bin_cmd!("pydoctor");
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default());
    cmd
}

#[test]
fn help_describes_every_command() {
    let out = pydoctor()
        .arg("--help")
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let help = String::from_utf8(out).unwrap();
    for command in [
        "check",
        "explain",
        "ldd",
        "scan",
        "env",
        "rules",
        "completions",
    ] {
        assert!(
            help.contains(&format!("  {command} ")),
            "--help lacks {command}:\n{help}"
        );
    }
    assert!(help.contains("Exit codes"), "--help documents exit codes");
}

#[test]
fn version_names_the_git_revision_when_built_from_git() {
    let out = pydoctor()
        .arg("--version")
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let version = String::from_utf8(out).unwrap();
    assert!(
        version.starts_with(&format!("pydoctor {}", env!("CARGO_PKG_VERSION"))),
        "{version}"
    );
    let in_git = Command::new("git")
        .args(["rev-parse", "--short=10", "HEAD"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .is_ok_and(|o| o.status.success());
    if in_git {
        assert!(
            version.contains('('),
            "a git build shows its revision: {version}"
        );
    }
}

#[test]
fn completions_are_generated_for_bash_zsh_and_fish() {
    for (shell, marker) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef pydoctor"),
        ("fish", "complete -c pydoctor"),
    ] {
        let out = pydoctor()
            .args(["completions", shell])
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        let script = String::from_utf8(out).unwrap();
        assert!(
            script.contains(marker),
            "{shell} completion lacks {marker:?}"
        );
        assert!(
            script.contains("explain"),
            "{shell} completion knows the subcommands"
        );
    }
}

#[test]
fn bash_completion_script_is_valid_bash() {
    let out = pydoctor()
        .args(["completions", "bash"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("pydoctor.bash");
    std::fs::write(&file, out).unwrap();
    let status = Command::new("bash").arg("-n").arg(&file).status().unwrap();
    assert!(status.success(), "bash -n rejects the completion script");
}

#[test]
fn man_page_is_generated_roff() {
    let out = pydoctor()
        .arg("manpage")
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let man = String::from_utf8(out).unwrap();
    assert!(
        man.starts_with(".ie") || man.contains(".TH pydoctor"),
        "not roff: {}",
        &man[..man.len().min(200)]
    );
    assert!(man.contains("explain"));
}

#[test]
fn nix_files_parse() {
    let Ok(probe) = Command::new("nix-instantiate").arg("--version").output() else {
        skip::skip("nix-instantiate not installed (apt-get install nix-bin; .ci/run does)");
        return;
    };
    assert!(probe.status.success());
    for file in ["flake.nix", "package.nix"] {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(file);
        let out = Command::new("nix-instantiate")
            .arg("--parse")
            // Parsing needs no store: none is opened, so any user can parse (a daemon socket
            // or a store dir is not there for a build user or nobody).
            .args(["--store", "dummy://"])
            .arg(&path)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{file} does not parse: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
