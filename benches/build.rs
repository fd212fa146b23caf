//! Benchmarks of the build pipeline on a synthetic archive.
//!
//! Run with `cargo bench --bench build`. The corpus (1,000 post-mortems by
//! default; set `HINDSIGHT_BENCH_N` to change it) is generated once into a
//! fresh temporary folder by `../shared/bench/gen_corpus.py` (relative to the
//! crate root, as in CI), next to a `site.toml` that declares every severity,
//! service and root-cause category the generator uses, so the corpus
//! validates without findings (any are summarised before measuring).
//! Without the generator (or `python3`) the benchmarks are skipped with a
//! message. Before measuring, one build prints its own stage timings.
//!
//! Stages measured:
//! - `parse+validate one file`: `post_mortem::parse` + `rules::validate` on
//!   the corpus file of median size (warm, in memory);
//! - `pulldown-cmark pass alone`: the Markdown events of that file and
//!   nothing else, the floor under parsing on one core;
//! - `load`: read + parse + validate the whole corpus (`pipeline::load`);
//! - `render`: aggregate + render + search index, in memory (`pipeline::render`);
//! - `pages`: every page and export rendered (on all cores) and dropped,
//!   without the search index;
//! - `search index`: the search records and index files alone (on all
//!   cores; the files are made and dropped);
//! - `build (fresh out)`: `pipeline::build` into a new output folder each
//!   iteration (old ones are left until the end: deleting thousands of files
//!   is slow and would disturb the next measurement);
//! - `build (same out)`: `pipeline::build` into the same folder every time,
//!   so every file is unchanged and hard-linked from the previous build;
//! - `serve: one edit`: what `hindsight serve` does after a save of one
//!   post-mortem, watcher delay aside: the workspace re-reads and
//!   revalidates it, a new snapshot is made, and the edited incident's page
//!   is rendered (the page the browser reloads).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use criterion::{BatchSize, Criterion, SamplingMode, Throughput};
use hindsight::config::SiteConfig;
use hindsight::pages::{self, Sources, Views};
use hindsight::pipeline::{self, BuildOptions};
use hindsight::snapshot::Snapshot;
use hindsight::theme::Theme;
use hindsight::theme::ThemeError;
use hindsight::workspace::{Change, Workspace};
use hindsight::{post_mortem, rules, search, search_index};

const DEFAULT_N: usize = 1_000;

fn today() -> jiff::civil::Date {
    jiff::civil::date(2026, 1, 1)
}

fn generator() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/bench/gen_corpus.py")
}

