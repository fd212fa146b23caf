//! The site's pages: the cross-incident aggregates computed once per build
//! (`Views`), the list of every output file (`plan`), and the rendering of
//! one output from them (`render`). A full build renders the whole plan in
//! parallel; `serve` renders a page when it is asked for.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

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
use crate::recurrence::{self, Link, Neighbours, Recurrence};
use crate::search;
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
    incidents: &'a [Arc<IncidentSummary>],
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

/// A root-cause category on the causes page: its newest incidents, how
/// many it has, and where the search page lists them all.
#[derive(Serialize)]
struct CauseTrend<'a> {
    id: &'a str,
    name: &'a str,
    description: &'a str,
    declared: bool,
    /// The newest `CAUSE_INCIDENTS_SHOWN` of `total`.
    incidents: &'a [views::CauseEntry],
    total: usize,
    search_url: Option<String>,
    trend: Vec<usize>,
    trend_svg: String,
}

/// A recurring contributing factor with its newest incidents.
#[derive(Serialize)]
struct FactorShown<'a> {
    name: &'a str,
    /// The newest `FACTOR_INCIDENTS_SHOWN` of `total`.
    incidents: &'a [Link],
    total: usize,
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
    factors: Vec<FactorShown<'a>>,
    /// The newest `RECURRENCES_SHOWN` of `recurrences_total`.
    recurrences: Vec<RecurringPair<'a>>,
    recurrences_total: usize,
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
    /// The newest `INCIDENTS_SHOWN` of `incidents_total`.
    by_incident: Vec<ledger::Completion>,
    incidents_total: usize,
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
    incidents: Vec<&'a Arc<IncidentSummary>>,
    /// The first `ACTIONS_SHOWN` of `actions_total`, most overdue first.
    actions: Vec<&'a ActionRow>,
    actions_total: usize,
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
    /// The first `ACTIONS_SHOWN` of `summary_counts.open`.
    actions: &'a [ActionRow],
    summary_counts: ActionCounts,
    by_owner: Vec<OwnerLink<'a>>,
    by_priority: Vec<ledger::PriorityCount>,
    completion: CompletionRates,
    /// The first `ACTIONS_SHOWN` of `unowned_total`.
    unowned: Vec<&'a ActionRow>,
    unowned_total: usize,
}

#[derive(Serialize)]
struct SearchPage<'a> {
    #[serde(flatten)]
    common: Common<'a>,
    facets: Vec<search::Facet>,
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
/// Recurrences on the causes page: the newest ones, as each incident's page
/// lists its own. The whole list grows with the archive (tens of megabytes
/// at 10,000 post-mortems) and is read from the top.
const RECURRENCES_SHOWN: usize = 100;

/// Open action items listed on the actions page and a service's page: the
/// most overdue ones. Lists of every open item grow with the archive (43 MB
/// at 10,000 post-mortems), while each owner's page and `actions.csv` hold
/// them all.
const ACTIONS_SHOWN: usize = 500;
/// Incidents listed under each root-cause category on the causes page,
/// newest first; the search page lists them all, filtered by category.
const CAUSE_INCIDENTS_SHOWN: usize = 50;
/// Incidents listed under each recurring contributing factor.
const FACTOR_INCIDENTS_SHOWN: usize = 20;
/// Incidents in the actions page's completion table, newest first; each
/// incident's page shows its own.
const INCIDENTS_SHOWN: usize = 100;

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

/// The cross-incident views of an archive, shared by every page. The
/// summaries and their order are computed at once; every other aggregate
/// the first time a page needs it, so `serve` pays after an edit only for
/// the pages that are looked at.
pub struct Views {
    today: Date,
    /// Indexed like the archive.
    summaries: Vec<Arc<IncidentSummary>>,
    /// The address of each post-mortem, to reuse summaries of unchanged
    /// (shared) post-mortems in the next version.
    addresses: Vec<usize>,
    /// Archive indexes, newest first.
    newest: Vec<usize>,
    newest_summaries: Vec<Arc<IncidentSummary>>,
    open_actions: OnceLock<Vec<ActionRow>>,
    /// Every action row, newest incident first.
    all_actions: OnceLock<Vec<ActionRow>>,
    counts: OnceLock<Counts>,
    groups: OnceLock<Vec<CauseGroup>>,
    quarters: OnceLock<Vec<String>>,
    factors: OnceLock<Vec<views::RecurringFactor>>,
    neighbours: OnceLock<Neighbours>,
    recurrences: OnceLock<Vec<Vec<Recurrence>>>,
    owners: OnceLock<Vec<ledger::Owner>>,
    services: OnceLock<Vec<services::Service>>,
    debt: OnceLock<Vec<debt::DebtItem>>,
    metrics: OnceLock<metrics::Metrics>,
}

