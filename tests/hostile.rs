//! Hostile and broken input: every shape of file a hurried author, an odd
//! editor or a bad merge can produce gets an exact finding (or the exact
//! same findings as its clean twin), and never a panic.

mod common;

use std::fs;
use std::time::{Duration, Instant};

use common::*;
use hindsight::finding::{Finding, Level, Rule};

const E: Level = Level::Error;

fn rules_of(findings: &[Finding]) -> Vec<(&'static str, u32, u32)> {
    findings
        .iter()
        .map(|f| (f.rule.id(), f.line, f.column))
        .collect()
}

fn only(findings: &[Finding], rule: Rule) -> Vec<&Finding> {
    findings.iter().filter(|f| f.rule == rule).collect()
}

/// The structural rules that fire for a file with no body: one per section.
fn missing_sections(findings: &[Finding]) -> usize {
    only(findings, Rule::MissingSection).len()
}

// ---- encodings and line endings ---------------------------------------------

#[test]
fn a_byte_order_mark_changes_nothing() {
    let pm = check(&format!("\u{feff}{VALID}"));
    assert_eq!(brief(&pm.findings), brief(&check(VALID).findings));
    assert_eq!(
        pm.title(),
        "Checkout errors after a connection-pool setting was pushed everywhere"
    );
}

#[test]
fn crlf_and_mixed_line_endings_keep_every_position() {
    // One error in the front matter and one in the body, so both halves'
    // line numbers are compared.
    let text = valid_with("severity: P1", "severity: P7").replace("| 09:20 |", "| 08:20 |");
    let lf = brief(&check(&text).findings);
    assert!(lf.iter().any(|b| b.0 == "severity" && b.2 == 3), "{lf:?}");
    assert!(lf.iter().any(|b| b.0 == "timeline"), "{lf:?}");
    let crlf = text.replace('\n', "\r\n");
    assert_eq!(brief(&check(&crlf).findings), lf);
    let mixed: String = text
        .split_inclusive('\n')
        .enumerate()
        .map(|(i, line)| {
            if i % 2 == 0 {
                line.replace('\n', "\r\n")
            } else {
                line.to_string()
            }
        })
        .collect();
    assert_eq!(brief(&check(&mixed).findings), lf);
}

#[test]
fn a_file_that_is_not_utf8_names_the_byte_offset() {
    let site = Site::new();
    site.write("ok.md", VALID)
        .write_bytes("latin1.md", b"---\ntitle: Panne du caf\xe9\n---\n");
    let archive = site.load();
    assert_eq!(archive.post_mortems.len(), 1);
    let f = &archive.unreadable[0];
    assert_eq!((f.rule, f.level, f.line, f.column), (Rule::Read, E, 2, 20));
    assert_eq!(
        f.message,
        "this file is not UTF-8 text (invalid byte 0xe9 at byte offset 23)"
    );
}

#[test]
fn a_binary_file_with_a_markdown_name_is_a_read_finding() {
    let site = Site::new();
    let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
    bytes.extend((0..4096u32).map(|i| (i * 7919 % 251) as u8));
    site.write("ok.md", VALID).write_bytes("diagram.md", &bytes);
    let archive = site.load();
    assert_eq!(archive.post_mortems.len(), 1);
    let f = &archive.unreadable[0];
    assert_eq!((f.rule, f.line, f.column), (Rule::Read, 1, 1));
    assert_eq!(
        f.message,
        "this file is not UTF-8 text (invalid byte 0x89 at byte offset 0)"
    );
}

// ---- shapes -------------------------------------------------------------------

#[test]
fn an_empty_file_says_so() {
    for text in ["", "\n\n", "   \r\n"] {
        let pm = check(text);
        let front: Vec<_> = only(&pm.findings, Rule::FrontMatter);
        assert_eq!(front.len(), 1, "{text:?}");
        assert_eq!((front[0].line, front[0].column), (1, 1));
        assert_eq!(front[0].message, "this file is empty");
        assert!(front[0].hint.contains("hindsight new"));
    }
}

