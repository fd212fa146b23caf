//! The framework's rules about the quality of the write-up: the why-chain,
//! factors and preventions, what went well, the timeline's key events, the
//! impact lines, the review, durations, blame and vague actions.

use jiff::ToSpan;

use crate::config::SiteConfig;
use crate::dates::format_minutes;
use crate::finding::{Findings, Rule};
use crate::language::{self, BlameKind, Lexicon, Shallowness, Vagueness};
use crate::post_mortem::PostMortem;
use crate::rules::is_placeholder;
use crate::sections::{Impact, SectionKind};
use crate::timeline::{self, TimelineEvent};

pub fn check(pm: &PostMortem, config: &SiteConfig, people: &[String], out: &mut Findings) {
    root_cause(pm, config, out);
    factors_and_preventions(pm, out);
    went_well(pm, out);
    timeline_events(pm, out);
    impact(pm, out);
    review(pm, out);
    duration(pm, out);
    due_dates(pm, config, out);
    vague_actions(pm, out);
    blame(pm, config, out);
    named_people(pm, config, people, out);
}

fn section_pos(pm: &PostMortem, kind: SectionKind) -> Option<crate::source::Pos> {
    pm.sections.iter().find(|s| s.kind == kind).map(|s| s.pos)
}

const WHY_QUESTION: &str = "Ask \"why was that possible? what allowed this to exist in the system?\" until the answer is a condition of the system (a missing guardrail, a process gap, a design assumption), not an event or a person's act.";

fn root_cause(pm: &PostMortem, config: &SiteConfig, out: &mut Findings) {
    let Some(at) = section_pos(pm, SectionKind::RootCause) else {
        return;
    };
    let rc = &pm.root_cause;
    let proximate = rc.proximate.as_ref().map_or("", |p| p.text.as_str());
    let whys: Vec<&str> = rc.whys.iter().map(|w| w.text.as_str()).collect();
    if whys.iter().chain([&proximate]).any(|w| is_placeholder(w)) {
        return; // an unfilled chain is reported as placeholders
    }
    let pos_of_why = |i: usize| rc.whys.get(i).map_or(at, |w| w.pos);
    if let Some(shallow) = language::shallowness(proximate, &whys) {
        let (pos, message) = match shallow {
            Shallowness::StopsAtProximate => (
                rc.proximate.as_ref().map_or(at, |p| p.pos),
                "the root-cause analysis stops at the proximate cause".to_string(),
            ),
            Shallowness::StopsAtPerson { why } => (
                pos_of_why(why),
                format!(
                    "the why-chain ends at a person's act (why {}), not at what the system allowed",
                    why + 1
                ),
            ),
            Shallowness::Circular { a, b } => (
                pos_of_why(a),
                match b {
                    Some(b) => format!(
                        "why {} restates why {} instead of going deeper",
                        a + 1,
                        b + 1
                    ),
                    None => format!(
                        "why {} restates the proximate cause instead of going deeper",
                        a + 1
                    ),
                },
            ),
            Shallowness::NoSystemCondition => (
                pos_of_why(whys.len().saturating_sub(1)),
                "the why-chain never reaches a condition of the system".to_string(),
            ),
        };
        out.error(Rule::ShallowRootCause, pos, message, WHY_QUESTION);
    }
    let min = config.framework.min_whys;
    if !whys.is_empty() && whys.len() < min {
        out.warning(
            Rule::ShallowRootCause,
            pos_of_why(whys.len() - 1),
            format!("the why-chain has {} of the {min} whys", whys.len()),
            format!("Keep asking \"why did that happen?\"; the five-whys method usually needs {min} levels to get past events to conditions."),
        );
    }
}

fn factors_and_preventions(pm: &PostMortem, out: &mut Findings) {
    let Some(at) = section_pos(pm, SectionKind::RootCause) else {
        return;
    };
    if pm.root_cause.contributing.is_empty() {
        out.error(
            Rule::ContributingFactors,
            section_pos(pm, SectionKind::ContributingFactors).unwrap_or(at),
            "there are no contributing factors",
            "Under `Contributing factors:`, list what made it worse without being the root cause, as `- **Factor**: how it contributed`.",
        );
    }
    if pm.root_cause.preventions.is_empty() {
        out.error(
            Rule::Prevention,
            section_pos(pm, SectionKind::Prevention).unwrap_or(at),
            "nothing says what would have prevented this incident",
            "Under `What would have prevented this incident:`, list measures as `- **Measure**: how it would have helped`.",
        );
    }
}

