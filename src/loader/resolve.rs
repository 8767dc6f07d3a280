//! The resolver: what ld.so would do when the interpreter dlopens one file. It replays the
//! loader's breadth-first walk of the DT_NEEDED closure (each name looked up among loaded
//! objects first, then searched in the order of docs/loader-and-nix.md ("The search order") with the immediate loader's
//! RPATH chain and RUNPATH), checks symbol versions against the library that would be found,
//! and turns the walk into the nested `objects` tree of the JSON contract.
//!
//! A `Resolver` is `Sync`: files, header probes and directory existence are cached behind
//! locks and shared by every file resolved with it, so each library is read once.

use std::collections::HashMap;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use crate::elf::{self, ElfError, ElfSummary, HeaderCheck};
use crate::evidence::LoaderFlavor;

use super::context::{LoaderContext, Preloaded};
use super::report::{ElfFacts, FoundVia, NeededLibrary, Rejected, ResolvedObject, VersionProblem};
use super::versions;

/// A file read once: its summary and its search lists expanded for its own `$ORIGIN`.
#[derive(Debug)]
struct ObjectInfo {
    /// Shared by every path naming the same file (`$ORIGIN/../x.libs/` spelled from
    /// several dirs).
    summary: Arc<Result<ElfSummary, ElfError>>,
    rpath: Vec<String>,
    runpath: Vec<String>,
    has_runpath: bool,
    nodeflib: bool,
}

/// What opening a candidate file told us.
#[derive(Debug, Clone)]
enum Probe {
    /// open() failed (ENOENT, EACCES, ENOTDIR, a directory …): try the next one.
    Missing,
    Checked(HeaderCheck, Option<(u64, u64)>),
}

/// What a file's bytes say, whatever path it was opened by.
#[derive(Debug)]
struct FileFacts {
    id: (u64, u64),
    check: HeaderCheck,
    elf_magic: bool,
    summary: Arc<Result<ElfSummary, ElfError>>,
}

/// A file the search accepted: path as the loader spells it, how, and its (dev, inode).
type FoundFile = (String, FoundVia, Option<(u64, u64)>);

/// The outcome of one search for one name.
#[derive(Debug, Clone, Default)]
struct Search {
    found: Option<FoundFile>,
    tried: Vec<String>,
    /// Parallel to `tried`: the list each dir came from ("rpath of /x/lib.so"), spelled
    /// out only when nothing is found (most searches succeed; see [`TriedVia`]).
    tried_via: Vec<String>,
    tried_from: Vec<TriedVia>,
    rejected: Vec<Rejected>,
    error: Option<String>,
    cache_searched: Option<String>,
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

/// An object mapped by this dlopen.
struct Node {
    path: String,
    names: Vec<String>,
    id: Option<(u64, u64)>,
    info: Arc<ObjectInfo>,
    parent: Option<usize>,
    via: Option<FoundVia>,
    latent: bool,
    edges: Vec<Edge>,
}

enum Target {
    Node(usize),
    Preloaded { index: usize, latent: bool },
    NotFound(Search),
}

struct Edge {
    name: String,
    target: Target,
    version_problems: Vec<VersionProblem>,
}

/// How deep the `objects` tree nests (real closures are under 10 levels). Two JSON levels per
/// tree level keeps the output within the common 128-level limit of JSON readers.
const MAX_TREE_DEPTH: usize = 32;

/// The resolver's caches, keyed by path. The keys are local paths, not hostile input, so
/// FxHash replaces SipHash (which was a twentieth of a 400-file run).
type PathMap<V> = rustc_hash::FxHashMap<String, V>;

/// Resolves files the way the context's loader would; share one across threads.
pub struct Resolver {
    ctx: LoaderContext,
    llp_dirs: Vec<String>,
    /// What LD_LIBRARY_PATH holds without the shell's part: nix-ld's dirs, if any.
    nix_ld_dirs: Vec<String>,
    default_dirs: Vec<String>,
    objects: RwLock<PathMap<Arc<ObjectInfo>>>,
    probes: RwLock<PathMap<Probe>>,
    /// Each file examined, by (dev, inode): a second path to it costs an open, no reads.
    files: RwLock<HashMap<(u64, u64), Arc<FileFacts>>>,
    dirs: RwLock<PathMap<bool>>,
    subdir_cache: RwLock<PathMap<Arc<Vec<String>>>>,
    preloaded_ids: Vec<Option<(u64, u64)>>,
    exec_stack_refused: bool,
}

impl Resolver {
    pub fn new(ctx: LoaderContext) -> Resolver {
        let exec_stack_refused = ctx.flavor != LoaderFlavor::Musl
            && ctx.glibc_version_tuple().is_some_and(|v| v >= (2, 41));
        Resolver {
            preloaded_ids: ctx
                .preloaded
                .iter()
                .map(|p| file_id(&p.path.to_string_lossy()))
                .collect(),
            llp_dirs: ctx.ld_library_path_dirs(),
            nix_ld_dirs: ctx.nix_ld_library_path_dirs(),
            default_dirs: ctx.default_dir_strings(),
            ctx,
            objects: RwLock::new(PathMap::default()),
            probes: RwLock::new(PathMap::default()),
            files: RwLock::new(HashMap::new()),
            dirs: RwLock::new(PathMap::default()),
            subdir_cache: RwLock::new(PathMap::default()),
            exec_stack_refused,
        }
    }

