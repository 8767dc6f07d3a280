//! ELF files read (goblin parses the headers; bytes come by `pread`, not a memory map) into
//! small owned summaries. A map was measured slower here: page faults with fault-around and
//! munmap dominated a 400-file run; a handful of reads per file does not.
//!
//! This module owns two questions about a file: would ld.so's `open_verify` accept it
//! ([`check_header`]), and what does its dynamic section say ([`ElfSummary`]). It reads only
//! the ELF header, the program headers, the dynamic segment, its string table and the version
//! tables they point to, each region with one `pread` into a window that is then parsed in
//! place, so a 200 MB library costs a few reads. It does not search for
//! libraries (that is `loader/`) and never panics on a malformed file: errors are data.

use std::borrow::Cow;
use std::cell::RefCell;
use std::fs::File;
use std::io::Read;
use std::path::Path;

use goblin::container::{Container, Ctx, Endian};
use goblin::elf::dynamic::{
    DF_1_NODEFLIB, DT_FLAGS_1, DT_NEEDED, DT_NULL, DT_RPATH, DT_RUNPATH, DT_SONAME, DT_STRSZ,
    DT_STRTAB, DT_VERDEF, DT_VERDEFNUM, DT_VERNEED, DT_VERNEEDNUM, Dyn,
};
use goblin::elf::header::{
    EI_ABIVERSION, EI_CLASS, EI_DATA, EI_OSABI, EI_VERSION, ELFCLASS32, ELFCLASS64, ELFDATA2LSB,
    ELFDATA2MSB, ELFMAG, ET_DYN, ET_EXEC, EV_CURRENT, SELFMAG,
};
use goblin::elf::program_header::{
    PF_X, PT_DYNAMIC, PT_GNU_STACK, PT_INTERP, PT_LOAD, ProgramHeader,
};
use serde::{Deserialize, Serialize};

/// `EM_X86_64`.
pub const EM_X86_64: u16 = 62;
/// `EM_386`.
pub const EM_386: u16 = 3;
/// `EM_AARCH64`.
pub const EM_AARCH64: u16 = 183;

/// Upper bounds that keep a hostile file from making us loop or allocate without end.
const MAX_DYN_ENTRIES: usize = 1 << 16;
const MAX_VERSION_ENTRIES: usize = 1 << 12;
/// All the names read from one file (NEEDED, SONAME, RPATH, version names) together; real
/// libraries use a few KiB.
const MAX_STRING_BYTES: usize = 16 << 20;

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
    let class = match bytes[EI_CLASS] {
        ELFCLASS64 => ElfClass::Elf64,
        _ => ElfClass::Elf32,
    };
    if bytes[EI_CLASS] != ELFCLASS32 && bytes[EI_CLASS] != ELFCLASS64 || class != target.class {
        return HeaderCheck::WrongClass(if target.class == ElfClass::Elf64 {
            ElfClass::Elf32
        } else {
            ElfClass::Elf64
        });
    }
    if bytes[EI_DATA] != ELFDATA2LSB {
        return HeaderCheck::Invalid("ELF file data encoding not little-endian");
    }
    if bytes[EI_VERSION] != EV_CURRENT {
        return HeaderCheck::Invalid("ELF file version ident does not match current one");
    }
    // ELFOSABI_SYSV (0) with ABI version 0, or ELFOSABI_GNU (3) with a small ABI version.
    match (bytes[EI_OSABI], bytes[EI_ABIVERSION]) {
        (0, 0) | (3, 0..=4) => {}
        (0 | 3, _) => return HeaderCheck::Invalid("ELF file ABI version invalid"),
        _ => return HeaderCheck::Invalid("ELF file OS ABI invalid"),
    }
    if bytes[EI_ABIVERSION + 1..16].iter().any(|b| *b != 0) {
        return HeaderCheck::Invalid("nonzero padding in e_ident");
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
    let phentsize_at = if class == ElfClass::Elf64 { 54 } else { 42 };
    let phentsize = u16::from_le_bytes([bytes[phentsize_at], bytes[phentsize_at + 1]]);
    let expected = if class == ElfClass::Elf64 { 56 } else { 32 };
    if phentsize != expected {
        return HeaderCheck::Invalid("ELF file's phentsize not the expected size");
    }
    HeaderCheck::Accept
}

