//! A context's search lists in the resolver's spelling: DT_RPATH/DT_RUNPATH and
//! LD_LIBRARY_PATH split and DST-expanded, system dirs as "/usr/lib/", cache lookups.

use std::path::Path;

use super::context::LoaderContext;
use super::dst;

impl LoaderContext {
    /// Split a DT_RPATH/DT_RUNPATH string (':' only), expand DSTs, drop elements whose DST
    /// has no value, keep empty elements (the current directory), collapse duplicates.
    pub fn expand_list(&self, list: &str, origin: Option<&str>) -> Vec<String> {
        if list.is_empty() {
            return Vec::new();
        }
        self.expand_elements(list.split(':'), origin)
    }

    pub(crate) fn expand_elements<'a>(
        &self,
        elements: impl Iterator<Item = &'a str>,
        origin: Option<&str>,
    ) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for element in elements {
            let Some(dir) = dst::expand(
                element,
                origin,
                self.lib_dst.as_deref(),
                self.platform.as_deref(),
            ) else {
                continue;
            };
            let dir = dst::normalize_dir(&dir);
            if !out.contains(&dir) {
                out.push(dir);
            }
        }
        out
    }

    /// LD_LIBRARY_PATH dirs, DSTs expanded relative to the main program.
    pub(crate) fn ld_library_path_dirs(&self) -> Vec<String> {
        let mut dirs = self.expand_relative_to_main(&self.ld_library_path);
        for d in &self.extra_library_dirs {
            let d = dst::normalize_dir(&d.to_string_lossy());
            if !dirs.contains(&d) {
                dirs.push(d);
            }
        }
        dirs
    }

    /// The dirs nix-ld appended to LD_LIBRARY_PATH, expanded the same way: what a search
    /// without the shell's LD_LIBRARY_PATH still has.
    pub(crate) fn nix_ld_library_path_dirs(&self) -> Vec<String> {
        self.expand_relative_to_main(&self.nix_ld_library_path)
    }

    fn expand_relative_to_main(&self, elements: &[String]) -> Vec<String> {
        let origin = self
            .main_program
            .as_deref()
            .and_then(Path::parent)
            .map(|p| p.to_string_lossy().into_owned());
        self.expand_elements(elements.iter().map(String::as_str), origin.as_deref())
    }

    pub(crate) fn lookup_cache(&self, name: &str) -> Option<String> {
        self.cache
            .as_ref()?
            .lookup(name, self.cache_flags, &self.hwcaps)
            .map(str::to_string)
    }

    /// The dir a system dir is written as in the search list ("/usr/lib/").
    pub(crate) fn default_dir_strings(&self) -> Vec<String> {
        self.default_dirs
            .iter()
            .map(|d| dst::normalize_dir(&d.to_string_lossy()))
            .collect()
    }
}
