//! The only code that prints: human, JSON and GitHub renderings of a [`Report`], and the
//! report model itself (the common members and each command's typed [`Payload`]).
//!
//! Renderers take the report, an explicit [`Style`] and any `impl Write`; the commands layer
//! builds the [`OutputOptions`] once, from the flags and the environment.

pub mod diagnosis;
pub mod env;
pub mod fix;
pub mod github;
pub mod human;
pub mod json;
pub mod model;
pub mod payload;
pub mod rules;
pub mod scan;
pub mod style;
pub mod text;
pub mod tree;

mod blocks;

use std::io::{self, Write};

use crate::outcome::Command;
pub use model::Report;
pub use payload::Payload;
pub use style::{Format, OutputOptions, Style};

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

/// The report as the options ask: `--quiet` is the first line of the human report, the
/// verdict.
pub fn write(report: &Report, options: &OutputOptions, out: &mut dyn Write) -> io::Result<()> {
    if !(options.quiet && options.format == Format::Human) {
        return render(report, options.format, &options.style, out);
    }
    let mut whole = Vec::new();
    render(report, Format::Human, &options.style, &mut whole)?;
    let first = whole.split(|&b| b == b'\n').next().unwrap_or_default();
    out.write_all(first)?;
    out.write_all(b"\n")
}
