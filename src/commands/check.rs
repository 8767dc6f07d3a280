//! `pydoctor check`.

use crate::cli::CheckArgs;
use crate::error::Result;
use crate::outcome::Report;
use crate::request::Request;

pub fn run(_args: &CheckArgs, _request: &Request) -> Result<Report> {
    Err(super::not_implemented("check"))
}
