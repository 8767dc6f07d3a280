//! The human rendering of `scan`: a one-line verdict, a table with one row per distribution,
//! then the details of each distribution's problems and the rules' diagnoses, once per cause.
//! Also the progress bar `scan` shows on a terminal's stderr while it resolves.
//!
//! Everything is read from the report: its [`ScanPayload`] and its diagnoses.

use std::io::{self, Write};

use comfy_table::{Cell, CellAlignment, ContentArrangement, Table, presets};
use std::sync::atomic::{AtomicU64, Ordering};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::evidence::CauseKind;
use crate::report::payload::{Payload, ScanFacts, ScanPayload};
use crate::report::{Report, Style};
use crate::scan::walk::WalkError;
use crate::scan::{PackageProblem, PackageSummary};

/// At most this many files are listed under one problem; the rest are counted.
const MAX_FILES_LISTED: usize = 5;

pub fn render(report: &Report, style: &Style, out: &mut dyn Write) -> io::Result<()> {
    let Payload::Scan(ScanPayload { scan, packages, .. }) = &report.extra else {
        return Err(io::Error::other("a scan report without its scan"));
    };
    writeln!(out, "{}", verdict(packages, scan, report, style))?;
    if !packages.is_empty() {
        writeln!(out)?;
        writeln!(out, "{}", table(packages, style))?;
    }
    for package in packages.iter().filter(|p| !p.problems.is_empty()) {
        writeln!(out)?;
        render_package(package, style, out)?;
    }
    if !report.diagnoses.is_empty() {
        writeln!(out)?;
        for (i, diagnosis) in report.diagnoses.iter().enumerate() {
            if i > 0 {
                writeln!(out)?;
            }
            super::diagnosis::diagnosis_block(report, diagnosis, false, style, out)?;
        }
    }
    render_walk_errors(&scan.errors, style, out)
}

fn verdict(
    packages: &[PackageSummary],
    scan: &ScanFacts,
    report: &Report,
    style: &Style,
) -> String {
    let files: usize = packages.iter().map(|p| p.files).sum();
    let failing: usize = packages.iter().map(|p| p.failing.len()).sum();
    let loader = match (&scan.loader, &scan.glibc_version) {
        (Some(l), Some(v)) => format!(" by {} (glibc {v})", l.display()),
        (Some(l), None) => format!(" by {}", l.display()),
        _ => String::new(),
    };
    let in_packages = format!(
        "{files} ELF file{} in {} package{}",
        plural(files),
        packages.len(),
        plural(packages.len())
    );
    if failing == 0 && report.findings.iter().all(|f| f.latent) {
        return format!(
            "{} {in_packages}: every one would load{loader}",
            style.green("✓")
        );
    }
    let names: Vec<&str> = packages
        .iter()
        .filter(|p| !p.failing.is_empty())
        .map(|p| p.name.as_str())
        .collect();
    let missing = distinct_libraries(packages, CauseKind::MissingSharedLibrary);
    let mut line = format!(
        "{} {failing} of {in_packages} would fail to load{loader}",
        style.red("✗")
    );
    if !names.is_empty() {
        line.push_str(&format!(": {}", names.join(", ")));
    }
    if !missing.is_empty() {
        line.push_str(&format!("; missing {}", missing.join(", ")));
    }
    line
}

fn distinct_libraries(packages: &[PackageSummary], kind: CauseKind) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for p in packages.iter().flat_map(|p| &p.problems) {
        if p.kind == kind
            && !p.latent
            && let Some(lib) = &p.library
            && !out.contains(lib)
        {
            out.push(lib.clone());
        }
    }
    out
}

fn table(packages: &[PackageSummary], style: &Style) -> Table {
    let mut table = Table::new();
    table
        .load_style(presets::UTF8_HORIZONTAL_ONLY)
        .force_no_tty()
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(style.width)
        .set_header(vec![
            "", "package", "version", "ELF", "failing", "missing", "versions", "other", "advisory",
        ]);
    for p in packages {
        let mark = if !p.failing.is_empty() {
            "✗"
        } else if p.latent > 0 {
            "!"
        } else {
            "✓"
        };
        let count = |n: usize| {
            Cell::new(if n == 0 {
                "-".to_string()
            } else {
                n.to_string()
            })
            .set_alignment(CellAlignment::Right)
        };
        table.add_row(vec![
            Cell::new(mark),
            Cell::new(&p.name),
            Cell::new(p.version.as_deref().unwrap_or("")),
            count(p.files),
            count(p.failing.len()),
            count(p.missing_libraries),
            count(p.unmet_versions),
            count(p.wrong_class + p.executable_stack),
            count(p.latent),
        ]);
    }
    table
}

