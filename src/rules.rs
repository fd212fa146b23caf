//! Validation, run on one parsed post-mortem: the structural rules here,
//! the framework's quality rules in `framework`. Rules only read the model
//! and add findings; `settle` then applies `[rules]` levels, the post-mortem's
//! status and in-place silences, and the score follows from what remains.

mod framework;

use crate::action_items::{ActionItem, ActionStatus};
use crate::config::{RuleSetting, SiteConfig};
use crate::finding::{Finding, Findings, Level, Rule};
use crate::front_matter::Status;
use crate::post_mortem::PostMortem;
use crate::sections::SectionKind;
use crate::source::Pos;
use crate::timeline::TimeProblem;

/// Runs every rule on `pm` and stores the findings on it, in line order.
/// `people` are names known to be people (action-item owners across the
/// archive), for `named-person`.
pub fn validate(pm: &mut PostMortem, config: &SiteConfig, people: &[String]) {
    let mut out = Findings::new(pm.source.clone().into());
    let front_matter_broken = pm.findings.iter().any(|f| f.rule == Rule::FrontMatter);
    if !front_matter_broken {
        required_fields(pm, &mut out);
    }
    incident_times(pm, &mut out);
    severity(pm, config, &mut out);
    declared_ids(pm, config, &mut out);
    // From here on, rules judge the write-up: softer while it is `open`.
    out.follow_status();
    sections(pm, &mut out);
    timeline(pm, &mut out);
    action_items(pm, &mut out);
    placeholders(pm, &mut out);
    header_mismatch(pm, &mut out);
    framework::check(pm, config, people, &mut out);
    let mut out_silences = Findings::new(pm.source.clone().into());
    silence_comments(pm, &mut out_silences);
    let mut all = std::mem::take(&mut pm.findings);
    all.extend(out.into_sorted());
    all.extend(out_silences.into_sorted());
    let mut all = settle(all, pm, config);
    all.sort_by_key(|f| (f.line, f.column));
    pm.score = score(&all);
    pm.findings = all;
}

/// Applies `[rules]` levels, then the status (an open post-mortem gets
/// warnings where a resolved one gets errors), then silence comments.
fn settle(findings: Vec<Finding>, pm: &PostMortem, config: &SiteConfig) -> Vec<Finding> {
    let open = pm.front.status == Some(Status::Open);
    let silenced = |f: &Finding| {
        pm.silences.iter().any(|s| {
            s.target_line == f.line
                && !s.reason.is_empty()
                && s.rules.iter().any(|r| r == f.rule.id())
        })
    };
    findings
        .into_iter()
        .filter_map(|mut f| {
            match config.rules.get(&f.rule) {
                Some(RuleSetting::Off) => return None,
                Some(RuleSetting::Error) => f.level = Level::Error,
                Some(RuleSetting::Warning) => f.level = Level::Warning,
                None if open && f.follows_status => f.level = Level::Warning,
                None => {}
            }
            (!silenced(&f)).then_some(f)
        })
        .collect()
}

/// 100 for a post-mortem with no findings; each error costs 10 points and
/// each warning 3.
fn score(findings: &[Finding]) -> u8 {
    let tally = crate::finding::Tally::of(findings);
    100u8.saturating_sub((tally.errors * 10 + tally.warnings * 3).min(100) as u8)
}

/// A silence must name known rules and give a reason, or it silences nothing.
fn silence_comments(pm: &PostMortem, out: &mut Findings) {
    let ids: Vec<&str> = Rule::ALL.iter().map(|r| r.id()).collect();
    for silence in &pm.silences {
        for rule in silence.rules.iter().filter(|r| Rule::from_id(r).is_none()) {
            let near = did_you_mean(rule, &ids)
                .map(|n| format!(" Did you mean `{n}`?"))
                .unwrap_or_default();
            out.warning(
                Rule::Silence,
                silence.pos,
                format!("`{rule}` is not a rule hindsight knows"),
                format!(
                    "Name the rule as it appears in the finding, such as `blame-language`.{near}"
                ),
            );
        }
        if silence.reason.is_empty() {
            out.warning(
                Rule::Silence,
                silence.pos,
                "this hindsight-ignore comment gives no reason, so it silences nothing",
                "Write the reason after a colon: `<!-- hindsight-ignore blame-language: quoting the customer's words -->`.",
            );
        }
    }
}

