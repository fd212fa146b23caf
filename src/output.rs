//! Writing the site: into a staging folder beside the output, swapped in
//! only when complete, so a failed build never destroys the last good one.
//! Files identical to the previous build are hard-linked, not rewritten.

use std::collections::HashSet;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use rayon::prelude::*;
use thiserror::Error;

/// A file of the built site, with its path relative to the output root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputFile {
    pub path: String,
    pub bytes: Vec<u8>,
}

/// Present in every folder hindsight writes; its absence stops hindsight from
/// replacing a folder it did not make.
pub const MARKER: &str = ".hindsight-output";

#[derive(Debug, Error)]
pub enum OutputError {
    #[error("{path}: {action}")]
    Io {
        path: PathBuf,
        action: &'static str,
        source: std::io::Error,
    },
    #[error("{path} exists and was not written by hindsight; refusing to replace it (choose another --out, or empty it)")]
    NotOurs { path: PathBuf },
    #[error("output path {0} is not valid for a site file")]
    BadPath(String),
}

fn io<'p>(path: &'p Path, action: &'static str) -> impl FnOnce(std::io::Error) -> OutputError + 'p {
    move |source| OutputError::Io {
        path: path.to_path_buf(),
        action,
        source,
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriteStats {
    pub written: usize,
    pub unchanged: usize,
}

/// Replaces the folder `out` with exactly `files`. First repairs what a
/// killed build may have left beside `out`.
pub fn write_site(out: &Path, files: &[OutputFile]) -> Result<WriteStats, OutputError> {
    let staging = Staging::begin(out)?;
    files
        .par_iter()
        .try_for_each(|file| staging.put(&file.path, &file.bytes))?;
    staging.commit()
}

/// A build being written: each file goes into a staging folder beside the
/// output as soon as it is rendered, so the site is never held in memory
/// whole; `commit` swaps the folder in. Dropped without `commit` (a failed
/// build), the staging folder is removed and the output left as it was.
pub struct Staging {
    staging: PathBuf,
    out: PathBuf,
    old: PathBuf,
    /// Folders made so far, so each is created once.
    folders: Mutex<HashSet<PathBuf>>,
    written: AtomicUsize,
    unchanged: AtomicUsize,
    committed: bool,
}

impl Staging {
    /// Checks that `out` may be replaced (after repairing what a killed
    /// build left beside it) and makes the staging folder.
    pub fn begin(out: &Path) -> Result<Staging, OutputError> {
        let (parent, name) = beside(out);
        recover(parent, &name, out)?;
        if out.exists() && !out.is_dir() {
            return Err(OutputError::NotOurs {
                path: out.to_path_buf(),
            });
        }
        let has_content = out.is_dir()
            && fs::read_dir(out)
                .map_err(io(out, "listing"))?
                .next()
                .is_some();
        if has_content && !out.join(MARKER).is_file() {
            return Err(OutputError::NotOurs {
                path: out.to_path_buf(),
            });
        }
        fs::create_dir_all(parent).map_err(io(parent, "creating"))?;
        let pid = std::process::id();
        let staging = parent.join(format!(".{name}.hindsight-staging-{pid}"));
        fs::create_dir_all(&staging).map_err(io(&staging, "creating"))?;
        Ok(Staging {
            old: parent.join(format!(".{name}.hindsight-old-{pid}")),
            out: out.to_path_buf(),
            folders: Mutex::new(HashSet::from([staging.clone()])),
            staging,
            written: AtomicUsize::new(0),
            unchanged: AtomicUsize::new(0),
            committed: false,
        })
    }

    /// Writes one file of the site (`path` relative to its root), or
    /// hard-links the previous build's copy when it has the same bytes.
    pub fn put(&self, path: &str, bytes: &[u8]) -> Result<(), OutputError> {
        if path.split('/').any(|part| part == ".." || part.is_empty()) || path.starts_with('/') {
            return Err(OutputError::BadPath(path.to_string()));
        }
        let target = self.staging.join(path);
        if let Some(folder) = target.parent() {
            let mut folders = self.folders.lock().unwrap_or_else(|e| e.into_inner());
            if !folders.contains(folder) {
                fs::create_dir_all(folder).map_err(io(folder, "creating"))?;
                folders.insert(folder.to_path_buf());
            }
        }
        let before = self.out.join(path);
        if same_content(&before, bytes) && fs::hard_link(&before, &target).is_ok() {
            self.unchanged.fetch_add(1, Ordering::Relaxed);
            return Ok(());
        }
        let mut handle = fs::File::create(&target).map_err(io(&target, "creating"))?;
        handle.write_all(bytes).map_err(io(&target, "writing"))?;
        self.written.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    /// Marks the staging folder as hindsight's and swaps it in for the output.
    pub fn commit(mut self) -> Result<WriteStats, OutputError> {
        let marker = self.staging.join(MARKER);
        fs::write(
            &marker,
            concat!("built by hindsight ", env!("CARGO_PKG_VERSION"), "\n"),
        )
        .map_err(io(&marker, "writing"))?;
        // From here the staging folder is either the output or, on a failed
        // swap, for `recover` to deal with; never removed by `drop`.
        self.committed = true;
        swap(&self.staging, &self.out, &self.old)?;
        Ok(WriteStats {
            written: self.written.load(Ordering::Relaxed),
            unchanged: self.unchanged.load(Ordering::Relaxed),
        })
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_dir_all(&self.staging);
        }
    }
}

/// The folder holding `out`, and `out`'s name.
fn beside(out: &Path) -> (&Path, String) {
    let parent = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = out
        .file_name()
        .map_or_else(|| "site".into(), |n| n.to_string_lossy().into_owned());
    (parent, name)
}

/// Puts back the previous build of `out` if a killed build left it moved
/// aside. Called before a build starts, so the site is back even when the
/// build then fails before it writes.
pub fn recover_site(out: &Path) -> Result<(), OutputError> {
    let (parent, name) = beside(out);
    recover(parent, &name, out)
}

/// A folder a build makes beside `out` while it runs:
/// `.<name>.hindsight-staging-<pid>` or `.<name>.hindsight-old-<pid>`.
struct Leftover {
    path: PathBuf,
    old: bool,
    pid: u32,
}

/// Undoes what a killed build leaves: `out` moved aside with the new build
/// not yet moved in (only possible with the two-rename swap), and staging or
/// old folders that nobody would ever remove.
fn recover(parent: &Path, name: &str, out: &Path) -> Result<(), OutputError> {
    let mut found = leftovers(parent, name)?;
    if !out.exists() {
        let previous = found
            .iter()
            .position(|l| l.old && running(l.pid) != Some(true) && l.path.join(MARKER).is_file());
        if let Some(previous) = previous.map(|i| found.remove(i)) {
            fs::rename(&previous.path, out)
                .map_err(io(&previous.path, "restoring the previous build"))?;
        }
    }
    for leftover in found.iter().filter(|l| running(l.pid) == Some(false)) {
        fs::remove_dir_all(&leftover.path)
            .map_err(io(&leftover.path, "removing what a killed build left"))?;
    }
    Ok(())
}

fn leftovers(parent: &Path, name: &str) -> Result<Vec<Leftover>, OutputError> {
    let entries = match fs::read_dir(parent) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io(parent, "listing")(e)),
    };
    let prefix = format!(".{name}.hindsight-");
    let mut found = Vec::new();
    for entry in entries {
        let entry = entry.map_err(io(parent, "listing"))?;
        if !entry.file_type().is_ok_and(|t| t.is_dir()) {
            continue;
        }
        let file_name = entry.file_name();
        let Some(rest) = file_name.to_str().and_then(|n| n.strip_prefix(&prefix)) else {
            continue;
        };
        let (old, pid) = match (rest.strip_prefix("old-"), rest.strip_prefix("staging-")) {
            (Some(pid), _) => (true, pid),
            (_, Some(pid)) => (false, pid),
            _ => continue,
        };
        if let Ok(pid) = pid.parse() {
            found.push(Leftover {
                path: entry.path(),
                old,
                pid,
            });
        }
    }
    // Directory order is arbitrary; recovery should not be.
    found.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(found)
}

