//! The archive `serve` keeps in memory between builds. A changed file is
//! re-read, re-parsed and re-validated alone; other files are revalidated
//! only when the archive's people change and their prose mentions one of
//! them. A file that cannot be read keeps its last good version, and a
//! broken `site.toml` or theme keeps the last good one, each reported as a
//! problem until it is fixed.

use std::collections::{BTreeMap, BTreeSet};
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;

use crate::config::{self, SiteConfig};
use crate::content::{self, ContentError, Loaded};
use crate::finding::Finding;
use crate::pipeline::{self, Archive};
use crate::post_mortem::{self, PostMortem};
use crate::rules;
use crate::theme::Theme;

/// What a batch of file-system events touched.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Change {
    pub config: bool,
    /// A template or static file.
    pub theme: bool,
    /// Post-mortem files, relative to `content/`.
    pub files: BTreeSet<PathBuf>,
    /// Something happened that names no single file (a folder came, went
    /// or moved): list `content/` again, read the files that are new and
    /// drop those that are gone.
    pub rescan: bool,
    /// The watcher lost events: read every file again.
    pub reread: bool,
}

impl Change {
    /// What to do when events were lost: look at everything again.
    pub fn lost_events(&mut self) {
        self.config = true;
        self.theme = true;
        self.rescan = true;
        self.reread = true;
    }

    pub fn is_empty(&self) -> bool {
        !self.config && !self.theme && !self.rescan && !self.reread && self.files.is_empty()
    }
}

/// What an update did, for the terminal's one line.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Applied {
    /// Files whose text changed, were added or were removed, as shown in
    /// findings (`content/2024/x.md`), and `site.toml` or `theme`.
    pub changed: Vec<String>,
    /// Post-mortems validated again (the changed ones and those that
    /// mention a person who joined or left the archive's owners).
    pub revalidated: usize,
}

/// What reading one file gave.
enum Read {
    /// The same text as last time.
    Unchanged,
    Parsed(u64, Arc<PostMortem>),
    Unreadable(Finding),
}

struct Entry {
    display: String,
    fingerprint: u64,
    /// The last good read, parsed but not validated.
    parsed: Option<Arc<PostMortem>>,
    validated: Option<Arc<PostMortem>>,
    /// Why the latest read failed; the last good version is kept.
    unreadable: Option<Finding>,
}

pub struct Workspace {
    root: PathBuf,
    drafts: bool,
    config: SiteConfig,
    theme: Arc<Theme>,
    entries: BTreeMap<PathBuf, Entry>,
    /// Action-item owners who are people, with how many post-mortems name
    /// each: kept up to date per file, so an edit never rescans the archive.
    owners: BTreeMap<String, usize>,
    people: Vec<String>,
    config_problem: Option<String>,
    theme_problem: Option<String>,
    content_problem: Option<String>,
}

fn fingerprint(text: &str) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    text.hash(&mut h);
    h.finish()
}

impl Workspace {
    /// Loads everything under `root`. Never fails: what cannot be loaded is
    /// a problem (see `problems`) and the rest is served.
    pub fn open(root: &Path, drafts: bool) -> Workspace {
        let (config, config_problem) = match SiteConfig::load(root) {
            Ok(c) => (c, None),
            Err(e) => (fallback_config(), Some(e.to_string())),
        };
        let (theme, theme_problem) = match Theme::load(root, &config.theme) {
            Ok(t) => (t, None),
            Err(e) => (
                Theme::load(root, "default").unwrap_or_else(|_| Theme::built_in()),
                Some(e.to_string()),
            ),
        };
        let mut workspace = Workspace {
            root: root.to_path_buf(),
            drafts,
            config,
            theme: Arc::new(theme),
            entries: BTreeMap::new(),
            owners: BTreeMap::new(),
            people: Vec::new(),
            config_problem,
            theme_problem,
            content_problem: None,
        };
        workspace.apply(&Change {
            rescan: true,
            ..Change::default()
        });
        workspace
    }

    pub fn config(&self) -> &SiteConfig {
        &self.config
    }

    pub fn theme(&self) -> Arc<Theme> {
        Arc::clone(&self.theme)
    }

    /// Problems with the site itself, each a line such as
    /// `site.toml:3:9: …`, shown until fixed.
    pub fn problems(&self) -> Vec<String> {
        [
            &self.config_problem,
            &self.theme_problem,
            &self.content_problem,
        ]
        .into_iter()
        .flatten()
        .cloned()
        .collect()
    }