fn required_fields(pm: &PostMortem, out: &mut Findings) {
    let fm = &pm.front;
    let malformed = |key: &str| fm.malformed.contains(key);
    let missing = [
        (
            "title",
            fm.title.is_none(),
            "a descriptive title that names what broke, not who",
        ),
        (
            "severity",
            fm.severity.is_none(),
            "one of the severity ids in site.toml, such as P1",
        ),
        (
            "status",
            fm.status.is_none(),
            "`open` while drafting, `resolved` when done",
        ),
        (
            "started",
            fm.started.is_none(),
            "when the incident began, such as 2024-03-14T09:12:00+01:00",
        ),
    ];
    for (key, absent, what) in missing {
        // A field that was written but malformed has its own field-type finding.
        if absent && !malformed(key) {
            let (at, message) = match fm.keys.get(key) {
                Some(pos) => (*pos, format!("`{key}` is empty")),
                None => (Pos::START, format!("the front matter has no `{key}`")),
            };
            out.error(
                Rule::RequiredField,
                at,
                message,
                format!("Add `{key}:` to the front matter: {what}."),
            );
        }
    }
    if fm.status == Some(Status::Resolved) && fm.ended.is_none() && !malformed("ended") {
        out.error(
            Rule::RequiredField,
            fm.keys.get("ended").copied().unwrap_or_else(|| fm.key_pos("status")),
            "a resolved incident needs `ended`",
            "Add `ended:` with the time service was fully restored, so the duration can be computed.",
        );
    }
}

fn incident_times(pm: &PostMortem, out: &mut Findings) {
    let fm = &pm.front;
    let Some(started) = fm.started else { return };
    if let Some(ended) = fm.ended.filter(|e| *e < started) {
        out.error(
            Rule::IncidentTimes,
            fm.key_pos("ended"),
            format!("`ended` ({ended}) is before `started` ({started})"),
            "Check both times and their offsets; `ended` is when service was fully restored.",
        );
    }
    if let Some(detected) = fm.detected.filter(|d| *d < started) {
        out.error(
            Rule::IncidentTimes,
            fm.key_pos("detected"),
            format!("`detected` ({detected}) is before `started` ({started})"),
            "An incident is detected after it starts: check the times, or move `started` to when impact began.",
        );
    }
}

fn severity(pm: &PostMortem, config: &SiteConfig, out: &mut Findings) {
    let Some(severity) = &pm.front.severity else {
        return;
    };
    if config.severity(severity).is_none() {
        let ids: Vec<&str> = config.severities.iter().map(|s| s.id.as_str()).collect();
        out.error(
            Rule::Severity,
            pm.front.key_pos("severity"),
            format!("severity `{severity}` is not defined in site.toml"),
            format!(
                "Use one of {}{}, or define this level in site.toml with what it means for your organisation.",
                ids.join(", "),
                did_you_mean(severity, &ids).map(|s| format!(" (did you mean `{s}`?)")).unwrap_or_default()
            ),
        );
    }
}

fn declared_ids(pm: &PostMortem, config: &SiteConfig, out: &mut Findings) {
    let services: Vec<&str> = config.services.iter().map(|s| s.id.as_str()).collect();
    let categories: Vec<&str> = config.categories.iter().map(|s| s.id.as_str()).collect();
    let debt: Vec<&str> = config.debt.iter().map(|s| s.id.as_str()).collect();
    for (key, used, declared, rule, table) in [
        ("debt", &pm.front.debt, &debt, Rule::UnknownDebt, "[[debt]]"),
        (
            "services",
            &pm.front.services,
            &services,
            Rule::UnknownService,
            "[[service]]",
        ),
        (
            "root_cause_categories",
            &pm.front.root_cause_categories,
            &categories,
            Rule::UnknownCategory,
            "[[category]]",
        ),
    ] {
        for id in used.iter().filter(|id| !declared.contains(&id.as_str())) {
            let hint = match did_you_mean(id, declared) {
                Some(near) => format!("Did you mean `{near}`? Otherwise declare `{id}` as a {table} in site.toml."),
                None => format!("Declare `{id}` as a {table} in site.toml so the cross-incident views can group it."),
            };
            out.warning(
                rule,
                pm.front.entry_pos(key, id),
                format!("`{id}` in `{key}` is not declared in site.toml"),
                hint,
            );
            out.spanning(id.chars().count());
        }
    }
}

