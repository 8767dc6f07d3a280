//! GitHub Actions workflow commands for any report: `::error file=…,title=…::message`.
//!
//! One annotation per cause (kind and library), on the first file that needs it, with the
//! count of the others: GitHub shows only a handful of annotations per step, so one per file
//! would bury the second cause under copies of the first. Advisory findings are warnings.
//! Then one annotation per diagnosis, with its fixes. A last plain line gives the verdict.

use std::io::{self, Write};

use crate::evidence::Finding;
use crate::outcome::{Diagnosis, Status};
use crate::report::Report;

pub fn render(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    for group in group_findings(&report.findings) {
        write_finding(&group, out)?;
    }
    for diagnosis in &report.diagnoses {
        write_diagnosis(diagnosis, out)?;
    }
    let verdict = match report.status {
        Status::Ok => "no problem found".to_string(),
        Status::Problems => format!(
            "{} problem(s), {} diagnosis(es)",
            report.findings.iter().filter(|f| !f.latent).count(),
            report.diagnoses.iter().filter(|d| !d.advisory).count()
        ),
        Status::Undiagnosed => "a failure was seen but no rule explains it".to_string(),
    };
    writeln!(out, "pydoctor: {verdict}")
}

/// Findings of the same kind, library and severity, in first-seen order.
fn group_findings(findings: &[Finding]) -> Vec<Vec<&Finding>> {
    let mut groups: Vec<Vec<&Finding>> = Vec::new();
    for f in findings {
        match groups
            .iter_mut()
            .find(|g| g[0].kind == f.kind && g[0].library == f.library && g[0].latent == f.latent)
        {
            Some(g) => g.push(f),
            None => groups.push(vec![f]),
        }
    }
    groups
}

fn write_finding(group: &[&Finding], out: &mut dyn Write) -> io::Result<()> {
    let first = group[0];
    let level = if first.latent { "warning" } else { "error" };
    let title = match &first.library {
        Some(lib) => format!("pydoctor {}: {lib}", first.kind),
        None => format!("pydoctor {}", first.kind),
    };
    let mut files: Vec<&str> = Vec::new();
    for f in group {
        if let Some(file) = f.required_by.as_deref()
            && !files.contains(&file)
        {
            files.push(file);
        }
    }
    let mut message = first.detail.clone();
    if files.len() > 1 {
        message.push_str(&format!(
            "\nalso needed by {} more file(s):",
            files.len() - 1
        ));
        for file in &files[1..] {
            message.push_str(&format!("\n  {file}"));
        }
    }
    let file = files
        .first()
        .map(|f| format!("file={},", escape_property(f)))
        .unwrap_or_default();
    writeln!(
        out,
        "::{level} {file}title={}::{}",
        escape_property(&title),
        escape_data(&message)
    )
}

fn write_diagnosis(d: &Diagnosis, out: &mut dyn Write) -> io::Result<()> {
    let mut message = d.summary.clone();
    if !d.explanation.is_empty() {
        message.push_str("\n\n");
        message.push_str(&d.explanation);
    }
    for fix in &d.fixes {
        message.push_str(&format!(
            "\n\nhelp: {} ({})",
            fix.title,
            fix.verified.as_str()
        ));
        if let Some(snippet) = &fix.snippet {
            message.push('\n');
            message.push_str(snippet);
        }
    }
    let file = d
        .required_by
        .as_deref()
        .map(|f| format!("file={},", escape_property(f)))
        .unwrap_or_default();
    // An advisory (the import works today) is a warning, not an error.
    let level = if d.advisory { "warning" } else { "error" };
    writeln!(
        out,
        "::{level} {file}title={}::{}",
        escape_property(&format!("pydoctor {}: {}", d.rule, d.kind)),
        escape_data(&message)
    )
}

/// The message part: `%`, CR and LF are encoded (GitHub's workflow command escaping).
pub fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A property value: as data, plus `:` and `,`.
pub fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workflow_command_values_are_escaped() {
        assert_eq!(escape_data("50%\nnext"), "50%25%0Anext");
        assert_eq!(escape_property("a:b,c"), "a%3Ab%2Cc");
    }
}
