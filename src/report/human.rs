//! The human report of `check`, `explain` and `scan`: a one-line verdict first, then what hid
//! the cause, a short explanation, and the fixes as copy-pasteable snippets.
//!
//! Readable at 80 columns; colour only through [`Style`].

use std::io::{self, Write};

use crate::evidence::Finding;
use crate::outcome::{Diagnosis, Fix, Report, Status, Verification};
use crate::report::Style;
use crate::report::text::{shorten_path, wrap};

pub fn render(report: &Report, style: &Style, out: &mut dyn Write) -> io::Result<()> {
    match report.status {
        Status::Ok => writeln!(out, "{} {}", style.green("✓"), ok_verdict(report))?,
        Status::Problems => {
            for (i, diagnosis) in report.diagnoses.iter().enumerate() {
                if i > 0 {
                    writeln!(out)?;
                }
                diagnosis_block(report, diagnosis, i == 0, style, out)?;
            }
            uncovered_findings(report, style, out)?;
        }
        Status::Undiagnosed => undiagnosed(report, style, out)?,
    }
    warnings(&report.findings, style, out)
}

/// One line that says what was checked: for `check`, each module and how many ELF files of it
/// were resolved; otherwise just that nothing is wrong.
fn ok_verdict(report: &Report) -> String {
    let modules = report.extra.get("modules").and_then(|m| m.as_array());
    let Some(modules) = modules.filter(|m| !m.is_empty()) else {
        return "no problem found".into();
    };
    let python = report
        .environment
        .python
        .version
        .as_deref()
        .map(|v| format!(" (python {v})"))
        .unwrap_or_default();
    let parts: Vec<String> = modules
        .iter()
        .map(|m| {
            let name = m["module"].as_str().unwrap_or("?");
            let files = m["elf_files"].as_u64().unwrap_or(0);
            let verb = if m["imported"].as_bool() == Some(true) {
                "imports"
            } else {
                "resolves"
            };
            match files {
                0 => format!("{name} {verb} fine"),
                1 => format!("{name} {verb} fine; its 1 ELF file resolves"),
                n => format!("{name} {verb} fine; all {n} of its ELF files resolve"),
            }
        })
        .collect();
    format!("{}{python}", parts.join("; "))
}

fn diagnosis_block(
    report: &Report,
    d: &Diagnosis,
    first: bool,
    style: &Style,
    out: &mut dyn Write,
) -> io::Result<()> {
    let several = d.libraries.len() > 1;
    let needed_by = d
        .required_by
        .as_deref()
        .filter(|_| !several)
        .map(|p| format!(" — needed by {}", shorten_path(p)))
        .unwrap_or_default();
    writeln!(
        out,
        "{} {} {}{needed_by}",
        style.red("✗"),
        style.red("problem:"),
        style.bold(&d.summary)
    )?;
    if several {
        per_library(report, d, style, out)?;
    }
    if first {
        hidden_by(report, style, out)?;
    }
    let width = usize::from(style.width).clamp(40, 100);
    writeln!(out)?;
    for paragraph in d.explanation.split("\n\n") {
        for line in wrap(paragraph, width - 2) {
            writeln!(out, "  {line}")?;
        }
        writeln!(out)?;
    }
    writeln!(
        out,
        "  {} {} {}",
        style.dim("rule"),
        style.cyan(&d.rule),
        style.dim(&format!("({}; `pydoctor rules {}`)", d.kind, d.rule))
    )?;
    for (n, fix) in d.fixes.iter().enumerate() {
        writeln!(out)?;
        fix_block(n + 1, fix, width, style, out)?;
    }
    Ok(())
}

/// Several libraries in one diagnosis: who needs each, and where the loader looked.
fn per_library(
    report: &Report,
    d: &Diagnosis,
    style: &Style,
    out: &mut dyn Write,
) -> io::Result<()> {
    let width = d
        .libraries
        .iter()
        .map(|l| l.chars().count())
        .max()
        .unwrap_or(0);
    for library in &d.libraries {
        let finding = report
            .findings
            .iter()
            .find(|f| !f.latent && f.kind == d.kind && f.library.as_deref() == Some(library));
        let needed_by = finding
            .and_then(|f| f.required_by.as_deref())
            .map(|p| format!("needed by {}", shorten_path(p)))
            .unwrap_or_default();
        writeln!(
            out,
            "    {}  {needed_by}",
            style.bold(&format!("{library:<width$}"))
        )?;
    }
    Ok(())
}