fn address(pm: &PostMortem) -> usize {
    pm as *const PostMortem as usize
}

impl Views {
    /// The views of `post_mortems` (sorted by source path). `previous`
    /// views, made with the same configuration and day, lend the summaries
    /// of post-mortems that did not change.
    pub fn compute(
        post_mortems: &[&PostMortem],
        config: &SiteConfig,
        today: Date,
        previous: Option<&Views>,
    ) -> Views {
        let reusable: HashMap<usize, usize> = previous
            .filter(|p| p.today == today)
            .map(|p| {
                p.addresses
                    .iter()
                    .enumerate()
                    .map(|(i, &a)| (a, i))
                    .collect()
            })
            .unwrap_or_default();
        let summaries: Vec<Arc<IncidentSummary>> = post_mortems
            .par_iter()
            .map(|pm| match (reusable.get(&address(pm)), previous) {
                (Some(&i), Some(p)) => Arc::clone(&p.summaries[i]),
                _ => Arc::new(views::summary(pm, config, today)),
            })
            .collect();
        let mut newest: Vec<usize> = (0..post_mortems.len()).collect();
        newest.sort_by(|&a, &b| views::newest_first(&summaries[a], &summaries[b]));
        let newest_summaries: Vec<Arc<IncidentSummary>> =
            newest.iter().map(|&i| Arc::clone(&summaries[i])).collect();
        Views {
            today,
            addresses: post_mortems.iter().map(|pm| address(pm)).collect(),
            summaries,
            newest,
            newest_summaries,
            open_actions: OnceLock::new(),
            all_actions: OnceLock::new(),
            counts: OnceLock::new(),
            groups: OnceLock::new(),
            quarters: OnceLock::new(),
            factors: OnceLock::new(),
            neighbours: OnceLock::new(),
            recurrences: OnceLock::new(),
            owners: OnceLock::new(),
            services: OnceLock::new(),
            debt: OnceLock::new(),
            metrics: OnceLock::new(),
        }
    }

    /// Each incident's summary, indexed like the archive.
    pub fn summaries(&self) -> &[Arc<IncidentSummary>] {
        &self.summaries
    }

    /// Summaries, newest incident first.
    pub fn newest(&self) -> &[Arc<IncidentSummary>] {
        &self.newest_summaries
    }
}

/// The lazily computed views, each from the sources it was made for.
impl Sources<'_> {
    fn ordered(&self) -> Vec<&PostMortem> {
        self.views
            .newest
            .iter()
            .map(|&i| self.post_mortems[i])
            .collect()
    }

    fn open_actions(&self) -> &[ActionRow] {
        self.views
            .open_actions
            .get_or_init(|| views::open_actions(self.post_mortems, self.views.today))
    }

    fn all_actions(&self) -> &[ActionRow] {
        self.views.all_actions.get_or_init(|| {
            self.ordered()
                .iter()
                .flat_map(|pm| {
                    pm.action_items
                        .iter()
                        .map(|a| views::action_row(pm, a, self.views.today))
                })
                .collect()
        })
    }

    fn counts(&self) -> &Counts {
        self.views.counts.get_or_init(|| {
            let summaries: Vec<&IncidentSummary> =
                self.views.newest_summaries.iter().map(|s| &**s).collect();
            views::counts(&summaries, self.open_actions(), self.config)
        })
    }

    fn groups(&self) -> &[CauseGroup] {
        self.views
            .groups
            .get_or_init(|| views::causes(self.post_mortems, self.config))
    }

    fn quarters(&self) -> &[String] {
        self.views
            .quarters
            .get_or_init(|| views::quarters(self.post_mortems))
    }

    fn factors(&self) -> &[views::RecurringFactor] {
        self.views
            .factors
            .get_or_init(|| views::recurring_factors(&self.ordered()))
    }

    fn neighbours(&self) -> &Neighbours {
        self.views
            .neighbours
            .get_or_init(|| Neighbours::new(self.post_mortems))
    }

    fn recurrences_of(&self, i: usize) -> Vec<Recurrence> {
        match self.views.recurrences.get() {
            Some(all) => all[i].clone(),
            None => self.neighbours().recurrences(
                self.post_mortems,
                i,
                self.config.framework.recurrence_days,
            ),
        }
    }

    fn recurrences(&self) -> &[Vec<Recurrence>] {
        self.views.recurrences.get_or_init(|| {
            let neighbours = self.neighbours();
            (0..self.post_mortems.len())
                .into_par_iter()
                .map(|i| {
                    neighbours.recurrences(
                        self.post_mortems,
                        i,
                        self.config.framework.recurrence_days,
                    )
                })
                .collect()
        })
    }

    fn owners(&self) -> &[ledger::Owner] {
        self.views
            .owners
            .get_or_init(|| ledger::owners(self.all_actions()))
    }

    fn services(&self) -> &[services::Service] {
        self.views.services.get_or_init(|| {
            let pairs: Vec<(&IncidentSummary, &PostMortem)> = self
                .views
                .newest
                .iter()
                .map(|&i| (&*self.views.summaries[i], self.post_mortems[i]))
                .collect();
            services::services(&pairs, self.config)
        })
    }

    fn debt(&self) -> &[debt::DebtItem] {
        self.views
            .debt
            .get_or_init(|| debt::ranked(&self.ordered(), self.config))
    }

    fn metrics(&self) -> &metrics::Metrics {
        self.views
            .metrics
            .get_or_init(|| metrics::compute(self.post_mortems, self.config))
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
        sources
            .owners()
            .iter()
            .enumerate()
            .map(|(i, o)| (o.url.clone(), Page::Owner(i))),
    );
    plan.extend(
        sources
            .services()
            .iter()
            .enumerate()
            .map(|(i, s)| (s.url.clone(), Page::Service(i))),
    );
    // The pages that grow with the archive come first: rendered last, the
    // largest would leave one core working alone at the end of the build.
    for &i in &views.newest {
        let id = &post_mortems[i].id;
        plan.push((format!("incidents/{id}/index.html"), Page::Incident(i)));
        plan.push((format!("incidents/{id}/review/index.html"), Page::Review(i)));
    }
    plan.extend(
        theme
            .static_files
            .iter()
            .enumerate()
            .map(|(i, f)| (f.path.clone(), Page::Static(i))),
    );
    plan
}

