//! Recurrence and relatedness between incidents: what keeps breaking us.
//!
//! Two incidents recur when they share a service and a root-cause category
//! and started within `recurrence_days` of each other. When the earlier one
//! had an open action item (or one closed before the recurrence) aimed at
//! that shared cause, both incidents say so.

use std::collections::{BTreeMap, BTreeSet};

use rayon::prelude::*;
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
    /// or categories, and whether each is open as of the build (post-mortems
    /// record no closing dates, so not as of the recurrence).
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
fn buckets(
    post_mortems: &[&PostMortem],
    ids: impl Fn(&PostMortem) -> &[String],
) -> BTreeMap<String, Vec<usize>> {
    let mut buckets: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, pm) in post_mortems
        .iter()
        .enumerate()
        .filter(|(_, pm)| pm.front.started.is_some())
    {
        for id in ids(pm) {
            match buckets.get_mut(id.as_str()) {
                Some(list) => list.push(i),
                None => {
                    buckets.insert(id.clone(), vec![i]);
                }
            }
        }
    }
    for list in buckets.values_mut() {
        list.sort_by_key(|&i| post_mortems[i].front.started);
        list.dedup();
    }
    buckets
}

/// The archive's incidents by service, category and debt item, in start
/// order: built once, then asked about one incident at a time, so a page
/// needs only its own incident's neighbours.
pub struct Neighbours {
    /// For services, categories and debt: each id's incidents, in start order.
    kinds: [Vec<Vec<usize>>; 3],
    /// For each incident: (kind, list, position in that list).
    position: Vec<Vec<(usize, usize, usize)>>,
}

/// How many incidents on either side, in each list, are candidates for
/// "related".
const NEIGHBOURS: usize = 25;

/// The most recurrences shown for one incident, nearest in time first: a
/// burst of hundreds of incidents on one service in one week must not turn
/// into every pair of them.
pub const RECURRENCES: usize = 10;

impl Neighbours {
    pub fn new(post_mortems: &[&PostMortem]) -> Neighbours {
        let lists = |ids: fn(&PostMortem) -> &[String]| -> Vec<Vec<usize>> {
            buckets(post_mortems, ids).into_values().collect()
        };
        let kinds = [
            lists(|pm| &pm.front.services),
            lists(|pm| &pm.front.root_cause_categories),
            lists(|pm| &pm.front.debt),
        ];
        let mut position: Vec<Vec<(usize, usize, usize)>> = vec![Vec::new(); post_mortems.len()];
        for (kind, kind_lists) in kinds.iter().enumerate() {
            for (list_index, list) in kind_lists.iter().enumerate() {
                for (k, &i) in list.iter().enumerate() {
                    position[i].push((kind, list_index, k));
                }
            }
        }
        Neighbours { kinds, position }
    }

