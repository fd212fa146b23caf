//! The archive's figures: incidents per month by severity, time to detect
//! and to resolve (medians and 90th percentiles, never means, and none for
//! fewer than `MIN_SAMPLE` incidents), how incidents were detected, and the
//! framework score distribution.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::config::SiteConfig;
use crate::post_mortem::PostMortem;

/// Fewer incidents than this give no median or percentile: too few to mean anything.
pub const MIN_SAMPLE: usize = 5;

/// The median and 90th percentile of a set of durations, with its size.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Spread {
    pub n: usize,
    pub median_minutes: Option<f64>,
    pub p90_minutes: Option<f64>,
}

/// The `q` quantile (0..=1) of sorted `values` by linear interpolation
/// between closest ranks (the common "type 7" definition).
pub fn quantile(sorted: &[f64], q: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = q * (sorted.len() - 1) as f64;
    let (lo, hi) = (rank.floor() as usize, rank.ceil() as usize);
    let value = sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo as f64);
    // Minutes to two decimals: more digits would only show float noise.
    Some((value * 100.0).round() / 100.0)
}

impl Spread {
    pub fn of(mut minutes: Vec<f64>) -> Spread {
        minutes.sort_by(f64::total_cmp);
        let enough = minutes.len() >= MIN_SAMPLE;
        Spread {
            n: minutes.len(),
            median_minutes: enough.then(|| quantile(&minutes, 0.5)).flatten(),
            p90_minutes: enough.then(|| quantile(&minutes, 0.9)).flatten(),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct GroupSpread {
    /// A severity id or a year.
    pub key: String,
    pub time_to_detect: Spread,
    pub time_to_resolve: Spread,
}

#[derive(Debug, Clone, Serialize)]
pub struct Month {
    /// `2024-03`.
    pub month: String,
    pub total: usize,
    /// Counts by severity, in site.toml order.
    pub by_severity: Vec<Count>,
}

/// A count under a label: a severity id or a score band.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Count {
    pub key: String,
    pub count: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct Share {
    pub detection: String,
    pub count: usize,
    /// Of the incidents that say how they were detected.
    pub percent: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Metrics {
    pub incidents: usize,
    pub per_month: Vec<Month>,
    pub by_severity: Vec<GroupSpread>,
    pub by_year: Vec<GroupSpread>,
    pub overall: GroupSpread,
    pub detection: Vec<Share>,
    /// Incidents by score band: `90-100`, `70-89`, `50-69`, `0-49`.
    pub scores: Vec<Count>,
    pub min_sample: usize,
}

/// Minutes from `started` to detection.
pub fn time_to_detect(pm: &PostMortem) -> Option<f64> {
    Some(pm.front.started?.minutes_until(&pm.detected()?) as f64).filter(|m| *m >= 0.0)
}

/// Minutes from `started` to `ended`.
pub fn time_to_resolve(pm: &PostMortem) -> Option<f64> {
    pm.duration_minutes()
        .map(|m| m as f64)
        .filter(|m| *m >= 0.0)
}

fn spread_of<'a>(key: String, group: impl Iterator<Item = &'a PostMortem> + Clone) -> GroupSpread {
    GroupSpread {
        key,
        time_to_detect: Spread::of(group.clone().filter_map(time_to_detect).collect()),
        time_to_resolve: Spread::of(group.filter_map(time_to_resolve).collect()),
    }
}

/// Detection as `alert`, `customer-report` or `internal`; other words as written.
fn detection_kind(raw: &str) -> String {
    let lower = raw.trim().to_lowercase();
    if lower.contains("customer") || lower.contains("user report") || lower.contains("support") {
        "customer-report".into()
    } else if lower.contains("alert") || lower.contains("monitor") || lower.contains("page") {
        "alert".into()
    } else if lower.contains("internal") || lower.contains("employee") || lower.contains("engineer")
    {
        "internal".into()
    } else {
        lower
    }
}

pub fn compute(post_mortems: &[&PostMortem], config: &SiteConfig) -> Metrics {
    let dated: Vec<&PostMortem> = post_mortems
        .iter()
        .copied()
        .filter(|pm| pm.front.started.is_some())
        .collect();
    let mut months: BTreeMap<String, Vec<&PostMortem>> = BTreeMap::new();
    for pm in &dated {
        let date = pm.front.started.expect("filtered above").date();
        months
            .entry(format!("{:04}-{:02}", date.year(), date.month()))
            .or_default()
            .push(pm);
    }
    let severity_of = |pm: &PostMortem| {
        let written = pm.front.severity.clone().unwrap_or_default();
        config.severity(&written).map_or(written, |s| s.id.clone())
    };
    let per_month = months
        .into_iter()
        .map(|(month, pms)| Month {
            month,
            total: pms.len(),
            by_severity: config
                .severities
                .iter()
                .map(|s| Count {
                    key: s.id.clone(),
                    count: pms.iter().filter(|pm| severity_of(pm) == s.id).count(),
                })
                .collect(),
        })
        .collect();
    let by_severity = config
        .severities
        .iter()
        .map(|s| {
            spread_of(
                s.id.clone(),
                post_mortems
                    .iter()
                    .copied()
                    .filter(|pm| severity_of(pm) == s.id),
            )
        })
        .collect();
    let mut years: Vec<i16> = dated
        .iter()
        .map(|pm| pm.front.started.expect("dated").date().year())
        .collect();
    years.sort_unstable();
    years.dedup();
    let by_year = years
        .into_iter()
        .map(|y| {
            spread_of(
                y.to_string(),
                post_mortems
                    .iter()
                    .copied()
                    .filter(move |pm| pm.front.started.is_some_and(|s| s.date().year() == y)),
            )
        })
        .collect();
    let mut detection: BTreeMap<String, usize> = BTreeMap::new();
    for pm in post_mortems {
        if let Some(d) = pm
            .front
            .detection
            .as_deref()
            .filter(|d| !d.trim().is_empty())
        {
            *detection.entry(detection_kind(d)).or_default() += 1;
        }
    }
    let said: usize = detection.values().sum();
    let mut detection: Vec<Share> = detection
        .into_iter()
        .map(|(detection, count)| Share {
            detection,
            count,
            percent: 100.0 * count as f64 / said as f64,
        })
        .collect();
    detection.sort_by(|a, b| b.count.cmp(&a.count).then(a.detection.cmp(&b.detection)));
    let band = |lo: u8, hi: u8| Count {
        key: format!("{lo}-{hi}"),
        count: post_mortems
            .iter()
            .filter(|pm| (lo..=hi).contains(&pm.score))
            .count(),
    };
    Metrics {
        incidents: post_mortems.len(),
        per_month,
        by_severity,
        by_year,
        overall: spread_of("all".into(), post_mortems.iter().copied()),
        detection,
        scores: vec![band(90, 100), band(70, 89), band(50, 69), band(0, 49)],
        min_sample: MIN_SAMPLE,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_interpolate_between_ranks() {
        let v = [10.0, 20.0, 30.0, 40.0, 100.0];
        // Median: the middle value. P90: rank 0.9 * 4 = 3.6, so 40 + 0.6 * (100 - 40) = 76.
        assert_eq!(quantile(&v, 0.5), Some(30.0));
        assert_eq!(quantile(&v, 0.9), Some(76.0));
        assert_eq!(quantile(&[], 0.5), None);
    }

    #[test]
    fn too_few_incidents_give_no_figure() {
        let s = Spread::of(vec![5.0, 1.0, 3.0, 2.0]);
        assert_eq!((s.n, s.median_minutes, s.p90_minutes), (4, None, None));
        let s = Spread::of(vec![5.0, 1.0, 3.0, 2.0, 4.0, 100.0]);
        // Sorted 1 2 3 4 5 100: median rank 2.5 -> 3.5; p90 rank 4.5 -> 5 + 0.5 * 95 = 52.5.
        assert_eq!(
            (s.n, s.median_minutes, s.p90_minutes),
            (6, Some(3.5), Some(52.5))
        );
    }

    #[test]
    fn detection_words_are_grouped() {
        assert_eq!(detection_kind("Alert"), "alert");
        assert_eq!(detection_kind("customer report"), "customer-report");
        assert_eq!(detection_kind("internal discovery"), "internal");
        assert_eq!(detection_kind("audit"), "audit");
    }
}