fn render_package(package: &PackageSummary, style: &Style, out: &mut dyn Write) -> io::Result<()> {
    let version = package
        .version
        .as_deref()
        .map(|v| format!(" {v}"))
        .unwrap_or_default();
    writeln!(
        out,
        "{}{} — {} of {} ELF file{} would fail to load",
        style.bold(&package.name),
        version,
        package.failing.len(),
        package.files,
        plural(package.files)
    )?;
    for problem in &package.problems {
        render_problem(problem, style, out)?;
    }
    if !package.failing.is_empty() {
        writeln!(out, "  {}", style.dim("failing files:"))?;
        list_files(&package.failing, "    ", style, out)?;
    }
    Ok(())
}

fn render_problem(problem: &PackageProblem, style: &Style, out: &mut dyn Write) -> io::Result<()> {
    let library = problem.library.as_deref().unwrap_or("?");
    let mark = if problem.latent {
        style.yellow("!")
    } else {
        style.red("✗")
    };
    let headline = match problem.kind {
        CauseKind::MissingSharedLibrary if problem.latent => format!(
            "{library} found only through this environment ({})",
            problem.provider.as_deref().unwrap_or("?")
        ),
        CauseKind::MissingSharedLibrary => format!("{library} not found"),
        CauseKind::GlibcVersionTooOld | CauseKind::LibstdcxxVersionTooOld => {
            let newest = problem
                .newest_available
                .as_deref()
                .map(|n| format!(", newest there {n}"))
                .unwrap_or_default();
            format!(
                "{library} not defined by {}{newest}",
                problem.provider.as_deref().unwrap_or("the library found")
            )
        }
        CauseKind::ExecutableStack => {
            format!("{library} asks for an executable stack, which this glibc refuses")
        }
        _ => problem.detail.clone(),
    };
    writeln!(out, "  {mark} {headline}")?;
    if !problem.needed_by.is_empty() {
        writeln!(out, "    {}", style.dim("needed by:"))?;
        list_files(&problem.needed_by, "      ", style, out)?;
    }
    if !problem.tried.is_empty() {
        writeln!(
            out,
            "    {} {}",
            style.dim("tried:"),
            problem.tried.join(", ")
        )?;
    }
    Ok(())
}

fn list_files(
    files: &[String],
    indent: &str,
    style: &Style,
    out: &mut dyn Write,
) -> io::Result<()> {
    for file in files.iter().take(MAX_FILES_LISTED) {
        writeln!(out, "{indent}{file}")?;
    }
    if files.len() > MAX_FILES_LISTED {
        writeln!(
            out,
            "{indent}{}",
            style.dim(&format!("… and {} more", files.len() - MAX_FILES_LISTED))
        )?;
    }
    Ok(())
}

fn render_walk_errors(errors: &[WalkError], style: &Style, out: &mut dyn Write) -> io::Result<()> {
    if errors.is_empty() {
        return Ok(());
    }
    writeln!(out)?;
    writeln!(
        out,
        "{}",
        style.yellow(&format!(
            "{} path{} could not be read (not scanned):",
            errors.len(),
            plural(errors.len())
        ))
    )?;
    for e in errors {
        writeln!(out, "  {}: {}", e.path, e.message)?;
    }
    Ok(())
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// The progress bar of a long scan: stderr only, drawn only when asked to be visible.
pub struct Progress {
    bar: ProgressBar,
    terminal: bool,
    found: AtomicU64,
}

/// Below this many ELF files a scan is quick enough to need no progress bar.
const PROGRESS_THRESHOLD: u64 = 100;

impl Progress {
    /// A bar that appears on stderr once the walk has found many ELF files, and only when
    /// stderr is a terminal; files are counted as they are found, the total grows with them.
    pub fn new(terminal: bool) -> Progress {
        let bar = ProgressBar::hidden();
        bar.set_length(0);
        if let Ok(s) = ProgressStyle::with_template("resolving {bar:30} {pos}/{len} ELF files") {
            bar.set_style(s);
        }
        Progress {
            bar,
            terminal,
            found: AtomicU64::new(0),
        }
    }

    pub fn found(&self) {
        self.bar.inc_length(1);
        let found = self.found.fetch_add(1, Ordering::Relaxed) + 1;
        if self.terminal && found == PROGRESS_THRESHOLD {
            self.bar.set_draw_target(ProgressDrawTarget::stderr());
        }
    }

    pub fn tick(&self) {
        self.bar.inc(1);
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