/// Read the first bytes of a file for [`check_header`] (ld.so reads a fixed-size buffer too).
pub fn read_head(path: &Path) -> std::io::Result<Vec<u8>> {
    let (mut file, _) = open_no_wait(path)?;
    let mut buf = vec![0u8; 64];
    let mut filled = 0;
    while filled < buf.len() {
        match file.read(&mut buf[filled..])? {
            0 => break,
            n => filled += n,
        }
    }
    buf.truncate(filled);
    Ok(buf)
}

use crate::fsio::open_no_fifo as open_no_wait;

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
    /// DT_RPATH as the loader uses it: ignored when DT_RUNPATH exists (docs/loader-and-nix.md, "The search order").
    pub fn effective_rpath(&self) -> Option<&str> {
        if self.runpath.is_some() {
            None
        } else {
            self.rpath.as_deref()
        }
    }
}

/// Why a file could not be summarised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ElfError {
    Io(String),
    NotElf,
    Malformed(String),
}

impl std::fmt::Display for ElfError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ElfError::Io(e) => write!(f, "cannot read: {e}"),
            ElfError::NotElf => f.write_str("not an ELF file"),
            ElfError::Malformed(m) => write!(f, "malformed ELF: {m}"),
        }
    }
}

impl std::error::Error for ElfError {}

/// Summarise a file, reading only the blocks that hold headers and dynamic data (a few
/// `pread`s; cheaper than mapping and faulting in pages of large libraries).
pub fn read_summary(path: &Path) -> Result<ElfSummary, ElfError> {
    let (file, meta) = open_no_wait(path).map_err(|e| ElfError::Io(e.to_string()))?;
    if !meta.file_type().is_file() {
        return Err(ElfError::Io("not a regular file".into()));
    }
    summarise(&FileSource::new(&file, meta.len()))
}

/// A regular file opened for the loader, not read yet: its (dev, inode) tells whether the
/// same file was examined before under another path.
#[derive(Debug)]
pub struct LoaderFile {
    file: File,
    meta: std::fs::Metadata,
}

/// What reading a file told: what `open_verify` would say of its header, and its summary.
#[derive(Debug)]
pub struct Examined {
    pub check: HeaderCheck,
    /// The file starts with the ELF magic (for "not an ELF file" rather than the check's).
    pub elf_magic: bool,
    pub summary: Result<ElfSummary, ElfError>,
}

/// Open a file for [`LoaderFile::examine`]. `Ok(None)` when it is not a regular file (a
/// directory, a device): callers keep their own path for those, whose errors come from
/// reading.
pub fn open_for_loader(path: &Path) -> std::io::Result<Option<LoaderFile>> {
    let (file, meta) = open_no_wait(path)?;
    Ok(meta
        .file_type()
        .is_file()
        .then_some(LoaderFile { file, meta }))
}

impl LoaderFile {
    pub fn id(&self) -> (u64, u64) {
        use std::os::unix::fs::MetadataExt;
        (self.meta.dev(), self.meta.ino())
    }

    /// [`check_header`] and the summary together, from one read of the head and a few more.
    pub fn examine(&self, target: Target) -> Examined {
        let src = FileSource::new(&self.file, self.meta.len());
        let head = Window::load(&src, 0, HEAD);
        let first = &head.bytes[..head.bytes.len().min(64)];
        let check = check_header(first, target);
        let elf_magic = first.starts_with(ELFMAG);
        Examined {
            check,
            elf_magic,
            summary: summarise_from(&src, head),
        }
    }
}

/// Summarise an ELF image held in memory.
pub fn parse_summary(bytes: &[u8]) -> Result<ElfSummary, ElfError> {
    summarise(&bytes)
}

/// Random access to an ELF image: a slice, or a file read by blocks.
trait Source {
    fn len(&self) -> usize;
    /// `len` bytes at `offset`, or None when the range leaves the image.
    fn read(&self, offset: usize, len: usize) -> Option<Cow<'_, [u8]>>;
}

