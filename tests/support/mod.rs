//! Shared helpers for loader tests: build ELF fixtures from `fixtures/c/loader/*.c` with gcc
//! at test time, run the real loader through a dlopen harness, and build a `Request` by hand.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

use pydoctor::request::Request;

pub const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/c/loader");

/// A scratch directory holding built fixtures.
pub struct Fx {
    pub dir: tempfile::TempDir,
}

/// What the real loader did with a dlopen.
#[derive(Debug)]
pub struct RealOutcome {
    pub ok: bool,
    /// dlerror() text on failure.
    pub error: String,
    /// Every object loaded in the process afterwards (paths as the loader names them).
    pub loaded: Vec<String>,
}

impl Fx {
    pub fn new() -> Fx {
        Fx {
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    pub fn mkdir(&self, rel: &str) -> PathBuf {
        let p = self.path(rel);
        std::fs::create_dir_all(&p).unwrap();
        p
    }

    /// gcc -shared -fPIC fixtures/c/loader/<src> -o <out> <args…>; the soname defaults to the
    /// output's file name.
    pub fn lib(&self, src: &str, out: &str, args: &[&str]) -> PathBuf {
        let out_path = self.path(out);
        if let Some(parent) = out_path.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        let soname = out_path.file_name().unwrap().to_string_lossy().into_owned();
        let mut cmd = Command::new("gcc");
        cmd.args(["-shared", "-fPIC", "-o"])
            .arg(&out_path)
            .arg(Path::new(FIXTURES).join(src))
            .arg(format!("-Wl,-soname,{soname}"))
            .args(args)
            .current_dir(self.dir.path());
        run(cmd);
        out_path
    }

    /// The dlopen harness, built once per fixture dir.
    pub fn harness(&self) -> PathBuf {
        let out = self.path("harness");
        if !out.exists() {
            let mut cmd = Command::new("gcc");
            cmd.arg("-o")
                .arg(&out)
                .arg(Path::new(FIXTURES).join("harness.c"))
                .arg("-ldl");
            run(cmd);
        }
        out
    }

    /// Run the harness on `files` with exactly `env` (nothing inherited) in `cwd`.
    pub fn real_dlopen(&self, files: &[&Path], env: &[(&str, &str)], cwd: &Path) -> RealOutcome {
        let out = Command::new(self.harness())
            .args(files)
            .env_clear()
            .envs(env.iter().copied())
            .current_dir(cwd)
            .output()
            .expect("run harness");
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let mut lines = text.lines();
        let first = lines.next().unwrap_or("");
        RealOutcome {
            ok: first == "OK",
            error: first.strip_prefix("ERR ").unwrap_or("").to_string(),
            loaded: lines.map(str::to_string).collect(),
        }
    }

    /// A request as the harness sees it: these variables, this working directory.
    pub fn request(&self, env: &[(&str, &str)], cwd: &Path) -> Request {
        Request {
            vars: env
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            cwd: cwd.to_path_buf(),
            rules_dirs: Vec::new(),
        }
    }
}

fn run(mut cmd: Command) {
    let out = cmd.output().expect("run gcc");
    assert!(
        out.status.success(),
        "{cmd:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
