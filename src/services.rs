//! Per-service views: each service's incidents, time to detect and to
//! resolve, open actions and root-cause categories.

use std::collections::HashSet;

use serde::Serialize;

use crate::config::SiteConfig;
use crate::metrics::Spread;
use crate::post_mortem::PostMortem;
use crate::views::IncidentSummary;

#[derive(Debug, Clone, Serialize)]
pub struct CategoryCount {
    pub key: String,
    pub count: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct Service {
    pub id: String,
    pub name: String,
    pub description: String,
    pub declared: bool,
    pub url: String,
    pub count: usize,
    pub open_actions: usize,
    pub overdue_actions: usize,
    pub time_to_detect: Spread,
    pub time_to_resolve: Spread,
    /// Root-cause categories by name, most frequent first.
    pub categories: Vec<CategoryCount>,
    pub last_date: String,
    /// The ids of its incidents: its page filters the archive's lists by
    /// them, so a lookup must not cost a scan.
    #[serde(skip)]
    pub incident_ids: HashSet<String>,
}

pub fn service_url(id: &str) -> String {
    format!("services/{}/index.html", crate::markdown::slug(id))
}

/// Every service declared in site.toml (even without incidents) and every
/// undeclared id used in content, most incidents first. `newest` pairs each
/// post-mortem with its summary, newest first.
pub fn services(newest: &[(&IncidentSummary, &PostMortem)], config: &SiteConfig) -> Vec<Service> {
    let mut ids: Vec<String> = config.services.iter().map(|s| s.id.clone()).collect();
    for (_, pm) in newest {
        for id in &pm.front.services {
            if !ids.contains(id) {
                ids.push(id.clone());
            }
        }
    }
    let mut services: Vec<Service> = ids
        .into_iter()
        .map(|id| {
            let declared = config.service(&id);
            let mine: Vec<&(&IncidentSummary, &PostMortem)> = newest
                .iter()
                .filter(|(_, pm)| pm.front.services.contains(&id))
                .collect();
            let mut categories: Vec<CategoryCount> = Vec::new();
            for (summary, _) in &mine {
                for name in &summary.category_names {
                    match categories.iter_mut().find(|c| &c.key == name) {
                        Some(c) => c.count += 1,
                        None => categories.push(CategoryCount {
                            key: name.clone(),
                            count: 1,
                        }),
                    }
                }
            }
            categories.sort_by(|a, b| b.count.cmp(&a.count).then(a.key.cmp(&b.key)));
            Service {
                name: declared.map_or_else(|| id.clone(), |s| s.name.clone()),
                description: declared.map(|s| s.description.clone()).unwrap_or_default(),
                declared: declared.is_some(),
                url: service_url(&id),
                count: mine.len(),
                open_actions: mine.iter().map(|(s, _)| s.open_actions).sum(),
                overdue_actions: mine.iter().map(|(s, _)| s.overdue_actions).sum(),
                time_to_detect: Spread::of(
                    mine.iter()
                        .filter_map(|(_, pm)| crate::metrics::time_to_detect(pm))
                        .collect(),
                ),
                time_to_resolve: Spread::of(
                    mine.iter()
                        .filter_map(|(_, pm)| crate::metrics::time_to_resolve(pm))
                        .collect(),
                ),
                categories,
                last_date: mine
                    .first()
                    .map(|(s, _)| s.date.clone())
                    .unwrap_or_default(),
                incident_ids: mine.iter().map(|(s, _)| s.id.clone()).collect(),
                id,
            }
        })
        .collect();
    services.sort_by(|a, b| b.count.cmp(&a.count).then(a.name.cmp(&b.name)));
    services
}
