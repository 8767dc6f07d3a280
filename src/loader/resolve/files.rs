//! What the resolver knows about files and dirs, each learnt once and shared by every
//! thread: a candidate's header verdict, a file's summary and expanded search lists, which
//! dirs (and hwcaps subdirs) exist.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::elf::{self, ElfError, ElfSummary, HeaderCheck};

use super::{Resolver, absolute, file_id, parent_dir};

/// A file read once: its summary and its search lists expanded for its own `$ORIGIN`.
#[derive(Debug)]
pub(super) struct ObjectInfo {
    /// Shared by every path naming the same file (`$ORIGIN/../x.libs/` spelled from
    /// several dirs).
    pub(super) summary: Arc<Result<ElfSummary, ElfError>>,
    pub(super) rpath: Vec<String>,
    pub(super) runpath: Vec<String>,
    pub(super) has_runpath: bool,
    pub(super) nodeflib: bool,
}

/// What opening a candidate file told us.
#[derive(Debug, Clone)]
pub(super) enum Probe {
    /// open() failed (ENOENT, EACCES, ENOTDIR, a directory …): try the next one.
    Missing,
    Checked(HeaderCheck, Option<(u64, u64)>),
}

/// What a file's bytes say, whatever path it was opened by.
#[derive(Debug)]
pub(super) struct FileFacts {
    pub(super) id: (u64, u64),
    pub(super) check: HeaderCheck,
    pub(super) elf_magic: bool,
    pub(super) summary: Arc<Result<ElfSummary, ElfError>>,
}

impl Resolver {
    pub(super) fn probe(&self, path: &str) -> Probe {
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
    pub(super) fn examine(&self, io: &str) -> std::io::Result<Option<Arc<FileFacts>>> {
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

    pub(super) fn remember_probe(&self, path: &str, probe: Probe) {
        if let Ok(mut m) = self.probes.write() {
            m.insert(path.to_string(), probe);
        }
    }

    /// A path already probed and accepted, with its summary read: its info and (dev, inode).
    pub(super) fn accepted(&self, path: &str) -> Option<(Arc<ObjectInfo>, (u64, u64))> {
        let id = match self.probes.read().ok()?.get(path)? {
            Probe::Checked(HeaderCheck::Accept, Some(id)) => *id,
            _ => return None,
        };
        let info = self.objects.read().ok()?.get(path).cloned()?;
        Some((info, id))
    }

    /// `dir/<hwcaps subdir>/` for each one that exists, then `dir/` if it exists, in the
    /// loader's order; computed once per dir (the loader also remembers absent dirs).
    pub(super) fn existing_subdirs(&self, dir: &str) -> Arc<Vec<String>> {
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
    pub(super) fn object(&self, path: &str) -> Arc<ObjectInfo> {
        if let Some(o) = self.objects.read().ok().and_then(|m| m.get(path).cloned()) {
            return o;
        }
        let io = absolute(&self.ctx.cwd, Path::new(path));
        let summary = Arc::new(elf::read_summary(Path::new(&io)));
        self.keep_object(path, self.info_of(&io, summary))
    }

    /// A summary with its search lists expanded for its `$ORIGIN` (`io` = the path opened).
    pub(super) fn info_of(
        &self,
        io: &str,
        summary: Arc<Result<ElfSummary, ElfError>>,
    ) -> ObjectInfo {
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
    pub(super) fn keep_object(&self, path: &str, info: ObjectInfo) -> Arc<ObjectInfo> {
        let info = Arc::new(info);
        match self.objects.write() {
            Ok(mut m) => m.entry(path.to_string()).or_insert(info).clone(),
            Err(_) => info,
        }
    }
}
