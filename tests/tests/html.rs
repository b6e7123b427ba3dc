//! The HTML report: one self-contained file that a real browser renders. Headless Chromium loads
//! the report of the sample folder, the test checks that it rendered without script errors and
//! that the sections are there, and keeps a screenshot (target/artifacts/html-report.png).
//!
//! The browser test is ignored by default (it needs Chromium); CI installs Debian's `chromium`
//! and runs it with `cargo test -p acs-triage-tests --test html -- --ignored`, where a missing
//! browser is a failure.

use std::path::{Path, PathBuf};
use std::process::Command;

use acs_triage_tests::{repo_path, repo_root, run};

fn report_html() -> String {
    let r = run(&["analyze", "--format", "html", &repo_path("examples/logs")]);
    assert_eq!(
        r.code, 1,
        "errors in the sample folder: exit 1; {}",
        r.stderr
    );
    r.stdout
}

#[test]
fn the_report_is_self_contained() {
    let html = report_html();
    assert!(html.starts_with("<!DOCTYPE html>"));
    // Nothing is fetched: no external scripts, styles, images or fonts.
    for pattern in ["<script src", "<link ", "<img ", "@import", "url("] {
        assert!(!html.contains(pattern), "the report loads {pattern}");
    }
    // Sections and charts.
    for needle in [
        "id=\"summary\"",
        "id=\"health\"",
        "id=\"problems\"",
        "id=\"chart-end-reasons\"",
        "id=\"chart-sms\"",
        "id=\"chart-over-time\"",
        "id=\"chart-stream-quality\"",
        "id=\"calls\"",
        "id=\"findings\"",
        "410/3112",
        "Next step:",
    ] {
        assert!(html.contains(needle), "missing {needle}");
    }
    assert!(html.matches("<svg").count() >= 8, "charts are inline SVG");
}

#[test]
fn log_text_is_escaped_never_markup() {
    // Markup in a file name and in an ID the report quotes.
    let dir = tempfile::tempdir().unwrap();
    let name = "<img src=x onerror=alert(1)>.json";
    std::fs::write(
        dir.path().join(name),
        concat!(
            r#"{"time":"2026-11-20T10:00:00Z","category":"CallSummary","correlationId":"#,
            r#""0b1e9f59-2a44-4f4e-9a38-6a4cfd1e7d01","#,
            r#""participantId":"<script>alert(2)</script>","#,
            r#""participantEndReason":"499","participantEndSubCode":"4999"}"#,
            "\n"
        ),
    )
    .unwrap();
    let r = run(&["analyze", "--format", "html", dir.path().to_str().unwrap()]);
    assert!(r.code <= 1, "{}", r.stderr);
    let html = r.stdout;
    assert!(
        html.contains("onerror=alert(1)&gt;"),
        "the file name is shown, escaped"
    );
    assert!(!html.contains("<img src=x"), "the file name became markup");
    assert!(
        html.contains("&lt;script&gt;alert(2)"),
        "the participant ID is shown, escaped"
    );
    assert!(
        !html.contains("<script>alert(2)"),
        "the participant ID became markup"
    );
}

fn chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("ACS_TRIAGE_CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    [
        "/usr/bin/chromium",
        "/usr/bin/chromium-browser",
        "/usr/bin/google-chrome",
    ]
    .iter()
    .map(PathBuf::from)
    .find(|p| p.exists())
}

fn headless(browser: &Path, profile: &Path, args: &[&str]) -> std::process::Output {
    let mut cmd = Command::new(browser);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
    ]);
    cmd.arg(format!("--user-data-dir={}", profile.display()));
    cmd.args(args);
    cmd.output().expect("chromium runs")
}

#[test]
#[ignore = "needs Chromium; CI runs it with --ignored"]
fn the_report_renders_in_headless_chromium() {
    let browser = chromium().expect(
        "no Chromium found (install Debian's chromium package, or set ACS_TRIAGE_CHROMIUM)",
    );
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("report.html");
    std::fs::write(&page, report_html()).unwrap();
    let url = format!("file://{}", page.display());

    let dom = headless(
        &browser,
        &dir.path().join("profile-dom"),
        &["--virtual-time-budget=3000", "--dump-dom", &url],
    );
    let dom_text = String::from_utf8_lossy(&dom.stdout);
    // The page's script marks the root element when it ran, and lists any script error there.
    let root = dom_text
        .split_once("<html")
        .and_then(|(_, rest)| rest.split_once('>'))
        .map(|(attrs, _)| attrs.to_owned())
        .unwrap_or_default();
    assert!(
        root.contains("data-rendered=\"yes\""),
        "the page's script did not finish: <html{root}>; {}",
        String::from_utf8_lossy(&dom.stderr)
    );
    assert!(!root.contains("data-errors"), "script errors: <html{root}>");
    for needle in [
        "Health",
        "Problems, most impact first",
        "Charts",
        "Calls that ended badly",
        "Findings (14)",
        "<svg",
    ] {
        assert!(dom_text.contains(needle), "rendered page lacks {needle}");
    }

    let artifacts = repo_root().join("target/artifacts");
    std::fs::create_dir_all(&artifacts).unwrap();
    let shot = artifacts.join("html-report.png");
    let _ = std::fs::remove_file(&shot);
    let out = headless(
        &browser,
        &dir.path().join("profile-shot"),
        &[
            "--window-size=1280,3200",
            &format!("--screenshot={}", shot.display()),
            &url,
        ],
    );
    let size = std::fs::metadata(&shot).map(|m| m.len()).unwrap_or(0);
    assert!(
        size > 20_000,
        "screenshot missing or blank ({size} bytes): {}",
        String::from_utf8_lossy(&out.stderr)
    );
}