    pub fn context(&self) -> &LoaderContext {
        &self.ctx
    }

    /// Resolve `path` as if the interpreter dlopen'd it: its whole DT_NEEDED closure.
    pub fn resolve(&self, path: &Path) -> ResolvedObject {
        let abs = absolute(&self.ctx.cwd, path);
        let mut out = ResolvedObject {
            path: path_string(path),
            error: None,
            needed: Vec::new(),
            elf: None,
            executable_stack: false,
            loader: self.ctx.interpreter.as_deref().map(path_string),
        };
        let (check, elf_magic, info, id) = if let Some((info, id)) = self.accepted(&abs) {
            // Already opened as another file's dependency: the same answer, no second read.
            (HeaderCheck::Accept, true, info, Some(id))
        } else {
            match self.examine(&abs) {
                Ok(Some(facts)) => {
                    let id = facts.id;
                    let info = match self.objects.read().ok().and_then(|m| m.get(&abs).cloned()) {
                        Some(known) => known,
                        None => self.keep_object(&abs, self.info_of(&abs, facts.summary.clone())),
                    };
                    self.remember_probe(&abs, Probe::Checked(facts.check.clone(), Some(id)));
                    (facts.check.clone(), facts.elf_magic, info, Some(id))
                }
                Ok(None) => match elf::read_head(Path::new(&abs)) {
                    Ok(head) => {
                        let check = elf::check_header(&head, self.ctx.target);
                        let magic = head.starts_with(b"\x7fELF");
                        (check, magic, self.object(&abs), file_id(&abs))
                    }
                    Err(e) => {
                        out.error = Some(format!("cannot open: {e}"));
                        return out;
                    }
                },
                Err(e) => {
                    out.error = Some(format!("cannot open: {e}"));
                    return out;
                }
            }
        };
        if let Ok(s) = info.summary.as_ref() {
            out.elf = Some(elf_facts(s));
        }
        match check {
            HeaderCheck::Accept => {}
            HeaderCheck::WrongClass(c) => {
                out.error = Some(format!("wrong ELF class: {}", c.loader_name()));
                return out;
            }
            HeaderCheck::WrongMachine(m) => {
                out.error = Some(format!("wrong machine {m} for this loader"));
                return out;
            }
            HeaderCheck::Invalid(msg) => {
                out.error = Some(if elf_magic {
                    msg.to_string()
                } else {
                    "not an ELF file".to_string()
                });
                return out;
            }
        }
        if let Err(e) = info.summary.as_ref() {
            out.error = Some(e.to_string());
            return out;
        }
        let nodes = self.walk(&abs, info, id);
        out.executable_stack = self.refuses_stack(&nodes[0]);
        out.needed = self.tree(&nodes);
        out
    }

