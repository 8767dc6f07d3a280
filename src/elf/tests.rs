use super::*;

#[test]
fn garbage_is_not_elf_and_short_files_are_too_short() {
    assert_eq!(
        parse_summary(b"hello world, not elf"),
        Err(ElfError::NotElf)
    );
    assert_eq!(
        check_header(b"\x7fELF", Target::X86_64),
        HeaderCheck::Invalid("file too short")
    );
    assert_eq!(
        check_header(&[0u8; 64], Target::X86_64),
        HeaderCheck::Invalid("invalid ELF header")
    );
}

#[test]
fn every_truncation_of_a_real_library_is_an_error_or_a_summary_never_a_panic() {
    let bytes = std::fs::read("/proc/self/exe").unwrap();
    for len in (0..bytes.len().min(8192)).step_by(7) {
        let _ = parse_summary(&bytes[..len]);
        let _ = check_header(&bytes[..len], Target::X86_64);
    }
}

fn load(offset: u64, vaddr: u64, filesz: u64) -> goblin::elf::ProgramHeader {
    goblin::elf::ProgramHeader {
        p_type: goblin::elf::program_header::PT_LOAD,
        p_offset: offset,
        p_vaddr: vaddr,
        p_paddr: vaddr,
        p_filesz: filesz,
        p_memsz: filesz,
        p_flags: 0,
        p_align: 0,
    }
}

#[test]
fn an_address_whose_file_offset_would_wrap_has_none() {
    // The answers must not depend on the build's overflow checks: no panic, no wrap.
    let phdrs = [load(u64::MAX - 0xff, 0x1000, 0x1000)];
    assert_eq!(dynamic::offset_of(&phdrs, 0x1000 + 0xff), Some(usize::MAX));
    assert_eq!(dynamic::offset_of(&phdrs, 0x1000 + 0x100), None);
    let at_top = [load(0, u64::MAX - 1, u64::MAX)];
    assert_eq!(dynamic::offset_of(&at_top, u64::MAX - 1), Some(0));
    assert_eq!(dynamic::offset_of(&at_top, u64::MAX), None);
}

#[test]
fn version_fields_past_the_last_offset_are_out_of_range() {
    let bytes: &[u8] = &[0u8; 64];
    let strings = strings::Strings::new(&bytes, 0, 64, window::Window::load(&bytes, 0, 64));
    for back in [0, 1, 2, 11, 15] {
        let at = usize::MAX - back;
        let table = versions::Table::new(&bytes, None, at, true);
        let needs = table.version_needs(at, 1, &strings);
        assert_eq!(needs, Err(versions::truncated_versions()), "{back}");
        let defs = table.version_defs(at, 1, &strings);
        assert_eq!(defs, Err(versions::truncated_versions()), "{back}");
    }
}
