//! The build, end to end: load → parse → validate → aggregate → render →
//! write. Each stage is a function of the one before; nothing is global.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use jiff::civil::Date;
use rayon::prelude::*;
use thiserror::Error;

use crate::config::{ConfigError, SiteConfig};
use crate::content::{self, ContentError};
use crate::finding::{Finding, Tally};
use crate::output::{self, OutputError, OutputFile, Staging, WriteStats};
use crate::pages::{self, Sources, Views};
use crate::post_mortem::{self, PostMortem};
use crate::rules;
use crate::search;
use crate::search_index;
use crate::theme::{Theme, ThemeError};
use crate::views;

#[derive(Debug, Error)]
pub enum BuildError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Content(#[from] ContentError),
    #[error(transparent)]
    Theme(#[from] ThemeError),
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
    /// Sorted by source path. Shared, so `serve` can keep serving one
    /// version of the archive while it builds the next.
    pub post_mortems: Vec<Arc<PostMortem>>,
    /// Findings of files that have no page of their own: unreadable ones, and
    /// ones whose address another file already has.
    pub unreadable: Vec<Finding>,
}

impl Archive {
    /// The post-mortems as plain references, sorted by source path.
    pub fn all(&self) -> Vec<&PostMortem> {
        self.post_mortems.iter().map(|pm| &**pm).collect()
    }

    /// The search records of the post-mortems, in path order.
    pub fn records(&self, today: Date) -> Vec<search::Record> {
        records_of(
            self.post_mortems.iter().map(|pm| &**pm),
            &self.config,
            today,
        )
    }

    /// Every finding: unreadable files first, then each post-mortem's in path order.
    pub fn findings(&self) -> impl Iterator<Item = &Finding> {
        self.unreadable
            .iter()
            .chain(self.post_mortems.iter().flat_map(|pm| pm.findings.iter()))
    }
}

/// Reads, parses and validates every post-mortem under `ROOT/content`.
pub fn load(root: &Path, drafts: bool) -> Result<Archive, BuildError> {
    Ok(parse(root, drafts)?.validate())
}

/// Post-mortems read and parsed, not yet validated: validation needs the
/// whole archive (`named-person` looks for every action-item owner).
pub struct Parsed {
    pub config: SiteConfig,
    /// Sorted by source path.
    post_mortems: Vec<PostMortem>,
    unreadable: Vec<Finding>,
}

/// Reads and parses every post-mortem under `ROOT/content`.
pub fn parse(root: &Path, drafts: bool) -> Result<Parsed, BuildError> {
    let config = SiteConfig::load(root)?;
    let (paths, failed) = content::list(root)?;
    let mut unreadable: Vec<Finding> = failed.into_iter().filter_map(|f| f.text.err()).collect();
    // Each file is read and parsed in one step, so its text is freed as soon
    // as it is parsed rather than all texts being held at once.
    let parsed: Vec<Result<PostMortem, Finding>> = paths
        .into_par_iter()
        .map(|relative| {
            let file = content::read(root, relative);
            let text = file.text?;
            Ok(post_mortem::parse_with(
                post_mortem::id_for(&file.relative),
                file.display,
                &text,
                &config.time_zone,
                config.markdown.raw_html,
            ))
        })
        .collect();
    let mut post_mortems = Vec::with_capacity(parsed.len());
    for result in parsed {
        match result {
            Ok(pm) if drafts || !pm.front.draft => post_mortems.push(pm),
            Ok(_) => {}
            Err(finding) => unreadable.push(finding),
        }
    }
    Ok(Parsed {
        config,
        post_mortems,
        unreadable,
    })
}

impl Parsed {
    /// The search records of the post-mortems that will have pages. A
    /// record holds only what parsing decides (text, title, date, severity,
    /// status, services, categories), so the index can be built while the
    /// archive is validated.
    pub fn records(&self, today: Date) -> Vec<search::Record> {
        let ids: Vec<&str> = self.post_mortems.iter().map(|pm| pm.id.as_str()).collect();
        let mut has_pages = vec![false; ids.len()];
        for (i, got) in page_claims(&ids) {
            has_pages[i] = got;
        }
        let with_pages = self
            .post_mortems
            .iter()
            .zip(has_pages)
            .filter_map(|(pm, has_pages)| has_pages.then_some(pm));
        records_of(with_pages, &self.config, today)
    }

    /// Validates every post-mortem against the framework and the archive.
    pub fn validate(self) -> Archive {
        let Parsed {
            config,
            mut post_mortems,
            mut unreadable,
        } = self;
        let people = rules::people(&post_mortems.iter().collect::<Vec<_>>());
        // The prose lines are only for the rules; pages never show them.
        post_mortems.par_iter_mut().for_each(|pm| {
            rules::validate(pm, &config, &people);
            pm.prose = Vec::new();
        });
        let post_mortems = keep_first_of_each_id(
            post_mortems.into_iter().map(Arc::new).collect(),
            &mut unreadable,
        );
        Archive {
            config,
            post_mortems,
            unreadable,
        }
    }
}

fn records_of<'a>(
    post_mortems: impl Iterator<Item = &'a PostMortem>,
    config: &SiteConfig,
    today: Date,
) -> Vec<search::Record> {
    let post_mortems: Vec<&PostMortem> = post_mortems.collect();
    post_mortems
        .par_iter()
        .map(|pm| search::record(pm, &views::summary(pm, config, today)))
        .collect()
}

