//! Every input under tests/regressions/TARGET/ replayed through the same calls as the fuzz
//! target of that name (fuzz/fuzz_targets/TARGET.rs): no panic, bounded time, whole JSON.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use pydoctor::elf::{self, Target};
use pydoctor::env::loader_facts::Loaders;
use pydoctor::loader::Resolver;
use pydoctor::loader::cache::{FLAGS_X86_64, LdCache};
use pydoctor::request::Request;
use pydoctor::rules::Database;
use pydoctor::rules::files::RuleFile;
use pydoctor::source::input::read_bounded;
use pydoctor::source::loader_findings::findings;
use pydoctor::source::text::analyse;

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/regressions");

fn inputs(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = Path::new(DIR).join(target);
    let mut out: Vec<(PathBuf, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap();
            (p, bytes)
        })
        .collect();
    out.sort();
    out
}

/// Run `f` on every input of `target`, each within `budget`.
fn replay(target: &str, budget: Duration, f: impl Fn(&[u8])) {
    for (path, bytes) in inputs(target) {
        let started = Instant::now();
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(&bytes)));
        assert!(result.is_ok(), "{} panicked", path.display());
        assert!(
            started.elapsed() < budget,
            "{} took {:?}",
            path.display(),
            started.elapsed()
        );
    }
}

#[test]
fn elf_resolve_regressions() {
    let tmp = tempfile::tempdir().unwrap();
    let request = Request {
        cwd: tmp.path().to_path_buf(),
        ..Request::default()
    };
    let ctx = Loaders::from_request(&request)
        .host()
        .with_ld_library_path(vec![tmp.path().display().to_string()]);
    replay("elf_resolve", Duration::from_secs(10), |data| {
        let _ = elf::check_header(data, Target::X86_64);
        let _ = elf::parse_summary(data);
        for name in ["root.so", "liba.so", "libb.so.1"] {
            std::fs::write(tmp.path().join(name), data).unwrap();
        }
        let object = Resolver::new(ctx.clone()).resolve(&tmp.path().join("root.so"));
        let found = findings(std::slice::from_ref(&object));
        let json = serde_json::to_string(&(&object, &found)).unwrap();
        serde_json::from_str::<serde_json::Value>(&json).unwrap();
    });
}

#[test]
fn ld_cache_regressions() {
    replay("ld_cache", Duration::from_secs(5), |data| {
        if let Some(cache) = LdCache::parse(data) {
            for name in ["libc.so.6", "libz.so.1", ""] {
                let _ = cache.lookup(name, FLAGS_X86_64, &["x86-64-v3".to_string()]);
            }
        }
    });
}

#[test]
fn paste_regressions() {
    replay("paste", Duration::from_secs(10), |data| {
        let input = read_bounded(data, 1 << 20).unwrap();
        let text = analyse(&input.text, std::path::Path::new("/nix/store")).unwrap();
        let json = serde_json::to_string(&text.failures).unwrap();
        serde_json::from_str::<serde_json::Value>(&json).unwrap();
    });
}

#[test]
fn rule_file_regressions() {
    replay("rule_file", Duration::from_secs(10), |data| {
        let Some((&selector, rest)) = data.split_first() else {
            return;
        };
        let name = match selector % 6 {
            0 | 1 => "fuzz/PD999-fuzz.toml",
            2 => "fuzz/tables/nixpkgs.toml",
            3 => "fuzz/tables/distro.toml",
            _ => "fuzz/tables/messages.toml",
        };
        let file = RuleFile {
            name: name.to_string(),
            text: String::from_utf8_lossy(rest).into_owned(),
        };
        if let Err(e) = Database::from_files(&[file]) {
            assert!(e.to_string().contains(name), "{e}");
        }
    });
}
