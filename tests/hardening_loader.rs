//! The loader emulation under attack, through the real CLI (`pydoctor ldd --format json`):
//! dependency cycles, 10,000-entry search paths, symlink loops, unreadable directories, FIFOs,
//! endless devices and a 200 MB sparse file. Each must finish quickly with a clear answer,
//! whole JSON on stdout and no panic. ELF files are built by gcc at test time; real `ldd` is
//! the oracle where it has something to say.

// Shared with other support modules the same test may include.
#[allow(clippy::duplicate_mod)]
#[path = "support/skip.rs"]
mod skip;

use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// Every case here finishes in well under a second; the guard only catches hangs.
const GUARD: Duration = Duration::from_secs(30);

struct Run {
    code: i32,
    json: Value,
    elapsed: Duration,
}

/// `pydoctor --format json ldd FILE…` with exactly `env`, killed if it outlives the guard.
fn ldd(files: &[&Path], env: &[(&str, &str)]) -> Run {
    ldd_as(None, files, env)
}

fn ldd_as(user: Option<&str>, files: &[&Path], env: &[(&str, &str)]) -> Run {
    let bin = assert_cmd::cargo::cargo_bin("pydoctor");
    let mut cmd = match user {
        Some(user) => {
            let mut c = Command::new("setpriv");
            c.args([
                &format!("--reuid={user}"),
                &format!("--regid={user}"),
                "--clear-groups",
                "--",
            ])
            .arg(&bin);
            c
        }
        None => Command::new(&bin),
    };
    cmd.args(["--format", "json", "ldd"])
        .args(files)
        .env_clear()
        .envs(env.iter().copied())
        .current_dir("/")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let started = Instant::now();
    let child = cmd.spawn().expect("spawn pydoctor");
    let output = wait_guarded(child);
    let elapsed = started.elapsed();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    let json: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "not whole JSON ({e}): {}\n{stderr}",
            String::from_utf8_lossy(&output.stdout)
        )
    });
    Run {
        code: output.status.code().unwrap_or(-1),
        json,
        elapsed,
    }
}

/// Wait for the child, killing it when it outlives [`GUARD`] (and failing: that is a hang).
fn wait_guarded(mut child: std::process::Child) -> std::process::Output {
    use wait_timeout::ChildExt;
    let stdout = child.stdout.take();
    let stderr = child.stderr.take();
    let out_reader = std::thread::spawn(move || read_all(stdout));
    let err_reader = std::thread::spawn(move || read_all(stderr));
    let status = match child.wait_timeout(GUARD).unwrap() {
        Some(status) => status,
        None => {
            let _ = child.kill();
            let _ = child.wait();
            panic!("pydoctor hung for {GUARD:?}");
        }
    };
    std::process::Output {
        status,
        stdout: out_reader.join().unwrap(),
        stderr: err_reader.join().unwrap(),
    }
}

fn read_all(stream: Option<impl std::io::Read>) -> Vec<u8> {
    let mut buf = Vec::new();
    if let Some(mut s) = stream {
        let _ = s.read_to_end(&mut buf);
    }
    buf
}

fn gcc(args: &[&str], cwd: &Path) {
    let out = Command::new("gcc")
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("gcc");
    assert!(
        out.status.success(),
        "gcc {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A shared library `name` (also its soname) in `dir`, needing `needs` (paths or -l names).
fn lib(dir: &Path, name: &str, extra: &[&str]) -> PathBuf {
    let src = dir.join(format!("{name}.c"));
    let symbol = name.replace(['.', '-', '+'], "_");
    std::fs::write(&src, format!("int {symbol}_f(void) {{ return 1; }}\n")).unwrap();
    let out = dir.join(name);
    let mut args = vec![
        "-shared".to_string(),
        "-fPIC".into(),
        "-o".into(),
        out.display().to_string(),
        src.display().to_string(),
        format!("-Wl,-soname,{name}"),
        "-Wl,--no-as-needed".into(),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    gcc(&args, dir);
    out
}

fn object(run: &Run, i: usize) -> &Value {
    &run.json["objects"][i]
}

fn needed<'a>(libs: &'a Value, soname: &str) -> &'a Value {
    libs.as_array()
        .and_then(|a| a.iter().find(|l| l["soname"] == soname))
        .unwrap_or_else(|| panic!("{soname} not in {libs}"))
}

/// The dirs tried for `soname`, needed by the first file and not found.
fn tried_for_missing<'a>(run: &'a Run, soname: &str) -> &'a Vec<Value> {
    let lib = needed(&object(run, 0)["needed"], soname);
    assert!(lib["path"].is_null(), "{lib}");
    lib["tried"].as_array().unwrap()
}

