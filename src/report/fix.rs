//! The human report of `fix`: what was done in one line, then the libraries, the files changed,
//! the manifest, the pins and the declarative equivalent. When the fix cannot be applied, the
//! diagnosis as `check` shows it, then why `fix` leaves it to the user.

use std::io::{self, Write};

use crate::fix::{FixAction, FixOutcome};
use crate::report::text::wrap;
use crate::report::{Report, Style, human};

pub fn render(report: &Report, style: &Style, out: &mut dyn Write) -> io::Result<()> {
    let Some(fix) = &report.fix else {
        return human::render(report, style, out);
    };
    match fix.action {
        FixAction::NothingToFix => {
            human::render(report, style, out)?;
            writeln!(out, "{} nothing to fix", style.green("✓"))?;
        }
        FixAction::AlreadyFixed => {
            human::render(report, style, out)?;
            let on = date(fix.fixed_on.as_deref());
            writeln!(
                out,
                "{} already fixed by pydoctor fix on {on}; nothing changed",
                style.green("✓")
            )?;
        }
        FixAction::Applied => applied(report, fix, style, out)?,
        FixAction::DryRun => {
            problems(report, style, out)?;
            writeln!(
                out,
                "{} plan (dry run: nothing was changed)",
                style.yellow("·")
            )?;
            details(fix, style, out)?;
        }
        FixAction::RolledBack => rolled_back(fix, style, out)?,
        FixAction::CannotApply => cannot_apply(report, fix, style, out)?,
        FixAction::Undone => undone(fix, style, out)?,
        FixAction::NothingToUndo => {
            writeln!(
                out,
                "{} nothing to undo: this venv holds no pydoctor fix",
                style.green("✓")
            )?;
        }
    }
    if let Some(recovered) = &fix.recovered {
        writeln!(out, "  {} {recovered}", style.dim("note:"))?;
    }
    Ok(())
}

fn applied(
    report: &Report,
    fix: &FixOutcome,
    style: &Style,
    out: &mut dyn Write,
) -> io::Result<()> {
    let modules: Vec<&str> = fix.verification.iter().map(|m| m.module.as_str()).collect();
    writeln!(
        out,
        "{} {} {} now imports (checked in a fresh process)",
        style.green("✓"),
        style.green("fixed:"),
        modules.join(", ")
    )?;
    for d in &report.diagnoses {
        writeln!(out, "  {} {}", style.dim("was:"), d.summary)?;
    }
    details(fix, style, out)
}

fn rolled_back(fix: &FixOutcome, style: &Style, out: &mut dyn Write) -> io::Result<()> {
    let why = fix.reason.as_deref().unwrap_or("");
    writeln!(
        out,
        "{} {} {why}",
        style.red("✗"),
        style.red("rolled back:")
    )?;
    for m in fix.verification.iter().filter(|m| !m.ok) {
        let error = m.error.as_deref().unwrap_or("failed");
        writeln!(out, "  {} {}: {error}", style.dim("import"), m.module)?;
    }
    Ok(())
}

fn cannot_apply(
    report: &Report,
    fix: &FixOutcome,
    style: &Style,
    out: &mut dyn Write,
) -> io::Result<()> {
    if !report.diagnoses.is_empty() {
        human::render(report, style, out)?;
        writeln!(out)?;
    }
    let why = fix.reason.as_deref().unwrap_or("");
    let text = format!("{why}. Nothing was changed; apply the fix shown yourself.");
    let lead = "pydoctor fix cannot apply this:";
    let width = usize::from(style.width).clamp(40, 100);
    for (i, line) in wrap(&text, width - 4).into_iter().enumerate() {
        if i == 0 {
            writeln!(out, "{} {}", style.red("✗"), style.red(lead))?;
        }
        writeln!(out, "  {line}")?;
    }
    Ok(())
}

fn undone(fix: &FixOutcome, style: &Style, out: &mut dyn Write) -> io::Result<()> {
    let on = date(fix.fixed_on.as_deref());
    writeln!(
        out,
        "{} {} the venv is as it was before the fix of {on}",
        style.green("✓"),
        style.green("undone:")
    )?;
    for change in &fix.changes {
        writeln!(out, "  - {}", change.path)?;
    }
    Ok(())
}

/// One line per diagnosis: what the plan is for (`check` shows the whole diagnosis).
fn problems(report: &Report, style: &Style, out: &mut dyn Write) -> io::Result<()> {
    for d in &report.diagnoses {
        writeln!(
            out,
            "{} {} {}",
            style.red("✗"),
            style.red("problem:"),
            style.bold(&d.summary)
        )?;
    }
    Ok(())
}

/// `2026-12-01` of `2026-12-01T09:55:00Z`.
fn date(time: Option<&str>) -> &str {
    time.and_then(|t| t.split('T').next()).unwrap_or("?")
}

/// Libraries, files, manifest, pins, and the declarative equivalent.
fn details(fix: &FixOutcome, style: &Style, out: &mut dyn Write) -> io::Result<()> {
    writeln!(
        out,
        "  {}",
        style.dim("loaded at start-up, by absolute path:")
    )?;
    let width = fix
        .libraries
        .iter()
        .map(|l| l.soname.len())
        .max()
        .unwrap_or(0);
    for library in &fix.libraries {
        writeln!(out, "    {:<width$}  {}", library.soname, library.path)?;
    }
    writeln!(out, "  {}", style.dim("files (inside the venv only):"))?;
    for change in &fix.changes {
        writeln!(out, "    + {}", change.path)?;
    }
    if let Some(manifest) = &fix.manifest {
        writeln!(
            out,
            "  {} {manifest} (undo: pydoctor fix --undo)",
            style.dim("manifest:")
        )?;
    }
    for pin in &fix.pins {
        match (&pin.root, &pin.note) {
            (Some(root), _) if pin.pinned => writeln!(
                out,
                "  {} {} ({root})",
                style.dim("pinned:"),
                pin.store_path
            )?,
            (_, note) => writeln!(
                out,
                "  {} {}: {}",
                style.yellow("not pinned:"),
                pin.store_path,
                note.as_deref().unwrap_or("")
            )?,
        }
    }
    if !fix.declarative.is_empty() {
        writeln!(out)?;
        writeln!(
            out,
            "  {}",
            style.dim("to make it permanent in your own configuration:")
        )?;
        for d in &fix.declarative {
            writeln!(out, "    {:<8}  {}", format!("{}:", d.tool), d.snippet)?;
        }
    }
    Ok(())
}
