//! One fixture per rule of the first set, each asserting the exact findings
//! (rule, level, line, column); then the messy inputs real files contain.
//! Fixtures are `common::VALID` with one line changed, so every line number
//! below can be read off the listing in `common/mod.rs`.

mod common;

use common::*;
use hindsight::finding::Level::{Error, Warning};

fn findings_of(text: &str) -> Vec<Brief> {
    brief(&check(text).findings)
}

fn only_finding(text: &str) -> hindsight::finding::Finding {
    let pm = check(text);
    assert_eq!(pm.findings.len(), 1, "{:#?}", pm.findings);
    pm.findings[0].clone()
}

#[test]
fn the_valid_fixture_has_no_findings() {
    let pm = check(VALID);
    assert_eq!(brief(&pm.findings), []);
    assert_eq!(pm.timeline.len(), 3);
    assert_eq!(pm.root_cause.whys.len(), 2);
    assert_eq!(pm.action_items.len(), 1);
}

// ---- front-matter ----------------------------------------------------------

#[test]
fn front_matter_missing() {
    let body = VALID.split_once("---\n\n").unwrap().1;
    let text = format!("## Timeline{}", body.split_once("## Timeline").unwrap().1);
    let f = only_finding(&text);
    assert_eq!(
        (f.rule.id(), f.level, f.line, f.column),
        ("front-matter", Error, 1, 1)
    );
    assert_eq!(f.message, "this file has no front matter");
}

#[test]
fn front_matter_unclosed_fence() {
    // Line 9's closing `---` is gone; the body is still read from `## Timeline`.
    let text = valid_with(
        "root_cause_categories: [config-change]\n---\n",
        "root_cause_categories: [config-change]\n",
    );
    let pm = check(&text);
    assert_eq!(brief(&pm.findings), [("front-matter", Error, 1, 1)]);
    assert_eq!(
        pm.findings[0].message,
        "the front matter opened with `---` is never closed"
    );
    assert_eq!(pm.timeline.len(), 3);
    assert_eq!(pm.action_items.len(), 1);
}

#[test]
fn front_matter_yaml_syntax_error_is_at_the_file_line_and_column() {
    // An unquoted `: ` in the title (line 2); the second colon is column 16.
    let text = valid_with("title: Checkout errors", "title: Checkout: errors");
    let f = only_finding(&text);
    assert_eq!(
        (f.rule.id(), f.level, f.line, f.column),
        ("front-matter", Error, 2, 16)
    );
    assert!(
        f.message.starts_with("the front matter is not valid YAML:")
            && f.message.contains("mapping values are not allowed"),
        "{}",
        f.message
    );
    assert!(f.hint.contains("must be quoted"), "{}", f.hint);
}

#[test]
fn front_matter_yaml_error_further_down_keeps_its_file_line() {
    // Line 8 of the file is line 7 of the YAML; its second colon is column 31.
    let text = valid_with(
        "root_cause_categories: [config-change]",
        "root_cause_categories: config: change",
    );
    let f = only_finding(&text);
    assert_eq!(
        (f.rule.id(), f.level, f.line, f.column),
        ("front-matter", Error, 8, 30)
    );
}

