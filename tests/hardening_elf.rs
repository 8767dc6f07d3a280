//! Property tests for the binary parsers: real ELF files (built by gcc at test time, and real
//! libraries from /usr/lib/x86_64-linux-gnu) and this machine's ld.so.cache, truncated at every
//! interesting length and mutated by a seeded mutator, must give data or a clean error — never
//! a panic — and the resolver on the mutants must finish with whole JSON.
//!
//! A small seeded mutator instead of proptest: the inputs are real files, not generated
//! values, the runs are reproducible from the seed printed on failure, and it costs no build
//! time. The fuzz targets in fuzz/ explore further; this keeps a floor under `cargo test`.

// Shared with other support modules the same test may include.
#[allow(clippy::duplicate_mod)]
#[path = "support/skip.rs"]
mod skip;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use pydoctor::elf::{self, Target};
use pydoctor::env::loader_facts::Loaders;
use pydoctor::loader::Resolver;
use pydoctor::loader::cache::{FLAGS_X86_64, LdCache};
use pydoctor::request::Request;
use pydoctor::source::loader_findings::findings;

#[path = "support/elf_bytes.rs"]
mod elf_bytes;
#[path = "support/rng.rs"]
mod rng;
use elf_bytes::{elf64_header, phdr, u64le};
use rng::Rng;

/// Values that make parsers misbehave: zero, all-ones, sign bits, sizes just past a bound.
const INTERESTING: [u64; 10] = [
    0,
    1,
    0x7f,
    0xff,
    0x7fff_ffff,
    0xffff_ffff,
    0x8000_0000_0000_0000,
    u64::MAX,
    64,
    0x1_0000,
];

/// One mutant of `bytes`: a few byte flips, an interesting integer written somewhere (most
/// often in the first 4 KiB, where the headers and tables are), or a chunk copied elsewhere.
fn mutate(bytes: &[u8], rng: &mut Rng) -> Vec<u8> {
    let mut out = bytes.to_vec();
    if out.is_empty() {
        return out;
    }
    let hot = out.len().min(4096);
    for _ in 0..1 + rng.below(4) {
        let at = if rng.below(4) == 0 {
            rng.below(out.len())
        } else {
            rng.below(hot)
        };
        match rng.below(3) {
            0 => out[at] ^= 1 << rng.below(8),
            1 => {
                let value = INTERESTING[rng.below(INTERESTING.len())].to_le_bytes();
                let width = [1, 2, 4, 8][rng.below(4)];
                for (i, b) in value.iter().take(width).enumerate() {
                    if let Some(slot) = out.get_mut(at + i) {
                        *slot = *b;
                    }
                }
            }
            _ => {
                let from = rng.below(out.len());
                let len = rng.below(64).min(out.len() - from);
                let chunk = out[from..from + len].to_vec();
                for (i, b) in chunk.into_iter().enumerate() {
                    if let Some(slot) = out.get_mut(at + i) {
                        *slot = b;
                    }
                }
            }
        }
    }
    out
}

/// Lengths worth cutting at: every header boundary, then a spread over the file.
fn cut_points(len: usize) -> Vec<usize> {
    let mut cuts: Vec<usize> = (0..=80).collect();
    cuts.extend((1..64).map(|i| len * i / 64));
    cuts.push(len.saturating_sub(1));
    cuts.retain(|&c| c <= len);
    cuts.sort_unstable();
    cuts.dedup();
    cuts
}

/// A gcc-built library with every dynamic feature the reader looks at: NEEDED, SONAME,
/// RPATH, symbol versions needed and defined, an executable stack note.
fn gcc_library(dir: &Path) -> PathBuf {
    std::fs::write(
        dir.join("v.map"),
        "V_1 { global: f; local: *; };\nV_2 { global: g; } V_1;\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("v.c"),
        "#include <math.h>\n#include <stdio.h>\n\
         double f(double x) { return cos(x); }\n\
         int g(void) { return puts(\"hi\"); }\n",
    )
    .unwrap();
    let out = dir.join("libfeatures.so");
    let status = Command::new("gcc")
        .args(["-shared", "-fPIC", "-o"])
        .arg(&out)
        .args([
            "v.c",
            "-Wl,--version-script=v.map",
            "-Wl,-soname,libfeatures.so.1",
            "-Wl,-rpath,$ORIGIN/../lib:/opt/x",
            "-Wl,--disable-new-dtags",
            "-lm",
        ])
        .current_dir(dir)
        .status()
        .expect("gcc");
    assert!(status.success());
    out
}

