//! `pydoctor env`: the facts the diagnosis stands on, probed. Runs the interpreter once (its
//! `--facts` probe) and reads the machine; returns the report, prints nothing.

use crate::cli::EnvArgs;
use crate::env::{self, EnvOptions};
use crate::error::Result;
use crate::outcome::Command;
use crate::report::Report;
use crate::report::payload::{EnvPayload, Payload};
use crate::request::Request;

pub fn run(args: &EnvArgs, request: &Request) -> Result<Report> {
    let explicit = args.python.python.is_some() || args.python.kernel.is_some();
    let (target, not_found) = match super::target::choose(&args.python, request) {
        Ok(target) => (Some(target), None),
        // An explicit --python or --kernel that is not there is a usage error; finding no
        // python at all is a fact.
        Err(e) if explicit => return Err(e),
        Err(e) => (None, Some(e.to_string())),
    };
    let found = target.as_ref().map(|t| &t.interpreter);
    let request = target.as_ref().map_or(request, |t| &t.request);
    let mut probed = env::probe(found, request, &EnvOptions::default());
    probed.environment.kernel = target.as_ref().and_then(|t| t.kernel_facts(&[]));
    let mut report = Report::new(Command::Env, probed.environment);
    report.findings = probed.findings;
    report.extra = Payload::Env(EnvPayload {
        interpreter: probed.interpreter,
        interpreter_facts: probed.facts.map(Box::new),
        python_not_found: not_found,
    });
    report.settle_status();
    Ok(report)
}