impl Source for &[u8] {
    fn len(&self) -> usize {
        <[u8]>::len(self)
    }
    fn read(&self, offset: usize, len: usize) -> Option<Cow<'_, [u8]>> {
        self.get(offset..offset.checked_add(len)?)
            .map(Cow::Borrowed)
    }
}

/// How much is read at once around a table or string: most tables of a shared library are
/// smaller, and one read of a few KiB costs about what a read of a few bytes does.
const WINDOW: usize = 4096;

/// The first read of a file: the ELF header and the program headers (64 + ~10 × 56 bytes
/// for a shared library); more are read on demand. The version tables are small too.
const HEAD: usize = 1024;

/// Above this size the dynamic string table is not read whole, only around the strings used.
const WHOLE_STRTAB: usize = 16 * 1024;

/// Bytes read past the dynamic section, where patchelf puts the string table it rewrites
/// (a small module's whole table; 16 KiB measured slower: copying it for every file cost
/// more than the reads it saved).
const AFTER_DYNAMIC: usize = 4 * 1024;

/// The string table and the version tables are read in one piece when they lie within this
/// span (they are neighbours in every linker's layout).
const SPAN: usize = 64 * 1024;

/// A file read with `pread`: every region asked for is one read.
struct FileSource<'f> {
    file: &'f File,
    len: usize,
}

impl<'f> FileSource<'f> {
    fn new(file: &'f File, len: u64) -> FileSource<'f> {
        FileSource {
            file,
            len: usize::try_from(len).unwrap_or(usize::MAX),
        }
    }
}

impl Source for FileSource<'_> {
    fn len(&self) -> usize {
        self.len
    }
    fn read(&self, offset: usize, len: usize) -> Option<Cow<'_, [u8]>> {
        if offset.checked_add(len)? > self.len {
            return None;
        }
        // Read into the buffer's spare capacity: zeroing it first cost a seventh of a
        // 400-file run (the reads add up to megabytes).
        let mut buf = Vec::with_capacity(len);
        while buf.len() < len {
            let at = (offset + buf.len()) as u64;
            match rustix::io::pread(self.file, rustix::buffer::spare_capacity(&mut buf), at) {
                Ok(0) => return None,
                Ok(_) | Err(rustix::io::Errno::INTR) => {}
                Err(_) => return None,
            }
        }
        Some(Cow::Owned(buf))
    }
}

/// Bytes of the image read once from `base`; smaller reads inside it are served from it,
/// reads outside it go to the source.
struct Window<'a> {
    src: &'a dyn Source,
    base: usize,
    bytes: Cow<'a, [u8]>,
}

impl<'a> Window<'a> {
    /// Up to `want` bytes from `base` (fewer at the end of the image; none past it).
    fn load(src: &'a dyn Source, base: usize, want: usize) -> Window<'a> {
        let len = want.min(src.len().saturating_sub(base));
        let bytes = src.read(base, len).unwrap_or(Cow::Borrowed(&[]));
        Window { src, base, bytes }
    }

    fn inside(&self, at: usize, len: usize) -> Option<&[u8]> {
        let from = at.checked_sub(self.base)?;
        self.bytes.get(from..from.checked_add(len)?)
    }

    fn get(&self, at: usize, len: usize) -> Option<Cow<'_, [u8]>> {
        match self.inside(at, len) {
            Some(b) => Some(Cow::Borrowed(b)),
            None => self.src.read(at, len),
        }
    }

    /// The same bytes, borrowed: one read shared by the string table and the version tables.
    fn borrowed(&self) -> Window<'_> {
        Window {
            src: self.src,
            base: self.base,
            bytes: Cow::Borrowed(&self.bytes),
        }
    }
}

/// A version table read through a window that moves when an entry lies outside it: a table
/// larger than one window (libc defines ~40 versions) costs a read per window, not a read
/// per field.
struct Table<'a> {
    window: RefCell<Window<'a>>,
}