/// The order in which post-mortems (by id, in path order) claim their pages,
/// each with whether it got them: the first of each id does, and an
/// incident's review sheet keeps its address against a file that would take
/// it (`x/review.md` beside `x.md`), wherever that file sorts.
fn page_claims(ids: &[&str]) -> Vec<(usize, bool)> {
    let all: std::collections::HashSet<&str> = ids.iter().copied().collect();
    let takes_a_review = |id: &str| {
        id.strip_suffix("/review")
            .is_some_and(|parent| all.contains(parent))
    };
    let mut order: Vec<usize> = (0..ids.len()).collect();
    order.sort_by_key(|&i| (takes_a_review(ids[i]), i));
    let mut taken = std::collections::HashSet::new();
    order
        .into_iter()
        .map(|i| {
            let pages = rules::pages_of(ids[i]);
            let free = pages.iter().all(|page| !taken.contains(page));
            if free {
                taken.extend(pages);
            }
            (i, free)
        })
        .collect()
}

/// Files that map to a page another file already has: the first (in path
/// order) keeps the page; the others are reported, with all their findings,
/// among the files that could not be built.
pub fn keep_first_of_each_id(
    post_mortems: Vec<Arc<PostMortem>>,
    unreadable: &mut Vec<Finding>,
) -> Vec<Arc<PostMortem>> {
    let ids: Vec<&str> = post_mortems.iter().map(|pm| pm.id.as_str()).collect();
    let claims = page_claims(&ids);
    if claims.iter().all(|&(_, got)| got) {
        return post_mortems;
    }
    let duplicates = rules::duplicate_ids(&post_mortems.iter().map(|pm| &**pm).collect::<Vec<_>>());
    let mut slots: Vec<Option<Arc<PostMortem>>> = post_mortems.into_iter().map(Some).collect();
    let mut kept = Vec::with_capacity(slots.len());
    for (index, got) in claims {
        let mut pm = slots[index].take().expect("each post-mortem claims once");
        let mine: Vec<Finding> = duplicates
            .iter()
            .filter(|f| f.file == Path::new(&pm.source))
            .cloned()
            .collect();
        if !mine.is_empty() {
            Arc::make_mut(&mut pm).findings.splice(0..0, mine);
        }
        if got {
            kept.push((index, pm));
        } else {
            unreadable.extend(pm.findings.iter().cloned());
        }
    }
    kept.sort_by_key(|(index, _)| *index);
    kept.into_iter().map(|(_, pm)| pm).collect()
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

/// Renders every page, export and the search index of `archive` into
/// memory, sorted by path.
pub fn render(
    archive: &Archive,
    theme: &Theme,
    today: Date,
) -> Result<Vec<OutputFile>, BuildError> {
    let files = std::sync::Mutex::new(Vec::new());
    render_into(archive, theme, today, &|file| {
        files.lock().unwrap_or_else(|e| e.into_inner()).push(file);
        Ok(())
    })?;
    let mut files = files.into_inner().unwrap_or_else(|e| e.into_inner());
    files.sort_unstable_by(|a, b| a.path.cmp(&b.path));
    Ok(files)
}

/// Renders every page, export and the search index of `archive`, handing
/// each file to `sink` as soon as it is made.
/// Returns the number of files.
pub fn render_into(
    archive: &Archive,
    theme: &Theme,
    today: Date,
    sink: &(dyn Fn(OutputFile) -> Result<(), BuildError> + Sync),
) -> Result<usize, BuildError> {
    let (pages, index) = rayon::join(
        || render_pages(archive, theme, today, sink),
        || search_index::write(archive.records(today), sink),
    );
    Ok(pages? + index?)
}

/// Every page and export of `archive` (all but the search index) to `sink`.
fn render_pages(
    archive: &Archive,
    theme: &Theme,
    today: Date,
    sink: &(dyn Fn(OutputFile) -> Result<(), BuildError> + Sync),
) -> Result<usize, BuildError> {
    let post_mortems = archive.all();
    let views = Views::compute(&post_mortems, &archive.config, today, None);
    let sources = Sources {
        config: &archive.config,
        post_mortems: &post_mortems,
        unreadable: &archive.unreadable,
        theme,
        views: &views,
    };
    pages::render_each(sources, sink)
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
    output::recover_site(&options.out)?;
    let parsed = parse(&options.root, options.drafts)?;
    lap("read, parse", &mut stages);
    let theme = Theme::load(&options.root, &parsed.config.theme)?;
    let staging = Staging::begin(&options.out)?;
    let sink =
        |file: OutputFile| -> Result<(), BuildError> { Ok(staging.put(&file.path, &file.bytes)?) };
    // The index needs only what parsing decided: it shares the threads with
    // validation and the pages rather than waiting for them.
    let records = parsed.records(options.today);
    let (index, validated) = rayon::join(
        || search_index::write(records, &sink),
        || -> Result<(Archive, usize), BuildError> {
            let archive = parsed.validate();
            let pages = render_pages(&archive, &theme, options.today, &sink)?;
            Ok((archive, pages))
        },
    );
    let (archive, pages) = validated?;
    let files = pages + index?;
    lap("validate, aggregate, render, index, write", &mut stages);
    let stats = staging.commit()?;
    lap("swap", &mut stages);
    let findings: Vec<Finding> = archive.findings().cloned().collect();
    Ok(BuildReport {
        tally: Tally::of(&findings),
        findings,
        post_mortems: archive.post_mortems.len(),
        files,
        stats,
        stages,
    })
}