fn real_ldd(file: &Path, env: &[(&str, &str)]) -> String {
    let out = Command::new("ldd")
        .arg(file)
        .env_clear()
        .envs(env.iter().copied())
        .output()
        .expect("ldd");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn two_libraries_needing_each_other_resolve_once_each_and_finish() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    // libb first alone, then liba needing it, then libb again needing liba: a true cycle.
    lib(dir, "libcyb.so", &[]);
    lib(dir, "libcya.so", &["-L.", "-l:libcyb.so"]);
    lib(dir, "libcyb.so", &["-L.", "-l:libcya.so"]);
    let root = lib(dir, "libroot.so", &["-L.", "-l:libcya.so"]);
    let llp = dir.display().to_string();
    let env = [("LD_LIBRARY_PATH", llp.as_str())];

    let run = ldd(&[&root], &env);
    assert!(run.elapsed < Duration::from_secs(5), "{:?}", run.elapsed);
    assert_eq!(run.code, 0, "{}", run.json);
    let a = needed(&object(&run, 0)["needed"], "libcya.so");
    assert_eq!(a["found_via"], "ld_library_path");
    let b = needed(&a["needed"], "libcyb.so");
    assert!(b["path"].as_str().unwrap().ends_with("/libcyb.so"));
    // The cycle closes on liba, already loaded: listed without a subtree.
    let back = needed(&b["needed"], "libcya.so");
    assert_eq!(back["needed"], serde_json::json!([]));

    // The oracle agrees that both are found.
    let real = real_ldd(&root, &env);
    assert!(
        real.contains("libcya.so =>") && real.contains("libcyb.so =>"),
        "{real}"
    );
    assert!(!real.contains("not found"), "{real}");
}

#[test]
fn a_library_needing_itself_is_not_a_loop() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    lib(dir, "libself.so", &[]);
    let me = lib(dir, "libself.so", &["-L.", "-l:libself.so"]);
    let llp = dir.display().to_string();
    let run = ldd(&[&me], &[("LD_LIBRARY_PATH", llp.as_str())]);
    assert!(run.elapsed < Duration::from_secs(5));
    assert!(object(&run, 0)["error"].is_null(), "{}", run.json);
}

/// `n` short directory names that do not exist, then `last`.
fn many_dirs(n: usize, last: &Path) -> String {
    let mut dirs: Vec<String> = (0..n).map(|i| format!("/no/{i}")).collect();
    dirs.push(last.display().to_string());
    dirs.join(":")
}

#[test]
fn a_ten_thousand_entry_ld_library_path_is_searched_in_bounded_time() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    lib(dir, "libfar.so", &[]);
    // libnowhere.so exists at link time only.
    lib(dir, "libnowhere.so", &[]);
    let root = lib(
        dir,
        "libroot.so",
        &["-L.", "-l:libfar.so", "-l:libnowhere.so"],
    );
    std::fs::remove_file(dir.join("libnowhere.so")).unwrap();
    let llp = many_dirs(10_000, dir);
    let run = ldd(&[&root], &[("LD_LIBRARY_PATH", llp.as_str())]);
    // A bound against a search that grows out of hand (minutes), not a speed figure: a loaded
    // two-core CI machine takes 10 s at worst.
    assert!(run.elapsed < Duration::from_secs(30), "{:?}", run.elapsed);
    let libs = &object(&run, 0)["needed"];
    let far = needed(libs, "libfar.so");
    assert_eq!(far["found_via"], "ld_library_path");
    // The missing one lists every directory tried, the 10,000 included, and nothing more.
    let missing = needed(libs, "libnowhere.so");
    assert!(missing["path"].is_null());
    let tried = missing["tried"].as_array().unwrap();
    assert!(tried.len() >= 10_001, "{}", tried.len());
    assert!(tried.len() < 200_000, "{}", tried.len());
    assert_eq!(run.code, 1, "a missing library is a problem");
}

