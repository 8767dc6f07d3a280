//! The ELF header and the program headers: what ld.so's `open_verify` says of a file's first
//! bytes ([`check_header`]), and the parsed header with its program headers that every other
//! question starts from ([`Headers`]).

use goblin::container::{Container, Ctx, Endian};
use goblin::elf::header::{
    EI_ABIVERSION, EI_CLASS, EI_DATA, EI_OSABI, EI_VERSION, ELFCLASS32, ELFCLASS64, ELFDATA2LSB,
    ELFDATA2MSB, ELFMAG, ET_DYN, ET_EXEC, EV_CURRENT, SELFMAG,
};
use goblin::elf::program_header::ProgramHeader;
use serde::{Deserialize, Serialize};

use super::window::Window;
use super::{ElfError, malformed};

/// `EM_X86_64`.
pub const EM_X86_64: u16 = 62;
/// `EM_386`.
pub const EM_386: u16 = 3;
/// `EM_AARCH64`.
pub const EM_AARCH64: u16 = 183;

/// 32- or 64-bit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ElfClass {
    Elf32,
    Elf64,
}

impl ElfClass {
    /// The name ld.so uses in "wrong ELF class: ELFCLASS32".
    pub fn loader_name(self) -> &'static str {
        match self {
            ElfClass::Elf32 => "ELFCLASS32",
            ElfClass::Elf64 => "ELFCLASS64",
        }
    }

    fn other(self) -> ElfClass {
        match self {
            ElfClass::Elf32 => ElfClass::Elf64,
            ElfClass::Elf64 => ElfClass::Elf32,
        }
    }
}

/// What the loader accepts: class and machine of the process it runs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Target {
    pub class: ElfClass,
    pub machine: u16,
}

impl Target {
    /// x86-64, the only target the tests run on.
    pub const X86_64: Target = Target {
        class: ElfClass::Elf64,
        machine: EM_X86_64,
    };
}

/// ld.so's `open_verify` verdict on a file's first bytes (docs/loader-and-nix.md, "What is skipped, and what stops the search").
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeaderCheck {
    /// Loadable by this loader.
    Accept,
    /// Other class: skipped, the search continues; remembered for the error message.
    WrongClass(ElfClass),
    /// Other machine: skipped silently, the search continues.
    WrongMachine(u16),
    /// Fatal for the loader: the search stops with this message.
    Invalid(&'static str),
}

/// Check the ELF header the way `open_verify` does, from at least the first 64 bytes.
/// Every index is a constant below the header size checked first.
pub fn check_header(bytes: &[u8], target: Target) -> HeaderCheck {
    let ehdr_size = match target.class {
        ElfClass::Elf32 => 52,
        ElfClass::Elf64 => 64,
    };
    if bytes.len() < ehdr_size {
        return HeaderCheck::Invalid("file too short");
    }
    if &bytes[..SELFMAG] != ELFMAG {
        return HeaderCheck::Invalid("invalid ELF header");
    }
    // Any class byte other than the loader's own is "the other class" to ld.so.
    let own = match target.class {
        ElfClass::Elf32 => ELFCLASS32,
        ElfClass::Elf64 => ELFCLASS64,
    };
    if bytes[EI_CLASS] != own {
        return HeaderCheck::WrongClass(target.class.other());
    }
    if let Some(invalid) = ident_problem(bytes) {
        return HeaderCheck::Invalid(invalid);
    }
    let e_type = u16::from_le_bytes([bytes[16], bytes[17]]);
    let machine = u16::from_le_bytes([bytes[18], bytes[19]]);
    let version = u32::from_le_bytes([bytes[20], bytes[21], bytes[22], bytes[23]]);
    if version != u32::from(EV_CURRENT) {
        return HeaderCheck::Invalid("ELF file version does not match current one");
    }
    if machine != target.machine {
        return HeaderCheck::WrongMachine(machine);
    }
    if e_type != ET_DYN && e_type != ET_EXEC {
        return HeaderCheck::Invalid("only ET_DYN and ET_EXEC can be loaded");
    }
    let (phentsize_at, expected) = match target.class {
        ElfClass::Elf64 => (54, 56),
        ElfClass::Elf32 => (42, 32),
    };
    let phentsize = u16::from_le_bytes([bytes[phentsize_at], bytes[phentsize_at + 1]]);
    if phentsize != expected {
        return HeaderCheck::Invalid("ELF file's phentsize not the expected size");
    }
    HeaderCheck::Accept
}

/// What `open_verify` refuses in `e_ident` past the class, in its order.
fn ident_problem(bytes: &[u8]) -> Option<&'static str> {
    if bytes[EI_DATA] != ELFDATA2LSB {
        return Some("ELF file data encoding not little-endian");
    }
    if bytes[EI_VERSION] != EV_CURRENT {
        return Some("ELF file version ident does not match current one");
    }
    // ELFOSABI_SYSV (0) with ABI version 0, or ELFOSABI_GNU (3) with a small ABI version.
    match (bytes[EI_OSABI], bytes[EI_ABIVERSION]) {
        (0, 0) | (3, 0..=4) => {}
        (0 | 3, _) => return Some("ELF file ABI version invalid"),
        _ => return Some("ELF file OS ABI invalid"),
    }
    if bytes[EI_ABIVERSION + 1..16].iter().any(|b| *b != 0) {
        return Some("nonzero padding in e_ident");
    }
    None
}

