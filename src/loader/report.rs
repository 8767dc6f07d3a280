//! The resolution as data for the JSON contract's `objects` (docs/json.md).
//!
//! docs/json.md's fields (`path`, `needed`, `soname`, `found_via`, `tried`) keep their meaning;
//! the others are additions, omitted from JSON when empty.

use serde::{Deserialize, Serialize};

use super::error::ResolveError;

/// One ELF file examined, with its needed libraries resolved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResolvedObject {
    pub path: String,
    /// Why the file itself could not be examined (not an ELF, truncated, unreadable), or why
    /// the loader would refuse it (wrong class or machine).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ResolveError>,
    /// DT_NEEDED order, transitive below.
    pub needed: Vec<NeededLibrary>,
    /// What the file's headers say, when it could be read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub elf: Option<ElfFacts>,
    /// The file asks for an executable stack and the loader (glibc ≥ 2.41) refuses that.
    #[serde(default, skip_serializing_if = "is_false")]
    pub executable_stack: bool,
    /// The loader that resolved it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loader: Option<String>,
}

/// A short summary of an ELF file's headers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ElfFacts {
    /// "elf32" or "elf64".
    pub class: String,
    pub machine: u16,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub soname: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interpreter: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rpath: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runpath: Option<String>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub nodeflib: bool,
    /// No PT_GNU_STACK, or one marked executable.
    #[serde(default, skip_serializing_if = "is_false")]
    pub wants_executable_stack: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NeededLibrary {
    pub soname: String,
    pub path: Option<String>,
    pub found_via: Option<FoundVia>,
    /// Directories searched, in order, when not found; each listed once, where the loader
    /// met it first.
    pub tried: Vec<String>,
    /// Parallel to `tried` (same length): which list each dir came from: "rpath of <path>",
    /// "ld_library_path", "runpath of <path>", "default-dir", "direct-path".
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tried_via: Vec<String>,
    pub needed: Vec<NeededLibrary>,
    /// The loader's error when the search stopped on a bad file, or only files of another
    /// class were found ("wrong ELF class: ELFCLASS32").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ResolveError>,
    /// Files with this name that the loader skipped (other class or machine).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rejected: Vec<Rejected>,
    /// The ld.so.cache consulted when not found (not a directory, so not in `tried`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_searched: Option<String>,
    /// Versions the requiring object needs from this library that it lacks.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub version_problems: Vec<VersionProblem>,
    /// Met before in this tree: its own `needed` is listed where it first appears.
    #[serde(default, skip_serializing_if = "is_false")]
    pub repeated: bool,
    /// Found only through LD_LIBRARY_PATH, or only because an earlier import had loaded
    /// it: without that, the loader would not find it.
    #[serde(default, skip_serializing_if = "is_false")]
    pub latent: bool,
    /// The library asks for an executable stack and the loader (glibc ≥ 2.41) refuses it.
    #[serde(default, skip_serializing_if = "is_false")]
    pub executable_stack: bool,
}

/// A candidate file the loader passed over.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rejected {
    pub path: String,
    pub reason: String,
}

/// A symbol version needed but not defined by the library that would be found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionProblem {
    /// `GLIBCXX_3.4.30`.
    pub version: String,
    /// The object that needs it.
    pub required_by: String,
    /// The newest version of the same family (`GLIBCXX_3.4.28`) the library defines.
    pub newest_available: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FoundVia {
    Rpath,
    /// docs/json.md spells this one with underscores.
    #[serde(rename = "ld_library_path")]
    LdLibraryPath,
    Runpath,
    #[serde(rename = "ld.so.cache")]
    LdSoCache,
    DefaultDir,
    AlreadyLoaded,
    /// A DT_NEEDED entry with a '/', opened directly (not in the first version of the list; added).
    DirectPath,
}

impl FoundVia {
    /// The JSON spelling, also used by the tree.
    pub fn as_str(self) -> &'static str {
        match self {
            FoundVia::Rpath => "rpath",
            FoundVia::LdLibraryPath => "ld_library_path",
            FoundVia::Runpath => "runpath",
            FoundVia::LdSoCache => "ld.so.cache",
            FoundVia::DefaultDir => "default-dir",
            FoundVia::AlreadyLoaded => "already-loaded",
            FoundVia::DirectPath => "direct-path",
        }
    }
}

fn is_false(b: &bool) -> bool {
    !*b
}