fn sections(pm: &PostMortem, out: &mut Findings) {
    for (kind, heading) in SectionKind::REQUIRED {
        if !pm.has_section(kind) {
            out.error(
                Rule::MissingSection,
                pm.body_pos,
                format!(
                    "the post-mortem has no `{}` section",
                    heading
                        .trim_start_matches("# ")
                        .trim_start_matches('#')
                        .trim()
                ),
                format!("Add a `{heading}` section; {}", section_purpose(kind)),
            );
        }
    }
}

fn section_purpose(kind: SectionKind) -> &'static str {
    match kind {
        SectionKind::Timeline => "a precise timeline is the most important part of the review.",
        SectionKind::Impact => "say who was affected, and how, in customer, revenue, data and reputation terms.",
        SectionKind::RootCause => "ask \"why did that happen?\" until you reach the system condition that made it possible.",
        SectionKind::WentWell => "name what people did right in the response; it is what the team should keep doing.",
        SectionKind::WentPoorly => "describe the gaps in systems and processes, not in people.",
        _ => "list specific, owned, time-bound follow-ups in a table.",
    }
}

fn timeline(pm: &PostMortem, out: &mut Findings) {
    if pm.has_section(SectionKind::Timeline) && pm.timeline.is_empty() {
        let at = pm
            .sections
            .iter()
            .find(|s| s.kind == SectionKind::Timeline)
            .map_or(pm.body_pos, |s| s.pos);
        out.error(
            Rule::Timeline,
            at,
            "the timeline has no events",
            "Add a table `| Time | Event | Who / What |` with one row per event, from the first sign of trouble to full resolution.",
        );
    }
    for problem in &pm.time_problems {
        match *problem {
            TimeProblem::Unreadable { row } => {
                let event = &pm.timeline[row];
                if is_placeholder(&event.time_text) {
                    continue;
                }
                out.error(
                    Rule::Timeline,
                    event.pos,
                    if event.time_text.is_empty() {
                        "this timeline row has no time".to_string()
                    } else {
                        format!("`{}` is not a time hindsight can read", event.time_text)
                    },
                    "Write `HH:MM` (on the day the incident started), `YYYY-MM-DD HH:MM`, or an RFC 3339 time; mark estimates as `~HH:MM`.",
                );
            }
            TimeProblem::OutOfOrder { row, previous } => {
                let (event, before) = (&pm.timeline[row], &pm.timeline[previous]);
                out.error(
                    Rule::Timeline,
                    event.pos,
                    format!("`{}` comes before the previous row's `{}`", event.time_text, before.time_text),
                    "Keep timeline rows in time order; if this happened on a later day, write the date: `YYYY-MM-DD HH:MM`.",
                );
            }
        }
    }
}

fn action_items(pm: &PostMortem, out: &mut Findings) {
    if pm.has_section(SectionKind::ActionItems) && pm.action_items.is_empty() {
        let at = pm
            .sections
            .iter()
            .find(|s| s.kind == SectionKind::ActionItems)
            .map_or(pm.body_pos, |s| s.pos);
        out.error(
            Rule::OwnerNotPerson,
            at,
            "the action items section has no table of actions",
            "Add `| # | Action | Owner | Due Date | Priority |` with one specific, owned, dated row per follow-up.",
        );
    }
    for item in &pm.action_items {
        action_item(item, out);
    }
}

