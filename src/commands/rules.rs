//! `pydoctor rules [ID]`: the rule database as a report (the list, one rule, or the data for
//! docs/rules.md), rendered by `report::rules`.

use crate::cli::RulesArgs;
use crate::error::{Error, Result};
use crate::evidence::Environment;
use crate::outcome::Command;
use crate::report::Report;
use crate::report::payload::{MarkdownFlag, Payload, RuleSummary, RulesPayload, TablesView};
use crate::request::Request;
use crate::rules::Database;

pub fn run(args: &RulesArgs, request: &Request) -> Result<Report> {
    let db = Database::load(request)?;
    let mut report = Report::new(Command::Rules, Environment::default());
    let payload = if args.markdown {
        RulesPayload::Markdown {
            markdown: MarkdownFlag,
            rules: db.rules().iter().map(|r| r.doc.clone()).collect(),
            tables: TablesView {
                nixpkgs: db.tables.nixpkgs.values().cloned().collect(),
                distro: db.tables.distro.values().cloned().collect(),
            },
        }
    } else if let Some(id) = &args.id {
        let rule = db
            .find(id)
            .ok_or_else(|| Error::Usage(format!("no rule `{id}`; `pydoctor rules` lists them")))?;
        RulesPayload::One {
            rule: Box::new(rule.doc.clone()),
            rule_file: rule.file.clone(),
        }
    } else {
        let rules = db
            .rules()
            .iter()
            .map(|r| RuleSummary {
                id: r.doc.id.clone(),
                name: r.doc.name.clone(),
                kind: r.doc.kind.as_str().to_string(),
                summary: r.doc.summary.clone(),
                status: r.doc.status.as_str().to_string(),
            })
            .collect();
        RulesPayload::List { rules }
    };
    report.extra = Payload::Rules(payload);
    Ok(report)
}