    /// The interpreter's own closure, as objects loaded at start.
    pub(crate) fn startup_objects(&self, program: &Path) -> Vec<Preloaded> {
        let abs = program.to_string_lossy().into_owned();
        let info = self.object(&abs);
        if info.summary.is_err() {
            return Vec::new();
        }
        self.walk(&abs, info, file_id(&abs))
            .into_iter()
            .skip(1)
            .map(|n| Preloaded {
                path: PathBuf::from(&n.path),
                names: n.names,
                at_startup: true,
            })
            .collect()
    }

    /// The breadth-first load: nodes in load order, root first.
    fn walk(&self, root: &str, info: Arc<ObjectInfo>, id: Option<(u64, u64)>) -> Vec<Node> {
        let mut names = vec![root.to_string()];
        if let Ok(Some(s)) = info.summary.as_ref().as_ref().map(|s| s.soname.clone()) {
            names.push(s);
        }
        let mut nodes = vec![Node {
            path: root.to_string(),
            names,
            id,
            info,
            parent: None,
            via: None,
            latent: false,
            edges: Vec::new(),
        }];
        let mut i = 0;
        while i < nodes.len() {
            let info = nodes[i].info.clone();
            let needed = match info.summary.as_ref() {
                Ok(s) => s.needed.as_slice(),
                Err(_) => &[],
            };
            for name in needed {
                let target = self.load(&mut nodes, i, name);
                nodes[i].edges.push(Edge {
                    name: name.clone(),
                    target,
                    version_problems: Vec::new(),
                });
            }
            i += 1;
        }
        self.check_versions(&mut nodes);
        nodes
    }

