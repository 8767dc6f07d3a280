//! Matching evidence against rules: which rule explains which finding, and how findings are
//! grouped into diagnoses (one per rule, most likely first).
//!
//! This module decides; it renders nothing (see `render`).

use regex::Regex;

use crate::evidence::{CauseKind, Evidence, Finding, FindingSource, Platform};
use crate::rules::model::{Condition, FhsLoaderState};

/// A [`Condition`] with its regexes compiled.
#[derive(Debug, Clone)]
pub struct Matcher {
    pub condition: Condition,
    library: Option<Regex>,
    required_by: Option<Regex>,
    message: Option<Regex>,
}

/// Which regex of a condition failed to compile, for the load-time error.
pub struct BadPattern {
    pub field: &'static str,
    pub pattern: String,
    pub error: String,
}

impl Matcher {
    pub fn compile(condition: &Condition) -> Result<Matcher, BadPattern> {
        let compile = |field: &'static str, pattern: &Option<String>| {
            pattern
                .as_deref()
                .map(|p| {
                    Regex::new(p).map_err(|e| BadPattern {
                        field,
                        pattern: p.to_string(),
                        error: e
                            .to_string()
                            .lines()
                            .last()
                            .unwrap_or("")
                            .trim()
                            .to_string(),
                    })
                })
                .transpose()
        };
        Ok(Matcher {
            library: compile("library", &condition.library)?,
            required_by: compile("required_by", &condition.required_by)?,
            message: compile("message", &condition.message)?,
            condition: condition.clone(),
        })
    }

    /// The conditions about the machine and the failure as a whole.
    pub fn environment_holds(&self, evidence: &Evidence) -> bool {
        let c = &self.condition;
        let env = &evidence.environment;
        let python = &env.python;
        one_of(&c.python_kind, python.kind)
            && one_of(&c.loader_flavor, python.loader_flavor)
            && c.nixos.is_none_or(|want| env.os.nixos == Some(want))
            && c.nix.is_none_or(|want| nix_involved(env) == want)
            && one_of(&c.fhs_loader, FhsLoaderState::of(env.nix_ld.fhs_loader))
            && c.venv.is_none_or(|want| python.venv.is_some() == want)
            && c.ld_library_path
                .is_none_or(|want| env.ld_library_path.iter().any(|d| !d.is_empty()) == want)
            && one_of(&c.platform, env.os.platform.unwrap_or(Platform::Linux))
            && c.nix_app
                .is_none_or(|want| python.nix_app.is_some() == want)
            && (c.venv_tool.is_empty()
                || python
                    .venv_tool
                    .as_ref()
                    .is_some_and(|t| c.venv_tool.contains(t)))
            && (c.shell_tool.is_empty()
                || c.shell_tool.contains(
                    &env.shell
                        .as_ref()
                        .map_or_else(|| "none".to_string(), |s| s.tool.clone()),
                ))
            && c.kernel_module_elsewhere.is_none_or(|want| {
                env.kernel
                    .as_ref()
                    .is_some_and(|k| k.module_found_in.is_some())
                    == want
            })
            && c.kernel_ipykernel.is_none_or(|want| {
                env.kernel
                    .as_ref()
                    .and_then(|k| k.module_found_in_has_ipykernel)
                    == Some(want)
            })
            && c.kernel_user_overrides
                .is_none_or(|want| env.kernel.as_ref().is_some_and(|k| k.user_overrides) == want)
            && c.cuda_stub.is_none_or(|want| {
                env.cuda.as_ref().is_some_and(|cuda| {
                    !cuda.stubs.is_empty() || cuda.libraries.iter().any(|l| l.stub)
                }) == want
            })
            && c.cuda_driver_dir.is_none_or(|want| {
                env.cuda.as_ref().map(|cuda| cuda.driver_dir_has_libcuda) == Some(want)
            })
            && c.module_in_store.is_none_or(|want| {
                env.store_module
                    .as_ref()
                    .is_some_and(|m| !m.store.is_empty())
                    == want
            })
            && c.module_in_env
                .is_none_or(|want| env.store_module.as_ref().is_some_and(|m| m.in_env) == want)
            && c.module_other_python.is_none_or(|want| {
                env.store_module
                    .as_ref()
                    .is_some_and(|m| m.store.is_empty() && !m.other_pythons.is_empty())
                    == want
            })
            && self.message.as_ref().is_none_or(|re| {
                evidence
                    .failure
                    .as_ref()
                    .and_then(|f| f.root())
                    .is_some_and(|root| re.is_match(&root.message))
            })
    }

    /// The conditions about one finding.
    pub fn finding_holds(&self, finding: &Finding) -> bool {
        let matches = |re: &Option<Regex>, value: &Option<String>| {
            re.as_ref()
                .is_none_or(|re| value.as_deref().is_some_and(|v| re.is_match(v)))
        };
        (self.condition.provider_via.is_empty()
            || finding
                .provider_via
                .as_ref()
                .is_some_and(|v| self.condition.provider_via.contains(v)))
            && matches(&self.library, &finding.library)
            && matches(&self.required_by, &finding.required_by)
            && self
                .condition
                .timed_out
                .is_none_or(|want| finding.timeout_seconds.is_some() == want)
    }

    /// For fix conditions: the environment holds and, when the condition names a library
    /// pattern, one of the diagnosis' findings matches it.
    pub fn holds_for_group(&self, evidence: &Evidence, findings: &[&Finding]) -> bool {
        self.environment_holds(evidence) && findings.iter().any(|f| self.finding_holds(f))
    }
}