const TOML_DOC_HEAD: &str = "\
+++
title = \"Checkout errors after a connection-pool setting was pushed everywhere\"
severity = \"P1\"
status = \"resolved\"
started = 2024-03-14T09:12:00+01:00
ended = \"2024-03-14T10:40:00+01:00\"
services = [\"checkout\"]
root_cause_categories = [\"config-change\"]
+++
";

fn toml_doc() -> String {
    let body = VALID.split_once("\n---\n").unwrap().1;
    format!("{TOML_DOC_HEAD}{body}")
}

#[test]
fn toml_front_matter_is_read_like_yaml() {
    let pm = check(&toml_doc());
    assert_eq!(brief(&pm.findings), []);
    assert_eq!(
        pm.front.title.as_deref(),
        Some("Checkout errors after a connection-pool setting was pushed everywhere")
    );
    // A bare TOML date-time and a quoted one read the same way.
    assert_eq!(
        pm.front.started.unwrap().to_string(),
        "2024-03-14T09:12:00+01:00"
    );
    assert_eq!(pm.duration_minutes(), Some(88));
    assert_eq!(pm.front.services, ["checkout"]);
    assert_eq!(pm.timeline.len(), 3);
}

#[test]
fn front_matter_toml_syntax_error_is_at_the_file_line_and_column() {
    // `severity = P1` is unquoted: line 3, the value starts at column 12.
    let text = edit(&toml_doc(), "severity = \"P1\"", "severity = P1");
    let f = only_finding(&text);
    assert_eq!(
        (f.rule.id(), f.level, f.line, f.column),
        ("front-matter", Error, 3, 12)
    );
    assert!(
        f.message.starts_with("the front matter is not valid TOML:"),
        "{}",
        f.message
    );
}

#[test]
fn toml_front_matter_findings_point_at_toml_keys() {
    let text = edit(&toml_doc(), "severity = \"P1\"", "severity = \"P11\"");
    assert_eq!(findings_of(&text), [("severity", Error, 3, 1)]);
}

// ---- required-field, field-type, incident-times ------------------------------

#[test]
fn required_field_title_missing() {
    let text = valid_with(
        "title: Checkout errors after a connection-pool setting was pushed everywhere\n",
        "",
    );
    let f = only_finding(&text);
    assert_eq!(
        (f.rule.id(), f.level, f.line, f.column),
        ("required-field", Error, 1, 1)
    );
    assert_eq!(f.message, "the front matter has no `title`");
}

#[test]
fn required_field_every_missing_one_is_reported() {
    let text = "---\ndetection: alert\n---\n\n## Timeline\n";
    let pm = check(text);
    let required: Vec<&str> = pm
        .findings
        .iter()
        .filter(|f| f.rule.id() == "required-field")
        .map(|f| f.message.as_str())
        .collect();
    assert_eq!(
        required,
        [
            "the front matter has no `title`",
            "the front matter has no `severity`",
            "the front matter has no `status`",
            "the front matter has no `started`",
        ]
    );
}

#[test]
fn required_field_resolved_without_ended_points_at_status() {
    let text = valid_with("ended: 2024-03-14T10:40:00+01:00\n", "");
    let f = only_finding(&text);
    assert_eq!(
        (f.rule.id(), f.level, f.line, f.column),
        ("required-field", Error, 4, 1)
    );
    assert_eq!(f.message, "a resolved incident needs `ended`");
    // While the incident is open, `ended` is not needed.
    let open = edit(&text, "status: resolved", "status: open");
    assert_eq!(findings_of(&open), []);
}

#[test]
fn required_field_written_but_left_empty_is_reported() {
    // `title:` with nothing after it is no title at all.
    let text = valid_with(
        "title: Checkout errors after a connection-pool setting was pushed everywhere",
        "title:",
    );
    let pm = check(&text);
    let at_title: Vec<_> = pm.findings.iter().filter(|f| f.line == 2).collect();
    assert_eq!(at_title.len(), 1, "{:#?}", pm.findings);
    let f = at_title[0];
    assert!(
        ["required-field", "field-type"].contains(&f.rule.id()) && f.level == Error,
        "{f:?}"
    );
    assert_eq!(f.column, 1);
}

#[test]
fn resolved_with_an_empty_ended_is_reported() {
    let text = valid_with("ended: 2024-03-14T10:40:00+01:00", "ended: \"\"");
    let pm = check(&text);
    assert!(
        pm.findings
            .iter()
            .any(|f| f.level == Error && (f.line == 4 || f.line == 6)),
        "a resolved incident with `ended: \"\"` has no end, yet: {:#?}",
        pm.findings
    );
}

#[test]
fn field_type_names_the_field_and_its_line() {
    let text = valid_with(
        "started: 2024-03-14T09:12:00+01:00",
        "started: yesterday morning",
    );
    let text = edit(&text, "services: [checkout]", "services: {name: checkout}");
    let pm = check(&text);
    assert_eq!(
        brief(&pm.findings),
        [("field-type", Error, 5, 1), ("field-type", Error, 7, 1)]
    );
    assert!(
        pm.findings[0].message.contains("`started`")
            && pm.findings[0].message.contains("yesterday morning"),
        "{}",
        pm.findings[0].message
    );
    assert_eq!(
        pm.findings[1].message,
        "`services` should be a list, not a set of fields"
    );
}

#[test]
fn field_type_status_that_is_neither_open_nor_resolved() {
    let f = only_finding(&valid_with("status: resolved", "status: closed"));
    assert_eq!(
        (f.rule.id(), f.level, f.line, f.column),
        ("field-type", Error, 4, 1)
    );
    assert!(f.message.contains("`closed`"), "{}", f.message);
    // Any case is fine.
    assert_eq!(
        findings_of(&valid_with("status: resolved", "status: Resolved")),
        []
    );
}

#[test]
fn field_type_review_date_and_draft() {
    let text = valid_with(
        "root_cause_categories: [config-change]\n",
        "root_cause_categories: [config-change]\nreview_date: next week\ndraft: yes\n",
    );
    let pm = check(&text);
    assert_eq!(
        brief(&pm.findings),
        [("field-type", Error, 9, 1), ("field-type", Error, 10, 1)]
    );
    assert!(
        pm.findings[0].message.contains("`review_date`"),
        "{}",
        pm.findings[0].message
    );
    assert!(
        pm.findings[1].message.contains("`draft`"),
        "{}",
        pm.findings[1].message
    );
}

#[test]
fn unknown_keys_are_kept_and_never_an_error() {
    let text = valid_with(
        "root_cause_categories: [config-change]\n",
        "root_cause_categories: [config-change]\nsource: https://status.example.com/incidents/42\ncustomer_tickets: 17\n",
    );
    let pm = check(&text);
    assert_eq!(brief(&pm.findings), []);
    assert_eq!(
        pm.front.extra["source"],
        "https://status.example.com/incidents/42"
    );
    assert_eq!(pm.front.extra["customer_tickets"], 17);
}

#[test]
fn incident_times_ended_before_started() {
    let text = valid_with(
        "ended: 2024-03-14T10:40:00+01:00",
        "ended: 2024-03-14T08:40:00+01:00",
    );
    let f = only_finding(&text);
    assert_eq!(
        (f.rule.id(), f.level, f.line, f.column),
        ("incident-times", Error, 6, 1)
    );
    assert_eq!(
        f.message,
        "`ended` (2024-03-14T08:40:00+01:00) is before `started` (2024-03-14T09:12:00+01:00)"
    );
}

#[test]
fn incident_times_compare_instants_not_wall_clocks() {
    // 09:00 in New York (13:00Z) is after 09:12 in Paris (08:12Z): no finding.
    let text = valid_with(
        "ended: 2024-03-14T10:40:00+01:00",
        "ended: 2024-03-14T09:00:00-04:00",
    );
    let pm = check(&text);
    assert_eq!(brief(&pm.findings), []);
    assert_eq!(pm.duration_minutes(), Some(288));
}

#[test]
fn incident_times_detected_before_started() {
    let text = valid_with(
        "ended: 2024-03-14T10:40:00+01:00\n",
        "ended: 2024-03-14T10:40:00+01:00\ndetected: 2024-03-14T08:00:00+01:00\n",
    );
    // It also disagrees with the timeline's detection event (09:20).
    assert_eq!(
        findings_of(&text),
        [("incident-times", Error, 7, 1), ("timeline", Warning, 7, 1)]
    );
}

// ---- severity, services, categories -------------------------------------------

#[test]
fn severity_unknown_with_did_you_mean() {
    let f = only_finding(&valid_with("severity: P1", "severity: P11"));
    assert_eq!(
        (f.rule.id(), f.level, f.line, f.column),
        ("severity", Error, 3, 1)
    );
    assert_eq!(f.message, "severity `P11` is not defined in site.toml");
    assert!(f.hint.contains("P0, P1, P2, P3"), "{}", f.hint);
    assert!(f.hint.contains("did you mean `P1`?"), "{}", f.hint);
}

#[test]
fn severity_far_from_any_level_has_no_suggestion() {
    let f = only_finding(&valid_with("severity: P1", "severity: catastrophic"));
    assert_eq!(f.rule.id(), "severity");
    assert!(!f.hint.contains("did you mean"), "{}", f.hint);
}

#[test]
fn severity_in_another_case_is_the_declared_level() {
    assert_eq!(findings_of(&valid_with("severity: P1", "severity: p1")), []);
}

#[test]
fn unknown_service_is_a_warning_at_the_entry_with_did_you_mean() {
    let f = only_finding(&valid_with(
        "services: [checkout]",
        "services: [checkout, chekout]",
    ));
    assert_eq!(
        (f.rule.id(), f.level, f.line, f.column),
        ("unknown-service", Warning, 7, 22)
    );
    assert_eq!(
        f.message,
        "`chekout` in `services` is not declared in site.toml"
    );
    assert!(f.hint.contains("Did you mean `checkout`?"), "{}", f.hint);
}

#[test]
fn unknown_service_in_a_block_list_points_at_its_line() {
    let text = valid_with(
        "services: [checkout]\n",
        "services:\n  - checkout\n  - paymnets\n",
    );
    let f = &check(&text).findings;
    assert_eq!(brief(f), [("unknown-service", Warning, 9, 5)]);
    assert!(
        f[0].hint.contains("Did you mean `payments`?"),
        "{}",
        f[0].hint
    );
}

#[test]
fn unknown_service_that_is_part_of_a_declared_one_points_at_itself() {
    // `check` also occurs inside `checkout`, which comes first on the line.
    let f = only_finding(&valid_with(
        "services: [checkout]",
        "services: [checkout, check]",
    ));
    assert_eq!(
        (f.rule.id(), f.level, f.line, f.column),
        ("unknown-service", Warning, 7, 22)
    );
}

#[test]
fn unknown_category_is_a_warning_with_did_you_mean() {
    let f = only_finding(&valid_with(
        "root_cause_categories: [config-change]",
        "root_cause_categories: [config-changes]",
    ));
    assert_eq!(
        (f.rule.id(), f.level, f.line, f.column),
        ("unknown-category", Warning, 8, 25)
    );
    assert_eq!(
        f.message,
        "`config-changes` in `root_cause_categories` is not declared in site.toml"
    );
    assert!(
        f.hint.contains("Did you mean `config-change`?"),
        "{}",
        f.hint
    );
}

#[test]
fn unknown_category_without_a_near_id_says_to_declare_it() {
    let f = only_finding(&valid_with(
        "root_cause_categories: [config-change]",
        "root_cause_categories: [solar-flare]",
    ));
    assert_eq!((f.rule.id(), f.level), ("unknown-category", Warning));
    assert!(!f.hint.contains("Did you mean"), "{}", f.hint);
    assert!(f.hint.contains("[[category]]"), "{}", f.hint);
}

// ---- missing-section ----------------------------------------------------------

#[test]
fn missing_section_is_reported_where_the_body_starts() {
    let text = valid_with(
        "## What Went Poorly\n\n- **Alert latency**: the page fired eight minutes after errors began.\n\n",
        "",
    );
    let f = only_finding(&text);
    assert_eq!(
        (f.rule.id(), f.level, f.line, f.column),
        ("missing-section", Error, 10, 1)
    );
    assert_eq!(
        f.message,
        "the post-mortem has no `What Went Poorly` section"
    );
}

#[test]
fn missing_sections_each_reported_once() {
    let text = "---\ntitle: T\nseverity: P2\nstatus: open\nstarted: 2024-03-14T09:12:00Z\n---\n\nWe are still writing this.\n";
    let pm = check(text);
    let got: Vec<(&str, u32, &str)> = pm
        .findings
        .iter()
        .map(|f| (f.rule.id(), f.line, f.message.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            (
                "missing-section",
                7,
                "the post-mortem has no `Timeline` section"
            ),
            (
                "missing-section",
                7,
                "the post-mortem has no `Impact` section"
            ),
            (
                "missing-section",
                7,
                "the post-mortem has no `Root Cause Analysis` section"
            ),
            (
                "missing-section",
                7,
                "the post-mortem has no `What Went Well` section"
            ),
            (
                "missing-section",
                7,
                "the post-mortem has no `What Went Poorly` section"
            ),
            (
                "missing-section",
                7,
                "the post-mortem has no `Action Items` section"
            ),
        ]
    );
}

#[test]
fn headings_match_by_words_at_any_level_and_case() {
    let text = VALID
        .replace("## Timeline", "# TIMELINE")
        .replace("## Impact", "### impact")
        .replace("## Root Cause Analysis", "## ROOT CAUSE ANALYSIS")
        .replace("## What Went Well", "#### what went well")
        .replace("## What Went Poorly", "## What went poorly")
        .replace("## Action Items", "## ACTION ITEMS");
    let pm = check(&text);
    assert_eq!(brief(&pm.findings), []);
    assert_eq!(pm.timeline.len(), 3);
    assert_eq!(pm.action_items.len(), 1);
    assert_eq!(pm.went_poorly.len(), 1);
}

// ---- timeline -------------------------------------------------------------------

#[test]
fn timeline_unreadable_time() {
    let f = only_finding(&valid_with("| 09:20 |", "| soonish |"));
    assert_eq!(
        (f.rule.id(), f.level, f.line, f.column),
        ("timeline", Error, 16, 3)
    );
    assert_eq!(f.message, "`soonish` is not a time hindsight can read");
}

#[test]
fn timeline_row_without_time() {
    let f = only_finding(&valid_with("| 09:20 |", "|  |"));
    assert_eq!((f.rule.id(), f.level, f.line), ("timeline", Error, 16));
    assert_eq!(f.message, "this timeline row has no time");
}

#[test]
fn timeline_out_of_order() {
    let f = only_finding(&valid_with("| 09:20 |", "| 09:05 |"));
    assert_eq!(
        (f.rule.id(), f.level, f.line, f.column),
        ("timeline", Error, 16, 3)
    );
    assert_eq!(f.message, "`09:05` comes before the previous row's `09:12`");
}

#[test]
fn timeline_without_rows() {
    let text = valid_with(
        "| 09:12 | Error rate on checkout rises to 8% | Checkout service |\n| 09:20 | On-call engineer paged by the error-rate alert | Alerting |\n| 10:40 | Rollback completes; error rate back to normal, status page updated for customers | SRE on call |\n",
        "",
    );
    let f = only_finding(&text);
    assert_eq!(
        (f.rule.id(), f.level, f.line, f.column),
        ("timeline", Error, 11, 1)
    );
    assert_eq!(f.message, "the timeline has no events");
}

// ---- action items ---------------------------------------------------------------

/// The action row is line 52:
/// `| 1 | Add a canary stage to config pushes | Dana Whitfield | 2024-04-30 | High |`
/// with the owner at column 45, the due date at 62 and the priority at 75.
const ROW: u32 = 52;

#[test]
fn owner_missing() {
    let f = only_finding(&valid_with("| Dana Whitfield |", "|  |"));
    assert_eq!(
        (f.rule.id(), f.level, f.line, f.column),
        ("owner-not-person", Error, ROW, 44)
    );
    assert_eq!(f.message, "action item 1 has no owner");
}

#[test]
fn owner_tbd_is_not_a_person() {
    let pm = check(&valid_with("| Dana Whitfield |", "| TBD |"));
    assert_eq!(
        brief(&pm.findings),
        [("owner-not-person", Error, ROW, 45)],
        "an action owned by `TBD` is owned by nobody"
    );
}

#[test]
fn columns_count_characters_not_bytes() {
    // `José Müller` is 11 characters and 13 bytes; the due date after it
    // starts at column 59.
    let text = valid_with(
        "| Dana Whitfield | 2024-04-30 |",
        "| José Müller | next sprint |",
    );
    assert_eq!(findings_of(&text), [("due-date", Error, ROW, 59)]);
}

#[test]
fn action_items_section_without_a_table() {
    let text = valid_with(
        "| # | Action | Owner | Due Date | Priority |\n|---|--------|-------|----------|----------|\n| 1 | Add a canary stage to config pushes | Dana Whitfield | 2024-04-30 | High |\n",
        "- Add a canary stage to config pushes\n",
    );
    let f = only_finding(&text);
    assert_eq!(
        (f.rule.id(), f.level, f.line, f.column),
        ("owner-not-person", Error, 48, 1)
    );
    assert_eq!(
        f.message,
        "the action items section has no table of actions"
    );
}

#[test]
fn due_date_missing() {
    let f = only_finding(&valid_with("| 2024-04-30 |", "|  |"));
    assert_eq!(
        (f.rule.id(), f.level, f.line, f.column),
        ("due-date", Error, ROW, 61)
    );
    assert_eq!(f.message, "action item 1 has no due date");
}

#[test]
fn due_date_not_a_date() {
    let f = only_finding(&valid_with("| 2024-04-30 |", "| next sprint |"));
    assert_eq!(
        (f.rule.id(), f.level, f.line, f.column),
        ("due-date", Error, ROW, 62)
    );
    assert_eq!(
        f.message,
        "action item 1's due date `next sprint` is not a date"
    );
}

#[test]
fn due_date_that_does_not_exist_is_not_a_date() {
    let f = only_finding(&valid_with("| 2024-04-30 |", "| 2024-02-30 |"));
    assert_eq!((f.rule.id(), f.line, f.column), ("due-date", ROW, 62));
}

#[test]
fn due_date_spelled_out_is_read() {
    let pm = check(&valid_with("| 2024-04-30 |", "| April 30, 2024 |"));
    assert_eq!(brief(&pm.findings), []);
    assert_eq!(pm.action_items[0].due.unwrap().to_string(), "2024-04-30");
}

#[test]
fn priority_missing() {
    let f = only_finding(&valid_with("| High |", "|  |"));
    assert_eq!(
        (f.rule.id(), f.level, f.line, f.column),
        ("priority", Error, ROW, 74)
    );
    assert_eq!(f.message, "action item 1 has no priority");
}

#[test]
fn priority_cell_missing_from_a_short_row_is_reported_on_that_row() {
    // The row stops after the due date: its missing priority is on line 52,
    // not on the blank line after the table.
    let f = only_finding(&valid_with("2024-04-30 | High |", "2024-04-30 |"));
    assert_eq!((f.rule.id(), f.level), ("priority", Error));
    assert_eq!(f.line, ROW, "{f:?}");
}

#[test]
fn priority_unknown_word_is_a_warning() {
    let f = only_finding(&valid_with("| High |", "| Whenever |"));
    assert_eq!(
        (f.rule.id(), f.level, f.line, f.column),
        ("priority", Warning, ROW, 75)
    );
}

#[test]
fn action_status_unknown_is_a_warning_and_counts_as_open() {
    let text = valid_with("| Priority |\n", "| Priority | Status |\n");
    let text = edit(&text, "|----------|\n", "|----------|--------|\n");
    let text = edit(&text, "| High |\n", "| High | Blocked on vendor |\n");
    let pm = check(&text);
    assert_eq!(brief(&pm.findings), [("action-status", Warning, ROW, 82)]);
    assert!(pm.action_items[0].status.is_open());
}

// ---- placeholder ----------------------------------------------------------------

#[test]
fn placeholder_in_a_table_cell() {
    let f = only_finding(&valid_with("| Dana Whitfield |", "| [Name] |"));
    assert_eq!(
        (f.rule.id(), f.level, f.line, f.column),
        ("placeholder", Error, ROW, 45)
    );
    assert_eq!(
        f.message,
        "`[Name]` is the template's placeholder, not yet filled in"
    );
}

#[test]
fn placeholder_in_prose_and_in_the_front_matter() {
    let text = valid_with(
        "Data impact: None.",
        "Data impact: [Any data loss, corruption, or access issues]",
    );
    let text = edit(
        &text,
        "title: Checkout errors after a connection-pool setting was pushed everywhere",
        "title: \"[Descriptive, not blaming]\"",
    );
    assert_eq!(
        findings_of(&text),
        [("placeholder", Error, 2, 1), ("placeholder", Error, 23, 14)]
    );
}

#[test]
fn bracketed_text_that_is_not_a_seed_slot_is_fine() {
    let text = valid_with(
        "Data impact: None.",
        "Data impact: None [see ticket OPS-12].",
    );
    assert_eq!(findings_of(&text), []);
}

// ---- duplicate-id and whole-archive behaviour --------------------------------------

#[test]
fn duplicate_id_names_both_files() {
    let site = Site::new();
    site.write("a b.md", VALID).write("a-b.md", VALID);
    let archive = site.load();
    // The first file in path order keeps the page; the other is reported
    // among the files that could not be built, so no page or export has
    // two post-mortems under one id.
    assert_eq!(archive.post_mortems.len(), 1);
    let kept = &archive.post_mortems[0];
    assert_eq!(
        (kept.id.as_str(), kept.source.as_str()),
        ("a-b", "content/a b.md")
    );
    let dropped: Vec<_> = archive
        .unreadable
        .iter()
        .filter(|f| f.rule.id() == "duplicate-id")
        .collect();
    assert_eq!(dropped.len(), 1);
    assert_eq!(dropped[0].file, std::path::Path::new("content/a-b.md"));
    for finding in [&kept.findings[0], dropped[0]] {
        assert_eq!(
            (finding.rule.id(), finding.line, finding.column),
            ("duplicate-id", 1, 1)
        );
        let message = &finding.message;
        assert!(
            message.contains("content/a b.md") && message.contains("content/a-b.md"),
            "{message}"
        );
        assert!(message.contains("incidents/a-b/"), "{message}");
    }
}

#[test]
fn every_file_is_checked_and_every_finding_reported() {
    let site = Site::new();
    let no_front_matter = format!("## Timeline{}", VALID.split_once("## Timeline").unwrap().1);
    site.write("2024/a-no-front-matter.md", &no_front_matter)
        .write(
            "2024/b-bad-severity.md",
            &valid_with("severity: P1", "severity: P9"),
        )
        .write("2024/c-fine.md", VALID)
        .write(
            "2024/d-bad-due.md",
            &valid_with("| 2024-04-30 |", "| soon |"),
        )
        .write_bytes("2024/e-latin1.md", b"---\ntitle: Caf\xe9\n---\n")
        .write("_drafts/ignored.md", "not a post-mortem")
        .write(".hidden.md", "not a post-mortem");
    let archive = site.load();
    let ids: Vec<&str> = archive.post_mortems.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "2024/a-no-front-matter",
            "2024/b-bad-severity",
            "2024/c-fine",
            "2024/d-bad-due"
        ]
    );
    let all: Vec<(String, &str, u32, u32)> = archive
        .findings()
        .map(|f| {
            (
                f.file.to_string_lossy().into_owned(),
                f.rule.id(),
                f.line,
                f.column,
            )
        })
        .collect();
    assert_eq!(
        all,
        [
            ("content/2024/e-latin1.md".to_string(), "read", 2, 11),
            (
                "content/2024/a-no-front-matter.md".to_string(),
                "front-matter",
                1,
                1
            ),
            (
                "content/2024/b-bad-severity.md".to_string(),
                "severity",
                3,
                1
            ),
            ("content/2024/d-bad-due.md".to_string(), "due-date", ROW, 62),
        ]
    );
}

