//! `/etc/ld.so.cache` (or the loader's own cache path) read directly, both layouts
//! (docs/loader-and-nix.md, "The ld.so.cache file"): the new "glibc-ld.so.cache1.1" format alone, and the old "ld.so-1.7.0"
//! table followed by the new one. Lookup follows `search_cache`: flags must match the
//! loader's, legacy hwcap entries are skipped, glibc-hwcaps entries are used only for an
//! active subdirectory and win over the plain entry by priority.

use std::collections::HashMap;
use std::path::Path;

const OLD_MAGIC: &[u8] = b"ld.so-1.7.0";
const NEW_MAGIC: &[u8] = b"glibc-ld.so.cache1.1";
const NEW_HEADER: usize = 48;
const NEW_ENTRY: usize = 24;
const OLD_HEADER: usize = 16;
const OLD_ENTRY: usize = 12;
const EXTENSION_MAGIC: u32 = 0xEAA4_2174;
const EXTENSION_TAG_HWCAPS: u32 = 1;
const HWCAP_EXTENSION: u64 = 1 << 62;

/// `FLAG_ELF_LIBC6 | FLAG_X8664_LIB64`: the only flags x86-64's ld.so accepts.
pub const FLAGS_X86_64: i32 = 0x0303;
/// `FLAG_ELF_LIBC6 | FLAG_AARCH64_LIB64`.
pub const FLAGS_AARCH64: i32 = 0x0a03;

/// One cache entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheEntry {
    pub flags: i32,
    pub path: String,
    /// The glibc-hwcaps subdirectory name (`x86-64-v3`) for extension entries.
    pub hwcaps: Option<String>,
    /// A nonzero legacy hwcap value: ignored by glibc ≥ 2.37 and skipped here too.
    pub legacy_hwcap: bool,
}

/// A parsed cache, indexed by soname.
#[derive(Debug, Clone, Default)]
pub struct LdCache {
    entries: HashMap<String, Vec<CacheEntry>>,
}

impl LdCache {
    /// Read and parse a cache file. `None` when it does not exist or is not a cache.
    pub fn read(path: &Path) -> Option<LdCache> {
        let bytes = std::fs::read(path).ok()?;
        LdCache::parse(&bytes)
    }

    /// Parse either layout; `None` when neither is recognised.
    pub fn parse(bytes: &[u8]) -> Option<LdCache> {
        if bytes.starts_with(NEW_MAGIC) {
            return parse_new(bytes, 0);
        }
        if bytes.starts_with(OLD_MAGIC) {
            let nlibs = u32_at(bytes, 12)? as usize;
            let old_end = OLD_HEADER.checked_add(nlibs.checked_mul(OLD_ENTRY)?)?;
            let new_at = old_end.checked_add(7)? & !7;
            if bytes.get(new_at..)?.starts_with(NEW_MAGIC) {
                return parse_new(bytes, new_at);
            }
            return parse_old(bytes, nlibs);
        }
        None
    }

    /// The path the loader would take from the cache for `soname`, given the flags it
    /// accepts and its active glibc-hwcaps subdirectories (highest priority first).
    pub fn lookup(&self, soname: &str, flags: i32, active_hwcaps: &[String]) -> Option<&str> {
        let candidates = self.entries.get(soname)?;
        let mut best: Option<(usize, &str)> = None;
        for e in candidates.iter().filter(|e| e.flags == flags) {
            match &e.hwcaps {
                Some(sub) => {
                    if let Some(prio) = active_hwcaps.iter().position(|a| a == sub)
                        && best.is_none_or(|(p, _)| prio < p)
                    {
                        best = Some((prio, &e.path));
                    }
                }
                None if e.legacy_hwcap => {}
                None => return Some(best.map_or(e.path.as_str(), |(_, p)| p)),
            }
        }
        best.map(|(_, p)| p)
    }

    pub fn len(&self) -> usize {
        self.entries.values().map(Vec::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(
        b.get(at..at.checked_add(4)?)?.try_into().ok()?,
    ))
}

fn u64_at(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(
        b.get(at..at.checked_add(8)?)?.try_into().ok()?,
    ))
}

/// Cache strings are sonames and paths: a longer "string" is a corrupt cache, and scanning
/// each entry's string to the end of a large file would be quadratic.
const MAX_CACHE_STRING: usize = 4096;

fn c_str(b: &[u8], at: usize) -> Option<String> {
    let rest = b.get(at..)?;
    // std's NUL search (word at a time, optimised even in a debug build).
    let s = std::ffi::CStr::from_bytes_until_nul(&rest[..rest.len().min(MAX_CACHE_STRING)]).ok()?;
    Some(crate::elf::lossy(s.to_bytes()))
}

