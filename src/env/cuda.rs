//! The NVIDIA driver as this machine shows it, read under a root directory (`/` in real runs,
//! a temporary directory in tests): the kernel module's version from
//! `/proc/driver/nvidia/version`, and NixOS's driver dir `/run/opengl-driver/lib`.

use std::io::Read;
use std::path::Path;

/// Where NixOS links the driver's user-space libraries (`hardware.graphics.enable`).
pub const NIXOS_DRIVER_DIR: &str = "/run/opengl-driver/lib";

/// The file the NVIDIA kernel module writes its version to.
const VERSION_FILE: &str = "proc/driver/nvidia/version";

/// The driver's version (`550.54.14`) from the first line of `/proc/driver/nvidia/version`
/// under `root` ("NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.54.14  <date>"), or
/// None when the module is not loaded or the line says no version.
pub fn driver_version(root: &Path) -> Option<String> {
    let mut head = Vec::new();
    std::fs::File::open(root.join(VERSION_FILE))
        .ok()?
        .take(4096)
        .read_to_end(&mut head)
        .ok()?;
    let text = String::from_utf8_lossy(&head);
    let line = text.lines().find(|l| l.starts_with("NVRM version:"))?;
    line.split_whitespace()
        .find(|word| is_version(word))
        .map(str::to_string)
}

fn is_version(word: &str) -> bool {
    let parts: Vec<&str> = word.split('.').collect();
    parts.len() >= 2
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

/// Whether NixOS's driver dir exists under `root`, and whether it holds `libcuda.so.1`.
pub fn driver_dir(root: &Path) -> (bool, bool) {
    let dir = root.join(NIXOS_DRIVER_DIR.trim_start_matches('/'));
    (dir.is_dir(), dir.join("libcuda.so.1").exists())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root_with(text: &str) -> tempfile::TempDir {
        let t = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(t.path().join("proc/driver/nvidia")).unwrap();
        std::fs::write(t.path().join(VERSION_FILE), text).unwrap();
        t
    }

    #[test]
    fn the_version_is_read_from_the_module_line() {
        let t = root_with(
            "NVRM version: NVIDIA UNIX x86_64 Kernel Module  535.129.03  Thu Oct 19 18:56:32 UTC 2023\nGCC version:  gcc version 12.3.0 (GCC)\n",
        );
        assert_eq!(driver_version(t.path()).as_deref(), Some("535.129.03"));
        let open = root_with(
            "NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  550.54.14  Release Build  (dvs-builder@U16-I3-D08-1-2)  Mon Feb 19 20:25:30 UTC 2024\n",
        );
        assert_eq!(driver_version(open.path()).as_deref(), Some("550.54.14"));
    }

    #[test]
    fn no_file_or_no_version_is_none() {
        let t = tempfile::tempdir().unwrap();
        assert_eq!(driver_version(t.path()), None);
        let bad = root_with("GCC version: 12\n");
        assert_eq!(driver_version(bad.path()), None);
    }

    #[test]
    fn the_driver_dir_is_looked_at_under_the_root() {
        let t = tempfile::tempdir().unwrap();
        assert_eq!(driver_dir(t.path()), (false, false));
        let dir = t.path().join("run/opengl-driver/lib");
        std::fs::create_dir_all(&dir).unwrap();
        assert_eq!(driver_dir(t.path()), (true, false));
        std::fs::write(dir.join("libcuda.so.1"), "").unwrap();
        assert_eq!(driver_dir(t.path()), (true, true));
    }
}
