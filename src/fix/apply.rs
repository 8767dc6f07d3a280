//! Applying a fix to a venv and taking it back, so that a crash at any point leaves the venv
//! as it was or fully fixed, and the next `fix` or `fix --undo` finishes the job.
//!
//! The protocol: (1) the manifest is written first, in state `applying`, listing every file
//! with its hash before and after; (2) each file is written to a temporary sibling and renamed
//! into place, the `.pth` last because it is what makes Python act; (3) GC roots are added;
//! the caller then proves the fix by importing, and (4) marks the manifest `applied`. Until
//! the `.pth` exists Python behaves as before; an `applying` manifest found later is rolled
//! back. Undo checks every file first and changes nothing when one was changed since.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::fix::manifest::{self, FileChange, GcRoot, Manifest, State};
use crate::fix::pin::{self, Pin};

/// A test-only crash: stop the process right after step N, as a kill would.
#[derive(Debug, Clone, Copy, Default)]
pub struct Steps {
    pub abort_after: Option<usize>,
    done: usize,
}

impl Steps {
    pub fn new(abort_after: Option<usize>) -> Steps {
        Steps {
            abort_after,
            done: 0,
        }
    }

    fn done(&mut self) {
        self.done += 1;
        if self.abort_after == Some(self.done) {
            // Like SIGKILL: no destructor, no cleanup, no output.
            std::process::abort();
        }
    }
}

/// One file to write.
pub struct NewFile {
    pub path: PathBuf,
    pub contents: String,
}

/// Write the manifest, then the files in order, then the roots. The manifest's `files` must
/// describe `files` (see [`changes_for`]).
pub fn apply(
    venv: &Path,
    manifest: &mut Manifest,
    files: &[NewFile],
    nix_store: Option<&Path>,
    steps: &mut Steps,
) -> Result<Vec<Pin>> {
    manifest.state = State::Applying;
    manifest.write(venv)?;
    steps.done();
    for file in files {
        manifest::write_atomically(&file.path, file.contents.as_bytes())?;
        steps.done();
    }
    let mut pins = Vec::new();
    for store_path in distinct_store_paths(manifest) {
        let root = Manifest::dir(venv)
            .join(manifest::GC_ROOTS_DIR)
            .join(root_name(&store_path));
        // Recorded before it is made, so that a crash in between still gets it removed.
        manifest.gc_roots.push(GcRoot {
            root: root.to_string_lossy().into_owned(),
            store_path: store_path.clone(),
        });
        manifest.write(venv)?;
        let pin = pin::add_root(nix_store, &root, Path::new(&store_path));
        if !pin.pinned {
            manifest.gc_roots.pop();
            manifest.write(venv)?;
        }
        pins.push(pin);
        steps.done();
    }
    Ok(pins)
}

/// The fix is proven: from now on it stays.
pub fn commit(venv: &Path, manifest: &mut Manifest, steps: &mut Steps) -> Result<()> {
    manifest.state = State::Applied;
    manifest.write(venv)?;
    steps.done();
    Ok(())
}

/// What the manifest says about `files`: each is new (pydoctor adds only files of its own, so
/// undoing is removing), with the hash it will have.
pub fn changes_for(files: &[NewFile]) -> Vec<FileChange> {
    files
        .iter()
        .map(|file| FileChange {
            path: file.path.to_string_lossy().into_owned(),
            before: None,
            after: manifest::hash_bytes(file.contents.as_bytes()),
        })
        .collect()
}

/// None of `files` may exist yet: a file of that name that this fix did not write is not
/// overwritten.
pub fn ensure_new(files: &[NewFile]) -> Result<()> {
    match files.iter().find(|f| f.path.exists()) {
        Some(file) => Err(Error::Other(format!(
            "{} already exists and was not written by this fix; remove it or run `pydoctor \
             fix --undo` first",
            file.path.display()
        ))),
        None => Ok(()),
    }
}

