//! Offsets a hostile ELF file chooses so that adding them wraps. A debug build would panic on
//! the overflow and a release build would wrap silently and read the wrong bytes, so each
//! case asserts the answer (a clean error), which holds whatever the build's overflow checks.
//! Each input is also a fuzz regression (tests/regressions/elf_resolve/elf-offsets-*),
//! replayed through the resolver by tests/hardening_regressions.rs and seeded into
//! scripts/fuzz.sh; `PYDOCTOR_WRITE_REGRESSIONS=1` rewrites those files from here.

use std::path::Path;

use pydoctor::elf::{self, ElfError, Target};

const PT_LOAD: u32 = 1;
const PT_DYNAMIC: u32 = 2;
const DT_NEEDED: u64 = 1;
const DT_STRTAB: u64 = 5;
const DT_STRSZ: u64 = 10;
const DT_VERDEF: u64 = 0x6fff_fffc;
const DT_VERDEFNUM: u64 = 0x6fff_fffd;
const DT_VERNEED: u64 = 0x6fff_fffe;
const DT_VERNEEDNUM: u64 = 0x6fff_ffff;

/// Where the hand-made file keeps its dynamic section and its string table.
const DYN_AT: u64 = 0x200;
const STR_AT: u64 = 0x400;
const STRINGS: &[u8] = b"libc.so.6\0GLIBC_2.34\0";
const VERNEED_AT: u64 = 0x500;
const VERDEF_AT: u64 = 0x600;
const LEN: usize = 0x800;
/// The virtual address the second, hostile PT_LOAD maps.
const HIGH: u64 = 0x10000;

