//! The renderer's own table (`rules/tables/render.toml`): the fix offered when no rule fix is
//! left, when the nixpkgs pointer is given, and the wording of the notes the renderer adds.
//! Read strictly; every text may use only its own placeholders.

use std::sync::OnceLock;

use serde::Deserialize;

use crate::catalog::files::{self, RuleFile};
use crate::error::{Error, Result};
use crate::rules::matching::Matcher;
use crate::rules::model::{Condition, FIX_IDS};
use crate::rules::template;

const RENDER_FILE: &str = "rules/tables/render.toml";

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RenderFile {
    find_package: FindPackage,
    nixpkgs_pointer: Pointer,
    notes: Notes,
}

/// The fix for a library no table knows the package of; `{soname}` in its texts.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FindPackage {
    pub id: String,
    pub title: String,
    pub snippet: String,
    #[serde(default)]
    pub when: Condition,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Pointer {
    #[serde(default)]
    when: Condition,
}

/// The notes' wording, each a template over the placeholders [`NOTE_PLACEHOLDERS`] gives it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Notes {
    pub unknown_nixpkgs: String,
    pub unknown_distro: String,
    pub unpinned: String,
    pub missing_command: String,
    pub missing_command_how: String,
    pub missing_paths: String,
    pub not_checked: String,
}

/// The placeholders each note may use.
const NOTE_PLACEHOLDERS: &[(&str, &[&str])] = &[
    ("unknown_nixpkgs", &["soname"]),
    ("unknown_distro", &["soname"]),
    ("unpinned", &["entries"]),
    ("missing_command", &["program"]),
    ("missing_command_how", &["program", "how"]),
    ("missing_paths", &["paths"]),
    ("not_checked", &[]),
];

/// The table, its conditions compiled.
#[derive(Debug, Clone)]
pub struct RenderTable {
    pub find_package: FindPackage,
    pub find_package_when: Matcher,
    /// When the first fix gets the nixpkgs pointer for sonames the table does not know.
    pub nixpkgs_pointer_when: Matcher,
    pub notes: Notes,
}

impl RenderTable {
    /// The built-in table, read once.
    pub fn builtin() -> Result<&'static RenderTable> {
        static TABLE: OnceLock<std::result::Result<RenderTable, String>> = OnceLock::new();
        TABLE
            .get_or_init(|| {
                let file = files::builtin()
                    .into_iter()
                    .find(|f| f.name == RENDER_FILE)
                    .ok_or_else(|| format!("{RENDER_FILE}: built-in table missing"))?;
                RenderTable::from_file(&file).map_err(|e| e.to_string())
            })
            .as_ref()
            .map_err(|e| Error::Rules(e.clone()))
    }

    /// Read one render table; errors name file, line and field.
    pub fn from_file(file: &RuleFile) -> Result<RenderTable> {
        let parsed: RenderFile = files::parse(file)?;
        let only = |field: &str, text: &str, allowed: &[&str]| -> Result<()> {
            match template::placeholders(text).find(|p| !allowed.contains(p)) {
                Some(bad) => Err(files::field_error(
                    file,
                    text,
                    field,
                    &format!("unknown placeholder `{{{bad}}}` (known here: {allowed:?})"),
                )),
                None => Ok(()),
            }
        };
        let find = &parsed.find_package;
        only("find_package.title", &find.title, &["soname"])?;
        only("find_package.snippet", &find.snippet, &["soname"])?;
        if !FIX_IDS.contains(&find.id.as_str()) {
            return Err(files::field_error(
                file,
                &find.id,
                "find_package.id",
                &format!("unknown fix id `{}`", find.id),
            ));
        }
        let notes = &parsed.notes;
        for (name, allowed) in NOTE_PLACEHOLDERS {
            only(&format!("notes.{name}"), notes.text(name), allowed)?;
        }
        let compile = |condition: &Condition, field: &str| {
            Matcher::compile(condition).map_err(|bad| {
                files::field_error(
                    file,
                    &bad.pattern,
                    &format!("{field}.{}", bad.field),
                    &format!("invalid regex: {}", bad.error),
                )
            })
        };
        Ok(RenderTable {
            find_package_when: compile(&find.when, "find_package.when")?,
            nixpkgs_pointer_when: compile(&parsed.nixpkgs_pointer.when, "nixpkgs_pointer.when")?,
            find_package: parsed.find_package,
            notes: parsed.notes,
        })
    }
}

impl Notes {
    fn text(&self, name: &str) -> &str {
        match name {
            "unknown_nixpkgs" => &self.unknown_nixpkgs,
            "unknown_distro" => &self.unknown_distro,
            "unpinned" => &self.unpinned,
            "missing_command" => &self.missing_command,
            "missing_command_how" => &self.missing_command_how,
            "missing_paths" => &self.missing_paths,
            _ => &self.not_checked,
        }
    }
}

/// Fill a table text's placeholders from `values` (`(name, value)`).
pub fn fill(text: &str, values: &[(&str, &str)]) -> String {
    template::render(text, &|name| {
        values
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.to_string())
            .unwrap_or_default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn builtin_text() -> String {
        files::builtin()
            .into_iter()
            .find(|f| f.name == RENDER_FILE)
            .unwrap()
            .text
    }

    #[test]
    fn the_builtin_table_reads_and_fills() {
        let table = RenderTable::builtin().unwrap();
        assert_eq!(
            fill(&table.find_package.title, &[("soname", "libfoo.so.1")]),
            "Find the package that ships libfoo.so.1"
        );
        assert_eq!(table.find_package_when.condition.nix, Some(false));
        assert_eq!(table.nixpkgs_pointer_when.condition.nix, Some(true));
    }

    #[test]
    fn a_placeholder_a_text_does_not_get_is_an_error_with_line() {
        let file = RuleFile {
            name: "x/tables/render.toml".into(),
            text: builtin_text().replace(
                "not_checked = \"So it was",
                "not_checked = \"{soname} So it was",
            ),
        };
        let err = RenderTable::from_file(&file).unwrap_err().to_string();
        assert!(err.starts_with("x/tables/render.toml:"), "{err}");
        assert!(err.contains("notes.not_checked"), "{err}");
    }
}