fn needs_missing_lib(dir: &Path, extra: &[&str]) -> PathBuf {
    lib(dir, "libgone.so", &[]);
    let mut args = vec!["-L.", "-l:libgone.so"];
    args.extend_from_slice(extra);
    let root = lib(dir, "libroot.so", &args);
    std::fs::remove_file(dir.join("libgone.so")).unwrap();
    root
}

#[test]
fn a_ten_thousand_entry_rpath_is_searched_in_bounded_time() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let rpath = format!("-Wl,-rpath,{}", many_dirs(10_000, Path::new("$ORIGIN/sub")));
    let root = needs_missing_lib(dir, &["-Wl,--disable-new-dtags", &rpath]);
    let run = ldd(&[&root], &[]);
    // A bound against a search that grows out of hand (minutes), not a speed figure: a loaded
    // two-core CI machine takes 10 s at worst.
    assert!(run.elapsed < Duration::from_secs(30), "{:?}", run.elapsed);
    let tried = tried_for_missing(&run, "libgone.so");
    assert!(tried.len() > 10_000, "{}", tried.len());
    assert!(
        tried.iter().any(|t| t.as_str().unwrap().contains("/sub")),
        "$ORIGIN expanded"
    );

    // The same list as RUNPATH.
    let tmp2 = tempfile::tempdir().unwrap();
    let root = needs_missing_lib(tmp2.path(), &["-Wl,--enable-new-dtags", &rpath]);
    let run = ldd(&[&root], &[]);
    // A bound against a search that grows out of hand (minutes), not a speed figure: a loaded
    // two-core CI machine takes 10 s at worst.
    assert!(run.elapsed < Duration::from_secs(30), "{:?}", run.elapsed);
    assert!(tried_for_missing(&run, "libgone.so").len() > 10_000);
}

#[test]
fn a_symlink_loop_in_a_search_dir_is_skipped_like_a_missing_file() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let root = needs_missing_lib(dir, &[]);
    let loops = dir.join("loops");
    std::fs::create_dir(&loops).unwrap();
    // libgone.so -> libgone2.so -> libgone.so, and a directory loop beside it.
    symlink("libgone2.so", loops.join("libgone.so")).unwrap();
    symlink("libgone.so", loops.join("libgone2.so")).unwrap();
    symlink(".", loops.join("glibc-hwcaps")).unwrap();
    let llp = loops.display().to_string();
    let env = [("LD_LIBRARY_PATH", llp.as_str())];
    let run = ldd(&[&root], &env);
    assert!(run.elapsed < Duration::from_secs(5));
    let tried = tried_for_missing(&run, "libgone.so");
    assert!(tried.iter().any(|t| t.as_str().unwrap().starts_with(&llp)));
    assert!(real_ldd(&root, &env).contains("libgone.so => not found"));
}

#[test]
fn a_symlink_loop_given_to_ldd_is_a_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    let a = tmp.path().join("a.so");
    symlink("b.so", &a).unwrap();
    symlink("a.so", tmp.path().join("b.so")).unwrap();
    // The only file given cannot be read: an I/O error, exit 2, with the JSON error document.
    let run = ldd(&[&a], &[]);
    assert_eq!(run.code, 2);
    let error = run.json["error"]["message"].as_str().unwrap().to_string();
    assert!(error.contains("cannot open"), "{error}");
    assert!(error.contains("symbolic links"), "{error}");
    // Beside a readable file, it is a per-file error in the report, and still exit 2.
    let run = ldd(&[&a, Path::new("/bin/ls")], &[]);
    assert_eq!(run.code, 2);
    let error = object(&run, 0)["error"].as_str().unwrap().to_string();
    assert!(error.contains("symbolic links"), "{error}");
}

