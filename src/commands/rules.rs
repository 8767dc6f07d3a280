//! `pydoctor rules`.

use crate::cli::RulesArgs;
use crate::error::Result;
use crate::outcome::Report;
use crate::request::Request;

pub fn run(_args: &RulesArgs, _request: &Request) -> Result<Report> {
    Err(super::not_implemented("rules"))
}