/// `(SERVICES, CATEGORIES)` as defined in the generator, so the site config
/// never drifts from it.
fn generator_ids(script: &Path) -> Result<(Vec<String>, Vec<String>), String> {
    let out = Command::new("python3")
        .arg("-c")
        .arg(
            "import runpy, sys\n\
             g = runpy.run_path(sys.argv[1])\n\
             print(' '.join(g['SERVICES']))\n\
             print(' '.join(g['CATEGORIES']))",
        )
        .arg(script)
        .output()
        .map_err(|e| format!("cannot run python3: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "reading SERVICES/CATEGORIES from {} failed: {}",
            script.display(),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let mut lines = text
        .lines()
        .map(|l| l.split_whitespace().map(String::from).collect());
    match (lines.next(), lines.next()) {
        (Some(s), Some(c)) => Ok((s, c)),
        _ => Err("unexpected output from python3".into()),
    }
}

fn site_toml(services: &[String], categories: &[String]) -> String {
    let mut s = String::from(
        "title = \"hindsight benchmark archive\"\n\
         description = \"Synthetic post-mortems from gen_corpus.py\"\n\
         base_url = \"/\"\n\
         time_zone = \"UTC\"\n",
    );
    for (id, name) in [
        ("P0", "Critical"),
        ("P1", "Major"),
        ("P2", "Minor"),
        ("P3", "Low"),
    ] {
        s.push_str(&format!(
            "\n[[severity]]\nid = \"{id}\"\nname = \"{name}\"\ndefinition = \"{name} incidents.\"\n"
        ));
    }
    for (table, ids) in [("service", services), ("category", categories)] {
        for id in ids {
            s.push_str(&format!("\n[[{table}]]\nid = \"{id}\"\nname = \"{id}\"\n"));
        }
    }
    s
}

/// Generates the corpus and its `site.toml` into `root`.
fn make_corpus(script: &Path, root: &Path, n: usize) -> Result<(), String> {
    let (services, categories) = generator_ids(script)?;
    let status = Command::new("python3")
        .arg(script)
        .arg(n.to_string())
        .arg(root)
        .status()
        .map_err(|e| format!("cannot run python3: {e}"))?;
    if !status.success() {
        return Err(format!("{} failed: {status}", script.display()));
    }
    std::fs::write(root.join("site.toml"), site_toml(&services, &categories))
        .map_err(|e| format!("writing site.toml: {e}"))
}

/// The generated corpus should validate cleanly against the generated
/// `site.toml`; when it does not (a new rule, or a generator change), say so
/// by rule and carry on: the numbers then include reporting those findings.
fn report_findings(archive: &pipeline::Archive) {
    let mut by_rule: BTreeMap<String, usize> = BTreeMap::new();
    for f in archive.findings() {
        *by_rule
            .entry(format!("{}[{}]", f.level, f.rule))
            .or_default() += 1;
    }
    if !by_rule.is_empty() {
        let list: Vec<String> = by_rule.iter().map(|(k, v)| format!("{v} {k}")).collect();
        eprintln!(
            "note: the generated corpus has findings: {} (is site.toml missing something \
             gen_corpus.py uses, or does the generator trip a rule?)",
            list.join(", ")
        );
    }
}

/// The corpus file of median size: `(relative path below content/, text)`.
fn typical_file(root: &Path) -> (PathBuf, String) {
    let content = root.join("content");
    let mut files: Vec<(u64, PathBuf)> = walkdir::WalkDir::new(&content)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| (e.metadata().unwrap().len(), e.into_path()))
        .collect();
    files.sort();
    let (_, path) = files.swap_remove(files.len() / 2);
    let text = std::fs::read_to_string(&path).unwrap();
    (path.strip_prefix(&content).unwrap().to_path_buf(), text)
}

fn main() {
    let script = generator();
    if !script.is_file() {
        eprintln!(
            "skipping benches/build.rs: corpus generator not found at {} \
             (expected a copy of shared/ next to the repository)",
            script.display()
        );
        return;
    }
    let n: usize = std::env::var("HINDSIGHT_BENCH_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_N);
    let tmp = tempfile::Builder::new()
        .prefix("hindsight-bench-")
        .tempdir()
        .expect("creating a temporary folder");
    let root = tmp.path().join("site");
    eprintln!("generating {n} post-mortems into {} ...", root.display());
    if let Err(e) = make_corpus(&script, &root, n) {
        eprintln!("skipping benches/build.rs: {e}");
        return;
    }

    let config = SiteConfig::load(&root).expect("loading the generated site.toml");
    let archive = pipeline::load(&root, false).expect("loading the corpus");
    assert_eq!(archive.post_mortems.len(), n, "every generated file loads");
    report_findings(&archive);
    let people = rules::people(&archive.all());
    let theme = Theme::load(&root, "default").expect("loading the theme");
    let (relative, text) = typical_file(&root);
    let id = post_mortem::id_for(&relative);
    let source = format!("content/{}", relative.display());

    // One build's own stage timings, for orientation (also primes `out-same`).
    let same = BuildOptions {
        root: root.clone(),
        out: tmp.path().join("out-same"),
        drafts: false,
        today: today(),
    };
    let report = pipeline::build(&same).expect("building the corpus");
    eprintln!(
        "one build of {n}: {} files; {}",
        report.files,
        report
            .stages
            .iter()
            .map(|(name, d)| format!("{name} {:.2} s", d.as_secs_f64()))
            .collect::<Vec<_>>()
            .join(", ")
    );

    let mut c = Criterion::default().configure_from_args();

    let mut one = c.benchmark_group("file");
    one.throughput(Throughput::Bytes(text.len() as u64));
    one.bench_function("parse+validate one file", |b| {
        b.iter_batched(
            || (id.clone(), source.clone()),
            |(id, source)| {
                let mut pm = post_mortem::parse(id, source, &text, &config.time_zone);
                rules::validate(&mut pm, &config, &people);
                pm
            },
            BatchSize::SmallInput,
        )
    });
    // The floor under parsing: one pulldown-cmark pass, as `markdown::parse`
    // makes it, with nothing extracted.
    one.bench_function("pulldown-cmark pass alone", |b| {
        b.iter(|| {
            pulldown_cmark::Parser::new_ext(&text, hindsight::markdown::options())
                .into_offset_iter()
                .count()
        })
    });
    one.finish();

    let mut whole = c.benchmark_group(format!("corpus {n}"));
    whole
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(10))
        .throughput(Throughput::Elements(n as u64));
    whole.bench_function("load", |b| {
        b.iter_with_large_drop(|| pipeline::load(&root, false).unwrap())
    });
    whole.bench_function("render", |b| {
        b.iter_with_large_drop(|| pipeline::render(&archive, &theme, today()).unwrap())
    });
    let all = archive.all();
    let views = Views::compute(&all, &archive.config, today(), None);
    let sources = Sources {
        config: &archive.config,
        post_mortems: &all,
        unreadable: &archive.unreadable,
        theme: &theme,
        views: &views,
    };
    whole.bench_function("pages", |b| {
        b.iter(|| pages::render_each(sources, |_| Ok::<(), ThemeError>(())).unwrap())
    });
    whole.bench_function("search index", |b| {
        b.iter(|| {
            let records = search::records(&all, views.summaries());
            search_index::write(records, &|_| Ok::<(), ()>(())).unwrap()
        })
    });
    let fresh = AtomicUsize::new(0);
    whole.bench_function("build (fresh out)", |b| {
        b.iter(|| {
            let out = tmp
                .path()
                .join(format!("out-{}", fresh.fetch_add(1, Ordering::Relaxed)));
            pipeline::build(&BuildOptions {
                root: root.clone(),
                out,
                drafts: false,
                today: today(),
            })
            .unwrap()
        })
    });
    whole.bench_function("build (same out, hard links)", |b| {
        b.iter(|| {
            let report = pipeline::build(&same).unwrap();
            assert_eq!(
                report.stats.written, 0,
                "an unchanged site rewrites nothing"
            );
            report
        })
    });
    let mut workspace = Workspace::open(&root, true);
    let mut previous = Snapshot::new(
        1,
        workspace.archive(),
        workspace.theme(),
        today(),
        Vec::new(),
        Vec::new(),
        None,
    );
    let edited = root.join("content").join(&relative);
    let page = format!("incidents/{id}/index.html");
    let edits = AtomicUsize::new(0);
    whole.bench_function("serve: one edit", |b| {
        b.iter(|| {
            let k = edits.fetch_add(1, Ordering::Relaxed);
            std::fs::write(&edited, format!("{text}\nEdit number {k}.\n")).unwrap();
            let applied = workspace.apply(&Change {
                files: [relative.clone()].into(),
                ..Change::default()
            });
            assert_eq!(
                applied.revalidated, 1,
                "only the edited file is revalidated"
            );
            let next = Snapshot::new(
                previous.generation + 1,
                workspace.archive(),
                workspace.theme(),
                today(),
                Vec::new(),
                Vec::new(),
                Some(&previous),
            );
            let html = next.get(&page).expect("the page exists").unwrap();
            assert!(html.len() > 1000);
            previous = next;
        })
    });
    whole.finish();

    c.final_summary();
    eprintln!("removing {} ...", tmp.path().display());
}