/// The ELF header's facts and the program headers, parsed from the first read of a file.
pub(super) struct Headers {
    pub class: ElfClass,
    pub little: bool,
    pub machine: u16,
    pub elf_type: u16,
    pub phdrs: Vec<ProgramHeader>,
}

impl Headers {
    /// From `head`, the window read at offset 0; program headers outside it are read.
    pub fn parse(head: &Window) -> Result<Headers, ElfError> {
        let ident = head
            .inside(0, 64.min(head.src.len()))
            .ok_or(ElfError::NotElf)?;
        if ident.len() < SELFMAG || &ident[..SELFMAG] != ELFMAG {
            return Err(ElfError::NotElf);
        }
        let header = goblin::elf::Elf::parse_header(ident).map_err(malformed)?;
        let class = match header.e_ident[EI_CLASS] {
            ELFCLASS32 => ElfClass::Elf32,
            ELFCLASS64 => ElfClass::Elf64,
            c => return Err(ElfError::Malformed(format!("unknown class {c}"))),
        };
        let little = match header.e_ident[EI_DATA] {
            ELFDATA2LSB => true,
            ELFDATA2MSB => false,
            d => return Err(ElfError::Malformed(format!("unknown data encoding {d}"))),
        };
        let container = match class {
            ElfClass::Elf64 => Container::Big,
            ElfClass::Elf32 => Container::Little,
        };
        let ctx = Ctx::new(container, if little { Endian::Little } else { Endian::Big });
        let phdrs = program_headers(head, class, header.e_phoff, header.e_phnum, ctx)?;
        Ok(Headers {
            class,
            little,
            machine: header.e_machine,
            elf_type: header.e_type,
            phdrs,
        })
    }
}

fn program_headers(
    head: &Window,
    class: ElfClass,
    phoff: u64,
    phnum: u16,
    ctx: Ctx,
) -> Result<Vec<ProgramHeader>, ElfError> {
    let outside = || ElfError::Malformed("program headers outside the file".into());
    let phsize: usize = match class {
        ElfClass::Elf64 => 56,
        ElfClass::Elf32 => 32,
    };
    let phnum = usize::from(phnum);
    let phoff = usize::try_from(phoff).map_err(|_| outside())?;
    let len = phnum.checked_mul(phsize).ok_or_else(outside)?;
    let phbytes = head.get(phoff, len).ok_or_else(outside)?;
    ProgramHeader::parse(&phbytes, 0, phnum, ctx).map_err(malformed)
}
