//! Technical debt ranked by what it cost: the incidents that cite it and
//! their impact hours (the seed's other context item).

use serde::Serialize;

use crate::config::SiteConfig;
use crate::post_mortem::PostMortem;
use crate::recurrence::{self, Link};

#[derive(Debug, Clone, Serialize)]
pub struct DebtItem {
    pub id: String,
    pub title: String,
    pub description: String,
    pub services: Vec<String>,
    pub incidents: Vec<Link>,
    pub count: usize,
    /// Hours from `started` to `ended`, summed over its incidents.
    pub impact_hours: f64,
}

/// Declared debt items, most incidents first, then most impact hours.
pub fn ranked(newest: &[&PostMortem], config: &SiteConfig) -> Vec<DebtItem> {
    let mut items: Vec<DebtItem> = config
        .debt
        .iter()
        .map(|d| {
            let citing: Vec<&&PostMortem> = newest
                .iter()
                .filter(|pm| pm.front.debt.contains(&d.id))
                .collect();
            DebtItem {
                id: d.id.clone(),
                title: d.title.clone(),
                description: d.description.clone(),
                services: d.services.clone(),
                incidents: citing
                    .iter()
                    .map(|pm| recurrence::link(pm, vec![d.id.clone()]))
                    .collect(),
                count: citing.len(),
                impact_hours: citing
                    .iter()
                    .filter_map(|pm| pm.duration_minutes())
                    .map(|m| m as f64 / 60.0)
                    .sum(),
            }
        })
        .collect();
    items.sort_by(|a, b| {
        b.count
            .cmp(&a.count)
            .then(b.impact_hours.total_cmp(&a.impact_hours))
            .then(a.id.cmp(&b.id))
    });
    items
}
