//! What the renderer adds to fixes on its own, worded by `rules/tables/render.toml`: the
//! notes for libraries no table knows, for store paths no GC root holds and for a snippet
//! this machine cannot run, and the fallback fix that says how to find a package.

use std::path::Path;

use super::table::fill;
use super::{Subject, distinct};
use crate::outcome::{Fix, Verification};
use crate::rules::runnable;

impl Subject<'_> {
    /// A soname the nixpkgs table does not know leaves the Nix fixes without their lines;
    /// where the table's `nixpkgs_pointer` condition holds, the first fix says how to find
    /// the attribute. Where `find_package`'s holds and no fix is left, that is the fix.
    pub(super) fn with_unknown_soname_pointer(&self, mut fixes: Vec<Fix>) -> Vec<Fix> {
        let pointer_applies = self
            .render
            .nixpkgs_pointer_when
            .environment_holds(self.evidence);
        let pointers: Vec<String> = self
            .sonames
            .iter()
            .filter(|s| pointer_applies && self.tables.nixpkgs(s).is_none())
            .map(|s| self.unknown_nixpkgs_note(s))
            .collect();
        if fixes.is_empty()
            && self
                .render
                .find_package_when
                .environment_holds(self.evidence)
        {
            fixes.extend(self.find_package_fix());
        }
        if let Some(first) = fixes.first_mut() {
            for pointer in pointers {
                let note = first.note.get_or_insert_with(String::new);
                if !note.contains(&pointer) {
                    if !note.is_empty() {
                        note.push(' ');
                    }
                    note.push_str(&pointer);
                }
            }
        }
        fixes
    }

    /// When no fix could be filled for a library the distro table does not know, the way
    /// to find its package is the fix.
    fn find_package_fix(&self) -> Option<Fix> {
        let first = self
            .sonames
            .iter()
            .find(|s| self.tables.distro(s).is_none())?;
        let find = &self.render.find_package;
        let values = [("soname", first.as_str())];
        Some(Fix {
            id: find.id.clone(),
            title: fill(&find.title, &values),
            snippet: Some(fill(find.snippet.trim_end(), &values)),
            verified: Verification::NotChecked,
            verified_by: None,
            checked: Vec::new(),
            note: None,
        })
    }

    /// What the snippet needs that this machine lacks, and how to get the usual tools.
    pub(super) fn not_runnable_note(&self, runnable: &runnable::Runnable) -> String {
        let notes = &self.render.notes;
        let mut parts = Vec::new();
        for program in &runnable.missing_commands {
            parts.push(match self.tables.tool(program) {
                Some(how) => fill(
                    &notes.missing_command_how,
                    &[("program", program), ("how", how)],
                ),
                None => fill(&notes.missing_command, &[("program", program)]),
            });
        }
        if !runnable.missing_paths.is_empty() {
            let paths = runnable.missing_paths.join(", ");
            parts.push(fill(&notes.missing_paths, &[("paths", &paths)]));
        }
        parts.push(notes.not_checked.clone());
        parts.join(" ")
    }

    /// Store paths no GC root holds go at the next `nix-collect-garbage`.
    pub(super) fn unpinned_note(&self) -> Option<String> {
        let unpinned = self.unpinned_entries();
        (!unpinned.is_empty()).then(|| {
            let entries = unpinned.join(", ");
            fill(&self.render.notes.unpinned, &[("entries", &entries)])
        })
    }

    fn unpinned_entries(&self) -> Vec<String> {
        self.unpinned.get_or_init(|| self.query_unpinned()).clone()
    }

    fn query_unpinned(&self) -> Vec<String> {
        let Some(machine) = self.context.machine else {
            return Vec::new();
        };
        let store = self
            .evidence
            .environment
            .store_dir
            .clone()
            .unwrap_or_default();
        distinct(self.store_dirs.iter().filter_map(|(_, dir)| {
            let dir = dir.as_ref()?;
            let entry = crate::env::nix_store::entry_of(dir, Path::new(&store))?;
            (machine.is_rooted(&entry) == Some(false)).then(|| entry.display().to_string())
        }))
    }

    /// `nix-store --add-root` lines for the store entries the fix uses that no GC root holds.
    pub(super) fn pin_lines(&self) -> Option<String> {
        let venv = self.evidence.environment.python.venv.clone()?;
        let unpinned = self.unpinned_entries();
        (!unpinned.is_empty()).then(|| {
            unpinned
                .iter()
                .map(|entry| {
                    let name = entry.rsplit('/').next().unwrap_or(entry);
                    format!(
                        "nix-store --add-root {venv}/.gcroots/{name} --indirect --realise {entry}"
                    )
                })
                .collect::<Vec<_>>()
                .join("\n")
        })
    }

    /// The table's notes for these sonames, and a pointer for sonames it does not know.
    pub(super) fn nix_notes(&self) -> Vec<String> {
        let mut notes = Vec::new();
        for soname in &self.sonames {
            match self.tables.nixpkgs(soname) {
                Some(entry) => notes.extend(entry.note.clone()),
                None => notes.push(self.unknown_nixpkgs_note(soname)),
            }
        }
        notes
    }

    pub(super) fn distro_notes(&self) -> Vec<String> {
        self.sonames
            .iter()
            .filter(|s| self.tables.distro(s).is_none())
            .map(|s| fill(&self.render.notes.unknown_distro, &[("soname", s)]))
            .collect()
    }

    fn unknown_nixpkgs_note(&self, soname: &str) -> String {
        fill(&self.render.notes.unknown_nixpkgs, &[("soname", soname)])
    }
}