fn action_item(item: &ActionItem, out: &mut Findings) {
    let n = &item.number;
    if let Some(problem) = owner_problem(&item.owner.text) {
        out.error(
            Rule::OwnerNotPerson,
            item.owner.pos,
            format!("action item {n} {problem}"),
            "Give it one person's name: an action everyone owns is one nobody does. The person can still ask others for help.",
        );
    }
    if item.due_text.text.is_empty() {
        out.error(
            Rule::DueDate,
            item.due_text.pos,
            format!("action item {n} has no due date"),
            "Add the date it will be done by, as YYYY-MM-DD, so it can be followed up.",
        );
    } else if item.due.is_none() && !is_placeholder(&item.due_text.text) {
        out.error(
            Rule::DueDate,
            item.due_text.pos,
            format!("action item {n}'s due date `{}` is not a date", item.due_text.text),
            "Write a real date as YYYY-MM-DD; \"next sprint\" or \"Q3\" cannot be tracked or marked overdue.",
        );
    }
    if item.priority_text.text.is_empty() {
        out.error(
            Rule::Priority,
            item.priority_text.pos,
            format!("action item {n} has no priority"),
            "Add High, Med or Low so the team can order the follow-ups.",
        );
    } else if item.priority.is_none() && !is_placeholder(&item.priority_text.text) {
        out.warning(
            Rule::Priority,
            item.priority_text.pos,
            format!(
                "action item {n}'s priority `{}` is not High, Med or Low",
                item.priority_text.text
            ),
            "Use High, Med or Low so the open-actions view can sort it.",
        );
    }
    if let Some(status) = &item.status_text {
        if ActionStatus::read(&status.text).is_none() {
            out.warning(
                Rule::ActionStatus,
                status.pos,
                format!(
                    "action item {n}'s status `{}` is not one hindsight knows; it counts as Open",
                    status.text
                ),
                "Use Open, In progress, Done or Won't do.",
            );
        }
    }
}

/// Every action-item owner in `post_mortems` that names one person: the
/// names `named-person` looks for in the analysis.
pub fn people(post_mortems: &[&PostMortem]) -> Vec<String> {
    let mut names: Vec<String> = post_mortems
        .iter()
        .flat_map(|pm| pm.action_items.iter())
        .map(|a| a.owner.text.trim())
        .filter(|o| owner_problem(o).is_none() && !is_placeholder(o))
        .map(String::from)
        .collect();
    names.sort();
    names.dedup();
    names
}

/// Whether `named-person` could judge `pm` differently when `names` join or
/// leave the archive's people: its prose mentions one of them.
pub fn mentions_any(pm: &PostMortem, names: &[String]) -> bool {
    names.iter().any(|name| {
        let first = name.split_whitespace().next().unwrap_or(name);
        pm.prose.iter().any(|p| p.text.contains(first))
    })
}

/// Why an owner cell does not name one person, if it does not.
fn owner_problem(owner: &str) -> Option<String> {
    let text = owner.trim();
    if text.is_empty() {
        return Some("has no owner".into());
    }
    if is_placeholder(text) {
        return None; // reported as a placeholder
    }
    let lower = text.to_lowercase();
    let bare = lower.trim_matches(|c: char| !c.is_alphanumeric());
    const NOBODY: [&str; 10] = [
        "tbd",
        "tbc",
        "tba",
        "n/a",
        "na",
        "none",
        "unassigned",
        "unknown",
        "nobody",
        "?",
    ];
    const EVERYONE: [&str; 6] = [
        "everyone",
        "everybody",
        "all",
        "the team",
        "team",
        "all engineers",
    ];
    const TEAM_WORDS: [&str; 14] = [
        "team",
        "squad",
        "group",
        "guild",
        "crew",
        "department",
        "org",
        "sre",
        "ops",
        "devops",
        "engineering",
        "on-call",
        "oncall",
        "rotation",
    ];
    if NOBODY.contains(&bare) || NOBODY.contains(&lower.as_str()) {
        return Some(format!("is owned by `{text}`, which is not a person yet"));
    }
    if EVERYONE.contains(&bare) {
        return Some(format!("is owned by `{text}`"));
    }
    let last_word = lower.split_whitespace().last().unwrap_or_default();
    if TEAM_WORDS.contains(&last_word) || (text.starts_with('@') && text.contains('/')) {
        return Some(format!(
            "is owned by `{text}`, a team rather than one person"
        ));
    }
    let several = [" and ", " & ", ",", "/", ";", " + "]
        .iter()
        .any(|sep| lower.contains(sep));
    if several {
        return Some(format!("is owned by `{text}`, several people"));
    }
    None
}

