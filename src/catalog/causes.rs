//! The cause tables (`rules/tables/causes.toml`): the sonames that mean musl, the symbol-version
//! families and the cause kind of each, the signals that are a cause, and the files that mark
//! a source checkout.
//!
//! Built in only, read once per process: the places that ask (the loader findings, the text
//! path, `check`) hold no rule database. The file is checked by this module's tests, so a
//! broken one never ships.

use std::sync::OnceLock;

use serde::Deserialize;

use super::files::{self, RuleFile};
use crate::error::{Error, Result};
use crate::evidence::CauseKind;

/// The file name of the cause tables (under `tables/`).
pub const CAUSES_TABLE: &str = "causes.toml";
const CAUSES_FILE: &str = "rules/tables/causes.toml";

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CauseTables {
    pub musl: Musl,
    pub platform: PlatformMarkers,
    pub cuda: Cuda,
    #[serde(rename = "version_family")]
    pub version_families: Vec<VersionFamily>,
    #[serde(rename = "signal")]
    pub signals: Vec<Signal>,
    pub source_tree: SourceTree,
}

/// What shows a musl build or loader.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Musl {
    pub soname_prefixes: Vec<String>,
    pub text_markers: Vec<String>,
    pub loader_markers: Vec<String>,
}

/// Which libraries `check --cuda` looks at.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cuda {
    pub driver_libraries: Vec<String>,
    pub runtime_prefixes: Vec<String>,
    pub stub_dir: String,
}

impl Cuda {
    /// A driver or runtime soname (`libcuda.so.1`, `libcudart.so.12`).
    pub fn is_cuda_library(&self, name: &str) -> bool {
        self.rank(name).is_some()
    }

    /// Where `name` is reported: the driver's libraries in their order, then the runtime.
    pub fn rank(&self, name: &str) -> Option<usize> {
        let family = |lib: &String| lib.split(".so").next().map(|f| format!("{f}.so"));
        self.driver_libraries
            .iter()
            .position(|lib| family(lib).is_some_and(|f| name.starts_with(&f)))
            .or_else(|| {
                self.runtime_prefixes
                    .iter()
                    .any(|p| name.starts_with(p.as_str()))
                    .then_some(self.driver_libraries.len())
            })
    }

    /// A file in a stubs dir: the toolkit's stand-in, not the driver's library.
    pub fn is_stub(&self, path: &std::path::Path) -> bool {
        path.parent()
            .into_iter()
            .flat_map(std::path::Path::components)
            .any(|c| c.as_os_str() == self.stub_dir.as_str())
    }
}

/// What shows the platform in pasted text.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlatformMarkers {
    pub linux_path_prefixes: Vec<String>,
}

/// A symbol-version family (`GLIBCXX_`), the cause of a missing version of it, and the
/// library that carries it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VersionFamily {
    pub family: String,
    pub kind: CauseKind,
    pub library: String,
}

/// A signal that, ending an import, shows a cause.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Signal {
    pub number: i32,
    pub name: String,
    pub kind: CauseKind,
}

/// What marks a package's source checkout.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceTree {
    pub project_files: Vec<String>,
    pub installed_markers: Vec<String>,
    pub source_extensions: Vec<String>,
}

impl CauseTables {
    /// The built-in tables. A malformed built-in file is a build defect the tests catch, so
    /// this does not make every caller handle an error that cannot reach users.
    pub fn builtin() -> &'static CauseTables {
        static TABLES: OnceLock<CauseTables> = OnceLock::new();
        TABLES.get_or_init(|| {
            let file = files::builtin()
                .into_iter()
                .find(|f| f.name == CAUSES_FILE)
                .expect("rules/tables/causes.toml is built in");
            CauseTables::from_file(&file).unwrap_or_else(|e| panic!("{e}"))
        })
    }

    /// Read and check one cause table file.
    pub fn from_file(file: &RuleFile) -> Result<CauseTables> {
        let tables: CauseTables = files::parse(file)?;
        for family in &tables.version_families {
            if !family.family.ends_with('_') {
                return Err(files::field_error(
                    file,
                    &family.family,
                    "family",
                    "a family ends with `_` (`GLIBCXX_`)",
                ));
            }
        }
        if tables.musl.soname_prefixes.iter().any(String::is_empty) {
            return Err(Error::Rules(format!(
                "{}: field `soname_prefixes`: an empty prefix matches every soname",
                file.name
            )));
        }
        Ok(tables)
    }

    /// A soname only musl provides (`libc.musl-x86_64.so.1`, `ld-musl-aarch64.so.1`).
    pub fn is_musl_soname(&self, soname: &str) -> bool {
        self.musl
            .soname_prefixes
            .iter()
            .any(|p| soname.starts_with(p.as_str()))
    }

    /// Text that shows a musl build (`…-linux-musl.so`, `musllinux_1_2`).
    pub fn shows_musl_build(&self, text: &str) -> bool {
        self.musl
            .text_markers
            .iter()
            .any(|m| text.contains(m.as_str()))
    }

    /// A path that only Linux has (`/usr/…`, `/nix/…`, `/home/…`).
    pub fn is_linux_path(&self, path: &str) -> bool {
        self.platform
            .linux_path_prefixes
            .iter()
            .any(|p| path.starts_with(p.as_str()))
    }

    /// A path of musl's loader (`/lib/ld-musl-x86_64.so.1`).
    pub fn is_musl_loader(&self, path: &str) -> bool {
        self.musl
            .loader_markers
            .iter()
            .any(|m| path.contains(m.as_str()))
    }

    /// The family of a version name (`GLIBCXX_3.4.30` → its `GLIBCXX_` entry), when known.
    pub fn version_family(&self, version: &str) -> Option<&VersionFamily> {
        let family = &version[..=version.rfind('_')?];
        self.version_families.iter().find(|f| f.family == family)
    }

    /// The cause of a symbol version that is not found: `GLIBC_2.38` → glibc too old.
    pub fn version_kind(&self, version: &str) -> CauseKind {
        self.version_family(version)
            .map_or(CauseKind::Unknown, |f| f.kind)
    }

    /// The library a fix must provide for a version kind (`libstdc++.so.6` for libstdc++ too
    /// old), when the kind is one.
    pub fn library_for_kind(&self, kind: CauseKind) -> Option<&str> {
        self.version_families
            .iter()
            .find(|f| f.kind == kind)
            .map(|f| f.library.as_str())
    }

    /// The signal with this number, when it shows a cause.
    pub fn signal(&self, number: i32) -> Option<&Signal> {
        self.signals.iter().find(|s| s.number == number)
    }
}

