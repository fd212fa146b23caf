//! The site's pages: the cross-incident aggregates computed once per build
//! (`Views`), the list of every output file (`plan`), and the rendering of
//! one output from them (`render`). A full build renders the whole plan in
//! parallel; `serve` renders a page when it is asked for.

use jiff::civil::Date;
use rayon::prelude::*;
use serde::Serialize;

use crate::charts;
use crate::config::{Described, SiteConfig};
use crate::debt;
use crate::export;
use crate::feeds;
use crate::finding::Finding;
use crate::ledger;
use crate::metrics;
use crate::output::OutputFile;
use crate::post_mortem::PostMortem;
use crate::recurrence::{self, Link, Recurrence};
use crate::services;
use crate::theme::{Theme, ThemeError};
use crate::views::{self, ActionRow, CauseGroup, Counts, IncidentSummary};

#[derive(Serialize)]
struct Common<'a> {
    site: &'a SiteConfig,
    root: String,
    today: String,
    page: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct IndexPage<'a> {
    #[serde(flatten)]
    common: Common<'a>,
    incidents: &'a [IncidentSummary],
    counts: &'a Counts,
    severities: &'a [crate::config::Severity],
    unreadable: &'a [Finding],
}

#[derive(Serialize)]
struct Named<'a> {
    id: &'a str,
    name: &'a str,
    description: &'a str,
    declared: bool,
}

#[derive(Serialize)]
struct IncidentPage<'a> {
    #[serde(flatten)]
    common: Common<'a>,
    pm: &'a PostMortem,
    summary: &'a IncidentSummary,
    severity: Option<&'a crate::config::Severity>,
    services: Vec<Named<'a>>,
    categories: Vec<Named<'a>>,
    actions: Vec<ActionRow>,
    related: &'a [Link],
    recurrences: &'a [Recurrence],
}

#[derive(Serialize)]
struct ReviewPage<'a> {
    #[serde(flatten)]
    common: Common<'a>,
    pm: &'a PostMortem,
    summary: &'a IncidentSummary,
    steps: Vec<views::ReviewStep>,
    actions: Vec<ActionRow>,
}

#[derive(Serialize)]
struct CauseTrend<'a> {
    #[serde(flatten)]
    group: &'a CauseGroup,
    trend: Vec<usize>,
    trend_svg: String,
}

/// A recurring pair, for the causes page.
#[derive(Serialize)]
struct RecurringPair<'a> {
    earlier: &'a Link,
    later: Link,
    days_apart: i64,
    shared: &'a [String],
    earlier_actions: &'a [crate::recurrence::EarlierAction],
}

#[derive(Serialize)]
struct CausesPage<'a> {
    #[serde(flatten)]
    common: Common<'a>,
    groups: Vec<CauseTrend<'a>>,
    counted: usize,
    quarters: &'a [String],
    factors: &'a [views::RecurringFactor],
    recurrences: Vec<RecurringPair<'a>>,
}

#[derive(Serialize)]
struct OwnerLink<'a> {
    name: &'a str,
    url: &'a str,
    open: usize,
    overdue: usize,
}

#[derive(Serialize)]
struct CompletionRates {
    by_quarter: Vec<ledger::Completion>,
    by_incident: Vec<ledger::Completion>,
}

#[derive(Serialize)]
struct OwnerPage<'a> {
    #[serde(flatten)]
    common: Common<'a>,
    owner: &'a ledger::Owner,
}

#[derive(Serialize)]
struct ServicesPage<'a> {
    #[serde(flatten)]
    common: Common<'a>,
    services: &'a [services::Service],
}

#[derive(Serialize)]
struct ServicePage<'a> {
    #[serde(flatten)]
    common: Common<'a>,
    service: &'a services::Service,
    incidents: Vec<&'a IncidentSummary>,
    actions: Vec<&'a ActionRow>,
    debt: Vec<&'a crate::config::Debt>,
}

#[derive(Serialize)]
struct DebtPage<'a> {
    #[serde(flatten)]
    common: Common<'a>,
    debt: &'a [debt::DebtItem],
}

#[derive(Serialize)]
struct Charts {
    per_month: String,
    time_to_detect: String,
    time_to_resolve: String,
    detection: String,
    scores: String,
}

#[derive(Serialize)]
struct MetricsPage<'a> {
    #[serde(flatten)]
    common: Common<'a>,
    metrics: &'a metrics::Metrics,
    charts: Charts,
}