    /// Applies one batch of changes.
    pub fn apply(&mut self, change: &Change) -> Applied {
        let mut applied = Applied::default();
        let mut joined_or_left: BTreeSet<String> = BTreeSet::new();
        let mut reparse_all = false;
        let mut revalidate_all = false;
        if change.config {
            applied.changed.push(config::FILE_NAME.to_string());
            match SiteConfig::load(&self.root) {
                Ok(config) => {
                    // The zone changes how times are read and `raw_html` how
                    // bodies are rendered; the rest only how they are judged.
                    reparse_all = config.time_zone != self.config.time_zone
                        || config.markdown.raw_html != self.config.markdown.raw_html;
                    revalidate_all = true;
                    let theme_changed = config.theme != self.config.theme;
                    self.config = config;
                    self.config_problem = None;
                    if theme_changed {
                        self.reload_theme();
                    }
                }
                Err(e) => self.config_problem = Some(e.to_string()),
            }
        }
        if change.theme {
            applied.changed.push("theme".to_string());
            self.reload_theme();
        }

        let mut to_read: BTreeSet<PathBuf> = change.files.clone();
        if change.rescan || reparse_all {
            match content::list(&self.root) {
                Ok((paths, failed)) => {
                    self.content_problem = None;
                    let listed: BTreeSet<PathBuf> = paths.iter().cloned().collect();
                    let gone: Vec<PathBuf> = self
                        .entries
                        .keys()
                        .filter(|p| !listed.contains(*p))
                        .cloned()
                        .collect();
                    for path in gone {
                        self.remove(&path, &mut applied, &mut joined_or_left);
                    }
                    // Known files have their own events, unless events were lost.
                    let reread = change.reread || reparse_all;
                    to_read.extend(
                        paths
                            .into_iter()
                            .filter(|p| reread || !self.entries.contains_key(p)),
                    );
                    for f in failed {
                        to_read.remove(&f.relative);
                        let outcome = match &f.text {
                            Err(finding) => Read::Unreadable(finding.clone()),
                            Ok(_) => Read::Unchanged,
                        };
                        self.record(f, outcome, &mut applied, &mut joined_or_left);
                    }
                }
                Err(ContentError::Missing { path }) => {
                    self.content_problem = Some(format!(
                        "there is no content folder at {}; create it and add post-mortems to it",
                        path.display()
                    ));
                    applied.changed.extend(
                        std::mem::take(&mut self.entries)
                            .into_values()
                            .map(|e| e.display),
                    );
                    to_read.clear();
                }
            }
        }

        let dir = self.root.join(content::DIR_NAME);
        let (present, gone): (Vec<PathBuf>, Vec<PathBuf>) = to_read
            .into_iter()
            .partition(|relative| dir.join(relative).is_file());
        for relative in gone {
            self.remove(&relative, &mut applied, &mut joined_or_left);
        }
        // Read and parse in parallel; only the bookkeeping is serial.
        let read: Vec<(Loaded, Read)> = present
            .into_par_iter()
            .map(|relative| self.read(relative, reparse_all))
            .collect();
        let mut dirty: BTreeSet<PathBuf> = BTreeSet::new();
        for (file, outcome) in read {
            let relative = file.relative.clone();
            if self.record(file, outcome, &mut applied, &mut joined_or_left) {
                dirty.insert(relative);
            }
        }

        if !joined_or_left.is_empty() {
            self.people = self.owners.keys().cloned().collect();
        }
        let joined_or_left: Vec<String> = joined_or_left.into_iter().collect();
        let to_validate: Vec<&mut Entry> = self
            .entries
            .iter_mut()
            .filter(|(path, e)| {
                revalidate_all
                    || dirty.contains(*path)
                    || e.validated.is_none()
                    || e.parsed
                        .as_deref()
                        .is_some_and(|pm| rules::mentions_any(pm, &joined_or_left))
            })
            .map(|(_, e)| e)
            .collect();
        applied.revalidated = to_validate.len();
        let (config, people) = (&self.config, &self.people);
        to_validate.into_par_iter().for_each(|e| {
            e.validated = e.parsed.as_deref().map(|parsed| {
                let mut pm = parsed.clone();
                rules::validate(&mut pm, config, people);
                Arc::new(pm)
            });
        });
        applied
    }

    fn reload_theme(&mut self) {
        match Theme::load(&self.root, &self.config.theme) {
            Ok(theme) => {
                self.theme = Arc::new(theme);
                self.theme_problem = None;
            }
            Err(e) => self.theme_problem = Some(e.to_string()),
        }
    }