    /// One DT_NEEDED name of node `i`: already loaded, or searched and mapped.
    fn load(&self, nodes: &mut Vec<Node>, i: usize, name: &str) -> Target {
        if let Some(index) = self.preloaded_index(name) {
            let latent = !self.ctx.preloaded[index].at_startup
                && self.search(nodes, i, name, false).found.is_none();
            return Target::Preloaded { index, latent };
        }
        if let Some(j) = nodes.iter().position(|n| n.names.iter().any(|x| x == name)) {
            return Target::Node(j);
        }
        let search = self.search(nodes, i, name, false);
        let Some((path, via, id)) = search.found.clone() else {
            return Target::NotFound(search);
        };
        // Same file under another name: the loader reuses the mapped object (dev, inode).
        if let Some(id) = id {
            if let Some(index) = self.preloaded_ids.iter().position(|p| *p == Some(id)) {
                return Target::Preloaded {
                    index,
                    latent: false,
                };
            }
            if let Some(j) = nodes.iter().position(|n| n.id == Some(id)) {
                nodes[j].names.push(name.to_string());
                return Target::Node(j);
            }
        }
        let info = self.object(&path);
        let latent =
            via == FoundVia::LdLibraryPath && self.search(nodes, i, name, true).found.is_none();
        let mut names = vec![path.clone(), name.to_string()];
        if let Ok(Some(s)) = info.summary.as_ref().as_ref().map(|s| s.soname.clone()) {
            names.push(s);
        }
        nodes.push(Node {
            path,
            names,
            id,
            info,
            parent: Some(i),
            via: Some(via),
            latent,
            edges: Vec::new(),
        });
        Target::Node(nodes.len() - 1)
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

    fn preloaded_index(&self, name: &str) -> Option<usize> {
        self.ctx
            .preloaded
            .iter()
            .position(|p| p.names.iter().any(|n| n == name))
    }

    /// The search for a name needed by node `i` (docs/loader-and-nix.md, "The search order"). Only files of the other
    /// class found: the loader's message says so instead of "cannot open".
    ///
    /// Not memoised: a key must hold the RPATH chain, whose root differs for every file of
    /// a venv (auditwheel gives each one an `$ORIGIN` RPATH), so a memo measured slower
    /// (more CPU, no hits); the probes below it are cached instead.
    fn search(&self, nodes: &[Node], i: usize, name: &str, skip_llp: bool) -> Search {
        let mut s = self.search_steps(nodes, i, name, skip_llp);
        if s.found.is_none() {
            s.tried_via = s.tried_from.iter().map(|v| self.label(nodes, *v)).collect();
            if s.cache_consulted {
                s.cache_searched = self
                    .ctx
                    .cache_path
                    .as_ref()
                    .map(|c| c.to_string_lossy().into_owned());
            }
        }
        if s.found.is_none()
            && s.error.is_none()
            && let Some(c) = s.other_class
        {
            s.error = Some(format!("wrong ELF class: {}", c.loader_name()));
        }
        s
    }

    fn search_steps(&self, nodes: &[Node], i: usize, name: &str, skip_llp: bool) -> Search {
        let mut s = Search::default();
        let loader = &nodes[i];
        if name.contains('/') {
            return self.open_direct(loader, name);
        }
        if self.ctx.flavor == LoaderFlavor::Musl {
            self.search_musl(nodes, i, name, skip_llp, &mut s);
            return s;
        }
        // 1. DT_RPATH of the loader chain, then the main program's; not when the immediate
        //    loader has DT_RUNPATH.
        if !loader.info.has_runpath {
            let mut at = Some(i);
            while let Some(k) = at {
                let via = TriedVia::Of("rpath", k);
                if self.try_dirs(&nodes[k].info.rpath, name, FoundVia::Rpath, via, &mut s) {
                    return s;
                }
                at = nodes[k].parent;
            }
            let via = TriedVia::MainRpath;
            if self.try_dirs(&self.ctx.main_rpath, name, FoundVia::Rpath, via, &mut s) {
                return s;
            }
        }
        // 2. LD_LIBRARY_PATH (and the dirs of a fix being verified); without the shell's
        // part, what nix-ld appended is still there.
        if self.try_dirs(
            if skip_llp {
                &self.nix_ld_dirs
            } else {
                &self.llp_dirs
            },
            name,
            FoundVia::LdLibraryPath,
            TriedVia::Fixed(FoundVia::LdLibraryPath),
            &mut s,
        ) {
            return s;
        }
        // 3. The immediate loader's DT_RUNPATH only.
        let via = TriedVia::Of("runpath", i);
        if self.try_dirs(&loader.info.runpath, name, FoundVia::Runpath, via, &mut s) {
            return s;
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
                    && self.try_file(&hit, FoundVia::LdSoCache, &mut s)
                {
                    return s;
                }
            }
        }
        // 5. The compiled-in system dirs, unless DF_1_NODEFLIB.
        if !loader.info.nodeflib {
            self.try_dirs(
                &self.default_dirs,
                name,
                FoundVia::DefaultDir,
                TriedVia::Fixed(FoundVia::DefaultDir),
                &mut s,
            );
        }
        s
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
        self.try_dirs(
            &self.default_dirs,
            name,
            FoundVia::DefaultDir,
            TriedVia::Fixed(FoundVia::DefaultDir),
            s,
        );
    }

    /// A DT_NEEDED name with a '/': DSTs expanded against the loader, opened as is.
    fn open_direct(&self, loader: &Node, name: &str) -> Search {
        let mut s = Search::default();
        let origin = parent_dir(&loader.path);
        match super::dst::expand(
            name,
            Some(&origin),
            self.ctx.lib_dst.as_deref(),
            self.ctx.platform.as_deref(),
        ) {
            Some(path) => {
                if !self.try_file(&path, FoundVia::DirectPath, &mut s) && s.error.is_none() {
                    s.tried.push(path);
                    s.tried_from.push(TriedVia::Fixed(FoundVia::DirectPath));
                }
            }
            None => s.error = Some("empty dynamic string token substitution".into()),
        }
        s
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
                    reason: format!("wrong ELF class: {}", c.loader_name()),
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
            Probe::Checked(HeaderCheck::Invalid(msg), _) => {
                s.other_class = None;
                s.error = Some(format!("{path}: {msg}"));
                true
            }
        }
    }