#[derive(Serialize)]
struct ActionCounts {
    open: usize,
    overdue: usize,
    due_soon: usize,
    without_owner: usize,
    without_due: usize,
}

#[derive(Serialize)]
struct ActionsPage<'a> {
    #[serde(flatten)]
    common: Common<'a>,
    actions: &'a [ActionRow],
    summary_counts: ActionCounts,
    by_owner: Vec<OwnerLink<'a>>,
    by_priority: Vec<ledger::PriorityCount>,
    completion: CompletionRates,
    unowned: Vec<&'a ActionRow>,
}

#[derive(Serialize)]
struct PlainPage<'a> {
    #[serde(flatten)]
    common: Common<'a>,
}

/// Ids with their names from site.toml; undeclared ids name themselves.
fn named<'a>(ids: &'a [String], lookup: impl Fn(&str) -> Option<&'a Described>) -> Vec<Named<'a>> {
    ids.iter()
        .map(|id| match lookup(id) {
            Some(d) => Named {
                id,
                name: &d.name,
                description: &d.description,
                declared: true,
            },
            None => Named {
                id,
                name: id,
                description: "",
                declared: false,
            },
        })
        .collect()
}

/// How many related incidents an incident page lists.
const RELATED_SHOWN: usize = 5;

/// The charts of the metrics page.
fn metric_charts(m: &metrics::Metrics) -> Charts {
    let months: Vec<String> = m.per_month.iter().map(|p| p.month.clone()).collect();
    let severities: Vec<String> = m
        .per_month
        .first()
        .map(|p| p.by_severity.iter().map(|c| c.key.clone()).collect())
        .unwrap_or_default();
    let per_month = severities
        .iter()
        .enumerate()
        .map(|(i, sev)| {
            (
                sev.clone(),
                m.per_month
                    .iter()
                    .map(|p| p.by_severity[i].count as f64)
                    .collect(),
            )
        })
        .collect::<Vec<_>>();
    let keys: Vec<String> = m.by_severity.iter().map(|g| g.key.clone()).collect();
    let spread = |pick: fn(&metrics::GroupSpread) -> &metrics::Spread| {
        vec![
            (
                "median".to_string(),
                m.by_severity
                    .iter()
                    .map(|g| pick(g).median_minutes.unwrap_or(0.0))
                    .collect(),
            ),
            (
                "90th percentile".to_string(),
                m.by_severity
                    .iter()
                    .map(|g| pick(g).p90_minutes.unwrap_or(0.0))
                    .collect(),
            ),
        ]
    };
    Charts {
        per_month: charts::bars(
            "Incidents per month by severity",
            &months,
            &per_month,
            charts::Layout::Stacked,
        ),
        time_to_detect: charts::bars(
            "Time to detect (minutes) by severity",
            &keys,
            &spread(|g| &g.time_to_detect),
            charts::Layout::Grouped,
        ),
        time_to_resolve: charts::bars(
            "Time to resolve (minutes) by severity",
            &keys,
            &spread(|g| &g.time_to_resolve),
            charts::Layout::Grouped,
        ),
        detection: charts::bars(
            "How incidents were detected",
            &m.detection
                .iter()
                .map(|d| d.detection.clone())
                .collect::<Vec<_>>(),
            &[(
                "incidents".to_string(),
                m.detection.iter().map(|d| d.count as f64).collect(),
            )],
            charts::Layout::Stacked,
        ),
        scores: charts::bars(
            "Framework scores",
            &m.scores.iter().map(|c| c.key.clone()).collect::<Vec<_>>(),
            &[(
                "post-mortems".to_string(),
                m.scores.iter().map(|c| c.count as f64).collect(),
            )],
            charts::Layout::Stacked,
        ),
    }
}

/// `../` once per folder level of `path`, so links work from any base path
/// and from `file://`.
fn root_prefix(path: &str) -> String {
    "../".repeat(path.matches('/').count())
}

