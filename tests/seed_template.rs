//! The seed's POST-MORTEM DOCUMENT, followed section by section: filled in,
//! it is a valid post-mortem whose every part is extracted; left as the
//! template, every unfilled slot is a `placeholder` error at its position.

mod common;

use common::*;
use hindsight::action_items::{ActionStatus, Priority};
use hindsight::finding::Level;
use hindsight::pipeline::{self, BuildOptions};
use hindsight::sections::SectionKind;

/// The seed's document with every placeholder filled in, plus front matter.
/// Line numbers matter: see the assertions.
const FILLED: &str = "\
---
title: Checkout payments failed after a connection-pool limit was lowered
severity: P1
status: resolved
started: 2024-05-01T22:40:00Z
ended: 2024-05-02T01:05:00Z
detection: alert
commander: Payments on-call lead
responders: [Payments on-call engineer, Database on-call engineer, Support lead]
services: [checkout, payments]
root_cause_categories: [config-change, capacity]
tags: [postgres, connection-pool]
review_date: 2024-05-15
---

**Incident Title:** Checkout payments failed after a connection-pool limit was lowered

**Date/Time:** 2024-05-01 22:40 UTC to 2024-05-02 01:05 UTC — Duration: 2 hours 25 minutes

**Severity:** P1 — Major: a core product seriously degraded for many customers

**Status:** Resolved

**Incident Commander:** Payments on-call lead

---

## TIMELINE

Build a precise timeline — this is the most important part of the post-mortem:

| Time | Event | Who / What |
|------|-------|-----------|
| 22:40 | A config change lowers the payments database pool limit from 200 to 20 | Config pipeline |
| 22:52 | Error-rate alert pages the payments on-call engineer | PagerDuty alert |
| 23:05 | Connection timeouts found in the payments API logs | Payments on-call engineer, reading logs |
| 23:30 | Decision to roll back the config change instead of scaling the database | Incident commander |
| 23:48 | Rollback of the pool limit deployed to all regions | Payments on-call engineer |
| 00:10 | Status page updated: payments recovering, failed orders can be retried | Support lead |
| 01:05 | Error rate at baseline for 30 minutes; incident resolved | Incident commander |

---

## IMPACT

Customer impact: 31% of checkout attempts failed for 2 hours 25 minutes, about 18,000 customers.
Revenue impact: About 9,400 orders failed; 70% were retried successfully within a day.
Data impact: None; failed payments were never captured.
Reputation impact: Complaints on social media and two articles in regional press.

---

## ROOT CAUSE ANALYSIS

Use the \"5 Whys\" method:

The incident occurred when: the payments database pool limit was lowered from 200 to 20 connections.
Why did that happen? The change was meant for the staging environment but targeted production.
Why did that happen? The config tool uses one file for both environments, selected by a flag.
Why did that happen? The tool was built for a single environment and the flag was added later.
Why did that happen? Config tooling has no owner, so nobody reviewed its design as usage grew.
Why did that happen? Platform work is funded per project, leaving shared tools without upkeep.

Contributing factors (not the root cause, but things that made it worse):
- **Retry storm**: clients retried failed payments immediately, keeping the pool saturated.
- **Alert threshold**: the error-rate alert waited 12 minutes before paging.

What would have prevented this incident:
- **Environment-specific config files**: a production change would have needed a separate file and review.
- **Capacity check in config review**: a pool limit below peak concurrency would have been rejected.

---

## WHAT WENT WELL

This section is critical for blameless culture — name what people did right in the response.
- **Fast rollback decision**: the commander chose rollback over scaling, which restored service in 18 minutes.
- **Early status page update**: customers knew to retry orders before support queues grew.

---

## WHAT WENT POORLY

Focus on systems and processes, not individuals.
- **Config review without capacity data**: reviewers could not see the peak connection count.
- **No runbook for pool exhaustion**: the on-call engineer had to find the cause from raw logs.

---

## ACTION ITEMS