impl<'a> Table<'a> {
    /// The table at file offset `at`, from `seed` when it holds the start, else read.
    fn new(src: &'a dyn Source, seed: Option<Window<'a>>, at: usize) -> Table<'a> {
        let window = match seed {
            Some(w) if w.inside(at, 1).is_some() => w,
            _ => Window::load(src, at, WINDOW),
        };
        Table {
            window: RefCell::new(window),
        }
    }

    fn bytes<const N: usize>(&self, at: usize) -> Result<[u8; N], ElfError> {
        let mut window = self.window.borrow_mut();
        if window.inside(at, N).is_none() {
            *window = Window::load(window.src, at, WINDOW);
        }
        let raw = window.inside(at, N).ok_or_else(truncated_versions)?;
        Ok(raw.try_into().expect("N bytes"))
    }

    fn u16(&self, at: usize, little: bool) -> Result<u16, ElfError> {
        read_u16(&self.bytes::<2>(at)?, 0, little).ok_or_else(truncated_versions)
    }

    fn u32(&self, at: usize, little: bool) -> Result<u32, ElfError> {
        read_u32(&self.bytes::<4>(at)?, 0, little).ok_or_else(truncated_versions)
    }
}

fn summarise(src: &dyn Source) -> Result<ElfSummary, ElfError> {
    // The ELF header and, in practice, the program headers: one read.
    summarise_from(src, Window::load(src, 0, HEAD))
}

fn summarise_from<'a>(src: &'a dyn Source, head: Window<'a>) -> Result<ElfSummary, ElfError> {
    let ident = head.inside(0, 64.min(src.len())).ok_or(ElfError::NotElf)?;
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
    let ctx = Ctx::new(
        if class == ElfClass::Elf64 {
            Container::Big
        } else {
            Container::Little
        },
        if little { Endian::Little } else { Endian::Big },
    );
    let phnum = usize::from(header.e_phnum);
    let phoff = usize::try_from(header.e_phoff).map_err(malformed)?;
    let phsize = if class == ElfClass::Elf64 { 56 } else { 32 };
    let phbytes = head
        .get(phoff, phnum * phsize)
        .ok_or_else(|| ElfError::Malformed("program headers outside the file".into()))?;
    let phdrs = ProgramHeader::parse(&phbytes, 0, phnum, ctx).map_err(malformed)?;

    let mut summary = ElfSummary {
        class,
        machine: header.e_machine,
        elf_type: header.e_type,
        interpreter: None,
        executable_stack: true,
        dynamic: false,
        needed: Vec::new(),
        soname: None,
        rpath: None,
        runpath: None,
        nodeflib: false,
        version_needs: Vec::new(),
        version_defs: Vec::new(),
    };
    for ph in &phdrs {
        match ph.p_type {
            PT_INTERP => {
                let len = (ph.p_filesz as usize).min(4096);
                if let Some(raw) = head.get(ph.p_offset as usize, len) {
                    summary.interpreter = Some(c_string(&raw));
                }
            }
            PT_GNU_STACK => summary.executable_stack = ph.p_flags & PF_X != 0,
            _ => {}
        }
    }
    let Some(dyn_ph) = phdrs.iter().find(|p| p.p_type == PT_DYNAMIC) else {
        return Ok(summary);
    };
    summary.dynamic = true;
    let dyn_window = dynamic_window(&head, dyn_ph)?;
    let dyns = read_dynamic(&dyn_window, dyn_ph, ctx)?;
    let image = Image {
        src,
        phdrs: &phdrs,
        little,
    };
    let tag = |t: u64| dyns.iter().find(|d| d.d_tag == t).map(|d| d.d_val);
    let strtab = tag(DT_STRTAB)
        .and_then(|a| image.offset_of(a))
        .ok_or_else(|| ElfError::Malformed("no dynamic string table".into()))?;
    let strsz = tag(DT_STRSZ).unwrap_or(0) as usize;
    let strend = strtab.saturating_add(strsz).min(src.len());
    let used = dyns
        .iter()
        .filter(|d| matches!(d.d_tag, DT_NEEDED | DT_SONAME | DT_RPATH | DT_RUNPATH));
    let (from, to) = strings_wanted(strtab, strend, used.map(|d| d.d_val));
    // The version tables usually neighbour the string table: one read for all of them, or
    // one for the strings and one for both tables, unless a read so far holds them.
    let tables: Vec<usize> = [DT_VERNEED, DT_VERDEF]
        .iter()
        .filter_map(|t| tag(*t).and_then(|a| image.offset_of(a)))
        .collect();
    let table_span = span(tables.iter().map(|at| (*at, at.saturating_add(WINDOW))));
    let so_far = [&head, &dyn_window];
    let strings_held = holding(so_far, from, to).is_some();
    let together = span([(from, to)].into_iter().chain(table_span))
        .filter(|(lo, hi)| !strings_held && hi - lo <= SPAN)
        .map(|(lo, hi)| Window::load(src, lo, hi - lo));
    let apart = table_span
        .filter(|(lo, hi)| together.is_none() && hi - lo <= SPAN)
        .filter(|(lo, _)| holding(so_far, *lo, lo + 1).is_none())
        .map(|(lo, hi)| Window::load(src, lo, hi - lo));
    let windows: Vec<&Window> = so_far
        .into_iter()
        .chain(together.as_ref())
        .chain(apart.as_ref())
        .collect();
    let strings = Strings::new(
        src,
        strtab,
        strend,
        holding(windows.iter().copied(), from, to)
            .unwrap_or_else(|| Window::load(src, from, to.saturating_sub(from))),
    );
    for d in &dyns {
        match d.d_tag {
            DT_NEEDED => summary.needed.push(strings.get(d.d_val)?),
            DT_SONAME => summary.soname = Some(strings.get(d.d_val)?),
            DT_RPATH => summary.rpath = Some(strings.get(d.d_val)?),
            DT_RUNPATH => summary.runpath = Some(strings.get(d.d_val)?),
            DT_FLAGS_1 => summary.nodeflib = d.d_val & DF_1_NODEFLIB != 0,
            _ => {}
        }
    }
    let seed = |addr| {
        let at = image.offset_of(addr)?;
        holding(windows.iter().copied(), at, at + 1)
    };
    if let (Some(addr), Some(num)) = (tag(DT_VERNEED), tag(DT_VERNEEDNUM)) {
        summary.version_needs = image.version_needs(addr, num as usize, &strings, seed(addr))?;
    }
    if let (Some(addr), Some(num)) = (tag(DT_VERDEF), tag(DT_VERDEFNUM)) {
        summary.version_defs = image.version_defs(addr, num as usize, &strings, seed(addr))?;
    }
    Ok(summary)
}

