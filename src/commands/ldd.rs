//! `pydoctor ldd`.

use crate::cli::LddArgs;
use crate::error::Result;
use crate::outcome::Report;
use crate::request::Request;

pub fn run(_args: &LddArgs, _request: &Request) -> Result<Report> {
    Err(super::not_implemented("ldd"))
}
