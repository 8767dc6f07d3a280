//! Bad input never panics or hangs: truncated, mutated and non-ELF files, unreadable
//! directories, symlink loops in a search path and a 10,000-entry path list each give a
//! per-file error or a finding in the report.

mod support;

use std::time::{Duration, Instant};

use pydoctor::env::loader_facts::Loaders;
use pydoctor::loader::Resolver;
use pydoctor::source::loader_findings;
use support::Fx;

/// `<dir>/libb.so` needing liba.so, which no longer exists anywhere.
fn needs_missing_liba(fx: &Fx, dir: &str) -> std::path::PathBuf {
    fx.lib("a.c", "gone/liba.so", &[]);
    let l = format!("-L{}", fx.path("gone").display());
    let lib = fx.lib("b.c", &format!("{dir}/libb.so"), &[&l, "-la"]);
    std::fs::remove_file(fx.path("gone/liba.so")).unwrap();
    lib
}

fn host(fx: &Fx, env: &[(&str, &str)]) -> Resolver {
    Resolver::new(Loaders::from_request(&fx.request(env, fx.dir.path())).host())
}

#[test]
fn truncated_and_mutated_libraries_are_errors_not_panics() {
    let fx = Fx::new();
    let lib = fx.lib("b.c", "T/libb.so", &["-Wl,--no-as-needed", "-lz"]);
    let bytes = std::fs::read(&lib).unwrap();
    let resolver = host(&fx, &[]);
    let mut seed = 0x2545_f491_u64;
    for (i, len) in (0..bytes.len()).step_by(bytes.len() / 60 + 1).enumerate() {
        let cut = fx.path(&format!("T/cut{i}.so"));
        std::fs::write(&cut, &bytes[..len]).unwrap();
        let _ = resolver.resolve(&cut);
        // Mutate a copy: flip bytes across the headers and the dynamic data.
        let mut m = bytes.clone();
        for _ in 0..16 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let at = (seed as usize) % m.len().min(16384);
            m[at] = (seed >> 32) as u8;
        }
        let mutated = fx.path(&format!("T/mut{i}.so"));
        std::fs::write(&mutated, &m).unwrap();
        let object = resolver.resolve(&mutated);
        let _ = loader_findings::findings(std::slice::from_ref(&object));
    }
}

#[test]
fn a_non_elf_file_a_directory_and_a_missing_file_get_per_file_errors() {
    let fx = Fx::new();
    std::fs::write(fx.path("text.so"), "INPUT(-lfoo)\n").unwrap();
    std::fs::write(fx.path("empty.so"), "").unwrap();
    let resolver = host(&fx, &[]);
    for name in ["text.so", "empty.so", "missing.so", "."] {
        let object = resolver.resolve(&fx.path(name));
        assert!(object.error.is_some(), "{name}: {object:?}");
    }
}

#[test]
fn unreadable_dirs_and_symlink_loops_in_the_search_path_are_skipped() {
    let fx = Fx::new();
    let lib = fx.lib("b.c", "S/libb.so", &["-Wl,--no-as-needed", "-lz"]);
    let locked = fx.mkdir("locked");
    std::fs::set_permissions(&locked, std::os::unix::fs::PermissionsExt::from_mode(0o000)).unwrap();
    std::os::unix::fs::symlink(fx.path("loop2"), fx.path("loop1")).unwrap();
    std::os::unix::fs::symlink(fx.path("loop1"), fx.path("loop2")).unwrap();
    let llp = format!(
        "{}:{}:{}/sub",
        locked.display(),
        fx.path("loop1").display(),
        fx.path("loop2").display()
    );
    let resolver = host(&fx, &[("LD_LIBRARY_PATH", &llp)]);
    let object = resolver.resolve(&lib);
    let z = object
        .needed
        .iter()
        .find(|l| l.soname == "libz.so.1")
        .unwrap();
    assert!(z.path.is_some());
    let a = object.needed.iter().find(|l| l.soname == "liba.so");
    assert!(a.is_none_or(|a| a.path.is_none()));
}

#[test]
fn a_path_list_of_ten_thousand_entries_resolves_in_bounded_time() {
    let fx = Fx::new();
    let lib = needs_missing_liba(&fx, "P");
    let llp: Vec<String> = (0..10_000)
        .map(|i| format!("{}/no-such-dir-{i}", fx.dir.path().display()))
        .collect();
    let llp = llp.join(":");
    let start = Instant::now();
    let resolver = host(&fx, &[("LD_LIBRARY_PATH", &llp)]);
    let object = resolver.resolve(&lib);
    assert!(start.elapsed() < Duration::from_secs(20));
    let a = object
        .needed
        .iter()
        .find(|l| l.soname == "liba.so")
        .unwrap();
    assert_eq!(a.path, None);
    assert!(a.tried.len() >= 10_000);
}

#[test]
fn the_cli_reports_bad_files_and_exits_one_for_a_missing_library() {
    let fx = Fx::new();
    let lib = needs_missing_liba(&fx, "C");
    std::fs::write(fx.path("junk.so"), [0x7f, b'E', b'L', b'F', 2, 1, 1]).unwrap();
    let out = assert_cmd::Command::cargo_bin("pydoctor")
        .unwrap()
        .env_clear()
        .args(["--format", "json", "ldd"])
        .arg(&lib)
        .arg(fx.path("junk.so"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["command"], "ldd");
    assert_eq!(v["status"], "problems");
    assert_eq!(v["findings"][0]["kind"], "missing-shared-library");
    assert_eq!(v["findings"][0]["library"], "liba.so");
    assert!(v["objects"][1]["error"].is_string());
}