/// Entries that say nothing went well, which the seed calls out.
fn perfunctory(text: &str) -> bool {
    let t: String = text
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == ' ')
        .collect();
    matches!(
        t.trim(),
        "" | "na"
            | "n a"
            | "none"
            | "nothing"
            | "nothing really"
            | "nothing went well"
            | "not much"
            | "tbd"
            | "todo"
            | "no"
    )
}

fn went_well(pm: &PostMortem, out: &mut Findings) {
    let Some(at) = section_pos(pm, SectionKind::WentWell) else {
        return;
    };
    let hint = "Name what people did right in the response and why it worked; this section is critical for a blameless culture. Be genuine, not perfunctory.";
    if pm.went_well.is_empty() {
        out.error(Rule::WentWell, at, "\"What went well\" lists nothing", hint);
        return;
    }
    for item in pm
        .went_well
        .iter()
        .filter(|i| perfunctory(&format!("{} {}", i.name, i.detail)))
    {
        out.error(
            Rule::WentWell,
            item.pos,
            format!("`{}` is not something that went well", item.name),
            hint,
        );
    }
}

const RESOLUTION_WORDS: [&str; 15] = [
    "resolv",
    "resolution",
    "recover",
    "restor",
    "mitigat",
    "back to normal",
    "to normal",
    "normal level",
    "all clear",
    "fully operational",
    "operating normally",
    "back online",
    "healthy again",
    "closed the incident",
    "incident closed",
];
const COMMUNICATION_WORDS: [&str; 10] = [
    "status page",
    "statuspage",
    "customer",
    "communicat",
    "announce",
    "tweet",
    "posted",
    "notif",
    "email",
    "update to users",
];

fn mentions(event: &TimelineEvent, words: &[&str]) -> bool {
    let text = format!("{} {}", event.event, event.who).to_lowercase();
    words.iter().any(|w| text.contains(w))
}

fn timeline_events(pm: &PostMortem, out: &mut Findings) {
    let Some(at) = section_pos(pm, SectionKind::Timeline) else {
        return;
    };
    if pm.timeline.is_empty() {
        return; // reported as an empty timeline
    }
    let detection = timeline::detection_event(&pm.timeline);
    if detection.is_none() {
        out.error(
            Rule::Timeline,
            at,
            "the timeline has no detection event",
            "Add the row where the incident was detected (an alert, a page, a customer report) so time to detect can be measured.",
        );
    }
    if !pm.timeline.iter().any(|e| mentions(e, &RESOLUTION_WORDS)) {
        out.error(
            Rule::Timeline,
            at,
            "the timeline has no resolution event",
            "Add the row where service was confirmed restored (full resolution), so the timeline ends where the incident did.",
        );
    }
    if !pm
        .timeline
        .iter()
        .any(|e| mentions(e, &COMMUNICATION_WORDS))
    {
        out.warning(
            Rule::Timeline,
            at,
            "the timeline has no customer communication",
            "Add when and how customers were told (status page, email, social media), or a row saying none was sent.",
        );
    }
    if let (Some(front), Some(event), Some(event_time)) =
        (pm.front.detected, detection, detection.and_then(|e| e.time))
    {
        let apart = front.minutes_until(&event_time).abs();
        if apart > 15 {
            out.warning(
                Rule::Timeline,
                pm.front.key_pos("detected"),
                format!(
                    "`detected` ({front}) is {} away from the timeline's detection event at `{}`",
                    format_minutes(apart),
                    event.time_text
                ),
                "Make `detected` and the timeline agree, so time to detect is measured from the right moment.",
            );
        }
    }
}