    /// Every recurrence of incident `i`: incidents sharing a service and a
    /// category with it, started within `window_days` before or after.
    /// Found along each service's list in start order, so the work grows
    /// with the incidents inside the window, not with the archive.
    pub fn recurrences(
        &self,
        post_mortems: &[&PostMortem],
        i: usize,
        window_days: i64,
    ) -> Vec<Recurrence> {
        let Some(start) = post_mortems[i].front.started else {
            return Vec::new();
        };
        let mut pairs: BTreeSet<(usize, usize)> = BTreeSet::new();
        for &(kind, list_index, k) in &self.position[i] {
            if kind != 0 {
                continue;
            }
            let list = &self.kinds[0][list_index];
            for &j in list[k + 1..].iter().take(RECURRENCES) {
                let later = post_mortems[j]
                    .front
                    .started
                    .expect("bucketed incidents are dated");
                if start.minutes_until(&later) / 1440 > window_days {
                    break;
                }
                pairs.insert((i, j));
            }
            for &j in list[..k].iter().rev().take(RECURRENCES) {
                let earlier = post_mortems[j]
                    .front
                    .started
                    .expect("bucketed incidents are dated");
                if earlier.minutes_until(&start) / 1440 > window_days {
                    break;
                }
                pairs.insert((j, i));
            }
        }
        let mut found: Vec<Recurrence> = pairs
            .into_iter()
            .filter_map(|(earlier_index, later_index)| {
                let (earlier, later) = (post_mortems[earlier_index], post_mortems[later_index]);
                let services = common(&earlier.front.services, &later.front.services);
                let categories = common(
                    &earlier.front.root_cause_categories,
                    &later.front.root_cause_categories,
                );
                if categories.is_empty() {
                    return None;
                }
                let days = earlier
                    .front
                    .started
                    .zip(later.front.started)
                    .map_or(0, |(a, b)| a.minutes_until(&b) / 1440);
                let targets: Vec<&String> =
                    services.iter().chain(categories.iter()).copied().collect();
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
                let other_is_earlier = later_index == i;
                let other = if other_is_earlier { earlier } else { later };
                Some(Recurrence {
                    other: link(other, shared),
                    other_is_earlier,
                    days_apart: days,
                    earlier_actions,
                })
            })
            .collect();
        found.sort_by(|a, b| {
            a.days_apart
                .cmp(&b.days_apart)
                .then(a.other.id.cmp(&b.other.id))
        });
        found.truncate(RECURRENCES);
        found
    }

    /// Up to `limit` incidents most related to incident `i`: sharing
    /// services, categories or debt, most shared first, then nearest in
    /// time. Candidates are the nearest incidents in time on each of its
    /// services, categories and debt items.
    pub fn related(&self, post_mortems: &[&PostMortem], i: usize, limit: usize) -> Vec<Link> {
        let a = post_mortems[i];
        let mut candidates: BTreeSet<usize> = BTreeSet::new();
        for &(kind, list_index, k) in &self.position[i] {
            let list = &self.kinds[kind][list_index];
            let from = k.saturating_sub(NEIGHBOURS);
            let to = (k + NEIGHBOURS + 1).min(list.len());
            candidates.extend(list[from..to].iter().copied().filter(|&j| j != i));
        }
        // Scored first, and links made only for those shown.
        let mut scored: Vec<(usize, i64, &str, usize)> = candidates
            .into_iter()
            .map(|j| {
                let b = post_mortems[j];
                let shared = common(&a.front.services, &b.front.services).len()
                    + common(
                        &a.front.root_cause_categories,
                        &b.front.root_cause_categories,
                    )
                    .len()
                    + common(&a.front.debt, &b.front.debt).len();
                let gap = match (a.front.started, b.front.started) {
                    (Some(x), Some(y)) => x.minutes_until(&y).abs(),
                    _ => i64::MAX,
                };
                (shared, gap, b.id.as_str(), j)
            })
            .collect();
        scored.sort_by(|x, y| y.0.cmp(&x.0).then(x.1.cmp(&y.1)).then(x.2.cmp(y.2)));
        scored
            .into_iter()
            .take(limit)
            .map(|(_, _, _, j)| {
                let b = post_mortems[j];
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
                link(b, shared)
            })
            .collect()
    }
}

/// Every recurrence of every incident, indexed like `post_mortems`.
pub fn recurrences(post_mortems: &[&PostMortem], window_days: i64) -> Vec<Vec<Recurrence>> {
    let neighbours = Neighbours::new(post_mortems);
    (0..post_mortems.len())
        .into_par_iter()
        .map(|i| neighbours.recurrences(post_mortems, i, window_days))
        .collect()
}

/// Up to `limit` related incidents of every incident, indexed like
/// `post_mortems`.
pub fn related(post_mortems: &[&PostMortem], limit: usize) -> Vec<Vec<Link>> {
    let neighbours = Neighbours::new(post_mortems);
    (0..post_mortems.len())
        .into_par_iter()
        .map(|i| neighbours.related(post_mortems, i, limit))
        .collect()
}
