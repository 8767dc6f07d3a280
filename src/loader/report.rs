//! The resolution as data for the JSON contract's `objects` (design.md).

use serde::{Deserialize, Serialize};

/// One ELF file examined, with its needed libraries resolved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResolvedObject {
    pub path: String,
    /// Why the file itself could not be examined (not an ELF, truncated, unreadable).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// DT_NEEDED order, transitive below.
    pub needed: Vec<NeededLibrary>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NeededLibrary {
    pub soname: String,
    pub path: Option<String>,
    pub found_via: Option<FoundVia>,
    /// Directories searched, in order, when not found.
    pub tried: Vec<String>,
    pub needed: Vec<NeededLibrary>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FoundVia {
    Rpath,
    LdLibraryPath,
    Runpath,
    #[serde(rename = "ld.so.cache")]
    LdSoCache,
    DefaultDir,
    AlreadyLoaded,
    /// A DT_NEEDED entry with a '/', opened directly (not in design.md's list; added).
    DirectPath,
}