/// The cross-incident views of an archive, computed once and shared by
/// every page. Incidents are referred to by their index in the archive.
pub struct Views {
    today: Date,
    /// Indexed like the archive.
    summaries: Vec<IncidentSummary>,
    /// Archive indexes, newest first.
    newest: Vec<usize>,
    newest_summaries: Vec<IncidentSummary>,
    open_actions: Vec<ActionRow>,
    /// Every action row, newest incident first.
    all_actions: Vec<ActionRow>,
    counts: Counts,
    groups: Vec<CauseGroup>,
    quarters: Vec<String>,
    factors: Vec<views::RecurringFactor>,
    recurrences: Vec<Vec<Recurrence>>,
    related: Vec<Vec<Link>>,
    owners: Vec<ledger::Owner>,
    services: Vec<services::Service>,
    debt: Vec<debt::DebtItem>,
    metrics: metrics::Metrics,
}

impl Views {
    /// Computes every aggregate of `post_mortems` (sorted by source path).
    pub fn compute(post_mortems: &[&PostMortem], config: &SiteConfig, today: Date) -> Views {
        let summaries: Vec<IncidentSummary> = post_mortems
            .par_iter()
            .map(|pm| views::summary(pm, config, today))
            .collect();
        let mut newest: Vec<usize> = (0..post_mortems.len()).collect();
        newest.sort_by(|&a, &b| views::newest_first(&summaries[a], &summaries[b]));
        let newest_summaries: Vec<IncidentSummary> =
            newest.iter().map(|&i| summaries[i].clone()).collect();
        let ordered: Vec<&PostMortem> = newest.iter().map(|&i| post_mortems[i]).collect();
        let open_actions = views::open_actions(post_mortems, today);
        let all_actions: Vec<ActionRow> = ordered
            .iter()
            .flat_map(|pm| {
                pm.action_items
                    .iter()
                    .map(|a| views::action_row(pm, a, today))
            })
            .collect();
        let counts = views::counts(&newest_summaries, &open_actions, config);
        let pairs: Vec<(IncidentSummary, &PostMortem)> = newest
            .iter()
            .map(|&i| (summaries[i].clone(), post_mortems[i]))
            .collect();
        let services = services::services(&pairs, config);
        Views {
            today,
            groups: views::causes(post_mortems, config),
            quarters: views::quarters(post_mortems),
            factors: views::recurring_factors(&ordered),
            recurrences: recurrence::recurrences(post_mortems, config.framework.recurrence_days),
            related: recurrence::related(post_mortems, RELATED_SHOWN),
            owners: ledger::owners(&all_actions),
            debt: debt::ranked(&ordered, config),
            metrics: metrics::compute(post_mortems, config),
            services,
            counts,
            open_actions,
            all_actions,
            summaries,
            newest,
            newest_summaries,
        }
    }

    /// Each incident's summary, indexed like the archive.
    pub fn summaries(&self) -> &[IncidentSummary] {
        &self.summaries
    }
}

/// The not-found page, optional in a theme; static hosts serve it for
/// missing paths, and so does `serve`.
pub const NOT_FOUND: &str = "404.html";

/// One output file of the site, by what it shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Page {
    Index,
    /// Archive index of the incident.
    Incident(usize),
    Review(usize),
    Causes,
    Actions,
    /// Index into the owners.
    Owner(usize),
    Services,
    Service(usize),
    Debt,
    Metrics,
    Search,
    NotFound,
    IncidentsJson,
    ActionsJson,
    ActionsCsv,
    Atom,
    MetricsJson,
    /// Index into the theme's static files.
    Static(usize),
}

/// What the pages are rendered from.
#[derive(Clone, Copy)]
pub struct Sources<'a> {
    pub config: &'a SiteConfig,
    /// Sorted by source path, as `Views` indexes them.
    pub post_mortems: &'a [&'a PostMortem],
    /// Findings of files without a page of their own.
    pub unreadable: &'a [Finding],
    pub theme: &'a Theme,
    pub views: &'a Views,
}