fn impact(pm: &PostMortem, out: &mut Findings) {
    let Some(at) = section_pos(pm, SectionKind::Impact) else {
        return;
    };
    for label in Impact::LINES {
        match pm.impact.get(label) {
            None => out.error(
                Rule::Impact,
                at,
                format!("the impact section has no `{label}:` line"),
                format!("Add `{label}:` with what you know; write \"None\" or \"Unknown\" rather than leaving it out."),
            ),
            // A template placeholder here is reported by the `placeholder` rule.
            Some(field) if unfilled(&field.text) => out.error(
                Rule::Impact,
                field.pos,
                format!("`{label}:` is not filled in"),
                format!("Say what the {} was, with numbers where you have them, or \"None\".", label.to_lowercase()),
            ),
            Some(_) => {}
        }
    }
}

/// Text that stands in for an answer not yet given ("TBD", "?", "-").
fn unfilled(text: &str) -> bool {
    let t = text.trim().trim_end_matches('.').to_lowercase();
    matches!(
        t.as_str(),
        "" | "tbd"
            | "tbc"
            | "tba"
            | "?"
            | "??"
            | "-"
            | "--"
            | "—"
            | "to be determined"
            | "to do"
            | "todo"
            | "xxx"
            | "..."
    )
}

fn review(pm: &PostMortem, out: &mut Findings) {
    if pm.review.is_some() || pm.front.review_date.is_some() {
        return;
    }
    let Some(at) = section_pos(pm, SectionKind::ActionItems) else {
        return;
    };
    out.error(
        Rule::Review,
        at,
        "nothing says when the action items will be reviewed",
        "Add `These will be reviewed at …` under the action items, or `review_date:` in the front matter, so the follow-ups are checked.",
    );
}

/// Reads `Duration: 4 hours 17 minutes` (and `4h 17m`, `257 min`, `2 days 3 hours`).
pub fn parse_duration(text: &str) -> Option<i64> {
    let lower = text.to_lowercase();
    let start = lower.find("duration")?;
    let rest = &lower[start + "duration".len()..];
    let rest = rest.trim_start_matches([':', ' ', '*']);
    let mut total = 0i64;
    let mut seen = false;
    let mut number: Option<f64> = None;
    for token in rest
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|t| !t.is_empty())
    {
        let digits: String = token
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == '.')
            .collect();
        let unit: String = token[digits.len()..]
            .chars()
            .take_while(|c| c.is_alphabetic())
            .collect();
        if !digits.is_empty() {
            number = digits.parse().ok();
        }
        let unit = if unit.is_empty() && digits.is_empty() {
            token.trim_matches(|c: char| !c.is_alphabetic()).to_string()
        } else {
            unit
        };
        let minutes_per = match unit.as_str() {
            "d" | "day" | "days" => 1440.0,
            "h" | "hr" | "hrs" | "hour" | "hours" => 60.0,
            "m" | "min" | "mins" | "minute" | "minutes" => 1.0,
            "" => continue,
            "and" => continue,
            _ => break,
        };
        if let Some(n) = number.take() {
            total += (n * minutes_per).round() as i64;
            seen = true;
        }
    }
    seen.then_some(total)
}

fn duration(pm: &PostMortem, out: &mut Findings) {
    let (Some(header), Some(actual)) = (&pm.header.date_time, pm.duration_minutes()) else {
        return;
    };
    let Some(written) = parse_duration(&header.text) else {
        return;
    };
    let tolerance = (actual / 20).max(2);
    if (written - actual).abs() > tolerance {
        out.error(
            Rule::DurationMismatch,
            header.pos,
            format!(
                "the header says the incident lasted {}, but `started` to `ended` is {}",
                format_minutes(written),
                format_minutes(actual)
            ),
            "Make the header's duration and the front matter's `started` and `ended` agree.",
        );
    }
}

fn due_dates(pm: &PostMortem, config: &SiteConfig, out: &mut Findings) {
    let Some(started) = pm.front.started else {
        return;
    };
    let start_day = started.date();
    let limit = config.framework.max_due_days;
    for item in &pm.action_items {
        let Some(due) = item.due else { continue };
        if due < start_day {
            out.error(
                Rule::DueDate,
                item.due_text.pos,
                format!(
                    "action item {}'s due date {due} is before the incident began ({start_day})",
                    item.number
                ),
                "Check the year and month: a follow-up is due after the incident that prompted it.",
            );
        } else if start_day
            .checked_add(limit.days())
            .is_ok_and(|far| due > far)
        {
            out.warning(
                Rule::DueDate,
                item.due_text.pos,
                format!("action item {} is due {due}, more than {limit} days after the incident", item.number),
                "A follow-up that far out tends to be forgotten: split it into a first step due sooner, or set `max_due_days` in site.toml.",
            );
        }
    }
}

