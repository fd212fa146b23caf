//! The framework rules (docs/rules.md), one fixture each asserting the exact
//! findings (rule, level, line, column), with a near miss that passes; then
//! status-aware levels, `[rules]` levels, silences and the score. Fixtures
//! are `common::VALID` with one line changed, so line numbers can be read
//! off the listing in `common/mod.rs`.

mod common;

use std::path::Path;

use common::*;
use hindsight::config::SiteConfig;
use hindsight::finding::Finding;
use hindsight::finding::Level::{Error, Warning};
use hindsight::front_matter::Status;
use serde_json::Value;

// Lines of VALID the fixtures change.
const PROXIMATE: &str = "a connection-pool setting was pushed to all regions at once.";
const WHY_1: &str = "The config tool applies every change to every region in one step.";
const WHY_2: &str = "Staged rollouts were only built for code deploys, not config.";
const POORLY: &str = "the page fired eight minutes after errors began.";
const ROW_0920: &str = "| 09:20 | On-call engineer paged by the error-rate alert | Alerting |";
const ROW_1040: &str =
    "| 10:40 | Rollback completes; error rate back to normal, status page updated for customers | SRE on call |";
const ACTION: &str = "Add a canary stage to config pushes";
const OWNER: &str = "| Dana Whitfield |";
const REVIEW: &str = "These will be reviewed at the reliability review on 2024-03-28.";
/// The blank line 10 between the front matter and `## Timeline`, where a
/// header line can go without moving any other line.
const LINE_10: &str = "---\n\n## Timeline";

fn findings_of(text: &str) -> Vec<Brief> {
    brief(&check(text).findings)
}

fn findings_with(text: &str, config: &SiteConfig) -> Vec<Brief> {
    brief(&check_with(text, config).findings)
}

fn messages(text: &str) -> Vec<String> {
    check(text)
        .findings
        .into_iter()
        .map(|f| f.message)
        .collect()
}

fn only(text: &str) -> Finding {
    let pm = check(text);
    assert_eq!(pm.findings.len(), 1, "{:#?}", pm.findings);
    pm.findings[0].clone()
}

/// The fixture site.toml with `extra` appended (a `[rules]` table, say).
fn config_plus(extra: &str) -> SiteConfig {
    SiteConfig::parse(
        &format!("{}{extra}", site_toml("UTC")),
        Path::new("site.toml"),
    )
    .expect("fixture site.toml")
}

/// The fixture site.toml with more keys in its `[framework]` table.
fn config_framework(keys: &str) -> SiteConfig {
    let toml = edit(
        &site_toml("UTC"),
        "min_whys = 2\n",
        &format!("min_whys = 2\n{keys}\n"),
    );
    SiteConfig::parse(&toml, Path::new("site.toml")).expect("fixture site.toml")
}

fn open(text: &str) -> String {
    edit(text, "status: resolved", "status: open")
}

/// The 1-based column of `needle` in line `line` of `text`.
fn column_of(text: &str, line: u32, needle: &str) -> u32 {
    let l = text.lines().nth(line as usize - 1).unwrap();
    l[..l
        .find(needle)
        .unwrap_or_else(|| panic!("`{needle}` not on line {line}: {l}"))]
        .chars()
        .count() as u32
        + 1
}

#[test]
fn the_valid_fixture_is_clean_and_scores_100() {
    let pm = check(VALID);
    assert_eq!(brief(&pm.findings), []);
    assert_eq!(pm.score, 100);
}

// ---- blame-language ----------------------------------------------------------

#[test]
fn blame_language_in_the_root_cause_is_an_error_on_the_phrase() {
    let text = valid_with(
        PROXIMATE,
        "an engineer carelessly pushed a connection-pool setting to all regions at once.",
    );
    let f = only(&text);
    assert_eq!(
        (f.rule.id(), f.level, f.line, f.column),
        ("blame-language", Error, 28, 41)
    );
    assert_eq!(f.column, column_of(&text, 28, "carelessly"));
    assert_eq!(f.length, "carelessly".len() as u32);
    assert_eq!(
        f.message,
        "`carelessly` blames a person rather than the system"
    );
    assert!(
        f.hint.starts_with("Let's focus on what the system needed"),
        "{}",
        f.hint
    );
}

