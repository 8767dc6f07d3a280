//! The only code that prints: human, JSON and GitHub renderings of a [`Report`].
//!
//! Renderers take the report, an explicit [`Style`] and any `impl Write`; `main` picks the
//! stream and resolves colour once.

pub mod env;
pub mod github;
pub mod json;
pub mod scan;
pub mod style;
pub mod tree;

use std::io::{self, Write};

use crate::cli::Format;
use crate::outcome::{Command, Report};
pub use style::Style;

pub fn render(
    report: &Report,
    format: Format,
    style: &Style,
    out: &mut dyn Write,
) -> io::Result<()> {
    match format {
        Format::Json => json::render(report, out),
        Format::Human if report.command == Command::Env => env::render(report, style, out),
        Format::Human if report.command == Command::Ldd => tree::render(report, style, out),
        Format::Human if report.command == Command::Scan => scan::render(report, style, out),
        Format::Github => github::render(report, out),
        Format::Human => {
            // Filled in by the human renderer.
            let _ = style;
            writeln!(out, "{:?}", report.status)
        }
    }
}
