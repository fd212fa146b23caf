//! Output integrity: a build killed at any moment leaves the previous site
//! whole, the next build repairs what it left behind, and the search index
//! is reproducible. (Failed builds, deleted post-mortems and byte-identical
//! pages are in `tests/build.rs`.)

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use common::*;
use hindsight::output::{self, OutputError, OutputFile, MARKER};

/// 2023-11-14T22:13:20Z.
const EPOCH: &str = "1700000000";

type Files = BTreeMap<String, Vec<u8>>;

/// The folders a build makes beside `out` (`.<name>.hindsight-…`).
fn leftovers(out: &Path) -> Vec<String> {
    let prefix = format!(".{}.hindsight-", out.file_name().unwrap().to_str().unwrap());
    let mut found: Vec<String> = fs::read_dir(out.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(&prefix))
        .collect();
    found.sort();
    found
}

/// The id of a process that has exited and been reaped.
fn dead_pid() -> u32 {
    let mut child = Command::new(env!("CARGO_BIN_EXE_hindsight"))
        .arg("--version")
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    child.wait().unwrap();
    child.id()
}

// ---- a killed build -------------------------------------------------------------

/// Post-mortems in the large site. Rendering happens in memory before the
/// staging folder appears, so this sets how long the folder is being filled
/// (and swapped) compared with how fast the test notices it.
const COPIES: usize = 400;

/// `VALID` as post-mortem `i`: two days after the one before, so that with
/// `recurrence_days = 1` no two recur (identical dates would make every
/// page list every other incident, and the site quadratic).
fn copy(i: usize) -> String {
    let day = jiff::civil::date(2000, 1, 1)
        .checked_add(jiff::Span::new().days(2 * i as i64))
        .unwrap();
    let due = day.checked_add(jiff::Span::new().days(30)).unwrap();
    VALID
        .replace("2024-03-14", &day.to_string())
        .replace("2024-04-30", &due.to_string())
}

/// Version A of the large site, or B: three post-mortems deleted and one
/// retitled, so every shared page differs between the two.
fn write_version(site: &Site, b: bool) {
    for i in 0..3 {
        let path = site.root().join(format!("content/2024/pm-{i:04}.md"));
        if b {
            let _ = fs::remove_file(path);
        } else {
            fs::write(path, copy(i)).unwrap();
        }
    }
    let text = copy(3);
    let retitled = text.replace("title: Checkout errors", "title: Checkout failures");
    site.write("2024/pm-0003.md", if b { &retitled } else { &text });
}

