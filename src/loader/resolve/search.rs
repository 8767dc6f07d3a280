//! The search for one needed name (docs/loader-and-nix.md, "The search order"): glibc's
//! RPATH chain, LD_LIBRARY_PATH, RUNPATH, ld.so.cache and system dirs, or musl's shorter
//! list; each candidate judged the way `open_verify` judges it.

use crate::elf::{self, HeaderCheck};

use super::super::dst;
use super::super::error::ResolveError;
use super::super::flavor::LoaderFlavor;
use super::super::report::{FoundVia, Rejected};
use super::files::Probe;
use super::walk::Node;
use super::{Resolver, parent_dir};

/// A file the search accepted: path as the loader spells it, how, and its (dev, inode).
pub(super) type FoundFile = (String, FoundVia, Option<(u64, u64)>);

/// The outcome of one search for one name.
#[derive(Debug, Clone, Default)]
pub(super) struct Search {
    pub(super) found: Option<FoundFile>,
    pub(super) tried: Vec<String>,
    /// Parallel to `tried`: the list each dir came from ("rpath of /x/lib.so"), spelled
    /// out only when nothing is found (most searches succeed; see [`TriedVia`]).
    pub(super) tried_via: Vec<String>,
    tried_from: Vec<TriedVia>,
    pub(super) rejected: Vec<Rejected>,
    pub(super) error: Option<ResolveError>,
    pub(super) cache_searched: Option<String>,
    cache_consulted: bool,
    other_class: Option<elf::ElfClass>,
}

/// Where a dir of `tried` came from, as data until a label is wanted.
#[derive(Debug, Clone, Copy)]
enum TriedVia {
    /// "rpath of <node k>", "runpath of <node k>".
    Of(&'static str, usize),
    /// The main program's DT_RPATH.
    MainRpath,
    /// "ld_library_path", "default-dir", "direct-path".
    Fixed(FoundVia),
}

impl Resolver {
    /// The search for a name needed by node `i`. Only files of the other class found: the
    /// loader's message says so instead of "cannot open".
    ///
    /// Not memoised: a key must hold the RPATH chain, whose root differs for every file of
    /// a venv (auditwheel gives each one an `$ORIGIN` RPATH), so a memo measured slower
    /// (more CPU, no hits); the probes below it are cached instead.
    pub(super) fn search(&self, nodes: &[Node], i: usize, name: &str, skip_llp: bool) -> Search {
        let mut s = Search::default();
        if name.contains('/') {
            self.open_direct(&nodes[i], name, &mut s);
        } else if self.ctx.flavor == LoaderFlavor::Musl {
            self.search_musl(nodes, i, name, skip_llp, &mut s);
        } else {
            self.search_glibc(nodes, i, name, skip_llp, &mut s);
        }
        if s.found.is_none() {
            s.tried_via = s.tried_from.iter().map(|v| self.label(nodes, *v)).collect();
            if s.cache_consulted {
                s.cache_searched = self
                    .ctx
                    .cache_path
                    .as_ref()
                    .map(|c| c.to_string_lossy().into_owned());
            }
            if s.error.is_none()
                && let Some(c) = s.other_class
            {
                s.error = Some(ResolveError::WrongClass(c));
            }
        }
        s
    }

    /// The `tried_via` label: "rpath of /x/lib.so", "default-dir", …
    fn label(&self, nodes: &[Node], via: TriedVia) -> String {
        match via {
            TriedVia::Of(list, k) => format!("{list} of {}", nodes[k].path),
            TriedVia::MainRpath => match &self.ctx.main_program {
                Some(p) => format!("rpath of {}", p.display()),
                None => "rpath of the main program".to_string(),
            },
            TriedVia::Fixed(v) => v.as_str().to_string(),
        }
    }

    fn search_glibc(&self, nodes: &[Node], i: usize, name: &str, skip_llp: bool, s: &mut Search) {
        let loader = &nodes[i];
        // 1. DT_RPATH of the loader chain, then the main program's; not when the immediate
        //    loader has DT_RUNPATH.
        if !loader.info.has_runpath && self.search_rpath_chain(nodes, i, name, s) {
            return;
        }
        // 2. LD_LIBRARY_PATH (and the dirs of a fix being verified); without the shell's
        // part, what nix-ld appended is still there.
        let llp = if skip_llp {
            &self.nix_ld_dirs
        } else {
            &self.llp_dirs
        };
        let via = TriedVia::Fixed(FoundVia::LdLibraryPath);
        if self.try_dirs(llp, name, FoundVia::LdLibraryPath, via, s) {
            return;
        }
        // 3. The immediate loader's DT_RUNPATH only.
        let via = TriedVia::Of("runpath", i);
        if self.try_dirs(&loader.info.runpath, name, FoundVia::Runpath, via, s) {
            return;
        }
        // 4. ld.so.cache; with DF_1_NODEFLIB, hits in system dirs are discarded.
        if self.ctx.cache_path.is_some() && self.ctx.cache.is_some() {
            s.cache_consulted = true;
            if let Some(hit) = self.ctx.lookup_cache(name) {
                let in_system = self
                    .default_dirs
                    .iter()
                    .any(|d| hit.starts_with(d.as_str()));
                if !(loader.info.nodeflib && in_system)
                    && self.try_file(&hit, FoundVia::LdSoCache, s)
                {
                    return;
                }
            }
        }
        // 5. The compiled-in system dirs, unless DF_1_NODEFLIB.
        if !loader.info.nodeflib {
            let via = TriedVia::Fixed(FoundVia::DefaultDir);
            self.try_dirs(&self.default_dirs, name, FoundVia::DefaultDir, via, s);
        }
    }

