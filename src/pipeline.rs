//! The build, end to end: load → parse → validate → aggregate → render →
//! write. Each stage is a function of the one before; nothing is global.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use jiff::civil::Date;
use rayon::prelude::*;
use serde::Serialize;
use thiserror::Error;

use crate::charts;
use crate::config::{ConfigError, Described, SiteConfig};
use crate::content::{self, ContentError};
use crate::debt;
use crate::export;
use crate::feeds;
use crate::finding::{Finding, Tally};
use crate::ledger;
use crate::metrics;
use crate::output::{self, OutputError, OutputFile, WriteStats};
use crate::post_mortem::{self, PostMortem};
use crate::recurrence::{self, Link, Recurrence};
use crate::rules;
use crate::search::{self, SearchError};
use crate::services;
use crate::theme::{Theme, ThemeError};
use crate::views::{self, ActionRow, CauseGroup, Counts, IncidentSummary};

#[derive(Debug, Error)]
pub enum BuildError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Content(#[from] ContentError),
    #[error(transparent)]
    Theme(#[from] ThemeError),
    #[error(transparent)]
    Search(#[from] SearchError),
    #[error(transparent)]
    Output(#[from] OutputError),
}

/// What to build from where.
#[derive(Debug, Clone)]
pub struct BuildOptions {
    pub root: PathBuf,
    pub out: PathBuf,
    /// Include post-mortems marked `draft: true`.
    pub drafts: bool,
    /// "Today" for overdue actions (from `SOURCE_DATE_EPOCH` when set).
    pub today: Date,
}

/// Validated post-mortems and the files that could not be read.
pub struct Archive {
    pub config: SiteConfig,
    /// Sorted by source path.
    pub post_mortems: Vec<PostMortem>,
    /// Findings of files that have no page of their own: unreadable ones, and
    /// ones whose address another file already has.
    pub unreadable: Vec<Finding>,
}

impl Archive {
    /// Every finding: unreadable files first, then each post-mortem's in path order.
    pub fn findings(&self) -> impl Iterator<Item = &Finding> {
        self.unreadable
            .iter()
            .chain(self.post_mortems.iter().flat_map(|pm| pm.findings.iter()))
    }
}

/// Reads, parses and validates every post-mortem under `ROOT/content`.
pub fn load(root: &Path, drafts: bool) -> Result<Archive, BuildError> {
    let config = SiteConfig::load(root)?;
    let loaded = content::load(root)?;
    let mut unreadable = Vec::new();
    let mut texts = Vec::with_capacity(loaded.len());
    for file in loaded {
        match file.text {
            Ok(text) => texts.push((file.relative, file.display, text)),
            Err(finding) => unreadable.push(finding),
        }
    }
    let mut post_mortems: Vec<PostMortem> = texts
        .into_par_iter()
        .map(|(relative, display, text)| {
            post_mortem::parse(
                post_mortem::id_for(&relative),
                display,
                &text,
                &config.time_zone,
            )
        })
        .filter(|pm| drafts || !pm.front.draft)
        .collect();
    let people = rules::people(&post_mortems);
    post_mortems
        .par_iter_mut()
        .for_each(|pm| rules::validate(pm, &config, &people));
    // Files that map to a page another file already has: the first (in path
    // order) keeps the page; the others are reported, with all their findings,
    // among the files that could not be built.
    let duplicates = rules::duplicate_ids(&post_mortems);
    let mut seen = std::collections::HashSet::new();
    let mut kept = Vec::with_capacity(post_mortems.len());
    for mut pm in post_mortems {
        let mine: Vec<Finding> = duplicates
            .iter()
            .filter(|f| f.file == Path::new(&pm.source))
            .cloned()
            .collect();
        let first = seen.insert(pm.id.clone());
        pm.findings.splice(0..0, mine);
        if first {
            kept.push(pm);
        } else {
            unreadable.extend(pm.findings);
        }
    }
    let post_mortems = kept;
    Ok(Archive {
        config,
        post_mortems,
        unreadable,
    })
}

/// The outcome of a build that wrote its output.
#[derive(Debug)]
pub struct BuildReport {
    pub findings: Vec<Finding>,
    pub tally: Tally,
    pub post_mortems: usize,
    pub files: usize,
    pub stats: WriteStats,
    pub stages: Vec<(&'static str, Duration)>,
}

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
    factors: Vec<views::RecurringFactor>,
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

/// Renders every page, export and the search index of `archive` into
/// memory. Pagefind indexes on one thread, so it runs beside the page
/// rendering rather than after it.
pub fn render(
    archive: &Archive,
    theme: &Theme,
    today: Date,
) -> Result<Vec<OutputFile>, BuildError> {
    let (pages, index) = rayon::join(
        || render_pages(archive, theme, today),
        || {
            let records = archive
                .post_mortems
                .iter()
                .map(|pm| search::record(pm, &views::summary(pm, &archive.config, today)))
                .collect();
            search::build_index(records)
        },
    );
    let mut files = pages?;
    files.extend(index?);
    Ok(files)
}

fn render_pages(
    archive: &Archive,
    theme: &Theme,
    today: Date,
) -> Result<Vec<OutputFile>, BuildError> {
    let config = &archive.config;
    let common = |path: &str, page: &'static str| Common {
        site: config,
        root: root_prefix(path),
        today: today.to_string(),
        page,
        version: env!("CARGO_PKG_VERSION"),
    };
    let mut newest: Vec<(IncidentSummary, &PostMortem)> = archive
        .post_mortems
        .par_iter()
        .map(|pm| (views::summary(pm, config, today), pm))
        .collect();
    newest.sort_by(|(a, _), (b, _)| views::newest_first(a, b));
    let summaries: Vec<IncidentSummary> = newest.iter().map(|(s, _)| s.clone()).collect();
    let open_actions = views::open_actions(&archive.post_mortems, today);
    let counts = views::counts(&summaries, &open_actions, config);
    let groups = views::causes(&archive.post_mortems, config);
    let quarters = views::quarters(&archive.post_mortems);
    let ordered: Vec<&PostMortem> = newest.iter().map(|(_, pm)| *pm).collect();
    let all_actions: Vec<ActionRow> = ordered
        .iter()
        .flat_map(|pm| {
            pm.action_items
                .iter()
                .map(|a| views::action_row(pm, a, today))
        })
        .collect();
    let index_of: std::collections::HashMap<&str, usize> = archive
        .post_mortems
        .iter()
        .enumerate()
        .map(|(i, pm)| (pm.id.as_str(), i))
        .collect();
    let recurrences =
        recurrence::recurrences(&archive.post_mortems, config.framework.recurrence_days);
    let related = recurrence::related(&archive.post_mortems, RELATED_SHOWN);

    let page = |path: String,
                template: &str,
                context: &dyn erased::Page|
     -> Result<OutputFile, BuildError> {
        let html = context.render(theme, template, &path)?;
        Ok(OutputFile {
            path,
            bytes: html.into_bytes(),
        })
    };

    let incident_page = |(summary, pm): (&IncidentSummary, &PostMortem)| {
        let path = format!("incidents/{}/index.html", pm.id);
        let context = IncidentPage {
            common: common(&path, "incident"),
            pm,
            summary,
            severity: pm
                .front
                .severity
                .as_deref()
                .and_then(|s| config.severity(s)),
            services: named(&pm.front.services, |id| config.service(id)),
            categories: named(&pm.front.root_cause_categories, |id| config.category(id)),
            actions: pm
                .action_items
                .iter()
                .map(|a| views::action_row(pm, a, today))
                .collect(),
            related: &related[index_of[pm.id.as_str()]],
            recurrences: &recurrences[index_of[pm.id.as_str()]],
        };
        page(path, "incident.html", &context)
    };
    let mut files: Vec<OutputFile> = newest
        .par_iter()
        .flat_map(|(summary, pm)| {
            let path = format!("incidents/{}/review/index.html", pm.id);
            let context = ReviewPage {
                common: common(&path, "review"),
                pm,
                summary,
                steps: views::review_steps(pm),
                actions: pm
                    .action_items
                    .iter()
                    .map(|a| views::action_row(pm, a, today))
                    .collect(),
            };
            [
                page(path, "review.html", &context),
                incident_page((summary, pm)),
            ]
        })
        .collect::<Result<_, _>>()?;

    files.push(page(
        "index.html".into(),
        "index.html",
        &IndexPage {
            common: common("index.html", "index"),
            incidents: &summaries,
            counts: &counts,
            severities: &config.severities,
            unreadable: &archive.unreadable,
        },
    )?);
    files.push(page(
        "causes/index.html".into(),
        "causes.html",
        &CausesPage {
            common: common("causes/index.html", "causes"),
            groups: groups
                .iter()
                .filter(|g| !g.incidents.is_empty())
                .map(|group| {
                    let trend = views::trend(group, &quarters);
                    let trend_svg =
                        charts::sparkline(&format!("{} per quarter", group.name), &trend);
                    CauseTrend {
                        group,
                        trend,
                        trend_svg,
                    }
                })
                .collect(),
            quarters: &quarters,
            factors: views::recurring_factors(&ordered),
            recurrences: ordered
                .iter()
                .flat_map(|pm| {
                    let later = recurrence::link(pm, Vec::new());
                    recurrences[index_of[pm.id.as_str()]]
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
            counted: archive
                .post_mortems
                .iter()
                .filter(|pm| !pm.front.root_cause_categories.is_empty())
                .count(),
        },
    )?);
    let owners = ledger::owners(&all_actions);
    files.push(page(
        "actions/index.html".into(),
        "actions.html",
        &ActionsPage {
            common: common("actions/index.html", "actions"),
            actions: &open_actions,
            summary_counts: ActionCounts {
                open: open_actions.len(),
                overdue: open_actions.iter().filter(|a| a.overdue).count(),
                due_soon: open_actions.iter().filter(|a| a.due_soon).count(),
                without_owner: open_actions.iter().filter(|a| a.owner.is_empty()).count(),
                without_due: open_actions.iter().filter(|a| a.due.is_none()).count(),
            },
            by_owner: owners
                .iter()
                .filter(|o| !o.open.is_empty())
                .map(|o| OwnerLink {
                    name: &o.name,
                    url: &o.url,
                    open: o.open.len(),
                    overdue: o.overdue,
                })
                .collect(),
            by_priority: ledger::by_priority(&open_actions),
            completion: {
                let (by_incident, by_quarter) = ledger::completion_rates(&ordered);
                CompletionRates {
                    by_quarter,
                    by_incident,
                }
            },
            unowned: open_actions
                .iter()
                .filter(|a| a.owner.trim().is_empty() || a.due.is_none())
                .collect(),
        },
    )?);
    for owner in &owners {
        let path = owner.url.clone();
        files.push(page(
            path.clone(),
            "owner.html",
            &OwnerPage {
                common: common(&path, "owner"),
                owner,
            },
        )?);
    }
    let services = services::services(&newest, config);
    files.push(page(
        "services/index.html".into(),
        "services.html",
        &ServicesPage {
            common: common("services/index.html", "services"),
            services: &services,
        },
    )?);
    for service in &services {
        let path = service.url.clone();
        let context = ServicePage {
            common: common(&path, "service"),
            service,
            incidents: summaries
                .iter()
                .filter(|s| service.incident_ids.contains(&s.id))
                .collect(),
            actions: open_actions
                .iter()
                .filter(|a| service.incident_ids.contains(&a.incident_id))
                .collect(),
            debt: config
                .debt
                .iter()
                .filter(|d| d.services.contains(&service.id))
                .collect(),
        };
        files.push(page(path, "service.html", &context)?);
    }
    let debt = debt::ranked(&ordered, config);
    files.push(page(
        "debt/index.html".into(),
        "debt.html",
        &DebtPage {
            common: common("debt/index.html", "debt"),
            debt: &debt,
        },
    )?);
    let metrics = metrics::compute(&archive.post_mortems, config);
    files.push(page(
        "metrics/index.html".into(),
        "metrics.html",
        &MetricsPage {
            common: common("metrics/index.html", "metrics"),
            metrics: &metrics,
            charts: metric_charts(&metrics),
        },
    )?);
    files.push(page(
        "search/index.html".into(),
        "search.html",
        &PlainPage {
            common: common("search/index.html", "search"),
        },
    )?);

    files.push(OutputFile {
        path: "incidents.json".into(),
        bytes: export::incidents_json(&ordered, config),
    });

    files.push(OutputFile {
        path: "actions.json".into(),
        bytes: export::actions_json(&all_actions),
    });
    files.push(OutputFile {
        path: "actions.csv".into(),
        bytes: feeds::actions_csv(&all_actions, config),
    });
    // The build's date stands for "updated", so identical input gives an identical feed.
    files.push(OutputFile {
        path: "atom.xml".into(),
        bytes: feeds::atom(&ordered, config, &format!("{today}T00:00:00Z")),
    });
    files.push(OutputFile {
        path: "metrics.json".into(),
        bytes: serde_json::to_vec_pretty(&metrics).expect("plain data serialises"),
    });
    files.extend(theme.static_files.iter().map(|f| OutputFile {
        path: f.path.clone(),
        bytes: f.bytes.clone(),
    }));
    Ok(files)
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

/// Loads, validates, renders and writes the archive. Error-level findings
/// do not stop the build: they are shown on their pages and returned.
pub fn build(options: &BuildOptions) -> Result<BuildReport, BuildError> {
    let mut stages = Vec::new();
    let mut clock = Instant::now();
    let mut lap = |name: &'static str, stages: &mut Vec<(&'static str, Duration)>| {
        stages.push((name, clock.elapsed()));
        clock = Instant::now();
    };
    let archive = load(&options.root, options.drafts)?;
    lap("load, parse, validate", &mut stages);
    let theme = Theme::load(&options.root, &archive.config.theme)?;
    let files = render(&archive, &theme, options.today)?;
    lap("aggregate, render, index", &mut stages);
    let stats = output::write_site(&options.out, &files)?;
    lap("write", &mut stages);
    let findings: Vec<Finding> = archive.findings().cloned().collect();
    Ok(BuildReport {
        tally: Tally::of(&findings),
        findings,
        post_mortems: archive.post_mortems.len(),
        files: files.len(),
        stats,
        stages,
    })
}
