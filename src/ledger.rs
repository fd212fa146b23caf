//! The follow-up ledger: open actions by owner and by priority, completion
//! rates per incident and per quarter, and items nobody can act on yet.

use serde::Serialize;

use crate::markdown::slug;
use crate::post_mortem::PostMortem;
use crate::views::{incident_url, ActionRow};

/// An owner's page: `actions/<slug>/index.html`.
pub fn owner_url(name: &str) -> String {
    format!("actions/{}/index.html", owner_slug(name))
}

pub fn owner_slug(name: &str) -> String {
    match slug(name) {
        s if s.is_empty() => "unnamed".into(),
        s => s,
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Owner {
    pub name: String,
    pub slug: String,
    pub url: String,
    /// Open items, overdue first.
    pub open: Vec<ActionRow>,
    pub total: usize,
    pub done: usize,
    pub overdue: usize,
}

/// Every named owner with their items; `rows` are all action rows of the
/// archive. Owners with open items come first, most overdue first.
pub fn owners(rows: &[ActionRow]) -> Vec<Owner> {
    let mut by_slug: std::collections::BTreeMap<String, Owner> = Default::default();
    for row in rows.iter().filter(|r| !r.owner.trim().is_empty()) {
        let slug = owner_slug(&row.owner);
        let owner = by_slug.entry(slug.clone()).or_insert_with(|| Owner {
            name: row.owner.trim().to_string(),
            url: owner_url(&row.owner),
            slug,
            open: Vec::new(),
            total: 0,
            done: 0,
            overdue: 0,
        });
        owner.total += 1;
        if row.open {
            owner.open.push(row.clone());
            owner.overdue += usize::from(row.overdue);
        } else if row.status == "Done" {
            owner.done += 1;
        }
    }
    let mut owners: Vec<Owner> = by_slug.into_values().collect();
    for owner in &mut owners {
        owner
            .open
            .sort_by(|a, b| b.overdue_days.cmp(&a.overdue_days).then(a.due.cmp(&b.due)));
    }
    owners.sort_by(|a, b| {
        b.overdue
            .cmp(&a.overdue)
            .then(b.open.len().cmp(&a.open.len()))
            .then(a.name.cmp(&b.name))
    });
    owners
}

#[derive(Debug, Clone, Serialize)]
pub struct PriorityCount {
    pub priority: String,
    /// 0 for High to 3 for an unknown priority, as on action rows.
    pub rank: u8,
    pub open: usize,
    pub overdue: usize,
}

/// Open items per priority, High first.
pub fn by_priority(open_rows: &[ActionRow]) -> Vec<PriorityCount> {
    let mut groups: Vec<PriorityCount> = Vec::new();
    for row in open_rows {
        match groups.iter_mut().find(|g| g.priority == row.priority) {
            Some(g) => {
                g.open += 1;
                g.overdue += usize::from(row.overdue);
            }
            None => groups.push(PriorityCount {
                priority: row.priority.clone(),
                rank: row.priority_rank,
                open: 1,
                overdue: usize::from(row.overdue),
            }),
        }
    }
    groups.sort_by(|a, b| a.rank.cmp(&b.rank).then(a.priority.cmp(&b.priority)));
    groups
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Completion {
    /// An incident's title, or a quarter such as `2021-Q4`.
    pub key: String,
    /// The incident's page, for per-incident rates.
    pub url: Option<String>,
    pub total: usize,
    pub done: usize,
    pub percent: f64,
}

fn completion(
    key: String,
    url: Option<String>,
    items: &[crate::action_items::ActionItem],
) -> Completion {
    // Won't-do items are decided, not pending: they count as closed but not done.
    let total = items.len();
    let done = items
        .iter()
        .filter(|a| a.status == crate::action_items::ActionStatus::Done)
        .count();
    Completion {
        key,
        url,
        total,
        done,
        percent: if total == 0 {
            0.0
        } else {
            100.0 * done as f64 / total as f64
        },
    }
}

/// Done items over all items, per incident (newest first) and per quarter of
/// the incident's start.
pub fn completion_rates(newest: &[&PostMortem]) -> (Vec<Completion>, Vec<Completion>) {
    let by_incident = newest
        .iter()
        .filter(|pm| !pm.action_items.is_empty())
        .map(|pm| {
            completion(
                pm.title().to_string(),
                Some(incident_url(&pm.id)),
                &pm.action_items,
            )
        })
        .collect();
    let mut quarters: std::collections::BTreeMap<String, Vec<crate::action_items::ActionItem>> =
        Default::default();
    for pm in newest {
        if let Some(started) = pm.front.started {
            let date = started.date();
            let key = format!("{}-Q{}", date.year(), (date.month() - 1) / 3 + 1);
            quarters
                .entry(key)
                .or_default()
                .extend(pm.action_items.iter().cloned());
        }
    }
    let by_quarter = quarters
        .into_iter()
        .filter(|(_, items)| !items.is_empty())
        .map(|(key, items)| completion(key, None, &items))
        .collect();
    (by_incident, by_quarter)
}
