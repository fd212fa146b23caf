//! Cross-incident aggregates: the data behind the index, root-cause and
//! open-action pages. Computed once from the validated post-mortems.

use std::collections::BTreeMap;

use jiff::civil::Date;
use serde::Serialize;

use crate::action_items::ActionItem;
use crate::config::SiteConfig;
use crate::dates::format_minutes;
use crate::finding::Tally;
use crate::post_mortem::PostMortem;

/// The page of a post-mortem, relative to the site root.
pub fn incident_url(id: &str) -> String {
    format!("incidents/{id}/index.html")
}

#[derive(Debug, Clone, Serialize)]
pub struct IncidentSummary {
    pub id: String,
    pub url: String,
    pub title: String,
    pub severity: String,
    pub severity_name: String,
    /// 0 is the most severe level declared in site.toml.
    pub severity_rank: usize,
    pub status: String,
    pub started: Option<String>,
    #[serde(skip)]
    pub started_at: Option<crate::dates::Moment>,
    /// `2024-03-14`, in the incident's own offset.
    pub date: String,
    pub year: String,
    pub started_display: String,
    pub ended_display: String,
    /// When it was detected (front matter, else the timeline), for people.
    pub detected_display: String,
    pub duration_minutes: Option<i64>,
    pub duration: String,
    pub services: Vec<String>,
    pub categories: Vec<String>,
    /// The services' names from site.toml (the id when undeclared), in order.
    pub service_names: Vec<String>,
    pub category_names: Vec<String>,
    pub errors: usize,
    pub warnings: usize,
    pub draft: bool,
    pub actions: usize,
    pub open_actions: usize,
    pub overdue_actions: usize,
    /// The framework score, 0 to 100.
    pub score: u8,
}