// ---- messy inputs --------------------------------------------------------------------

#[test]
fn utf8_bom_is_ignored_and_positions_unchanged() {
    let pm = check(&format!("\u{feff}{VALID}"));
    assert_eq!(brief(&pm.findings), []);
    assert_eq!(pm.front.severity.as_deref(), Some("P1"));
    let bad = format!("\u{feff}{}", valid_with("severity: P1", "severity: P11"));
    assert_eq!(findings_of(&bad), [("severity", Error, 3, 1)]);
}

#[test]
fn crlf_line_endings_read_the_same() {
    let lf = check(VALID);
    let crlf = check(&VALID.replace('\n', "\r\n"));
    assert_eq!(brief(&crlf.findings), []);
    let times = |pm: &hindsight::post_mortem::PostMortem| -> Vec<(String, String, String)> {
        pm.timeline
            .iter()
            .map(|e| {
                (
                    e.time.map(|m| m.to_string()).unwrap_or_default(),
                    e.event.clone(),
                    e.who.clone(),
                )
            })
            .collect()
    };
    assert_eq!(times(&crlf), times(&lf));
    assert_eq!(
        crlf.impact.customer.as_ref().unwrap().text,
        "8% of checkouts failed for 88 minutes."
    );
    assert_eq!(
        crlf.root_cause.whys[1].text,
        "Staged rollouts were only built for code deploys, not config."
    );
    assert_eq!(crlf.action_items[0].priority_text.text, "High");
    assert_eq!(crlf.review.as_ref().unwrap().pos.line, 54);
}

