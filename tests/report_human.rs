//! Snapshots of the human and GitHub reports for a representative diagnosis, built
//! in-process: a nixpkgs python whose numpy wheel misses libstdc++.so.6 and libz.so.1, seen
//! through numpy's misleading "source directory" message.

mod report_fixture;

use pydoctor::cli::Format;
use pydoctor::evidence::{ChainLink, Failure};
use pydoctor::outcome::Command;
use pydoctor::report::{self, Report, Style};
use report_fixture::nix_python_report;

fn rendered(report: &Report, format: Format, style: Style) -> String {
    let mut out = Vec::new();
    report::render(report, format, &style, &mut out).expect("render");
    String::from_utf8(out).expect("utf-8")
}

#[test]
fn human_report_for_nix_python_missing_libstdcxx_and_libz() {
    let text = rendered(&nix_python_report(), Format::Human, Style::plain());
    assert!(text.starts_with(
        "✗ problem: libstdc++.so.6 and libz.so.1 cannot be found by the Nix loader\n    libstdc++.so.6  needed by numpy/_core/"
    ));
    assert!(!text.contains('\u{1b}'), "no colour with a plain style");
    insta::assert_snapshot!("human_nix_python_plain", text);
}

#[test]
fn human_report_in_colour() {
    let style = Style {
        color: true,
        ..Style::plain()
    };
    let text = rendered(&nix_python_report(), Format::Human, style);
    assert!(text.contains('\u{1b}'));
    insta::assert_snapshot!("human_nix_python_colour", text);
}

#[test]
fn github_annotations() {
    let text = rendered(&nix_python_report(), Format::Github, Style::plain());
    assert!(text.starts_with("::error file=/home/u/p/.venv/lib/python3.12/site-packages/numpy/"));
    assert!(text.contains("\n::warning "));
    insta::assert_snapshot!("github_nix_python", text);
}

#[test]
fn an_ok_report_is_one_line() {
    let report = Report::new(Command::Check, Default::default());
    assert_eq!(
        rendered(&report, Format::Human, Style::plain()),
        "✓ no problem found\n"
    );
}

#[test]
fn an_undiagnosed_failure_says_so() {
    let mut report = Report::new(Command::Explain, Default::default());
    report.failure = Some(Failure {
        chain: vec![ChainLink {
            exc_type: "ImportError".into(),
            message: "something nobody has seen".into(),
            frames: Vec::new(),
        }],
        misleading: Vec::new(),
        original_text: None,
    });
    report.settle_status();
    let text = rendered(&report, Format::Human, Style::plain());
    assert!(
        text.starts_with("? undiagnosed: ImportError: something nobody has seen"),
        "{text}"
    );
}