/// Where the header block says something other than the front matter.
fn header_mismatch(pm: &PostMortem, out: &mut Findings) {
    let fm = &pm.front;
    let same = |a: &str, b: &str| {
        a.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase()
            == b.split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
                .to_lowercase()
    };
    let starts_with_word = |text: &str, word: &str| {
        let t = text.trim().to_lowercase();
        let w = word.to_lowercase();
        t.starts_with(&w) && !t[w.len()..].starts_with(|c: char| c.is_alphanumeric())
    };
    let checks = [
        (
            "title",
            pm.header.title.as_ref(),
            fm.title.as_deref(),
            &same as &dyn Fn(&str, &str) -> bool,
        ),
        (
            "severity",
            pm.header.severity.as_ref(),
            fm.severity.as_deref(),
            &starts_with_word,
        ),
        (
            "status",
            pm.header.status.as_ref(),
            fm.status.map(|s| s.as_str()),
            &starts_with_word,
        ),
        (
            "commander",
            pm.header.commander.as_ref(),
            fm.commander.as_deref(),
            &same,
        ),
    ];
    for (key, header, front, agrees) in checks {
        let (Some(header), Some(front)) = (header, front) else {
            continue;
        };
        if header.text.is_empty() || is_placeholder(&header.text) || agrees(&header.text, front) {
            continue;
        }
        out.warning(
            Rule::HeaderMismatch,
            header.pos,
            format!("the header block says `{}` but the front matter's `{key}` is `{front}`", header.text),
            format!("Make the two agree; the front matter's `{key}` is what the archive shows and counts."),
        );
    }
}

/// The seed template's placeholders, normalised by `normalise_placeholder`.
const SEED_PLACEHOLDERS: &[&str] = &[
    "descriptive, not blaming",
    "start",
    "end",
    "x hours/minutes",
    "p0/p1/p2 - and your org's definition",
    "open / resolved",
    "role",
    "hh:mm",
    "what happened",
    "system or person",
    "detection",
    "how discovered",
    "first response action",
    "who, what they did",
    "key decision or escalation",
    "who",
    "resolution step",
    "what fixed it",
    "customer communication",
    "what was sent",
    "full resolution",
    "confirmation",
    "# users affected, % of users, duration",
    "if applicable - missed transactions, refunds, sla penalties",
    "any data loss, corruption, or access issues",
    "customer complaints, social media, press coverage",
    "the proximate event",
    "first-level cause",
    "second-level cause",
    "third-level cause",
    "fourth-level cause",
    "root cause - the system condition that made this possible",
    "factor n",
    "how it contributed",
    "preventive measure n",
    "how it would have helped",
    "this section is critical for blameless culture - name what people did right in the response",
    "action",
    "why it was effective",
    "focus on systems and processes, not individuals",
    "system issue",
    "specific gap or failure",
    "process issue",
    "what the process lacked",
    "specific action",
    "name",
    "date",
    "high/med/low",
    "next team meeting / n weeks from now",
    "tbd",
    "todo",
];

fn normalise_placeholder(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for word in text.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        let word = word.replace(['—', '–', 'β', '€', '"', '\u{201c}', '\u{201d}'], "-");
        if word.chars().all(|c| c.is_ascii_digit()) {
            out.push('n');
        } else {
            out.push_str(&word.to_lowercase());
        }
    }
    // Mis-encoded dashes from copied templates collapse to one.
    while out.contains("--") {
        out = out.replace("--", "-");
    }
    out
}

/// Is `text` (bracketed or not) one of the template's unfilled slots?
pub fn is_placeholder(text: &str) -> bool {
    let inner = text.trim().trim_start_matches('[').trim_end_matches(']');
    text.trim().starts_with('[')
        && SEED_PLACEHOLDERS.contains(&normalise_placeholder(inner).as_str())
}

