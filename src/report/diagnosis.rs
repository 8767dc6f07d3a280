//! One diagnosis as the human report prints it: the verdict line, the libraries and the files
//! that need them, the explanation, the store copies passed over, and the fixes.

use std::io::{self, Write};

use crate::outcome::Diagnosis;
use crate::report::blocks::{fix_block, hanging};
use crate::report::text::{shorten_path, wrap};
use crate::report::{Report, Style};

pub(crate) fn diagnosis_block(
    report: &Report,
    d: &Diagnosis,
    first: bool,
    style: &Style,
    out: &mut dyn Write,
) -> io::Result<()> {
    let several = d.libraries.len() > 1;
    let width = usize::from(style.width).clamp(40, 100);
    let needed_by = d
        .required_by
        .as_deref()
        .filter(|_| !several)
        .map(|p| requester_words(report, d.library.as_deref(), p));
    let verdict = format!("✗ problem: {}", d.summary);
    let verdict_len = verdict.chars().count();
    let one_line = verdict_len <= width
        && needed_by
            .as_ref()
            .is_none_or(|n| verdict_len + 3 + n.chars().count() <= width);
    let lead = if d.advisory {
        format!("{} {}", style.yellow("!"), style.yellow("warning:"))
    } else {
        format!("{} {}", style.red("✗"), style.red("problem:"))
    };
    if one_line {
        let tail = needed_by.map(|n| format!(" — {n}")).unwrap_or_default();
        writeln!(out, "{lead} {}{tail}", style.bold(&d.summary))?;
    } else {
        // Too long for one line: the summary wraps under itself, the file gets its own line.
        for (i, line) in wrap(&d.summary, width - 11).into_iter().enumerate() {
            let lead = if i == 0 { lead.as_str() } else { "          " };
            writeln!(out, "{lead} {}", style.bold(&line))?;
        }
        if let Some(needed_by) = needed_by {
            writeln!(out, "    {needed_by}")?;
        }
    }
    if several {
        per_library(report, d, style, out)?;
    }
    if first {
        hidden_by(report, style, out)?;
    }
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
    if style.verbose {
        passed_over(d, width, style, out)?;
    }
    Ok(())
}

/// `-v`: the store copies the fixes did not use, and why, on one line.
fn passed_over(d: &Diagnosis, width: usize, style: &Style, out: &mut dyn Write) -> io::Result<()> {
    let passed: Vec<String> = d
        .store_candidates
        .iter()
        .filter_map(|c| {
            let why = c.passed_over.as_deref()?;
            Some(format!("{} ({why})", c.dir))
        })
        .collect();
    if passed.is_empty() {
        return Ok(());
    }
    writeln!(out)?;
    let lead = format!("  {}", style.dim("passed over:"));
    hanging(&lead, 14, &passed.join("; "), width, out)
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
        let finding = report.findings.iter().find(|f| {
            f.latent == d.advisory && f.kind == d.kind && f.library.as_deref() == Some(library)
        });
        let needed_by = finding
            .and_then(|f| f.required_by.as_deref())
            .map(|p| requester_words(report, Some(library), p))
            .unwrap_or_default();
        writeln!(
            out,
            "    {}  {needed_by}",
            style.bold(&format!("{library:<width$}"))
        )?;
    }
    Ok(())
}

/// "needed by FILE", or, for a library `check --cuda` searched as a `dlopen` of FILE (the
/// driver's, loaded when CUDA is first used), "loaded at run time by FILE".
fn requester_words(report: &Report, library: Option<&str>, requester: &str) -> String {
    let at_run_time = report.environment.cuda.as_ref().is_some_and(|cuda| {
        cuda.libraries.iter().any(|l| {
            l.how == "dlopen" && Some(l.soname.as_str()) == library && l.requested_by == requester
        })
    });
    let how = if at_run_time {
        "loaded at run time by"
    } else {
        "needed by"
    };
    format!("{how} {}", shorten_path(requester))
}

/// What a wrapper message said, and what it hid.
pub(crate) fn hidden_by(report: &Report, style: &Style, out: &mut dyn Write) -> io::Result<()> {
    let Some(failure) = &report.failure else {
        return Ok(());
    };
    let width = usize::from(style.width).clamp(40, 100);
    for m in &failure.misleading {
        // Both labels end at column 12; wrapped text hangs under the text.
        let shown = m.shown.lines().next().unwrap_or("").trim();
        let lead = format!("  {}", style.yellow("hidden by:"));
        hanging(&lead, 12, shown, width, out)?;
        let hidden = m.hidden_cause.lines().next().unwrap_or("").trim();
        let lead = format!("     {}", style.dim("it hid:"));
        hanging(&lead, 12, hidden, width, out)?;
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