#[test]
fn front_matter_alone_reads_the_fields_and_asks_for_the_sections() {
    let front_only = &VALID[..VALID.find("## Timeline").unwrap()];
    let pm = check(front_only);
    assert_eq!(
        pm.title(),
        "Checkout errors after a connection-pool setting was pushed everywhere"
    );
    assert!(only(&pm.findings, Rule::FrontMatter).is_empty());
    assert_eq!(missing_sections(&pm.findings), 6);
    assert!(only(&pm.findings, Rule::MissingSection)
        .iter()
        .all(|f| (f.line, f.column) == (10, 1)));
}

#[test]
fn a_body_alone_asks_for_front_matter() {
    let body = &VALID[VALID.find("## Timeline").unwrap()..];
    let pm = check(body);
    let front = only(&pm.findings, Rule::FrontMatter);
    assert_eq!(rules_of(&pm.findings)[0], ("front-matter", 1, 1));
    assert_eq!(front[0].message, "this file has no front matter");
    // The body is still read: its timeline has its three rows.
    assert_eq!(pm.timeline.len(), 3);
}

#[test]
fn an_unclosed_fence_keeps_the_fields_above_the_first_heading() {
    let text = VALID.replacen("---\n\n## Timeline", "\n## Timeline", 1);
    let pm = check(&text);
    let front = only(&pm.findings, Rule::FrontMatter);
    assert_eq!(front.len(), 1);
    assert_eq!((front[0].line, front[0].column), (1, 1));
    assert_eq!(
        front[0].message,
        "the front matter opened with `---` is never closed"
    );
    assert_eq!(
        pm.title(),
        "Checkout errors after a connection-pool setting was pushed everywhere"
    );
    assert_eq!(pm.timeline.len(), 3);
}

#[test]
fn a_second_front_matter_block_is_pointed_at() {
    let text = VALID.replacen(
        "---\n\n## Timeline",
        "---\n---\ncommander: On-call lead\n---\n\n## Timeline",
        1,
    );
    let pm = check(&text);
    let front = only(&pm.findings, Rule::FrontMatter);
    assert_eq!(front.len(), 1, "{:?}", rules_of(&pm.findings));
    assert_eq!((front[0].line, front[0].column), (10, 1));
    assert_eq!(
        front[0].message,
        "a second front-matter block starts here; its lines are read as Markdown, not as fields"
    );
    // A rule followed by prose later on is not mistaken for one.
    let rule = VALID.replacen(
        "## Timeline",
        "---\n\nSome context.\n\n---\n\n## Timeline",
        1,
    );
    assert!(only(&check(&rule).findings, Rule::FrontMatter).is_empty());
}

#[test]
fn spaces_after_fences_are_ignored() {
    let text = VALID.replacen("---\n", "---   \n", 2);
    assert_eq!(brief(&check(&text).findings), brief(&check(VALID).findings));
}

#[test]
fn a_tab_in_yaml_is_pointed_at_with_a_hint() {
    let pm = check(&valid_with("severity: P1", "\tseverity: P1"));
    let front = only(&pm.findings, Rule::FrontMatter);
    assert_eq!((front[0].line, front[0].column), (3, 1));
    assert!(
        front[0].message.contains("found a tab"),
        "{}",
        front[0].message
    );
    assert_eq!(front[0].hint, "YAML indentation must use spaces, not tabs.");
}

#[test]
fn an_unquoted_colon_in_the_title_asks_for_quotes() {
    let pm = check(&valid_with(
        "title: Checkout errors after a connection-pool setting was pushed everywhere",
        "title: Checkout: errors after a pool change",
    ));
    let front = only(&pm.findings, Rule::FrontMatter);
    assert_eq!(front.len(), 1);
    assert_eq!((front[0].line, front[0].column), (2, 16));
    assert_eq!(
        front[0].message,
        "the front matter is not valid YAML: mapping values are not allowed in this context"
    );
    assert!(
        front[0].hint.contains("must be quoted"),
        "{}",
        front[0].hint
    );
}

