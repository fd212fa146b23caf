//! Writing the site: into a staging folder beside the output, swapped in
//! only when complete, so a failed build never destroys the last good one.
//! Files identical to the previous build are hard-linked, not rewritten.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

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

/// Replaces the folder `out` with exactly `files`.
pub fn write_site(out: &Path, files: &[OutputFile]) -> Result<WriteStats, OutputError> {
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
    let parent = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    fs::create_dir_all(parent).map_err(io(parent, "creating"))?;
    let name = out
        .file_name()
        .map_or_else(|| "site".into(), |n| n.to_string_lossy().into_owned());
    let staging = parent.join(format!(".{name}.hindsight-staging-{}", std::process::id()));
    let old = parent.join(format!(".{name}.hindsight-old-{}", std::process::id()));
    if staging.exists() {
        fs::remove_dir_all(&staging).map_err(io(&staging, "clearing"))?;
    }
    let result = fill(&staging, out, files);
    let stats = match result {
        Ok(stats) => stats,
        Err(e) => {
            let _ = fs::remove_dir_all(&staging);
            return Err(e);
        }
    };
    if out.exists() {
        fs::rename(out, &old).map_err(io(out, "moving the previous build aside"))?;
    }
    if let Err(source) = fs::rename(&staging, out) {
        // Put the previous build back before reporting.
        let _ = fs::rename(&old, out);
        return Err(OutputError::Io {
            path: out.to_path_buf(),
            action: "moving the new build in",
            source,
        });
    }
    if old.exists() {
        fs::remove_dir_all(&old).map_err(io(&old, "removing the previous build"))?;
    }
    Ok(stats)
}

fn fill(staging: &Path, previous: &Path, files: &[OutputFile]) -> Result<WriteStats, OutputError> {
    fs::create_dir_all(staging).map_err(io(staging, "creating"))?;
    let mut dirs: Vec<PathBuf> = files
        .iter()
        .filter_map(|f| Path::new(&f.path).parent().map(Path::to_path_buf))
        .collect();
    dirs.sort();
    dirs.dedup();
    for dir in &dirs {
        let path = staging.join(dir);
        fs::create_dir_all(&path).map_err(io(&path, "creating"))?;
    }
    let outcomes: Vec<Result<bool, OutputError>> = files
        .par_iter()
        .map(|file| {
            if file
                .path
                .split('/')
                .any(|part| part == ".." || part.is_empty())
                || file.path.starts_with('/')
            {
                return Err(OutputError::BadPath(file.path.clone()));
            }
            let target = staging.join(&file.path);
            let before = previous.join(&file.path);
            if same_content(&before, &file.bytes) && fs::hard_link(&before, &target).is_ok() {
                return Ok(false);
            }
            let mut handle = fs::File::create(&target).map_err(io(&target, "creating"))?;
            handle
                .write_all(&file.bytes)
                .map_err(io(&target, "writing"))?;
            Ok(true)
        })
        .collect();
    let mut stats = WriteStats::default();
    for outcome in outcomes {
        if outcome? {
            stats.written += 1;
        } else {
            stats.unchanged += 1;
        }
    }
    let marker = staging.join(MARKER);
    fs::write(
        &marker,
        concat!("built by hindsight ", env!("CARGO_PKG_VERSION"), "\n"),
    )
    .map_err(io(&marker, "writing"))?;
    Ok(stats)
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
