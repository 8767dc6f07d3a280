//! GitHub Actions annotations: `::error file=…::` per diagnosis, `::warning` per latent
//! finding, one `::error` for an undiagnosed failure.

use std::io::{self, Write};

use crate::outcome::{Report, Status};

pub fn render(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    for d in &report.diagnoses {
        let mut message = d.summary.clone();
        if let Some(fix) = d.fixes.first() {
            message.push_str(&format!("\nhelp: {} [{}]", fix.title, fix.id));
            if let Some(snippet) = &fix.snippet {
                message.push('\n');
                message.push_str(snippet);
            }
        }
        annotation(
            out,
            "error",
            d.required_by.as_deref(),
            &format!("pydoctor {} ({})", d.rule, d.kind),
            &message,
        )?;
    }
    if report.status == Status::Undiagnosed {
        let what = report
            .failure
            .as_ref()
            .and_then(|f| f.root())
            .map(|l| format!("{}: {}", l.exc_type, l.message))
            .or_else(|| {
                report
                    .findings
                    .iter()
                    .find(|f| !f.latent)
                    .map(|f| f.detail.clone())
            })
            .unwrap_or_default();
        annotation(
            out,
            "error",
            None,
            "pydoctor: undiagnosed",
            &format!("no rule explains this failure: {what}"),
        )?;
    }
    for f in report.findings.iter().filter(|f| f.latent) {
        annotation(
            out,
            "warning",
            f.required_by.as_deref(),
            "pydoctor",
            &f.detail,
        )?;
    }
    Ok(())
}

fn annotation(
    out: &mut dyn Write,
    level: &str,
    file: Option<&str>,
    title: &str,
    message: &str,
) -> io::Result<()> {
    let mut props = Vec::new();
    if let Some(file) = file {
        props.push(format!("file={}", escape_property(file)));
    }
    props.push(format!("title={}", escape_property(title)));
    writeln!(
        out,
        "::{level} {}::{}",
        props.join(","),
        escape_data(message)
    )
}

/// Workflow-command escaping of the message part.
fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Property values additionally escape `:` and `,`.
fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_workflow_command_text() {
        assert_eq!(escape_data("a%b\nc"), "a%25b%0Ac");
        assert_eq!(escape_property("a:b,c"), "a%3Ab%2Cc");
    }
}
