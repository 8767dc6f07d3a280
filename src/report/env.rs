//! Human rendering of `pydoctor env`: a short check list (✓ fact, ! worth knowing, ✗ broken),
//! in the manner of `brew doctor`. Reads only the report.

use std::io::{self, Write};

use crate::evidence::{Environment, FhsLoaderKind, LoaderFlavor, NixEnvFacts, PythonKind};
use crate::report::payload::{EnvPayload, Payload};
use crate::report::{Report, Style};

pub fn render(report: &Report, style: &Style, out: &mut dyn Write) -> io::Result<()> {
    let env = &report.environment;
    let marks = Marks::new(style);
    os_line(env, &marks, out)?;
    python_lines(report, &marks, style, out)?;
    fhs_loader_lines(env, &marks, style, out)?;
    path_lines(env, &marks, style, out)?;
    for finding in &report.findings {
        writeln!(
            out,
            "{} {}: {}",
            marks.bad,
            style.bold(finding.kind.as_str()),
            finding.detail
        )?;
    }
    Ok(())
}

struct Marks {
    ok: String,
    warn: String,
    bad: String,
    info: String,
}

impl Marks {
    fn new(style: &Style) -> Marks {
        Marks {
            ok: style.green("✓"),
            warn: style.yellow("!"),
            bad: style.red("✗"),
            info: style.dim("·"),
        }
    }
}

fn os_line(env: &Environment, marks: &Marks, out: &mut dyn Write) -> io::Result<()> {
    match env.os.nixos {
        Some(true) => writeln!(out, "{} OS: NixOS", marks.ok),
        Some(false) => writeln!(out, "{} OS: not NixOS", marks.ok),
        None => writeln!(out, "{} OS: unknown (no /etc/os-release)", marks.warn),
    }
}

fn python_lines(
    report: &Report,
    marks: &Marks,
    style: &Style,
    out: &mut dyn Write,
) -> io::Result<()> {
    let py = &report.environment.python;
    let none = EnvPayload::default();
    let payload = match &report.extra {
        Payload::Env(payload) => payload,
        _ => &none,
    };
    let Some(executable) = &py.executable else {
        let why = payload
            .python_not_found
            .as_deref()
            .unwrap_or("no python found");
        return writeln!(out, "{} python: {why}", marks.bad);
    };
    let started = report.findings.is_empty();
    let version = py.version.as_deref().unwrap_or("version unknown");
    let mark = if started { &marks.ok } else { &marks.bad };
    writeln!(out, "{mark} python {}: {}", style.bold(version), executable)?;
    let interp = payload.interpreter.as_ref();
    if let Some(interp) = interp {
        writeln!(out, "    found via {}", interp.how_found.describe())?;
    }
    let mut kind = format!("kind: {}", py.kind.as_str());
    if let Some(attr) = py
        .nix_attribute
        .as_ref()
        .filter(|_| py.kind == PythonKind::NixStore)
    {
        kind.push_str(&format!(" (nixpkgs {attr})"));
    }
    writeln!(out, "    {kind}")?;
    if let Some(real) = interp
        .map(|i| i.real.to_string_lossy())
        .filter(|r| *r != executable.as_str())
    {
        writeln!(out, "    real interpreter: {real}")?;
    }
    if let Some(wrapper) = interp.and_then(|i| i.wrapper.as_ref()) {
        writeln!(out, "    launched through {}", wrapper.display())?;
    }
    if let Some(venv) = &py.venv {
        let base = py.base_prefix.as_deref().unwrap_or("unknown");
        writeln!(out, "    venv: {venv} (base {base})")?;
    }
    if let Some(env) = &report.environment.nix_env {
        nix_env_lines(env, out)?;
    }
    match (&py.loader, py.loader_flavor) {
        (Some(loader), flavor) => writeln!(
            out,
            "{} loader: {loader} ({})",
            if flavor == LoaderFlavor::Unknown {
                &marks.warn
            } else {
                &marks.ok
            },
            flavor.as_str()
        ),
        (None, _) => writeln!(out, "{} loader: unknown (no PT_INTERP read)", marks.warn),
    }
}