/// Whether the build that made a leftover may still be running; `None`
/// where the OS offers no cheap way to tell. This process's own id means a
/// dead process that had the id before: a process writes one site at a time.
fn running(pid: u32) -> Option<bool> {
    if pid == std::process::id() {
        Some(false)
    } else if cfg!(target_os = "linux") {
        Some(Path::new("/proc").join(pid.to_string()).exists())
    } else {
        None
    }
}

/// Puts the complete `staging` in place of `out`. Where the OS exchanges two
/// folders in one step `out` never goes missing; elsewhere a build killed
/// between the two renames leaves `old`, which `recover` puts back.
fn swap(staging: &Path, out: &Path, old: &Path) -> Result<(), OutputError> {
    if !out.exists() {
        return fs::rename(staging, out).map_err(io(out, "moving the new build in"));
    }
    #[cfg(any(target_os = "linux", target_os = "android", target_vendor = "apple"))]
    {
        use rustix::fs::{renameat_with, RenameFlags, CWD};
        // A failed exchange moves nothing (a file system without it says
        // EINVAL), so the renames below are still safe to try.
        if renameat_with(CWD, staging, CWD, out, RenameFlags::EXCHANGE).is_ok() {
            return fs::remove_dir_all(staging).map_err(io(staging, "removing the previous build"));
        }
    }
    fs::rename(out, old).map_err(io(out, "moving the previous build aside"))?;
    if let Err(source) = fs::rename(staging, out) {
        // Put the previous build back before reporting; should that fail
        // too, the next build's `recover` does it.
        let _ = fs::rename(old, out);
        return Err(OutputError::Io {
            path: out.to_path_buf(),
            action: "moving the new build in",
            source,
        });
    }
    fs::remove_dir_all(old).map_err(io(old, "removing the previous build"))
}

