//! `pydoctor env`.

use crate::cli::EnvArgs;
use crate::error::Result;
use crate::outcome::Report;
use crate::request::Request;

pub fn run(_args: &EnvArgs, _request: &Request) -> Result<Report> {
    Err(super::not_implemented("env"))
}