fn malformed(e: impl std::fmt::Display) -> ElfError {
    ElfError::Malformed(e.to_string())
}

fn c_string(raw: &[u8]) -> String {
    let end = raw.iter().position(|b| *b == 0).unwrap_or(raw.len());
    lossy(&raw[..end])
}

/// The window holding PT_DYNAMIC (the head, when it is there), read with what follows it:
/// patchelf, which auditwheel runs on every wheel library, moves the string table there.
fn dynamic_window<'a>(head: &'a Window<'a>, ph: &ProgramHeader) -> Result<Window<'a>, ElfError> {
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
    Ok(match head.inside(start, size) {
        Some(_) => head.borrowed(),
        None => Window::load(head.src, start, size.saturating_add(AFTER_DYNAMIC)),
    })
}

/// The bytes as a string; invalid UTF-8 replaced. Names in ELF files are ASCII in practice,
/// and `from_utf8` checks ASCII a word at a time where `from_utf8_lossy` goes by chunks.
pub fn lossy(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_owned(),
        Err(_) => String::from_utf8_lossy(bytes).into_owned(),
    }
}

fn read_dynamic(window: &Window, ph: &ProgramHeader, ctx: Ctx) -> Result<Vec<Dyn>, ElfError> {
    use goblin::elf::dynamic::dyn32::Dyn as Dyn32;
    use goblin::elf::dynamic::dyn64::Dyn as Dyn64;
    let start = usize::try_from(ph.p_offset).map_err(malformed)?;
    let size = usize::try_from(ph.p_filesz).map_err(malformed)?;
    let seg = window
        .inside(start, size.min(MAX_DYN_ENTRIES * 16))
        .ok_or_else(|| ElfError::Malformed("PT_DYNAMIC outside the file".into()))?;
    let entsize = if ctx.container.is_big() { 16 } else { 8 };
    let little = ctx.le == Endian::Little;
    let mut out = Vec::with_capacity(seg.len() / entsize);
    for chunk in seg.chunks_exact(entsize).take(MAX_DYN_ENTRIES) {
        let d = if entsize == 16 {
            let tag = read_u64(chunk, 0, little).unwrap_or(DT_NULL);
            let val = read_u64(chunk, 8, little).unwrap_or(0);
            Dyn::from(Dyn64 {
                d_tag: tag,
                d_val: val,
            })
        } else {
            let tag = read_u32(chunk, 0, little).unwrap_or(0);
            let val = read_u32(chunk, 4, little).unwrap_or(0);
            Dyn::from(Dyn32 {
                d_tag: tag,
                d_val: val,
            })
        };
        if d.d_tag == DT_NULL {
            break;
        }
        out.push(d);
    }
    Ok(out)
}

