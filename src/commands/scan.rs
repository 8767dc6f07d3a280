//! `pydoctor scan`.

use crate::cli::ScanArgs;
use crate::error::Result;
use crate::outcome::Report;
use crate::request::Request;

pub fn run(_args: &ScanArgs, _request: &Request) -> Result<Report> {
    Err(super::not_implemented("scan"))
}