#[test]
fn blame_language_human_error_as_a_cause_is_an_error() {
    let text = valid_with(POORLY, "the outage was caused by human error.");
    let f = only(&text);
    assert_eq!(
        (f.rule.id(), f.level, f.line, f.column),
        ("blame-language", Error, 46, 47)
    );
    assert_eq!(f.column, column_of(&text, 46, "human error"));
    assert_eq!(f.length, 11);
    assert_eq!(f.message, "\"human error\" names a person as the cause");
}

#[test]
fn blame_language_in_what_went_poorly_is_an_error() {
    let text = valid_with(
        POORLY,
        "the on-call engineer should have known the setting was unsafe.",
    );
    assert_eq!(findings_of(&text), [("blame-language", Error, 46, 43)]);
    assert_eq!(column_of(&text, 46, "should have known"), 43);
    assert_eq!(only(&text).length, 17);
}

#[test]
fn blame_language_in_a_timeline_cell_is_a_warning() {
    let text = valid_with(
        ROW_0920,
        "| 09:20 | On-call engineer paged by the error-rate alert; the engineer forgot to check the dashboard | Alerting |",
    );
    assert_eq!(findings_of(&text), [("blame-language", Warning, 16, 72)]);
    assert_eq!(column_of(&text, 16, "forgot to"), 72);
}

#[test]
fn blame_language_near_misses_pass() {
    // Rejecting blame is not blame.
    let rejected = valid_with(
        WHY_2,
        "Staged rollouts were only built for code deploys, not config; this was not human error.",
    );
    assert_eq!(findings_of(&rejected), []);
    // "failed to" said of a system is not blame.
    let system = valid_with(
        POORLY,
        "the health check failed to detect the errors for eight minutes.",
    );
    assert_eq!(findings_of(&system), []);
}

#[test]
fn blame_language_reads_extra_phrases_from_the_framework_table() {
    let text = valid_with(POORLY, "the on-call engineer was thrown under the bus.");
    assert_eq!(findings_of(&text), []);
    let config = config_framework("blame_phrases = [\"thrown under the bus\"]");
    assert_eq!(
        findings_with(&text, &config),
        [("blame-language", Error, 46, 47)]
    );
    assert_eq!(column_of(&text, 46, "thrown under the bus"), 47);
}

// ---- named-person --------------------------------------------------------------

#[test]
fn named_person_an_owner_failing_in_the_root_cause() {
    // Dana Whitfield owns action item 1, so the name is known to be a person.
    let text = valid_with(
        PROXIMATE,
        "Dana Whitfield misconfigured the connection pool in all regions at once.",
    );
    let f = only(&text);
    assert_eq!(
        (f.rule.id(), f.level, f.line, f.column, f.length),
        ("named-person", Error, 28, 29, 14)
    );
    assert_eq!(f.column, column_of(&text, 28, "Dana Whitfield"));
    assert_eq!(
        f.message,
        "Dana Whitfield is named as the subject of a failure"
    );
}

#[test]
fn named_person_in_what_went_poorly() {
    let text = valid_with(POORLY, "Dana Whitfield misconfigured the pool setting.");
    assert_eq!(findings_of(&text), [("named-person", Error, 46, 22)]);
}

#[test]
fn named_person_near_misses_pass() {
    // A role, not a name.
    let role = valid_with(
        POORLY,
        "the release engineer broke checkout by pushing the setting everywhere.",
    );
    assert_eq!(findings_of(&role), []);
    // A name that is not the subject of a failure.
    let paged = valid_with(
        POORLY,
        "Dana Whitfield was paged eight minutes after errors began.",
    );
    assert_eq!(findings_of(&paged), []);
}

#[test]
fn named_person_reads_names_from_framework_people() {
    let text = valid_with(POORLY, "Jordan Lee misconfigured the pool setting.");
    // Not an owner anywhere, so unknown as a name by default.
    assert_eq!(findings_of(&text), []);
    let config = config_framework("people = [\"Jordan Lee\"]");
    assert_eq!(
        findings_with(&text, &config),
        [("named-person", Error, 46, 22)]
    );
}

// ---- vague-action --------------------------------------------------------------

#[test]
fn vague_action_improve_monitoring_fails() {
    let text = valid_with(ACTION, "Improve monitoring");
    assert_eq!(findings_of(&text), [("vague-action", Error, 52, 7)]);
    assert_eq!(
        messages(&text),
        ["action item 1 says `improve` with nothing that says when it is done"]
    );
}