fn read_u16(b: &[u8], at: usize, little: bool) -> Option<u16> {
    let raw: [u8; 2] = b.get(at..at.checked_add(2)?)?.try_into().ok()?;
    Some(if little {
        u16::from_le_bytes(raw)
    } else {
        u16::from_be_bytes(raw)
    })
}

fn read_u32(b: &[u8], at: usize, little: bool) -> Option<u32> {
    let raw: [u8; 4] = b.get(at..at.checked_add(4)?)?.try_into().ok()?;
    Some(if little {
        u32::from_le_bytes(raw)
    } else {
        u32::from_be_bytes(raw)
    })
}

fn read_u64(b: &[u8], at: usize, little: bool) -> Option<u64> {
    let raw: [u8; 8] = b.get(at..at.checked_add(8)?)?.try_into().ok()?;
    Some(if little {
        u64::from_le_bytes(raw)
    } else {
        u64::from_be_bytes(raw)
    })
}

/// The dynamic string table: read whole when small, else around the strings the dynamic
/// section uses; strings elsewhere (version names) bring their own window.
///
/// Every name read is charged to a budget (`MAX_STRING_BYTES` per file), so a file whose
/// thousands of entries all name one huge unterminated string costs bounded time and memory.
struct Strings<'a> {
    src: &'a dyn Source,
    start: usize,
    end: usize,
    windows: RefCell<Vec<Window<'a>>>,
    budget: std::cell::Cell<usize>,
}

impl<'a> Strings<'a> {
    /// `first`: the window read around the strings the dynamic section uses
    /// ([`strings_wanted`]).
    fn new(src: &'a dyn Source, start: usize, end: usize, first: Window<'a>) -> Strings<'a> {
        Strings {
            src,
            start,
            end,
            windows: RefCell::new(vec![first]),
            budget: std::cell::Cell::new(MAX_STRING_BYTES),
        }
    }

    /// The NUL-terminated string at `offset`, charged to the file's budget.
    fn get(&self, offset: u64) -> Result<String, ElfError> {
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
        let at = usize::try_from(offset)
            .ok()
            .and_then(|o| self.start.checked_add(o))
            .filter(|a| *a < self.end)
            .ok_or_else(|| ElfError::Malformed(format!("string offset {offset} out of range")))?;
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
            let window = Window::load(self.src, at, want.min(self.end - at));
            let whole = window.base + window.bytes.len() >= self.end;
            if window.bytes.is_empty() {
                return Err(ElfError::Malformed(format!(
                    "string offset {offset} out of range"
                )));
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

/// The first of `windows` that holds `lo..hi`, borrowed.
fn holding<'w>(
    windows: impl IntoIterator<Item = &'w Window<'w>>,
    lo: usize,
    hi: usize,
) -> Option<Window<'w>> {
    windows
        .into_iter()
        .find(|w| w.inside(lo, hi.saturating_sub(lo)).is_some())
        .map(Window::borrowed)
}

/// The smallest range holding all `regions`.
fn span(regions: impl IntoIterator<Item = (usize, usize)>) -> Option<(usize, usize)> {
    regions
        .into_iter()
        .reduce(|a, b| (a.0.min(b.0), a.1.max(b.1)))
}

