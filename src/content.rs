//! Loading: finding the post-mortem files under `content/` and reading them
//! (the pipeline reads each one just before it parses it).

use std::path::{Path, PathBuf};

use thiserror::Error;
use walkdir::WalkDir;

use crate::finding::{Finding, Findings, Rule};
use crate::limits::MAX_FILE_BYTES;
use crate::source::{LineIndex, Pos};

pub const DIR_NAME: &str = "content";

#[derive(Debug, Error)]
pub enum ContentError {
    #[error("there is no content folder at {path}: post-mortems are Markdown files in `content/` beside `site.toml`; create the folder, or write the first post-mortem with `hindsight new \"<title>\"`")]
    Missing { path: PathBuf },
}

/// A post-mortem file's text, or the finding that says why it has none.
#[derive(Debug)]
pub struct Loaded {
    /// Path below `content/`.
    pub relative: PathBuf,
    /// Path as shown in findings: `content/2017/s3.md`.
    pub display: String,
    pub text: Result<String, Finding>,
}

/// Files and folders starting with `_` or `.` are not post-mortems.
fn is_hidden(name: &std::ffi::OsStr) -> bool {
    name.to_str().is_some_and(|n| n.starts_with(['_', '.']))
}

fn display_path(relative: &Path) -> String {
    let mut s = String::from(DIR_NAME);
    for part in relative.iter() {
        s.push('/');
        s.push_str(&part.to_string_lossy());
    }
    s
}

/// The post-mortem files below `ROOT/content` (paths below it, sorted), and
/// the paths that could not be listed, as findings.
pub fn list(root: &Path) -> Result<(Vec<PathBuf>, Vec<Loaded>), ContentError> {
    let dir = root.join(DIR_NAME);
    if !dir.is_dir() {
        return Err(ContentError::Missing { path: dir });
    }
    let mut paths = Vec::new();
    let mut failed = Vec::new();
    let inside = Inside::new(root);
    let mut walker = WalkDir::new(&dir)
        .follow_links(true)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !is_hidden(e.file_name()));
    while let Some(entry) = walker.next() {
        match entry {
            Ok(e) if e.path_is_symlink() && !inside.holds(e.path()) => {
                if e.file_type().is_dir() {
                    walker.skip_current_dir();
                }
                if e.file_type().is_dir() || is_markdown(e.path()) {
                    let relative = e.path().strip_prefix(&dir).unwrap_or(e.path());
                    failed.push(outside_link(relative));
                }
            }
            Ok(e) if e.file_type().is_file() && is_markdown(e.path()) => {
                let relative = e
                    .path()
                    .strip_prefix(&dir)
                    .unwrap_or(e.path())
                    .to_path_buf();
                paths.push(relative);
            }
            Ok(_) => {}
            Err(err) => {
                let path = err.path().unwrap_or(&dir);
                let relative = path.strip_prefix(&dir).unwrap_or(path).to_path_buf();
                let display = display_path(&relative);
                let mut f = Findings::new(display.clone().into());
                let dangling = path.symlink_metadata().is_ok() && !path.exists();
                let (why, hint) = if err.loop_ancestor().is_some() {
                    (
                        "a symbolic link here loops back to a folder above it".to_string(),
                        "Remove the link or point it elsewhere; the rest of the archive is built without it.",
                    )
                } else if dangling {
                    (
                        "this symbolic link points to nothing".to_string(),
                        "Restore the file it points to, or remove the link; the rest of the archive is built without it.",
                    )
                } else {
                    (
                        err.io_error()
                            .map_or_else(|| err.to_string(), ToString::to_string),
                        "Check the permissions of the file or folder; the rest of the archive is built without it.",
                    )
                };
                f.error(
                    Rule::Read,
                    Pos::START,
                    format!("cannot read this path: {why}"),
                    hint,
                );
                failed.push(Loaded {
                    relative,
                    display,
                    text: Err(f.into_sorted().remove(0)),
                });
            }
        }
    }
    Ok((paths, failed))
}

/// The site folder, resolved, to tell where a symbolic link leads. Links are
/// followed only when they lead inside it: a post-mortem linked to a file
/// elsewhere on the machine would publish that file.
struct Inside {
    root: Option<PathBuf>,
}

impl Inside {
    fn new(root: &Path) -> Self {
        Inside {
            root: root.canonicalize().ok(),
        }
    }

    fn holds(&self, path: &Path) -> bool {
        match (&self.root, path.canonicalize()) {
            (Some(root), Ok(target)) => target.starts_with(root),
            _ => false,
        }
    }
}

fn outside_link(relative: &Path) -> Loaded {
    let display = display_path(relative);
    let mut f = Findings::new(display.clone().into());
    f.error(
        Rule::Read,
        Pos::START,
        "this symbolic link leads outside the site folder, so it is not followed",
        "Copy the post-mortem into content/, or link only to files inside the site folder.",
    );
    Loaded {
        relative: relative.to_path_buf(),
        display,
        text: Err(f.into_sorted().remove(0)),
    }
}

