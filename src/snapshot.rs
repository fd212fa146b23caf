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
    /// A new version. `previous`, when made with the same `site.toml` and
    /// day, lends the summaries of post-mortems that did not change.
    pub fn new(
        generation: u64,
        archive: Archive,
        theme: Arc<Theme>,
        today: Date,
        problems: Vec<String>,
        recent: Vec<String>,
        previous: Option<&Snapshot>,
    ) -> Snapshot {
        let all = archive.all();
        let views = Views::compute(&all, &archive.config, today, previous.map(|p| &p.views));
        drop(all);
        let tally = Tally::of(archive.findings());
        let unchanged_theme = previous.is_some_and(|p| Arc::ptr_eq(&p.theme, &theme));
        let mut snapshot = Snapshot {
            generation,
            archive,
            theme,
            views,
            rendered: Mutex::new(HashMap::new()),
            problems,
            recent,
            tally,
        };
        if !unchanged_theme {
            snapshot.try_theme(previous.map(|p| Arc::clone(&p.theme)));
        }
        snapshot
    }

    /// A theme can parse and still fail to render (an unknown variable, a
    /// missing template): the home page and the newest incident's page are
    /// rendered now, and on failure the previous theme stays in use and the
    /// failure is a problem shown on every page.
    fn try_theme(&mut self, previous: Option<Arc<Theme>>) {
        let mut trial = vec![("index.html".to_string(), Page::Index)];
        if let Some(newest) = self.views.newest().first() {
            let path = format!("incidents/{}/index.html", newest.id);
            if let Some(page) = self.locate(&path) {
                trial.push((path, page));
            }
        }
        for (path, page) in trial {
            match self.render(page, &path) {
                Ok(bytes) => {
                    self.lock().insert(path, Arc::new(bytes));
                }
                Err(e) => {
                    let keeping = if previous.is_some() {
                        "; the last theme that rendered is used until it is fixed"
                    } else {
                        ""
                    };
                    self.problems.push(format!("{e}{keeping}"));
                    self.lock().clear();
                    if let Some(previous) = previous {
                        self.theme = previous;
                    }
                    return;
                }
            }
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
        self.locate(path).is_some()
    }

    fn locate(&self, path: &str) -> Option<Page> {
        let all = self.archive.all();
        pages::locate(self.sources(&all), path)
    }

    fn sources<'a>(&'a self, all: &'a [&'a crate::post_mortem::PostMortem]) -> Sources<'a> {
        Sources {
            config: &self.archive.config,
            post_mortems: all,
            unreadable: &self.archive.unreadable,
            theme: &self.theme,
            views: &self.views,
        }
    }

    /// The file at `path`, rendered now or earlier; `None` when the site
    /// has no such file.
    pub fn get(&self, path: &str) -> Option<Result<Arc<Vec<u8>>, ThemeError>> {
        let page = self.locate(path)?;
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
        pages::render(self.sources(&all), page, path)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<Vec<u8>>>> {
        // A panic while holding the lock leaves only a cache behind.
        self.rendered.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The overlay for the page at `path`: its own post-mortem's findings,
    /// then those of recently changed files and of unreadable ones.
    pub fn overlay(&self, path: &str) -> Overlay<'_> {
        let mut sources: Vec<String> = Vec::new();
        if let Some(Page::Incident(i) | Page::Review(i)) = self.locate(path) {
            sources.push(self.archive.post_mortems[i].source.clone());
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
                    .archive
                    .post_mortems
                    .iter()
                    .find(|pm| pm.source == file)
                    .map(|pm| pm.findings.as_slice())
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workspace::Workspace;

    fn copy_templates(to: &std::path::Path) {
        let from = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("themes/default");
        for entry in walkdir::WalkDir::new(&from) {
            let entry = entry.unwrap();
            let target = to.join(entry.path().strip_prefix(&from).unwrap());
            if entry.file_type().is_dir() {
                std::fs::create_dir_all(&target).unwrap();
            } else {
                std::fs::copy(entry.path(), &target).unwrap();
            }
        }
    }

    #[test]
    fn a_theme_that_fails_to_render_keeps_the_last_one_that_did() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::write(
            root.join("site.toml"),
            "title = \"t\"\n[[severity]]\nid = \"P1\"\nname = \"Major\"\ndefinition = \"d\"\n",
        )
        .unwrap();
        std::fs::create_dir_all(root.join("content")).unwrap();
        std::fs::write(
            root.join("content/x.md"),
            "---\ntitle: Outage\nseverity: P1\nstatus: open\nstarted: 2024-01-01T00:00:00Z\n---\n",
        )
        .unwrap();
        let workspace = Workspace::open(root, true);
        let today = Date::constant(2024, 6, 1);
        let good = Snapshot::new(
            1,
            workspace.archive(),
            workspace.theme(),
            today,
            vec![],
            vec![],
            None,
        );
        assert_eq!(good.problems, Vec::<String>::new());

        let theme_dir = root.join("themes/default");
        copy_templates(&theme_dir);
        let base = theme_dir.join("templates/base.html");
        let text = std::fs::read_to_string(&base).unwrap();
        std::fs::write(&base, text.replace("</body>", "{{ nosuchvar.x }}</body>")).unwrap();
        let broken = Arc::new(Theme::load(root, "default").expect("it parses"));

        let next = Snapshot::new(
            2,
            workspace.archive(),
            broken,
            today,
            vec![],
            vec![],
            Some(&good),
        );
        assert_eq!(next.problems.len(), 1, "{:?}", next.problems);
        assert!(
            next.problems[0].contains("base.html") && next.problems[0].contains("last theme"),
            "{}",
            next.problems[0]
        );
        let page = |s: &Snapshot| s.get("incidents/x/index.html").unwrap().unwrap();
        assert_eq!(page(&next), page(&good));
    }
}
