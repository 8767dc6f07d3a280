//! The manifest a fix leaves inside the venv (`<venv>/.pydoctor-fix/manifest.json`): every file
//! it wrote with its hash before and after, the libraries it loads, the GC roots it added, and
//! whether the fix finished. It is the journal that `fix --undo` and an interrupted fix's
//! recovery work from, and what `check` reads to say that a venv was fixed.
//!
//! This module owns the manifest's shape, reading and writing it, and file hashing. It does not
//! decide what to change (`plan`) or change anything else (`apply`).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// The directory under the venv that holds everything of pydoctor's own.
pub const FIX_DIR: &str = ".pydoctor-fix";
pub const MANIFEST_FILE: &str = "manifest.json";
pub const GC_ROOTS_DIR: &str = "gcroots";
/// The manifest format; a newer one is refused rather than misread.
pub const MANIFEST_VERSION: u32 = 1;
/// Suffix of the temporary file every write goes to before it is renamed into place.
pub const TEMP_SUFFIX: &str = ".pydoctor-tmp";

/// How far a fix got.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum State {
    /// Files may be partly written and the import not yet proven: roll back.
    Applying,
    /// Written and proven by a fresh import.
    Applied,
}

/// One file the fix writes. `before` is None when the file did not exist (pydoctor only adds
/// files of its own, so undoing is removing).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileChange {
    pub path: String,
    pub before: Option<String>,
    pub after: String,
}

/// A library the fix loads at start-up, by absolute path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Library {
    pub soname: String,
    pub path: String,
    /// The store entry holding it (`/nix/store/<hash>-zlib-1.3.1`), when it is in the store.
    pub store_path: Option<String>,
}

/// A GC root the fix added (an indirect root: a symlink under the venv that nix records).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GcRoot {
    pub root: String,
    pub store_path: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub version: u32,
    pub state: State,
    /// UTC, `2026-12-01T09:55:00Z`.
    pub created: String,
    pub modules: Vec<String>,
    pub libraries: Vec<Library>,
    pub files: Vec<FileChange>,
    #[serde(default)]
    pub gc_roots: Vec<GcRoot>,
}

impl Manifest {
    pub fn dir(venv: &Path) -> PathBuf {
        venv.join(FIX_DIR)
    }

    pub fn path(venv: &Path) -> PathBuf {
        Manifest::dir(venv).join(MANIFEST_FILE)
    }

    /// The venv's manifest; None when the venv was never fixed (or the fix was undone).
    pub fn read(venv: &Path) -> Result<Option<Manifest>> {
        let path = Manifest::path(venv);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Error::io(&path, e)),
        };
        let manifest: Manifest = serde_json::from_str(&text).map_err(|e| {
            Error::Other(format!(
                "{}: not a pydoctor fix manifest: {e}",
                path.display()
            ))
        })?;
        if manifest.version > MANIFEST_VERSION {
            return Err(Error::Other(format!(
                "{}: manifest version {} is newer than this pydoctor understands ({MANIFEST_VERSION})",
                path.display(),
                manifest.version
            )));
        }
        Ok(Some(manifest))
    }

    /// Written to a temporary file, then renamed over the old one.
    pub fn write(&self, venv: &Path) -> Result<()> {
        let dir = Manifest::dir(venv);
        std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
        let mut text = serde_json::to_vec_pretty(self).map_err(|e| Error::Other(e.to_string()))?;
        text.push(b'\n');
        write_atomically(&Manifest::path(venv), &text)
    }

    /// The date part of `created`, for "fixed by pydoctor fix on DATE".
    pub fn date(&self) -> &str {
        self.created.split('T').next().unwrap_or(&self.created)
    }
}

/// `sha256:<hex>` of a file's bytes; None when it does not exist.
pub fn hash_file(path: &Path) -> Result<Option<String>> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(Some(hash_bytes(&bytes))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::io(path, e)),
    }
}

pub fn hash_bytes(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

/// The temporary sibling a write of `path` goes through.
pub fn temp_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}{TEMP_SUFFIX}"))
}

/// Write `bytes` to a temporary file beside `path`, flush it to disk, and rename it into place:
/// a reader (or a crash) sees the old file or the new one, never half of one.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let temp = temp_path(path);
    let written = std::fs::File::create(&temp).and_then(|mut f| {
        f.write_all(bytes)?;
        f.sync_all()
    });
    written.map_err(|e| Error::io(&temp, e))?;
    std::fs::rename(&temp, path).map_err(|e| Error::io(path, e))
}

/// Now, UTC, as `2026-12-01T09:55:00Z`.
pub fn now_utc() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    format_utc(secs)
}

/// Seconds since the epoch as an ISO 8601 UTC time (civil-from-days, proleptic Gregorian).
fn format_utc(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rest = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_times_are_civil_dates() {
        assert_eq!(format_utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_utc(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(format_utc(1_796_118_900), "2026-12-01T09:55:00Z");
    }

    #[test]
    fn a_manifest_round_trips_and_writes_leave_no_temporary_file() {
        let venv = tempfile::tempdir().unwrap();
        assert_eq!(Manifest::read(venv.path()).unwrap(), None);
        let manifest = Manifest {
            version: MANIFEST_VERSION,
            state: State::Applying,
            created: "2026-12-01T09:55:00Z".into(),
            modules: vec!["numpy".into()],
            libraries: Vec::new(),
            files: vec![FileChange {
                path: "/v/x.pth".into(),
                before: None,
                after: hash_bytes(b"x"),
            }],
            gc_roots: Vec::new(),
        };
        manifest.write(venv.path()).unwrap();
        assert_eq!(Manifest::read(venv.path()).unwrap(), Some(manifest.clone()));
        assert_eq!(manifest.date(), "2026-12-01");
        let names: Vec<_> = std::fs::read_dir(Manifest::dir(venv.path()))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, [MANIFEST_FILE]);
    }
}