#[test]
fn a_fifo_given_to_ldd_or_met_in_a_search_dir_does_not_hang() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let root = needs_missing_lib(dir, &[]);
    let fifos = dir.join("fifos");
    std::fs::create_dir(&fifos).unwrap();
    mkfifo(&fifos.join("libgone.so"));
    let given = dir.join("given.so");
    mkfifo(&given);

    let llp = fifos.display().to_string();
    let run = ldd(&[&given, &root], &[("LD_LIBRARY_PATH", llp.as_str())]);
    assert!(run.elapsed < Duration::from_secs(5), "{:?}", run.elapsed);
    let error = object(&run, 0)["error"].as_str().unwrap();
    assert!(error.contains("FIFO"), "{error}");
    let gone = needed(&object(&run, 1)["needed"], "libgone.so");
    assert!(gone["path"].is_null(), "{gone}");
}

fn mkfifo(path: &Path) {
    let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0, "mkfifo");
}

#[test]
fn endless_devices_given_to_ldd_are_not_elf_files() {
    let run = ldd(&[Path::new("/dev/zero"), Path::new("/dev/urandom")], &[]);
    assert!(run.elapsed < Duration::from_secs(5), "{:?}", run.elapsed);
    // No file given is an ELF file: a usage error (exit 2) with the error document.
    assert_eq!(run.code, 2);
    let error = run.json["error"]["message"].as_str().unwrap();
    assert!(error.contains("/dev/zero: not an ELF file"), "{error}");
    // Beside one, each is a per-file error in the report, and still exit 2.
    let run = ldd(
        &[
            Path::new("/dev/zero"),
            Path::new("/dev/urandom"),
            Path::new("/bin/ls"),
        ],
        &[],
    );
    assert_eq!(run.code, 2);
    for i in 0..2 {
        let error = object(&run, i)["error"].as_str().unwrap();
        assert_eq!(error, "not an ELF file");
    }
}

#[test]
fn a_200_mb_sparse_library_is_read_only_where_needed() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    lib(dir, "libdep.so", &[]);
    let big = lib(dir, "libbig.so", &["-L.", "-l:libdep.so"]);
    // Same headers and dynamic section, 200 MB of holes after them.
    std::fs::OpenOptions::new()
        .write(true)
        .open(&big)
        .unwrap()
        .set_len(200 * 1024 * 1024)
        .unwrap();
    let llp = dir.display().to_string();
    let run = ldd(&[&big], &[("LD_LIBRARY_PATH", llp.as_str())]);
    assert!(run.elapsed < Duration::from_secs(3), "{:?}", run.elapsed);
    assert!(object(&run, 0)["error"].is_null(), "{}", run.json);
    let dep = needed(&object(&run, 0)["needed"], "libdep.so");
    assert_eq!(dep["found_via"], "ld_library_path");
}

#[test]
fn a_truncated_header_in_a_sparse_file_is_an_error_not_a_crash() {
    let tmp = tempfile::tempdir().unwrap();
    let big = tmp.path().join("hollow.so");
    // Only the ELF magic, then 200 MB of zeros: every table offset points into the holes.
    let f = std::fs::File::create(&big).unwrap();
    std::io::Write::write_all(&mut &f, b"\x7fELF\x02\x01\x01").unwrap();
    f.set_len(200 * 1024 * 1024).unwrap();
    let run = ldd(&[&big], &[]);
    assert!(run.elapsed < Duration::from_secs(3), "{:?}", run.elapsed);
    assert!(object(&run, 0)["error"].as_str().is_some(), "{}", run.json);
}

