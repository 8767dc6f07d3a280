//! [`ElfSummary`]: what the loader needs to know about one file, read in as few regions as
//! the file's layout allows (the head, the dynamic section, then one read for the string
//! and version tables when they are neighbours, as they are in every linker's layout).

use goblin::elf::dynamic::{
    DF_1_NODEFLIB, DT_FLAGS_1, DT_NEEDED, DT_RPATH, DT_RUNPATH, DT_SONAME, DT_STRSZ, DT_STRTAB,
    DT_VERDEF, DT_VERDEFNUM, DT_VERNEED, DT_VERNEEDNUM,
};
use goblin::elf::program_header::{PF_X, PT_DYNAMIC, PT_GNU_STACK, ProgramHeader};
use serde::{Deserialize, Serialize};

use super::ElfError;
use super::dynamic::{Dynamic, dynamic_window, interpreter, offset_of};
use super::header::{ElfClass, Headers};
use super::strings::{Strings, strings_wanted};
use super::versions::{Table, VersionNeed, truncated_versions};
use super::window::{HEAD, Source, WINDOW, Window, holding, holding_byte, span};

/// The string table and the version tables are read in one piece when they lie within this
/// span (they are neighbours in every linker's layout).
const SPAN: usize = 64 * 1024;

/// What the loader needs to know about one ELF file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ElfSummary {
    pub class: ElfClass,
    pub machine: u16,
    /// `e_type` (ET_DYN = 3, ET_EXEC = 2).
    pub elf_type: u16,
    /// PT_INTERP.
    pub interpreter: Option<String>,
    /// No PT_GNU_STACK, or one with PF_X: the object asks for an executable stack (A10).
    pub executable_stack: bool,
    /// Has a PT_DYNAMIC segment.
    pub dynamic: bool,
    pub needed: Vec<String>,
    pub soname: Option<String>,
    /// DT_RPATH, as written (unexpanded). Kept even when DT_RUNPATH is present; the loader
    /// ignores it then ([`ElfSummary::effective_rpath`]).
    pub rpath: Option<String>,
    pub runpath: Option<String>,
    /// DF_1_NODEFLIB.
    pub nodeflib: bool,
    pub version_needs: Vec<VersionNeed>,
    /// Version definitions (`.gnu.version_d`), the base entry (the soname) excluded.
    pub version_defs: Vec<String>,
}

impl ElfSummary {
    /// A shared object with no program interpreter of its own: what a program loader
    /// (`ld-linux-x86-64.so.2`) is.
    pub fn is_loader_like(&self) -> bool {
        self.elf_type == goblin::elf::header::ET_DYN && self.interpreter.is_none()
    }

    /// DT_RPATH as the loader uses it: ignored when DT_RUNPATH exists (docs/loader-and-nix.md, "The search order").
    pub fn effective_rpath(&self) -> Option<&str> {
        if self.runpath.is_some() {
            None
        } else {
            self.rpath.as_deref()
        }
    }

    /// The facts of the headers alone; the dynamic section's are filled in after.
    fn of_headers(headers: &Headers, head: &Window) -> ElfSummary {
        let stack = headers.phdrs.iter().rfind(|p| p.p_type == PT_GNU_STACK);
        ElfSummary {
            class: headers.class,
            machine: headers.machine,
            elf_type: headers.elf_type,
            interpreter: interpreter(head, &headers.phdrs),
            executable_stack: stack.is_none_or(|p| p.p_flags & PF_X != 0),
            dynamic: false,
            needed: Vec::new(),
            soname: None,
            rpath: None,
            runpath: None,
            nodeflib: false,
            version_needs: Vec::new(),
            version_defs: Vec::new(),
        }
    }
}

pub(super) fn summarise(src: &dyn Source) -> Result<ElfSummary, ElfError> {
    // The ELF header and, in practice, the program headers: one read.
    summarise_from(src, Window::load(src, 0, HEAD))
}