Each action item must be:
- Specific (what exactly will be done)
- Owned (one person's name)
- Time-bound (by when)

| # | Action | Owner | Due Date | Priority |
|---|--------|-------|---------|---------|
| 1 | Split the config tool's file into one per environment and require review for production | Priya Natarajan | 2024-05-20 | High |
| 2 | Add peak connection counts to the config review page for every pool setting | Tomás Ribeiro | 2024-06-14 | Med |

These will be reviewed at the payments team meeting on 2024-05-15.

---

## POST-MORTEM FACILITATION GUIDE

The meeting (60-90 minutes):
1. Review the timeline together (15 min) — correct any gaps or misremembering
2. Root cause analysis (20 min) — 5 Whys as a group
3. What went well (10 min) — be genuine, not perfunctory
4. What went poorly — systems focus (15 min)
5. Action items (20 min) — commit to specific, owned actions

Facilitator interventions:
If blame language appears: \"Let's focus on what the system needed, not what any person did wrong.\"
If root cause is too shallow: \"Why was [proximate cause] possible? What allowed this to exist in the system?\"
If action items are vague: \"Can we make that more specific? What exactly will you do differently, and how will we know it's done?\"
";

/// The line `needle` starts on in `text` (1-based), to cross-check positions.
fn line_of(text: &str, needle: &str) -> u32 {
    let at = text
        .find(needle)
        .unwrap_or_else(|| panic!("`{needle}` not in text"));
    text[..at].matches('\n').count() as u32 + 1
}

#[test]
fn filled_seed_has_no_findings() {
    let pm = check(FILLED);
    assert_eq!(brief(&pm.findings), [], "{:#?}", pm.findings);
}

#[test]
fn filled_seed_header_block_is_read() {
    let pm = check(FILLED);
    let h = &pm.header;
    let title = h.title.as_ref().expect("Incident Title");
    assert_eq!(
        title.text,
        "Checkout payments failed after a connection-pool limit was lowered"
    );
    // The position of the label's text, inside the `**`.
    assert_eq!((title.pos.line, title.pos.column), (16, 3));
    assert_eq!(
        h.date_time.as_ref().unwrap().text,
        "2024-05-01 22:40 UTC to 2024-05-02 01:05 UTC — Duration: 2 hours 25 minutes"
    );
    assert_eq!(
        h.severity.as_ref().unwrap().text,
        "P1 — Major: a core product seriously degraded for many customers"
    );
    assert_eq!(h.status.as_ref().unwrap().text, "Resolved");
    assert_eq!(h.commander.as_ref().unwrap().text, "Payments on-call lead");
    assert_eq!(h.commander.as_ref().unwrap().pos.line, 24);
}

#[test]
fn filled_seed_timeline_has_seven_rows_with_exact_times_across_midnight() {
    let pm = check(FILLED);
    let rows: Vec<(String, String, bool, Option<i32>, u32, u32)> = pm
        .timeline
        .iter()
        .map(|e| {
            (
                e.time_text.clone(),
                e.time.map(|m| m.to_string()).unwrap_or_default(),
                e.approximate,
                e.day,
                e.pos.line,
                e.pos.column,
            )
        })
        .collect();
    let row = |text: &str, time: &str, day: i32, line: u32| {
        (
            text.to_string(),
            time.to_string(),
            false,
            Some(day),
            line,
            3,
        )
    };
    assert_eq!(
        rows,
        [
            row("22:40", "2024-05-01T22:40:00Z", 0, 34),
            row("22:52", "2024-05-01T22:52:00Z", 0, 35),
            row("23:05", "2024-05-01T23:05:00Z", 0, 36),
            row("23:30", "2024-05-01T23:30:00Z", 0, 37),
            row("23:48", "2024-05-01T23:48:00Z", 0, 38),
            // Past midnight: the clock went back, so this is the next day.
            row("00:10", "2024-05-02T00:10:00Z", 1, 39),
            row("01:05", "2024-05-02T01:05:00Z", 1, 40),
        ]
    );
    assert_eq!(line_of(FILLED, "| 22:40 |"), 34);
    let second = &pm.timeline[1];
    assert_eq!(
        second.event,
        "Error-rate alert pages the payments on-call engineer"
    );
    assert_eq!(second.who, "PagerDuty alert");
    assert_eq!(
        pm.timeline[2].who,
        "Payments on-call engineer, reading logs"
    );
    // No `detected` in the front matter: the timeline's alert row is the detection.
    assert_eq!(pm.detected().unwrap().to_string(), "2024-05-01T22:52:00Z");
    assert_eq!(pm.duration_minutes(), Some(145));
}

#[test]
fn filled_seed_impact_has_its_four_lines() {
    let pm = check(FILLED);
    let i = &pm.impact;
    let line = |f: &Option<hindsight::action_items::Field>| {
        let f = f.as_ref().expect("impact line");
        (f.text.clone(), f.pos.line)
    };
    assert_eq!(
        line(&i.customer),
        (
            "31% of checkout attempts failed for 2 hours 25 minutes, about 18,000 customers."
                .into(),
            46
        )
    );
    assert_eq!(
        line(&i.revenue),
        (
            "About 9,400 orders failed; 70% were retried successfully within a day.".into(),
            47
        )
    );
    assert_eq!(
        line(&i.data),
        ("None; failed payments were never captured.".into(), 48)
    );
    assert_eq!(
        line(&i.reputation),
        (
            "Complaints on social media and two articles in regional press.".into(),
            49
        )
    );
}

#[test]
fn filled_seed_root_cause_has_proximate_line_five_whys_factors_and_preventions() {
    let pm = check(FILLED);
    let rc = &pm.root_cause;
    let proximate = rc.proximate.as_ref().expect("proximate cause");
    assert_eq!(
        proximate.text,
        "the payments database pool limit was lowered from 200 to 20 connections."
    );
    assert_eq!(proximate.pos.line, 57);
    let whys: Vec<(&str, u32)> = rc
        .whys
        .iter()
        .map(|w| (w.text.as_str(), w.pos.line))
        .collect();
    assert_eq!(
        whys,
        [
            (
                "The change was meant for the staging environment but targeted production.",
                58
            ),
            (
                "The config tool uses one file for both environments, selected by a flag.",
                59
            ),
            (
                "The tool was built for a single environment and the flag was added later.",
                60
            ),
            (
                "Config tooling has no owner, so nobody reviewed its design as usage grew.",
                61
            ),
            (
                "Platform work is funded per project, leaving shared tools without upkeep.",
                62
            ),
        ]
    );
    let named = |items: &[hindsight::sections::NamedItem]| -> Vec<(String, String, u32)> {
        items
            .iter()
            .map(|i| (i.name.clone(), i.detail.clone(), i.pos.line))
            .collect()
    };
    assert_eq!(
        named(&rc.contributing),
        [
            (
                "Retry storm".into(),
                "clients retried failed payments immediately, keeping the pool saturated.".into(),
                65
            ),
            (
                "Alert threshold".into(),
                "the error-rate alert waited 12 minutes before paging.".into(),
                66
            ),
        ]
    );
    assert_eq!(
        named(&rc.preventions),
        [
            (
                "Environment-specific config files".into(),
                "a production change would have needed a separate file and review.".into(),
                69
            ),
            (
                "Capacity check in config review".into(),
                "a pool limit below peak concurrency would have been rejected.".into(),
                70
            ),
        ]
    );
}

#[test]
fn filled_seed_went_well_and_poorly_are_named_items() {
    let pm = check(FILLED);
    let names = |items: &[hindsight::sections::NamedItem]| -> Vec<String> {
        items.iter().map(|i| i.name.clone()).collect()
    };
    // The intro sentence of each section is not an item.
    assert_eq!(
        names(&pm.went_well),
        ["Fast rollback decision", "Early status page update"]
    );
    assert_eq!(
        pm.went_well[0].detail,
        "the commander chose rollback over scaling, which restored service in 18 minutes."
    );
    assert_eq!(
        names(&pm.went_poorly),
        [
            "Config review without capacity data",
            "No runbook for pool exhaustion"
        ]
    );
    assert_eq!(pm.went_poorly[1].pos.line, 86);
}

#[test]
fn filled_seed_action_items_have_owner_due_priority_and_the_review_line() {
    let pm = check(FILLED);
    let items: Vec<_> = pm
        .action_items
        .iter()
        .map(|a| {
            (
                a.number.as_str(),
                a.owner.text.as_str(),
                a.due.map(|d| d.to_string()),
                a.priority,
                a.priority_text.text.as_str(),
                a.status,
                a.pos.line,
            )
        })
        .collect();
    assert_eq!(
        items,
        [
            (
                "1",
                "Priya Natarajan",
                Some("2024-05-20".to_string()),
                Some(Priority::High),
                "High",
                ActionStatus::Open,
                99
            ),
            (
                "2",
                "Tomás Ribeiro",
                Some("2024-06-14".to_string()),
                Some(Priority::Medium),
                "Med",
                ActionStatus::Open,
                100
            ),
        ]
    );
    assert_eq!(
        pm.action_items[0].action.text,
        "Split the config tool's file into one per environment and require review for production"
    );
    // The owner cell of row 1 starts after `| 1 | <action> | `.
    let owner = &pm.action_items[0].owner.pos;
    assert_eq!((owner.line, owner.column), (99, 97));
    let review = pm.review.as_ref().expect("review line");
    assert_eq!(
        review.text,
        "These will be reviewed at the payments team meeting on 2024-05-15."
    );
    assert_eq!((review.pos.line, review.pos.column), (102, 1));
}

#[test]
fn filled_seed_keeps_the_facilitation_guide_section() {
    let pm = check(FILLED);
    let kinds: Vec<(SectionKind, &str)> = pm
        .sections
        .iter()
        .map(|s| (s.kind, s.title.as_str()))
        .collect();
    assert_eq!(
        kinds,
        [
            (SectionKind::Header, ""),
            (SectionKind::Timeline, "TIMELINE"),
            (SectionKind::Impact, "IMPACT"),
            (SectionKind::RootCause, "ROOT CAUSE ANALYSIS"),
            (SectionKind::WentWell, "WHAT WENT WELL"),
            (SectionKind::WentPoorly, "WHAT WENT POORLY"),
            (SectionKind::ActionItems, "ACTION ITEMS"),
            (SectionKind::Other, "POST-MORTEM FACILITATION GUIDE"),
        ]
    );
    let guide = pm.sections.last().unwrap();
    assert_eq!(guide.pos.line, 106);
    assert!(guide.html.contains("<ol>"), "{}", guide.html);
    assert!(
        guide
            .html
            .contains("Review the timeline together (15 min) — correct any gaps or misremembering"),
        "{}",
        guide.html
    );
    assert!(
        guide.html.contains("Facilitator interventions:"),
        "{}",
        guide.html
    );
    // The guide's own `[proximate cause]` is part of the text, not a slot.
    assert!(
        guide.html.contains("Why was [proximate cause] possible?"),
        "{}",
        guide.html
    );
}

#[test]
fn filled_seed_builds_and_its_page_shows_every_section_and_the_guide() {
    let site = Site::new();
    site.write("2024/checkout-pool-limit.md", FILLED);
    let out = site.out("public");
    let report = pipeline::build(&BuildOptions {
        root: site.root(),
        out: out.clone(),
        drafts: false,
        today: jiff::civil::date(2024, 6, 1),
    })
    .expect("build");
    assert_eq!(report.post_mortems, 1);
    assert_eq!(report.tally.errors, 0, "{:#?}", report.findings);
    let page = std::fs::read_to_string(out.join("incidents/2024/checkout-pool-limit/index.html"))
        .expect("incident page");
    let text = html_text(&page);
    for expected in [
        "Checkout payments failed after a connection-pool limit was lowered",
        "Error-rate alert pages the payments on-call engineer",
        "Platform work is funded per project, leaving shared tools without upkeep.",
        "Priya Natarajan",
        "POST-MORTEM FACILITATION GUIDE",
        "Facilitator interventions:",
        "Review the timeline together (15 min)",
        "Why was [proximate cause] possible?",
    ] {
        assert!(text.contains(expected), "page lacks `{expected}`");
    }
}

/// The seed's document exactly as the template gives it (its blank spacer
/// lines kept blank), with valid front matter on top.
fn unfilled(dash: &str) -> String {
    format!(
        "\
---
title: Checkout payments failed after a connection-pool limit was lowered
severity: P1
status: open
started: 2024-05-01T22:40:00Z
---

**Incident Title:** [Descriptive, not blaming]

**Date/Time:** [Start] to [End] {dash} Duration: [X hours/minutes]

**Severity:** [P0/P1/P2 {dash} and your org's definition]

**Status:** [Open / Resolved]

**Incident Commander:** [Role]

---

## TIMELINE

Build a precise timeline {dash} this is the most important part of the post-mortem:

| Time | Event | Who / What |
|------|-------|-----------|
| [HH:MM] | [What happened] | [System or person] |
| [HH:MM] | [Detection] | [How discovered] |
| [HH:MM] | [First response action] | [Who, what they did] |
| [HH:MM] | [Key decision or escalation] | [Who] |
| [HH:MM] | [Resolution step] | [What fixed it] |
| [HH:MM] | [Customer communication] | [What was sent] |
| [HH:MM] | [Full resolution] | [Confirmation] |

---

## IMPACT

Customer impact: [# users affected, % of users, duration]
Revenue impact: [If applicable {dash} missed transactions, refunds, SLA penalties]
Data impact: [Any data loss, corruption, or access issues]
Reputation impact: [Customer complaints, social media, press coverage]

---

## ROOT CAUSE ANALYSIS

Use the \"5 Whys\" method:

The incident occurred when: [The proximate event]
Why did that happen? [First-level cause]
Why did that happen? [Second-level cause]
Why did that happen? [Third-level cause]
Why did that happen? [Fourth-level cause]
Why did that happen? [Root cause {dash} the system condition that made this possible]

Contributing factors (not the root cause, but things that made it worse):
- [Factor 1]: [How it contributed]
- [Factor 2]: [How it contributed]

What would have prevented this incident:
- [Preventive measure 1]: [How it would have helped]
- [Preventive measure 2]: [How it would have helped]

---

## WHAT WENT WELL

[This section is critical for blameless culture {dash} name what people did right in the response]
- [Action]: [Why it was effective]
- [Action]: [Why it was effective]

---

## WHAT WENT POORLY

[Focus on systems and processes, not individuals]
- [System issue]: [Specific gap or failure]
- [Process issue]: [What the process lacked]

---

## ACTION ITEMS

Each action item must be:
- Specific (what exactly will be done)
- Owned (one person's name)
- Time-bound (by when)

| # | Action | Owner | Due Date | Priority |
|---|--------|-------|---------|---------|
| 1 | [Specific action] | [Name] | [Date] | [High/Med/Low] |
| 2 | [Specific action] | [Name] | [Date] | [High/Med/Low] |

These will be reviewed at [next team meeting / 2 weeks from now].

---

## POST-MORTEM FACILITATION GUIDE

The meeting (60-90 minutes):
1. Review the timeline together (15 min) {dash} correct any gaps or misremembering
2. Root cause analysis (20 min) {dash} 5 Whys as a group

Facilitator interventions:
If root cause is too shallow: \"Why was [proximate cause] possible? What allowed this to exist in the system?\"
"
    )
}

/// Every `[...]` of the text outside the facilitation guide, as (line,
/// column) with columns counted in characters: an oracle independent of the
/// Markdown parser.
fn slots(text: &str) -> Vec<(u32, u32, String)> {
    let mut found = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let chars: Vec<char> = line.chars().collect();
        let mut c = 0;
        while c < chars.len() {
            if chars[c] == '[' {
                if let Some(len) = chars[c + 1..].iter().position(|&x| x == ']') {
                    let inner: String = chars[c + 1..c + 1 + len].iter().collect();
                    if inner != "proximate cause" {
                        found.push((i as u32 + 1, c as u32 + 1, inner));
                    }
                    c += len + 2;
                    continue;
                }
            }
            c += 1;
        }
    }
    found
}

#[test]
fn unfilled_seed_reports_every_placeholder_at_its_line_and_column() {
    let text = unfilled("—");
    let pm = check(&text);
    let expected = slots(&text);
    // Header block 7, timeline 21, impact 4, root cause 6 + 8, went well 5,
    // went poorly 5, action items 8, review line 1.
    assert_eq!(expected.len(), 65);
    let got: Vec<(u32, u32, String)> = pm
        .findings
        .iter()
        .map(|f| (f.line, f.column, f.message.clone()))
        .collect();
    let missing: Vec<_> = expected
        .iter()
        .filter(|(l, c, _)| !got.iter().any(|(gl, gc, _)| gl == l && gc == c))
        .collect();
    assert!(
        missing.is_empty(),
        "placeholders not reported: {missing:#?}"
    );
    for f in &pm.findings {
        assert_eq!(
            (f.rule.id(), f.level),
            // `status: open`: the write-up is in progress, so warnings.
            ("placeholder", Level::Warning),
            "only placeholder findings expected: {f:?}"
        );
    }
    assert_eq!(pm.findings.len(), expected.len());
}

#[test]
fn unfilled_seed_first_slots_are_reported_exactly() {
    let pm = check(&unfilled("—"));
    let at = |line: u32, column: u32| {
        pm.findings
            .iter()
            .find(|f| f.line == line && f.column == column)
            .unwrap_or_else(|| panic!("no finding at {line}:{column}: {:#?}", pm.findings))
    };
    // `**Incident Title:** [Descriptive, not blaming]`: the slot starts at column 21.
    let title = at(8, 21);
    assert_eq!(
        title.message,
        "`[Descriptive, not blaming]` is the template's placeholder, not yet filled in"
    );
    // The first timeline row: `| [HH:MM] | [What happened] | [System or person] |`.
    let time = at(26, 3);
    assert_eq!(
        (time.rule.id(), time.level),
        ("placeholder", Level::Warning)
    );
    assert_eq!(
        time.message,
        "`[HH:MM]` is the template's placeholder, not yet filled in"
    );
    assert!(at(26, 13).message.contains("`[What happened]`"));
    assert!(at(26, 31).message.contains("`[System or person]`"));
    // The owner of action item 1: `| 1 | [Specific action] | [Name] |`.
    assert!(at(91, 27).message.contains("`[Name]`"));
    // Unfilled times are placeholders, not unreadable times.
    assert!(pm.findings.iter().all(|f| f.rule.id() != "timeline"));
    assert_eq!(pm.timeline.len(), 7);
    assert!(pm.timeline.iter().all(|e| e.time.is_none()));
}

#[test]
fn unfilled_review_line_with_a_number_is_a_placeholder() {
    // `[next team meeting / 2 weeks from now]` holds a digit.
    let text = unfilled("—");
    let pm = check(&text);
    let line = line_of(&text, "These will be reviewed at [next");
    assert_eq!(line, 94);
    assert!(
        pm.findings
            .iter()
            .any(|f| f.rule.id() == "placeholder" && (f.line, f.column) == (94, 27)),
        "{:#?}",
        pm.findings
            .iter()
            .filter(|f| f.line == 94)
            .collect::<Vec<_>>()
    );
}

#[test]
fn unfilled_seed_copied_with_its_mis_encoded_dashes_still_reports_them() {
    // The seed file itself writes the em dash as `β€` + U+201D (right double
    // quotation mark); a writer copying it gets exactly these bytes.
    let text = unfilled("β€\u{201d}");
    let pm = check(&text);
    for (line, column, slot) in [
        (12, 15, "P0/P1/P2"),
        (39, 17, "If applicable"),
        (54, 22, "Root cause"),
        (68, 1, "This section is critical"),
    ] {
        assert_eq!(line_of(&text, &format!("[{slot}")), line);
        assert!(
            pm.findings
                .iter()
                .any(|f| f.rule.id() == "placeholder" && (f.line, f.column) == (line, column)),
            "`[{slot} …]` at {line}:{column} not reported: {:#?}",
            pm.findings
                .iter()
                .filter(|f| f.line == line)
                .collect::<Vec<_>>()
        );
    }
}