    /// Counts `pm`'s people in or out of the archive's owners; a name that
    /// appears or disappears is toggled in `joined_or_left`.
    fn count_people(&mut self, pm: &PostMortem, add: bool, joined_or_left: &mut BTreeSet<String>) {
        for name in rules::people(&[pm]) {
            let count = self.owners.entry(name.clone()).or_default();
            let before = *count;
            *count = if add {
                before + 1
            } else {
                before.saturating_sub(1)
            };
            if (before == 0) != (*count == 0) && !joined_or_left.remove(&name) {
                joined_or_left.insert(name.clone());
            }
            if *count == 0 {
                self.owners.remove(&name);
            }
        }
    }

    fn remove(
        &mut self,
        relative: &Path,
        applied: &mut Applied,
        joined_or_left: &mut BTreeSet<String>,
    ) {
        if let Some(e) = self.entries.remove(relative) {
            if let Some(pm) = &e.parsed {
                self.count_people(pm, false, joined_or_left);
            }
            applied.changed.push(e.display);
        }
    }

    /// Reads a file and parses it unless its text is what was parsed last.
    fn read(&self, relative: PathBuf, reparse: bool) -> (Loaded, Read) {
        let mut file = content::read(&self.root, relative);
        let outcome = match &mut file.text {
            Err(finding) => Read::Unreadable(finding.clone()),
            Ok(text) => {
                let print = fingerprint(text);
                let known = self
                    .entries
                    .get(&file.relative)
                    .is_some_and(|e| e.parsed.is_some() && e.fingerprint == print);
                if known && !reparse {
                    Read::Unchanged
                } else {
                    Read::Parsed(
                        print,
                        Arc::new(post_mortem::parse_with(
                            post_mortem::id_for(&file.relative),
                            file.display.clone(),
                            text,
                            &self.config.time_zone,
                            self.config.markdown.raw_html,
                        )),
                    )
                }
            }
        };
        (file, outcome)
    }

    /// Stores what reading a file gave; true when it must be validated again.
    fn record(
        &mut self,
        file: Loaded,
        outcome: Read,
        applied: &mut Applied,
        joined_or_left: &mut BTreeSet<String>,
    ) -> bool {
        let entry = self.entries.entry(file.relative.clone()).or_insert(Entry {
            display: file.display.clone(),
            fingerprint: 0,
            parsed: None,
            validated: None,
            unreadable: None,
        });
        match outcome {
            Read::Unchanged => {
                if entry.unreadable.take().is_some() {
                    applied.changed.push(file.display);
                }
                false
            }
            Read::Parsed(print, parsed) => {
                entry.unreadable = None;
                entry.fingerprint = print;
                let old = entry.parsed.replace(Arc::clone(&parsed));
                if let Some(old) = old {
                    self.count_people(&old, false, joined_or_left);
                }
                self.count_people(&parsed, true, joined_or_left);
                applied.changed.push(file.display);
                true
            }
            Read::Unreadable(finding) => {
                entry.unreadable = Some(finding);
                applied.changed.push(file.display);
                false
            }
        }
    }

    /// The archive as it stands: every readable (or last readable)
    /// post-mortem, validated. Cheap: post-mortems are shared, not copied.
    pub fn archive(&self) -> Archive {
        let mut unreadable = Vec::new();
        let mut post_mortems = Vec::with_capacity(self.entries.len());
        for entry in self.entries.values() {
            if let Some(finding) = &entry.unreadable {
                unreadable.push(finding.clone());
            }
            if let Some(pm) = &entry.validated {
                if self.drafts || !pm.front.draft {
                    post_mortems.push(Arc::clone(pm));
                }
            }
        }
        let post_mortems = pipeline::keep_first_of_each_id(post_mortems, &mut unreadable);
        Archive {
            config: self.config.clone(),
            post_mortems,
            unreadable,
        }
    }
}

/// The configuration used while `site.toml` cannot be read at start:
/// defaults, one severity level, and a title that says what is wrong.
fn fallback_config() -> SiteConfig {
    const FALLBACK: &str = "title = \"Post-mortems (site.toml needs fixing)\"\n\
        [[severity]]\nid = \"SEV\"\nname = \"Severity\"\n\
        definition = \"Set the severity levels in site.toml.\"\n";
    SiteConfig::parse(FALLBACK, Path::new(config::FILE_NAME)).expect("the fallback is valid")
}
