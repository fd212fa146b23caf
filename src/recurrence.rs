//! Recurrence and relatedness between incidents: what keeps breaking us.
//!
//! Two incidents recur when they share a service and a root-cause category
//! and started within `recurrence_days` of each other. When the earlier one
//! had an open action item (or one closed before the recurrence) aimed at
//! that shared cause, both incidents say so.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::post_mortem::PostMortem;
use crate::views::incident_url;

/// A link from one incident to another.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Link {
    pub id: String,
    pub title: String,
    pub url: String,
    pub date: String,
    /// Why they are linked: the shared services, categories and debt.
    pub shared: Vec<String>,
}

/// The later incident of a recurring pair, seen from either side.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Recurrence {
    pub other: Link,
    /// True when `other` is the earlier incident.
    pub other_is_earlier: bool,
    pub days_apart: i64,
    /// Action items of the earlier incident aimed at the shared services
    /// or categories, and whether each was still open at the recurrence.
    pub earlier_actions: Vec<EarlierAction>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct EarlierAction {
    pub number: String,
    pub action: String,
    pub status: String,
    /// Still open (Open or In progress) as of this build.
    pub open: bool,
}

pub fn link(pm: &PostMortem, shared: Vec<String>) -> Link {
    Link {
        id: pm.id.clone(),
        title: pm.title().to_string(),
        url: incident_url(&pm.id),
        date: pm
            .front
            .started
            .map(|s| s.date().to_string())
            .unwrap_or_default(),
        shared,
    }
}

fn common<'a>(a: &'a [String], b: &'a [String]) -> Vec<&'a String> {
    a.iter().filter(|x| b.contains(x)).collect()
}

/// An action item aims at a cause when its text names a shared service or
/// category, or a distinctive word of one ("config" of `config-change`).
fn aims_at(action: &str, targets: &[&String]) -> bool {
    const GENERIC: [&str; 6] = ["change", "human", "process", "software", "issue", "error"];
    let text = action.to_lowercase();
    targets.iter().any(|t| {
        let t = t.to_lowercase();
        text.contains(&t)
            || text.contains(&t.replace('-', " "))
            || t.split('-')
                .any(|w| w.len() >= 4 && !GENERIC.contains(&w) && text.contains(w))
    })
}

/// Indexes of dated incidents per id that `ids` gives (a service, a
/// category), each list in start order.
fn buckets<'a>(
    post_mortems: &'a [&'a PostMortem],
    ids: impl Fn(&'a PostMortem) -> &'a [String],
) -> BTreeMap<&'a str, Vec<usize>> {
    let mut buckets: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, pm) in post_mortems
        .iter()
        .enumerate()
        .filter(|(_, pm)| pm.front.started.is_some())
    {
        for id in ids(pm) {
            buckets.entry(id.as_str()).or_default().push(i);
        }
    }
    for list in buckets.values_mut() {
        list.sort_by_key(|&i| post_mortems[i].front.started);
        list.dedup();
    }
    buckets
}