#[test]
fn yaml_aliases_work_and_an_alias_bomb_is_refused_quickly() {
    let aliased = valid_with(
        "services: [checkout]",
        "services: &touched [checkout, payments]\nresponders: *touched",
    );
    let pm = check(&aliased);
    assert!(only(&pm.findings, Rule::FrontMatter).is_empty());
    assert_eq!(pm.front.services, ["checkout", "payments"]);

    let mut bomb = String::from("---\na: &a [x, x, x, x, x, x, x, x, x]\n");
    for (name, previous) in ["b", "c", "d", "e", "f", "g", "h", "i"]
        .iter()
        .zip("abcdefgh".chars())
    {
        let aliases = vec![format!("*{previous}"); 9].join(", ");
        bomb.push_str(&format!("{name}: &{name} [{aliases}]\n"));
    }
    bomb.push_str("title: Laughs\n---\n");
    let started = Instant::now();
    let pm = check(&bomb);
    assert!(started.elapsed() < Duration::from_secs(2));
    let front = only(&pm.findings, Rule::FrontMatter);
    assert_eq!(front.len(), 1);
    assert_eq!((front[0].line, front[0].column), (6, 1));
    assert_eq!(
        front[0].message,
        "the front matter's aliases expand to more than 10000 values, so it is not read"
    );
}

#[test]
fn deeply_nested_front_matter_is_refused() {
    for (fence, open, close, line) in [("---", "[", "]", 3), ("+++", "[", "]", 3)] {
        let (key, sep) = if fence == "---" {
            ("d", ": ")
        } else {
            ("d", " = ")
        };
        let text = format!(
            "{fence}\ntitle{sep}\"x\"\n{key}{sep}{}{}\n{fence}\n",
            open.repeat(10_000),
            close.repeat(10_000)
        );
        let pm = check(&text);
        let front = only(&pm.findings, Rule::FrontMatter);
        assert_eq!(front.len(), 1, "{fence}: {:?}", rules_of(&pm.findings));
        assert_eq!(front[0].line, line, "{fence}");
        assert!(
            front[0].hint.starts_with("Post-mortem fields are flat"),
            "{fence}: {}",
            front[0].hint
        );
    }
}

#[test]
fn a_file_over_the_size_limit_is_a_finding_and_the_rest_builds() {
    let site = Site::new();
    let filler = "Log line from the incident, pasted whole into the post-mortem.\n";
    let big = format!("{VALID}{}", filler.repeat(50 * 1024 * 1024 / filler.len()));
    site.write("ok.md", VALID).write("huge.md", &big);
    let archive = site.load();
    assert_eq!(archive.post_mortems.len(), 1);
    let f = &archive.unreadable[0];
    assert_eq!((f.rule, f.line, f.column), (Rule::Read, 1, 1));
    assert_eq!(
        f.message,
        "this file is 50.0 MiB, more than the 8 MiB a post-mortem may be, so it is not read"
    );
}

#[test]
fn ten_thousand_timeline_rows_are_read() {
    let rows: String = (0..10_000)
        .map(|i| {
            format!(
                "| 09:{:02}:{:02} | Step {i} of the recovery | SRE on call |\n",
                12 + i / 60 % 48,
                i % 60
            )
        })
        .collect();
    let text = valid_with(
        "| 10:40 | Rollback completes;",
        &format!("{rows}| 10:40 | Rollback completes;"),
    );
    let started = Instant::now();
    let pm = check(&text);
    assert!(started.elapsed() < Duration::from_secs(20));
    assert_eq!(pm.timeline.len(), 10_003);
}

#[test]
fn block_quotes_and_lists_deeper_than_the_limit_are_shown_flat() {
    let quotes = format!("{VALID}\n{} deep\n", ">".repeat(5_000));
    let pm = check(&quotes);
    let read = only(&pm.findings, Rule::Read);
    assert_eq!(read.len(), 1);
    assert_eq!((read[0].line, read[0].column), (56, 33));
    // The quotes follow the action items, after their table.
    let html = &pm.sections.last().unwrap().tail_html;
    assert_eq!(html.matches("<blockquote>").count(), 32);
    assert!(html.contains("deep"));

    let list: String = (0..200)
        .map(|depth| format!("{}- level {depth}\n", "  ".repeat(depth)))
        .collect();
    let pm = check(&format!("{VALID}\n{list}"));
    let read = only(&pm.findings, Rule::Read);
    assert_eq!(read.len(), 1);
    assert_eq!(read[0].line, 56 + 32);
    let html = &pm.sections.last().unwrap().tail_html;
    assert_eq!(html.matches("<ul>").count(), 32);
    assert!(html.contains("level 199"));
}

