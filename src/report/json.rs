//! JSON output: one object on stdout per run (design.md, schema version 1).

use std::io::{self, Write};

use serde::Serialize;

use crate::outcome::{Command, Report, SCHEMA_VERSION};

/// Serialise the whole document first, so a failure can never leave half a document behind.
pub fn render(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let mut text = serde_json::to_string_pretty(report).map_err(io::Error::other)?;
    text.push('\n');
    out.write_all(text.as_bytes())
}

/// The document printed instead of a report when the command could not run (exit 2).
#[derive(Serialize)]
struct ErrorDocument<'a> {
    schema_version: u32,
    pydoctor_version: &'a str,
    command: Option<Command>,
    error: ErrorBody<'a>,
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    message: &'a str,
}

pub fn render_error(
    command: Option<Command>,
    message: &str,
    out: &mut dyn Write,
) -> io::Result<()> {
    let doc = ErrorDocument {
        schema_version: SCHEMA_VERSION,
        pydoctor_version: crate::version::long(),
        command,
        error: ErrorBody { message },
    };
    let mut text = serde_json::to_string_pretty(&doc).map_err(io::Error::other)?;
    text.push('\n');
    out.write_all(text.as_bytes())
}