/// Every output path of the site with the page it holds, in a stable order.
pub fn plan(sources: Sources) -> Vec<(String, Page)> {
    let Sources {
        post_mortems,
        theme,
        views,
        ..
    } = sources;
    let mut plan = Vec::with_capacity(post_mortems.len() * 2 + 32);
    for &i in &views.newest {
        let id = &post_mortems[i].id;
        plan.push((format!("incidents/{id}/index.html"), Page::Incident(i)));
        plan.push((format!("incidents/{id}/review/index.html"), Page::Review(i)));
    }
    let fixed = [
        ("index.html", Page::Index),
        ("causes/index.html", Page::Causes),
        ("actions/index.html", Page::Actions),
        ("services/index.html", Page::Services),
        ("debt/index.html", Page::Debt),
        ("metrics/index.html", Page::Metrics),
        ("search/index.html", Page::Search),
        ("incidents.json", Page::IncidentsJson),
        ("actions.json", Page::ActionsJson),
        ("actions.csv", Page::ActionsCsv),
        ("atom.xml", Page::Atom),
        ("metrics.json", Page::MetricsJson),
    ];
    plan.extend(fixed.into_iter().map(|(p, page)| (p.to_string(), page)));
    if theme.has_template(NOT_FOUND) {
        plan.push((NOT_FOUND.to_string(), Page::NotFound));
    }
    plan.extend(
        views
            .owners
            .iter()
            .enumerate()
            .map(|(i, o)| (o.url.clone(), Page::Owner(i))),
    );
    plan.extend(
        views
            .services
            .iter()
            .enumerate()
            .map(|(i, s)| (s.url.clone(), Page::Service(i))),
    );
    plan.extend(
        theme
            .static_files
            .iter()
            .enumerate()
            .map(|(i, f)| (f.path.clone(), Page::Static(i))),
    );
    plan
}

/// Renders every page of the plan, in parallel.
pub fn render_all(sources: Sources) -> Result<Vec<OutputFile>, ThemeError> {
    plan(sources)
        .into_par_iter()
        .map(|(path, page)| {
            let bytes = render(sources, page, &path)?;
            Ok(OutputFile { path, bytes })
        })
        .collect()
}