/// Every recurrence of every incident, indexed like `post_mortems`. Pairs
/// are found per service in start order, so the work grows with the
/// incidents inside each window, not with the square of the archive.
pub fn recurrences(post_mortems: &[&PostMortem], window_days: i64) -> Vec<Vec<Recurrence>> {
    let mut pairs: BTreeSet<(usize, usize)> = BTreeSet::new();
    for list in buckets(post_mortems, |pm| &pm.front.services).values() {
        for (k, &i) in list.iter().enumerate() {
            let start = post_mortems[i]
                .front
                .started
                .expect("bucketed incidents are dated");
            for &j in &list[k + 1..] {
                let later = post_mortems[j]
                    .front
                    .started
                    .expect("bucketed incidents are dated");
                if start.minutes_until(&later) / 1440 > window_days {
                    break;
                }
                pairs.insert((i, j));
            }
        }
    }
    let mut out = vec![Vec::new(); post_mortems.len()];
    for (earlier_index, later_index) in pairs {
        let (earlier, later) = (&post_mortems[earlier_index], &post_mortems[later_index]);
        let services = common(&earlier.front.services, &later.front.services);
        let categories = common(
            &earlier.front.root_cause_categories,
            &later.front.root_cause_categories,
        );
        if categories.is_empty() {
            continue;
        }
        let days = earlier
            .front
            .started
            .zip(later.front.started)
            .map_or(0, |(a, b)| a.minutes_until(&b) / 1440);
        let targets: Vec<&String> = services.iter().chain(categories.iter()).copied().collect();
        let earlier_actions: Vec<EarlierAction> = earlier
            .action_items
            .iter()
            .filter(|item| aims_at(&item.action.text, &targets))
            .map(|item| EarlierAction {
                number: item.number.clone(),
                action: item.action.text.clone(),
                status: item.status.as_str().to_string(),
                open: item.status.is_open(),
            })
            .collect();
        let shared: Vec<String> = targets.iter().map(|s| s.to_string()).collect();
        out[later_index].push(Recurrence {
            other: link(earlier, shared.clone()),
            other_is_earlier: true,
            days_apart: days,
            earlier_actions: earlier_actions.clone(),
        });
        out[earlier_index].push(Recurrence {
            other: link(later, shared),
            other_is_earlier: false,
            days_apart: days,
            earlier_actions,
        });
    }
    out
}

/// Up to `limit` incidents most related to each one: sharing services,
/// categories or debt, most shared first, then nearest in time. Candidates
/// are the nearest incidents in time on each service, category and debt item.
pub fn related(post_mortems: &[&PostMortem], limit: usize) -> Vec<Vec<Link>> {
    const NEIGHBOURS: usize = 25;
    let all: Vec<BTreeMap<&str, Vec<usize>>> = vec![
        buckets(post_mortems, |pm| &pm.front.services),
        buckets(post_mortems, |pm| &pm.front.root_cause_categories),
        buckets(post_mortems, |pm| &pm.front.debt),
    ];
    let mut position: Vec<Vec<(usize, &str, usize)>> = vec![Vec::new(); post_mortems.len()];
    for (kind, map) in all.iter().enumerate() {
        for (id, list) in map {
            for (k, &i) in list.iter().enumerate() {
                position[i].push((kind, id, k));
            }
        }
    }
    post_mortems
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let mut candidates: BTreeSet<usize> = BTreeSet::new();
            for (kind, id, k) in &position[i] {
                let list = &all[*kind][id];
                let from = k.saturating_sub(NEIGHBOURS);
                let to = (k + NEIGHBOURS + 1).min(list.len());
                candidates.extend(list[from..to].iter().copied().filter(|&j| j != i));
            }
            let mut scored: Vec<(usize, i64, Link)> = candidates
                .into_iter()
                .map(|j| {
                    let b = &post_mortems[j];
                    let mut shared: Vec<String> = Vec::new();
                    shared.extend(
                        common(&a.front.services, &b.front.services)
                            .into_iter()
                            .cloned(),
                    );
                    shared.extend(
                        common(
                            &a.front.root_cause_categories,
                            &b.front.root_cause_categories,
                        )
                        .into_iter()
                        .cloned(),
                    );
                    shared.extend(common(&a.front.debt, &b.front.debt).into_iter().cloned());
                    let gap = match (a.front.started, b.front.started) {
                        (Some(x), Some(y)) => x.minutes_until(&y).abs(),
                        _ => i64::MAX,
                    };
                    (shared.len(), gap, link(b, shared))
                })
                .collect();
            scored.sort_by(|x, y| y.0.cmp(&x.0).then(x.1.cmp(&y.1)).then(x.2.id.cmp(&y.2.id)));
            scored.into_iter().take(limit).map(|(_, _, l)| l).collect()
        })
        .collect()
}
