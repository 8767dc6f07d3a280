//! Reading one rule file into a [`Rule`]: parsed strictly, then its id, name, placeholders,
//! regexes, fix ids and examples checked; errors name file, line and field.

use std::sync::LazyLock;

use regex::Regex;

use super::matching::Matcher;
use super::model::{FIX_IDS, RuleDoc, RuleStatus};
use super::{Rule, template};
use crate::catalog::files::{self, RuleFile};
use crate::error::Result;

static RULE_ID: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^PD[0-9]{3}$").expect("id"));
static RULE_NAME: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[a-z0-9]+(-[a-z0-9]+)*$").expect("name"));

/// Parse and validate one rule file: ids, regexes, placeholders, fix ids, examples. The checks
/// run in the order of the file's fields, each a few lines, so that a rule author reads them
/// in one place.
pub(super) fn compile(file: &RuleFile) -> Result<Rule> {
    let doc: RuleDoc = files::parse(file)?;
    let err =
        |needle: &str, field: &str, message: &str| files::field_error(file, needle, field, message);
    if !RULE_ID.is_match(&doc.id) {
        return Err(err(
            "id",
            "id",
            "must be `PD` and three digits, like `PD101`",
        ));
    }
    if !RULE_NAME.is_match(&doc.name) {
        return Err(err(
            "name",
            "name",
            "must be kebab-case (`missing-library-nix-python`)",
        ));
    }
    let mut templates = vec![("summary", &doc.summary), ("explanation", &doc.explanation)];
    for fix in &doc.fixes {
        templates.push(("fix.title", &fix.title));
        templates.extend(fix.snippet.iter().map(|s| ("fix.snippet", s)));
        templates.extend(fix.note.iter().map(|s| ("fix.note", s)));
    }
    for (field, text) in templates {
        if let Some(name) = template::first_unknown(text) {
            return Err(err(
                &format!("{{{name}}}"),
                field,
                &format!(
                    "unknown placeholder `{{{name}}}` (known: {})",
                    known_placeholders()
                ),
            ));
        }
    }
    let compile_condition = |condition, prefix: &str| {
        Matcher::compile(condition).map_err(|bad| {
            err(
                &bad.pattern,
                &format!("{prefix}.{}", bad.field),
                &format!("invalid regex: {}", bad.error),
            )
        })
    };
    let matcher = compile_condition(&doc.when, "when")?;
    let mut fix_matchers = Vec::new();
    for fix in &doc.fixes {
        if !FIX_IDS.contains(&fix.id.as_str()) {
            return Err(err(
                &format!("\"{}\"", fix.id),
                "fix.id",
                &format!(
                    "unknown fix id `{}` (known: {})",
                    fix.id,
                    FIX_IDS.join(", ")
                ),
            ));
        }
        fix_matchers.push(compile_condition(&fix.when, "fix.when")?);
    }
    if doc.status == RuleStatus::Active && !doc.examples.iter().any(|e| e.matches) {
        return Err(err(
            "[[example]]",
            "example",
            "an active rule needs at least one `[[example]]` with `match = true`",
        ));
    }
    Ok(Rule {
        doc,
        file: file.name.clone(),
        matcher,
        fix_matchers,
    })
}

fn known_placeholders() -> String {
    template::PLACEHOLDERS
        .iter()
        .map(|(name, _)| format!("{{{name}}}"))
        .collect::<Vec<_>>()
        .join(", ")
}