/// Take a fix back: every file checked first (refused, naming the file, when one changed since
/// the fix wrote it), then the `.pth` side removed first, the roots, and the manifest last.
/// Returns the manifest that was undone, None when there was nothing to undo.
pub fn undo(venv: &Path) -> Result<Option<Manifest>> {
    undo_in_steps(venv, &mut Steps::default())
}

/// [`undo`], one step per file, root and the manifest's directory (a test can stop it after
/// any of them; the next undo finishes, since a file already removed is as it was before).
pub fn undo_in_steps(venv: &Path, steps: &mut Steps) -> Result<Option<Manifest>> {
    let dir = Manifest::dir(venv);
    let Some(manifest) = Manifest::read(venv)? else {
        // A crash before the first manifest was renamed into place leaves only our directory.
        if dir.exists() {
            std::fs::remove_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
        }
        return Ok(None);
    };
    for file in &manifest.files {
        let now = manifest::hash_file(Path::new(&file.path))?;
        if now != file.before && now.as_deref() != Some(file.after.as_str()) {
            return Err(Error::Other(format!(
                "{} changed since pydoctor fix wrote it; nothing was undone (restore it or \
                 remove it, then run `pydoctor fix --undo` again)",
                file.path
            )));
        }
    }
    // Reverse order: the `.pth` was written last and goes first.
    for file in manifest.files.iter().rev() {
        let path = Path::new(&file.path);
        remove_if_present(&manifest::temp_path(path))?;
        if file.before.is_none() {
            remove_if_present(path)?;
        }
        steps.done();
    }
    for root in &manifest.gc_roots {
        pin::remove_root(Path::new(&root.root))?;
        steps.done();
    }
    std::fs::remove_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
    steps.done();
    Ok(Some(manifest))
}

fn remove_if_present(path: &Path) -> Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(Error::io(path, e)),
        _ => Ok(()),
    }
}

fn distinct_store_paths(manifest: &Manifest) -> Vec<String> {
    let mut paths: Vec<String> = Vec::new();
    for path in manifest
        .libraries
        .iter()
        .filter_map(|l| l.store_path.clone())
    {
        if !paths.contains(&path) {
            paths.push(path);
        }
    }
    paths
}

/// `/nix/store/<hash>-zlib-1.3.1` → `<hash>-zlib-1.3.1`.
fn root_name(store_path: &str) -> String {
    Path::new(store_path)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "root".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fix::manifest::MANIFEST_VERSION;

    fn manifest_for(files: &[NewFile]) -> Manifest {
        Manifest {
            version: MANIFEST_VERSION,
            state: State::Applying,
            created: manifest::now_utc(),
            modules: vec!["m".into()],
            libraries: Vec::new(),
            files: changes_for(files),
            gc_roots: Vec::new(),
        }
    }

    #[test]
    fn undo_removes_what_apply_wrote_and_refuses_a_changed_file() {
        let venv = tempfile::tempdir().unwrap();
        let files = vec![
            NewFile {
                path: venv.path().join("a.py"),
                contents: "a".into(),
            },
            NewFile {
                path: venv.path().join("a.pth"),
                contents: "b".into(),
            },
        ];
        let mut manifest = manifest_for(&files);
        apply(
            venv.path(),
            &mut manifest,
            &files,
            None,
            &mut Steps::default(),
        )
        .unwrap();
        commit(venv.path(), &mut manifest, &mut Steps::default()).unwrap();
        assert!(
            ensure_new(&files).is_err(),
            "a second fix does not overwrite"
        );

        std::fs::write(venv.path().join("a.py"), "edited").unwrap();
        let refused = undo(venv.path()).unwrap_err().to_string();
        assert!(refused.contains("a.py changed since"), "{refused}");
        assert!(venv.path().join("a.pth").exists(), "nothing undone");

        std::fs::write(venv.path().join("a.py"), "a").unwrap();
        assert!(undo(venv.path()).unwrap().is_some());
        assert_eq!(std::fs::read_dir(venv.path()).unwrap().count(), 0);
        assert!(undo(venv.path()).unwrap().is_none());
    }
}