/// The page at `path`, found without making the whole plan: `serve` asks
/// this for every request.
pub fn locate(sources: Sources, path: &str) -> Option<Page> {
    let fixed = match path {
        "index.html" => Some(Page::Index),
        "causes/index.html" => Some(Page::Causes),
        "actions/index.html" => Some(Page::Actions),
        "services/index.html" => Some(Page::Services),
        "debt/index.html" => Some(Page::Debt),
        "metrics/index.html" => Some(Page::Metrics),
        "search/index.html" => Some(Page::Search),
        "incidents.json" => Some(Page::IncidentsJson),
        "actions.json" => Some(Page::ActionsJson),
        "actions.csv" => Some(Page::ActionsCsv),
        "atom.xml" => Some(Page::Atom),
        "metrics.json" => Some(Page::MetricsJson),
        NOT_FOUND if sources.theme.has_template(NOT_FOUND) => Some(Page::NotFound),
        _ => None,
    };
    if fixed.is_some() {
        return fixed;
    }
    if let Some(rest) = path.strip_prefix("incidents/") {
        let (id, page): (&str, fn(usize) -> Page) =
            if let Some(id) = rest.strip_suffix("/review/index.html") {
                (id, Page::Review)
            } else if let Some(id) = rest.strip_suffix("/index.html") {
                (id, Page::Incident)
            } else {
                ("", Page::Incident)
            };
        // A scan of the ids costs microseconds; a map would cost every edit.
        if let Some(i) = sources.post_mortems.iter().position(|pm| pm.id == id) {
            return Some(page(i));
        }
    }
    if path.starts_with("actions/") {
        if let Some(i) = sources.owners().iter().position(|o| o.url == path) {
            return Some(Page::Owner(i));
        }
    }
    if path.starts_with("services/") {
        if let Some(i) = sources.services().iter().position(|s| s.url == path) {
            return Some(Page::Service(i));
        }
    }
    sources
        .theme
        .static_files
        .iter()
        .position(|f| f.path == path)
        .map(Page::Static)
}

