//! JSON output: one object on stdout per run (docs/json.md, schema version 1).

use std::io::{self, Write};

use rayon::prelude::*;
use serde::Serialize;
use serde_json::ser::Formatter;
use serde_json::value::RawValue;

use crate::outcome::{Command, SCHEMA_VERSION};
use crate::report::Report;

/// Serialise the whole document first, so a failure can never leave half a document behind.
pub fn render(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let mut text = compact_report(report)?;
    if text.len() <= PRETTY_UP_TO {
        text = pretty(report)?;
    }
    text.push(b'\n');
    out.write_all(&text)
}

/// The report in compact form, byte for byte `serde_json::to_vec(report)`, with its
/// objects (a many-file `ldd` or `scan`: a megabyte) serialised in parallel first and then
/// written as they are.
fn compact_report(report: &Report) -> io::Result<Vec<u8>> {
    let Some(objects) = &report.objects else {
        return serde_json::to_vec(report).map_err(io::Error::other);
    };
    let rendered: Vec<Box<RawValue>> = objects
        .par_iter()
        .map(serde_json::value::to_raw_value)
        .collect::<Result<_, _>>()
        .map_err(io::Error::other)?;
    let document = report
        .document(Some(rendered.as_slice()))
        .map_err(io::Error::other)?;
    serde_json::to_vec(&document).map_err(io::Error::other)
}

fn pretty(value: &impl Serialize) -> io::Result<Vec<u8>> {
    let mut text = Vec::with_capacity(64 * 1024);
    let mut ser = serde_json::Serializer::with_formatter(&mut text, Indented::default());
    value.serialize(&mut ser).map_err(io::Error::other)?;
    Ok(text)
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
    write_document(&doc, out)
}

/// Pretty-printed (two-space indent) into one buffer, then written in one call. A large
/// document (a many-file `ldd` or `scan`) is written compact: pretty printing doubled the
/// size of a 400-file `ldd` document (2 MB) and cost a fifth of the run; such a document
/// is read by programs, and `jq .` indents it for a person.
fn write_document(value: &impl Serialize, out: &mut dyn Write) -> io::Result<()> {
    let mut text = serde_json::to_vec(value).map_err(io::Error::other)?;
    if text.len() <= PRETTY_UP_TO {
        text = pretty(value)?;
    }
    text.push(b'\n');
    out.write_all(&text)
}

/// Compact size up to which the document is indented.
const PRETTY_UP_TO: usize = 256 * 1024;

/// The same bytes as serde_json's `PrettyFormatter` with a two-space indent, but each
/// indentation written as one slice rather than one write per level: a 400-file `ldd`
/// document is nested a dozen levels deep and 2 MB long.
#[derive(Default)]
struct Indented {
    level: usize,
    has_value: bool,
}

/// Newline followed by spaces, sliced to the indentation wanted.
const NEWLINE_AND_SPACES: &[u8; 129] = b"\n                                                                                                                                ";

impl Indented {
    fn newline_and_indent<W: ?Sized + Write>(&self, w: &mut W) -> io::Result<()> {
        let mut spaces = self.level * 2;
        let first = spaces.min(NEWLINE_AND_SPACES.len() - 1);
        w.write_all(&NEWLINE_AND_SPACES[..=first])?;
        spaces -= first;
        while spaces > 0 {
            let n = spaces.min(NEWLINE_AND_SPACES.len() - 1);
            w.write_all(&NEWLINE_AND_SPACES[1..=n])?;
            spaces -= n;
        }
        Ok(())
    }
}

impl Formatter for Indented {
    fn begin_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.level += 1;
        self.has_value = false;
        w.write_all(b"[")
    }

    fn end_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.level -= 1;
        if self.has_value {
            self.newline_and_indent(w)?;
        }
        w.write_all(b"]")
    }

    fn begin_array_value<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        if !first {
            w.write_all(b",")?;
        }
        self.newline_and_indent(w)
    }

    fn end_array_value<W: ?Sized + Write>(&mut self, _w: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }

    fn begin_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.level += 1;
        self.has_value = false;
        w.write_all(b"{")
    }

    fn end_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.level -= 1;
        if self.has_value {
            self.newline_and_indent(w)?;
        }
        w.write_all(b"}")
    }

    fn begin_object_key<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        if !first {
            w.write_all(b",")?;
        }
        self.newline_and_indent(w)
    }

    fn begin_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        w.write_all(b": ")
    }

    fn end_object_value<W: ?Sized + Write>(&mut self, _w: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::loader::report::ResolvedObject;
    use crate::report::payload::{CheckPayload, Payload};

    #[test]
    fn output_is_byte_for_byte_serde_jsons_pretty_form() {
        let deep = (0..80).fold(
            serde_json::json!([]),
            |v, i| serde_json::json!({ "k": v, "i": i, "e": [], "o": {}, "s": "x\"y" }),
        );
        let mut out = Vec::new();
        write_document(&deep, &mut out).unwrap();
        let expected = serde_json::to_string_pretty(&deep).unwrap() + "\n";
        assert_eq!(String::from_utf8(out).unwrap(), expected);
    }

    #[test]
    fn a_large_document_is_compact_and_the_same_data() {
        let big: Vec<String> = (0..40_000).map(|i| format!("lib{i}.so")).collect();
        let mut out = Vec::new();
        write_document(&big, &mut out).unwrap();
        assert_eq!(
            out,
            (serde_json::to_string(&big).unwrap() + "\n").into_bytes()
        );
    }

    #[test]
    fn a_report_with_objects_serialised_in_parallel_is_serde_jsons_compact_form() {
        let report = |objects| Report {
            objects,
            ..Report::new(Command::Ldd, Default::default())
        };
        let object = |i: usize| ResolvedObject {
            path: format!("/x/lib{i}.so"),
            error: None,
            needed: Vec::new(),
            elf: None,
            executable_stack: false,
            loader: Some("/lib64/ld-linux-x86-64.so.2".into()),
        };
        for objects in [None, Some(Vec::new()), Some((0..3).map(object).collect())] {
            let mut r = report(objects);
            r.extra = Payload::Check(CheckPayload {
                note: Some("objects: []".into()),
                ..CheckPayload::default()
            });
            assert_eq!(compact_report(&r).unwrap(), serde_json::to_vec(&r).unwrap());
        }
    }
}
