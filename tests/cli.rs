//! The `hindsight check` and `hindsight new` commands through the real
//! binary: exit codes, the three output formats, checking chosen files, and
//! writing a new post-mortem from flags or from a (pseudo-)terminal session.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use common::*;
use hindsight::front_matter::Status;
use hindsight::post_mortem::{self, PostMortem};
use serde_json::Value;

const BLAMING: &str = "the on-call engineer should have known the setting was unsafe.";
const POORLY: &str = "the page fired eight minutes after errors began.";

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn run_check(root: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["check", "--root", root.to_str().unwrap()];
    args.extend_from_slice(extra);
    hindsight(&args, None)
}

/// A site with one post-mortem (`content/2024/<name>`) holding one error: a
/// blame phrase on line 46, columns 43-59.
fn site_with_one_error(name: &str) -> Site {
    let site = Site::new();
    site.write(&format!("2024/{name}"), &valid_with(POORLY, BLAMING));
    site
}

// ---- check ---------------------------------------------------------------------

#[test]
fn check_the_bundled_archive_is_clean() {
    let output = run_check(Path::new(env!("CARGO_MANIFEST_DIR")), &[]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(
        stdout(&output),
        "checked 12 post-mortems: 0 errors, 0 warnings\n"
    );
}

#[test]
fn check_one_error_exits_1_and_human_output_marks_the_span() {
    let site = site_with_one_error("incident.md");
    let output = run_check(&site.root(), &[]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(
        text.contains(
            "error[blame-language]: `should have known` blames a person rather than the system"
        ),
        "{text}"
    );
    assert!(
        text.contains("--> content/2024/incident.md:46:43"),
        "{text}"
    );
    let lines: Vec<&str> = text.lines().collect();
    let source = lines
        .iter()
        .position(|l| l.starts_with("46 | ") && l.ends_with(BLAMING))
        .unwrap_or_else(|| panic!("no source line:\n{text}"));
    // The marker sits under `should have known`, 17 carets.
    let marker = lines[source + 1];
    let source_col = lines[source].find("should have known").unwrap();
    assert_eq!(marker.find('^'), Some(source_col), "{text}");
    assert_eq!(
        marker.trim_start_matches([' ', '|']).trim_end(),
        "^".repeat(17),
        "{text}"
    );
    assert!(
        text.contains("help: Let's focus on what the system needed"),
        "{text}"
    );
    assert!(
        text.ends_with("checked 1 post-mortem: 1 error, 0 warnings\n"),
        "{text}"
    );
}

#[test]
fn check_json_is_an_array_of_findings_with_exactly_the_documented_keys() {
    let site = site_with_one_error("incident.md");
    let output = run_check(&site.root(), &["--format", "json"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let value: Value = serde_json::from_slice(&output.stdout).expect("stdout is JSON");
    let list = value.as_array().expect("a JSON array");
    assert_eq!(list.len(), 1);
    let f = list[0].as_object().unwrap();
    let mut keys: Vec<&str> = f.keys().map(String::as_str).collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "column",
            "end_column",
            "file",
            "hint",
            "level",
            "line",
            "message",
            "rule"
        ]
    );
    assert_eq!(f["file"], "content/2024/incident.md");
    assert_eq!(f["line"], 46);
    assert_eq!(f["column"], 43);
    assert_eq!(f["end_column"], 60);
    assert_eq!(f["rule"], "blame-language");
    assert_eq!(f["level"], "error");
    assert_eq!(
        f["message"],
        "`should have known` blames a person rather than the system"
    );
    assert!(f["hint"].as_str().unwrap().starts_with("Let's focus"));
}

#[test]
fn check_json_of_a_clean_site_is_an_empty_array() {
    let site = Site::new();
    site.write("2024/ok.md", VALID);
    let output = run_check(&site.root(), &["--format", "json"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let value: Value = serde_json::from_slice(&output.stdout).expect("stdout is JSON");
    assert_eq!(value, Value::Array(vec![]));
}

/// `^::(error|warning) file=[^,]+,line=\d+,col=\d+(,endColumn=\d+)?,title=[^:]+::.+$`
fn is_workflow_command(line: &str) -> bool {
    fn digits(s: &str) -> Option<&str> {
        let n = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
        (n > 0).then(|| &s[n..])
    }
    let Some(rest) = line
        .strip_prefix("::error file=")
        .or_else(|| line.strip_prefix("::warning file="))
    else {
        return false;
    };
    let Some(comma) = rest.find(',') else {
        return false;
    };
    if comma == 0 {
        return false;
    }
    let Some(rest) = rest[comma..].strip_prefix(",line=").and_then(digits) else {
        return false;
    };
    let Some(mut rest) = rest.strip_prefix(",col=").and_then(digits) else {
        return false;
    };
    if let Some(after) = rest.strip_prefix(",endColumn=") {
        match digits(after) {
            Some(r) => rest = r,
            None => return false,
        }
    }
    let Some(rest) = rest.strip_prefix(",title=") else {
        return false;
    };
    let Some(colon) = rest.find(':') else {
        return false;
    };
    colon > 0
        && rest[colon..].starts_with("::")
        && rest.len() > colon + 2
        && !rest.contains('\n')
        && !rest.contains('\r')
}

#[test]
fn workflow_command_matcher_matches_the_pattern() {
    assert!(is_workflow_command(
        "::error file=a.md,line=1,col=2,endColumn=5,title=hindsight x::m"
    ));
    assert!(is_workflow_command(
        "::warning file=a.md,line=1,col=2,title=t::m"
    ));
    assert!(!is_workflow_command(
        "::error file=a,b.md,line=1,col=2,title=t::m"
    ));
    assert!(!is_workflow_command(
        "::error file=a.md,line=x,col=2,title=t::m"
    ));
    assert!(!is_workflow_command(
        "::error file=a.md,line=1,col=2,title=t::"
    ));
    assert!(!is_workflow_command(
        "::notice file=a.md,line=1,col=2,title=t::m"
    ));
}

#[test]
fn check_github_format_escapes_data_and_properties() {
    // A comma in the file name; a `%` in a message (the header's severity
    // text is quoted in header-mismatch's message); message and hint joined
    // by an escaped newline.
    let site = Site::new();
    let text = edit(
        &valid_with(POORLY, BLAMING),
        "---\n\n## Timeline",
        "---\n**Severity:** P2 (50% of traffic)\n## Timeline",
    );
    site.write("2024/a,b: c.md", &text);
    let output = run_check(&site.root(), &["--format", "github"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let out = stdout(&output);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "{out}");
    for line in &lines {
        assert!(is_workflow_command(line), "not a workflow command: {line}");
    }
    assert_eq!(
        lines[0],
        "::warning file=content/2024/a%2Cb%3A c.md,line=10,col=3,title=hindsight header-mismatch::\
         the header block says `P2 (50%25 of traffic)` but the front matter's `severity` is `P1`%0A\
         Make the two agree; the front matter's `severity` is what the archive shows and counts."
    );
    assert!(
        lines[1].starts_with(
            "::error file=content/2024/a%2Cb%3A c.md,line=46,col=43,endColumn=60,title=hindsight blame-language::\
             `should have known` blames a person rather than the system%0ALet's focus"
        ),
        "{}",
        lines[1]
    );
    assert!(!out.contains('\r'));
}

#[test]
fn check_files_reports_only_those_files() {
    let site = Site::new();
    site.write("2024/blaming.md", &valid_with(POORLY, BLAMING));
    site.write(
        "2024/vague.md",
        &valid_with("Add a canary stage to config pushes", "Improve monitoring"),
    );
    site.write("2024/clean.md", VALID);
    let content = site.root().join("content/2024");

    let output = run_check(
        &site.root(),
        &[
            "--format",
            "json",
            content.join("blaming.md").to_str().unwrap(),
        ],
    );
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let value: Value = serde_json::from_slice(&output.stdout).unwrap();
    let got: Vec<(&str, &str, u64)> = value
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["file"].as_str().unwrap(),
                f["rule"].as_str().unwrap(),
                f["line"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(got, [("content/2024/blaming.md", "blame-language", 46)]);

    // A clean file passes although others in the site do not.
    let output = run_check(&site.root(), &[content.join("clean.md").to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    assert_eq!(
        stdout(&output),
        "checked 1 post-mortem: 0 errors, 0 warnings\n"
    );

    // The whole site has both errors.
    let output = run_check(&site.root(), &[]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stdout(&output).ends_with("checked 3 post-mortems: 2 errors, 0 warnings\n"),
        "{}",
        stdout(&output)
    );
}

#[test]
fn check_a_file_outside_the_site_exits_2() {
    let site = site_with_one_error("incident.md");
    let outside = site.out("elsewhere.md");
    fs::write(&outside, VALID).unwrap();
    let output = run_check(&site.root(), &[outside.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2), "{}", stdout(&output));
    assert!(
        stderr(&output).contains("is not inside the site folder"),
        "{}",
        stderr(&output)
    );
    assert!(output.stdout.is_empty());
}

#[test]
fn check_a_missing_file_exits_2() {
    let site = site_with_one_error("incident.md");
    let missing = site.root().join("content/2024/missing.md");
    let output = run_check(&site.root(), &[missing.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2), "{}", stdout(&output));
    assert!(
        stderr(&output).contains("cannot read"),
        "{}",
        stderr(&output)
    );
    assert!(output.stdout.is_empty());
}

#[test]
fn check_a_base_url_with_a_query_or_a_relative_path_exits_2_naming_its_place() {
    for (base_url, message) in [
        (
            "https://example.com/x?y=1#z",
            "site.toml:2:12: base_url `https://example.com/x?y=1#z` has a query or fragment (`?y=1#z`), which no page address can carry; remove it: `https://example.com/x`",
        ),
        (
            "relative/path",
            "site.toml:2:12: base_url `relative/path` is relative; write an absolute URL (`https://example.com/relative/path`) or a path from the site root (`/relative/path`)",
        ),
    ] {
        let site = Site::with_config(&format!(
            "# The archive's address.\nbase_url = \"{base_url}\"\n{}",
            site_toml("UTC")
        ));
        site.write("a.md", VALID);
        let output = run_check(&site.root(), &[]);
        assert_eq!(output.status.code(), Some(2), "{}", stdout(&output));
        assert!(
            stderr(&output).trim_end().ends_with(message),
            "{}",
            stderr(&output)
        );
    }
}

// ---- new -----------------------------------------------------------------------

const NEW_ARGS: [&str; 5] = [
    "Checkout: slow, then failing",
    "--severity",
    "P1",
    "--started",
    "2024-03-14T09:12:00+01:00",
];

fn new_in(site: &Site, args: &[&str]) -> Output {
    let root = site.root();
    let mut all = vec!["new", "--root", root.to_str().unwrap()];
    all.extend_from_slice(args);
    hindsight(&all, None)
}

fn parse_file(path: &Path) -> PostMortem {
    let text = fs::read_to_string(path).unwrap();
    post_mortem::parse(
        "new".into(),
        "content/new.md".into(),
        &text,
        &jiff::tz::TimeZone::UTC,
    )
}

#[test]
fn new_writes_the_file_and_prints_its_path() {
    let site = Site::new();
    let output = new_in(&site, &NEW_ARGS);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let path = site
        .root()
        .join("content/2024/2024-03-14-checkout-slow-then-failing.md");
    assert_eq!(stdout(&output), format!("{}\n", path.display()));
    let pm = parse_file(&path);
    assert_eq!(pm.findings, [], "the new file parses cleanly");
    assert_eq!(
        pm.front.title.as_deref(),
        Some("Checkout: slow, then failing")
    );
    assert_eq!(pm.front.severity.as_deref(), Some("P1"));
    assert_eq!(pm.front.status, Some(Status::Open));
    assert_eq!(
        pm.front.started.unwrap().to_string(),
        "2024-03-14T09:12:00+01:00"
    );
    assert_eq!(pm.front.ended, None);
    // Every required section is there.
    for heading in [
        "## Timeline",
        "## Impact",
        "## Root Cause Analysis",
        "## What Went Well",
        "## What Went Poorly",
        "## Action Items",
    ] {
        assert!(
            fs::read_to_string(&path).unwrap().contains(heading),
            "{heading}"
        );
    }
}

#[test]
fn check_on_a_new_open_file_reports_placeholders_as_warnings() {
    // docs/rules.md: `placeholder` (and every rule "follows status") is a
    // warning while the post-mortem is open, and warnings never fail a check.
    let site = Site::new();
    let output = new_in(&site, &NEW_ARGS);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let path = PathBuf::from(stdout(&output).trim());
    let output = run_check(&site.root(), &["--format", "json", path.to_str().unwrap()]);
    let value: Value = serde_json::from_slice(&output.stdout).unwrap();
    let findings = value.as_array().unwrap();
    assert!(
        findings.iter().any(|f| f["rule"] == "placeholder"),
        "the new file's placeholders are reported"
    );
    let errors: Vec<String> = findings
        .iter()
        .filter(|f| f["level"] == "error")
        .map(|f| {
            format!(
                "{}:{} {} {}",
                f["line"], f["column"], f["rule"], f["message"]
            )
        })
        .collect();
    assert!(
        errors.is_empty(),
        "{} errors in an open post-mortem, e.g.\n{}",
        errors.len(),
        errors[..errors.len().min(5)].join("\n")
    );
    assert_eq!(output.status.code(), Some(0));
}

#[test]
fn new_never_overwrites() {
    let site = Site::new();
    assert_eq!(new_in(&site, &NEW_ARGS).status.code(), Some(0));
    let path = site
        .root()
        .join("content/2024/2024-03-14-checkout-slow-then-failing.md");
    let edited = "---\ntitle: edited by hand\n---\n";
    fs::write(&path, edited).unwrap();
    let output = new_in(&site, &NEW_ARGS);
    assert_eq!(output.status.code(), Some(2), "{}", stdout(&output));
    assert!(
        stderr(&output).contains("already exists; hindsight never overwrites"),
        "{}",
        stderr(&output)
    );
    assert!(output.stdout.is_empty());
    assert_eq!(fs::read_to_string(&path).unwrap(), edited);
}

#[test]
fn new_with_an_unknown_severity_exits_2_and_writes_nothing() {
    let site = Site::new();
    let output = new_in(
        &site,
        &[
            "Checkout errors",
            "--severity",
            "SEV1",
            "--started",
            "2024-03-14T09:12:00+01:00",
        ],
    );
    assert_eq!(output.status.code(), Some(2), "{}", stdout(&output));
    assert!(
        stderr(&output)
            .contains("--severity SEV1 is not defined in site.toml; use one of P0, P1, P2, P3"),
        "{}",
        stderr(&output)
    );
    assert!(snapshot(&site.root().join("content")).is_empty());
}

/// The title and the seven answers, one line each.
const ANSWERS: [&str; 8] = [
    "Payments API timeouts after a pool resize",
    "Card payments timed out for EU customers",
    "2024-05-02 14:05 to 2024-05-02 15:10",
    "About 30% of EU card payments failed for 65 minutes",
    "A latency alert paged the on-call engineer",
    "Rolled back the pool resize",
    "A pool resize halved the connections per node",
    "Incident commander, Payments on-call engineer",
];

fn has_script() -> bool {
    Command::new("script")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// Runs `hindsight new --root ROOT` with its answers on standard input:
/// through a pseudo-terminal made by `script` (so the command asks on its
/// own), or with `--ask` and a pipe where `script` is missing.
fn new_interactively(root: &Path, input: &str) -> Output {
    use std::io::Write;
    let exe = env!("CARGO_BIN_EXE_hindsight");
    let mut cmd = if has_script() {
        let line = format!(
            "{} new --root {}",
            shell_quote(exe),
            shell_quote(root.to_str().unwrap())
        );
        let mut c = Command::new("script");
        c.args(["-qec", &line, "/dev/null"]);
        c
    } else {
        eprintln!("`script` is not installed: using --ask with a pipe");
        let mut c = Command::new(exe);
        c.args(["new", "--ask", "--root", root.to_str().unwrap()]);
        c
    };
    let mut child = cmd
        .env("NO_COLOR", "1")
        .env_remove("SOURCE_DATE_EPOCH")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run hindsight new");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn new_asks_the_seven_questions_in_a_terminal() {
    let site = Site::with_config(&site_toml("Europe/Berlin"));
    let input: String = ANSWERS.iter().map(|a| format!("{a}\n")).collect();
    let output = new_interactively(&site.root(), &input);
    let transcript = format!("{}{}", stdout(&output), stderr(&output));
    assert_eq!(output.status.code(), Some(0), "{transcript}");
    assert!(
        transcript.contains("Title? (descriptive, not blaming)")
            && transcript.contains("Who was involved in the response? (roles, comma-separated)"),
        "{transcript}"
    );
    let path = site
        .root()
        .join("content/2024/2024-05-02-payments-api-timeouts-after-a-pool-resize.md");
    assert!(transcript.contains(path.to_str().unwrap()), "{transcript}");
    let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{e}\n{transcript}"));

    // Front matter: title, times in the site's zone (CEST), detection, responders.
    assert!(
        text.starts_with("---\ntitle: \"Payments API timeouts after a pool resize\"\n"),
        "{text}"
    );
    assert!(
        text.contains("\nstarted: 2024-05-02T14:05:00+02:00\n"),
        "{text}"
    );
    assert!(
        text.contains("\nended: 2024-05-02T15:10:00+02:00\n"),
        "{text}"
    );
    assert!(text.contains("\ndetection: alert\n"), "{text}");
    assert!(
        text.contains("\nresponders: [\"Incident commander\", \"Payments on-call engineer\"]\n"),
        "{text}"
    );
    assert!(text.contains("— Duration: 1 hour 5 minutes\n"), "{text}");
    // What happened is the summary and the first timeline row.
    assert!(
        text.contains("## Summary\n\nCard payments timed out for EU customers\n"),
        "{text}"
    );
    assert!(
        text.contains("| 14:05 | Card payments timed out for EU customers |"),
        "{text}"
    );
    assert!(
        text.contains("| Detected: A latency alert paged the on-call engineer |"),
        "{text}"
    );
    assert!(
        text.contains("| Rolled back the pool resize | [What fixed it] |"),
        "{text}"
    );
    assert!(
        text.contains("| 15:10 | Full resolution confirmed |"),
        "{text}"
    );
    assert!(
        text.contains("\nCustomer impact: About 30% of EU card payments failed for 65 minutes\n"),
        "{text}"
    );
    assert!(
        text.contains(
            "\nThe incident occurred when: A pool resize halved the connections per node\n"
        ),
        "{text}"
    );

    // And the model reads them back into the right places.
    let pm = post_mortem::parse(
        "new".into(),
        "content/new.md".into(),
        &text,
        &jiff::tz::TimeZone::get("Europe/Berlin").unwrap(),
    );
    assert_eq!(pm.findings, []);
    assert_eq!(pm.front.status, Some(Status::Open));
    assert_eq!(pm.front.severity.as_deref(), Some("P1"));
    assert_eq!(pm.duration_minutes(), Some(65));
    assert_eq!(
        pm.front.responders,
        ["Incident commander", "Payments on-call engineer"]
    );
    assert_eq!(
        pm.impact.customer.as_ref().unwrap().text,
        "About 30% of EU card payments failed for 65 minutes"
    );
    assert_eq!(
        pm.root_cause.proximate.as_ref().unwrap().text,
        "A pool resize halved the connections per node"
    );
    assert_eq!(
        pm.timeline[0].event,
        "Card payments timed out for EU customers"
    );
    assert_eq!(
        pm.timeline[0].time.unwrap().to_string(),
        "2024-05-02T14:05:00+02:00"
    );
    assert!(pm
        .timeline
        .iter()
        .any(|e| e.event == "Rolled back the pool resize"));
}

#[test]
fn check_counts_files_that_could_not_be_read() {
    let site = Site::new();
    site.write("2024/good.md", VALID)
        .write_bytes("2024/latin1.md", b"---\ntitle: caf\xe9\n---\n");
    let output = run_check(&site.root(), &[]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stdout(&output).ends_with("checked 2 post-mortems: 1 error, 0 warnings\n"),
        "{}",
        stdout(&output)
    );
}
