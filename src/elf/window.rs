//! Bytes of an ELF image, read by regions: a slice in memory, or a file read with `pread`
//! (a memory map was measured slower: page faults with fault-around and munmap dominated a
//! 400-file run; a handful of reads per file does not). A [`Window`] holds one read; reads
//! inside it are served from it. Every offset taken from the file is added with a check:
//! a range that would wrap is a range outside the image.

use std::borrow::Cow;
use std::fs::File;

/// How much is read at once around a table or string: most tables of a shared library are
/// smaller, and one read of a few KiB costs about what a read of a few bytes does.
pub(super) const WINDOW: usize = 4096;

/// The first read of a file: the ELF header and the program headers (64 + ~10 × 56 bytes
/// for a shared library); more are read on demand. The version tables are small too.
pub(super) const HEAD: usize = 1024;

/// Random access to an ELF image: a slice, or a file read by blocks.
pub(super) trait Source {
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

/// A file read with `pread`: every region asked for is one read.
pub(super) struct FileSource<'f> {
    file: &'f File,
    len: usize,
}

impl<'f> FileSource<'f> {
    pub fn new(file: &'f File, len: u64) -> FileSource<'f> {
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
            // Below offset + len, checked above.
            let at = u64::try_from(offset + buf.len()).ok()?;
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
pub(super) struct Window<'a> {
    pub src: &'a dyn Source,
    pub base: usize,
    pub bytes: Cow<'a, [u8]>,
}

impl<'a> Window<'a> {
    /// Up to `want` bytes from `base` (fewer at the end of the image; none past it).
    pub fn load(src: &'a dyn Source, base: usize, want: usize) -> Window<'a> {
        let len = want.min(src.len().saturating_sub(base));
        let bytes = src.read(base, len).unwrap_or(Cow::Borrowed(&[]));
        Window { src, base, bytes }
    }

    /// The bytes `at..at + len` when this window holds them all.
    pub fn inside(&self, at: usize, len: usize) -> Option<&[u8]> {
        let from = at.checked_sub(self.base)?;
        self.bytes.get(from..from.checked_add(len)?)
    }

    /// The bytes `at..at + len`, from this window or read.
    pub fn get(&self, at: usize, len: usize) -> Option<Cow<'_, [u8]>> {
        match self.inside(at, len) {
            Some(b) => Some(Cow::Borrowed(b)),
            None => self.src.read(at, len),
        }
    }

    /// The same bytes, borrowed: one read shared by the string table and the version tables.
    pub fn borrowed(&self) -> Window<'_> {
        Window {
            src: self.src,
            base: self.base,
            bytes: Cow::Borrowed(&self.bytes),
        }
    }
}

/// The first of `windows` that holds `lo..hi`, borrowed.
pub(super) fn holding<'w>(
    windows: impl IntoIterator<Item = &'w Window<'w>>,
    lo: usize,
    hi: usize,
) -> Option<Window<'w>> {
    windows
        .into_iter()
        .find(|w| w.inside(lo, hi.saturating_sub(lo)).is_some())
        .map(Window::borrowed)
}

/// The first of `windows` that holds the byte at `at`.
pub(super) fn holding_byte<'w>(
    windows: impl IntoIterator<Item = &'w Window<'w>>,
    at: usize,
) -> Option<Window<'w>> {
    windows
        .into_iter()
        .find(|w| w.inside(at, 1).is_some())
        .map(Window::borrowed)
}

/// The smallest range holding all `regions` (each `lo <= hi`).
pub(super) fn span(regions: impl IntoIterator<Item = (usize, usize)>) -> Option<(usize, usize)> {
    regions
        .into_iter()
        .reduce(|a, b| (a.0.min(b.0), a.1.max(b.1)))
}

pub(super) fn read_u16(b: &[u8], at: usize, little: bool) -> Option<u16> {
    let raw: [u8; 2] = b.get(at..at.checked_add(2)?)?.try_into().ok()?;
    Some(if little {
        u16::from_le_bytes(raw)
    } else {
        u16::from_be_bytes(raw)
    })
}

pub(super) fn read_u32(b: &[u8], at: usize, little: bool) -> Option<u32> {
    let raw: [u8; 4] = b.get(at..at.checked_add(4)?)?.try_into().ok()?;
    Some(if little {
        u32::from_le_bytes(raw)
    } else {
        u32::from_be_bytes(raw)
    })
}

pub(super) fn read_u64(b: &[u8], at: usize, little: bool) -> Option<u64> {
    let raw: [u8; 8] = b.get(at..at.checked_add(8)?)?.try_into().ok()?;
    Some(if little {
        u64::from_le_bytes(raw)
    } else {
        u64::from_be_bytes(raw)
    })
}
