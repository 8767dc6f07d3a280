//! Colour decided once, then passed explicitly to renderers.

use std::io::IsTerminal;

use owo_colors::{OwoColorize, Style as Paint};

use crate::cli::ColorChoice;
use crate::request::Request;

#[derive(Debug, Clone, Copy)]
pub struct Style {
    pub color: bool,
    /// Width to wrap and size tables for.
    pub width: u16,
    /// `-v`: also say what was weighed and passed over.
    pub verbose: bool,
}

impl Style {
    pub fn plain() -> Style {
        Style {
            color: false,
            width: 80,
            verbose: false,
        }
    }

    /// Flag first, then NO_COLOR, then CLICOLOR_FORCE, then whether stdout is a terminal.
    pub fn resolve(choice: ColorChoice, request: &Request) -> Style {
        let terminal = std::io::stdout().is_terminal();
        let color = match choice {
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
        };
        let width = request
            .var("COLUMNS")
            .and_then(|c| c.parse().ok())
            .filter(|w: &u16| *w >= 40)
            .unwrap_or(if terminal {
                terminal_width().unwrap_or(100)
            } else {
                100
            });
        Style {
            color,
            width,
            verbose: false,
        }
    }

    pub fn paint(&self, text: &str, paint: Paint) -> String {
        if self.color {
            text.style(paint).to_string()
        } else {
            text.to_string()
        }
    }

    pub fn bold(&self, t: &str) -> String {
        self.paint(t, Paint::new().bold())
    }
    pub fn red(&self, t: &str) -> String {
        self.paint(t, Paint::new().red().bold())
    }
    pub fn green(&self, t: &str) -> String {
        self.paint(t, Paint::new().green().bold())
    }
    pub fn yellow(&self, t: &str) -> String {
        self.paint(t, Paint::new().yellow().bold())
    }
    pub fn cyan(&self, t: &str) -> String {
        self.paint(t, Paint::new().cyan())
    }
    pub fn dim(&self, t: &str) -> String {
        self.paint(t, Paint::new().dimmed())
    }
}

fn terminal_width() -> Option<u16> {
    // SAFETY: TIOCGWINSZ fills a plain struct; stdout may not be a terminal, then it fails.
    unsafe {
        let mut ws: libc::winsize = std::mem::zeroed();
        (libc::ioctl(libc::STDOUT_FILENO, libc::TIOCGWINSZ, &mut ws) == 0 && ws.ws_col > 0)
            .then_some(ws.ws_col)
    }
}
