//! The output options of a run, from the global flags and the environment the run was
//! started in: decided here once, so that the printer reads neither.

use std::io::IsTerminal;

use crate::cli::{ColorChoice, GlobalArgs};
use crate::report::{OutputOptions, Style};
use crate::request::Request;

pub fn options(global: &GlobalArgs, request: &Request) -> OutputOptions {
    let terminal = std::io::stdout().is_terminal();
    OutputOptions {
        format: global.format,
        style: Style {
            color: color(global.color, request, terminal),
            width: width(request, terminal),
            verbose: global.verbose,
        },
        quiet: global.quiet,
    }
}

/// Flag first, then NO_COLOR, then CLICOLOR_FORCE, then whether stdout is a terminal.
fn color(choice: ColorChoice, request: &Request, terminal: bool) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            if request.nonempty_var("NO_COLOR").is_some() {
                false
            } else if request
                .var("CLICOLOR_FORCE")
                .is_some_and(|v| v != "0" && !v.is_empty())
            {
                true
            } else {
                terminal
            }
        }
    }
}

/// COLUMNS (at least 40), else the terminal's width, else 100.
fn width(request: &Request, terminal: bool) -> u16 {
    request
        .var("COLUMNS")
        .and_then(|c| c.parse().ok())
        .filter(|w: &u16| *w >= 40)
        .unwrap_or(if terminal {
            terminal_width().unwrap_or(100)
        } else {
            100
        })
}

fn terminal_width() -> Option<u16> {
    // SAFETY: TIOCGWINSZ fills a plain struct; stdout may not be a terminal, then it fails.
    unsafe {
        let mut ws: libc::winsize = std::mem::zeroed();
        (libc::ioctl(libc::STDOUT_FILENO, libc::TIOCGWINSZ, &mut ws) == 0 && ws.ws_col > 0)
            .then_some(ws.ws_col)
    }
}