/// Shorthand for the built-in table's [`CauseTables::is_musl_soname`].
pub fn is_musl_soname(soname: &str) -> bool {
    CauseTables::builtin().is_musl_soname(soname)
}

/// Shorthand for the built-in table's [`CauseTables::version_kind`].
pub fn version_kind(version: &str) -> CauseKind {
    CauseTables::builtin().version_kind(version)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_table_reads() {
        let tables = CauseTables::builtin();
        assert!(!tables.version_families.is_empty());
        assert!(!tables.source_tree.project_files.is_empty());
    }

    #[test]
    fn musl_is_told_by_soname_text_and_loader_path() {
        assert!(is_musl_soname("libc.musl-x86_64.so.1"));
        assert!(is_musl_soname("ld-musl-aarch64.so.1"));
        assert!(!is_musl_soname("libc.so.6"));
        let tables = CauseTables::builtin();
        assert!(tables.shows_musl_build("_m.cpython-311-x86_64-linux-musl.so"));
        assert!(tables.shows_musl_build("numpy-2.0-cp312-musllinux_1_2_x86_64.whl"));
        assert!(!tables.shows_musl_build("_m.cpython-311-x86_64-linux-gnu.so"));
        assert!(tables.is_musl_loader("/lib/ld-musl-x86_64.so.1"));
        assert!(!tables.is_musl_loader("/lib64/ld-linux-x86-64.so.2"));
        assert!(tables.is_linux_path("/usr/lib/python3/dist-packages/x.py"));
        assert!(!tables.is_linux_path("C:\\Python312\\Lib\\x.py"));
    }

    #[test]
    fn a_version_family_gives_the_kind_and_the_library_that_carries_it() {
        assert_eq!(version_kind("GLIBC_2.38"), CauseKind::GlibcVersionTooOld);
        assert_eq!(
            version_kind("GLIBCXX_3.4.30"),
            CauseKind::LibstdcxxVersionTooOld
        );
        assert_eq!(
            version_kind("CXXABI_1.3.13"),
            CauseKind::LibstdcxxVersionTooOld
        );
        assert_eq!(version_kind("OPENSSL_3.0.0"), CauseKind::Unknown);
        assert_eq!(version_kind("noversion"), CauseKind::Unknown);
        let tables = CauseTables::builtin();
        assert_eq!(
            tables.library_for_kind(CauseKind::LibstdcxxVersionTooOld),
            Some("libstdc++.so.6")
        );
        assert_eq!(
            tables.library_for_kind(CauseKind::GlibcVersionTooOld),
            Some("libc.so.6")
        );
        assert_eq!(
            tables.library_for_kind(CauseKind::MissingSharedLibrary),
            None
        );
    }

    #[test]
    fn sigill_is_an_illegal_instruction_and_other_signals_no_cause() {
        let tables = CauseTables::builtin();
        let sigill = tables.signal(4).unwrap();
        assert_eq!(sigill.name, "SIGILL");
        assert_eq!(sigill.kind, CauseKind::IllegalInstruction);
        assert!(tables.signal(11).is_none());
    }

    #[test]
    fn a_family_without_its_underscore_is_refused_with_file_and_line() {
        let text = files::builtin()
            .into_iter()
            .find(|f| f.name == CAUSES_FILE)
            .unwrap()
            .text
            .replace("family = \"CXXABI_\"", "family = \"CXXABI\"");
        let file = RuleFile {
            name: "x/causes.toml".into(),
            text,
        };
        let err = CauseTables::from_file(&file).unwrap_err().to_string();
        assert!(err.contains("x/causes.toml:"), "{err}");
        assert!(err.contains("field `family`"), "{err}");
    }
}