/// The `withPackages` env: where, how its packages reach python, and which they are.
fn nix_env_lines(env: &NixEnvFacts, out: &mut dyn Write) -> io::Result<()> {
    let role = if env.venv_base {
        "the venv's base"
    } else {
        "this python's"
    };
    writeln!(out, "    withPackages env ({role}): {}", env.path)?;
    let how = match env.layout.as_str() {
        "argv0" => "the wrapper hands python its own path (nixpkgs 24.05 and later)",
        "nix-pythonpath" => "the wrapper sets NIX_PYTHONPATH (nixpkgs before 24.05)",
        _ => "through a wrapper pydoctor could not read",
    };
    writeln!(out, "      packages reach python: {how}")?;
    let names: Vec<String> = env
        .packages
        .iter()
        .map(|p| format!("{} {}", p.name, p.version))
        .collect();
    let listed = if names.is_empty() {
        "none".to_string()
    } else {
        names.join(", ")
    };
    writeln!(out, "      packages: {listed}")?;
    match env.venv_sees_env {
        Some(true) => writeln!(out, "      the venv sees them"),
        Some(false) => writeln!(
            out,
            "      the venv does not see them (include-system-site-packages = false)"
        ),
        None => Ok(()),
    }
}

/// The `/lib64` loader lines of `env`: one arm per kind of loader found there, each a line or
/// two of output, kept side by side so that they read alike.
fn fhs_loader_lines(
    env: &Environment,
    marks: &Marks,
    style: &Style,
    out: &mut dyn Write,
) -> io::Result<()> {
    let fhs = crate::loader::context::HOST_LOADER;
    let target = env
        .nix_ld
        .fhs_loader_target
        .as_deref()
        .filter(|t| *t != fhs)
        .map(|t| format!(" → {t}"))
        .unwrap_or_default();
    let python_is_fhs = env.python.loader.as_deref() == Some(fhs);
    match env.nix_ld.fhs_loader {
        Some(FhsLoaderKind::Glibc) => writeln!(out, "{} {fhs}: glibc loader{target}", marks.ok)?,
        Some(FhsLoaderKind::NixLd) => writeln!(out, "{} {fhs}: nix-ld{target}", marks.ok)?,
        Some(FhsLoaderKind::StubLd) => writeln!(
            out,
            "{} {fhs}: NixOS stub-ld{target} (programs built for other Linux systems cannot start{})",
            if python_is_fhs {
                &marks.bad
            } else {
                &marks.warn
            },
            if python_is_fhs {
                ", this python included"
            } else {
                ""
            }
        )?,
        Some(FhsLoaderKind::Absent) => writeln!(
            out,
            "{} {fhs}: absent",
            if python_is_fhs {
                &marks.bad
            } else {
                &marks.info
            }
        )?,
        Some(FhsLoaderKind::Other) | None => writeln!(
            out,
            "{} {fhs}: not a loader pydoctor knows{target}",
            marks.warn
        )?,
    }
    let nix_ld = &env.nix_ld;
    if nix_ld.nix_ld.is_some() || !nix_ld.library_path.is_empty() {
        writeln!(
            out,
            "    NIX_LD: {}",
            nix_ld.nix_ld.as_deref().unwrap_or("(unset)")
        )?;
        writeln!(
            out,
            "    NIX_LD_LIBRARY_PATH: {}",
            list_or_unset(&nix_ld.library_path)
        )?;
    }
    if env.python.loader_flavor == LoaderFlavor::NixGlibc
        && (nix_ld.shim == Some(true) || nix_ld.nix_ld.is_some())
    {
        writeln!(
            out,
            "{} nix-ld does not serve this python: its loader is in the Nix store",
            marks.warn
        )?;
    }
    let _ = style;
    Ok(())
}

fn path_lines(
    env: &Environment,
    marks: &Marks,
    style: &Style,
    out: &mut dyn Write,
) -> io::Result<()> {
    let llp = &env.ld_library_path;
    if llp.iter().any(String::is_empty) {
        writeln!(
            out,
            "{} LD_LIBRARY_PATH: {} (an empty element means the current directory)",
            marks.warn,
            llp.join(":")
        )?;
    } else {
        writeln!(
            out,
            "{} LD_LIBRARY_PATH: {}",
            marks.info,
            list_or_unset(llp)
        )?;
    }
    if let Some(shell) = &env.in_nix_shell {
        writeln!(out, "{} IN_NIX_SHELL: {shell}", marks.info)?;
    }
    if let Some(shell) = &env.shell {
        let file = shell
            .file
            .as_deref()
            .map(|f| format!(" ({f})"))
            .unwrap_or_default();
        writeln!(out, "{} shell set up by: {}{file}", marks.info, shell.tool)?;
    }
    if let Some(store) = &env.store_dir {
        let here = if env.python.kind == PythonKind::NixStore {
            style.dim(" (this python lives here)")
        } else {
            String::new()
        };
        writeln!(out, "{} Nix store: {store}{here}", marks.info)?;
    }
    Ok(())
}

fn list_or_unset(items: &[String]) -> String {
    if items.is_empty() {
        "(unset)".to_string()
    } else {
        items.join(":")
    }
}
