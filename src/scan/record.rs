//! Which installed distribution owns a file: each `*.dist-info/RECORD` lists the files its
//! distribution installed, relative to the directory holding the `.dist-info` (a venv's
//! console scripts appear as `../../../bin/…`). The name and version come from `METADATA`,
//! else from the directory name.

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use super::walk::WalkError;

/// One installed distribution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Distribution {
    pub name: String,
    pub version: Option<String>,
    pub dist_info: PathBuf,
}

/// Every RECORD read, as a map from file to distribution.
#[derive(Debug, Default)]
pub struct Owners {
    pub distributions: Vec<Distribution>,
    /// Normalised absolute paths (as text: hashing a `Path` goes by components).
    by_path: rustc_hash::FxHashMap<String, usize>,
}

/// One `.dist-info` read: its distribution, and the files its RECORD lists that could be
/// ELF files (normalised, absolute), or why the RECORD could not be read.
pub type Record = (Distribution, Result<Vec<String>, WalkError>);

impl Owners {
    /// The owners from records read one by one (as the walk meets each `.dist-info`), in
    /// the order of their `.dist-info` paths; a file listed twice belongs to the first.
    pub fn from_records(mut records: Vec<Record>) -> (Owners, Vec<WalkError>) {
        records.sort_by(|a, b| a.0.dist_info.cmp(&b.0.dist_info));
        let mut owners = Owners::default();
        let mut errors = Vec::new();
        for (index, (distribution, files)) in records.into_iter().enumerate() {
            owners.distributions.push(distribution);
            match files {
                Ok(files) => {
                    for file in files {
                        owners.by_path.entry(file).or_insert(index);
                    }
                }
                Err(e) => errors.push(e),
            }
        }
        (owners, errors)
    }

    /// The distribution that installed `path` (an absolute, symlink-free path).
    pub fn owner_of(&self, path: &Path) -> Option<&Distribution> {
        let path = path.to_str()?;
        self.by_path
            .get(path)
            .map(|&index| &self.distributions[index])
    }
}

/// Read one `.dist-info`: its distribution (METADATA) and the files its RECORD lists whose
/// names could be ELF files (sources and data, the bulk of a RECORD, are not kept).
pub fn read_record(dist_info: &Path) -> Record {
    (distribution(dist_info), owned_files(dist_info))
}

fn owned_files(dist_info: &Path) -> Result<Vec<String>, WalkError> {
    let record = dist_info.join("RECORD");
    let bytes = std::fs::read(&record).map_err(|e| WalkError::new(&record, e))?;
    let text = String::from_utf8_lossy(&bytes);
    let base = dist_info
        .parent()
        .unwrap_or(Path::new("/"))
        .to_string_lossy();
    let mut joined = String::with_capacity(256);
    Ok(text
        .lines()
        .filter_map(record_path)
        .filter(|entry| !super::walk::surely_not_elf(Path::new(entry.as_ref())))
        .map(|entry| {
            // Joined and normalised on the text (a RECORD has thousands of lines).
            joined.clear();
            joined.push_str(&base);
            joined.push('/');
            joined.push_str(&entry);
            crate::loader::lexically_normal(&joined).into_owned()
        })
        .collect())
}

/// The path field of one RECORD line (CSV: `path,hash,size`, the path quoted when needed).
pub fn record_path(line: &str) -> Option<Cow<'_, str>> {
    let line = line.trim_end_matches('\r');
    if line.is_empty() {
        return None;
    }
    let Some(quoted) = line.strip_prefix('"') else {
        return line.split(',').next().map(Cow::Borrowed);
    };
    let mut path = String::new();
    let mut chars = quoted.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '"' {
            if chars.peek() == Some(&'"') {
                chars.next();
                path.push('"');
            } else {
                return Some(Cow::Owned(path));
            }
        } else {
            path.push(c);
        }
    }
    None
}

fn distribution(dist_info: &Path) -> Distribution {
    let (mut name, mut version) = name_from_dir(dist_info);
    if let Ok(text) = std::fs::read(dist_info.join("METADATA")) {
        let text = String::from_utf8_lossy(&text);
        // Headers end at the first blank line; the body is the long description.
        for line in text.lines().take_while(|l| !l.trim().is_empty()) {
            if let Some(v) = line.strip_prefix("Name:") {
                name = v.trim().to_string();
            } else if let Some(v) = line.strip_prefix("Version:") {
                version = Some(v.trim().to_string());
            }
        }
    }
    Distribution {
        name,
        version,
        dist_info: dist_info.to_path_buf(),
    }
}

/// `scikit_learn-1.5.0.dist-info` → (`scikit_learn`, `1.5.0`).
fn name_from_dir(dist_info: &Path) -> (String, Option<String>) {
    let stem = dist_info
        .file_stem()
        .unwrap_or_default()
        .to_string_lossy()
        .into_owned();
    match stem.split_once('-') {
        Some((name, version)) => (name.to_string(), Some(version.to_string())),
        None => (stem, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_lines_give_their_path_quoted_or_not() {
        assert_eq!(
            record_path("numpy/__init__.py,sha256=abc,123").as_deref(),
            Some("numpy/__init__.py")
        );
        assert_eq!(
            record_path("\"a,\"\"b\"\".so\",sha256=x,1").as_deref(),
            Some("a,\"b\".so")
        );
        assert_eq!(
            record_path("x-1.0.dist-info/RECORD,,").as_deref(),
            Some("x-1.0.dist-info/RECORD")
        );
        assert_eq!(record_path(""), None);
        assert_eq!(record_path("\"unterminated"), None);
    }

    #[test]
    fn files_map_to_the_distribution_whose_record_lists_them() {
        let dir = tempfile::tempdir().unwrap();
        let sp = dir.path().join("lib/python3.11/site-packages");
        let di = sp.join("demo_pkg-1.2.dist-info");
        std::fs::create_dir_all(&di).unwrap();
        std::fs::write(
            di.join("RECORD"),
            "demo/_ext.so,sha256=x,10\n../../../bin/demo,sha256=y,5\r\n",
        )
        .unwrap();
        std::fs::write(
            di.join("METADATA"),
            "Metadata-Version: 2.1\nName: demo-pkg\nVersion: 1.2\n\nName: not this\n",
        )
        .unwrap();
        let (owners, errors) = Owners::from_records(vec![read_record(&di)]);
        assert!(errors.is_empty());
        let owner = owners.owner_of(&sp.join("demo/_ext.so")).unwrap();
        assert_eq!(owner.name, "demo-pkg");
        assert_eq!(owner.version.as_deref(), Some("1.2"));
        assert!(owners.owner_of(&dir.path().join("bin/demo")).is_some());
        assert!(owners.owner_of(&sp.join("other.so")).is_none());
    }
}