/// What a wrapper message said, and what it hid.
fn hidden_by(report: &Report, style: &Style, out: &mut dyn Write) -> io::Result<()> {
    let Some(failure) = &report.failure else {
        return Ok(());
    };
    for m in &failure.misleading {
        let shown = m.shown.lines().next().unwrap_or("").trim();
        writeln!(out, "  {} {shown}", style.yellow("hidden by:"))?;
        let hidden = m.hidden_cause.lines().next().unwrap_or("").trim();
        writeln!(out, "     {} {hidden}", style.dim("it hid:"))?;
        if m.root_missing {
            writeln!(
                out,
                "             {}",
                style.dim("(the real error is not in this text)")
            )?;
        }
    }
    Ok(())
}

fn fix_block(
    n: usize,
    fix: &Fix,
    width: usize,
    style: &Style,
    out: &mut dyn Write,
) -> io::Result<()> {
    writeln!(
        out,
        "  {} {}  {}  {}",
        style.green(&format!("help {n}:")),
        style.bold(&fix.title),
        style.dim(&format!("[{}]", fix.id)),
        mark(fix.verified, style)
    )?;
    if let Some(snippet) = &fix.snippet {
        for line in snippet.lines() {
            if line.is_empty() {
                writeln!(out)?;
            } else {
                writeln!(out, "      {line}")?;
            }
        }
    }
    if let Some(note) = &fix.note {
        for (i, line) in wrap(note, width - 10).into_iter().enumerate() {
            let lead = if i == 0 { "note:" } else { "     " };
            writeln!(out, "    {} {line}", style.dim(lead))?;
        }
    }
    Ok(())
}

fn mark(v: Verification, style: &Style) -> String {
    match v {
        Verification::Verified => style.green("✓ verified"),
        Verification::Partial => style.yellow("! partial"),
        Verification::NotChecked => style.dim("· not checked"),
        Verification::Failed => style.red("✗ failed"),
    }
}

fn undiagnosed(report: &Report, style: &Style, out: &mut dyn Write) -> io::Result<()> {
    let root = report.failure.as_ref().and_then(|f| f.root());
    let what = match root {
        Some(link) => format!(
            "{}: {}",
            link.exc_type,
            link.message.lines().next().unwrap_or("")
        ),
        None => report
            .findings
            .iter()
            .find(|f| !f.latent)
            .map(|f| f.detail.clone())
            .unwrap_or_default(),
    };
    writeln!(
        out,
        "{} {} {what}",
        style.yellow("?"),
        style.yellow("undiagnosed:")
    )?;
    hidden_by(report, style, out)?;
    for f in report.findings.iter().filter(|f| !f.latent) {
        writeln!(out, "  {} {}", style.dim("found:"), f.detail)?;
    }
    writeln!(
        out,
        "  {}",
        style
            .dim("No rule explains this failure; it is a gap in pydoctor's rules worth reporting.")
    )
}

/// Non-latent findings that no diagnosis covers (a diagnosis covers its libraries).
fn uncovered_findings(report: &Report, style: &Style, out: &mut dyn Write) -> io::Result<()> {
    let covered = |f: &Finding| {
        report.diagnoses.iter().any(|d| {
            d.kind == f.kind
                && (f.library.is_none()
                    || d.libraries.contains(f.library.as_ref().unwrap())
                    || d.library == f.library)
        })
    };
    let rest: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|f| !f.latent && !covered(f))
        .collect();
    if !rest.is_empty() {
        writeln!(out)?;
    }
    for f in rest {
        writeln!(out, "{} {}", style.dim("also found:"), f.detail)?;
    }
    Ok(())
}

/// Advisory findings: true today, but fragile (found only through LD_LIBRARY_PATH, or only
/// because another module loaded the library first).
fn warnings(findings: &[Finding], style: &Style, out: &mut dyn Write) -> io::Result<()> {
    let latent: Vec<&Finding> = findings.iter().filter(|f| f.latent).collect();
    if !latent.is_empty() {
        writeln!(out)?;
    }
    for f in latent {
        let by = f
            .required_by
            .as_deref()
            .map(|p| format!(" ({})", shorten_path(p)))
            .unwrap_or_default();
        writeln!(out, "{} {}{by}", style.yellow("warning:"), f.detail)?;
    }
    Ok(())
}
