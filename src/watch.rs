//! Watching the site's folders for `serve`: notify with
//! notify-debouncer-full, on folders rather than files so that editors that
//! save by writing a temporary file and renaming it over the original
//! (vim, JetBrains, VS Code) are seen. Events within the quiet period of
//! each other become one `Batch`; editors' temporary and swap files are
//! ignored.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::Duration;

use notify::{EventKind, PollWatcher, RecommendedWatcher, RecursiveMode};
use notify_debouncer_full::{new_debouncer_opt, DebounceEventResult, Debouncer, RecommendedCache};
use thiserror::Error;

use crate::config;
use crate::content;
use crate::workspace::Change;

/// How long a path must be quiet before its events are delivered. Editors
/// write a save within a few milliseconds; this groups those writes.
const QUIET: Duration = Duration::from_millis(30);
/// After a batch, events arriving this soon join it, so the rest of a
/// burst of saves (a `git checkout`) that were delivered a little later
/// usually joins the same rebuild.
const BURST: Duration = Duration::from_millis(10);
/// How often `--poll` looks at the files.
pub const POLL_INTERVAL: Duration = Duration::from_millis(500);

#[derive(Debug, Error)]
#[error("cannot watch {path}: {source}")]
pub struct WatchError {
    path: PathBuf,
    source: notify::Error,
}

enum Backend {
    Native(Debouncer<RecommendedWatcher, RecommendedCache>),
    Poll(Debouncer<PollWatcher, RecommendedCache>),
}

impl Backend {
    fn watch(&mut self, path: &Path, mode: RecursiveMode) -> notify::Result<()> {
        match self {
            Backend::Native(d) => d.watch(path, mode),
            Backend::Poll(d) => d.watch(path, mode),
        }
    }

    fn unwatch(&mut self, path: &Path) {
        // The folder may be gone already, taking its watch with it.
        let _ = match self {
            Backend::Native(d) => d.unwatch(path),
            Backend::Poll(d) => d.unwatch(path),
        };
    }
}

/// One batch of changes: what the workspace has to redo, and which of the
/// folders it reloads as "the theme" were touched, for the terminal's line.
#[derive(Debug, Default)]
pub struct Batch {
    pub change: Change,
    /// Something under `themes/`.
    pub themes: bool,
    /// Something under the site's `static/`.
    pub static_files: bool,
}

pub struct Watcher {
    root: PathBuf,
    backend: Backend,
    name: String,
    events: Receiver<DebounceEventResult>,
    /// The watched folders below the root.
    watched: BTreeSet<PathBuf>,
}

/// The folders below the root that hold the site's input.
const FOLDERS: [&str; 3] = [content::DIR_NAME, "themes", "static"];

impl Watcher {
    /// Watches `root` (for `site.toml` and its folders coming and going) and
    /// its content, themes and static folders. `poll` checks every file's
    /// modification time instead, for file systems without events.
    pub fn new(root: &Path, poll: bool) -> Result<Watcher, WatchError> {
        let (tx, events) = mpsc::channel();
        let error = |source| WatchError {
            path: root.to_path_buf(),
            source,
        };
        let (backend, name) = if poll {
            // File times are compared in whole seconds: contents too, or a
            // second save within the same second would go unseen.
            let config = notify::Config::default()
                .with_poll_interval(POLL_INTERVAL)
                .with_compare_contents(true);
            let d = new_debouncer_opt(QUIET, None, tx, RecommendedCache::new(), config)
                .map_err(error)?;
            (
                Backend::Poll(d),
                format!("polling every {} ms", POLL_INTERVAL.as_millis()),
            )
        } else {
            let d = new_debouncer_opt(
                QUIET,
                None,
                tx,
                RecommendedCache::new(),
                notify::Config::default(),
            )
            .map_err(error)?;
            let kind = format!(
                "{:?}",
                Debouncer::<RecommendedWatcher, RecommendedCache>::kind()
            );
            (Backend::Native(d), native_name(&kind))
        };
        let mut watcher = Watcher {
            root: root.to_path_buf(),
            backend,
            name,
            events,
            watched: BTreeSet::new(),
        };
        watcher
            .backend
            .watch(root, RecursiveMode::NonRecursive)
            .map_err(error)?;
        watcher.refresh_folders(&BTreeSet::new());
        Ok(watcher)
    }

    /// The active watcher, for the start-up line: `inotify`, `polling every 500 ms`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Adds why this watcher was chosen to its name.
    pub fn explain(&mut self, why: String) {
        self.name = format!("{} ({why})", self.name);
    }

    /// Waits for the next batch of changes; `None` when watching has ended.
    pub fn next_batch(&mut self) -> Option<Batch> {
        loop {
            let first = self.events.recv().ok()?;
            let mut touched = BTreeSet::new();
            let mut batch = Batch::default();
            self.absorb(first, &mut batch, &mut touched);
            loop {
                match self.events.recv_timeout(BURST) {
                    Ok(more) => self.absorb(more, &mut batch, &mut touched),
                    Err(RecvTimeoutError::Timeout) => break,
                    Err(RecvTimeoutError::Disconnected) => break,
                }
            }
            self.refresh_folders(&touched);
            if !batch.change.is_empty() {
                return Some(batch);
            }
        }
    }

    fn absorb(
        &mut self,
        result: DebounceEventResult,
        batch: &mut Batch,
        touched: &mut BTreeSet<PathBuf>,
    ) {
        match result {
            Ok(events) => {
                for event in events {
                    // Reading a file (as every rebuild does) is not a change.
                    if matches!(event.kind, EventKind::Access(_)) {
                        continue;
                    }
                    if event.need_rescan() {
                        batch.change.lost_events();
                    }
                    for path in &event.paths {
                        classify(&self.root, path, batch);
                        touched.insert(path.clone());
                    }
                }
            }
            Err(_) => batch.change.lost_events(),
        }
    }

