//! One module per command: the glue that runs the pipeline for that way in and returns a
//! [`Report`]. Commands never print; `main` renders what they return.

pub mod check;
pub mod env;
pub mod explain;
pub mod fix;
pub mod ldd;
pub mod loaders;
pub mod output;
pub mod resolution;
pub mod rules;
pub mod scan;
pub mod store_pick;
pub mod target;

use crate::cli::CommandArgs;
use crate::error::{Error, Result};
use crate::report::Report;
use crate::request::Request;

/// Run one command to its report.
pub fn run(command: &CommandArgs, request: &Request) -> Result<Report> {
    match command {
        CommandArgs::Check(args) => check::run(args, request),
        CommandArgs::Explain(args) => explain::run(args, request),
        CommandArgs::Ldd(args) => ldd::run(args, request),
        CommandArgs::Scan(args) => scan::run(args, request),
        CommandArgs::Env(args) => env::run(args, request),
        CommandArgs::Rules(args) => rules::run(args, request),
        CommandArgs::Fix(args) => fix::run(args, request),
        CommandArgs::Completions(_) | CommandArgs::Manpage(_) => {
            Err(Error::Usage("not a diagnosis command".into()))
        }
    }
}