/// Run as `nobody`, for whom a mode-000 directory really is unreadable (root reads anything).
#[test]
fn an_unreadable_search_dir_is_skipped_like_the_loader_skips_it() {
    let probe = Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", "true"])
        .status();
    if !probe.is_ok_and(|s| s.success()) {
        skip::skip("cannot run as nobody with setpriv here");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::set_permissions(dir, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let root = needs_missing_lib(dir, &[]);
    let closed = dir.join("closed");
    std::fs::create_dir(&closed).unwrap();
    std::fs::copy(dir.join("libroot.so"), closed.join("libgone.so")).unwrap();
    std::fs::set_permissions(&closed, std::os::unix::fs::PermissionsExt::from_mode(0o000)).unwrap();
    let llp = closed.display().to_string();
    let env = [("LD_LIBRARY_PATH", llp.as_str())];

    let bin = assert_cmd::cargo::cargo_bin("pydoctor");
    if !bin
        .ancestors()
        .all(|p| p.as_os_str().is_empty() || is_world_searchable(p))
    {
        skip::skip(format!("nobody cannot reach {}", bin.display()));
        return;
    }
    let run = ldd_as(Some(NOBODY), &[&root], &env);
    assert!(run.elapsed < Duration::from_secs(5));
    let tried = tried_for_missing(&run, "libgone.so");
    assert!(tried.iter().any(|t| t.as_str().unwrap().starts_with(&llp)));
    // The oracle, as nobody too.
    let real = Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", "ldd"])
        .arg(&root)
        .env_clear()
        .envs(env)
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&real.stdout).contains("libgone.so => not found"));
}

/// `nobody`'s uid and gid, numeric: setpriv does not look group names up.
const NOBODY: &str = "65534";

fn is_world_searchable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).is_ok_and(|m| m.permissions().mode() & 0o001 != 0 || m.is_file())
}

/// A minimal ELF64 shared object whose only dynamic entry is DT_NEEDED `needed`.
fn one_needed_elf(needed: &str) -> Vec<u8> {
    let mut strtab = needed.as_bytes().to_vec();
    strtab.push(0);
    let dyn_at = 64 + 2 * 56;
    let dyn_len = 4 * 16;
    let str_at = dyn_at + dyn_len;
    let len = (str_at + strtab.len()) as u64;
    let mut b = vec![0x7f, b'E', b'L', b'F', 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    b.extend_from_slice(&3u16.to_le_bytes()); // ET_DYN
    b.extend_from_slice(&62u16.to_le_bytes()); // EM_X86_64
    b.extend_from_slice(&1u32.to_le_bytes());
    for v in [0u64, 64, 0] {
        b.extend_from_slice(&v.to_le_bytes()); // entry, phoff, shoff
    }
    b.extend_from_slice(&0u32.to_le_bytes());
    for v in [64u16, 56, 2, 64, 0, 0] {
        b.extend_from_slice(&v.to_le_bytes());
    }
    for (kind, off, size) in [(1u32, 0u64, len), (2, dyn_at as u64, dyn_len as u64)] {
        b.extend_from_slice(&kind.to_le_bytes());
        b.extend_from_slice(&6u32.to_le_bytes());
        for v in [off, off, off, size, size, 8] {
            b.extend_from_slice(&v.to_le_bytes());
        }
    }
    for (tag, value) in [
        (5u64, str_at as u64),
        (10, strtab.len() as u64),
        (1, 0),
        (0, 0),
    ] {
        b.extend_from_slice(&tag.to_le_bytes());
        b.extend_from_slice(&value.to_le_bytes());
    }
    b.extend_from_slice(&strtab);
    b
}

#[test]
fn a_five_thousand_library_needed_chain_neither_overflows_nor_nests_without_end() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    for i in 0..5000 {
        std::fs::write(
            dir.join(format!("lib{i}.so")),
            one_needed_elf(&format!("lib{}.so", i + 1)),
        )
        .unwrap();
    }
    let llp = dir.display().to_string();
    // `ldd` parses the output with serde_json's default 128-level nesting limit: it must fit.
    let run = ldd(
        &[&dir.join("lib0.so")],
        &[("LD_LIBRARY_PATH", llp.as_str())],
    );
    assert!(run.elapsed < Duration::from_secs(20), "{:?}", run.elapsed);
    let mut level = &object(&run, 0)["needed"][0];
    let mut depth = 1;
    while level["needed"].as_array().is_some_and(|a| !a.is_empty()) {
        level = &level["needed"][0];
        depth += 1;
    }
    assert!(depth <= 32, "{depth}");
    assert!(
        level["error"].as_str().unwrap().contains("deeper than"),
        "{level}"
    );
}