/// New format at `base`; string offsets are relative to `base` (the new header).
fn parse_new(bytes: &[u8], base: usize) -> Option<LdCache> {
    let b = bytes.get(base..)?;
    if b.len() < NEW_HEADER {
        return None;
    }
    let nlibs = u32_at(b, 20)? as usize;
    // Endianness flag: 0 unset, 2 little. Anything else is not for this (little-endian) host.
    if !matches!(b[28], 0 | 2) {
        return None;
    }
    if (b.len() - NEW_HEADER) / NEW_ENTRY < nlibs {
        return None;
    }
    let hwcaps = hwcaps_strings(b, u32_at(b, 32)? as usize);
    let mut entries: HashMap<String, Vec<CacheEntry>> = HashMap::new();
    for i in 0..nlibs {
        let at = NEW_HEADER + i * NEW_ENTRY;
        let flags = u32_at(b, at)? as i32;
        let (Some(key), Some(path)) = (
            c_str(b, u32_at(b, at + 4)? as usize),
            c_str(b, u32_at(b, at + 8)? as usize),
        ) else {
            continue;
        };
        let hwcap = u64_at(b, at + 16)?;
        let is_extension = hwcap & HWCAP_EXTENSION != 0 && ((hwcap >> 32) & !0x3ff) == (1 << 30);
        let entry = CacheEntry {
            flags,
            path,
            hwcaps: if is_extension {
                Some(
                    hwcaps
                        .get((hwcap & 0xffff_ffff) as usize)
                        .cloned()
                        .unwrap_or_default(),
                )
            } else {
                None
            },
            legacy_hwcap: !is_extension && hwcap != 0,
        };
        entries.entry(key).or_default().push(entry);
    }
    Some(LdCache { entries })
}

/// The glibc-hwcaps subdirectory names of the extension directory, by index.
fn hwcaps_strings(b: &[u8], ext: usize) -> Vec<String> {
    let mut out = Vec::new();
    if ext == 0 || u32_at(b, ext) != Some(EXTENSION_MAGIC) {
        return out;
    }
    let count = u32_at(b, ext + 4).unwrap_or(0) as usize;
    for i in 0..count.min(64) {
        let sec = ext + 8 + i * 16;
        let (Some(tag), Some(offset), Some(size)) =
            (u32_at(b, sec), u32_at(b, sec + 8), u32_at(b, sec + 12))
        else {
            break;
        };
        if tag != EXTENSION_TAG_HWCAPS {
            continue;
        }
        for j in 0..(size as usize / 4).min(1024) {
            let s = u32_at(b, offset as usize + j * 4).and_then(|o| c_str(b, o as usize));
            out.push(s.unwrap_or_default());
        }
    }
    out
}

