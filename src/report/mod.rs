//! The only code that prints: human, JSON and GitHub renderings of a [`Report`].
//!
//! Renderers take the report, an explicit [`Style`] and any `impl Write`; `main` picks the
//! stream and resolves colour once.

pub mod env;
pub mod fix;
pub mod github;
pub mod human;
pub mod json;
pub mod rules;
pub mod scan;
pub mod style;
pub mod text;
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
    match (format, report.command) {
        (Format::Json, _) => json::render(report, out),
        (Format::Github, _) => github::render(report, out),
        (Format::Human, Command::Rules) => rules::render(report, style, out),
        (Format::Human, Command::Env) => env::render(report, style, out),
        (Format::Human, Command::Scan) => scan::render(report, style, out),
        (Format::Human, Command::Ldd) => tree::render(report, style, out),
        (Format::Human, Command::Fix) => fix::render(report, style, out),
        (Format::Human, _) => human::render(report, style, out),
    }
}
