//! The dynamic string table: the names in NEEDED, SONAME, RPATH, RUNPATH and the version
//! tables, read whole when small, else around the strings used.

use std::cell::{Cell, RefCell};

use super::ElfError;
use super::window::{Source, WINDOW, Window};

/// All the names read from one file (NEEDED, SONAME, RPATH, version names) together; real
/// libraries use a few KiB.
const MAX_STRING_BYTES: usize = 16 << 20;

/// Above this size the dynamic string table is not read whole, only around the strings used.
const WHOLE_STRTAB: usize = 16 * 1024;

/// The string table `start..end` (file offsets); strings outside the windows read so far
/// (version names) bring their own window.
///
/// Every name read is charged to a budget (`MAX_STRING_BYTES` per file), so a file whose
/// thousands of entries all name one huge unterminated string costs bounded time and memory.
pub(super) struct Strings<'a> {
    src: &'a dyn Source,
    start: usize,
    end: usize,
    windows: RefCell<Vec<Window<'a>>>,
    budget: Cell<usize>,
}

impl<'a> Strings<'a> {
    /// `first`: the window read around the strings the dynamic section uses
    /// ([`strings_wanted`]). `end` is at least `start`.
    pub fn new(src: &'a dyn Source, start: usize, end: usize, first: Window<'a>) -> Strings<'a> {
        Strings {
            src,
            start,
            end,
            windows: RefCell::new(vec![first]),
            budget: Cell::new(MAX_STRING_BYTES),
        }
    }

    /// The NUL-terminated string at `offset`, charged to the file's budget.
    pub fn get(&self, offset: u64) -> Result<String, ElfError> {
        let s = self.get_uncharged(offset)?;
        let left = self
            .budget
            .get()
            .checked_sub(s.len())
            .ok_or_else(over_budget)?;
        self.budget.set(left);
        Ok(s)
    }

    /// The NUL-terminated string at `offset` (to the table's end when unterminated).
    fn get_uncharged(&self, offset: u64) -> Result<String, ElfError> {
        let out_of_range = || ElfError::Malformed(format!("string offset {offset} out of range"));
        let at = usize::try_from(offset)
            .ok()
            .and_then(|o| self.start.checked_add(o))
            .filter(|a| *a < self.end)
            .ok_or_else(out_of_range)?;
        if let Some(s) = self.find(at) {
            return Ok(s);
        }
        // Not in a window (or cut by a window's end): read from here, growing until the NUL.
        let mut want = WINDOW;
        loop {
            // A string longer than what is left of the budget is malformed: don't read it.
            if want > self.budget.get().saturating_mul(4).max(WINDOW) {
                return Err(over_budget());
            }
            // `at < end`: the subtraction cannot wrap, nor can `at + len` pass `end`.
            let window = Window::load(self.src, at, want.min(self.end - at));
            let whole = window.base + window.bytes.len() >= self.end;
            if window.bytes.is_empty() {
                return Err(out_of_range());
            }
            self.windows.borrow_mut().push(window);
            if let Some(s) = self.find(at) {
                return Ok(s);
            }
            if whole {
                let windows = self.windows.borrow();
                let w = windows.last().expect("just pushed");
                return Ok(lossy(&w.bytes[at - w.base..]));
            }
            want = want.saturating_mul(4);
        }
    }

    /// The string at `at` when a window holds it with its NUL, before the table's end.
    fn find(&self, at: usize) -> Option<String> {
        let windows = self.windows.borrow();
        windows.iter().rev().find_map(|w| {
            let from = at.checked_sub(w.base)?;
            let limit = self.end.saturating_sub(w.base).min(w.bytes.len());
            let rest = w.bytes.get(from..limit)?;
            let nul = rest.iter().position(|b| *b == 0)?;
            Some(lossy(&rest[..nul]))
        })
    }
}

/// The part of the string table `start..end` worth reading first: all of it when small,
/// else the range around the strings at offsets `used`. Returns `lo <= hi` when
/// `start <= end`.
pub(super) fn strings_wanted(
    start: usize,
    end: usize,
    used: impl Iterator<Item = u64>,
) -> (usize, usize) {
    if end.saturating_sub(start) <= WHOLE_STRTAB {
        return (start, end);
    }
    let offsets: Vec<usize> = used
        .filter_map(|o| usize::try_from(o).ok())
        .filter_map(|o| start.checked_add(o))
        .filter(|a| *a < end)
        .collect();
    let lo = offsets.iter().copied().min().unwrap_or(start);
    let hi = offsets.iter().copied().max().unwrap_or(start);
    let hi = hi.saturating_add(WINDOW).min(end);
    if hi.saturating_sub(lo) <= WHOLE_STRTAB {
        (lo, hi)
    } else {
        (lo, lo.saturating_add(WINDOW).min(end))
    }
}

fn over_budget() -> ElfError {
    ElfError::Malformed(format!(
        "dynamic strings longer than {} MiB in all",
        MAX_STRING_BYTES >> 20
    ))
}

/// The bytes up to the first NUL, as a string.
pub(super) fn c_string(raw: &[u8]) -> String {
    let end = raw.iter().position(|b| *b == 0).unwrap_or(raw.len());
    lossy(&raw[..end])
}

/// The bytes as a string; invalid UTF-8 replaced. Names in ELF files are ASCII in practice,
/// and `from_utf8` checks ASCII a word at a time where `from_utf8_lossy` goes by chunks.
pub fn lossy(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_owned(),
        Err(_) => String::from_utf8_lossy(bytes).into_owned(),
    }
}