fn same_content(path: &Path, bytes: &[u8]) -> bool {
    match fs::metadata(path) {
        Ok(meta) if meta.is_file() && meta.len() == bytes.len() as u64 => {
            fs::read(path).is_ok_and(|old| old == bytes)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, text: &str) -> OutputFile {
        OutputFile {
            path: path.into(),
            bytes: text.as_bytes().to_vec(),
        }
    }

    #[test]
    fn replaces_the_site_and_links_unchanged_files() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("public");
        let first =
            write_site(&out, &[file("index.html", "a"), file("x/index.html", "b")]).unwrap();
        assert_eq!(
            first,
            WriteStats {
                written: 2,
                unchanged: 0
            }
        );
        let second =
            write_site(&out, &[file("index.html", "a"), file("y/index.html", "c")]).unwrap();
        assert_eq!(
            second,
            WriteStats {
                written: 1,
                unchanged: 1
            }
        );
        assert_eq!(fs::read_to_string(out.join("y/index.html")).unwrap(), "c");
        assert!(
            !out.join("x").exists(),
            "files of the previous build that are gone disappear"
        );
        let leftovers: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(leftovers, ["public"]);
    }

    #[test]
    fn refuses_to_replace_a_folder_it_did_not_write() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("precious.txt"), "keep").unwrap();
        let err = write_site(dir.path(), &[file("index.html", "a")]).unwrap_err();
        assert!(matches!(err, OutputError::NotOurs { .. }));
        assert!(dir.path().join("precious.txt").exists());
    }

    #[test]
    fn a_failed_build_leaves_the_previous_site() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("public");
        write_site(&out, &[file("index.html", "good")]).unwrap();
        let err = write_site(&out, &[file("../escape.html", "bad")]).unwrap_err();
        assert!(matches!(err, OutputError::BadPath(_)));
        assert_eq!(fs::read_to_string(out.join("index.html")).unwrap(), "good");
    }
}