fn vague_actions(pm: &PostMortem, out: &mut Findings) {
    for item in &pm.action_items {
        let text = item.action.text.trim();
        if text.is_empty() || is_placeholder(text) {
            continue;
        }
        let Some(vagueness) = language::vagueness(text) else {
            continue;
        };
        let why = match vagueness {
            Vagueness::VagueVerb(verb) => {
                format!("says `{verb}` with nothing that says when it is done")
            }
            Vagueness::Exhortation => {
                "asks people to try harder rather than changing the system".to_string()
            }
            Vagueness::OpenInvestigation => "is an investigation with no deliverable".to_string(),
            Vagueness::TooShort => "is too short to say what will be done".to_string(),
        };
        out.error(
            Rule::VagueAction,
            item.action.pos,
            format!("action item {} {why}", item.number),
            "Can we make that more specific? What exactly will be done differently, and how will we know it's done? For example: \"Add alerting when <metric> exceeds <threshold> for more than <N> minutes\".",
        );
    }
}

fn lexicon(config: &SiteConfig) -> Lexicon {
    Lexicon {
        extra_blame_phrases: config.framework.blame_phrases.clone(),
    }
}

/// Column of `needle` in `raw` (the source line), case-insensitively, else
/// of the first character.
fn column_in(raw: &str, needle: &str, base: crate::source::Pos) -> crate::source::Pos {
    let lower = raw.to_lowercase();
    match lower.find(&needle.to_lowercase()) {
        Some(at) if lower.len() == raw.len() => crate::source::Pos {
            line: base.line,
            column: base.column + raw[..at].chars().count() as u32,
        },
        _ => base,
    }
}

fn blame(pm: &PostMortem, config: &SiteConfig, out: &mut Findings) {
    let lexicon = lexicon(config);
    for prose in &pm.prose {
        for (_, sentence) in language::sentences(&prose.text) {
            let Some(hit) = language::blame(sentence, &lexicon) else {
                continue;
            };
            let pos = column_in(&prose.raw, &hit.phrase, prose.pos);
            let message = match hit.kind {
                BlameKind::HumanError => "\"human error\" names a person as the cause".to_string(),
                _ => format!("`{}` blames a person rather than the system", hit.phrase),
            };
            let hint = "Let's focus on what the system needed, not what any person did wrong: what made this action possible, easy or likely?";
            // A quote in the timeline records what was said; an analysis that blames is what the review must fix.
            match prose.section {
                SectionKind::Timeline => out.warning(Rule::BlameLanguage, pos, message, hint),
                _ => out.error_with_length(
                    Rule::BlameLanguage,
                    pos,
                    hit.phrase.chars().count() as u32,
                    message,
                    hint,
                ),
            }
        }
    }
}

fn named_people(pm: &PostMortem, config: &SiteConfig, people: &[String], out: &mut Findings) {
    let names: Vec<&str> = people
        .iter()
        .chain(config.framework.people.iter())
        .map(String::as_str)
        .filter(|n| n.len() >= 3)
        .collect();
    for prose in pm.prose.iter().filter(|p| {
        matches!(
            p.section,
            SectionKind::RootCause | SectionKind::WentPoorly | SectionKind::ContributingFactors
        )
    }) {
        for (_, sentence) in language::sentences(&prose.text) {
            for name in &names {
                // Most sentences name nobody: a substring test spares the parse.
                let first = name.split_whitespace().next().unwrap_or(name);
                if !sentence.contains(first) {
                    continue;
                }
                if language::names_as_failing(sentence, name).is_some() {
                    out.error_with_length(
                        Rule::NamedPerson,
                        column_in(&prose.raw, name, prose.pos),
                        name.chars().count() as u32,
                        format!("{name} is named as the subject of a failure"),
                        "Names belong to action-item owners; in the analysis, describe the role and what the system let them do (\"an engineer ran…, and the tool allowed…\").",
                    );
                }
            }
        }
    }
}
