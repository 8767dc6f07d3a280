//! The human report of `check`, `explain` and `scan`: a one-line verdict first, then what hid
//! the cause, a short explanation, and the fixes as copy-pasteable snippets.
//!
//! Readable at 80 columns; colour only through [`Style`].

use std::io::{self, Write};

use crate::evidence::{CudaFacts, Finding};
use crate::outcome::Status;
use crate::report::blocks::hanging;
use crate::report::diagnosis::{diagnosis_block, hidden_by};
use crate::report::text::shorten_path;
use crate::report::{Report, Style};

pub fn render(report: &Report, style: &Style, out: &mut dyn Write) -> io::Result<()> {
    match report.status {
        Status::Ok => writeln!(out, "{} {}", style.green("✓"), ok_verdict(report))?,
        Status::Problems => {
            let failures = report.diagnoses.iter().filter(|d| !d.advisory);
            for (i, diagnosis) in failures.enumerate() {
                if i > 0 {
                    writeln!(out)?;
                }
                diagnosis_block(report, diagnosis, i == 0, style, out)?;
            }
            uncovered_findings(report, style, out)?;
        }
        Status::Undiagnosed => undiagnosed(report, style, out)?,
    }
    if report.status != Status::Ok {
        modules_that_import(report, style, out)?;
    }
    // Advice for a set-up that works only in this shell: after the verdict, never instead.
    for diagnosis in report.diagnoses.iter().filter(|d| d.advisory) {
        writeln!(out)?;
        diagnosis_block(report, diagnosis, false, style, out)?;
    }
    // A venv that `pydoctor fix` fixed says so.
    if let Some(fixed) = report.extra.check().and_then(|c| c.fixed.as_deref()) {
        writeln!(out, "  {} {fixed}", style.dim("note:"))?;
    }
    if let Some(cuda) = &report.environment.cuda {
        cuda_block(cuda, style, out)?;
    }
    let advised: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|f| !advisory_covers(report, f))
        .collect();
    warnings(&advised, style, out)
}

/// A latent finding an advisory diagnosis explains (it is not warned about twice).
fn advisory_covers(report: &Report, f: &Finding) -> bool {
    f.latent
        && report.diagnoses.iter().any(|d| {
            d.advisory
                && d.kind == f.kind
                && f.library
                    .as_ref()
                    .is_some_and(|l| d.libraries.contains(l) || d.library.as_ref() == Some(l))
        })
}

/// `check A B` where only some fail: the others are named too, so each module is reported.
fn modules_that_import(report: &Report, style: &Style, out: &mut dyn Write) -> io::Result<()> {
    let Some(modules) = report.extra.check().and_then(|c| c.modules.as_deref()) else {
        return Ok(());
    };
    let fine: Vec<&str> = modules
        .iter()
        .filter(|m| m.ok == Some(true))
        .map(|m| m.module.as_str())
        .collect();
    if fine.is_empty() {
        return Ok(());
    }
    writeln!(out)?;
    for module in fine {
        writeln!(out, "{} {module} imports fine", style.green("✓"))?;
    }
    Ok(())
}