    fn probe(&self, path: &str) -> Probe {
        if let Some(p) = self.probes.read().ok().and_then(|m| m.get(path).cloned()) {
            return p;
        }
        let io = absolute(&self.ctx.cwd, Path::new(path));
        let probe = match self.examine(&io) {
            Err(_) => Probe::Missing,
            // One open for the check and the read: an accepted file is about to be mapped.
            Ok(Some(facts)) => {
                let id = Some(facts.id);
                if facts.check == HeaderCheck::Accept {
                    self.keep_object(path, self.info_of(&io, facts.summary.clone()));
                }
                Probe::Checked(facts.check.clone(), id)
            }
            Ok(None) => match elf::read_head(Path::new(&io)) {
                Err(_) => Probe::Missing,
                Ok(head) => {
                    let check = elf::check_header(&head, self.ctx.target);
                    Probe::Checked(check, file_id(&io))
                }
            },
        };
        self.remember_probe(path, probe.clone());
        probe
    }

    /// Open a regular file and read it, unless the same file (dev, inode) was read before.
    fn examine(&self, io: &str) -> std::io::Result<Option<Arc<FileFacts>>> {
        let Some(file) = elf::open_for_loader(Path::new(io))? else {
            return Ok(None);
        };
        let id = file.id();
        if let Some(known) = self.files.read().ok().and_then(|m| m.get(&id).cloned()) {
            return Ok(Some(known));
        }
        let examined = file.examine(self.ctx.target);
        let facts = Arc::new(FileFacts {
            id,
            check: examined.check,
            elf_magic: examined.elf_magic,
            summary: Arc::new(examined.summary),
        });
        if let Ok(mut m) = self.files.write() {
            m.entry(id).or_insert_with(|| facts.clone());
        }
        Ok(Some(facts))
    }

    fn remember_probe(&self, path: &str, probe: Probe) {
        if let Ok(mut m) = self.probes.write() {
            m.insert(path.to_string(), probe);
        }
    }

    /// A path already probed and accepted, with its summary read: its info and (dev, inode).
    fn accepted(&self, path: &str) -> Option<(Arc<ObjectInfo>, (u64, u64))> {
        let id = match self.probes.read().ok()?.get(path)? {
            Probe::Checked(HeaderCheck::Accept, Some(id)) => *id,
            _ => return None,
        };
        let info = self.objects.read().ok()?.get(path).cloned()?;
        Some((info, id))
    }

    /// `dir/<hwcaps subdir>/` for each one that exists, then `dir/` if it exists, in the
    /// loader's order; computed once per dir (the loader also remembers absent dirs).
    fn existing_subdirs(&self, dir: &str) -> Arc<Vec<String>> {
        if let Some(e) = self
            .subdir_cache
            .read()
            .ok()
            .and_then(|m| m.get(dir).cloned())
        {
            return e;
        }
        let list: Vec<String> = if self.dir_exists(dir) {
            self.ctx
                .subdirs
                .iter()
                .filter(|sub| self.subdir_exists(dir, sub))
                .map(|sub| format!("{dir}{sub}"))
                .chain([dir.to_string()])
                .collect()
        } else {
            Vec::new()
        };
        let list = Arc::new(list);
        if let Ok(mut m) = self.subdir_cache.write() {
            m.insert(dir.to_string(), list.clone());
        }
        list
    }

