//! Symbol versions: the versions a file needs from each library (`.gnu.version_r`) and the
//! ones it defines (`.gnu.version_d`). The tables are linked lists of file-chosen offsets;
//! each link and each field is added with a check, and the walks are bounded.

use serde::{Deserialize, Serialize};
use std::cell::RefCell;

use super::ElfError;
use super::strings::Strings;
use super::window::{Source, WINDOW, Window, read_u16, read_u32};

const MAX_VERSION_ENTRIES: usize = 1 << 12;

/// One `Elf_Verneed` entry: the versions this object needs from one library.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionNeed {
    /// The library, as named in the entry (the DT_NEEDED string).
    pub file: String,
    /// Version names (`GLIBC_2.34`), with whether the need is weak (VER_FLG_WEAK).
    pub versions: Vec<NeededVersion>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NeededVersion {
    pub name: String,
    pub weak: bool,
}

/// A version table read through a window that moves when an entry lies outside it: a table
/// larger than one window (libc defines ~40 versions) costs a read per window, not a read
/// per field.
pub(super) struct Table<'a> {
    window: RefCell<Window<'a>>,
    little: bool,
}

impl<'a> Table<'a> {
    /// The table at file offset `at`, from `seed` when it holds the start, else read.
    pub fn new(src: &'a dyn Source, seed: Option<Window<'a>>, at: usize, little: bool) -> Self {
        let window = match seed {
            Some(w) if w.inside(at, 1).is_some() => w,
            _ => Window::load(src, at, WINDOW),
        };
        Table {
            window: RefCell::new(window),
            little,
        }
    }

    /// The `N` bytes of the field `field` bytes into the entry at `entry`.
    fn bytes<const N: usize>(&self, entry: usize, field: usize) -> Result<[u8; N], ElfError> {
        let at = entry.checked_add(field).ok_or_else(truncated_versions)?;
        let mut window = self.window.borrow_mut();
        if window.inside(at, N).is_none() {
            *window = Window::load(window.src, at, WINDOW);
        }
        let raw = window.inside(at, N).ok_or_else(truncated_versions)?;
        Ok(raw.try_into().expect("N bytes"))
    }

    fn u16(&self, entry: usize, field: usize) -> Result<u16, ElfError> {
        read_u16(&self.bytes::<2>(entry, field)?, 0, self.little).ok_or_else(truncated_versions)
    }

    fn u32(&self, entry: usize, field: usize) -> Result<u32, ElfError> {
        read_u32(&self.bytes::<4>(entry, field)?, 0, self.little).ok_or_else(truncated_versions)
    }

    /// A u32 field that is an offset relative to the entry at `entry`: the entry it links
    /// to, `None` when zero (the end of the list) or when the sum would wrap.
    fn link(&self, entry: usize, field: usize) -> Result<Option<usize>, ElfError> {
        let rel = usize::try_from(self.u32(entry, field)?).map_err(|_| truncated_versions())?;
        Ok(match rel {
            0 => None,
            _ => Some(entry.checked_add(rel).ok_or_else(truncated_versions)?),
        })
    }

    /// `Elf_Verneed` {u16 version, u16 cnt, u32 file, u32 aux, u32 next} and
    /// `Elf_Vernaux` {u32 hash, u16 flags, u16 other, u32 name, u32 next}; same in both
    /// classes. The table starts at `at`.
    pub fn version_needs(
        &self,
        mut at: usize,
        count: usize,
        strings: &Strings,
    ) -> Result<Vec<VersionNeed>, ElfError> {
        let mut out = Vec::with_capacity(count.min(64));
        for _ in 0..count.min(MAX_VERSION_ENTRIES) {
            let cnt = usize::from(self.u16(at, 2)?);
            let file = strings.get(u64::from(self.u32(at, 4)?))?;
            // An aux list whose offset wraps is read as empty: the entry still names its file.
            let rel = usize::try_from(self.u32(at, 8)?).map_err(|_| truncated_versions())?;
            let versions = self.needed_versions(at.checked_add(rel), cnt, strings)?;
            out.push(VersionNeed { file, versions });
            match self.link(at, 12)? {
                Some(next) => at = next,
                None => break,
            }
        }
        Ok(out)
    }

    /// The `Elf_Vernaux` list of one `Elf_Verneed` entry, from `aux`, at most `cnt` long.
    fn needed_versions(
        &self,
        mut aux: Option<usize>,
        cnt: usize,
        strings: &Strings,
    ) -> Result<Vec<NeededVersion>, ElfError> {
        let mut versions = Vec::with_capacity(cnt.min(64));
        for _ in 0..cnt.min(MAX_VERSION_ENTRIES) {
            let Some(a) = aux else { break };
            let flags = self.u16(a, 4)?;
            let name = strings.get(u64::from(self.u32(a, 8)?))?;
            versions.push(NeededVersion {
                name,
                weak: flags & 0x2 != 0,
            });
            let rel = usize::try_from(self.u32(a, 12)?).map_err(|_| truncated_versions())?;
            if rel == 0 {
                break;
            }
            aux = a.checked_add(rel);
        }
        Ok(versions)
    }

    /// `Elf_Verdef` {u16 version, u16 flags, u16 ndx, u16 cnt, u32 hash, u32 aux, u32 next},
    /// `Elf_Verdaux` {u32 name, u32 next}. The VER_FLG_BASE entry names the file: skipped.
    pub fn version_defs(
        &self,
        mut at: usize,
        count: usize,
        strings: &Strings,
    ) -> Result<Vec<String>, ElfError> {
        let mut out = Vec::with_capacity(count.min(64));
        for _ in 0..count.min(MAX_VERSION_ENTRIES) {
            let flags = self.u16(at, 2)?;
            let rel = usize::try_from(self.u32(at, 12)?).map_err(|_| truncated_versions())?;
            let aux = at.checked_add(rel).ok_or_else(truncated_versions)?;
            if flags & 0x1 == 0 {
                out.push(strings.get(u64::from(self.u32(aux, 0)?))?);
            }
            match self.link(at, 16)? {
                Some(next) => at = next,
                None => break,
            }
        }
        Ok(out)
    }
}

pub(super) fn truncated_versions() -> ElfError {
    ElfError::Malformed("version table out of range".into())
}