/// One line that says what was checked: for `check`, each module and how many ELF files of it
/// were resolved; otherwise just that nothing is wrong.
fn ok_verdict(report: &Report) -> String {
    let modules = report.extra.check().and_then(|c| c.modules.as_deref());
    let Some(modules) = modules.filter(|m| !m.is_empty()) else {
        // `explain` of text with nothing in it to diagnose says so (the note of the JSON).
        return match report.extra.note() {
            Some(note) if report.command == crate::outcome::Command::Explain => {
                format!("no problem found: {note}")
            }
            _ => "no problem found".into(),
        };
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
            let name = &m.module;
            let verb = if m.imported { "imports" } else { "resolves" };
            match m.elf_files {
                0 => format!("{name} {verb} fine"),
                1 => format!("{name} {verb} fine; its 1 ELF file resolves"),
                n => format!("{name} {verb} fine; all {n} of its ELF files resolve"),
            }
        })
        .collect();
    format!("{}{python}", parts.join("; "))
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
    if what.is_empty() {
        // Nothing recognisable (an empty paste, or text without any error): say that, not
        // that a rule is missing.
        let note = report
            .extra
            .note()
            .unwrap_or("no Python error or loader message found");
        return writeln!(
            out,
            "{} {} {note}",
            style.yellow("?"),
            style.yellow("nothing to diagnose:")
        );
    }
    writeln!(
        out,
        "{} {} {what}",
        style.yellow("?"),
        style.yellow("undiagnosed:")
    )?;
    hidden_by(report, style, out)?;
    for f in report
        .findings
        .iter()
        .filter(|f| !f.latent && f.detail != what)
    {
        writeln!(out, "  {} {}", style.dim("found:"), f.detail)?;
    }
    writeln!(
        out,
        "  {}",
        style
            .dim("No rule explains this failure; it is a gap in pydoctor's rules worth reporting.")
    )?;
    let steps = report.extra.explain().and_then(|e| e.next_steps.as_deref());
    for step in steps.into_iter().flatten() {
        writeln!(out, "  {} {step}", style.dim("next:"))?;
    }
    Ok(())
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
    let width = usize::from(style.width).clamp(40, 100);
    for f in rest {
        hanging(&style.dim("also found:"), 11, &f.detail, width, out)?;
    }
    Ok(())
}

/// Advisory findings: true today, but fragile (found only through LD_LIBRARY_PATH, or only
/// because another module loaded the library first).
fn warnings(findings: &[&Finding], style: &Style, out: &mut dyn Write) -> io::Result<()> {
    let width = usize::from(style.width).clamp(40, 100);
    let latent: Vec<&Finding> = findings.iter().copied().filter(|f| f.latent).collect();
    if !latent.is_empty() {
        writeln!(out)?;
    }
    for f in latent {
        let by = f
            .required_by
            .as_deref()
            .map(|p| format!(" ({})", shorten_path(p)))
            .unwrap_or_default();
        let text = format!("{}{by}", f.detail);
        hanging(&style.yellow("warning:"), 8, &text, width, out)?;
    }
    Ok(())
}

/// `check --cuda`: where each CUDA library would come from, the driver dir, stubs, version.
fn cuda_block(cuda: &CudaFacts, style: &Style, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out)?;
    writeln!(out, "CUDA libraries, as the loader would find them:")?;
    for lib in &cuda.libraries {
        match (&lib.path, lib.found_via) {
            (Some(path), via) => {
                let via = via
                    .map(|v| format!(" ({})", v.as_str()))
                    .unwrap_or_default();
                let stub = if lib.stub {
                    style.red(" STUB: fails every call")
                } else {
                    String::new()
                };
                writeln!(
                    out,
                    "  {} {} ({}): {}{via}{stub}",
                    if lib.stub {
                        style.red("✗")
                    } else {
                        style.green("✓")
                    },
                    lib.soname,
                    lib.how,
                    shorten_path(path)
                )?;
            }
            (None, _) => {
                writeln!(
                    out,
                    "  {} {} ({}): not found; tried {}",
                    style.red("✗"),
                    lib.soname,
                    lib.how,
                    if lib.tried.is_empty() {
                        "no dirs".to_string()
                    } else {
                        lib.tried.join(", ")
                    }
                )?;
            }
        }
    }
    let dir = match (cuda.driver_dir_exists, cuda.driver_dir_has_libcuda) {
        (false, _) => "absent",
        (true, false) => "exists, without libcuda.so.1",
        (true, true) => "holds libcuda.so.1",
    };
    writeln!(
        out,
        "  {} {}: {dir}",
        style.dim("driver dir"),
        cuda.driver_dir
    )?;
    for stub in &cuda.stubs {
        let hides = stub
            .shadows
            .as_deref()
            .map(|s| format!(", hiding {s}"))
            .unwrap_or_default();
        writeln!(
            out,
            "  {} stub {} on LD_LIBRARY_PATH{hides}",
            style.red("✗"),
            stub.path
        )?;
    }
    let version = cuda
        .driver_version
        .as_deref()
        .unwrap_or("unknown (no /proc/driver/nvidia/version)");
    writeln!(out, "  {} {version}", style.dim("driver version:"))
}