/// The part of the string table `start..end` worth reading first: all of it when small,
/// else the range around the strings at offsets `used`.
fn strings_wanted(start: usize, end: usize, used: impl Iterator<Item = u64>) -> (usize, usize) {
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
    if hi - lo <= WHOLE_STRTAB {
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

/// The file as the loader would map it: virtual addresses translated through PT_LOAD.
struct Image<'a> {
    src: &'a dyn Source,
    phdrs: &'a [ProgramHeader],
    little: bool,
}

impl Image<'_> {
    fn offset_of(&self, vaddr: u64) -> Option<usize> {
        let ph = self.phdrs.iter().find(|p| {
            p.p_type == PT_LOAD
                && vaddr >= p.p_vaddr
                && vaddr < p.p_vaddr.saturating_add(p.p_filesz)
        })?;
        usize::try_from(vaddr - ph.p_vaddr + ph.p_offset).ok()
    }

    /// A version table and its file offset; `seed` is a window already read, perhaps
    /// holding it.
    fn table<'s>(
        &'s self,
        addr: u64,
        seed: Option<Window<'s>>,
    ) -> Result<(Table<'s>, usize), ElfError> {
        let at = self.offset_of(addr).ok_or_else(truncated_versions)?;
        Ok((Table::new(self.src, seed, at), at))
    }

    /// `Elf_Verneed` {u16 version, u16 cnt, u32 file, u32 aux, u32 next} and
    /// `Elf_Vernaux` {u32 hash, u16 flags, u16 other, u32 name, u32 next}; same in both classes.
    fn version_needs(
        &self,
        addr: u64,
        count: usize,
        strings: &Strings,
        seed: Option<Window<'_>>,
    ) -> Result<Vec<VersionNeed>, ElfError> {
        let (t, mut at) = self.table(addr, seed)?;
        let little = self.little;
        let mut out = Vec::with_capacity(count.min(64));
        for _ in 0..count.min(MAX_VERSION_ENTRIES) {
            let cnt = t.u16(at + 2, little)?;
            let file = strings.get(u64::from(t.u32(at + 4, little)?))?;
            let mut aux = at.checked_add(t.u32(at + 8, little)? as usize);
            let mut versions = Vec::with_capacity(usize::from(cnt).min(64));
            for _ in 0..usize::from(cnt).min(MAX_VERSION_ENTRIES) {
                let Some(a) = aux else { break };
                let flags = t.u16(a + 4, little)?;
                let name = strings.get(u64::from(t.u32(a + 8, little)?))?;
                versions.push(NeededVersion {
                    name,
                    weak: flags & 0x2 != 0,
                });
                let next = t.u32(a + 12, little)? as usize;
                if next == 0 {
                    break;
                }
                aux = a.checked_add(next);
            }
            out.push(VersionNeed { file, versions });
            let next = t.u32(at + 12, little)? as usize;
            if next == 0 {
                break;
            }
            at = at.checked_add(next).ok_or_else(truncated_versions)?;
        }
        Ok(out)
    }

    /// `Elf_Verdef` {u16 version, u16 flags, u16 ndx, u16 cnt, u32 hash, u32 aux, u32 next},
    /// `Elf_Verdaux` {u32 name, u32 next}. The VER_FLG_BASE entry names the file: skipped.
    fn version_defs(
        &self,
        addr: u64,
        count: usize,
        strings: &Strings,
        seed: Option<Window<'_>>,
    ) -> Result<Vec<String>, ElfError> {
        let (t, mut at) = self.table(addr, seed)?;
        let little = self.little;
        let mut out = Vec::with_capacity(count.min(64));
        for _ in 0..count.min(MAX_VERSION_ENTRIES) {
            let flags = t.u16(at + 2, little)?;
            let aux = at
                .checked_add(t.u32(at + 12, little)? as usize)
                .ok_or_else(truncated_versions)?;
            if flags & 0x1 == 0 {
                out.push(strings.get(u64::from(t.u32(aux, little)?))?);
            }
            let next = t.u32(at + 16, little)? as usize;
            if next == 0 {
                break;
            }
            at = at.checked_add(next).ok_or_else(truncated_versions)?;
        }
        Ok(out)
    }
}

fn truncated_versions() -> ElfError {
    ElfError::Malformed("version table out of range".into())
}

#[cfg(test)]
mod tests {
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
}
