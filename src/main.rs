//! Parse arguments, run the command, render its report, map the outcome to an exit code.

use std::io::{self, Write};
use std::process::ExitCode;

use clap::{CommandFactory, Parser};

use pydoctor::cli::{Cli, CommandArgs, Format};
use pydoctor::outcome::Command;
use pydoctor::report::{self, Style};
use pydoctor::request::Request;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const EXIT_USAGE: u8 = 2;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { EXIT_USAGE } else { 0 });
        }
    };
    match &cli.command {
        CommandArgs::Completions(args) => {
            let mut cmd = Cli::command();
            clap_complete::generate(args.shell, &mut cmd, "pydoctor", &mut io::stdout());
            return ExitCode::SUCCESS;
        }
        CommandArgs::Manpage => {
            let man = clap_mangen::Man::new(Cli::command());
            return match man.render(&mut io::stdout()) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => fail_io(e),
            };
        }
        _ => {}
    }

    let request = Request::from_process(cli.global.rules_dirs.clone());
    let style = Style {
        verbose: cli.global.verbose,
        ..Style::resolve(cli.global.color, &request)
    };
    // Rust's stdout is line-buffered: a 400-file tree would cost a write(2) per line.
    let mut out = io::BufWriter::with_capacity(64 * 1024, io::stdout().lock());
    match pydoctor::commands::run(&cli.command, &request) {
        Ok(report) => {
            let code = report.status.exit_code() as u8;
            match report::render(&report, cli.global.format, &style, &mut out)
                .and_then(|()| out.flush())
            {
                // Written and flushed: exit without freeing the report, whose thousands of
                // tree nodes a many-file `ldd` or `scan` spent a millisecond dropping.
                Ok(()) => std::process::exit(i32::from(code)),
                Err(e) => fail_io(e),
            }
        }
        Err(e) => {
            eprintln!("pydoctor: error: {e}");
            if cli.global.format == Format::Json {
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
        CommandArgs::Completions(_) | CommandArgs::Manpage => return None,
    })
}