/// What the matcher needs to know of a rule.
pub trait Candidate {
    fn kind(&self) -> CauseKind;
    fn matcher(&self) -> &Matcher;
}

/// Findings explained by one rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// Index into the candidate list.
    pub rule: usize,
    /// Indices into `evidence.findings`, in order.
    pub findings: Vec<usize>,
}

/// Give every non-latent finding to the first candidate (candidates come sorted, most
/// specific first) that explains it, group by rule and rank the groups: an interpreter that
/// cannot start first, then what the failure itself said before what the ELF scan found,
/// then evidence order. Latent findings are advisory and never become diagnoses.
pub fn assign<C: Candidate>(candidates: &[C], evidence: &Evidence) -> Vec<Group> {
    let applicable: Vec<bool> = candidates
        .iter()
        .map(|c| c.matcher().environment_holds(evidence))
        .collect();
    let mut groups: Vec<Group> = Vec::new();
    for (index, finding) in evidence.findings.iter().enumerate() {
        let rule = candidates.iter().enumerate().position(|(i, c)| {
            // An advisory rule explains advisory findings only, any other rule failures only.
            let advisory = c.matcher().condition.latent == Some(true);
            applicable[i]
                && c.kind() == finding.kind
                && finding.latent == advisory
                && c.matcher().finding_holds(finding)
        });
        let Some(rule) = rule else { continue };
        match groups.iter_mut().find(|g| g.rule == rule) {
            Some(group) => group.findings.push(index),
            None => groups.push(Group {
                rule,
                findings: vec![index],
            }),
        }
    }
    groups.sort_by_key(|g| rank(candidates[g.rule].kind(), g, evidence));
    groups
}

fn rank(kind: CauseKind, group: &Group, evidence: &Evidence) -> (u8, u8, usize) {
    // An interpreter that cannot start comes first; then a glibc build under musl, which
    // explains the missing libraries and symbols it shows too.
    // Advisories (the import works today) come after every failure.
    let advisory = group.findings.iter().all(|&i| evidence.findings[i].latent);
    let kind_rank = match kind {
        _ if advisory => 3,
        CauseKind::InterpreterCannotStart => 0,
        CauseKind::MuslGlibcMismatch => 1,
        _ => 2,
    };
    let from_failure = group
        .findings
        .iter()
        .any(|&i| evidence.findings[i].source != FindingSource::Elf);
    (kind_rank, u8::from(!from_failure), group.findings[0])
}

/// Python from the Nix store, or NixOS: where the system's packages are not what loads.
fn nix_involved(env: &crate::evidence::Environment) -> bool {
    env.python.kind == crate::evidence::PythonKind::NixStore || env.os.nixos == Some(true)
}

fn one_of<T: PartialEq>(list: &[T], value: T) -> bool {
    list.is_empty() || list.contains(&value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::PythonKind;

    #[test]
    fn nix_holds_for_a_store_python_or_nixos_and_not_when_unknown() {
        let when = |nix| {
            Matcher::compile(&Condition {
                nix: Some(nix),
                ..Condition::default()
            })
            .ok()
            .unwrap()
        };
        let mut evidence = Evidence::default();
        assert!(when(false).environment_holds(&evidence));
        evidence.environment.python.kind = PythonKind::NixStore;
        assert!(when(true).environment_holds(&evidence));
        evidence.environment.python.kind = PythonKind::System;
        evidence.environment.os.nixos = Some(true);
        assert!(when(true).environment_holds(&evidence));
        assert!(!when(false).environment_holds(&evidence));
    }
}