fn spawn_build(site: &Site, out: &Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_hindsight"))
        .args(["build", "--root"])
        .arg(site.root())
        .arg("--out")
        .arg(out)
        .env("SOURCE_DATE_EPOCH", EPOCH)
        .env("NO_COLOR", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("run hindsight")
}

/// Waits until `child`'s staging folder exists; returns when it appeared,
/// or `None` if the build ended first.
fn wait_for_staging(child: &mut Child, out: &Path) -> Option<Instant> {
    let name = out.file_name().unwrap().to_str().unwrap();
    let staging = out.with_file_name(format!(".{name}.hindsight-staging-{}", child.id()));
    let deadline = Instant::now() + Duration::from_secs(300);
    while child.try_wait().unwrap().is_none() {
        if staging.exists() {
            return Some(Instant::now());
        }
        assert!(Instant::now() < deadline, "the build never started writing");
        thread::sleep(Duration::from_micros(200));
    }
    None
}

#[test]
fn a_killed_build_leaves_the_previous_site_and_the_next_build_cleans_up() {
    let site = Site::with_config(&edit(
        &site_toml("UTC"),
        "min_whys = 2\n",
        "min_whys = 2\nrecurrence_days = 1\n",
    ));
    for i in 3..COPIES {
        site.write(&format!("2024/pm-{i:04}.md"), &copy(i));
    }
    write_version(&site, false);
    let out = site.out("public");
    let first = build(&site.root(), &out, &[], Some(EPOCH));
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    let a = snapshot(&out);

    // An uninterrupted rebuild, to learn how long its staging folder lives
    // (filled, swapped in, then holding the previous site until removed).
    write_version(&site, true);
    let mut child = spawn_build(&site, &out);
    let appeared = wait_for_staging(&mut child, &out).expect("staging folder seen");
    let staging = out.with_file_name(format!(".public.hindsight-staging-{}", child.id()));
    while staging.exists() {
        thread::sleep(Duration::from_micros(200));
    }
    let lifetime = appeared.elapsed();
    assert!(child.wait().unwrap().success());
    let b = snapshot(&out);
    assert!(a != b, "the two versions of the site must differ");

    // From "just started filling" to "around and after the swap".
    let mut on_b = true;
    for (round, tenths) in [0, 5, 9, 10, 11].into_iter().enumerate() {
        let (before, next) = if on_b { (&b, &a) } else { (&a, &b) };
        write_version(&site, !on_b);
        let mut child = spawn_build(&site, &out);
        let seen = wait_for_staging(&mut child, &out);
        if seen.is_some() {
            thread::sleep(lifetime * tenths / 10);
            child.kill().unwrap();
        }
        let status = child.wait().unwrap();
        if round == 0 {
            assert!(seen.is_some(), "the build ended before it was seen writing");
            assert!(status.code().is_none(), "the build was not killed mid-way");
            assert!(
                !leftovers(&out).is_empty(),
                "a build killed while filling leaves its staging folder"
            );
        }
        let now = snapshot(&out);
        assert!(
            now == *before || now == *next,
            "a build killed {tenths}/10 of the way through its write left a damaged site \
             ({} files; before {}, complete {})",
            now.len(),
            before.len(),
            next.len()
        );
        on_b = now == b;
    }

    write_version(&site, !on_b);
    let last = build(&site.root(), &out, &[], Some(EPOCH));
    assert_eq!(last.status.code(), Some(0), "{}", stderr(&last));
    assert!(snapshot(&out) == if on_b { a } else { b });
    if cfg!(target_os = "linux") {
        assert_eq!(leftovers(&out), Vec::<String>::new());
    }
}

// ---- recovery, at the library level -------------------------------------------

fn file(path: &str, text: &str) -> OutputFile {
    OutputFile {
        path: path.into(),
        bytes: text.as_bytes().to_vec(),
    }
}

/// What a build killed between its two renames leaves: `out` moved aside
/// to the old folder, and its own complete staging folder.
fn crashed_between_renames(dir: &Path) -> (PathBuf, Files) {
    let out = dir.join("public");
    output::write_site(
        &out,
        &[file("index.html", "previous"), file("a/index.html", "kept")],
    )
    .unwrap();
    let previous = snapshot(&out);
    let pid = dead_pid();
    fs::rename(&out, dir.join(format!(".public.hindsight-old-{pid}"))).unwrap();
    let staging = dir.join(format!(".public.hindsight-staging-{pid}"));
    fs::create_dir_all(&staging).unwrap();
    fs::write(staging.join("index.html"), "crashed").unwrap();
    fs::write(staging.join(MARKER), "built by hindsight\n").unwrap();
    (out, previous)
}

#[test]
fn a_build_after_a_crash_between_the_renames_restores_then_replaces_the_site() {
    let dir = tempfile::tempdir().unwrap();
    let (out, _) = crashed_between_renames(dir.path());
    let stats = output::write_site(
        &out,
        &[file("index.html", "new"), file("a/index.html", "kept")],
    )
    .unwrap();
    // The unchanged page was linked from the restored previous build.
    assert_eq!((stats.written, stats.unchanged), (1, 1));
    let site = snapshot(&out);
    assert_eq!(site["index.html"], b"new");
    assert_eq!(site["a/index.html"], b"kept");
    assert_eq!(site.len(), 3, "{:?}", site.keys());
    if cfg!(target_os = "linux") {
        assert_eq!(leftovers(&out), Vec::<String>::new());
    }
}

#[test]
fn a_failing_build_after_a_crash_between_the_renames_still_restores_the_site() {
    let dir = tempfile::tempdir().unwrap();
    let (out, previous) = crashed_between_renames(dir.path());
    let err = output::write_site(&out, &[file("../escape.html", "bad")]).unwrap_err();
    assert!(matches!(err, OutputError::BadPath(_)), "{err}");
    assert!(snapshot(&out) == previous, "the previous site is not back");
}

#[cfg(unix)]
#[test]
fn leftovers_of_a_build_still_running_are_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("public");
    // The test runner's parent is alive for as long as this test runs.
    let running = dir.path().join(format!(
        ".public.hindsight-staging-{}",
        std::os::unix::process::parent_id()
    ));
    fs::create_dir_all(&running).unwrap();
    let dead = dir
        .path()
        .join(format!(".public.hindsight-staging-{}", dead_pid()));
    fs::create_dir_all(&dead).unwrap();
    output::write_site(&out, &[file("index.html", "a")]).unwrap();
    assert!(
        running.is_dir(),
        "a running build's staging folder was removed"
    );
    assert_eq!(!dead.exists(), cfg!(target_os = "linux"));
}

// ---- reproducible search index --------------------------------------------------

#[test]
fn the_search_index_is_byte_identical_between_two_builds() {
    let site = Site::new();
    site.write("2024/a.md", VALID)
        .write("2024/b.md", &valid_with("severity: P1", "severity: P2"))
        .write(
            "2023/c.md",
            &valid_with("title: Checkout errors", "title: Payment timeouts"),
        );
    let index = |name: &str| -> Files {
        let out = site.out(name);
        let output = build(&site.root(), &out, &[], Some(EPOCH));
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
        snapshot(&out)
            .into_iter()
            .filter(|(path, _)| path.starts_with("search-index/"))
            .collect()
    };
    let (first, second) = (index("first"), index("second"));
    assert!(
        first.keys().any(|k| k.starts_with("search-index/terms/"))
            && first.keys().any(|k| k.starts_with("search-index/doc/")),
        "{:?}",
        first.keys()
    );
    assert_eq!(
        first.keys().collect::<Vec<_>>(),
        second.keys().collect::<Vec<_>>()
    );
    for (path, bytes) in &first {
        assert!(*bytes == second[path], "{path} differs between two builds");
    }
}