#[test]
fn an_escaped_pipe_in_a_code_span_stays_in_its_cell() {
    let pm = check(&valid_with(
        "| 1 | Add a canary stage to config pushes |",
        "| 1 | Add a canary stage to config pushes (`grep 5xx \\| wc -l` alert) |",
    ));
    assert_eq!(pm.action_items.len(), 1);
    assert_eq!(
        pm.action_items[0].action.text,
        "Add a canary stage to config pushes (grep 5xx | wc -l alert)"
    );
    assert_eq!(pm.action_items[0].owner.text, "Dana Whitfield");
}

// ---- the tree -----------------------------------------------------------------

#[test]
fn file_names_with_spaces_and_accents_get_addresses() {
    let site = Site::new();
    site.write("2024/Ünïcode outage (EU).md", VALID);
    let archive = site.load();
    let pm = &archive.post_mortems[0];
    assert_eq!(pm.id, "2024/ünïcode-outage-eu");
    assert_eq!(pm.source, "content/2024/Ünïcode outage (EU).md");
    let out = site.out("public");
    let output = build(&site.root(), &out, &[], Some("1714521600"));
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(out
        .join("incidents/2024/ünïcode-outage-eu/index.html")
        .is_file());
}

#[test]
fn files_that_map_to_one_page_are_each_named() {
    let site = Site::new();
    site.write("2024/db outage.md", VALID)
        .write("2024/db-outage.md", VALID)
        .write("2024/DB Outage!.md", VALID);
    let archive = site.load();
    assert_eq!(archive.post_mortems.len(), 1);
    let all: Vec<&Finding> = archive
        .post_mortems
        .iter()
        .flat_map(|pm| pm.findings.iter())
        .chain(archive.unreadable.iter())
        .filter(|f| f.rule == Rule::DuplicateId)
        .collect();
    assert_eq!(all.len(), 3);
    for f in &all {
        assert_eq!(
            f.message,
            "3 files map to the page `incidents/2024/db-outage/`: content/2024/DB Outage!.md, content/2024/db outage.md, content/2024/db-outage.md"
        );
    }
}

#[cfg(unix)]
#[test]
fn symbolic_links_are_followed_inside_the_site_and_refused_outside() {
    use std::os::unix::fs::symlink;
    let site = Site::new();
    let outside = site.out("elsewhere");
    fs::create_dir_all(&outside).unwrap();
    fs::write(outside.join("secret.md"), VALID).unwrap();
    site.write("2024/real.md", VALID);
    let content = site.root().join("content");
    fs::create_dir_all(site.root().join("shared")).unwrap();
    fs::write(site.root().join("shared/kept.md"), VALID).unwrap();
    symlink(
        site.root().join("shared/kept.md"),
        content.join("2024/linked.md"),
    )
    .unwrap();
    symlink(outside.join("secret.md"), content.join("2024/secret.md")).unwrap();
    symlink(&outside, content.join("elsewhere")).unwrap();
    symlink(&content, content.join("2024/loop")).unwrap();
    symlink(content.join("gone.md"), content.join("2024/dangling.md")).unwrap();

    let archive = site.load();
    let ids: Vec<&str> = archive.post_mortems.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(ids, ["2024/linked", "2024/real"]);
    let mut refused: Vec<(String, String)> = archive
        .unreadable
        .iter()
        .map(|f| (f.file.display().to_string(), f.message.clone()))
        .collect();
    refused.sort();
    let outside_msg = "this symbolic link leads outside the site folder, so it is not followed";
    assert_eq!(
        refused,
        [
            (
                "content/2024/dangling.md".to_string(),
                "cannot read this path: this symbolic link points to nothing".to_string()
            ),
            (
                "content/2024/loop".to_string(),
                "cannot read this path: a symbolic link here loops back to a folder above it"
                    .to_string()
            ),
            (
                "content/2024/secret.md".to_string(),
                outside_msg.to_string()
            ),
            ("content/elsewhere".to_string(), outside_msg.to_string()),
        ]
    );
}