/// Old format alone: offsets relative to the end of the entry table.
fn parse_old(bytes: &[u8], nlibs: usize) -> Option<LdCache> {
    let strings = OLD_HEADER.checked_add(nlibs.checked_mul(OLD_ENTRY)?)?;
    if strings > bytes.len() {
        return None;
    }
    let mut entries: HashMap<String, Vec<CacheEntry>> = HashMap::new();
    for i in 0..nlibs {
        let at = OLD_HEADER + i * OLD_ENTRY;
        let flags = u32_at(bytes, at)? as i32;
        let key = c_str(bytes, strings.checked_add(u32_at(bytes, at + 4)? as usize)?);
        let path = c_str(bytes, strings.checked_add(u32_at(bytes, at + 8)? as usize)?);
        if let (Some(key), Some(path)) = (key, path) {
            entries.entry(key).or_default().push(CacheEntry {
                flags,
                path,
                hwcaps: None,
                legacy_hwcap: false,
            });
        }
    }
    Some(LdCache { entries })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Build a new-format cache by hand: (flags, key, value, hwcap) entries.
    fn new_cache(entries: &[(i32, &str, &str, u64)], hwcaps: &[&str]) -> Vec<u8> {
        let mut strings = Vec::new();
        let str_base = NEW_HEADER + entries.len() * NEW_ENTRY;
        let mut offs = Vec::new();
        for (_, k, v, _) in entries {
            let ko = str_base + strings.len();
            strings.extend_from_slice(k.as_bytes());
            strings.push(0);
            let vo = str_base + strings.len();
            strings.extend_from_slice(v.as_bytes());
            strings.push(0);
            offs.push((ko, vo));
        }
        let mut hw_offs = Vec::new();
        for h in hwcaps {
            hw_offs.push(str_base + strings.len());
            strings.extend_from_slice(h.as_bytes());
            strings.push(0);
        }
        while !(str_base + strings.len()).is_multiple_of(4) {
            strings.push(0);
        }
        let ext_at = if hwcaps.is_empty() {
            0
        } else {
            str_base + strings.len()
        };
        let mut out = Vec::new();
        out.extend_from_slice(NEW_MAGIC);
        out.extend_from_slice(&(entries.len() as u32).to_le_bytes());
        out.extend_from_slice(&(strings.len() as u32).to_le_bytes());
        out.extend_from_slice(&[2, 0, 0, 0]);
        out.extend_from_slice(&(ext_at as u32).to_le_bytes());
        out.extend_from_slice(&[0; 12]);
        for ((f, _, _, h), (ko, vo)) in entries.iter().zip(&offs) {
            out.extend_from_slice(&f.to_le_bytes());
            out.extend_from_slice(&(*ko as u32).to_le_bytes());
            out.extend_from_slice(&(*vo as u32).to_le_bytes());
            out.extend_from_slice(&0u32.to_le_bytes());
            out.extend_from_slice(&h.to_le_bytes());
        }
        out.extend_from_slice(&strings);
        if !hwcaps.is_empty() {
            let array_at = out.len() + 8 + 16;
            out.extend_from_slice(&EXTENSION_MAGIC.to_le_bytes());
            out.extend_from_slice(&1u32.to_le_bytes());
            out.extend_from_slice(&EXTENSION_TAG_HWCAPS.to_le_bytes());
            out.extend_from_slice(&0u32.to_le_bytes());
            out.extend_from_slice(&(array_at as u32).to_le_bytes());
            out.extend_from_slice(&((hwcaps.len() * 4) as u32).to_le_bytes());
            for o in hw_offs {
                out.extend_from_slice(&(o as u32).to_le_bytes());
            }
        }
        out
    }

    #[test]
    fn plain_entry_with_the_loaders_flags_is_found() {
        let c = new_cache(
            &[
                (0x0003, "libz.so.1", "/lib32/libz.so.1", 0),
                (0x0303, "libz.so.1", "/lib/libz.so.1", 0),
            ],
            &[],
        );
        let cache = LdCache::parse(&c).unwrap();
        assert_eq!(
            cache.lookup("libz.so.1", FLAGS_X86_64, &[]),
            Some("/lib/libz.so.1")
        );
        assert_eq!(cache.lookup("libq.so", FLAGS_X86_64, &[]), None);
    }

    #[test]
    fn active_hwcaps_entry_wins_and_legacy_hwcap_is_skipped() {
        let ext = HWCAP_EXTENSION; // index 0 of the hwcaps array
        let c = new_cache(
            &[
                (0x0303, "liba.so", "/v3/liba.so", ext),
                (0x0303, "liba.so", "/legacy/liba.so", 0x10),
                (0x0303, "liba.so", "/plain/liba.so", 0),
            ],
            &["x86-64-v3"],
        );
        let cache = LdCache::parse(&c).unwrap();
        let active = vec!["x86-64-v3".to_string(), "x86-64-v2".to_string()];
        assert_eq!(
            cache.lookup("liba.so", FLAGS_X86_64, &active),
            Some("/v3/liba.so")
        );
        assert_eq!(
            cache.lookup("liba.so", FLAGS_X86_64, &["x86-64-v2".to_string()]),
            Some("/plain/liba.so")
        );
    }

    #[test]
    fn old_compat_layout_is_followed_to_the_new_table() {
        let new = new_cache(&[(0x0303, "libc.so.6", "/lib/libc.so.6", 0)], &[]);
        let mut old = Vec::new();
        old.extend_from_slice(OLD_MAGIC);
        old.push(0);
        old.extend_from_slice(&2u32.to_le_bytes());
        old.extend_from_slice(&[0; 24]);
        while old.len() % 8 != 0 {
            old.push(0);
        }
        // New-format offsets are relative to the new header.
        old.extend_from_slice(&new);
        let cache = LdCache::parse(&old).unwrap();
        assert_eq!(
            cache.lookup("libc.so.6", FLAGS_X86_64, &[]),
            Some("/lib/libc.so.6")
        );
    }

    #[test]
    fn the_hosts_cache_parses_and_truncations_do_not_panic() {
        let Ok(bytes) = std::fs::read("/etc/ld.so.cache") else {
            eprintln!("no /etc/ld.so.cache here: skipped");
            return;
        };
        let cache = LdCache::parse(&bytes).unwrap();
        assert!(cache.lookup("libc.so.6", FLAGS_X86_64, &[]).is_some());
        for len in (0..bytes.len()).step_by(97) {
            let _ = LdCache::parse(&bytes[..len]);
        }
    }
}