#[test]
fn vague_action_investigations_and_exhortations_fail() {
    for action in ["Look into flaky tests", "Investigate the outage"] {
        let text = valid_with(ACTION, action);
        assert_eq!(
            findings_of(&text),
            [("vague-action", Error, 52, 7)],
            "{action}"
        );
        assert_eq!(
            messages(&text),
            ["action item 1 is an investigation with no deliverable"],
            "{action}"
        );
    }
    let careful = check(&valid_with(ACTION, "Be more careful"));
    let vague: Vec<Brief> = brief(&careful.findings)
        .into_iter()
        .filter(|b| b.0 == "vague-action")
        .collect();
    assert_eq!(vague, [("vague-action", Error, 52, 7)]);
}

#[test]
fn vague_action_with_a_checkable_done_state_passes() {
    let text = valid_with(
        ACTION,
        "Add alerting when checkout p99 exceeds 800 ms for 5 minutes",
    );
    assert_eq!(findings_of(&text), []);
}

// ---- owner-not-person ----------------------------------------------------------

#[test]
fn owner_not_person_tbd_a_team_and_two_names() {
    for (owner, why) in [
        ("TBD", "is owned by `TBD`, which is not a person yet"),
        (
            "Platform team",
            "is owned by `Platform team`, a team rather than one person",
        ),
        (
            "Dana Whitfield and Ravi Shah",
            "is owned by `Dana Whitfield and Ravi Shah`, several people",
        ),
    ] {
        let text = valid_with(OWNER, &format!("| {owner} |"));
        assert_eq!(
            findings_of(&text),
            [("owner-not-person", Error, 52, 45)],
            "{owner}"
        );
        assert_eq!(messages(&text), [format!("action item 1 {why}")]);
    }
    // One person passes (VALID's owner); so does a role-qualified name.
    let text = valid_with(OWNER, "| Payments engineer Ada |");
    assert_eq!(findings_of(&text), []);
}

// ---- due-date ----------------------------------------------------------------

#[test]
fn due_date_before_the_incident_is_an_error() {
    let text = valid_with("2024-04-30", "2024-03-01");
    assert_eq!(findings_of(&text), [("due-date", Error, 52, 62)]);
    assert_eq!(
        messages(&text),
        ["action item 1's due date 2024-03-01 is before the incident began (2024-03-14)"]
    );
    // The incident's own day is not before it.
    assert_eq!(findings_of(&valid_with("2024-04-30", "2024-03-14")), []);
}

#[test]
fn due_date_more_than_max_due_days_out_is_a_warning() {
    // 180 days (the default) after 2024-03-14 is 2024-09-10.
    assert_eq!(findings_of(&valid_with("2024-04-30", "2024-09-10")), []);
    let text = valid_with("2024-04-30", "2024-09-11");
    assert_eq!(findings_of(&text), [("due-date", Warning, 52, 62)]);
    assert_eq!(
        messages(&text),
        ["action item 1 is due 2024-09-11, more than 180 days after the incident"]
    );
    let config = config_framework("max_due_days = 365");
    assert_eq!(findings_with(&text, &config), []);
}

// ---- shallow-root-cause --------------------------------------------------------

#[test]
fn shallow_root_cause_ending_at_a_persons_act() {
    let text = valid_with(WHY_2, "The engineer mistyped the region list.");
    assert_eq!(findings_of(&text), [("shallow-root-cause", Error, 30, 1)]);
    assert_eq!(
        messages(&text),
        ["the why-chain ends at a person's act (why 2), not at what the system allowed"]
    );
}

#[test]
fn shallow_root_cause_circular() {
    let text = valid_with(WHY_2, WHY_1);
    assert_eq!(findings_of(&text), [("shallow-root-cause", Error, 30, 1)]);
    assert_eq!(
        messages(&text),
        ["why 2 restates why 1 instead of going deeper"]
    );
}

#[test]
fn shallow_root_cause_stopping_at_the_proximate_cause() {
    // Both why lines blanked: lines 29-30 are empty, the proximate is line 28.
    let text = valid_with(
        &format!("Why did that happen? {WHY_1}\nWhy did that happen? {WHY_2}\n"),
        "\n\n",
    );
    assert_eq!(findings_of(&text), [("shallow-root-cause", Error, 28, 1)]);
    assert_eq!(
        messages(&text),
        ["the root-cause analysis stops at the proximate cause"]
    );
}

