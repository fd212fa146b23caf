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
use crate::search::{self, SearchError};
use crate::theme::{Theme, ThemeError};

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
    Ok(Archive {
        config,
        post_mortems,
        unreadable,
    })
}

/// Files that map to a page another file already has: the first (in path
/// order) keeps the page; the others are reported, with all their findings,
/// among the files that could not be built.
pub fn keep_first_of_each_id(
    post_mortems: Vec<Arc<PostMortem>>,
    unreadable: &mut Vec<Finding>,
) -> Vec<Arc<PostMortem>> {
    let mut ids = std::collections::HashSet::with_capacity(post_mortems.len());
    let distinct = post_mortems.iter().all(|pm| ids.insert(pm.id.as_str()));
    let review_clash = post_mortems.iter().any(|pm| {
        pm.id
            .strip_suffix("/review")
            .is_some_and(|parent| ids.contains(parent))
    });
    if distinct && !review_clash {
        return post_mortems;
    }
    let duplicates = rules::duplicate_ids(&post_mortems.iter().map(|pm| &**pm).collect::<Vec<_>>());
    // An incident's review sheet keeps its address: a file that would take
    // it (`x/review.md` beside `x.md`) yields, wherever it sorts.
    let ids: std::collections::HashSet<String> = ids.into_iter().map(str::to_string).collect();
    let takes_a_review = |pm: &PostMortem| {
        pm.id
            .strip_suffix("/review")
            .is_some_and(|parent| ids.contains(parent))
    };
    let mut order: Vec<(bool, usize, Arc<PostMortem>)> = post_mortems
        .into_iter()
        .enumerate()
        .map(|(i, pm)| (takes_a_review(&pm), i, pm))
        .collect();
    order.sort_by_key(|(yields, i, _)| (*yields, *i));
    let mut taken = std::collections::HashSet::new();
    let mut kept = Vec::with_capacity(order.len());
    for (_, index, mut pm) in order {
        let mine: Vec<Finding> = duplicates
            .iter()
            .filter(|f| f.file == Path::new(&pm.source))
            .cloned()
            .collect();
        let pages = rules::pages_of(&pm.id);
        let free = pages.iter().all(|page| !taken.contains(page));
        if !mine.is_empty() {
            Arc::make_mut(&mut pm).findings.splice(0..0, mine);
        }
        if free {
            taken.extend(pages);
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
/// each file to `sink` as soon as it is made. Pagefind indexes on one
/// thread, so it runs beside the page rendering rather than after it.
/// Returns the number of files.
pub fn render_into(
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
    let (pages, index) = rayon::join(
        || pages::render_each(sources, sink),
        || -> Result<usize, BuildError> {
            let files = search::build_index(search::records(&post_mortems, views.summaries()))?;
            let count = files.len();
            files.into_iter().try_for_each(sink)?;
            Ok(count)
        },
    );
    Ok(pages? + index?)
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
    let archive = load(&options.root, options.drafts)?;
    lap("load, parse, validate", &mut stages);
    let theme = Theme::load(&options.root, &archive.config.theme)?;
    let staging = Staging::begin(&options.out)?;
    let files = render_into(&archive, &theme, options.today, &|file| {
        Ok(staging.put(&file.path, &file.bytes)?)
    })?;
    lap("aggregate, render, index, write", &mut stages);
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
