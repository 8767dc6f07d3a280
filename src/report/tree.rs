//! The human rendering of `ldd`: one tree per file, in the spirit of libtree. Every edge says
//! how the library was found; a missing one is red with every directory tried; a library met
//! before is folded; version problems and refused executable stacks are shown on the library.

use std::io::{self, Write};

use crate::loader::report::{NeededLibrary, ResolvedObject};
use crate::outcome::Report;

use super::Style;

pub fn render(report: &Report, style: &Style, out: &mut dyn Write) -> io::Result<()> {
    let python = &report.environment.python;
    if let Some(loader) = &python.loader {
        let glibc = report
            .extra
            .get("loader")
            .and_then(|l| l.get("glibc_version"))
            .and_then(|v| v.as_str())
            .map(|v| format!(" glibc {v}"))
            .unwrap_or_default();
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
    write!(out, "{}", style.bold(&object.path))?;
    if let Some(error) = &object.error {
        writeln!(out, " {}", style.red(error))?;
        return Ok(());
    }
    if object.executable_stack {
        write!(
            out,
            " {}",
            style.red("needs an executable stack (refused by glibc ≥ 2.41)")
        )?;
    }
    writeln!(out)?;
    render_children(&object.needed, "", style, out)
}

fn render_children(
    libs: &[NeededLibrary],
    prefix: &str,
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
        let child_prefix = format!("{prefix}{cont}");
        write!(out, "{prefix}{branch}")?;
        render_edge(lib, &child_prefix, style, out)?;
        if !lib.repeated {
            render_children(&lib.needed, &child_prefix, style, out)?;
        }
    }
    Ok(())
}

fn render_edge(
    lib: &NeededLibrary,
    prefix: &str,
    style: &Style,
    out: &mut dyn Write,
) -> io::Result<()> {
    let Some(path) = &lib.path else {
        let what = lib.error.as_deref().unwrap_or("not found");
        writeln!(out, "{} {}", style.red(&lib.soname), style.red(what))?;
        let note = format!("{prefix}    ");
        if !lib.tried.is_empty() {
            writeln!(out, "{note}{}", style.dim("searched, in order:"))?;
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
                writeln!(out, "{note}  {}", style.dim(&c))?;
            }
            let via = via
                .map(|v| format!("  ({})", short_via(v)))
                .unwrap_or_default();
            writeln!(out, "{note}  {}", style.dim(&format!("{dir}{via}")))?;
        }
        if let Some(c) = cache {
            writeln!(out, "{note}  {}", style.dim(&c))?;
        }
        for r in &lib.rejected {
            writeln!(
                out,
                "{note}{}",
                style.yellow(&format!("skipped {}: {}", r.path, r.reason))
            )?;
        }
        return Ok(());
    };
    let via = lib.found_via.map(|v| v.as_str()).unwrap_or("?");
    let tag = format!("[{via}]");
    let name = if lib.version_problems.is_empty() && !lib.executable_stack {
        lib.soname.clone()
    } else {
        style.red(&lib.soname)
    };
    write!(out, "{name} {} {}", style.dim(path), style.cyan(&tag))?;
    if lib.latent {
        write!(out, " {}", style.yellow("(only through this environment)"))?;
    }
    if lib.repeated {
        write!(out, " {}", style.dim("(see above)"))?;
    }
    writeln!(out)?;
    let note = format!("{prefix}    ");
    for p in &lib.version_problems {
        let newest = p
            .newest_available
            .as_deref()
            .map(|n| format!(", newest is {n}"))
            .unwrap_or_default();
        writeln!(
            out,
            "{note}{}",
            style.red(&format!(
                "version `{}' not found (required by {}){newest}",
                p.version, p.required_by
            ))
        )?;
    }
    if lib.executable_stack {
        writeln!(
            out,
            "{note}{}",
            style.red("needs an executable stack (refused by glibc ≥ 2.41)")
        )?;
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