#[test]
fn shallow_root_cause_fewer_whys_than_min_whys_is_a_warning() {
    // One why (line 30) that reaches a system condition; min_whys is 2.
    let text = valid_with(&format!("Why did that happen? {WHY_1}\n"), "\n");
    assert_eq!(findings_of(&text), [("shallow-root-cause", Warning, 30, 1)]);
    assert_eq!(messages(&text), ["the why-chain has 1 of the 2 whys"]);
    // VALID's two whys fall short of a min_whys of 3.
    let config = SiteConfig::parse(
        &edit(&site_toml("UTC"), "min_whys = 2", "min_whys = 3"),
        Path::new("site.toml"),
    )
    .unwrap();
    assert_eq!(
        findings_with(VALID, &config),
        [("shallow-root-cause", Warning, 30, 1)]
    );
}

#[test]
fn shallow_root_cause_near_miss_from_the_docs_passes() {
    let text = valid_with(
        WHY_2,
        "The tool accepted a removal larger than the fleet's minimum capacity without a check.",
    );
    assert_eq!(findings_of(&text), []);
}

// ---- contributing-factors, prevention -----------------------------------------

#[test]
fn contributing_factors_empty_list() {
    let text = valid_with(
        "- **No canary**: the push reached every region at once.",
        "",
    );
    assert_eq!(findings_of(&text), [("contributing-factors", Error, 26, 1)]);
    assert_eq!(messages(&text), ["there are no contributing factors"]);
    // An item without a bold name still counts.
    let plain = valid_with(
        "- **No canary**: the push reached every region at once.",
        "- The push reached every region at once.",
    );
    assert_eq!(findings_of(&plain), []);
}

#[test]
fn prevention_empty_list() {
    let text = valid_with(
        "- **Staged config rollout**: one region first would have limited the impact.",
        "",
    );
    assert_eq!(findings_of(&text), [("prevention", Error, 26, 1)]);
    assert_eq!(
        messages(&text),
        ["nothing says what would have prevented this incident"]
    );
}

// ---- went-well -----------------------------------------------------------------

const WENT_WELL: &str = "- **Fast rollback**: the previous setting was one command away.";

#[test]
fn went_well_empty() {
    let text = valid_with(WENT_WELL, "");
    assert_eq!(findings_of(&text), [("went-well", Error, 40, 1)]);
    assert_eq!(messages(&text), ["\"What went well\" lists nothing"]);
}

#[test]
fn went_well_n_a() {
    let text = valid_with(WENT_WELL, "- n/a");
    assert_eq!(findings_of(&text), [("went-well", Error, 42, 3)]);
    assert_eq!(messages(&text), ["`n/a` is not something that went well"]);
    // Starting with "Nothing" is not the same as saying nothing.
    let genuine = valid_with(
        WENT_WELL,
        "- **Nothing broke further**: the rollback restored service.",
    );
    assert_eq!(findings_of(&genuine), []);
}

// ---- timeline ------------------------------------------------------------------

#[test]
fn timeline_without_a_detection_event() {
    let text = valid_with(
        ROW_0920,
        "| 09:20 | Engineers start looking at the error rate | SRE |",
    );
    assert_eq!(findings_of(&text), [("timeline", Error, 11, 1)]);
    assert_eq!(messages(&text), ["the timeline has no detection event"]);
}

#[test]
fn timeline_without_a_resolution_event() {
    let text = valid_with(
        ROW_1040,
        "| 10:40 | Rollback completes; status page updated for customers | SRE |",
    );
    assert_eq!(findings_of(&text), [("timeline", Error, 11, 1)]);
    assert_eq!(messages(&text), ["the timeline has no resolution event"]);
}

#[test]
fn timeline_without_customer_communication_is_a_warning() {
    let text = valid_with(
        ROW_1040,
        "| 10:40 | Rollback completes; error rate back to normal | SRE |",
    );
    assert_eq!(findings_of(&text), [("timeline", Warning, 11, 1)]);
    assert_eq!(
        messages(&text),
        ["the timeline has no customer communication"]
    );
}