    /// Watches the input folders that exist, again when one of them was
    /// itself removed or created (its old watch died with it).
    fn refresh_folders(&mut self, touched: &BTreeSet<PathBuf>) {
        for name in FOLDERS {
            let dir = self.root.join(name);
            let exists = dir.is_dir();
            let was = self.watched.contains(&dir);
            if was && (!exists || touched.contains(&dir)) {
                self.backend.unwatch(&dir);
                self.watched.remove(&dir);
            }
            if exists
                && !self.watched.contains(&dir)
                && self.backend.watch(&dir, RecursiveMode::Recursive).is_ok()
            {
                self.watched.insert(dir);
            }
        }
    }
}

fn native_name(kind: &str) -> String {
    match kind {
        "Inotify" => "inotify".into(),
        "Fsevent" => "FSEvents".into(),
        "Kqueue" => "kqueue".into(),
        "ReadDirectoryChangesWatcher" => "ReadDirectoryChangesW".into(),
        other => other.to_lowercase(),
    }
}

/// Adds what a changed `path` means for the site to `batch`.
pub fn classify(root: &Path, path: &Path, batch: &mut Batch) {
    let Ok(relative) = path.strip_prefix(root) else {
        return;
    };
    if relative
        .file_name()
        .and_then(|n| n.to_str())
        .is_some_and(is_editor_temp)
    {
        return;
    }
    let mut parts = relative.components();
    let Some(first) = parts.next() else {
        return;
    };
    let rest = parts.as_path();
    let change = &mut batch.change;
    match first.as_os_str().to_str() {
        Some(config::FILE_NAME) if rest.as_os_str().is_empty() => change.config = true,
        Some("themes") => {
            change.theme = true;
            batch.themes = true;
        }
        Some("static") => {
            change.theme = true;
            batch.static_files = true;
        }
        Some(content::DIR_NAME) => {
            if content::is_post_mortem(rest) {
                change.files.insert(rest.to_path_buf());
            } else if !is_hidden_path(rest) && !path.is_file() {
                // A folder (`2024`, `release.v2`) came, went or moved, taking
                // its post-mortems with it.
                change.rescan = true;
            }
        }
        _ => {}
    }
}

fn is_hidden_path(path: &Path) -> bool {
    path.iter()
        .any(|p| p.to_str().is_some_and(|n| n.starts_with(['.', '_'])))
}

/// Temporary, backup and swap files that editors write beside the file
/// being saved: vim (`.x.md.swp`, `x.md~`, `4913`), Emacs (`#x.md#`,
/// `.#x.md`), JetBrains (`x.md___jb_tmp___`), and others' `.tmp` files.
pub fn is_editor_temp(name: &str) -> bool {
    name.ends_with('~')
        || name.starts_with(".#")
        || (name.starts_with('#') && name.ends_with('#'))
        || name == "4913"
        || name == ".DS_Store"
        || name.ends_with("___jb_tmp___")
        || name.ends_with("___jb_old___")
        || [".swp", ".swx", ".swo", ".tmp", ".crswap", ".bak"]
            .iter()
            .any(|ext| name.ends_with(ext))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn batch_of(paths: &[&str]) -> Batch {
        let root = Path::new("/site");
        let mut batch = Batch::default();
        for p in paths {
            classify(root, &root.join(p), &mut batch);
        }
        batch
    }

    fn change_of(paths: &[&str]) -> Change {
        batch_of(paths).change
    }

    #[test]
    fn post_mortems_config_and_theme_are_told_apart() {
        let c = change_of(&[
            "content/2024/a.md",
            "site.toml",
            "themes/x/templates/base.html",
        ]);
        assert_eq!(c.files.iter().collect::<Vec<_>>(), [Path::new("2024/a.md")]);
        assert!(c.config && c.theme && !c.rescan);
    }

    #[test]
    fn theme_and_static_files_are_told_apart() {
        let theme = batch_of(&["themes/x/templates/base.html"]);
        assert!(theme.change.theme && theme.themes && !theme.static_files);
        let static_files = batch_of(&["static/CNAME"]);
        assert!(static_files.change.theme && static_files.static_files && !static_files.themes);
    }

    #[test]
    fn editor_temporary_files_are_ignored() {
        let c = change_of(&[
            "content/.a.md.swp",
            "content/a.md~",
            "content/4913",
            "content/#a.md#",
            "content/.#a.md",
            "content/a.md___jb_tmp___",
            "content/_drafts/b.md",
            "public/index.html",
            "site.toml.swp",
        ]);
        assert!(c.is_empty(), "{c:?}");
    }

    #[test]
    fn a_folder_event_asks_for_a_rescan() {
        assert!(change_of(&["content"]).rescan);
        assert!(change_of(&["content/2024"]).rescan);
        assert!(change_of(&["content/release.v2"]).rescan);
        assert!(!change_of(&["content/.git"]).rescan);
    }

    #[test]
    fn a_file_that_is_not_a_post_mortem_changes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("content")).unwrap();
        std::fs::write(dir.path().join("content/notes.txt"), "x").unwrap();
        let mut batch = Batch::default();
        classify(
            dir.path(),
            &dir.path().join("content/notes.txt"),
            &mut batch,
        );
        assert!(batch.change.is_empty(), "{batch:?}");
    }
}