/// A little ELF64 shared object: a PT_LOAD mapping the whole file at address 0, a second
/// PT_LOAD mapping `HIGH..HIGH + 0x1000` to the file offset `high_offset`, a PT_DYNAMIC at
/// `DYN_AT` holding `dyns`, the strings "libc.so.6" and "GLIBC_2.34" at `STR_AT`, and a
/// version need and a version definition of GLIBC_2.34 at `VERNEED_AT` and `VERDEF_AT`.
fn crafted(high_offset: u64, dyns: &[(u64, u64)]) -> Vec<u8> {
    let mut b = Vec::with_capacity(LEN);
    let u16le = |b: &mut Vec<u8>, v: u16| b.extend_from_slice(&v.to_le_bytes());
    let u32le = |b: &mut Vec<u8>, v: u32| b.extend_from_slice(&v.to_le_bytes());
    let u64le = |b: &mut Vec<u8>, v: u64| b.extend_from_slice(&v.to_le_bytes());
    b.extend_from_slice(&[0x7f, b'E', b'L', b'F', 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    u16le(&mut b, 3); // ET_DYN
    u16le(&mut b, 62); // EM_X86_64
    u32le(&mut b, 1);
    for v in [0, 64, 0] {
        u64le(&mut b, v); // entry, phoff, shoff
    }
    u32le(&mut b, 0);
    for v in [64u16, 56, 3, 64, 0, 0] {
        u16le(&mut b, v);
    }
    let phdr = |b: &mut Vec<u8>, kind: u32, off: u64, vaddr: u64, size: u64| {
        u32le(b, kind);
        u32le(b, 6);
        for v in [off, vaddr, vaddr, size, size, 8] {
            u64le(b, v);
        }
    };
    phdr(&mut b, PT_LOAD, 0, 0, LEN as u64);
    phdr(&mut b, PT_LOAD, high_offset, HIGH, 0x1000);
    phdr(&mut b, PT_DYNAMIC, DYN_AT, DYN_AT, 0x100);
    b.resize(DYN_AT as usize, 0);
    for (tag, value) in dyns.iter().chain([&(0, 0)]) {
        u64le(&mut b, *tag);
        u64le(&mut b, *value);
    }
    b.resize(STR_AT as usize, 0);
    b.extend_from_slice(STRINGS);
    // Elf_Verneed {version 1, cnt 1, file 0, aux 16, next 0}, its Elf_Vernaux {hash, flags,
    // other 2, name 10, next 0}.
    b.resize(VERNEED_AT as usize, 0);
    for v in [1u16, 1] {
        u16le(&mut b, v);
    }
    for v in [0u32, 16, 0, 0] {
        u32le(&mut b, v);
    }
    u16le(&mut b, 0);
    u16le(&mut b, 2);
    for v in [10u32, 0] {
        u32le(&mut b, v);
    }
    // Elf_Verdef {version 1, flags 0, ndx 2, cnt 1, hash, aux 20, next 0}, its Elf_Verdaux
    // {name 10, next 0}.
    b.resize(VERDEF_AT as usize, 0);
    for v in [1u16, 0, 2, 1] {
        u16le(&mut b, v);
    }
    for v in [0u32, 20, 0, 10, 0] {
        u32le(&mut b, v);
    }
    b.resize(LEN, 0);
    b
}

/// A string table that is fine, and the version table `tag` at `HIGH`, which the second
/// PT_LOAD maps to the file offset `offset`.
fn version_table_at(tag: u64, num_tag: u64, offset: u64) -> Vec<u8> {
    let dyns = [
        (DT_STRTAB, STR_AT),
        (DT_STRSZ, STRINGS.len() as u64),
        (DT_NEEDED, 0),
        (tag, HIGH),
        (num_tag, 1),
    ];
    crafted(offset, &dyns)
}

/// The hostile inputs, named as their regression files are.
fn cases() -> Vec<(String, Vec<u8>)> {
    // DT_STRTAB at HIGH + 0x200: 0x200 + (u64::MAX - 0xff) wraps to file offset 0x100.
    let strtab_wraps = crafted(
        u64::MAX - 0xff,
        &[(DT_STRTAB, HIGH + 0x200), (DT_STRSZ, 16), (DT_NEEDED, 0)],
    );
    // The string table starts past the end of the file: its end is clamped below its start.
    let strtab_past_end = crafted(
        0x10_0000,
        &[(DT_STRTAB, HIGH), (DT_STRSZ, 16), (DT_NEEDED, 0)],
    );
    let mut out = vec![
        ("strtab-wraps".to_string(), strtab_wraps),
        ("strtab-past-end".to_string(), strtab_past_end),
    ];
    // A version table at the last file offset, or one before it: the first field's offset
    // is past the last. (Nearer the start, the first field read fails before any add wraps.)
    for back in [0u64, 1] {
        let at = u64::MAX - back;
        out.push((
            format!("verneed-at-max-minus-{back}"),
            version_table_at(DT_VERNEED, DT_VERNEEDNUM, at),
        ));
        out.push((
            format!("verdef-at-max-minus-{back}"),
            version_table_at(DT_VERDEF, DT_VERDEFNUM, at),
        ));
    }
    out
}

fn assert_malformed(name: &str, result: Result<elf::ElfSummary, ElfError>, says: &str) {
    match result {
        Err(ElfError::Malformed(m)) => assert!(m.contains(says), "{name}: {m}"),
        other => panic!("{name}: wanted a malformed-ELF error saying {says:?}, got {other:?}"),
    }
}

/// What each case must give: the reader's error for the offset that would have wrapped.
fn expected(name: &str) -> &'static str {
    match name {
        "strtab-wraps" => "no dynamic string table",
        "strtab-past-end" => "string offset 0 out of range",
        _ => "version table out of range",
    }
}

#[test]
fn the_hand_made_file_is_read_when_its_offsets_are_honest() {
    let needs = elf::parse_summary(&version_table_at(DT_VERNEED, DT_VERNEEDNUM, VERNEED_AT))
        .expect("a valid ELF");
    assert_eq!(needs.needed, ["libc.so.6"]);
    let need = &needs.version_needs[..];
    assert_eq!(need.len(), 1, "{need:?}");
    assert_eq!(need[0].file, "libc.so.6");
    assert_eq!(need[0].versions[0].name, "GLIBC_2.34");
    let defs = version_table_at(DT_VERDEF, DT_VERDEFNUM, VERDEF_AT);
    assert_eq!(
        elf::parse_summary(&defs).expect("a valid ELF").version_defs,
        ["GLIBC_2.34"]
    );
    assert_eq!(
        elf::check_header(&defs, Target::X86_64),
        elf::HeaderCheck::Accept
    );
}

#[test]
fn offsets_that_would_wrap_are_malformed_files_in_memory() {
    for (name, bytes) in cases() {
        assert_malformed(&name, elf::parse_summary(&bytes), expected(&name));
        assert_eq!(elf::parse_interpreter(&bytes), Ok(None), "{name}");
    }
}

#[test]
fn offsets_that_would_wrap_are_malformed_files_on_disk() {
    let tmp = tempfile::tempdir().unwrap();
    for (name, bytes) in cases() {
        let path = tmp.path().join(&name);
        std::fs::write(&path, &bytes).unwrap();
        assert_malformed(&name, elf::read_summary(&path), expected(&name));
        let file = elf::open_for_loader(&path)
            .unwrap()
            .expect("a regular file");
        let examined = file.examine(Target::X86_64);
        assert_eq!(examined.check, elf::HeaderCheck::Accept, "{name}");
        assert_malformed(&name, examined.summary, expected(&name));
    }
}

#[test]
fn the_wrapping_inputs_are_fuzz_regressions() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/regressions/elf_resolve");
    let write = std::env::var_os("PYDOCTOR_WRITE_REGRESSIONS").is_some();
    for (name, bytes) in cases() {
        let path = dir.join(format!("elf-offsets-{name}"));
        if write {
            std::fs::write(&path, &bytes).unwrap();
        }
        let stored = std::fs::read(&path).unwrap_or_default();
        assert!(
            stored == bytes,
            "{} differs from the case built here; rerun with PYDOCTOR_WRITE_REGRESSIONS=1",
            path.display()
        );
    }
}
