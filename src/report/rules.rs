//! Renderings of the rule database for `pydoctor rules`: the list as a table, one rule in
//! full, and docs/rules.md (`rules --markdown`), all from the report's [`RulesPayload`].

use std::fmt::Write as _;
use std::io::{self, Write};

use comfy_table::{ContentArrangement, Table, presets};

use crate::report::payload::{Payload, RuleSummary, RulesPayload, TablesView};
use crate::report::text::wrap;
use crate::report::{Report, Style};
use crate::rules::model::{Condition, FIX_IDS, FixTemplate, PlanKind, RuleDoc};
use crate::rules::template::PLACEHOLDERS;

pub fn render(report: &Report, style: &Style, out: &mut dyn Write) -> io::Result<()> {
    let Payload::Rules(payload) = &report.extra else {
        return Err(io::Error::other("a rules report without its rules"));
    };
    match payload {
        RulesPayload::Markdown { rules, tables, .. } => {
            out.write_all(markdown(rules, tables).as_bytes())
        }
        RulesPayload::One { rule, rule_file } => {
            one_rule(rule, Some(rule_file.as_str()), style, out)
        }
        RulesPayload::List { rules } => list(rules, style, out),
    }
}

fn list(rules: &[RuleSummary], style: &Style, out: &mut dyn Write) -> io::Result<()> {
    let mut table = Table::new();
    table
        .load_style(presets::NOTHING)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(style.width)
        .set_header(vec!["id", "kind", "summary"]);
    for rule in rules {
        let summary = if rule.status == "active" {
            rule.summary.clone()
        } else {
            format!("({}) {}", rule.status, rule.summary)
        };
        table.add_row(vec![rule.id.clone(), rule.kind.clone(), summary]);
    }
    for (i, line) in table.lines().enumerate() {
        let line = line.trim_end();
        let line = line.strip_prefix(' ').unwrap_or(line);
        if i == 0 {
            writeln!(out, "{}", style.bold(line))?;
        } else {
            writeln!(out, "{line}")?;
        }
    }
    writeln!(
        out,
        "\n{}",
        style.dim(&format!(
            "{} rules; `pydoctor rules ID` shows one.",
            rules.len()
        ))
    )
}

fn one_rule(
    rule: &RuleDoc,
    file: Option<&str>,
    style: &Style,
    out: &mut dyn Write,
) -> io::Result<()> {
    let width = usize::from(style.width).clamp(40, 100);
    writeln!(out, "{} {}", style.cyan(&rule.id), style.bold(&rule.name))?;
    let field = |name: &str| style.dim(&format!("{name:<9}"));
    writeln!(out, "  {} {}", field("kind:"), rule.kind)?;
    writeln!(
        out,
        "  {} {} (priority {})",
        field("status:"),
        rule.status.as_str(),
        rule.priority
    )?;
    // The label column is 12 wide; long values wrap under themselves.
    for (label, value) in [
        ("when:", when_text(&rule.when)),
        ("summary:", rule.summary.clone()),
    ] {
        for (i, line) in wrap(&value, width - 12).into_iter().enumerate() {
            let lead = if i == 0 { field(label) } else { " ".repeat(9) };
            writeln!(out, "  {lead} {line}")?;
        }
    }
    if let Some(file) = file {
        writeln!(out, "  {} {file}", field("file:"))?;
    }
    writeln!(out)?;
    for paragraph in rule.explanation.trim().split("\n\n") {
        for line in wrap(paragraph, width - 2) {
            writeln!(out, "  {line}")?;
        }
        writeln!(out)?;
    }
    for (n, fix) in rule.fixes.iter().enumerate() {
        let facts = fix_facts(fix);
        let tail = format!("  {}", style.dim(&facts));
        let heading = format!("help {}:", n + 1);
        let tail_len = facts.chars().count() + 2;
        crate::report::blocks::titled(&heading, &fix.title, &tail, tail_len, width, style, out)?;
        if let Some(snippet) = &fix.snippet {
            for line in snippet.trim_end().lines() {
                writeln!(out, "      {line}")?;
            }
        }
        if let Some(note) = &fix.note {
            for (i, line) in wrap(note, width - 10).into_iter().enumerate() {
                let lead = if i == 0 { "note:" } else { "     " };
                writeln!(out, "    {} {line}", style.dim(lead))?;
            }
        }
        writeln!(out)?;
    }
    Ok(())
}

