//! One version of the site, in memory, as `serve` shows it: the archive,
//! its views and the theme, with each page rendered the first time it is
//! asked for and kept until the next version replaces this one whole. An
//! edit therefore costs the views, not a render of every page.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use jiff::civil::Date;
use serde::Serialize;

use crate::finding::{Finding, Tally};
use crate::pages::{self, Page, Sources, Views};
use crate::pipeline::Archive;
use crate::theme::{Theme, ThemeError};

pub struct Snapshot {
    /// Counts versions: the live-reload script compares it with its own.
    pub generation: u64,
    archive: Archive,
    theme: Arc<Theme>,
    views: Views,
    pages: HashMap<String, Page>,
    /// Archive index by source file (`content/x.md`).
    by_source: HashMap<String, usize>,
    rendered: Mutex<HashMap<String, Arc<Vec<u8>>>>,
    /// Problems with the site itself (`site.toml`, theme, `content/`).
    pub problems: Vec<String>,
    /// Files changed while serving, most recent first: the overlay lists
    /// their findings on every page.
    pub recent: Vec<String>,
    pub tally: Tally,
}

/// What the findings overlay shows.
#[derive(Debug, Serialize)]
pub struct Overlay<'a> {
    pub generation: u64,
    pub errors: usize,
    pub warnings: usize,
    pub problems: &'a [String],
    pub files: Vec<OverlayFile<'a>>,
}

#[derive(Debug, Serialize)]
pub struct OverlayFile<'a> {
    pub file: String,
    pub findings: Vec<&'a Finding>,
}

/// How many findings of one file the overlay lists.
const OVERLAY_FINDINGS: usize = 50;

impl Snapshot {
    pub fn new(
        generation: u64,
        archive: Archive,
        theme: Arc<Theme>,
        today: Date,
        problems: Vec<String>,
        recent: Vec<String>,
    ) -> Snapshot {
        let all = archive.all();
        let views = Views::compute(&all, &archive.config, today);
        let pages = pages::plan(Sources {
            config: &archive.config,
            post_mortems: &all,
            unreadable: &archive.unreadable,
            theme: &theme,
            views: &views,
        })
        .into_iter()
        .collect();
        drop(all);
        let tally = Tally::of(archive.findings());
        let by_source = archive
            .post_mortems
            .iter()
            .enumerate()
            .map(|(i, pm)| (pm.source.clone(), i))
            .collect();
        Snapshot {
            by_source,
            generation,
            archive,
            theme,
            views,
            pages,
            rendered: Mutex::new(HashMap::new()),
            problems,
            recent,
            tally,
        }
    }

    pub fn archive(&self) -> &Archive {
        &self.archive
    }

    pub fn views(&self) -> &Views {
        &self.views
    }

    /// Whether the site has a file at `path` (`incidents/x/index.html`).
    pub fn contains(&self, path: &str) -> bool {
        self.pages.contains_key(path)
    }

    /// The file at `path`, rendered now or earlier; `None` when the site
    /// has no such file.
    pub fn get(&self, path: &str) -> Option<Result<Arc<Vec<u8>>, ThemeError>> {
        let page = *self.pages.get(path)?;
        if let Some(bytes) = self.lock().get(path) {
            return Some(Ok(Arc::clone(bytes)));
        }
        // Rendered outside the lock: two requests for one page may both
        // render it, and both get the same bytes.
        Some(self.render(page, path).map(|bytes| {
            let bytes = Arc::new(bytes);
            self.lock().insert(path.to_string(), Arc::clone(&bytes));
            bytes
        }))
    }

    /// The not-found page as seen from `path`, so its links resolve; `None`
    /// when the theme has none.
    pub fn not_found(&self, path: &str) -> Option<Result<Vec<u8>, ThemeError>> {
        self.theme
            .has_template(pages::NOT_FOUND)
            .then(|| self.render(Page::NotFound, path))
    }

    fn render(&self, page: Page, path: &str) -> Result<Vec<u8>, ThemeError> {
        let all = self.archive.all();
        pages::render(
            Sources {
                config: &self.archive.config,
                post_mortems: &all,
                unreadable: &self.archive.unreadable,
                theme: &self.theme,
                views: &self.views,
            },
            page,
            path,
        )
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<Vec<u8>>>> {
        // A panic while holding the lock leaves only a cache behind.
        self.rendered.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The overlay for the page at `path`: its own post-mortem's findings,
    /// then those of recently changed files and of unreadable ones.
    pub fn overlay(&self, path: &str) -> Overlay<'_> {
        let mut sources: Vec<String> = Vec::new();
        if let Some(Page::Incident(i) | Page::Review(i)) = self.pages.get(path) {
            sources.push(self.archive.post_mortems[*i].source.clone());
        }
        for file in &self.recent {
            if !sources.contains(file) {
                sources.push(file.clone());
            }
        }
        for f in &self.archive.unreadable {
            let file = f.file.to_string_lossy().into_owned();
            if !sources.contains(&file) {
                sources.push(file);
            }
        }
        let files = sources
            .into_iter()
            .map(|file| {
                let own = self
                    .by_source
                    .get(&file)
                    .map(|&i| self.archive.post_mortems[i].findings.as_slice())
                    .unwrap_or_default();
                let unreadable = self
                    .archive
                    .unreadable
                    .iter()
                    .filter(|f| f.file.to_string_lossy() == file);
                let findings: Vec<&Finding> = own
                    .iter()
                    .chain(unreadable)
                    .take(OVERLAY_FINDINGS)
                    .collect();
                OverlayFile { file, findings }
            })
            .collect();
        Overlay {
            generation: self.generation,
            errors: self.tally.errors,
            warnings: self.tally.warnings,
            problems: &self.problems,
            files,
        }
    }
}
