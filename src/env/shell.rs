//! Which tool set up the shell pydoctor runs in, where the environment tells: devenv
//! (`DEVENV_ROOT`, or a `devenv.nix` beside the direnv file or in the project), direnv
//! (`DIRENV_FILE`, `DIRENV_DIR`) or nix-shell / nix develop (`IN_NIX_SHELL`). Such a shell
//! sets `LD_LIBRARY_PATH` that an IDE, a cron job or a Jupyter server started elsewhere does
//! not have (docs/loader-and-nix.md, "Shells that set LD_LIBRARY_PATH"). Reads variables and
//! looks for files; judges nothing.

use std::path::{Path, PathBuf};

use super::Settings;
use crate::evidence::ShellFacts;

const DEVENV_FILE: &str = "devenv.nix";
/// The files a nix-shell or `nix develop` is configured in, in the order nix-shell tries them.
const NIX_SHELL_FILES: &[&str] = &["shell.nix", "default.nix", "flake.nix"];

/// The shell's tool and file, or None when no tool is known to have set it up.
pub fn detect(settings: &Settings) -> Option<ShellFacts> {
    let facts = |tool: &str, file: Option<PathBuf>| ShellFacts {
        tool: tool.to_string(),
        file: file.map(|f| f.to_string_lossy().into_owned()),
    };
    if let Some(root) = settings.devenv_root.as_deref() {
        return Some(facts(
            "devenv",
            existing(&Path::new(root).join(DEVENV_FILE)),
        ));
    }
    // direnv exports DIRENV_FILE (the .envrc) and DIRENV_DIR (`-` and the directory).
    let direnv_file = settings.direnv_file.as_deref().map(PathBuf::from);
    let direnv_dir = settings
        .direnv_dir
        .as_deref()
        .map(|d| PathBuf::from(d.trim_start_matches('-')))
        .or_else(|| {
            direnv_file
                .as_ref()
                .and_then(|f| f.parent().map(Path::to_path_buf))
        });
    if let Some(dir) = direnv_dir {
        // devenv's direnv integration (`use devenv` in .envrc) keeps devenv.nix beside it.
        if let Some(devenv) = existing(&dir.join(DEVENV_FILE)) {
            return Some(facts("devenv", Some(devenv)));
        }
        let envrc = direnv_file.or_else(|| existing(&dir.join(".envrc")));
        return Some(facts("direnv", envrc));
    }
    settings.in_nix_shell.as_ref()?;
    let project = settings.cwd.ancestors();
    for dir in project {
        if let Some(devenv) = existing(&dir.join(DEVENV_FILE)) {
            return Some(facts("devenv", Some(devenv)));
        }
        if let Some(file) = NIX_SHELL_FILES
            .iter()
            .find_map(|name| existing(&dir.join(name)))
        {
            return Some(facts("nix-shell", Some(file)));
        }
    }
    Some(facts("nix-shell", None))
}

fn existing(path: &Path) -> Option<PathBuf> {
    path.is_file().then(|| path.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(cwd: &Path, vars: &[(&str, &str)]) -> Settings {
        crate::request::Request::with_vars(cwd, vars).env_settings()
    }

    #[test]
    fn no_variables_no_tool() {
        let t = tempfile::tempdir().unwrap();
        std::fs::write(t.path().join("shell.nix"), "").unwrap();
        assert_eq!(detect(&request(t.path(), &[])), None);
    }

    #[test]
    fn devenvs_direnv_integration_is_devenv_and_plain_direnv_is_direnv() {
        let t = tempfile::tempdir().unwrap();
        let envrc = t.path().join(".envrc");
        std::fs::write(&envrc, "use nix\n").unwrap();
        let dir = format!("-{}", t.path().display());
        let vars = [("DIRENV_DIR", dir.as_str())];
        let found = detect(&request(Path::new("/"), &vars)).unwrap();
        assert_eq!(found.tool, "direnv");
        assert_eq!(found.file.as_deref(), envrc.to_str());
        std::fs::write(t.path().join("devenv.nix"), "{ }").unwrap();
        let found = detect(&request(Path::new("/"), &vars)).unwrap();
        assert_eq!(found.tool, "devenv");
        assert!(found.file.unwrap().ends_with("devenv.nix"));
    }

    #[test]
    fn a_nix_shell_names_the_nearest_shell_file_above_the_working_directory() {
        let t = tempfile::tempdir().unwrap();
        let sub = t.path().join("src/pkg");
        std::fs::create_dir_all(&sub).unwrap();
        std::fs::write(t.path().join("flake.nix"), "{ }").unwrap();
        let found = detect(&request(&sub, &[("IN_NIX_SHELL", "impure")])).unwrap();
        assert_eq!(found.tool, "nix-shell");
        assert!(found.file.unwrap().ends_with("flake.nix"));
    }
}
