//! Data tables the fixes are rendered from: soname → nixpkgs attribute (`rules/tables/nixpkgs.toml`)
//! and soname → distribution package (`rules/tables/distro.toml`), the programs fixes run
//! (`tools.toml`), and libstdc++ symbol version → GCC release (`libstdcxx.toml`).
//!
//! The text tables under `rules/tables/` (messages, loader messages, paste cleaning) are
//! `text`'s and are skipped here.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::files::{self, RuleFile};
use crate::error::Result;

/// File names of the tables this module reads.
pub const NIXPKGS_TABLE: &str = "nixpkgs.toml";
pub const DISTRO_TABLE: &str = "distro.toml";
pub const TOOLS_TABLE: &str = "tools.toml";
pub const LIBSTDCXX_TABLE: &str = "libstdcxx.toml";

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct LibstdcxxFile {
    #[serde(rename = "version")]
    versions: Vec<LibstdcxxVersion>,
}

/// The GCC release that first shipped a libstdc++ symbol version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LibstdcxxVersion {
    /// `GLIBCXX_3.4.29`, `CXXABI_1.3.13`.
    pub name: String,
    /// `11.1.0`.
    pub gcc: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct ToolsFile {
    #[serde(rename = "tool")]
    tools: Vec<ToolEntry>,
}

/// How to get a program a fix runs, when it is not installed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ToolEntry {
    pub name: String,
    /// One line: the ways to get it (`nix shell nixpkgs#uv`, `python3 -m pip install uv`).
    pub get: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct NixpkgsFile {
    #[serde(rename = "library")]
    libraries: Vec<NixpkgsEntry>,
}

/// Where a soname comes from in nixpkgs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NixpkgsEntry {
    pub soname: String,
    /// The attribute to list (`stdenv.cc.cc.lib`, `zlib`); absent for glibc's own libraries,
    /// which are never listed anywhere (nix-ld, makeLibraryPath).
    #[serde(default)]
    pub attr: Option<String>,
    /// The installable holding `lib/<soname>` for `nix build` when the default output does
    /// not (`openssl.out`); defaults to `attr`.
    #[serde(default)]
    pub output: Option<String>,
    /// Part of glibc: found by every glibc loader, never to be listed.
    #[serde(default)]
    pub glibc: bool,
    /// Something the user must know (`libbz2.so.1.0 is not provided by bzip2 …`).
    #[serde(default)]
    pub note: Option<String>,
    /// Package names of store entries that usually hold it (`gcc` for `<hash>-gcc-13.2.0-lib`):
    /// looked in first, so that a 100,000-entry store is not searched entry by entry.
    #[serde(default)]
    pub store_names: Vec<String>,
}

impl NixpkgsEntry {
    pub fn installable(&self) -> Option<&str> {
        self.output.as_deref().or(self.attr.as_deref())
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct DistroFile {
    #[serde(rename = "library")]
    libraries: Vec<DistroEntry>,
}

/// The package providing a soname on common distributions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DistroEntry {
    pub soname: String,
    pub debian: String,
    pub fedora: String,
    pub arch: String,
}

#[derive(Debug, Clone, Default)]
pub struct Tables {
    pub nixpkgs: BTreeMap<String, NixpkgsEntry>,
    pub distro: BTreeMap<String, DistroEntry>,
    pub tools: BTreeMap<String, ToolEntry>,
    /// libstdc++ symbol version → the first GCC release with it.
    pub libstdcxx: BTreeMap<String, String>,
}

impl Tables {
    /// Read one table file into the tables; later files override earlier entries (so a
    /// `--rules DIR/tables/nixpkgs.toml` can correct a built-in one). The text tables are
    /// `text`'s and skipped; any other name is an error.
    pub fn add(&mut self, file: &RuleFile) -> Result<()> {
        match table_name(&file.name) {
            Some(NIXPKGS_TABLE) => {
                let parsed: NixpkgsFile = files::parse(file)?;
                for entry in parsed.libraries {
                    if entry.attr.is_none() && !entry.glibc {
                        return Err(files::field_error(
                            file,
                            &entry.soname,
                            "attr",
                            "required unless `glibc = true`",
                        ));
                    }
                    self.nixpkgs.insert(entry.soname.clone(), entry);
                }
            }
            Some(DISTRO_TABLE) => {
                let parsed: DistroFile = files::parse(file)?;
                for entry in parsed.libraries {
                    self.distro.insert(entry.soname.clone(), entry);
                }
            }
            Some(TOOLS_TABLE) => {
                let parsed: ToolsFile = files::parse(file)?;
                for entry in parsed.tools {
                    self.tools.insert(entry.name.clone(), entry);
                }
            }
            Some(LIBSTDCXX_TABLE) => {
                let parsed: LibstdcxxFile = files::parse(file)?;
                for entry in parsed.versions {
                    self.libstdcxx.insert(entry.name, entry.gcc);
                }
            }
            Some(name) if super::text::TEXT_TABLES.contains(&name) => {}
            Some(super::causes::CAUSES_TABLE) if files::is_builtin(file) => {}
            Some(super::causes::CAUSES_TABLE) => {
                return Err(crate::error::Error::Rules(format!(
                    "{}: the cause tables are built in; a --rules dir cannot change them",
                    file.name
                )));
            }
            // A misspelt table name would otherwise be read as nothing, silently.
            Some(name) => {
                return Err(crate::error::Error::Rules(format!(
                    "{}: unknown table `{name}` (known: {})",
                    file.name,
                    known_tables().join(", ")
                )));
            }
            None => {}
        }
        Ok(())
    }

    pub fn nixpkgs(&self, soname: &str) -> Option<&NixpkgsEntry> {
        self.nixpkgs.get(soname)
    }

    pub fn distro(&self, soname: &str) -> Option<&DistroEntry> {
        self.distro.get(soname)
    }

    /// The first GCC release whose libstdc++ defines `version` (`GLIBCXX_3.4.29` → `11.1.0`).
    pub fn gcc_for(&self, version: &str) -> Option<&str> {
        self.libstdcxx.get(version).map(String::as_str)
    }

    /// How to get `program` (a line for the user), when the table knows it.
    pub fn tool(&self, program: &str) -> Option<&str> {
        self.tools.get(program).map(|t| t.get.as_str())
    }
}

/// Every table file name `rules/tables/` may hold.
pub fn known_tables() -> Vec<&'static str> {
    let mut names = vec![NIXPKGS_TABLE, DISTRO_TABLE, TOOLS_TABLE, LIBSTDCXX_TABLE];
    names.extend(super::text::TEXT_TABLES);
    names.push(super::causes::CAUSES_TABLE);
    names
}

/// The file name of a table file, when the file is one (`…/tables/nixpkgs.toml`).
pub fn table_name(name: &str) -> Option<&str> {
    let path = std::path::Path::new(name);
    let parent = path.parent()?.file_name()?.to_str()?;
    (parent == "tables").then(|| path.file_name()?.to_str())?
}
