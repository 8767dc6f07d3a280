//! Hand-made little-endian ELF64 files for tests that need values no linker writes: the
//! header, program headers and integer writers. Use with
//! `#[path = "support/elf_bytes.rs"] mod elf_bytes;`.
#![allow(dead_code)]

pub fn u16le(b: &mut Vec<u8>, v: u16) {
    b.extend_from_slice(&v.to_le_bytes());
}

pub fn u32le(b: &mut Vec<u8>, v: u32) {
    b.extend_from_slice(&v.to_le_bytes());
}

pub fn u64le(b: &mut Vec<u8>, v: u64) {
    b.extend_from_slice(&v.to_le_bytes());
}

/// The 64-byte header of an x86-64 shared object (ET_DYN) whose `phnum` program headers
/// follow it at offset 64; no section headers.
pub fn elf64_header(b: &mut Vec<u8>, phnum: u16) {
    b.extend_from_slice(&[0x7f, b'E', b'L', b'F', 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    u16le(b, 3); // ET_DYN
    u16le(b, 62); // EM_X86_64
    u32le(b, 1);
    for v in [0, 64, 0] {
        u64le(b, v); // entry, phoff, shoff
    }
    u32le(b, 0);
    for v in [64u16, 56, phnum, 64, 0, 0] {
        u16le(b, v);
    }
}

/// One read-write program header mapping `size` bytes at file offset `off` to `vaddr`.
pub fn phdr(b: &mut Vec<u8>, kind: u32, off: u64, vaddr: u64, size: u64) {
    u32le(b, kind);
    u32le(b, 6);
    for v in [off, vaddr, vaddr, size, size, 8] {
        u64le(b, v);
    }
}