fn placeholders(pm: &PostMortem, out: &mut Findings) {
    for b in &pm.bracketed {
        if SEED_PLACEHOLDERS.contains(&normalise_placeholder(&b.text).as_str()) {
            out.error(
                Rule::Placeholder,
                b.pos,
                format!("`[{}]` is the template's placeholder, not yet filled in", b.text),
                "Replace it with what actually happened; if it does not apply, say so in a few words.",
            );
            out.spanning(b.text.chars().count() + 2);
        }
    }
    let fm = &pm.front;
    for (key, value) in [("title", &fm.title), ("commander", &fm.commander)] {
        if let Some(v) = value.as_deref().filter(|v| is_placeholder(v)) {
            out.error(
                Rule::Placeholder,
                fm.key_pos(key),
                format!("`{key}` is still the template's placeholder `{v}`"),
                format!("Fill in `{key}` for this incident."),
            );
        }
    }
}

/// The declared id closest to `id`, if it is close enough to be a typo.
pub fn did_you_mean<'a>(id: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let id_lower = id.to_lowercase();
    candidates
        .iter()
        .map(|c| (edit_distance(&id_lower, &c.to_lowercase()), *c))
        .filter(|(d, c)| *d <= (c.chars().count() / 3).max(1))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

/// Two files that map to the same output id: an error on each, naming all.
pub fn duplicate_ids(post_mortems: &[&PostMortem]) -> Vec<Finding> {
    let mut by_page: std::collections::BTreeMap<String, Vec<&PostMortem>> = Default::default();
    for pm in post_mortems {
        for page in pages_of(&pm.id) {
            by_page.entry(page).or_default().push(pm);
        }
    }
    let mut findings = Vec::new();
    // Files with one id collide on both pages; they are told once.
    let mut told = std::collections::HashSet::new();
    for (page, group) in by_page.into_iter().filter(|(_, g)| g.len() > 1) {
        let sources: Vec<&str> = group.iter().map(|p| p.source.as_str()).collect();
        if !told.insert(sources.clone()) {
            continue;
        }
        for pm in &group {
            let mut f = Findings::new(pm.source.clone().into());
            f.error(
                Rule::DuplicateId,
                Pos::START,
                format!(
                    "{} files map to the page `{page}`: {}",
                    group.len(),
                    sources.join(", ")
                ),
                "Rename one of the files so each post-mortem has its own address.",
            );
            findings.extend(f.into_sorted());
        }
    }
    findings
}

/// The pages a post-mortem's id claims: its own and its review sheet's, so
/// `x.md` and `x/review.md` collide.
pub fn pages_of(id: &str) -> [String; 2] {
    [
        format!("incidents/{id}/"),
        format!("incidents/{id}/review/"),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_near_ids_only() {
        let ids = ["checkout", "payments", "P1"];
        assert_eq!(did_you_mean("chekout", &ids), Some("checkout"));
        assert_eq!(did_you_mean("p1", &ids), Some("P1"));
        assert_eq!(did_you_mean("search", &ids), None);
    }

    #[test]
    fn owners_must_be_one_person() {
        assert_eq!(owner_problem("Ada Moreno"), None);
        assert_eq!(owner_problem("Payments engineer Ada"), None);
        assert!(owner_problem("").unwrap().contains("no owner"));
        assert!(owner_problem("TBD").unwrap().contains("not a person yet"));
        assert!(owner_problem("Platform team").unwrap().contains("a team"));
        assert!(owner_problem("@acme/sre").unwrap().contains("a team"));
        assert!(owner_problem("everyone").is_some());
        assert!(owner_problem("Ada and Ben")
            .unwrap()
            .contains("several people"));
        assert!(owner_problem("Ada, Ben").is_some());
        assert_eq!(owner_problem("[Name]"), None);
    }

    #[test]
    fn recognises_seed_placeholders() {
        assert!(is_placeholder("[HH:MM]"));
        assert!(is_placeholder("[Factor 2]"));
        assert!(is_placeholder(
            "[Root cause β€\" the system condition that made this possible]"
        ));
        assert!(is_placeholder(
            "[Root cause — the system condition that made this possible]"
        ));
        assert!(!is_placeholder("[redacted]"));
        assert!(!is_placeholder("Name"));
    }
}