#[test]
fn crlf_findings_have_the_same_positions() {
    for (from, to, expected) in [
        ("| 09:20 |", "| soonish |", ("timeline", Error, 16, 3)),
        (
            "| 2024-04-30 |",
            "| next sprint |",
            ("due-date", Error, ROW, 62),
        ),
        ("severity: P1", "severity: P11", ("severity", Error, 3, 1)),
        (
            "title: Checkout errors",
            "title: Checkout: errors",
            ("front-matter", Error, 2, 16),
        ),
    ] {
        let text = valid_with(from, to).replace('\n', "\r\n");
        assert_eq!(findings_of(&text), [expected], "{to}");
    }
}

#[test]
fn trailing_spaces_after_fences() {
    let text = VALID.replacen("---\n", "---  \n", 1);
    let text = edit(&text, "[config-change]\n---\n", "[config-change]\n---\t \n");
    let pm = check(&text);
    assert_eq!(brief(&pm.findings), []);
    assert_eq!(pm.front.status.map(|s| s.as_str()), Some("resolved"));
    assert_eq!(pm.body_pos.line, 10);
}

#[test]
fn escaped_pipe_in_a_table_cell_stays_in_its_cell() {
    let text = valid_with(
        "| Error rate on checkout rises to 8% |",
        "| Errors: pool \\| queue saturated |",
    );
    let pm = check(&text);
    assert_eq!(brief(&pm.findings), []);
    assert_eq!(pm.timeline[0].event, "Errors: pool | queue saturated");
    assert_eq!(pm.timeline[0].who, "Checkout service");
    let text = valid_with(
        "| Add a canary stage to config pushes |",
        "| Add a canary \\| staged push |",
    );
    let pm = check(&text);
    assert_eq!(pm.action_items[0].action.text, "Add a canary | staged push");
    assert_eq!(pm.action_items[0].owner.text, "Dana Whitfield");
}

