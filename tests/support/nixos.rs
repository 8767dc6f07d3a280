//! A NixOS-like machine to run programs in: a private mount namespace (as root, `unshare -m`)
//! with a directory bind-mounted over `/lib64` whose `ld-linux-x86-64.so.2` is a symlink to a
//! stand-in nix-ld or stub-ld, and a file saying `ID=nixos` over `/etc/os-release`. The
//! stand-ins are freestanding static programs built with gcc at test time from
//! `fixtures/c/nixos/fhs-loader-standin.c`.
//!
//! Every dynamically linked program in the namespace starts through the stand-in, so a program
//! that must not (pydoctor itself) is started by a copy of the real loader kept in the mounted
//! dir: [`Machine::through_real_loader`].
//! Use from a test file with `#[path = "support/nixos.rs"] mod nixos;`.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

// Shared with other support modules the same test may include.
#[allow(clippy::duplicate_mod)]
#[path = "skip.rs"]
pub mod skip;

const STANDIN: &str = "fixtures/c/nixos/fhs-loader-standin.c";

/// Bind the machine's files, then run the rest of the arguments (`$1` is the machine dir).
const ENTER: &str = r#"mount --bind "$1/os-release" /etc/os-release || exit 90
mount --bind "$1/lib64" /lib64 || exit 91
shift
exec "$@""#;

/// What `/lib64/ld-linux-x86-64.so.2` is on the machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FhsLoader {
    /// nix-ld: runs `$NIX_LD --library-path "$LD_LIBRARY_PATH:$NIX_LD_LIBRARY_PATH" …`.
    NixLd,
    /// stub-ld: prints NixOS's message and exits 127.
    StubLd,
}

pub struct Machine {
    dir: tempfile::TempDir,
}

impl Machine {
    /// The machine, or None after a loud skip (not root, no `unshare`, gcc cannot build).
    pub fn new(loader: FhsLoader) -> Option<Machine> {
        if !skip::is_root() {
            skip::skip("a private /lib64 needs root (unshare -m)");
            return None;
        }
        if Command::new("unshare").arg("--help").output().is_err() {
            skip::skip("no unshare");
            return None;
        }
        let dir = tempfile::tempdir().ok()?;
        let d = dir.path();
        // Named as NixOS names them: pydoctor reads the link target.
        let (standin, define) = match loader {
            FhsLoader::NixLd => (d.join("nix-ld/libexec/nix-ld"), None),
            FhsLoader::StubLd => (d.join("stub-ld/bin/stub-ld"), Some("-DSTUB_LD")),
        };
        std::fs::create_dir_all(standin.parent()?).ok()?;
        std::fs::create_dir_all(d.join("lib64")).ok()?;
        let source = Path::new(env!("CARGO_MANIFEST_DIR")).join(STANDIN);
        let built = Command::new("gcc")
            .args([
                "-nostdlib",
                "-static-pie",
                "-fPIE",
                "-ffreestanding",
                "-fno-builtin",
                "-fno-tree-loop-distribute-patterns",
                "-fno-stack-protector",
                "-o",
            ])
            .arg(&standin)
            .args(define)
            .arg(&source)
            .status()
            .is_ok_and(|s| s.success());
        if !built {
            skip::skip("gcc could not build the freestanding /lib64 loader stand-in");
            return None;
        }
        std::fs::copy("/lib64/ld-linux-x86-64.so.2", d.join("lib64/ld-real.so")).ok()?;
        std::os::unix::fs::symlink(&standin, d.join("lib64/ld-linux-x86-64.so.2")).ok()?;
        std::fs::write(d.join("os-release"), "NAME=NixOS\nID=nixos\n").ok()?;
        Some(Machine { dir })
    }

    /// `program args…` in the machine, with a clean environment (PATH only) and `cwd`.
    pub fn command(&self, program: &Path, args: &[&str], cwd: &Path) -> Command {
        let mut cmd = Command::new("unshare");
        cmd.env_clear()
            .env("PATH", "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin")
            .current_dir(cwd)
            .args(["-m", "sh", "-c", ENTER, "sh"])
            .arg(self.dir.path())
            .arg(program)
            .args(args);
        cmd
    }

    /// The same for a program that must not start through `/lib64` (pydoctor): the real
    /// loader, kept in the machine's dir, runs it.
    pub fn through_real_loader(&self, program: &Path, args: &[&str], cwd: &Path) -> Command {
        let mut all = vec![program.to_str().expect("a UTF-8 path")];
        all.extend_from_slice(args);
        self.command(&self.real_loader(), &all, cwd)
    }

    pub fn real_loader(&self) -> PathBuf {
        self.dir.path().join("lib64/ld-real.so")
    }
}

/// An exit code of the machine's set-up script, not of the program.
pub fn setup_failed(code: i32) -> bool {
    code == 90 || code == 91
}

/// The libraries `program` itself links beyond glibc and the C++ runtime (Debian's python
/// links libexpat and libz), gathered as symlinks in one dir of `under`: on NixOS they come
/// from nix-ld's list or the env's own `lib/`, never from /usr/lib. Asks the host's `ldd`.
pub fn own_libraries(program: &Path, under: &Path) -> Option<PathBuf> {
    const PROVIDED: &[&str] = &[
        "linux-vdso",
        "libc.so",
        "libm.so",
        "libpthread.so",
        "libdl.so",
        "librt.so",
        "libutil.so",
        "ld-linux",
        "libstdc++.so",
        "libgcc_s.so",
    ];
    let out = Command::new("ldd").arg(program).output().ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let dir = under.join("own-libraries");
    std::fs::create_dir_all(&dir).ok()?;
    for line in text.lines() {
        let Some((name, rest)) = line.trim().split_once(" => ") else {
            continue;
        };
        let Some(path) = rest
            .split_whitespace()
            .next()
            .filter(|p| p.starts_with('/'))
        else {
            continue;
        };
        if PROVIDED.iter().any(|p| name.starts_with(p)) {
            continue;
        }
        let link = dir.join(name);
        let _ = std::fs::remove_file(&link);
        std::os::unix::fs::symlink(path, &link).ok()?;
    }
    Some(dir)
}
