//! What makes two findings the same, in one place: the loader's walk, a paste's lines and the
//! merge of text with loader findings all ask this module, so that "the same finding" cannot
//! mean four things.

use std::collections::HashSet;

use super::{CauseKind, Finding};

/// The identity of a finding: its cause, the library (or version, symbol, module) it names,
/// the file that needs it, and whether it is latent. Details and search paths are how it was
/// seen, not what it is.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FindingKey {
    kind: CauseKind,
    library: Option<String>,
    required_by: Option<String>,
    latent: bool,
}

impl Finding {
    pub fn key(&self) -> FindingKey {
        FindingKey {
            kind: self.kind,
            library: self.library.clone(),
            required_by: self.required_by.clone(),
            latent: self.latent,
        }
    }

    /// True when `other` reports the same cause for the same library: what an error message
    /// and the loader's walk of the same failure have in common (the message seldom names
    /// the file that needs the library).
    pub fn same_cause(&self, other: &Finding) -> bool {
        self.kind == other.kind && self.library == other.library
    }

    /// How much a finding read from text names: its library, the file that needs it, the
    /// provider (a message cut by a terminal tells less than the same message whole).
    pub fn told(&self) -> usize {
        [&self.library, &self.required_by, &self.provider]
            .iter()
            .filter(|v| v.is_some())
            .count()
    }

    /// True when `other` may be the same message as this one, once cut: the same cause, and
    /// each of the file and the provider the same or missing from one of them.
    fn agrees_with(&self, other: &Finding) -> bool {
        let agrees = |a: &Option<String>, b: &Option<String>| a.is_none() || b.is_none() || a == b;
        self.same_cause(other)
            && agrees(&self.required_by, &other.required_by)
            && agrees(&self.provider, &other.provider)
    }
}

/// Add a finding read from text, unless a finding it agrees with is there already (a message
/// quoted twice, once cut): then what one of them lacks is taken from the other.
pub fn merge_quoted(findings: &mut Vec<Finding>, finding: Finding) {
    match findings.iter_mut().find(|f| f.agrees_with(&finding)) {
        Some(existing) => {
            if finding.told() > existing.told() {
                existing.detail = finding.detail.clone();
            }
            existing.required_by = existing.required_by.take().or(finding.required_by);
            existing.provider = existing.provider.take().or(finding.provider);
        }
        None => findings.push(finding),
    }
}

/// Findings in order of arrival, each kept once.
#[derive(Debug, Default)]
pub struct FindingSet {
    findings: Vec<Finding>,
    seen: HashSet<FindingKey>,
}

impl FindingSet {
    pub fn from_vec(findings: Vec<Finding>) -> FindingSet {
        let mut set = FindingSet::default();
        set.extend(findings);
        set
    }

    /// Add `finding` unless the same one is in already; true when it was added.
    pub fn push(&mut self, finding: Finding) -> bool {
        let fresh = self.seen.insert(finding.key());
        if fresh {
            self.findings.push(finding);
        }
        fresh
    }

    pub fn extend(&mut self, findings: impl IntoIterator<Item = Finding>) {
        for finding in findings {
            self.push(finding);
        }
    }

    pub fn into_vec(self) -> Vec<Finding> {
        self.findings
    }
}

/// Merge what an error message said (`text`) with what the loader found (`loaded`) into
/// `into`. A loader finding says more (which file needs the library, where the loader looked),
/// so a text finding of the same cause gives way to one that is not latent.
pub fn merge_text_and_loader(
    into: &mut Vec<Finding>,
    mut text: Vec<Finding>,
    loaded: Vec<Finding>,
) {
    text.retain(|t| !loaded.iter().any(|l| l.same_cause(t) && !l.latent));
    let mut set = FindingSet::from_vec(std::mem::take(into));
    set.extend(text.into_iter().chain(loaded));
    *into = set.into_vec();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::FindingSource;

    fn missing(lib: &str, by: Option<&str>, source: FindingSource) -> Finding {
        let f = Finding::new(
            CauseKind::MissingSharedLibrary,
            source,
            format!("{lib} missing"),
        )
        .library(lib);
        match by {
            Some(by) => f.required_by(by),
            None => f,
        }
    }

    #[test]
    fn the_same_finding_seen_twice_is_kept_once() {
        let mut set = FindingSet::default();
        assert!(set.push(missing("libz.so.1", Some("/a.so"), FindingSource::Elf)));
        let mut again = missing("libz.so.1", Some("/a.so"), FindingSource::Elf);
        again.detail = "said differently".into();
        assert!(!set.push(again));
        assert!(set.push(missing("libz.so.1", Some("/b.so"), FindingSource::Elf)));
        assert_eq!(set.into_vec().len(), 2);
    }

    #[test]
    fn a_loader_finding_replaces_the_text_finding_of_the_same_cause() {
        let text = vec![missing("libstdc++.so.6", None, FindingSource::Text)];
        let loaded = vec![missing(
            "libstdc++.so.6",
            Some("/x/_core.so"),
            FindingSource::Elf,
        )];
        let mut into = Vec::new();
        merge_text_and_loader(&mut into, text, loaded);
        assert_eq!(into.len(), 1);
        assert_eq!(into[0].required_by.as_deref(), Some("/x/_core.so"));
    }

    #[test]
    fn a_latent_loader_finding_does_not_replace_the_text() {
        let text = vec![missing("libstdc++.so.6", None, FindingSource::Text)];
        let mut latent = missing("libstdc++.so.6", Some("/x/_core.so"), FindingSource::Elf);
        latent.latent = true;
        let mut into = Vec::new();
        merge_text_and_loader(&mut into, text, vec![latent]);
        assert_eq!(into.len(), 2);
    }
}
