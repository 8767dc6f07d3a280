//! Facts about the machine itself, read under a root directory (`/` in real runs, a temporary
//! directory in tests): whether it is NixOS, and what the FHS loader path
//! `/lib64/ld-linux-x86-64.so.2` really is (docs/loader-and-nix.md, "nix-ld's variables and defaults" and "Telling machines and pythons apart").

use std::path::{Path, PathBuf};

use crate::evidence::FhsLoaderKind;

/// The FHS loader path under `root` (`/` except in tests): the loader's own constant.
pub fn fhs_loader_under(root: &std::path::Path) -> std::path::PathBuf {
    root.join(crate::loader::context::HOST_LOADER.trim_start_matches('/'))
}

/// NixOS: `/etc/os-release` says `ID=nixos` (quoted or not), or `/etc/NIXOS` exists.
/// `Some(false)` when os-release was read and says otherwise; `None` when nothing could be read.
pub fn is_nixos(root: &Path) -> Option<bool> {
    if root.join("etc/NIXOS").exists() {
        return Some(true);
    }
    let text = std::fs::read(root.join("etc/os-release")).ok()?;
    let text = String::from_utf8_lossy(&text);
    let id = text.lines().find_map(|line| {
        let value = line.trim().strip_prefix("ID=")?;
        Some(value.trim_matches(|c| c == '"' || c == '\'').to_string())
    });
    Some(id.as_deref() == Some("nixos"))
}

/// The marker stub-ld prints (nixpkgs `nixos/modules/config/stub-ld.nix`); found in its file.
const STUB_LD_MARKER: &[u8] = b"NixOS cannot run dynamically linked executables";
/// Read at most this much of the loader file when looking for the marker.
const LOADER_READ_LIMIT: u64 = 16 * 1024 * 1024;

/// What the loader at `path` is, and the final target of its symlinks (when it resolves).
pub fn classify_fhs_loader(path: &Path) -> (FhsLoaderKind, Option<PathBuf>) {
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return (FhsLoaderKind::Absent, None);
    };
    let target = std::fs::canonicalize(path).ok();
    let link_text = if meta.file_type().is_symlink() {
        std::fs::read_link(path).ok()
    } else {
        None
    };
    let names: Vec<String> = [link_text.as_ref(), target.as_ref()]
        .into_iter()
        .flatten()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    if names.iter().any(|n| n.contains("nix-ld")) {
        return (FhsLoaderKind::NixLd, target);
    }
    if names.iter().any(|n| n.contains("stub-ld")) {
        return (FhsLoaderKind::StubLd, target);
    }
    let Some(real) = target.as_ref() else {
        // A dangling symlink: nothing there that could start a program.
        return (FhsLoaderKind::Absent, None);
    };
    let kind = match read_head(real) {
        Some(bytes) if contains(&bytes, STUB_LD_MARKER) => FhsLoaderKind::StubLd,
        Some(bytes) if is_elf_loader(&bytes) => FhsLoaderKind::Glibc,
        _ => FhsLoaderKind::Other,
    };
    (kind, target)
}

/// Whether `path` is a program loader (`ld-linux-x86-64.so.2`, `ld.so`): an ELF `ET_DYN`
/// without a PT_INTERP of its own, named like one.
pub fn is_program_loader(path: &Path) -> bool {
    let named_like_one = path
        .file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.starts_with("ld-") || n.starts_with("ld.so"));
    named_like_one && read_head(path).is_some_and(|bytes| is_elf_loader(&bytes))
}

fn read_head(path: &Path) -> Option<Vec<u8>> {
    use std::io::Read;
    let file = std::fs::File::open(path).ok()?;
    let mut bytes = Vec::new();
    file.take(LOADER_READ_LIMIT).read_to_end(&mut bytes).ok()?;
    Some(bytes)
}

/// A shared object that is a program loader: an ELF `ET_DYN` with no PT_INTERP of its own.
fn is_elf_loader(bytes: &[u8]) -> bool {
    crate::elf::parse_summary(bytes).is_ok_and(|s| s.is_loader_like())
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn os_release_id_decides_nixos() {
        let t = tempfile::tempdir().unwrap();
        assert_eq!(is_nixos(t.path()), None);
        std::fs::create_dir_all(t.path().join("etc")).unwrap();
        std::fs::write(t.path().join("etc/os-release"), "NAME=Debian\nID=debian\n").unwrap();
        assert_eq!(is_nixos(t.path()), Some(false));
        std::fs::write(
            t.path().join("etc/os-release"),
            "NAME=NixOS\nID=nixos\nID_LIKE=\"\"\n",
        )
        .unwrap();
        assert_eq!(is_nixos(t.path()), Some(true));
        std::fs::write(t.path().join("etc/os-release"), "ID=\"nixos\"\n").unwrap();
        assert_eq!(is_nixos(t.path()), Some(true));
    }

    #[test]
    fn etc_nixos_alone_is_enough() {
        let t = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(t.path().join("etc")).unwrap();
        std::fs::write(t.path().join("etc/NIXOS"), "").unwrap();
        assert_eq!(is_nixos(t.path()), Some(true));
    }
}
