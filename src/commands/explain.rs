//! `pydoctor explain`.

use crate::cli::ExplainArgs;
use crate::error::Result;
use crate::outcome::Report;
use crate::request::Request;

pub fn run(_args: &ExplainArgs, _request: &Request) -> Result<Report> {
    Err(super::not_implemented("explain"))
}