#[test]
fn bold_labels_with_the_colon_inside_or_outside() {
    let text = valid_with(
        "Customer impact: 8% of checkouts failed for 88 minutes.\nRevenue impact:",
        "**Customer impact:** 8% of checkouts failed for 88 minutes.\n**Revenue impact**:",
    );
    let text = edit(
        &text,
        "- **Fast rollback**: the previous",
        "- **Fast rollback:** the previous",
    );
    let pm = check(&text);
    assert_eq!(brief(&pm.findings), []);
    assert_eq!(
        pm.impact.customer.as_ref().unwrap().text,
        "8% of checkouts failed for 88 minutes."
    );
    assert_eq!(
        pm.impact.revenue.as_ref().unwrap().text,
        "About 1,200 orders were delayed; none were lost."
    );
    assert_eq!(pm.went_well[0].name, "Fast rollback");
    assert_eq!(
        pm.went_well[0].detail,
        "the previous setting was one command away."
    );
    assert_eq!(pm.went_poorly[0].name, "Alert latency");
}

#[test]
fn impact_lines_as_list_items() {
    let text = valid_with("Customer impact: 8%", "- Customer impact: 8%");
    let text = edit(&text, "\nRevenue impact:", "\n- Revenue impact:");
    let text = edit(&text, "\nData impact:", "\n- Data impact:");
    let text = edit(&text, "\nReputation impact:", "\n- **Reputation impact:**");
    let pm = check(&text);
    assert_eq!(brief(&pm.findings), []);
    let i = &pm.impact;
    assert_eq!(
        i.customer
            .as_ref()
            .map(|f| (f.text.as_str(), f.pos.line, f.pos.column)),
        Some(("8% of checkouts failed for 88 minutes.", 21, 3))
    );
    assert_eq!(
        i.revenue.as_ref().unwrap().text,
        "About 1,200 orders were delayed; none were lost."
    );
    assert_eq!(i.data.as_ref().unwrap().text, "None.");
    assert_eq!(
        i.reputation.as_ref().unwrap().text,
        "A handful of complaints on social media."
    );
}