    /// `dir/sub` exists when each of its components does, checked from the top, so the
    /// absent `glibc-hwcaps/` (or `tls/`) of most dirs costs one `stat`, not one per subdir.
    fn subdir_exists(&self, dir: &str, sub: &str) -> bool {
        let mut path = String::with_capacity(dir.len() + sub.len());
        path.push_str(dir);
        sub.split_terminator('/').all(|component| {
            path.push_str(component);
            path.push('/');
            self.dir_exists(&path)
        })
    }

    fn dir_exists(&self, dir: &str) -> bool {
        if let Some(e) = self.dirs.read().ok().and_then(|m| m.get(dir).copied()) {
            return e;
        }
        let io = if dir.is_empty() {
            self.ctx.cwd.clone()
        } else {
            PathBuf::from(absolute(&self.ctx.cwd, Path::new(dir)))
        };
        let exists = std::fs::metadata(io).is_ok_and(|m| m.is_dir());
        if let Ok(mut m) = self.dirs.write() {
            m.insert(dir.to_string(), exists);
        }
        exists
    }

    /// Read a file once per path (as opened: `$ORIGIN` depends on it).
    fn object(&self, path: &str) -> Arc<ObjectInfo> {
        if let Some(o) = self.objects.read().ok().and_then(|m| m.get(path).cloned()) {
            return o;
        }
        let io = absolute(&self.ctx.cwd, Path::new(path));
        let summary = Arc::new(elf::read_summary(Path::new(&io)));
        self.keep_object(path, self.info_of(&io, summary))
    }

    /// A summary with its search lists expanded for its `$ORIGIN` (`io` = the path opened).
    fn info_of(&self, io: &str, summary: Arc<Result<ElfSummary, ElfError>>) -> ObjectInfo {
        let origin = parent_dir(io);
        let (rpath, runpath, has_runpath, nodeflib) = match summary.as_ref() {
            Ok(s) => (
                s.effective_rpath()
                    .map(|r| self.ctx.expand_list(r, Some(&origin)))
                    .unwrap_or_default(),
                s.runpath
                    .as_deref()
                    .map(|r| self.ctx.expand_list(r, Some(&origin)))
                    .unwrap_or_default(),
                s.runpath.is_some(),
                s.nodeflib,
            ),
            Err(_) => (Vec::new(), Vec::new(), false, false),
        };
        ObjectInfo {
            summary,
            rpath,
            runpath,
            has_runpath,
            nodeflib,
        }
    }

    /// Another thread may have read it meanwhile: keep one `ObjectInfo` per path.
    fn keep_object(&self, path: &str, info: ObjectInfo) -> Arc<ObjectInfo> {
        let info = Arc::new(info);
        match self.objects.write() {
            Ok(mut m) => m.entry(path.to_string()).or_insert(info).clone(),
            Err(_) => info,
        }
    }

    /// Every object's version needs, checked against the object each name resolved to.
    fn check_versions(&self, nodes: &mut [Node]) {
        for i in 0..nodes.len() {
            let info = nodes[i].info.clone();
            let needs = match info.summary.as_ref() {
                Ok(s) => &s.version_needs,
                Err(_) => continue,
            };
            let requirer = nodes[i].path.clone();
            for need in needs {
                let Some(e) = nodes[i].edges.iter().position(|e| e.name == need.file) else {
                    continue;
                };
                let provider = match &nodes[i].edges[e].target {
                    Target::Node(j) => nodes[*j].info.clone(),
                    Target::Preloaded { index, .. } => {
                        self.object(&path_string(&self.ctx.preloaded[*index].path))
                    }
                    Target::NotFound(_) => continue,
                };
                let Ok(defs) = provider.summary.as_ref() else {
                    continue;
                };
                let problems = versions::missing(need, &defs.version_defs, &requirer);
                nodes[i].edges[e].version_problems.extend(problems);
            }
        }
    }

    fn refuses_stack(&self, node: &Node) -> bool {
        self.exec_stack_refused
            && node
                .info
                .summary
                .as_ref()
                .as_ref()
                .is_ok_and(|s| s.executable_stack)
    }

