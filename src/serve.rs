//! `hindsight serve`: the drafting loop. The workspace is loaded once; each
//! batch of changes from the watcher updates it, a new `Snapshot` is made
//! and swapped in whole, and only then are browsers told to reload. The
//! search index is rebuilt beside it, when the edits pause.
//!
//! Nothing here prints: what happens is reported as `Event`s to the caller.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

use jiff::civil::Date;
use thiserror::Error;

use crate::finding::Tally;
use crate::search;
use crate::search_index;
use crate::server::{self, LiveSite};
use crate::snapshot::Snapshot;
use crate::watch::{Batch, WatchError, Watcher};
use crate::workspace::Workspace;

#[derive(Debug, Error)]
pub enum ServeError {
    #[error(transparent)]
    Watch(#[from] WatchError),
    #[error("the server stopped: {0}")]
    Io(#[from] std::io::Error),
}

pub struct ServeOptions {
    pub root: PathBuf,
    /// Rebuild when files change.
    pub watch: bool,
    /// Poll for changes instead of using the system's file events.
    pub poll: bool,
    /// "Today", asked again on every rebuild.
    pub today: fn() -> Date,
}

/// What the serve loop did, for the terminal.
#[derive(Debug)]
pub enum Event {
    Ready {
        url: String,
        /// The active watcher, or `None` with `--no-watch`.
        watcher: Option<String>,
        post_mortems: usize,
        took: Duration,
        tally: Tally,
        problems: Vec<String>,
    },
    Rebuilt {
        changed: Vec<Changed>,
        revalidated: usize,
        took: Duration,
        tally: Tally,
        problems: Vec<String>,
    },
    Indexed {
        records: usize,
        took: Duration,
    },
    SearchFailed(String),
}

/// One thing a rebuild was for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Changed {
    /// A file written or created, as findings name it (`content/2024/x.md`,
    /// `site.toml`).
    File(String),
    /// A file that is gone.
    Removed(String),
    /// Something under `themes/`.
    Theme,
    /// Something in the site's own `static/` folder.
    StaticFiles,
}

/// How many changed files the overlay keeps listing.
const RECENT: usize = 5;
/// The search index is rebuilt once the edits pause this long.
const SEARCH_PAUSE: Duration = Duration::from_millis(1500);

/// Loads the site under `options.root`, serves it on `listener` and, when
/// watching, rebuilds on every change. Returns only if the server fails.
pub fn run(
    options: ServeOptions,
    listener: TcpListener,
    report: impl Fn(Event) + Send + Sync + 'static,
) -> Result<(), ServeError> {
    let report: Arc<dyn Fn(Event) + Send + Sync> = Arc::new(report);
    let started = Instant::now();
    let mut workspace = Workspace::open(&options.root, true);
    let first = Snapshot::new(
        1,
        workspace.archive(),
        workspace.theme(),
        (options.today)(),
        workspace.problems(),
        Vec::new(),
        None,
    );
    let base = server::base_path(&first.archive().config.base_url);
    let post_mortems = first.archive().post_mortems.len();
    let tally = first.tally;
    let problems = first.problems.clone();
    let site = LiveSite::new(first);
    let took = started.elapsed();

    let search = spawn_search(Arc::clone(&site), Arc::clone(&report));
    let _ = search.send(site.current());

    let watcher = match (options.watch, options.poll) {
        (false, _) => None,
        (true, true) => Some(Watcher::new(&options.root, true)?),
        // System events can run out (inotify's watch limit on a large
        // tree): polling still works.
        (true, false) => Some(match Watcher::new(&options.root, false) {
            Ok(watcher) => watcher,
            Err(native) => {
                let mut watcher = Watcher::new(&options.root, true)?;
                watcher.explain(format!("file events unavailable: {native}"));
                watcher
            }
        }),
    };
    let addr = listener.local_addr()?;
    report(Event::Ready {
        url: format!("http://{addr}{}", server::encode_path(&base)),
        watcher: watcher.as_ref().map(|w| w.name().to_string()),
        post_mortems,
        took,
        tally,
        problems,
    });

    if let Some(mut watcher) = watcher {
        let site = Arc::clone(&site);
        let report = Arc::clone(&report);
        std::thread::Builder::new()
            .name("hindsight-watch".into())
            .spawn(move || {
                let mut recent: Vec<String> = Vec::new();
                while let Some(batch) = watcher.next_batch() {
                    rebuild(
                        &mut workspace,
                        &options.root,
                        &batch,
                        &mut recent,
                        &site,
                        options.today,
                        &*report,
                    );
                    let _ = search.send(site.current());
                }
            })?;
    }

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("hindsight-http")
        .build()?;
    runtime.block_on(server::run(listener, site))?;
    Ok(())
}

/// Applies one batch of changes and swaps in the new version.
fn rebuild(
    workspace: &mut Workspace,
    root: &Path,
    batch: &Batch,
    recent: &mut Vec<String>,
    site: &LiveSite,
    today: fn() -> Date,
    report: &dyn Fn(Event),
) {
    let started = Instant::now();
    let applied = workspace.apply(&batch.change);
    if applied.changed.is_empty() {
        return;
    }
    for file in applied.changed.iter().rev() {
        if file.starts_with(crate::content::DIR_NAME) {
            recent.retain(|f| f != file);
            recent.insert(0, file.clone());
        }
    }
    recent.truncate(RECENT);
    let previous = site.current();
    let config_changed = applied
        .changed
        .iter()
        .any(|c| c == crate::config::FILE_NAME);
    let snapshot = Snapshot::new(
        previous.generation + 1,
        workspace.archive(),
        workspace.theme(),
        today(),
        workspace.problems(),
        recent.clone(),
        (!config_changed).then_some(&*previous),
    );
    drop(previous);
    let tally = snapshot.tally;
    let problems = snapshot.problems.clone();
    site.swap(snapshot);
    report(Event::Rebuilt {
        changed: applied
            .changed
            .into_iter()
            .flat_map(|name| changed(name, batch, root))
            .collect(),
        revalidated: applied.revalidated,
        took: started.elapsed(),
        tally,
        problems,
    });
}

/// What `name`, an entry of `Applied::changed`, was.
fn changed(name: String, batch: &Batch, root: &Path) -> Vec<Changed> {
    // The workspace reloads templates and static files together, as "theme";
    // the watcher saw which. Lost events name neither: say theme.
    if name == "theme" {
        let mut what = Vec::new();
        if batch.themes || !batch.static_files {
            what.push(Changed::Theme);
        }
        if batch.static_files {
            what.push(Changed::StaticFiles);
        }
        what
    } else if root.join(&name).exists() {
        vec![Changed::File(name)]
    } else {
        vec![Changed::Removed(name)]
    }
}

/// An index that a newer snapshot made useless before it was done.
struct Stale;

/// A thread that indexes the latest snapshot once the edits pause; a newer
/// snapshot arriving meanwhile replaces the one waiting.
fn spawn_search(
    site: Arc<LiveSite>,
    report: Arc<dyn Fn(Event) + Send + Sync>,
) -> mpsc::Sender<Arc<Snapshot>> {
    let (tx, rx) = mpsc::channel::<Arc<Snapshot>>();
    let on_failure = Arc::clone(&report);
    let spawned = std::thread::Builder::new()
        .name("hindsight-search".into())
        .spawn(move || {
            // Shared with the index's threads, which look for newer saves.
            let rx = Mutex::new(rx);
            let receiver = || rx.lock().unwrap_or_else(|e| e.into_inner());
            let mut pending: Option<Arc<Snapshot>> = None;
            loop {
                let mut latest = match pending.take() {
                    Some(snapshot) => snapshot,
                    None => match receiver().recv() {
                        Ok(snapshot) => snapshot,
                        Err(_) => return,
                    },
                };
                while let Ok(newer) = receiver().recv_timeout(SEARCH_PAUSE) {
                    latest = newer;
                }
                let started = Instant::now();
                let archive = latest.archive();
                let records = search::records(&archive.all(), latest.views().summaries());
                let count = records.len();
                // A save during indexing makes this index stale: start over.
                let newer = Mutex::new(None);
                let files = Mutex::new(Vec::new());
                let outcome = search_index::write(records, &|file| {
                    let mut newer = newer.lock().unwrap_or_else(|e| e.into_inner());
                    while let Ok(snapshot) = receiver().try_recv() {
                        *newer = Some(snapshot);
                    }
                    if newer.is_some() {
                        return Err(Stale);
                    }
                    files.lock().unwrap_or_else(|e| e.into_inner()).push(file);
                    Ok(())
                });
                match outcome {
                    Ok(_) => {
                        site.set_search(files.into_inner().unwrap_or_else(|e| e.into_inner()));
                        report(Event::Indexed {
                            records: count,
                            took: started.elapsed(),
                        });
                    }
                    Err(Stale) => pending = newer.into_inner().unwrap_or_else(|e| e.into_inner()),
                }
            }
        });
    if spawned.is_err() {
        on_failure(Event::SearchFailed(
            "could not start the search indexing thread".into(),
        ));
    }
    tx
}
