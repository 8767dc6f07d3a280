//! Blocks the human reports share: a fix with its verification mark, a titled line whose
//! tail moves to its own line when there is no room, a label with hanging text.

use std::io::{self, Write};

use crate::outcome::{Fix, Verification};
use crate::report::Style;
use crate::report::text::{wrap, wrap_titled};

/// `lead` (`lead_len` columns wide as printed without colour), then `text` wrapped so that
/// continuation lines hang under the text's first column.
pub(crate) fn hanging(
    lead: &str,
    lead_len: usize,
    text: &str,
    width: usize,
    out: &mut dyn Write,
) -> io::Result<()> {
    let column = lead_len + 1;
    for (i, line) in wrap(text, width.saturating_sub(column).max(20))
        .into_iter()
        .enumerate()
    {
        if i == 0 {
            writeln!(out, "{lead} {line}")?;
        } else {
            writeln!(out, "{:column$}{line}", "")?;
        }
    }
    Ok(())
}

pub(crate) fn fix_block(
    n: usize,
    fix: &Fix,
    width: usize,
    style: &Style,
    out: &mut dyn Write,
) -> io::Result<()> {
    let plain = Style {
        color: false,
        ..*style
    };
    let tail_plain = format!("  [{}]  {}", fix.id, mark(fix.verified, &plain));
    let tail = format!(
        "  {}  {}",
        style.dim(&format!("[{}]", fix.id)),
        mark(fix.verified, style)
    );
    let heading = format!("help {n}:");
    titled(
        &heading,
        &fix.title,
        &tail,
        tail_plain.chars().count(),
        width,
        style,
        out,
    )?;
    if let Some(snippet) = &fix.snippet {
        for line in snippet.lines() {
            if line.is_empty() {
                writeln!(out)?;
            } else {
                writeln!(out, "      {line}")?;
            }
        }
    }
    if let Some(note) = &fix.note {
        for (i, line) in wrap(note, width - 10).into_iter().enumerate() {
            let lead = if i == 0 { "note:" } else { "     " };
            writeln!(out, "    {} {line}", style.dim(lead))?;
        }
    }
    Ok(())
}

/// `  help N: title  tail`, the title wrapped under itself and the tail moved to a line of its
/// own when the last title line has no room for it. Shared with the rule report.
pub fn titled(
    heading: &str,
    title: &str,
    tail: &str,
    tail_len: usize,
    width: usize,
    style: &Style,
    out: &mut dyn Write,
) -> io::Result<()> {
    let lead = 2 + heading.chars().count() + 1;
    let (lines, tail_own_line) = wrap_titled(title, lead, tail_len, width);
    let last = lines.len().saturating_sub(1);
    for (i, line) in lines.iter().enumerate() {
        let tail_here = if i == last && !tail_own_line {
            tail
        } else {
            ""
        };
        if i == 0 {
            let heading = style.green(heading);
            writeln!(out, "  {heading} {}{tail_here}", style.bold(line))?;
        } else {
            writeln!(out, "{:lead$}{}{tail_here}", "", style.bold(line))?;
        }
    }
    if tail_own_line {
        writeln!(out, "{:lead$}{}", "", tail.trim_start())?;
    }
    Ok(())
}

fn mark(v: Verification, style: &Style) -> String {
    match v {
        Verification::Verified => style.green("✓ verified"),
        Verification::Partial => style.yellow("! partial"),
        Verification::NotChecked => style.dim("· not checked"),
        Verification::Failed => style.red("✗ failed"),
    }
}