#[cfg(unix)]
#[test]
fn an_unreadable_folder_is_a_finding_and_the_rest_builds() {
    use std::os::unix::fs::PermissionsExt;
    let site = Site::new();
    site.write("2024/ok.md", VALID).write("locked/x.md", VALID);
    let locked = site.root().join("content/locked");
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o000)).unwrap();
    let denied = fs::read_dir(&locked).is_err();
    let archive = site.load();
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o755)).unwrap();
    if !denied {
        // Running as root: permissions do not stop reading, so both build.
        assert_eq!(archive.post_mortems.len(), 2);
        return;
    }
    assert_eq!(archive.post_mortems.len(), 1);
    let f = &archive.unreadable[0];
    assert_eq!(f.file.display().to_string(), "content/locked");
    assert!(f.message.contains("Permission denied"), "{}", f.message);
}

#[test]
fn a_missing_content_folder_or_site_toml_says_what_to_do() {
    let site = Site::new();
    fs::remove_dir_all(site.root().join("content")).unwrap();
    let root = site.root();
    let output = hindsight(&["check", "--root", root.to_str().unwrap()], None);
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert!(err.contains("there is no content folder at"), "{err}");
    assert!(err.contains("hindsight new"), "{err}");

    fs::remove_file(root.join("site.toml")).unwrap();
    let output = hindsight(&["check", "--root", root.to_str().unwrap()], None);
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert!(
        err.contains("site.toml") && err.contains("No such file"),
        "{err}"
    );
}

#[test]
fn an_invalid_site_toml_names_line_and_column() {
    let site = Site::with_config("title = \"x\"\n[[severity]]\nid = 3\n");
    site.write("ok.md", VALID);
    let root = site.root();
    let output = hindsight(&["check", "--root", root.to_str().unwrap()], None);
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert!(
        err.contains("site.toml:3:6: invalid type: integer `3`, expected a string"),
        "{err}"
    );
}

#[test]
fn a_post_mortem_named_review_does_not_take_another_ones_review_sheet() {
    let site = Site::new();
    site.write("2024/db.md", VALID)
        .write("2024/db/review.md", VALID);
    let archive = site.load();
    let ids: Vec<&str> = archive.post_mortems.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(ids, ["2024/db"]);
    let dropped = &archive.unreadable[0];
    assert_eq!(
        dropped.file.display().to_string(),
        "content/2024/db/review.md"
    );
    assert_eq!(
        dropped.message,
        "2 files map to the page `incidents/2024/db/review/`: content/2024/db/review.md, content/2024/db.md"
    );
    // The search index, built from the parsed files before validation,
    // leaves the dropped file out too.
    let parsed = hindsight::pipeline::parse(&site.root(), true).unwrap();
    let urls: Vec<String> = parsed
        .records(jiff::civil::date(2024, 6, 1))
        .into_iter()
        .map(|r| r.url)
        .collect();
    assert_eq!(urls, ["incidents/2024/db/index.html"]);
}

#[test]
fn a_burst_of_identical_incidents_does_not_pair_every_two() {
    // 600 incidents on one service, one cause and one morning would be a
    // million recurring pairs; each incident shows its nearest few.
    let site = Site::new();
    for i in 0..600 {
        site.write(&format!("2024/copy-{i:04}.md"), VALID);
    }
    let archive = site.load();
    let all = archive.all();
    let started = Instant::now();
    let recurrences = hindsight::recurrence::recurrences(&all, 90);
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(recurrences.len(), 600);
    assert!(recurrences
        .iter()
        .all(|r| r.len() == hindsight::recurrence::RECURRENCES));
    let out = site.out("public");
    let output = build(&site.root(), &out, &[], Some("1714521600"));
    assert_ne!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(out.join("incidents/2024/copy-0599/index.html").is_file());
}