#[test]
fn timeline_detected_far_from_the_detection_event_is_a_warning() {
    // `detected` replaces line 7; the timeline detects at 09:20.
    let near = valid_with(
        "services: [checkout]",
        "detected: 2024-03-14T09:35:00+01:00",
    );
    assert_eq!(findings_of(&near), []);
    let far = valid_with(
        "services: [checkout]",
        "detected: 2024-03-14T10:00:00+01:00",
    );
    assert_eq!(findings_of(&far), [("timeline", Warning, 7, 1)]);
    assert_eq!(
        messages(&far),
        ["`detected` (2024-03-14T10:00:00+01:00) is 40 min away from the timeline's detection event at `09:20`"]
    );
    let just_over = valid_with(
        "services: [checkout]",
        "detected: 2024-03-14T09:36:00+01:00",
    );
    assert_eq!(findings_of(&just_over), [("timeline", Warning, 7, 1)]);
}

// ---- duration-mismatch, header-mismatch ---------------------------------------

fn with_header(line: &str) -> String {
    valid_with(LINE_10, &format!("---\n{line}\n## Timeline"))
}

#[test]
fn duration_mismatch_two_hours_for_88_minutes() {
    let text = with_header("**Date/Time:** 2024-03-14 09:12 to 10:40 — Duration: 2 hours");
    assert_eq!(findings_of(&text), [("duration-mismatch", Error, 10, 3)]);
    assert_eq!(
        messages(&text),
        ["the header says the incident lasted 2 h, but `started` to `ended` is 1 h 28 min"]
    );
    // Tolerance is 5% (4 minutes of 88).
    let off_by_5 = with_header("**Date/Time:** 2024-03-14 09:12 to 10:40 — Duration: 93 minutes");
    assert_eq!(
        findings_of(&off_by_5),
        [("duration-mismatch", Error, 10, 3)]
    );
}

#[test]
fn duration_mismatch_near_misses_pass() {
    for written in ["1 hour 28 minutes", "88 min", "1h 28m", "92 minutes"] {
        let text = with_header(&format!(
            "**Date/Time:** 2024-03-14 09:12 to 10:40 — Duration: {written}"
        ));
        assert_eq!(findings_of(&text), [], "{written}");
    }
}

#[test]
fn header_mismatch_is_a_warning() {
    let text = with_header("**Severity:** P2");
    assert_eq!(findings_of(&text), [("header-mismatch", Warning, 10, 3)]);
    assert_eq!(
        messages(&text),
        ["the header block says `P2` but the front matter's `severity` is `P1`"]
    );
    let title = with_header("**Incident Title:** Checkout errors");
    assert_eq!(findings_of(&title), [("header-mismatch", Warning, 10, 3)]);
    // The id followed by its name agrees.
    assert_eq!(findings_of(&with_header("**Severity:** P1 (Major)")), []);
    assert_eq!(findings_of(&with_header("**Status:** Resolved")), []);
}

// ---- impact, review ------------------------------------------------------------

#[test]
fn impact_missing_line() {
    let text = valid_with("Data impact: None.", "");
    assert_eq!(findings_of(&text), [("impact", Error, 19, 1)]);
    assert_eq!(
        messages(&text),
        ["the impact section has no `Data impact:` line"]
    );
}

#[test]
fn impact_empty_line() {
    let text = valid_with("Data impact: None.", "Data impact:");
    assert_eq!(findings_of(&text), [("impact", Error, 23, 1)]);
    assert_eq!(messages(&text), ["`Data impact:` is not filled in"]);
    assert_eq!(
        findings_of(&valid_with("Data impact: None.", "Data impact: Unknown.")),
        []
    );
}

#[test]
fn review_missing() {
    let text = valid_with(REVIEW, "");
    assert_eq!(findings_of(&text), [("review", Error, 48, 1)]);
    assert_eq!(
        messages(&text),
        ["nothing says when the action items will be reviewed"]
    );
    // A review_date in the front matter (replacing line 7) is enough.
    let dated = edit(&text, "services: [checkout]", "review_date: 2024-03-28");
    assert_eq!(findings_of(&dated), []);
}

// ---- silence -------------------------------------------------------------------

/// What Went Poorly's item (line 46) blames; line 45 (blank) takes `comment`.
fn poorly_with(comment: &str, item: &str) -> String {
    let text = valid_with(POORLY, item);
    edit(
        &text,
        "## What Went Poorly\n\n",
        &format!("## What Went Poorly\n{comment}\n"),
    )
}

const SHOULD_HAVE_KNOWN: &str = "the on-call engineer should have known the setting was unsafe.";