#[test]
fn whys_as_a_numbered_list() {
    let text = valid_with(
        "Why did that happen? The config tool applies every change to every region in one step.\nWhy did that happen? Staged rollouts were only built for code deploys, not config.\n",
        "\n1. The config tool applies every change to every region in one step.\n2. Staged rollouts were only built for code deploys, not config.\n",
    );
    let pm = check(&text);
    assert_eq!(brief(&pm.findings), []);
    let whys: Vec<(&str, u32)> = pm
        .root_cause
        .whys
        .iter()
        .map(|w| (w.text.as_str(), w.pos.line))
        .collect();
    assert_eq!(
        whys,
        [
            (
                "The config tool applies every change to every region in one step.",
                30
            ),
            (
                "Staged rollouts were only built for code deploys, not config.",
                31
            ),
        ]
    );
}

#[test]
fn approximate_times_are_kept_approximate() {
    let text = valid_with(
        "started: 2024-03-14T09:12:00+01:00",
        "started: 2024-03-14T17:00:00Z",
    );
    let text = edit(
        &text,
        "ended: 2024-03-14T10:40:00+01:00",
        "ended: 2024-03-15T00:30:00Z",
    );
    let text = edit(&text, "| 09:12 |", "| ~17:20 |");
    let text = edit(&text, "| 09:20 |", "| after 23:30 |");
    let text = edit(&text, "| 10:40 |", "| 00:15 |");
    let pm = check(&text);
    assert_eq!(brief(&pm.findings), []);
    let rows: Vec<(&str, String, bool)> = pm
        .timeline
        .iter()
        .map(|e| {
            (
                e.time_text.as_str(),
                e.time.map(|m| m.to_string()).unwrap_or_default(),
                e.approximate,
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            ("~17:20", "2024-03-14T17:20:00Z".to_string(), true),
            ("after 23:30", "2024-03-14T23:30:00Z".to_string(), true),
            ("00:15", "2024-03-15T00:15:00Z".to_string(), false),
        ]
    );
}

#[test]
fn site_time_zone_applies_to_times_without_offset() {
    // Europe/Berlin; the night clocks went forward (2024-03-31 02:00 → 03:00).
    let berlin = config_in("Europe/Berlin");
    let text = valid_with(
        "started: 2024-03-14T09:12:00+01:00",
        "started: 2024-03-30 22:00",
    );
    let text = edit(
        &text,
        "ended: 2024-03-14T10:40:00+01:00",
        "ended: 2024-03-31 04:00",
    );
    let text = edit(&text, "| 09:12 |", "| 22:00 |");
    let text = edit(&text, "| 09:20 |", "| 23:50 |");
    let text = edit(&text, "| 10:40 |", "| 03:30 |");
    let pm = check_with(&text, &berlin);
    assert_eq!(brief(&pm.findings), []);
    assert_eq!(
        pm.front.started.unwrap().to_string(),
        "2024-03-30T22:00:00+01:00"
    );
    assert_eq!(
        pm.front.ended.unwrap().to_string(),
        "2024-03-31T04:00:00+02:00"
    );
    // 21:00Z to 02:00Z.
    assert_eq!(pm.duration_minutes(), Some(300));
    let times: Vec<String> = pm
        .timeline
        .iter()
        .map(|e| e.time.map(|m| m.to_string()).unwrap_or_default())
        .collect();
    assert_eq!(
        times,
        [
            "2024-03-30T22:00:00+01:00",
            "2024-03-30T23:50:00+01:00",
            "2024-03-31T03:30:00+02:00"
        ]
    );
    // An explicit offset is kept as written.
    let pm = check_with(VALID, &berlin);
    assert_eq!(
        pm.front.started.unwrap().to_string(),
        "2024-03-14T09:12:00+01:00"
    );
}

#[test]
fn timeline_times_are_read_on_the_day_and_clock_that_started_was_written_in() {
    // Site zone UTC; the author writes `started` in -08:00 and the timeline
    // on that clock: 23:30 is the start, 00:40 the next morning.
    let text = valid_with(
        "started: 2024-03-14T09:12:00+01:00",
        "started: 2024-03-14T23:30:00-08:00",
    );
    let text = edit(
        &text,
        "ended: 2024-03-14T10:40:00+01:00",
        "ended: 2024-03-15T01:00:00-08:00",
    );
    let text = edit(&text, "| 09:12 |", "| 23:30 |");
    let text = edit(&text, "| 09:20 |", "| 23:45 |");
    let text = edit(&text, "| 10:40 |", "| 00:40 |");
    let pm = check(&text);
    assert_eq!(brief(&pm.findings), []);
    let started = pm.front.started.unwrap();
    let first = pm.timeline[0].time.unwrap();
    assert_eq!(
        first.timestamp, started.timestamp,
        "`23:30` was placed at {first}, not at `started` ({started})"
    );
    let last = pm.timeline[2].time.unwrap();
    assert_eq!(
        last.timestamp.to_string(),
        "2024-03-15T08:40:00Z",
        "`00:40` placed at {last}"
    );
}

#[test]
fn file_time_zone_overrides_the_site_zone_for_timeline_times() {
    let text = valid_with(
        "started: 2024-03-14T09:12:00+01:00",
        "time_zone: America/New_York\nstarted: 2024-03-14 09:12",
    );
    let text = edit(
        &text,
        "ended: 2024-03-14T10:40:00+01:00",
        "ended: 2024-03-14 10:40",
    );
    let pm = check(&text);
    assert_eq!(brief(&pm.findings), []);
    assert_eq!(
        pm.timeline[1].time.unwrap().to_string(),
        "2024-03-14T09:20:00-04:00"
    );
}

#[test]
fn header_block_that_disagrees_with_the_front_matter_is_a_finding() {
    // FORMAT.md: "Where it and the front matter disagree, that is a finding."
    let text = valid_with(
        "---\n\n## Timeline",
        "---\n\n**Severity:** P3\n\n## Timeline",
    );
    let pm = check(&text);
    assert_eq!(pm.header.severity.as_ref().unwrap().text, "P3");
    assert!(
        pm.findings.iter().any(|f| f.line == 11),
        "`**Severity:** P3` (line 11) contradicts `severity: P1` without a finding: {:#?}",
        pm.findings
    );
}