pub fn summary(pm: &PostMortem, config: &SiteConfig, today: Date) -> IncidentSummary {
    let written = pm.front.severity.clone().unwrap_or_default();
    // `p1` and `P1` are one level: show it as site.toml spells it.
    let severity = config.severity(&written).map_or(written, |s| s.id.clone());
    let tally = Tally::of(&pm.findings);
    let started = pm.front.started;
    IncidentSummary {
        id: pm.id.clone(),
        url: incident_url(&pm.id),
        title: pm.title().to_string(),
        severity_name: config
            .severity(&severity)
            .map(|s| s.name.clone())
            .unwrap_or_default(),
        severity_rank: config.severity_rank(&severity),
        severity,
        status: pm.front.status.map_or("", |s| s.as_str()).to_string(),
        started: started.map(|s| s.to_string()),
        started_at: started,
        date: started.map(|s| s.date().to_string()).unwrap_or_default(),
        year: started
            .map(|s| s.date().year().to_string())
            .unwrap_or_default(),
        started_display: started.map(|s| s.display()).unwrap_or_default(),
        ended_display: pm.front.ended.map(|s| s.display()).unwrap_or_default(),
        detected_display: pm.detected().map(|s| s.display()).unwrap_or_default(),
        duration_minutes: pm.duration_minutes(),
        duration: pm
            .duration_minutes()
            .map(format_minutes)
            .unwrap_or_default(),
        services: pm.front.services.clone(),
        categories: pm.front.root_cause_categories.clone(),
        service_names: pm
            .front
            .services
            .iter()
            .map(|id| {
                config
                    .service(id)
                    .map_or_else(|| id.clone(), |s| s.name.clone())
            })
            .collect(),
        category_names: pm
            .front
            .root_cause_categories
            .iter()
            .map(|id| {
                config
                    .category(id)
                    .map_or_else(|| id.clone(), |c| c.name.clone())
            })
            .collect(),
        errors: tally.errors,
        warnings: tally.warnings,
        draft: pm.front.draft,
        actions: pm.action_items.len(),
        open_actions: pm
            .action_items
            .iter()
            .filter(|a| a.status.is_open())
            .count(),
        overdue_actions: pm
            .action_items
            .iter()
            .filter(|a| action_row(pm, a, today).overdue)
            .count(),
        score: pm.score,
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct SeverityCount {
    pub id: String,
    pub name: String,
    pub count: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct Counts {
    pub total: usize,
    pub open: usize,
    pub resolved: usize,
    pub by_severity: Vec<SeverityCount>,
    pub errors: usize,
    pub warnings: usize,
    pub open_actions: usize,
    pub overdue_actions: usize,
}

/// Newest first by start instant; undated post-mortems last, by id.
pub fn newest_first(a: &IncidentSummary, b: &IncidentSummary) -> std::cmp::Ordering {
    b.started_at
        .cmp(&a.started_at)
        .then_with(|| a.id.cmp(&b.id))
}

pub fn counts(
    summaries: &[&IncidentSummary],
    actions: &[ActionRow],
    config: &SiteConfig,
) -> Counts {
    let mut by_severity: Vec<SeverityCount> = config
        .severities
        .iter()
        .map(|s| SeverityCount {
            id: s.id.clone(),
            name: s.name.clone(),
            count: 0,
        })
        .collect();
    for s in summaries {
        if let Some(slot) = by_severity.get_mut(s.severity_rank) {
            slot.count += 1;
        }
    }
    Counts {
        total: summaries.len(),
        open: summaries.iter().filter(|s| s.status == "open").count(),
        resolved: summaries.iter().filter(|s| s.status == "resolved").count(),
        by_severity,
        errors: summaries.iter().map(|s| s.errors).sum(),
        warnings: summaries.iter().map(|s| s.warnings).sum(),
        open_actions: actions.len(),
        overdue_actions: actions.iter().filter(|a| a.overdue).count(),
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ActionRow {
    pub incident_id: String,
    pub incident_title: String,
    pub incident_url: String,
    pub number: String,
    pub action: String,
    pub owner: String,
    /// The owner's page (`ledger::owner_url`), when there is an owner.
    pub owner_url: Option<String>,
    pub due: Option<String>,
    pub due_text: String,
    pub priority: String,
    pub priority_rank: u8,
    pub status: String,
    pub open: bool,
    /// Days past the due date, when open and overdue.
    pub overdue_days: Option<i64>,
    pub overdue: bool,
    /// Open and due within the next 14 days.
    pub due_soon: bool,
}

pub fn action_row(pm: &PostMortem, item: &ActionItem, today: Date) -> ActionRow {
    let open = item.status.is_open();
    let days_late = item.due.map(|due| (today - due).get_days() as i64);
    let overdue_days = days_late.filter(|&d| open && d > 0);
    ActionRow {
        incident_id: pm.id.clone(),
        incident_title: pm.title().to_string(),
        incident_url: incident_url(&pm.id),
        number: item.number.clone(),
        action: item.action.text.clone(),
        owner: item.owner.text.clone(),
        owner_url: (!item.owner.text.trim().is_empty())
            .then(|| crate::ledger::owner_url(&item.owner.text)),
        due: item.due.map(|d| d.to_string()),
        due_text: item.due_text.text.clone(),
        priority: item.priority.map_or_else(
            || item.priority_text.text.clone(),
            |p| p.as_str().to_string(),
        ),
        priority_rank: item.priority.map_or(3, |p| p as u8),
        status: item.status.as_str().to_string(),
        open,
        overdue: overdue_days.is_some(),
        overdue_days,
        due_soon: open && days_late.is_some_and(|d| (-14..=0).contains(&d)),
    }
}

/// Every action item not done, across all incidents: overdue first (most
/// overdue at the top), then by due date, undated last.
pub fn open_actions(post_mortems: &[&PostMortem], today: Date) -> Vec<ActionRow> {
    let mut rows: Vec<ActionRow> = post_mortems
        .iter()
        .flat_map(|pm| {
            pm.action_items
                .iter()
                .filter(|a| a.status.is_open())
                .map(move |a| action_row(pm, a, today))
        })
        .collect();
    rows.sort_by(|a, b| {
        a.due
            .is_none()
            .cmp(&b.due.is_none())
            .then(a.due.cmp(&b.due))
            .then(a.priority_rank.cmp(&b.priority_rank))
            .then(a.incident_id.cmp(&b.incident_id))
    });
    rows
}

#[derive(Debug, Clone, Serialize)]
pub struct CauseEntry {
    pub id: String,
    pub url: String,
    pub title: String,
    pub date: String,
    pub severity: String,
    pub proximate_cause: String,
    pub deepest_why: String,
    pub whys: usize,
    /// The quarter the incident started in (`2021-Q4`), for trends.
    pub quarter: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct CauseGroup {
    pub id: String,
    pub name: String,
    pub description: String,
    pub declared: bool,
    pub incidents: Vec<CauseEntry>,
}

/// The causes page's group of post-mortems without a category.
pub const UNCATEGORISED: &str = "uncategorised";

/// Incidents grouped by root-cause category: declared categories in
/// site.toml order, then undeclared ids, then incidents with none.
pub fn causes(post_mortems: &[&PostMortem], config: &SiteConfig) -> Vec<CauseGroup> {
    let mut groups: Vec<CauseGroup> = config
        .categories
        .iter()
        .map(|c| CauseGroup {
            id: c.id.clone(),
            name: c.name.clone(),
            description: c.description.clone(),
            declared: true,
            incidents: Vec::new(),
        })
        .collect();
    let mut undeclared: BTreeMap<String, Vec<CauseEntry>> = BTreeMap::new();
    let mut none = Vec::new();
    let mut ordered: Vec<&PostMortem> = post_mortems.to_vec();
    ordered.sort_by(|a, b| b.front.started.cmp(&a.front.started).then(a.id.cmp(&b.id)));
    for pm in ordered {
        let entry = || CauseEntry {
            id: pm.id.clone(),
            url: incident_url(&pm.id),
            title: pm.title().to_string(),
            date: pm
                .front
                .started
                .map(|s| s.date().to_string())
                .unwrap_or_default(),
            severity: pm.front.severity.clone().unwrap_or_default(),
            proximate_cause: pm
                .root_cause
                .proximate
                .as_ref()
                .map(|p| p.text.clone())
                .unwrap_or_default(),
            deepest_why: pm
                .root_cause
                .whys
                .last()
                .map(|w| w.text.clone())
                .unwrap_or_default(),
            whys: pm.root_cause.whys.len(),
            quarter: pm
                .front
                .started
                .map(|s| quarter_of(s.date()))
                .unwrap_or_default(),
        };
        if pm.front.root_cause_categories.is_empty() {
            none.push(entry());
        }
        for category in &pm.front.root_cause_categories {
            match groups.iter_mut().find(|g| &g.id == category) {
                Some(group) => group.incidents.push(entry()),
                None => undeclared
                    .entry(category.clone())
                    .or_default()
                    .push(entry()),
            }
        }
    }
    groups.extend(undeclared.into_iter().map(|(id, incidents)| CauseGroup {
        name: id.clone(),
        id,
        description: String::new(),
        declared: false,
        incidents,
    }));
    if !none.is_empty() {
        groups.push(CauseGroup {
            id: UNCATEGORISED.into(),
            name: "Not categorised".into(),
            description: "Post-mortems without root_cause_categories in their front matter.".into(),
            declared: false,
            incidents: none,
        });
    }
    groups
}

/// A finding turned into the facilitator's question for the review meeting.
#[derive(Debug, Clone, Serialize)]
pub struct ReviewQuestion {
    /// The agenda step it belongs to: 1 timeline, 2 root cause, 3 went well,
    /// 4 went poorly, 5 action items, 0 before the meeting (the write-up).
    pub step: u8,
    pub rule: &'static str,
    pub line: u32,
    pub finding: String,
    pub question: String,
}

/// The seed facilitator's questions for each finding of `pm`, in agenda order.
fn review_questions(pm: &PostMortem) -> Vec<ReviewQuestion> {
    use crate::finding::Rule;
    let proximate = pm
        .root_cause
        .proximate
        .as_ref()
        .map_or("the proximate cause", |p| p.text.trim_end_matches('.'));
    let mut questions: Vec<ReviewQuestion> = pm
        .findings
        .iter()
        .map(|f| {
            let (step, question) = match f.rule {
                Rule::BlameLanguage | Rule::NamedPerson => (
                    2,
                    "Let's focus on what the system needed, not what any person did wrong. What made this action possible, easy or likely?".to_string(),
                ),
                Rule::ShallowRootCause => (
                    2,
                    format!("Why was \"{proximate}\" possible? What allowed this to exist in the system?"),
                ),
                Rule::ContributingFactors => (2, "What made this worse, without being the root cause?".to_string()),
                Rule::Prevention => (2, "What would have prevented this incident, and how would it have helped?".to_string()),
                Rule::Timeline | Rule::IncidentTimes => (
                    1,
                    "Let's walk the timeline together: what is missing or misremembered here?".to_string(),
                ),
                Rule::WentWell => (3, "What did people do right in the response? Let's be genuine, not perfunctory.".to_string()),
                Rule::VagueAction => (
                    5,
                    "Can we make that more specific? What exactly will we do differently, and how will we know it's done?".to_string(),
                ),
                Rule::OwnerNotPerson => (5, "Who is the one person who will own this action?".to_string()),
                Rule::DueDate => (5, "By when will this be done, realistically?".to_string()),
                Rule::Priority => (5, "How urgent is this compared with the other actions?".to_string()),
                Rule::Review => (5, "When will we check that these actions are done?".to_string()),
                _ => (0, f.hint.clone()),
            };
            ReviewQuestion { step, rule: f.rule.id(), line: f.line, finding: f.message.clone(), question }
        })
        .collect();
    questions.sort_by_key(|q| (q.step, q.line));
    questions
}

/// One agenda step of the review meeting with its questions; a question
/// asked by several findings is listed once, with all of them.
#[derive(Debug, Clone, Serialize)]
pub struct ReviewStep {
    pub title: &'static str,
    pub questions: Vec<GroupedQuestion>,
}

#[derive(Debug, Clone, Serialize)]
pub struct GroupedQuestion {
    pub question: String,
    pub findings: Vec<ReviewQuestion>,
}

const STEP_TITLES: [&str; 6] = [
    "Before the meeting: the write-up",
    "1. Timeline",
    "2. Root cause analysis",
    "3. What went well",
    "4. What went poorly",
    "5. Action items",
];

/// The questions grouped by agenda step; steps without questions are left out.
pub fn review_steps(pm: &PostMortem) -> Vec<ReviewStep> {
    let questions = review_questions(pm);
    STEP_TITLES
        .iter()
        .enumerate()
        .map(|(step, title)| {
            let mut grouped: Vec<GroupedQuestion> = Vec::new();
            for q in questions.iter().filter(|q| usize::from(q.step) == step) {
                match grouped.iter_mut().find(|g| g.question == q.question) {
                    Some(group) => group.findings.push(q.clone()),
                    None => grouped.push(GroupedQuestion {
                        question: q.question.clone(),
                        findings: vec![q.clone()],
                    }),
                }
            }
            ReviewStep {
                title,
                questions: grouped,
            }
        })
        .filter(|s| !s.questions.is_empty())
        .collect()
}

/// `2021-Q4` for a date.
pub fn quarter_of(date: jiff::civil::Date) -> String {
    format!("{}-Q{}", date.year(), (date.month() - 1) / 3 + 1)
}

/// Every quarter from the first incident's to the last's, in order.
pub fn quarters(post_mortems: &[&PostMortem]) -> Vec<String> {
    let dates: Vec<jiff::civil::Date> = post_mortems
        .iter()
        .filter_map(|pm| pm.front.started.map(|s| s.date()))
        .collect();
    let (Some(first), Some(last)) = (dates.iter().min(), dates.iter().max()) else {
        return Vec::new();
    };
    let index = |d: &jiff::civil::Date| i32::from(d.year()) * 4 + i32::from((d.month() - 1) / 3);
    (index(first)..=index(last))
        .map(|q| format!("{}-Q{}", q.div_euclid(4), q.rem_euclid(4) + 1))
        .collect()
}

/// Incidents per quarter for each cause group, aligned with `quarters`.
pub fn trend(group: &CauseGroup, quarters: &[String]) -> Vec<usize> {
    let mut counts = vec![0; quarters.len()];
    for entry in &group.incidents {
        if let Some(q) = quarters.iter().position(|q| *q == entry.quarter) {
            counts[q] += 1;
        }
    }
    counts
}

/// A contributing factor that recurs across incidents.
#[derive(Debug, Clone, Serialize)]
pub struct RecurringFactor {
    pub name: String,
    pub incidents: Vec<crate::recurrence::Link>,
}

/// A factor's name folded so that "Missing alert on X." and "missing alert
/// on x" are one.
pub fn normalise_factor(name: &str) -> String {
    let lower = name.to_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_alphanumeric() && c != '-')
        .filter(|w| !w.is_empty() && !matches!(*w, "a" | "an" | "the"))
        .collect();
    words.join(" ")
}

/// Contributing factors named in two or more incidents, most incidents first.
pub fn recurring_factors(newest: &[&PostMortem]) -> Vec<RecurringFactor> {
    let mut groups: BTreeMap<String, RecurringFactor> = BTreeMap::new();
    for pm in newest {
        for factor in &pm.root_cause.contributing {
            let key = normalise_factor(&factor.name);
            if key.is_empty() {
                continue;
            }
            let group = groups.entry(key).or_insert_with(|| RecurringFactor {
                name: factor.name.clone(),
                incidents: Vec::new(),
            });
            // A post-mortem naming one factor twice adds it once; its
            // earlier push is the group's last, so no scan is needed.
            if group.incidents.last().is_none_or(|l| l.id != pm.id) {
                group
                    .incidents
                    .push(crate::recurrence::link(pm, Vec::new()));
            }
        }
    }
    let mut factors: Vec<RecurringFactor> = groups
        .into_values()
        .filter(|f| f.incidents.len() > 1)
        .collect();
    factors.sort_by(|a, b| {
        b.incidents
            .len()
            .cmp(&a.incidents.len())
            .then(a.name.cmp(&b.name))
    });
    factors
}