    /// DT_RPATH of node `i`, of its loader, and so on up, then the main program's.
    fn search_rpath_chain(&self, nodes: &[Node], i: usize, name: &str, s: &mut Search) -> bool {
        let mut at = Some(i);
        while let Some(k) = at {
            let via = TriedVia::Of("rpath", k);
            if self.try_dirs(&nodes[k].info.rpath, name, FoundVia::Rpath, via, s) {
                return true;
            }
            at = nodes[k].parent;
        }
        let via = TriedVia::MainRpath;
        self.try_dirs(&self.ctx.main_rpath, name, FoundVia::Rpath, via, s)
    }

    /// musl: LD_LIBRARY_PATH, then the rpath (RUNPATH or RPATH) of the loader chain, then
    /// its path file or defaults. No cache, no hwcaps.
    fn search_musl(&self, nodes: &[Node], i: usize, name: &str, skip_llp: bool, s: &mut Search) {
        let llp = TriedVia::Fixed(FoundVia::LdLibraryPath);
        if !skip_llp && self.try_dirs(&self.llp_dirs, name, FoundVia::LdLibraryPath, llp, s) {
            return;
        }
        let mut at = Some(i);
        while let Some(k) = at {
            let info = &nodes[k].info;
            let (dirs, via, list) = if info.has_runpath {
                (&info.runpath, FoundVia::Runpath, "runpath")
            } else {
                (&info.rpath, FoundVia::Rpath, "rpath")
            };
            if self.try_dirs(dirs, name, via, TriedVia::Of(list, k), s) {
                return;
            }
            at = nodes[k].parent;
        }
        let via = TriedVia::Fixed(FoundVia::DefaultDir);
        self.try_dirs(&self.default_dirs, name, FoundVia::DefaultDir, via, s);
    }

    /// A DT_NEEDED name with a '/': DSTs expanded against the loader, opened as is.
    fn open_direct(&self, loader: &Node, name: &str, s: &mut Search) {
        let origin = parent_dir(&loader.path);
        match dst::expand(
            name,
            Some(&origin),
            self.ctx.lib_dst.as_deref(),
            self.ctx.platform.as_deref(),
        ) {
            Some(path) => {
                if !self.try_file(&path, FoundVia::DirectPath, s) && s.error.is_none() {
                    s.tried.push(path);
                    s.tried_from.push(TriedVia::Fixed(FoundVia::DirectPath));
                }
            }
            None => s.error = Some(ResolveError::EmptyDst),
        }
    }

    /// Try `dir/<subdir>name` for every hwcaps subdir, then `dir/name`, for each dir;
    /// `list` names where the dirs come from, for `tried_via`. True when the search is
    /// over (found, or stopped by a bad file).
    fn try_dirs(
        &self,
        dirs: &[String],
        name: &str,
        via: FoundVia,
        list: TriedVia,
        s: &mut Search,
    ) -> bool {
        // One buffer for every candidate path of this list.
        let mut candidate = String::with_capacity(256);
        for dir in dirs {
            let shown = if dir.is_empty() {
                self.ctx.cwd.to_string_lossy().into_owned()
            } else {
                dir.clone()
            };
            // A dir already searched for this name (the same `$ORIGIN/../x.libs` in the
            // RPATH of several objects of the chain, or in RPATH and LD_LIBRARY_PATH) found
            // nothing then and finds nothing now: the loader does open it again, but with
            // the same answer. So it is listed, and probed, once: where the loader met it
            // first, which is the entry that explains the search order.
            if s.tried.contains(&shown) {
                continue;
            }
            s.tried.push(shown);
            s.tried_from.push(list);
            for d in self.existing_subdirs(dir).iter() {
                candidate.clear();
                candidate.push_str(d);
                candidate.push_str(name);
                if self.try_file(&candidate, via, s) || s.error.is_some() {
                    return true;
                }
            }
        }
        false
    }

    /// open_verify one candidate: accept, skip (other class/machine, absent) or stop.
    fn try_file(&self, path: &str, via: FoundVia, s: &mut Search) -> bool {
        match self.probe(path) {
            Probe::Missing => false,
            Probe::Checked(HeaderCheck::Accept, id) => {
                s.found = Some((path.to_string(), via, id));
                true
            }
            Probe::Checked(HeaderCheck::WrongClass(c), _) => {
                s.other_class = Some(c);
                s.rejected.push(Rejected {
                    path: path.to_string(),
                    reason: ResolveError::WrongClass(c).to_string(),
                });
                false
            }
            Probe::Checked(HeaderCheck::WrongMachine(m), _) => {
                s.rejected.push(Rejected {
                    path: path.to_string(),
                    reason: format!("wrong machine ({m})"),
                });
                false
            }
            Probe::Checked(HeaderCheck::Invalid(reason), _) => {
                s.other_class = None;
                s.error = Some(ResolveError::BadCandidate {
                    path: path.to_string(),
                    reason,
                });
                true
            }
        }
    }
}
