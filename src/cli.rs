//! Command-line arguments (clap derive types only; no behaviour).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// `--format`'s values are the printer's own.
pub use crate::report::Format;

/// Doctor for Python import failures caused by native code.
///
/// Finds the real cause of an `ImportError` from an extension module (a missing libstdc++.so.6,
/// a too-old GLIBC, a wrapper message that hides the real error), says why the loader did not
/// find the library, and shows a fix that works for this machine — checked before it is shown.
///
/// Exit codes: 0 nothing wrong found; 1 problem diagnosed; 2 usage or I/O error;
/// 3 a failure was seen but no rule explains it.
#[derive(Debug, Parser)]
#[command(name = "pydoctor", version = crate::version::long(), propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: CommandArgs,
}

#[derive(Debug, Args, Clone)]
pub struct GlobalArgs {
    /// Output format.
    #[arg(long, global = true, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// When to use colour (NO_COLOR and CLICOLOR_FORCE are honoured with `auto`).
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Say more: the store copies of a library that a fix passed over, and why.
    #[arg(short, long, global = true)]
    pub verbose: bool,
    /// Load extra rule files (*.toml) from DIR, beside the built-in ones. Repeatable.
    #[arg(long = "rules", global = true, value_name = "DIR")]
    pub rules_dirs: Vec<PathBuf>,
    /// Print the verdict line only (human format); the exit code is the same.
    #[arg(short, long, global = true)]
    pub quiet: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub enum CommandArgs {
    /// Run the import of MODULE in the target interpreter and find out why it fails.
    ///
    /// The interpreter is `--python PATH`, else `$VIRTUAL_ENV`, else `./.venv`, else `python3`
    /// on PATH. The import runs the package's own code in a child process with a timeout; use
    /// `--no-import` for a static diagnosis only. `check -` reads error text from stdin like
    /// `explain`.
    Check(CheckArgs),
    /// Diagnose pasted error text (a traceback, a pytest or CI log) from FILE or stdin.
    Explain(ExplainArgs),
    /// Show how the loader would resolve each needed library of FILE, as a tree.
    Ldd(LddArgs),
    /// Resolve every extension module and vendored library in a venv or site-packages.
    Scan(ScanArgs),
    /// Show the facts the diagnosis stands on: OS, interpreter, its loader, nix-ld, paths.
    Env(EnvArgs),
    /// List the rule database, or show one rule with its explanation and fixes.
    Rules(RulesArgs),
    /// Apply a contained fix to the venv, prove it by importing MODULE again, or undo it.
    ///
    /// Diagnoses like `check`. When every missing library sits as a file on this machine (in
    /// the Nix store), it installs a start-up preload in the venv's site-packages that loads
    /// them by absolute path, imports each MODULE again in a fresh process, and keeps the
    /// change only if that works. Every change is recorded in `<venv>/.pydoctor-fix/`;
    /// `--undo` takes it back byte for byte. Nothing outside the venv is written.
    Fix(FixArgs),
    /// Print a shell completion script.
    Completions(CompletionsArgs),
    /// Print the man page (roff) on stdout, or write one page per command into a directory.
    #[command(hide = true)]
    Manpage(ManpageArgs),
}

#[derive(Debug, Args)]
pub struct ManpageArgs {
    /// Write pydoctor.1 and a page per command (pydoctor-check.1, …) into DIR.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

#[derive(Debug, Args, Clone)]
pub struct PythonArg {
    /// The interpreter to diagnose (default: $VIRTUAL_ENV, ./.venv, python3 on PATH).
    #[arg(long, value_name = "PATH")]
    pub python: Option<PathBuf>,
    /// The python of this Jupyter kernel (its kernelspec's argv[0]), with the variables the
    /// kernelspec sets; NAME as `jupyter kernelspec list` shows it.
    #[arg(long, value_name = "NAME", conflicts_with = "python")]
    pub kernel: Option<String>,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Module names to import (dotted identifiers), or `-` to read error text from stdin.
    #[arg(required = true, value_name = "MODULE")]
    pub modules: Vec<String>,
    #[command(flatten)]
    pub python: PythonArg,
    /// Do not run the import; diagnose from the files on disk only.
    #[arg(long)]
    pub no_import: bool,
    /// Re-run the real import under each fix's environment and report the outcome.
    #[arg(long)]
    pub verify: bool,
    /// Seconds before the import is killed (with its whole process group).
    #[arg(long, default_value_t = 60, value_name = "SECS")]
    pub timeout: u64,
    /// Also say where the CUDA libraries the package needs or loads at run time
    /// (libcuda.so.1, libnvidia-ml.so.1, libcudart) would come from, and the driver's version.
    #[arg(long)]
    pub cuda: bool,
}

#[derive(Debug, Args)]
pub struct FixArgs {
    /// Module names to fix and then import (dotted identifiers); none with `--undo`.
    #[arg(value_name = "MODULE", required_unless_present = "undo")]
    pub modules: Vec<String>,
    #[command(flatten)]
    pub python: PythonArg,
    /// Print the plan and change nothing.
    #[arg(long, conflicts_with = "undo")]
    pub dry_run: bool,
    /// Take back the fix recorded in the venv's manifest, byte for byte.
    #[arg(long)]
    pub undo: bool,
    /// Seconds before each import is killed (with its whole process group).
    #[arg(long, default_value_t = 60, value_name = "SECS")]
    pub timeout: u64,
    /// Also preload the NVIDIA driver's libraries the package loads at run time, from NixOS's
    /// driver dir (/run/opengl-driver/lib), when `check --cuda` finds them unreachable.
    #[arg(long, conflicts_with = "undo")]
    pub cuda: bool,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// A file holding the error text (default: stdin).
    pub file: Option<PathBuf>,
    /// Diagnose from the text alone: do not resolve the files it names, even where they
    /// exist on this machine (for a paste from another machine).
    #[arg(long)]
    pub text_only: bool,
}

#[derive(Debug, Args)]
pub struct LddArgs {
    /// ELF files to resolve.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Resolve as if this interpreter had loaded the file (its loader, dirs, loaded objects).
    #[arg(long, value_name = "PATH")]
    pub python: Option<PathBuf>,
    /// Show every library, including those met before and the C runtime.
    #[arg(long, short = 'a')]
    pub all: bool,
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// A venv, a site-packages directory or an unpacked wheel tree (default: the interpreter's
    /// site-packages).
    pub path: Option<PathBuf>,
    #[command(flatten)]
    pub python: PythonArg,
}

#[derive(Debug, Args)]
pub struct EnvArgs {
    #[command(flatten)]
    pub python: PythonArg,
}

#[derive(Debug, Args)]
pub struct RulesArgs {
    /// A rule id to show in full.
    pub id: Option<String>,
    /// Print docs/rules.md (the generated rule reference) instead.
    #[arg(long, hide = true)]
    pub markdown: bool,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}