/// The ELF files the properties run over: gcc-built ones and a few real system libraries.
fn elf_samples(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut samples = vec![(
        "gcc libfeatures.so".to_string(),
        std::fs::read(gcc_library(dir)).unwrap(),
    )];
    for name in ["libz.so.1", "libgcc_s.so.1", "libm.so.6"] {
        let path = Path::new("/usr/lib/x86_64-linux-gnu").join(name);
        match std::fs::read(&path) {
            Ok(bytes) => samples.push((path.display().to_string(), bytes)),
            Err(_) => eprintln!("sample {} is not on this machine: left out", path.display()),
        }
    }
    samples
}

/// The parser's contract on any bytes: an answer or an error, quickly.
fn parse_any(bytes: &[u8]) {
    let started = Instant::now();
    let _ = elf::check_header(bytes, Target::X86_64);
    let _ = elf::parse_summary(bytes);
    assert!(started.elapsed() < Duration::from_secs(2), "slow parse");
}

#[test]
fn truncated_real_elf_files_parse_to_data_or_an_error() {
    let tmp = tempfile::tempdir().unwrap();
    for (name, bytes) in elf_samples(tmp.path()) {
        for cut in cut_points(bytes.len()) {
            let head = &bytes[..cut];
            let result = std::panic::catch_unwind(|| parse_any(head));
            assert!(result.is_ok(), "{name} cut at {cut} panicked");
        }
        // The whole file is a good summary: the mutants below start from something real.
        assert!(elf::parse_summary(&bytes).is_ok(), "{name}");
    }
}

#[test]
fn mutated_real_elf_files_parse_to_data_or_an_error() {
    let tmp = tempfile::tempdir().unwrap();
    let started = Instant::now();
    for (n, (name, bytes)) in elf_samples(tmp.path()).into_iter().enumerate() {
        let seed = 0x5eed_0000 + n as u64;
        let mut rng = Rng(seed);
        for round in 0..1500 {
            let mutant = mutate(&bytes, &mut rng);
            let result = std::panic::catch_unwind(|| parse_any(&mutant));
            assert!(
                result.is_ok(),
                "{name}: seed {seed:#x} round {round} panicked"
            );
        }
    }
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "{:?}",
        started.elapsed()
    );
}