#[test]
fn silence_with_a_reason_silences_that_finding() {
    let text = poorly_with(
        "<!-- hindsight-ignore blame-language: quoting the first report -->",
        SHOULD_HAVE_KNOWN,
    );
    let pm = check(&text);
    assert_eq!(brief(&pm.findings), []);
    assert_eq!(pm.score, 100);
}

#[test]
fn silence_names_one_rule_and_leaves_the_others() {
    let item = "Dana Whitfield forgot to stage the config push.";
    assert_eq!(
        findings_of(&valid_with(POORLY, item)),
        [
            ("named-person", Error, 46, 22),
            ("blame-language", Error, 46, 37)
        ]
    );
    let text = poorly_with(
        "<!-- hindsight-ignore blame-language: quoting the chat log -->",
        item,
    );
    assert_eq!(findings_of(&text), [("named-person", Error, 46, 22)]);
}

#[test]
fn silence_without_a_reason_silences_nothing_and_warns() {
    let text = poorly_with(
        "<!-- hindsight-ignore blame-language -->",
        SHOULD_HAVE_KNOWN,
    );
    assert_eq!(
        findings_of(&text),
        [
            ("silence", Warning, 45, 1),
            ("blame-language", Error, 46, 43)
        ]
    );
    assert_eq!(
        messages(&text)[0],
        "this hindsight-ignore comment gives no reason, so it silences nothing"
    );
}

#[test]
fn silence_naming_an_unknown_rule_warns() {
    let text = poorly_with(
        "<!-- hindsight-ignore blame-langauge: quoting the first report -->",
        SHOULD_HAVE_KNOWN,
    );
    let pm = check(&text);
    assert_eq!(
        brief(&pm.findings),
        [
            ("silence", Warning, 45, 1),
            ("blame-language", Error, 46, 43)
        ]
    );
    assert_eq!(
        pm.findings[0].message,
        "`blame-langauge` is not a rule hindsight knows"
    );
    assert!(
        pm.findings[0]
            .hint
            .contains("Did you mean `blame-language`?"),
        "{}",
        pm.findings[0].hint
    );
}

// ---- status-aware levels -------------------------------------------------------

#[test]
fn open_status_turns_framework_errors_into_warnings() {
    let text = valid_with(POORLY, SHOULD_HAVE_KNOWN);
    assert_eq!(findings_of(&text), [("blame-language", Error, 46, 43)]);
    // Status is line 4; nothing moves.
    let pm = check(&open(&text));
    assert_eq!(pm.front.status, Some(Status::Open));
    assert_eq!(brief(&pm.findings), [("blame-language", Warning, 46, 43)]);
    assert_eq!(pm.score, 97);
}

#[test]
fn open_status_keeps_structural_errors() {
    // severity and field-type do not follow status.
    let sev = open(&valid_with("severity: P1", "severity: P11"));
    assert_eq!(findings_of(&sev), [("severity", Error, 3, 1)]);
    let started = open(&valid_with(
        "started: 2024-03-14T09:12:00+01:00",
        "started: yesterday",
    ));
    let fm: Vec<Brief> = findings_of(&started)
        .into_iter()
        .filter(|b| b.0 == "field-type")
        .collect();
    assert_eq!(fm, [("field-type", Error, 5, 1)]);
    // A broken front matter stays an error whatever it says about status.
    let fence = open(&valid_with(
        "root_cause_categories: [config-change]\n---\n",
        "root_cause_categories: [config-change]\n",
    ));
    assert_eq!(findings_of(&fence), [("front-matter", Error, 1, 1)]);
    // A blame error next to a structural one: only the blame softens.
    let both =
        open(&valid_with(POORLY, SHOULD_HAVE_KNOWN).replace("severity: P1", "severity: P11"));
    assert_eq!(
        findings_of(&both),
        [
            ("severity", Error, 3, 1),
            ("blame-language", Warning, 46, 43)
        ]
    );
}

