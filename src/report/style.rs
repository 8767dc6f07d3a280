//! The output options, decided once (by the commands layer, from the flags and the
//! environment), then passed explicitly to renderers.

use owo_colors::{OwoColorize, Style as Paint};

/// How the report is written: `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Human,
    Json,
    /// GitHub Actions annotations (`::error file=…::`); `scan` and `check` only.
    Github,
}

/// Everything the printer needs to know about the run's output.
#[derive(Debug, Clone, Copy)]
pub struct OutputOptions {
    pub format: Format,
    pub style: Style,
    /// `--quiet`: the verdict line only (human format).
    pub quiet: bool,
}

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