/// The resolver over mutants written to disk next to copies of themselves (their own NEEDED
/// names can point back at them), with a host loader context: whole JSON every time.
#[test]
fn the_resolver_on_mutated_files_finishes_with_whole_json() {
    let tmp = tempfile::tempdir().unwrap();
    let samples = elf_samples(tmp.path());
    let scratch = tmp.path().join("scratch");
    std::fs::create_dir(&scratch).unwrap();
    let request = Request {
        cwd: scratch.clone(),
        ..Request::default()
    };
    let ctx = Loaders::from_request(&request)
        .host()
        .with_ld_library_path(vec![scratch.display().to_string()]);
    let started = Instant::now();
    let mut rng = Rng(0xe1f_5eed);
    for round in 0..300 {
        let (name, bytes) = &samples[round % samples.len()];
        let mutant = mutate(bytes, &mut rng);
        let root = scratch.join("root.so");
        std::fs::write(&root, &mutant).unwrap();
        // Mutated DT_NEEDED strings may name the sample itself.
        std::fs::write(scratch.join("libfeatures.so.1"), &mutant).unwrap();
        let resolver = Resolver::new(ctx.clone());
        let object = resolver.resolve(&root);
        let found = findings(std::slice::from_ref(&object));
        let json = serde_json::to_string(&(&object, &found)).unwrap();
        assert!(
            serde_json::from_str::<serde_json::Value>(&json).is_ok(),
            "{name} round {round}"
        );
    }
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn truncated_and_mutated_ld_so_caches_parse_to_a_cache_or_none() {
    let Ok(real) = std::fs::read("/etc/ld.so.cache") else {
        skip::skip("no /etc/ld.so.cache on this machine");
        return;
    };
    let parsed = LdCache::parse(&real).expect("this machine's cache parses");
    assert!(!parsed.is_empty());
    let hwcaps = vec!["x86-64-v3".to_string(), "x86-64-v2".to_string()];
    let lookups = |cache: &LdCache| {
        for soname in ["libc.so.6", "libz.so.1", "libstdc++.so.6", ""] {
            let _ = cache.lookup(soname, FLAGS_X86_64, &hwcaps);
        }
    };
    for cut in cut_points(real.len()) {
        if let Some(cache) = LdCache::parse(&real[..cut]) {
            lookups(&cache);
        }
    }
    let mut rng = Rng(0xcac4e);
    let started = Instant::now();
    for round in 0..3000 {
        let mutant = mutate(&real, &mut rng);
        let result = std::panic::catch_unwind(|| {
            if let Some(cache) = LdCache::parse(&mutant) {
                lookups(&cache);
            }
        });
        assert!(result.is_ok(), "cache mutant round {round} panicked");
    }
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn hostile_cache_headers_claiming_huge_tables_are_refused_fast() {
    // The new format's header says 2^32-1 entries and a string table past the end.
    let mut bytes = b"glibc-ld.so.cache1.1".to_vec();
    bytes.extend_from_slice(&u32::MAX.to_le_bytes());
    bytes.extend_from_slice(&u32::MAX.to_le_bytes());
    bytes.resize(48, 0);
    let started = Instant::now();
    let parsed = LdCache::parse(&bytes);
    assert!(started.elapsed() < Duration::from_secs(1));
    assert!(parsed.is_none_or(|c| c.is_empty()));
    // The old format's count overflows the multiplication.
    let mut old = b"ld.so-1.7.0\0".to_vec();
    old.extend_from_slice(&u32::MAX.to_le_bytes());
    assert!(LdCache::parse(&old).is_none_or(|c| c.is_empty()));
}

#[test]
fn a_cache_of_entries_whose_strings_never_end_is_parsed_in_linear_time() {
    // A header claiming as many entries as fit, every byte after it non-zero: each entry's key
    // offset (0x01010101, the smallest without a NUL byte) points into a 4 MiB run with no
    // terminator. A string read that scans to the end for each of the ~870,000 entries is
    // quadratic: trillions of byte reads.
    let start = 0x0101_0101usize;
    let size = start + 4 * 1024 * 1024;
    let nlibs = ((size - 48) / 24) as u32;
    let mut bytes = b"glibc-ld.so.cache1.1".to_vec();
    bytes.extend_from_slice(&nlibs.to_le_bytes());
    bytes.resize(48, 0);
    let mut entry = Vec::new();
    entry.extend_from_slice(&0x0101_0101u32.to_le_bytes());
    entry.extend_from_slice(&(start as u32).to_le_bytes());
    entry.extend_from_slice(&(start as u32).to_le_bytes());
    entry.extend_from_slice(&[b'x'; 12]);
    while bytes.len() + 24 <= size {
        bytes.extend_from_slice(&entry);
    }
    bytes.resize(size, b'x');
    let started = Instant::now();
    let _ = LdCache::parse(&bytes);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

/// A hand-made ELF64 shared object: one PT_LOAD over the whole file, a PT_DYNAMIC holding
/// DT_STRTAB, DT_STRSZ, `needed` DT_NEEDED entries all naming string offset 0, then a
/// string table of `strsz` bytes of 'x' with no NUL at all.
fn hostile_needed_elf(needed: usize, strsz: usize) -> Vec<u8> {
    let dyn_at = 64 + 2 * 56;
    let dyn_len = (needed + 3) * 16;
    let str_at = dyn_at + dyn_len;
    let len = str_at + strsz;
    let mut b = Vec::with_capacity(len);
    elf64_header(&mut b, 2);
    phdr(&mut b, 1, 0, 0, len as u64); // PT_LOAD
    let dyn_at64 = dyn_at as u64;
    phdr(&mut b, 2, dyn_at64, dyn_at64, dyn_len as u64); // PT_DYNAMIC
    for (tag, value) in [(5u64, str_at), (10, strsz)] {
        u64le(&mut b, tag);
        u64le(&mut b, value as u64);
    }
    for _ in 0..needed {
        u64le(&mut b, 1); // DT_NEEDED, name at string offset 0
        u64le(&mut b, 0);
    }
    u64le(&mut b, 0); // DT_NULL
    u64le(&mut b, 0);
    b.resize(len, b'x');
    b
}

#[test]
fn the_hand_made_elf_is_read_as_elf() {
    let small = hostile_needed_elf(2, 16);
    let mut terminated = small.clone();
    *terminated.last_mut().unwrap() = 0;
    let summary = elf::parse_summary(&terminated).expect("a valid little ELF");
    assert_eq!(summary.needed.len(), 2);
    assert_eq!(summary.needed[0], "x".repeat(15));
}

/// 60,000 DT_NEEDED entries each naming the same 1 MiB unterminated string: read naively,
/// that is 60 GB of names. Through the CLI, so an out-of-memory abort fails the test cleanly.
#[test]
fn sixty_thousand_needed_names_of_a_megabyte_each_are_refused_not_allocated() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("libhostile.so");
    std::fs::write(&path, hostile_needed_elf(60_000, 1024 * 1024)).unwrap();
    let started = Instant::now();
    let output = Command::new(assert_cmd::cargo::cargo_bin("pydoctor"))
        .args(["--format", "json", "ldd"])
        .arg(&path)
        .env_clear()
        .output()
        .unwrap();
    // About 2 s of CPU in a debug build; the wall clock on a loaded 2-core machine passed
    // 10 s. Reading the names naively takes minutes or runs out of memory.
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "{:?}",
        started.elapsed()
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        !stderr.contains("panicked") && !stderr.contains("memory"),
        "{stderr}"
    );
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("whole JSON");
    let error = json["objects"][0]["error"].as_str().unwrap_or_default();
    assert!(error.contains("string"), "{}", json["objects"][0]);
}