/// docs/rules.md marks these rules "follows status": while `open`, their
/// errors are warnings. Each fixture gives exactly one finding of the rule.
#[test]
fn open_status_softens_every_rule_the_docs_say_follows_status() {
    let cases: [(&str, String, Brief); 7] = [
        (
            "missing-section",
            VALID.replace("## What Went Well", "## Things"),
            ("missing-section", Error, 10, 1),
        ),
        (
            "placeholder",
            valid_with(
                "Data impact: None.",
                "Data impact: [Any data loss, corruption, or access issues]",
            ),
            ("placeholder", Error, 23, 14),
        ),
        (
            "timeline (unreadable time)",
            valid_with("| 09:20 |", "| soon |"),
            ("timeline", Error, 16, 3),
        ),
        (
            "owner-not-person",
            valid_with(OWNER, "| TBD |"),
            ("owner-not-person", Error, 52, 45),
        ),
        (
            "due-date (not a date)",
            valid_with("2024-04-30", "next sprint"),
            ("due-date", Error, 52, 62),
        ),
        (
            "priority (none)",
            valid_with("| High |", "| |"),
            ("priority", Error, 52, 74),
        ),
        (
            "vague-action",
            valid_with(ACTION, "Improve monitoring"),
            ("vague-action", Error, 52, 7),
        ),
    ];
    let mut wrong = Vec::new();
    for (name, text, resolved) in cases {
        assert_eq!(findings_of(&text), [resolved], "{name} (resolved)");
        let got = findings_of(&open(&text));
        let want = [(resolved.0, Warning, resolved.2, resolved.3)];
        if got != want {
            wrong.push(format!("{name}: open gives {got:?}, want {want:?}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

// ---- [rules] in site.toml -----------------------------------------------------

#[test]
fn rules_off_removes_a_rule() {
    let text = valid_with(POORLY, SHOULD_HAVE_KNOWN);
    let config = config_plus("\n[rules]\nblame-language = \"off\"\n");
    let pm = check_with(&text, &config);
    assert_eq!(brief(&pm.findings), []);
    assert_eq!(pm.score, 100);
}

#[test]
fn rules_warning_downgrades_a_rule() {
    let text = valid_with(REVIEW, "");
    let config = config_plus("\n[rules]\nreview = \"warning\"\n");
    let pm = check_with(&text, &config);
    assert_eq!(brief(&pm.findings), [("review", Warning, 48, 1)]);
    assert_eq!(pm.score, 97);
}

#[test]
fn rules_error_overrides_the_open_status() {
    let text = open(&valid_with(POORLY, SHOULD_HAVE_KNOWN));
    let config = config_plus("\n[rules]\nblame-language = \"error\"\n");
    assert_eq!(
        findings_with(&text, &config),
        [("blame-language", Error, 46, 43)]
    );
}

#[test]
fn rules_with_an_unknown_id_is_a_config_error() {
    let toml = format!("{}\n[rules]\nblame-langauge = \"off\"\n", site_toml("UTC"));
    let err = SiteConfig::parse(&toml, Path::new("site.toml")).unwrap_err();
    assert!(err.to_string().contains("blame-langauge"), "{err}");
    let site = Site::with_config(&toml);
    site.write("2024/a.md", VALID);
    let output = hindsight(&["check", "--root", site.root().to_str().unwrap()], None);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    let err = stderr(&output);
    assert!(
        err.contains("`blame-langauge` in [rules] is not a rule"),
        "{err}"
    );
    assert!(
        output.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
}

// ---- score -----------------------------------------------------------------

#[test]
fn score_counts_10_per_error_and_3_per_warning() {
    assert_eq!(check(VALID).score, 100);
    let one_error = valid_with(ACTION, "Improve monitoring");
    let pm = check(&one_error);
    assert_eq!(brief(&pm.findings), [("vague-action", Error, 52, 7)]);
    assert_eq!(pm.score, 90);
    let plus_warning = edit(
        &one_error,
        ROW_1040,
        "| 10:40 | Rollback completes; error rate back to normal | SRE |",
    );
    let pm = check(&plus_warning);
    assert_eq!(
        brief(&pm.findings),
        [("timeline", Warning, 11, 1), ("vague-action", Error, 52, 7)]
    );
    assert_eq!(pm.score, 87);
}

#[test]
fn score_is_in_incidents_json_for_the_bundled_archive() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("public");
    let output = build(
        Path::new(env!("CARGO_MANIFEST_DIR")),
        &out,
        &[],
        Some("1700000000"),
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let incidents: Value =
        serde_json::from_slice(&std::fs::read(out.join("incidents.json")).unwrap()).unwrap();
    let list = incidents.as_array().unwrap();
    assert_eq!(list.len(), 12);
    for i in list {
        assert_eq!(i["score"], Value::from(100), "score of {}", i["id"]);
    }
}
