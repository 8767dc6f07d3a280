//! What the program headers point at: the interpreter (PT_INTERP), the dynamic section
//! (PT_DYNAMIC) and the translation of its addresses to file offsets through PT_LOAD.

use goblin::elf::dynamic::{DT_NULL, Dyn};
use goblin::elf::program_header::{PT_INTERP, PT_LOAD, ProgramHeader};

use super::header::ElfClass;
use super::strings::c_string;
use super::window::{Window, read_u32, read_u64};
use super::{ElfError, malformed};

/// Upper bound that keeps a hostile file from making us loop or allocate without end.
const MAX_DYN_ENTRIES: usize = 1 << 16;

/// Bytes read past the dynamic section, where patchelf puts the string table it rewrites
/// (a small module's whole table; 16 KiB measured slower: copying it for every file cost
/// more than the reads it saved).
const AFTER_DYNAMIC: usize = 4 * 1024;

/// The longest PT_INTERP read; a loader path is far shorter.
const MAX_INTERP: usize = 4096;

/// The PT_INTERP string, when there is one that lies in the file (the last, if several).
pub(super) fn interpreter(head: &Window, phdrs: &[ProgramHeader]) -> Option<String> {
    phdrs
        .iter()
        .rev()
        .filter(|p| p.p_type == PT_INTERP)
        .find_map(|ph| {
            let at = usize::try_from(ph.p_offset).ok()?;
            let len = usize::try_from(ph.p_filesz).map_or(MAX_INTERP, |n| n.min(MAX_INTERP));
            head.get(at, len).map(|raw| c_string(&raw))
        })
}

/// PT_DYNAMIC's file range, bounded, after checking that it lies in the file.
fn dynamic_range(head: &Window, ph: &ProgramHeader) -> Result<(usize, usize), ElfError> {
    let start = usize::try_from(ph.p_offset).map_err(malformed)?;
    let size = usize::try_from(ph.p_filesz)
        .map_err(malformed)?
        .min(MAX_DYN_ENTRIES * 16);
    if start
        .checked_add(size)
        .is_none_or(|end| end > head.src.len())
    {
        return Err(ElfError::Malformed("PT_DYNAMIC outside the file".into()));
    }
    Ok((start, size))
}

/// The window holding PT_DYNAMIC (the head, when it is there), read with what follows it:
/// patchelf, which auditwheel runs on every wheel library, moves the string table there.
pub(super) fn dynamic_window<'a>(
    head: &'a Window<'a>,
    ph: &ProgramHeader,
) -> Result<Window<'a>, ElfError> {
    let (start, size) = dynamic_range(head, ph)?;
    Ok(match head.inside(start, size) {
        Some(_) => head.borrowed(),
        None => Window::load(head.src, start, size.saturating_add(AFTER_DYNAMIC)),
    })
}

/// The dynamic section's entries up to DT_NULL, from the window [`dynamic_window`] read.
pub(super) struct Dynamic {
    pub entries: Vec<Dyn>,
}

impl Dynamic {
    pub fn read(
        window: &Window,
        ph: &ProgramHeader,
        class: ElfClass,
        little: bool,
    ) -> Result<Dynamic, ElfError> {
        let (start, size) = dynamic_range(window, ph)?;
        let seg = window
            .inside(start, size)
            .ok_or_else(|| ElfError::Malformed("PT_DYNAMIC outside the file".into()))?;
        let entsize = match class {
            ElfClass::Elf64 => 16,
            ElfClass::Elf32 => 8,
        };
        let mut entries = Vec::with_capacity(seg.len() / entsize);
        for chunk in seg.chunks_exact(entsize).take(MAX_DYN_ENTRIES) {
            let d = entry(chunk, little);
            if d.d_tag == DT_NULL {
                break;
            }
            entries.push(d);
        }
        Ok(Dynamic { entries })
    }

    /// The value of the first entry tagged `t`.
    pub fn tag(&self, t: u64) -> Option<u64> {
        self.entries.iter().find(|d| d.d_tag == t).map(|d| d.d_val)
    }
}

/// One `Elf_Dyn`, 16 bytes (ELF64) or 8 (ELF32).
fn entry(chunk: &[u8], little: bool) -> Dyn {
    use goblin::elf::dynamic::dyn32::Dyn as Dyn32;
    use goblin::elf::dynamic::dyn64::Dyn as Dyn64;
    if chunk.len() == 16 {
        Dyn::from(Dyn64 {
            d_tag: read_u64(chunk, 0, little).unwrap_or(DT_NULL),
            d_val: read_u64(chunk, 8, little).unwrap_or(0),
        })
    } else {
        Dyn::from(Dyn32 {
            d_tag: read_u32(chunk, 0, little).unwrap_or(0),
            d_val: read_u32(chunk, 4, little).unwrap_or(0),
        })
    }
}

/// The file offset of the virtual address `vaddr`, through the PT_LOAD that maps it; None
/// when none does, or when the file's numbers would wrap.
pub(super) fn offset_of(phdrs: &[ProgramHeader], vaddr: u64) -> Option<usize> {
    let ph = phdrs.iter().find(|p| {
        p.p_type == PT_LOAD && vaddr >= p.p_vaddr && vaddr < p.p_vaddr.saturating_add(p.p_filesz)
    })?;
    let at = vaddr.checked_sub(ph.p_vaddr)?.checked_add(ph.p_offset)?;
    usize::try_from(at).ok()
}