/// Renders one output file; `path` is where it goes (for relative links).
pub fn render(sources: Sources, page: Page, path: &str) -> Result<Vec<u8>, ThemeError> {
    let Sources {
        config,
        post_mortems,
        unreadable,
        theme,
        views,
    } = sources;
    let today = views.today;
    let common = |name: &'static str| Common {
        site: config,
        root: root_prefix(path),
        today: today.to_string(),
        page: name,
        version: env!("CARGO_PKG_VERSION"),
    };
    let html = |template: &str, context: &dyn erased::Page| -> Result<Vec<u8>, ThemeError> {
        context
            .render(theme, template, path)
            .map(String::into_bytes)
    };
    let ordered =
        || -> Vec<&PostMortem> { views.newest.iter().map(|&i| post_mortems[i]).collect() };
    let rows = |pm: &PostMortem| -> Vec<ActionRow> {
        pm.action_items
            .iter()
            .map(|a| views::action_row(pm, a, today))
            .collect()
    };
    match page {
        Page::Incident(i) => {
            let pm = post_mortems[i];
            html(
                "incident.html",
                &IncidentPage {
                    common: common("incident"),
                    pm,
                    summary: &views.summaries[i],
                    severity: pm
                        .front
                        .severity
                        .as_deref()
                        .and_then(|s| config.severity(s)),
                    services: named(&pm.front.services, |id| config.service(id)),
                    categories: named(&pm.front.root_cause_categories, |id| config.category(id)),
                    actions: rows(pm),
                    related: &views.related[i],
                    recurrences: &views.recurrences[i],
                },
            )
        }
        Page::Review(i) => {
            let pm = post_mortems[i];
            html(
                "review.html",
                &ReviewPage {
                    common: common("review"),
                    pm,
                    summary: &views.summaries[i],
                    steps: views::review_steps(pm),
                    actions: rows(pm),
                },
            )
        }
        Page::Index => html(
            "index.html",
            &IndexPage {
                common: common("index"),
                incidents: &views.newest_summaries,
                counts: &views.counts,
                severities: &config.severities,
                unreadable,
            },
        ),
        Page::Causes => html(
            "causes.html",
            &CausesPage {
                common: common("causes"),
                groups: views
                    .groups
                    .iter()
                    .filter(|g| !g.incidents.is_empty())
                    .map(|group| {
                        let trend = views::trend(group, &views.quarters);
                        let trend_svg =
                            charts::sparkline(&format!("{} per quarter", group.name), &trend);
                        CauseTrend {
                            group,
                            trend,
                            trend_svg,
                        }
                    })
                    .collect(),
                quarters: &views.quarters,
                factors: &views.factors,
                recurrences: views
                    .newest
                    .iter()
                    .flat_map(|&i| {
                        let later = recurrence::link(post_mortems[i], Vec::new());
                        views.recurrences[i]
                            .iter()
                            .filter(|r| r.other_is_earlier)
                            .map(move |r| RecurringPair {
                                earlier: &r.other,
                                later: later.clone(),
                                days_apart: r.days_apart,
                                shared: &r.other.shared,
                                earlier_actions: &r.earlier_actions,
                            })
                    })
                    .collect(),
                counted: post_mortems
                    .iter()
                    .filter(|pm| !pm.front.root_cause_categories.is_empty())
                    .count(),
            },
        ),
        Page::Actions => {
            let open = &views.open_actions;
            html(
                "actions.html",
                &ActionsPage {
                    common: common("actions"),
                    actions: open,
                    summary_counts: ActionCounts {
                        open: open.len(),
                        overdue: open.iter().filter(|a| a.overdue).count(),
                        due_soon: open.iter().filter(|a| a.due_soon).count(),
                        without_owner: open.iter().filter(|a| a.owner.is_empty()).count(),
                        without_due: open.iter().filter(|a| a.due.is_none()).count(),
                    },
                    by_owner: views
                        .owners
                        .iter()
                        .filter(|o| !o.open.is_empty())
                        .map(|o| OwnerLink {
                            name: &o.name,
                            url: &o.url,
                            open: o.open.len(),
                            overdue: o.overdue,
                        })
                        .collect(),
                    by_priority: ledger::by_priority(open),
                    completion: {
                        let (by_incident, by_quarter) = ledger::completion_rates(&ordered());
                        CompletionRates {
                            by_quarter,
                            by_incident,
                        }
                    },
                    unowned: open
                        .iter()
                        .filter(|a| a.owner.trim().is_empty() || a.due.is_none())
                        .collect(),
                },
            )
        }
        Page::Owner(i) => html(
            "owner.html",
            &OwnerPage {
                common: common("owner"),
                owner: &views.owners[i],
            },
        ),
        Page::Services => html(
            "services.html",
            &ServicesPage {
                common: common("services"),
                services: &views.services,
            },
        ),
        Page::Service(i) => {
            let service = &views.services[i];
            html(
                "service.html",
                &ServicePage {
                    common: common("service"),
                    service,
                    incidents: views
                        .newest_summaries
                        .iter()
                        .filter(|s| service.incident_ids.contains(&s.id))
                        .collect(),
                    actions: views
                        .open_actions
                        .iter()
                        .filter(|a| service.incident_ids.contains(&a.incident_id))
                        .collect(),
                    debt: config
                        .debt
                        .iter()
                        .filter(|d| d.services.contains(&service.id))
                        .collect(),
                },
            )
        }
        Page::Debt => html(
            "debt.html",
            &DebtPage {
                common: common("debt"),
                debt: &views.debt,
            },
        ),
        Page::Metrics => html(
            "metrics.html",
            &MetricsPage {
                common: common("metrics"),
                metrics: &views.metrics,
                charts: metric_charts(&views.metrics),
            },
        ),
        Page::Search => html(
            "search.html",
            &PlainPage {
                common: common("search"),
            },
        ),
        Page::NotFound => html(
            NOT_FOUND,
            &PlainPage {
                common: common("not-found"),
            },
        ),
        Page::IncidentsJson => Ok(export::incidents_json(&ordered(), config)),
        Page::ActionsJson => Ok(export::actions_json(&views.all_actions)),
        Page::ActionsCsv => Ok(feeds::actions_csv(&views.all_actions, config)),
        // The build's date stands for "updated", so identical input gives an identical feed.
        Page::Atom => Ok(feeds::atom(
            &ordered(),
            config,
            &format!("{today}T00:00:00Z"),
        )),
        Page::MetricsJson => {
            Ok(serde_json::to_vec_pretty(&views.metrics).expect("plain data serialises"))
        }
        Page::Static(i) => Ok(theme.static_files[i].bytes.clone()),
    }
}

/// Template contexts of different types behind one interface, so pages can
/// be rendered by one closure.
mod erased {
    use super::*;

    pub trait Page: Sync {
        fn render(&self, theme: &Theme, template: &str, path: &str) -> Result<String, ThemeError>;
    }

    impl<T: Serialize + Sync> Page for T {
        fn render(&self, theme: &Theme, template: &str, path: &str) -> Result<String, ThemeError> {
            theme.render(template, self, path)
        }
    }
}