    /// The nested tree: each object's needs listed where it first appears, depth first.
    fn tree(&self, nodes: &[Node]) -> Vec<NeededLibrary> {
        let mut seen = vec![false; nodes.len()];
        seen[0] = true;
        self.subtree(nodes, 0, &mut seen, 0)
    }

    fn subtree(
        &self,
        nodes: &[Node],
        i: usize,
        seen: &mut [bool],
        depth: usize,
    ) -> Vec<NeededLibrary> {
        let mut out = Vec::with_capacity(nodes[i].edges.len());
        for edge in &nodes[i].edges {
            let mut lib = NeededLibrary {
                soname: edge.name.clone(),
                path: None,
                found_via: None,
                tried: Vec::new(),
                tried_via: Vec::new(),
                needed: Vec::new(),
                error: None,
                rejected: Vec::new(),
                cache_searched: None,
                version_problems: edge.version_problems.clone(),
                repeated: false,
                latent: false,
                executable_stack: false,
            };
            match &edge.target {
                Target::Node(j) => {
                    let n = &nodes[*j];
                    lib.path = Some(n.path.clone());
                    lib.found_via = n.via;
                    lib.latent = n.latent;
                    lib.executable_stack = self.refuses_stack(n);
                    if depth + 1 >= MAX_TREE_DEPTH && !n.edges.is_empty() {
                        // A chain this deep is built to exhaust stacks (ours, and every JSON
                        // reader's nesting limit): stop nesting and say so.
                        lib.error = Some(format!(
                            "its dependencies are not listed: the tree is deeper than {MAX_TREE_DEPTH} levels"
                        ));
                    } else if !std::mem::replace(&mut seen[*j], true) {
                        lib.needed = self.subtree(nodes, *j, seen, depth + 1);
                    } else {
                        lib.repeated = true;
                    }
                }
                Target::Preloaded { index, latent } => {
                    lib.path = Some(path_string(&self.ctx.preloaded[*index].path));
                    lib.found_via = Some(FoundVia::AlreadyLoaded);
                    lib.latent = *latent;
                }
                Target::NotFound(search) => {
                    lib.tried = search.tried.clone();
                    lib.tried_via = search.tried_via.clone();
                    lib.rejected = search.rejected.clone();
                    lib.cache_searched = search.cache_searched.clone();
                    lib.error = search.error.clone();
                }
            }
            out.push(lib);
        }
        out
    }
}

fn elf_facts(s: &ElfSummary) -> ElfFacts {
    ElfFacts {
        class: match s.class {
            elf::ElfClass::Elf32 => "elf32".into(),
            elf::ElfClass::Elf64 => "elf64".into(),
        },
        machine: s.machine,
        soname: s.soname.clone(),
        interpreter: s.interpreter.clone(),
        rpath: s.rpath.clone(),
        runpath: s.runpath.clone(),
        nodeflib: s.nodeflib,
        wants_executable_stack: s.executable_stack,
    }
}

/// `path` made absolute against `cwd` without resolving symlinks (the loader's `$ORIGIN`).
fn absolute(cwd: &Path, path: &Path) -> String {
    if path.is_absolute() {
        path_string(path)
    } else {
        path_string(&cwd.join(path))
    }
}

/// A path as text; `to_string_lossy` validates by chunks, this by words (paths are ASCII
/// in practice, and every candidate of every search comes through here).
fn path_string(path: &Path) -> String {
    use std::os::unix::ffi::OsStrExt;
    elf::lossy(path.as_os_str().as_bytes())
}

fn parent_dir(path: &str) -> String {
    match path.rfind('/') {
        Some(0) => "/".to_string(),
        Some(at) => path[..at].to_string(),
        None => ".".to_string(),
    }
}

fn file_id(path: &str) -> Option<(u64, u64)> {
    std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
}
