//! The human rendering of `ldd`: one tree per file, in the spirit of libtree. Every edge says
//! how the library was found; a missing one is red with every directory tried; a library met
//! before is folded; version problems and refused executable stacks are shown on the library.

use std::io::{self, Write};

use crate::loader::report::{NeededLibrary, ResolvedObject};
use crate::report::payload::{LddPayload, Payload};
use crate::report::{Report, Style};

pub fn render(report: &Report, style: &Style, out: &mut dyn Write) -> io::Result<()> {
    let python = &report.environment.python;
    if let Some(loader) = &python.loader {
        let glibc = match &report.extra {
            Payload::Ldd(LddPayload { loader }) => loader.glibc_version.as_deref(),
            _ => None,
        };
        let glibc = glibc.map(|v| format!(" glibc {v}")).unwrap_or_default();
        writeln!(
            out,
            "{}",
            style.dim(&format!(
                "loader {loader} ({}{glibc})",
                python.loader_flavor.as_str()
            ))
        )?;
    }
    for object in report.objects.as_deref().unwrap_or_default() {
        render_object(object, style, out)?;
    }
    let problems = report.findings.iter().filter(|f| !f.latent).count();
    let latent = report.findings.len() - problems;
    if problems > 0 {
        writeln!(
            out,
            "{}",
            style.red(&format!("{problems} problem(s) found"))
        )?;
    }
    if latent > 0 {
        writeln!(
            out,
            "{}",
            style.yellow(&format!(
                "{latent} library(ies) found only through this environment (LD_LIBRARY_PATH or an earlier import)"
            ))
        )?;
    }
    Ok(())
}

fn render_object(object: &ResolvedObject, style: &Style, out: &mut dyn Write) -> io::Result<()> {
    paint(out, style, Style::bold, &object.path)?;
    if let Some(error) = &object.error {
        out.write_all(b" ")?;
        paint(out, style, Style::red, &error.to_string())?;
        return out.write_all(b"\n");
    }
    if object.executable_stack {
        out.write_all(b" ")?;
        paint(out, style, Style::red, EXEC_STACK)?;
    }
    out.write_all(b"\n")?;
    let mut prefix = String::with_capacity(256);
    render_children(&object.needed, &mut prefix, style, out)
}

const EXEC_STACK: &str = "needs an executable stack (refused by glibc ≥ 2.41)";

/// `text`, painted by `how` only when colour is on (no copy of the text otherwise).
fn paint(
    out: &mut dyn Write,
    style: &Style,
    how: fn(&Style, &str) -> String,
    text: &str,
) -> io::Result<()> {
    if style.color {
        out.write_all(how(style, text).as_bytes())
    } else {
        out.write_all(text.as_bytes())
    }
}

/// `prefix` is the indentation of the children; it is extended and restored in place.
fn render_children(
    libs: &[NeededLibrary],
    prefix: &mut String,
    style: &Style,
    out: &mut dyn Write,
) -> io::Result<()> {
    for (i, lib) in libs.iter().enumerate() {
        let last = i + 1 == libs.len();
        let (branch, cont) = if last {
            ("└── ", "    ")
        } else {
            ("├── ", "│   ")
        };
        out.write_all(prefix.as_bytes())?;
        out.write_all(branch.as_bytes())?;
        let len = prefix.len();
        prefix.push_str(cont);
        render_edge(lib, prefix, style, out)?;
        if !lib.repeated {
            render_children(&lib.needed, prefix, style, out)?;
        }
        prefix.truncate(len);
    }
    Ok(())
}

/// One note line under an edge: the child prefix, four spaces, `indent`, the painted text.
fn note(
    out: &mut dyn Write,
    prefix: &str,
    indent: &str,
    style: &Style,
    how: fn(&Style, &str) -> String,
    text: &str,
) -> io::Result<()> {
    out.write_all(prefix.as_bytes())?;
    out.write_all(b"    ")?;
    out.write_all(indent.as_bytes())?;
    paint(out, style, how, text)?;
    out.write_all(b"\n")
}

fn render_edge(
    lib: &NeededLibrary,
    prefix: &str,
    style: &Style,
    out: &mut dyn Write,
) -> io::Result<()> {
    let Some(path) = &lib.path else {
        return render_missing(lib, prefix, style, out);
    };
    let via = lib.found_via.map(|v| v.as_str()).unwrap_or("?");
    if lib.version_problems.is_empty() && !lib.executable_stack {
        out.write_all(lib.soname.as_bytes())?;
    } else {
        paint(out, style, Style::red, &lib.soname)?;
    }
    out.write_all(b" ")?;
    paint(out, style, Style::dim, path)?;
    out.write_all(b" ")?;
    if style.color {
        paint(out, style, Style::cyan, &format!("[{via}]"))?;
    } else {
        write!(out, "[{via}]")?;
    }
    if lib.latent {
        out.write_all(b" ")?;
        paint(out, style, Style::yellow, "(only through this environment)")?;
    }
    if lib.repeated {
        out.write_all(b" ")?;
        paint(out, style, Style::dim, "(see above)")?;
    }
    out.write_all(b"\n")?;
    for p in &lib.version_problems {
        let newest = p
            .newest_available
            .as_deref()
            .map(|n| format!(", newest is {n}"))
            .unwrap_or_default();
        let text = format!(
            "version `{}' not found (required by {}){newest}",
            p.version, p.required_by
        );
        note(out, prefix, "", style, Style::red, &text)?;
    }
    if lib.executable_stack {
        note(out, prefix, "", style, Style::red, EXEC_STACK)?;
    }
    Ok(())
}

fn render_missing(
    lib: &NeededLibrary,
    prefix: &str,
    style: &Style,
    out: &mut dyn Write,
) -> io::Result<()> {
    let what = lib
        .error
        .as_ref()
        .map_or_else(|| "not found".to_string(), ToString::to_string);
    paint(out, style, Style::red, &lib.soname)?;
    out.write_all(b" ")?;
    paint(out, style, Style::red, &what)?;
    out.write_all(b"\n")?;
    if !lib.tried.is_empty() {
        note(out, prefix, "", style, Style::dim, "searched, in order:")?;
    }
    // The loader reads its cache between RUNPATH and the default dirs: list it there.
    let mut cache = lib
        .cache_searched
        .as_ref()
        .map(|c| format!("{c}  (ld.so.cache)"));
    for (i, dir) in lib.tried.iter().enumerate() {
        let via = lib.tried_via.get(i).map(String::as_str);
        if via == Some("default-dir")
            && let Some(c) = cache.take()
        {
            note(out, prefix, "  ", style, Style::dim, &c)?;
        }
        let via = via
            .map(|v| format!("  ({})", short_via(v)))
            .unwrap_or_default();
        note(out, prefix, "  ", style, Style::dim, &format!("{dir}{via}"))?;
    }
    if let Some(c) = cache {
        note(out, prefix, "  ", style, Style::dim, &c)?;
    }
    for r in &lib.rejected {
        let text = format!("skipped {}: {}", r.path, r.reason);
        note(out, prefix, "", style, Style::yellow, &text)?;
    }
    Ok(())
}

/// `rpath of /long/path/to/libx.so` → `rpath of libx.so`: the tree already shows where each
/// object sits; the full path stays in the JSON.
fn short_via(via: &str) -> String {
    match via.split_once(" of ") {
        Some((list, path)) => {
            let name = path.rsplit('/').next().unwrap_or(path);
            format!("{list} of {name}")
        }
        None => via.to_string(),
    }
}
