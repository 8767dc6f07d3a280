//! JSON output: one object on stdout per run (docs/json.md, schema version 1).

use std::io::{self, Write};

use serde::Serialize;
use serde_json::ser::Formatter;

use rayon::prelude::*;

use crate::loader::report::ResolvedObject;
use crate::outcome::{Command, Report, SCHEMA_VERSION};

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
/// objects (a many-file `ldd` or `scan`: a megabyte) serialised in parallel.
fn compact_report(report: &Report) -> io::Result<Vec<u8>> {
    let Some(objects) = &report.objects else {
        return serde_json::to_vec(report).map_err(io::Error::other);
    };
    let rendered: Vec<Vec<u8>> = objects
        .par_iter()
        .map(serde_json::to_vec)
        .collect::<Result<_, _>>()
        .map_err(io::Error::other)?;
    // Where `"objects":[…]` goes: the report without objects and with an empty list differ
    // by exactly that member; of the places it could have been inserted (around the first
    // differing byte, `,"` is ambiguous), the one where it reads `,"objects":[]`.
    let without = serde_json::to_vec(&shallow(report, None)).map_err(io::Error::other)?;
    let with_empty =
        serde_json::to_vec(&shallow(report, Some(Vec::new()))).map_err(io::Error::other)?;
    let len = with_empty.len() - without.len();
    let differs = without
        .iter()
        .zip(&with_empty)
        .position(|(a, b)| a != b)
        .unwrap_or(without.len());
    let at = (differs.saturating_sub(len)..=differs)
        .find(|&p| {
            with_empty[..p] == without[..p]
                && with_empty[p + len..] == without[p..]
                && with_empty[p..p + len]
                    .windows(EMPTY_OBJECTS.len())
                    .any(|w| w == EMPTY_OBJECTS)
        })
        .ok_or_else(|| io::Error::other("objects not found in the report"))?;
    let member = &with_empty[at..at + len];
    let brackets = member
        .windows(2)
        .position(|w| w == b"[]")
        .expect("the member holds []");
    let size = without.len() + len + rendered.iter().map(|r| r.len() + 1).sum::<usize>();
    let mut text = Vec::with_capacity(size);
    text.extend_from_slice(&without[..at]);
    text.extend_from_slice(&member[..=brackets]);
    for (i, object) in rendered.iter().enumerate() {
        if i > 0 {
            text.push(b',');
        }
        text.extend_from_slice(object);
    }
    text.extend_from_slice(&member[brackets + 1..]);
    text.extend_from_slice(&without[at..]);
    Ok(text)
}

/// The report with `objects` replaced (every other field copied; a field added to
/// [`Report`] must be added here, the compiler says so).
fn shallow(report: &Report, objects: Option<Vec<ResolvedObject>>) -> Report {
    Report {
        schema_version: report.schema_version,
        pydoctor_version: report.pydoctor_version.clone(),
        command: report.command,
        status: report.status,
        environment: report.environment.clone(),
        failure: report.failure.clone(),
        findings: report.findings.clone(),
        diagnoses: report.diagnoses.clone(),
        objects,
        extra: report.extra.clone(),
        fix: report.fix.clone(),
        input_errors: report.input_errors.clone(),
    }
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

/// The member a report's empty object list serialises to.
const EMPTY_OBJECTS: &[u8] = b"\"objects\":[]";

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
            r.extra
                .insert("after".into(), serde_json::json!({"objects": []}));
            assert_eq!(compact_report(&r).unwrap(), serde_json::to_vec(&r).unwrap());
        }
    }
}
