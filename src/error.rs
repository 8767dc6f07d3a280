//! Errors that end a command with exit code 2 (usage or I/O), with the context a user needs.

use std::path::PathBuf;

#[derive(Debug)]
pub enum Error {
    /// The command line asks for something that cannot be done.
    Usage(String),
    /// A file or directory could not be read.
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// A rule file is malformed: file, line and field.
    Rules(String),
    /// Anything else that stops the command, already worded for the user.
    Other(String),
}

impl Error {
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Error {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Usage(m) | Error::Rules(m) | Error::Other(m) => f.write_str(m),
            Error::Io { path, source } => write!(f, "{}: {source}", path.display()),
        }
    }
}

impl std::error::Error for Error {}

pub type Result<T> = std::result::Result<T, Error>;