/// Renders every page in parallel and hands each to `sink` as soon as it is
/// made, so the site is never held in memory whole. Returns the page count.
pub fn render_each<E: From<ThemeError> + Send>(
    sources: Sources,
    sink: impl Fn(OutputFile) -> Result<(), E> + Sync,
) -> Result<usize, E> {
    let plan = plan(sources);
    let count = plan.len();
    plan.into_par_iter().try_for_each(|(path, page)| {
        let bytes = render(sources, page, &path)?;
        sink(OutputFile { path, bytes })
    })?;
    Ok(count)
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
                    related: &sources.neighbours().related(post_mortems, i, RELATED_SHOWN),
                    recurrences: &sources.recurrences_of(i),
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
                counts: sources.counts(),
                severities: &config.severities,
                unreadable,
            },
        ),
        Page::Causes => html(
            "causes.html",
            &CausesPage {
                common: common("causes"),
                groups: sources
                    .groups()
                    .iter()
                    .filter(|g| !g.incidents.is_empty())
                    .map(|group| {
                        let trend = views::trend(group, sources.quarters());
                        let trend_svg =
                            charts::sparkline(&format!("{} per quarter", group.name), &trend);
                        CauseTrend {
                            id: &group.id,
                            name: &group.name,
                            description: &group.description,
                            declared: group.declared,
                            incidents: &group.incidents
                                [..group.incidents.len().min(CAUSE_INCIDENTS_SHOWN)],
                            total: group.incidents.len(),
                            search_url: (group.id != views::UNCATEGORISED)
                                .then(|| search::filter_url("category", &group.name)),
                            trend,
                            trend_svg,
                        }
                    })
                    .collect(),
                quarters: sources.quarters(),
                factors: sources
                    .factors()
                    .iter()
                    .map(|f| FactorShown {
                        name: &f.name,
                        incidents: &f.incidents[..f.incidents.len().min(FACTOR_INCIDENTS_SHOWN)],
                        total: f.incidents.len(),
                    })
                    .collect(),
                recurrences_total: views
                    .newest
                    .iter()
                    .map(|&i| {
                        sources.recurrences()[i]
                            .iter()
                            .filter(|r| r.other_is_earlier)
                            .count()
                    })
                    .sum(),
                recurrences: views
                    .newest
                    .iter()
                    .flat_map(|&i| {
                        let later = recurrence::link(post_mortems[i], Vec::new());
                        sources.recurrences()[i]
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
                    .take(RECURRENCES_SHOWN)
                    .collect(),
                counted: post_mortems
                    .iter()
                    .filter(|pm| !pm.front.root_cause_categories.is_empty())
                    .count(),
            },
        ),
        Page::Actions => {
            let open = sources.open_actions();
            let unowned: Vec<&ActionRow> = open
                .iter()
                .filter(|a| a.owner.trim().is_empty() || a.due.is_none())
                .collect();
            let (by_incident, by_quarter) = ledger::completion_rates(&sources.ordered());
            html(
                "actions.html",
                &ActionsPage {
                    common: common("actions"),
                    actions: &open[..open.len().min(ACTIONS_SHOWN)],
                    summary_counts: ActionCounts {
                        open: open.len(),
                        overdue: open.iter().filter(|a| a.overdue).count(),
                        due_soon: open.iter().filter(|a| a.due_soon).count(),
                        without_owner: open.iter().filter(|a| a.owner.is_empty()).count(),
                        without_due: open.iter().filter(|a| a.due.is_none()).count(),
                    },
                    by_owner: sources
                        .owners()
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
                    completion: CompletionRates {
                        by_quarter,
                        incidents_total: by_incident.len(),
                        by_incident: by_incident.into_iter().take(INCIDENTS_SHOWN).collect(),
                    },
                    unowned_total: unowned.len(),
                    unowned: unowned.into_iter().take(ACTIONS_SHOWN).collect(),
                },
            )
        }
        Page::Owner(i) => html(
            "owner.html",
            &OwnerPage {
                common: common("owner"),
                owner: &sources.owners()[i],
            },
        ),
        Page::Services => html(
            "services.html",
            &ServicesPage {
                common: common("services"),
                services: sources.services(),
            },
        ),
        Page::Service(i) => {
            let service = &sources.services()[i];
            let actions: Vec<&ActionRow> = sources
                .open_actions()
                .iter()
                .filter(|a| service.incident_ids.contains(&a.incident_id))
                .collect();
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
                    actions_total: actions.len(),
                    actions: actions.into_iter().take(ACTIONS_SHOWN).collect(),
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
                debt: sources.debt(),
            },
        ),
        Page::Metrics => html(
            "metrics.html",
            &MetricsPage {
                common: common("metrics"),
                metrics: sources.metrics(),
                charts: metric_charts(sources.metrics()),
            },
        ),
        Page::Search => html(
            "search.html",
            &SearchPage {
                common: common("search"),
                facets: search::facets(&views.summaries),
            },
        ),
        Page::NotFound => html(
            NOT_FOUND,
            &PlainPage {
                common: common("not-found"),
            },
        ),
        Page::IncidentsJson => Ok(export::incidents_json(&sources.ordered(), config)),
        Page::ActionsJson => Ok(export::actions_json(sources.all_actions())),
        Page::ActionsCsv => Ok(feeds::actions_csv(sources.all_actions(), config)),
        // The build's date stands for "updated", so identical input gives an identical feed.
        Page::Atom => Ok(feeds::atom(
            &sources.ordered(),
            config,
            &format!("{today}T00:00:00Z"),
        )),
        Page::MetricsJson => {
            Ok(serde_json::to_vec_pretty(sources.metrics()).expect("plain data serialises"))
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