/// `[ld-library-path] checked: library-dirs; only when NixOS`.
fn fix_facts(fix: &FixTemplate) -> String {
    let mut facts = format!("[{}]", fix.id);
    if fix.plan != PlanKind::None {
        let _ = write!(facts, " checked: {}", fix.plan.as_str());
    }
    if !fix.when.is_empty() {
        let _ = write!(facts, " only when {}", when_text(&fix.when));
    }
    facts
}

/// A condition in words.
pub fn when_text(c: &Condition) -> String {
    let list = |items: Vec<String>| items.join(" or ");
    let mut parts = Vec::new();
    if !c.python_kind.is_empty() {
        parts.push(format!(
            "python kind is {}",
            list(
                c.python_kind
                    .iter()
                    .map(|k| k.as_str().to_string())
                    .collect()
            )
        ));
    }
    if !c.loader_flavor.is_empty() {
        parts.push(format!(
            "loader flavour is {}",
            list(
                c.loader_flavor
                    .iter()
                    .map(|k| k.as_str().to_string())
                    .collect()
            )
        ));
    }
    match c.nixos {
        Some(true) => parts.push("on NixOS".into()),
        Some(false) => parts.push("not on NixOS".into()),
        None => {}
    }
    if !c.fhs_loader.is_empty() {
        parts.push(format!(
            "/lib64 loader is {}",
            list(
                c.fhs_loader
                    .iter()
                    .map(|k| k.as_str().to_string())
                    .collect()
            )
        ));
    }
    match c.venv {
        Some(true) => parts.push("in a venv".into()),
        Some(false) => parts.push("not in a venv".into()),
        None => {}
    }
    match c.ld_library_path {
        Some(true) => parts.push("LD_LIBRARY_PATH is set".into()),
        Some(false) => parts.push("LD_LIBRARY_PATH is not set".into()),
        None => {}
    }
    for (what, re) in [
        ("library", &c.library),
        ("required-by path", &c.required_by),
        ("failure message", &c.message),
    ] {
        if let Some(re) = re {
            parts.push(format!("{what} matches `{re}`"));
        }
    }
    if parts.is_empty() {
        "always".into()
    } else {
        parts.join("; ")
    }
}

/// docs/rules.md: every rule, the placeholders, the fix ids and the data tables.
pub fn markdown(rules: &[RuleDoc], tables: &TablesView) -> String {
    let mut md = String::new();
    let w = &mut md;
    let _ = writeln!(w, "# pydoctor rules\n");
    let _ = writeln!(
        w,
        "<!-- Generated from rules/ by `pydoctor rules --markdown`. Do not edit: a test fails when this file is stale. -->\n"
    );
    let _ = writeln!(
        w,
        "Each rule is one TOML file in `rules/diagnoses/`, compiled into the binary; `--rules DIR` adds more. \
A rule explains findings of one cause kind when its conditions hold; when several rules could explain the same \
finding the one with the highest priority wins, so environment-specific rules beat generic ones. Findings explained \
by the same rule become one diagnosis (`libstdc++.so.6 and libz.so.1`), with its fixes shown once. Advisory (latent) \
findings never become diagnoses, and a failure that no rule explains is reported as `undiagnosed` (exit code 3). \
Ids are permanent: a removed rule keeps its id with `status = \"removed\"`.\n"
    );
    let _ = writeln!(
        w,
        "| id | name | kind | summary |\n| --- | --- | --- | --- |"
    );
    for r in rules {
        let _ = writeln!(
            w,
            "| [{id}](#{anchor}) | {name} | `{kind}` | {summary} |",
            id = r.id,
            anchor = anchor(r),
            name = r.name,
            kind = r.kind,
            summary = cell(&r.summary)
        );
    }
    let _ = writeln!(w);
    for r in rules {
        rule_section(w, r);
    }
    format_section(w);
    tables_section(w, tables);
    md
}

fn anchor(r: &RuleDoc) -> String {
    format!("{}-{}", r.id.to_lowercase(), r.name)
}

fn cell(text: &str) -> String {
    text.replace('|', "\\|")
}