fn is_markdown(path: &Path) -> bool {
    path.extension().is_some_and(|x| x == "md")
}

/// Whether `relative` (a path below `content/`) names a post-mortem file:
/// Markdown, with no hidden or `_` part.
pub fn is_post_mortem(relative: &Path) -> bool {
    is_markdown(relative) && !relative.iter().any(is_hidden)
}

/// Reads one post-mortem file, `relative` to `ROOT/content`.
pub fn read(root: &Path, relative: PathBuf) -> Loaded {
    let path = root.join(DIR_NAME).join(&relative);
    let is_link = path
        .symlink_metadata()
        .is_ok_and(|m| m.file_type().is_symlink());
    if is_link && !Inside::new(root).holds(&path) {
        return outside_link(&relative);
    }
    let display = display_path(&relative);
    let text = read_text(&path, &display);
    Loaded {
        relative,
        display,
        text,
    }
}

/// Reads at most `limits::MAX_FILE_BYTES`, even if the file grows while it
/// is read; `Ok(None)` for a larger file, with its size.
fn read_bounded(path: &Path) -> std::io::Result<Result<Vec<u8>, u64>> {
    use std::io::Read;
    let file = std::fs::File::open(path)?;
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        let size = std::fs::metadata(path).map_or(bytes.len() as u64, |m| m.len());
        return Ok(Err(size));
    }
    Ok(Ok(bytes))
}

fn read_text(path: &Path, display: &str) -> Result<String, Finding> {
    let mut f = Findings::new(display.into());
    match read_bounded(path) {
        Ok(Err(size)) => f.error(
            Rule::Read,
            Pos::START,
            format!(
                "this file is {:.1} MiB, more than the {} MiB a post-mortem may be, so it is not read",
                size as f64 / (1024.0 * 1024.0),
                MAX_FILE_BYTES / (1024 * 1024)
            ),
            "Keep logs, dumps and data out of the post-mortem: attach them elsewhere and link to them.",
        ),
        Ok(Ok(bytes)) => match String::from_utf8(bytes) {
            Ok(text) => return Ok(text),
            Err(err) => {
                let valid = err.utf8_error().valid_up_to();
                let bytes = err.as_bytes();
                let prefix = std::str::from_utf8(&bytes[..valid]).unwrap_or_default();
                let pos = LineIndex::new(prefix).pos(prefix, valid);
                f.error(
                    Rule::Read,
                    pos,
                    format!("this file is not UTF-8 text (invalid byte 0x{:02x} at byte offset {valid})", bytes[valid]),
                    "Save the file as UTF-8 in your editor; if it is not a post-mortem, give it another extension.",
                );
            }
        },
        Err(err) => f.error(
            Rule::Read,
            Pos::START,
            format!("cannot read this file: {err}"),
            "Check the file's permissions; the rest of the archive is built without it.",
        ),
    }
    Err(f.into_sorted().remove(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every post-mortem file below `root`, read, as the build reads them.
    fn load(root: &Path) -> Result<Vec<Loaded>, ContentError> {
        let (paths, mut loaded) = list(root)?;
        loaded.extend(paths.into_iter().map(|relative| read(root, relative)));
        Ok(loaded)
    }

    #[test]
    fn loads_markdown_skipping_hidden_and_underscore_paths() {
        let dir = tempfile::tempdir().unwrap();
        let content = dir.path().join("content");
        for p in [
            "2024/a.md",
            "b.md",
            "_drafts/c.md",
            ".git/d.md",
            "2024/_e.md",
            "notes.txt",
        ] {
            let path = content.join(p);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, "x").unwrap();
        }
        let loaded = load(dir.path()).unwrap();
        let names: Vec<_> = loaded.iter().map(|l| l.display.as_str()).collect();
        assert_eq!(names, ["content/2024/a.md", "content/b.md"]);
    }

    #[test]
    fn non_utf8_file_is_a_finding_with_its_position() {
        let dir = tempfile::tempdir().unwrap();
        let content = dir.path().join("content");
        std::fs::create_dir_all(&content).unwrap();
        std::fs::write(content.join("bad.md"), b"---\ntitle: caf\xe9\n").unwrap();
        let loaded = load(dir.path()).unwrap();
        let finding = loaded[0].text.as_ref().unwrap_err();
        assert_eq!(
            (finding.rule, finding.line, finding.column),
            (Rule::Read, 2, 11)
        );
        assert!(
            finding.message.contains("byte offset 14"),
            "{}",
            finding.message
        );
    }

    #[test]
    fn missing_content_folder_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(
            load(dir.path()),
            Err(ContentError::Missing { .. })
        ));
    }
}
