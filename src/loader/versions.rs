//! Symbol versions: which of an object's version needs (`.gnu.version_r`) the library that
//! would be found does not define (`.gnu.version_d`), and the newest it does define.

use crate::elf::VersionNeed;

use super::report::VersionProblem;

/// The non-weak versions of `need` missing from `defs`. A library without any version
/// definitions is accepted (the loader only warns in verbose mode).
pub fn missing(need: &VersionNeed, defs: &[String], required_by: &str) -> Vec<VersionProblem> {
    if defs.is_empty() {
        return Vec::new();
    }
    need.versions
        .iter()
        .filter(|v| !v.weak && !defs.contains(&v.name))
        .map(|v| VersionProblem {
            version: v.name.clone(),
            required_by: required_by.to_string(),
            newest_available: newest_of_family(&v.name, defs),
        })
        .collect()
}

/// The family of a version name: `GLIBCXX_3.4.30` → `GLIBCXX_`.
pub fn family(version: &str) -> &str {
    match version.rfind('_') {
        Some(at) => &version[..=at],
        None => version,
    }
}

/// The newest version of `version`'s family in `defs`, compared numerically by component.
pub fn newest_of_family(version: &str, defs: &[String]) -> Option<String> {
    let fam = family(version);
    defs.iter()
        .filter(|d| family(d) == fam && d.len() > fam.len())
        .max_by(|a, b| numeric_key(&a[fam.len()..]).cmp(&numeric_key(&b[fam.len()..])))
        .cloned()
}

fn numeric_key(v: &str) -> Vec<u64> {
    v.split('.').map(|p| p.parse().unwrap_or(0)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::elf::NeededVersion;

    #[test]
    fn newest_is_numeric_not_lexical() {
        let defs: Vec<String> = [
            "GLIBCXX_3.4.9",
            "GLIBCXX_3.4.28",
            "CXXABI_1.3.13",
            "GLIBCXX_3.4",
        ]
        .map(String::from)
        .to_vec();
        assert_eq!(
            newest_of_family("GLIBCXX_3.4.30", &defs).as_deref(),
            Some("GLIBCXX_3.4.28")
        );
        let need = VersionNeed {
            file: "libstdc++.so.6".into(),
            versions: vec![
                NeededVersion {
                    name: "GLIBCXX_3.4.30".into(),
                    weak: false,
                },
                NeededVersion {
                    name: "GLIBCXX_3.4.9".into(),
                    weak: false,
                },
                NeededVersion {
                    name: "GLIBCXX_3.4.99".into(),
                    weak: true,
                },
            ],
        };
        let m = missing(&need, &defs, "/x.so");
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].version, "GLIBCXX_3.4.30");
    }
}
