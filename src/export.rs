//! Machine-readable exports: `/incidents.json` and `/actions.json`.

use serde::Serialize;

use crate::config::SiteConfig;
use crate::finding::{Level, Rule};
use crate::post_mortem::PostMortem;
use crate::sections::NamedItem;
use crate::views::ActionRow;

#[derive(Serialize)]
struct Incident<'a> {
    id: &'a str,
    title: &'a str,
    severity: Option<&'a str>,
    status: Option<&'a str>,
    started: Option<String>,
    ended: Option<String>,
    detected: Option<String>,
    duration_minutes: Option<i64>,
    services: &'a [String],
    root_cause_categories: &'a [String],
    url: String,
    timeline: Vec<Event<'a>>,
    proximate_cause: Option<&'a str>,
    whys: Vec<&'a str>,
    contributing_factors: Vec<Named<'a>>,
    preventions: Vec<Named<'a>>,
    went_well: Vec<Named<'a>>,
    went_poorly: Vec<Named<'a>>,
    action_items: Vec<Action<'a>>,
    findings: Vec<FindingOut<'a>>,
    /// The framework score, 0 to 100.
    score: u8,
}

#[derive(Serialize)]
struct Event<'a> {
    time: Option<String>,
    time_text: &'a str,
    approximate: bool,
    event: &'a str,
    who: &'a str,
}

#[derive(Serialize)]
struct Named<'a> {
    name: &'a str,
    detail: &'a str,
}

#[derive(Serialize)]
struct Action<'a> {
    number: &'a str,
    action: &'a str,
    owner: &'a str,
    due: Option<String>,
    priority: String,
    status: &'static str,
}

#[derive(Serialize)]
struct FindingOut<'a> {
    rule: Rule,
    level: Level,
    line: u32,
    column: u32,
    message: &'a str,
}

fn named(items: &[NamedItem]) -> Vec<Named<'_>> {
    items
        .iter()
        .map(|i| Named {
            name: &i.name,
            detail: &i.detail,
        })
        .collect()
}

fn incident<'a>(pm: &'a PostMortem, config: &SiteConfig) -> Incident<'a> {
    let fm = &pm.front;
    Incident {
        id: &pm.id,
        title: pm.title(),
        severity: fm.severity.as_deref(),
        status: fm.status.map(|s| s.as_str()),
        started: fm.started.map(|m| m.to_string()),
        ended: fm.ended.map(|m| m.to_string()),
        detected: pm.detected().map(|m| m.to_string()),
        duration_minutes: pm.duration_minutes(),
        services: &fm.services,
        root_cause_categories: &fm.root_cause_categories,
        url: format!("{}incidents/{}/", config.base_url, pm.id),
        timeline: pm
            .timeline
            .iter()
            .map(|e| Event {
                time: e.time.map(|m| m.to_string()),
                time_text: &e.time_text,
                approximate: e.approximate,
                event: &e.event,
                who: &e.who,
            })
            .collect(),
        proximate_cause: pm.root_cause.proximate.as_ref().map(|p| p.text.as_str()),
        whys: pm.root_cause.whys.iter().map(|w| w.text.as_str()).collect(),
        contributing_factors: named(&pm.root_cause.contributing),
        preventions: named(&pm.root_cause.preventions),
        went_well: named(&pm.went_well),
        went_poorly: named(&pm.went_poorly),
        action_items: pm
            .action_items
            .iter()
            .map(|a| Action {
                number: &a.number,
                action: &a.action.text,
                owner: &a.owner.text,
                due: a.due.map(|d| d.to_string()),
                priority: a
                    .priority
                    .map_or_else(|| a.priority_text.text.clone(), |p| p.as_str().to_string()),
                status: a.status.as_str(),
            })
            .collect(),
        findings: pm
            .findings
            .iter()
            .map(|f| FindingOut {
                rule: f.rule,
                level: f.level,
                line: f.line,
                column: f.column,
                message: &f.message,
            })
            .collect(),
        score: pm.score,
    }
}

/// `/incidents.json`: one object per post-mortem, in the order given.
pub fn incidents_json(post_mortems: &[&PostMortem], config: &SiteConfig) -> Vec<u8> {
    let all: Vec<Incident> = post_mortems.iter().map(|pm| incident(pm, config)).collect();
    serde_json::to_vec_pretty(&all).expect("plain data serialises")
}

#[derive(Serialize)]
struct ActionOut<'a> {
    incident: &'a str,
    number: &'a str,
    action: &'a str,
    owner: &'a str,
    due: Option<&'a str>,
    priority: &'a str,
    status: &'a str,
    overdue: bool,
}

/// `/actions.json`: every action item of every incident.
pub fn actions_json(rows: &[ActionRow]) -> Vec<u8> {
    let all: Vec<ActionOut> = rows
        .iter()
        .map(|r| ActionOut {
            incident: &r.incident_id,
            number: &r.number,
            action: &r.action,
            owner: &r.owner,
            due: r.due.as_deref(),
            priority: &r.priority,
            status: &r.status,
            overdue: r.overdue,
        })
        .collect();
    serde_json::to_vec_pretty(&all).expect("plain data serialises")
}
