//! The resolver: what ld.so would do when the interpreter dlopens one file. It replays the
//! loader's breadth-first walk of the DT_NEEDED closure ([`walk`]: each name looked up among
//! loaded objects first, then searched, [`search`], in the order of docs/loader-and-nix.md
//! ("The search order") with the immediate loader's RPATH chain and RUNPATH), checks symbol
//! versions against the library that would be found, and turns the walk into the nested
//! `objects` tree of the JSON contract ([`tree`]).
//!
//! A `Resolver` is `Sync`: files, header probes and directory existence are cached behind
//! locks ([`files`]) and shared by every file resolved with it, so each library is read once.

mod dlopen;
mod files;
mod search;
mod tree;
mod walk;

use std::collections::HashMap;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use crate::elf::{self, HeaderCheck};

use super::context::{LoaderContext, Preloaded};
use super::error::ResolveError;
use super::flavor::LoaderFlavor;
use super::report::ResolvedObject;
use files::{FileFacts, ObjectInfo, Probe};

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

/// The file given, opened: the header verdict, whether it has the ELF magic, what was read.
type Opened = (HeaderCheck, bool, Arc<ObjectInfo>, Option<(u64, u64)>);

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
        let (check, elf_magic, info, id) = match self.open_root(&abs) {
            Ok(opened) => opened,
            Err(e) => {
                out.error = Some(ResolveError::cannot_open(&e));
                return out;
            }
        };
        if let Ok(s) = info.summary.as_ref() {
            out.elf = Some(tree::elf_facts(s));
        }
        out.error = match check {
            HeaderCheck::Accept => info
                .summary
                .as_ref()
                .as_ref()
                .err()
                .map(ResolveError::unreadable),
            HeaderCheck::WrongClass(c) => Some(ResolveError::WrongClass(c)),
            HeaderCheck::WrongMachine(m) => Some(ResolveError::WrongMachine(m)),
            HeaderCheck::Invalid(_) if !elf_magic => Some(ResolveError::NotElf),
            HeaderCheck::Invalid(msg) => Some(ResolveError::BadHeader(msg)),
        };
        if out.error.is_some() {
            return out;
        }
        let nodes = self.walk(&abs, info, id);
        out.executable_stack = self.refuses_stack(&nodes[0]);
        out.needed = self.tree(&nodes);
        out
    }

    /// Open the file given: the answer kept from meeting it as another file's dependency,
    /// or a fresh read (of a regular file; anything else only has its head read).
    fn open_root(&self, abs: &str) -> std::io::Result<Opened> {
        if let Some((info, id)) = self.accepted(abs) {
            return Ok((HeaderCheck::Accept, true, info, Some(id)));
        }
        match self.examine(abs)? {
            Some(facts) => {
                let id = facts.id;
                let info = match self.objects.read().ok().and_then(|m| m.get(abs).cloned()) {
                    Some(known) => known,
                    None => self.keep_object(abs, self.info_of(abs, facts.summary.clone())),
                };
                self.remember_probe(abs, Probe::Checked(facts.check.clone(), Some(id)));
                Ok((facts.check.clone(), facts.elf_magic, info, Some(id)))
            }
            None => {
                let head = elf::read_head(Path::new(abs))?;
                let check = elf::check_header(&head, self.ctx.target);
                let magic = head.starts_with(b"\x7fELF");
                Ok((check, magic, self.object(abs), file_id(abs)))
            }
        }
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