fn rule_section(w: &mut String, r: &RuleDoc) {
    let _ = writeln!(w, "## {} {}\n", r.id, r.name);
    let _ = writeln!(
        w,
        "Kind `{}` · priority {} · {}\n",
        r.kind,
        r.priority,
        r.status.as_str()
    );
    let _ = writeln!(w, "**Summary:** {}\n", r.summary);
    let _ = writeln!(w, "**When:** {}\n", when_text(&r.when));
    let _ = writeln!(w, "{}\n", r.explanation.trim());
    if !r.fixes.is_empty() {
        let _ = writeln!(w, "**Fixes**, in order:\n");
    }
    for (n, fix) in r.fixes.iter().enumerate() {
        let _ = writeln!(w, "{}. **{}** — {}", n + 1, fix.title, fix_facts(fix));
        if let Some(snippet) = &fix.snippet {
            let _ = writeln!(w, "\n   ```{}", language(snippet));
            for line in snippet.trim_end().lines() {
                if line.is_empty() {
                    let _ = writeln!(w);
                } else {
                    let _ = writeln!(w, "   {line}");
                }
            }
            let _ = writeln!(w, "   ```");
        }
        if let Some(note) = &fix.note {
            let _ = writeln!(w, "\n   {}", note.trim());
        }
        let _ = writeln!(w);
    }
    if !r.examples.is_empty() {
        let _ = writeln!(w, "**Examples:**\n");
        for e in &r.examples {
            let verdict = if e.matches {
                "matches"
            } else {
                "does not match"
            };
            let _ = writeln!(w, "- {verdict}: {}", e.name);
        }
        let _ = writeln!(w);
    }
}

fn language(snippet: &str) -> &'static str {
    if snippet.contains("programs.") || snippet.contains("pkgs") {
        "nix"
    } else {
        "sh"
    }
}

fn format_section(w: &mut String) {
    let _ = writeln!(w, "## Rule file format\n");
    let _ = writeln!(
        w,
        "Keys: `id` (`PD` and three digits), `name` (kebab-case), `kind` (a cause kind), `status` \
(`active` or `removed`), `priority` (integer, higher wins), `summary`, `explanation`, `[when]` (conditions: \
`python_kind`, `loader_flavor`, `nixos`, `fhs_loader`, `venv`, `ld_library_path`, and the regexes `library`, \
`required_by`, `message`), `[[fix]]` (`id`, `title`, `snippet`, `note`, `plan`, `when`) and `[[example]]` \
(`name`, `match`, environment facts and `[[example.finding]]`). Unknown keys, bad regexes, unknown placeholders and \
unknown fix ids are errors naming the file, line and field. An active rule needs an example that matches.\n"
    );
    let _ = writeln!(
        w,
        "A fix's `plan` says how it is checked before it is shown: `library-dirs` (re-resolved with the libraries' \
directories on `LD_LIBRARY_PATH`), `nix-ld-libraries` (with them in nix-ld's list), `rpath` (as if patched into the \
files), `none` (not checked).\n"
    );
    let _ = writeln!(
        w,
        "Templates use `{{name}}` placeholders; other braces (`${{LD_LIBRARY_PATH:+…}}`, Nix sets) are literal.\n"
    );
    let _ = writeln!(w, "| placeholder | value |\n| --- | --- |");
    for (name, meaning) in PLACEHOLDERS {
        let _ = writeln!(w, "| `{{{name}}}` | {} |", cell(meaning));
    }
    let _ = writeln!(
        w,
        "\nFix ids: {}.\n",
        FIX_IDS
            .iter()
            .map(|i| format!("`{i}`"))
            .collect::<Vec<_>>()
            .join(", ")
    );
}

fn tables_section(w: &mut String, tables: &TablesView) {
    let _ = writeln!(w, "## Table: soname → nixpkgs attribute\n");
    let _ = writeln!(
        w,
        "From `rules/tables/nixpkgs.toml`. glibc's own libraries are never listed.\n"
    );
    let _ = writeln!(
        w,
        "| soname | attribute | `nix build` installable | note |\n| --- | --- | --- | --- |"
    );
    for e in &tables.nixpkgs {
        let attr = match (&e.attr, e.glibc) {
            (Some(a), _) => format!("`{a}`"),
            (None, true) => "(glibc)".into(),
            (None, false) => String::new(),
        };
        let installable = e
            .installable()
            .map(|i| format!("`{i}`"))
            .unwrap_or_default();
        let note = e.note.as_deref().map(cell).unwrap_or_default();
        let _ = writeln!(w, "| `{}` | {attr} | {installable} | {note} |", e.soname);
    }
    let _ = writeln!(w, "\n## Table: soname → distribution package\n");
    let _ = writeln!(w, "From `rules/tables/distro.toml`.\n");
    let _ = writeln!(
        w,
        "| soname | Debian, Ubuntu | Fedora | Arch |\n| --- | --- | --- | --- |"
    );
    for e in &tables.distro {
        let _ = writeln!(
            w,
            "| `{}` | {} | {} | {} |",
            e.soname, e.debian, e.fedora, e.arch
        );
    }
}