/// The summary, from `head` (the first read of `src`) and the few reads more it takes.
pub(super) fn summarise_from<'a>(
    src: &'a dyn Source,
    head: Window<'a>,
) -> Result<ElfSummary, ElfError> {
    let headers = Headers::parse(&head)?;
    let mut summary = ElfSummary::of_headers(&headers, &head);
    let Some(dyn_ph) = headers.phdrs.iter().find(|p| p.p_type == PT_DYNAMIC) else {
        return Ok(summary);
    };
    summary.dynamic = true;
    let dyn_window = dynamic_window(&head, dyn_ph)?;
    let dynamic = Dynamic::read(&dyn_window, dyn_ph, headers.class, headers.little)?;
    let phdrs = &headers.phdrs[..];
    let strtab = dynamic
        .tag(DT_STRTAB)
        .and_then(|a| offset_of(phdrs, a))
        .ok_or_else(|| ElfError::Malformed("no dynamic string table".into()))?;
    let strsz = dynamic
        .tag(DT_STRSZ)
        .map_or(0, |n| usize::try_from(n).unwrap_or(usize::MAX));
    // A table that starts past the end of the file is empty: every string in it is out of
    // range, and no range below has its end before its start.
    let strend = strtab.saturating_add(strsz).min(src.len()).max(strtab);
    let used = dynamic.entries.iter().filter(|d| names_a_string(d.d_tag));
    let (from, to) = strings_wanted(strtab, strend, used.map(|d| d.d_val));
    let tables: Vec<usize> = [DT_VERNEED, DT_VERDEF]
        .iter()
        .filter_map(|t| dynamic.tag(*t).and_then(|a| offset_of(phdrs, a)))
        .collect();
    let so_far = [&head, &dyn_window];
    let extra = tables_read(src, so_far, (from, to), &tables);
    let windows: Vec<&Window> = so_far.into_iter().chain(extra.as_ref()).collect();
    let first = holding(windows.iter().copied(), from, to)
        .unwrap_or_else(|| Window::load(src, from, to.saturating_sub(from)));
    let strings = Strings::new(src, strtab, strend, first);
    read_names(&mut summary, &dynamic, &strings)?;
    let versions = Versions {
        src,
        phdrs,
        little: headers.little,
        windows: &windows,
        strings: &strings,
    };
    versions.read(&mut summary, &dynamic)?;
    Ok(summary)
}

fn names_a_string(tag: u64) -> bool {
    matches!(tag, DT_NEEDED | DT_SONAME | DT_RPATH | DT_RUNPATH)
}

/// The one more read that brings the strings `from..to` and the version tables at `tables`,
/// or only the tables when the reads so far hold the strings; none when they lie too far
/// apart (each then reads its own window when used).
fn tables_read<'a>(
    src: &'a dyn Source,
    so_far: [&Window; 2],
    (from, to): (usize, usize),
    tables: &[usize],
) -> Option<Window<'a>> {
    let table_span = span(tables.iter().map(|at| (*at, at.saturating_add(WINDOW))));
    let near = |(lo, hi): &(usize, usize)| hi.checked_sub(*lo).is_some_and(|n| n <= SPAN);
    let strings_held = holding(so_far, from, to).is_some();
    if !strings_held {
        let together = span([(from, to)].into_iter().chain(table_span)).filter(near);
        if let Some((lo, hi)) = together {
            return Some(Window::load(src, lo, hi - lo));
        }
    }
    table_span
        .filter(near)
        .filter(|(lo, _)| holding_byte(so_far, *lo).is_none())
        .map(|(lo, hi)| Window::load(src, lo, hi - lo))
}

fn read_names(
    summary: &mut ElfSummary,
    dynamic: &Dynamic,
    strings: &Strings,
) -> Result<(), ElfError> {
    for d in &dynamic.entries {
        match d.d_tag {
            DT_NEEDED => summary.needed.push(strings.get(d.d_val)?),
            DT_SONAME => summary.soname = Some(strings.get(d.d_val)?),
            DT_RPATH => summary.rpath = Some(strings.get(d.d_val)?),
            DT_RUNPATH => summary.runpath = Some(strings.get(d.d_val)?),
            DT_FLAGS_1 => summary.nodeflib = d.d_val & DF_1_NODEFLIB != 0,
            _ => {}
        }
    }
    Ok(())
}

/// What reading the version tables takes: the file, its address map, and the windows read
/// so far, one of which may hold them.
struct Versions<'a, 'w> {
    src: &'a dyn Source,
    phdrs: &'a [ProgramHeader],
    little: bool,
    windows: &'w [&'w Window<'w>],
    strings: &'w Strings<'a>,
}

impl Versions<'_, '_> {
    fn read(&self, summary: &mut ElfSummary, dynamic: &Dynamic) -> Result<(), ElfError> {
        if let (Some(addr), Some(num)) = (dynamic.tag(DT_VERNEED), dynamic.tag(DT_VERNEEDNUM)) {
            let (table, at) = self.table(addr)?;
            summary.version_needs = table.version_needs(at, count(num), self.strings)?;
        }
        if let (Some(addr), Some(num)) = (dynamic.tag(DT_VERDEF), dynamic.tag(DT_VERDEFNUM)) {
            let (table, at) = self.table(addr)?;
            summary.version_defs = table.version_defs(at, count(num), self.strings)?;
        }
        Ok(())
    }

    /// The version table at `addr` and its file offset, seeded with a window read so far.
    fn table(&self, addr: u64) -> Result<(Table<'_>, usize), ElfError> {
        let at = offset_of(self.phdrs, addr).ok_or_else(truncated_versions)?;
        let seed = holding_byte(self.windows.iter().copied(), at);
        Ok((Table::new(self.src, seed, at, self.little), at))
    }
}

fn count(num: u64) -> usize {
    usize::try_from(num).unwrap_or(usize::MAX)
}
