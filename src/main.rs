//! Parse arguments, run the command, render its report, map the outcome to an exit code.

use std::io::{self, IsTerminal, Write};
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};

use pydoctor::cli::{Cli, CommandArgs};
use pydoctor::outcome::Command;
use pydoctor::report::{self, Format};
use pydoctor::request::Request;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const EXIT_USAGE: u8 = 2;

/// The command line, with `--help` wrapped to the terminal's width (80 columns when stdout
/// is not a terminal).
fn parse() -> Result<Cli, clap::Error> {
    let mut command = Cli::command();
    if !io::stdout().is_terminal() {
        command = command.term_width(80);
    }
    command
        .try_get_matches()
        .and_then(|matches| Cli::from_arg_matches(&matches))
}

/// Write `bytes` to stdout; a closed pipe is not an error.
fn write_stdout(bytes: &[u8]) -> ExitCode {
    let mut stdout = io::stdout().lock();
    match stdout.write_all(bytes).and_then(|()| stdout.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail_io(e),
    }
}

/// Parse, run, render, exit. Long because it is the one place that maps every way a run can
/// end (help, completions, a usage error, a closed pipe, a report) to its exit code, in order.
fn main() -> ExitCode {
    // Before any child starts: a daemon an import leaves behind is re-parented to us, to reap.
    pydoctor::process::become_subreaper();
    let cli = match parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { EXIT_USAGE } else { 0 });
        }
    };
    match &cli.command {
        CommandArgs::Completions(args) => {
            // Generated into memory: clap_complete panics on a failed write.
            let mut script = Vec::new();
            clap_complete::generate(args.shell, &mut Cli::command(), "pydoctor", &mut script);
            return write_stdout(&script);
        }
        CommandArgs::Manpage(args) => {
            // No `help` subcommand: no page would exist for it.
            let command = Cli::command().disable_help_subcommand(true);
            if let Some(dir) = &args.dir {
                return match std::fs::create_dir_all(dir)
                    .and_then(|()| clap_mangen::generate_to(command, dir))
                {
                    Ok(()) => ExitCode::SUCCESS,
                    Err(e) => {
                        eprintln!("pydoctor: error: {}: {e}", dir.display());
                        ExitCode::from(EXIT_USAGE)
                    }
                };
            }
            let mut page = Vec::new();
            return match clap_mangen::Man::new(command).render(&mut page) {
                Ok(()) => write_stdout(&page),
                Err(e) => fail_io(e),
            };
        }
        _ => {}
    }

    let request = Request::from_process(cli.global.rules_dirs.clone());
    let output = pydoctor::commands::output::options(&cli.global, &request);
    // Rust's stdout is line-buffered: a 400-file tree would cost a write(2) per line.
    let mut out = io::BufWriter::with_capacity(64 * 1024, io::stdout().lock());
    match pydoctor::commands::run(&cli.command, &request) {
        Ok(report) => {
            for error in &report.input_errors {
                eprintln!("pydoctor: error: {error}");
            }
            let code = report.exit_code() as u8;
            let rendered = report::write(&report, &output, &mut out);
            match rendered.and_then(|()| out.flush()) {
                // Written and flushed: exit without freeing the report, whose thousands of
                // tree nodes a many-file `ldd` or `scan` spent a millisecond dropping.
                Ok(()) => std::process::exit(i32::from(code)),
                Err(e) => fail_io(e),
            }
        }
        Err(e) => {
            eprintln!("pydoctor: error: {e}");
            if output.format == Format::Json {
                let _ =
                    report::json::render_error(command_of(&cli.command), &e.to_string(), &mut out)
                        .and_then(|()| out.flush());
            }
            ExitCode::from(EXIT_USAGE)
        }
    }
}

/// A closed pipe (`pydoctor … | head`) is not an error.
fn fail_io(e: io::Error) -> ExitCode {
    if e.kind() == io::ErrorKind::BrokenPipe {
        return ExitCode::SUCCESS;
    }
    eprintln!("pydoctor: error: writing output: {e}");
    ExitCode::from(EXIT_USAGE)
}

fn command_of(args: &CommandArgs) -> Option<Command> {
    Some(match args {
        CommandArgs::Check(_) => Command::Check,
        CommandArgs::Explain(_) => Command::Explain,
        CommandArgs::Ldd(_) => Command::Ldd,
        CommandArgs::Scan(_) => Command::Scan,
        CommandArgs::Env(_) => Command::Env,
        CommandArgs::Rules(_) => Command::Rules,
        CommandArgs::Fix(_) => Command::Fix,
        CommandArgs::Completions(_) | CommandArgs::Manpage(_) => return None,
    })
}
