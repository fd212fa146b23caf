//! The `hindsight` command line: parses flags, runs the library, prints
//! findings in one place, and maps outcomes to exit codes
//! (0 clean or warnings only, 1 error-level findings, 2 usage, config or I/O).

use std::io::{BufRead, IsTerminal, Write};
use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::{Args, Parser, Subcommand, ValueEnum};
use hindsight::config::SiteConfig;
use hindsight::dates::parse_moment;
use hindsight::draft::{self, Answers};
use hindsight::finding::{Finding, Tally};
use hindsight::pipeline::{self, BuildOptions};
use hindsight::report;
use jiff::civil::Date;
use jiff::Timestamp;

// Parsing and validation make many small strings on every thread; glibc's
// allocator spent a third of a 10,000-file check in malloc and free.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "hindsight",
    version,
    about = "Validate blameless post-mortems and build a searchable archive"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Validate every post-mortem under content/ and write the archive.
    Build(BuildArgs),
    /// Validate post-mortems without writing anything (for pull requests).
    Check(CheckArgs),
    /// Start a new post-mortem from the seed's document.
    New(NewArgs),
    /// Serve the archive, drafts included, rebuilding and reloading on every save.
    Serve(ServeArgs),
}

/// The site folder, shared by every command.
#[derive(Args)]
struct RootArg {
    /// The site folder, holding site.toml and content/.
    #[arg(long, default_value = ".")]
    root: PathBuf,
}

#[derive(Args)]
struct BuildArgs {
    #[command(flatten)]
    root: RootArg,
    /// Where to write the archive [default: ROOT/public].
    #[arg(long)]
    out: Option<PathBuf>,
    /// Include post-mortems marked `draft: true`.
    #[arg(long)]
    drafts: bool,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    /// rustc-style snippets with the offending span.
    Human,
    /// One JSON array of findings.
    Json,
    /// GitHub Actions workflow commands (annotations on the pull request).
    Github,
}

#[derive(Args)]
struct CheckArgs {
    #[command(flatten)]
    root: RootArg,
    #[arg(long, value_enum, default_value = "human")]
    format: Format,
    /// Only report on these files (a pull request's changed files); all post-mortems are still read.
    files: Vec<PathBuf>,
}

#[derive(Args)]
struct NewArgs {
    #[command(flatten)]
    root: RootArg,
    /// A descriptive title that names what broke, not who.
    title: Option<String>,
    /// One of the severity ids in site.toml.
    #[arg(long)]
    severity: Option<String>,
    /// When impact began: RFC 3339, or `YYYY-MM-DD HH:MM` in the site's time zone.
    #[arg(long)]
    started: Option<String>,
    /// When service was fully restored.
    #[arg(long)]
    ended: Option<String>,
    /// Ask the seed's seven questions even when standard input is not a terminal.
    #[arg(long)]
    ask: bool,
}

#[derive(Args)]
struct ServeArgs {
    #[command(flatten)]
    root: RootArg,
    /// The port to listen on; 0 lets the system pick a free one.
    #[arg(long, default_value_t = 1111)]
    port: u16,
    /// The address to listen on: 127.0.0.1, ::1 or localhost keep your
    /// drafts on this machine; anything else (0.0.0.0) shares them with
    /// the network.
    #[arg(long, default_value = "127.0.0.1", value_parser = bind_address)]
    bind: IpAddr,
    /// Rebuild and reload when files change (the default).
    #[arg(long, overrides_with = "no_watch")]
    watch: bool,
    /// Build once and serve without watching.
    #[arg(long, overrides_with = "watch")]
    no_watch: bool,
    /// Look for changes by polling file times, for file systems without
    /// change events (containers, network mounts).
    #[arg(long)]
    poll: bool,
    /// Open the archive in the default browser.
    #[arg(long)]
    open: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Build(args) => build(args),
        Command::Check(args) => check(args),
        Command::New(args) => new(args),
        Command::Serve(args) => serve(args),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(2)
        }
    }
}

/// "Today", for overdue actions: `SOURCE_DATE_EPOCH` when set, so builds
/// are reproducible.
fn today() -> Result<Date> {
    match std::env::var("SOURCE_DATE_EPOCH") {
        Ok(value) => {
            let seconds: i64 = value.trim().parse().with_context(|| {
                format!("SOURCE_DATE_EPOCH is `{value}`, not a number of seconds")
            })?;
            let ts =
                Timestamp::from_second(seconds).context("SOURCE_DATE_EPOCH is out of range")?;
            Ok(ts.to_zoned_datetime(jiff::tz::TimeZone::UTC).date())
        }
        Err(_) => Ok(jiff::ZonedDateTime::now().date()),
    }
}

/// `--bind`: an IP address, or `localhost`.
fn bind_address(text: &str) -> Result<IpAddr, String> {
    if text.eq_ignore_ascii_case("localhost") {
        return Ok(IpAddr::V4(Ipv4Addr::LOCALHOST));
    }
    text.parse().map_err(|_| {
        format!("`{text}` is not an IP address; use 127.0.0.1, ::1 or localhost (this machine only), or 0.0.0.0 (every network interface)")
    })
}

/// `1 error`, `2 errors`.
fn count(n: usize, noun: &str) -> String {
    format!("{n} {noun}{}", if n == 1 { "" } else { "s" })
}

/// What a rebuild was for: `content/a.md`, `content/a.md and 2 more`,
/// `removing content/b.md`, `content/new.md and removing content/old.md`.
fn rebuilt_after(changed: &[hindsight::serve::Changed]) -> String {
    use hindsight::serve::Changed;
    let name = |c: &Changed| match c {
        Changed::File(name) | Changed::Removed(name) => name.clone(),
        Changed::Theme => "theme".to_string(),
        Changed::StaticFiles => "static files".to_string(),
    };
    let listed = |items: &[&Changed]| match items {
        [] => None,
        [one] => Some(name(one)),
        [first, rest @ ..] => Some(format!("{} and {} more", name(first), rest.len())),
    };
    let (removed, other): (Vec<&Changed>, Vec<&Changed>) = changed
        .iter()
        .partition(|c| matches!(c, Changed::Removed(_)));
    [
        listed(&other),
        listed(&removed).map(|r| format!("removing {r}")),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" and ")
}

fn serve(args: ServeArgs) -> Result<ExitCode> {
    use hindsight::serve::{self, Event, ServeOptions};
    let root = std::path::absolute(&args.root.root)
        .with_context(|| format!("resolving {}", args.root.root.display()))?;
    if !root.is_dir() {
        bail!(
            "{} is not a folder; pass the site folder with --root",
            root.display()
        );
    }
    let listener = hindsight::server::bind(args.bind, args.port)?;
    if !args.bind.is_loopback() {
        eprintln!(
            "warning: listening on {}, so your drafts are visible to anyone on the network who can reach this machine; use `--bind 127.0.0.1` to keep them on it",
            args.bind
        );
    }
    let open = args.open;
    let report = move |event: Event| match event {
        Event::Ready {
            url,
            watcher,
            post_mortems,
            took,
            tally,
            problems,
        } => {
            let watching = match watcher {
                Some(name) => format!("watching with {name}"),
                None => "not watching".to_string(),
            };
            println!(
                "Serving {url} ({}, {}, {}, built in {ms} ms; {watching}; Ctrl-C stops)",
                count(post_mortems, "post-mortem"),
                count(tally.errors, "error"),
                count(tally.warnings, "warning"),
                ms = took.as_millis(),
            );
            for p in problems {
                eprintln!("problem: {p}");
            }
            if open {
                if let Err(e) = open::that_detached(&url) {
                    eprintln!("could not open a browser: {e}");
                }
            }
        }
        Event::Rebuilt {
            changed,
            revalidated,
            took,
            tally,
            problems,
        } => {
            println!(
                "Rebuilt after {} in {ms} ms ({revalidated} revalidated): {}, {}",
                rebuilt_after(&changed),
                count(tally.errors, "error"),
                count(tally.warnings, "warning"),
                ms = took.as_millis(),
            );
            for p in problems {
                eprintln!("problem: {p}");
            }
        }
        Event::Indexed { records, took } => {
            println!(
                "Search index rebuilt: {} in {ms} ms",
                count(records, "post-mortem"),
                ms = took.as_millis()
            );
        }
        Event::SearchFailed(message) => eprintln!("search index: {message}"),
    };
    serve::run(
        ServeOptions {
            root,
            watch: !args.no_watch,
            poll: args.poll,
            today: || today().unwrap_or_else(|_| jiff::ZonedDateTime::now().date()),
        },
        listener,
        report,
    )?;
    Ok(ExitCode::SUCCESS)
}

fn colour(stream: &impl IsTerminal) -> bool {
    stream.is_terminal() && std::env::var_os("NO_COLOR").is_none()
}

fn exit_for(tally: Tally) -> ExitCode {
    if tally.errors > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn build(args: BuildArgs) -> Result<ExitCode> {
    let root = args.root.root;
    let out = args.out.unwrap_or_else(|| root.join("public"));
    let options = BuildOptions {
        root,
        out: out.clone(),
        drafts: args.drafts,
        today: today()?,
    };
    let report = pipeline::build(&options)
        .with_context(|| format!("building {}", options.root.display()))?;
    let stderr = std::io::stderr();
    let _ = stderr
        .lock()
        .write_all(report::lines(&report.findings, colour(&stderr)).as_bytes());
    let total: f64 = report.stages.iter().map(|(_, d)| d.as_secs_f64()).sum();
    eprintln!(
        "built {} into {} ({} files: {} written, {} unchanged) in {:.2}s; {}, {}",
        count(report.post_mortems, "post-mortem"),
        out.display(),
        report.files,
        report.stats.written,
        report.stats.unchanged,
        total,
        count(report.tally.errors, "error"),
        count(report.tally.warnings, "warning"),
    );
    Ok(exit_for(report.tally))
}

/// The path of `file` as findings spell it (`content/…`), if it is below ROOT.
fn finding_path(root: &Path, file: &Path) -> Result<String> {
    let absolute =
        std::fs::canonicalize(file).with_context(|| format!("cannot read {}", file.display()))?;
    let root =
        std::fs::canonicalize(root).with_context(|| format!("cannot read {}", root.display()))?;
    let Ok(relative) = absolute.strip_prefix(&root) else {
        bail!(
            "{} is not inside the site folder {}",
            file.display(),
            root.display()
        );
    };
    Ok(relative
        .iter()
        .map(|p| p.to_string_lossy())
        .collect::<Vec<_>>()
        .join("/"))
}

fn check(args: CheckArgs) -> Result<ExitCode> {
    let root = args.root.root;
    let wanted: Vec<String> = args
        .files
        .iter()
        .map(|f| finding_path(&root, f))
        .collect::<Result<_>>()?;
    let archive =
        pipeline::load(&root, true).with_context(|| format!("checking {}", root.display()))?;
    let known: Vec<&Path> = archive
        .post_mortems
        .iter()
        .map(|pm| Path::new(&pm.source))
        .chain(archive.unreadable.iter().map(|f| f.file.as_path()))
        .collect();
    let (wanted, skipped): (Vec<String>, Vec<String>) = wanted
        .into_iter()
        .partition(|w| known.contains(&Path::new(w)));
    for file in &skipped {
        eprintln!(
            "skipped {file}: not a post-mortem (hindsight reads content/**/*.md, except names starting with `_` or `.`)"
        );
    }
    let only_given = !wanted.is_empty() || !skipped.is_empty();
    let findings: Vec<Finding> = archive
        .findings()
        .filter(|f| !only_given || wanted.iter().any(|w| Path::new(w) == f.file))
        .cloned()
        .collect();
    let tally = Tally::of(&findings);
    let stdout = std::io::stdout();
    let text = match args.format {
        Format::Human => {
            let mut text = report::snippets(
                &findings,
                |p| std::fs::read_to_string(root.join(p)).ok(),
                colour(&stdout),
            );
            let checked = if !only_given {
                // Files that could not be read were checked too.
                let unread: std::collections::HashSet<&Path> = archive
                    .unreadable
                    .iter()
                    .map(|f| f.file.as_path())
                    .collect();
                archive.post_mortems.len() + unread.len()
            } else {
                wanted.len()
            };
            text.push_str(&format!(
                "checked {}: {}, {}\n",
                count(checked, "post-mortem"),
                count(tally.errors, "error"),
                count(tally.warnings, "warning"),
            ));
            text
        }
        Format::Json => report::json(&findings),
        Format::Github => report::github(&findings),
    };
    stdout
        .lock()
        .write_all(text.as_bytes())
        .context("writing the findings")?;
    Ok(exit_for(tally))
}

/// Asks one question on standard error and reads the answer.
fn ask(input: &mut impl BufRead, question: &str) -> Result<Option<String>> {
    eprint!("{question}\n> ");
    std::io::stderr().flush().ok();
    let mut line = String::new();
    input.read_line(&mut line).context("reading the answer")?;
    let answer = line.trim().to_string();
    Ok((!answer.is_empty()).then_some(answer))
}

fn new(args: NewArgs) -> Result<ExitCode> {
    let root = args.root.root;
    let config = SiteConfig::load(&root)?;
    let moment = |text: &str, what: &str| {
        parse_moment(text, &config.time_zone)
            .with_context(|| format!("--{what}: write e.g. 2024-03-14T09:12:00+01:00"))
    };
    let mut answers = Answers {
        title: args.title.clone().unwrap_or_default(),
        severity: args.severity.clone(),
        started: args
            .started
            .as_deref()
            .map(|s| moment(s, "started"))
            .transpose()?,
        ended: args
            .ended
            .as_deref()
            .map(|s| moment(s, "ended"))
            .transpose()?,
        ..Answers::default()
    };
    if let Some(severity) = &answers.severity {
        if config.severity(severity).is_none() {
            let ids: Vec<&str> = config.severities.iter().map(|s| s.id.as_str()).collect();
            bail!(
                "--severity {severity} is not defined in site.toml; use one of {}",
                ids.join(", ")
            );
        }
    }
    let no_flags = args.title.is_none() && args.severity.is_none() && args.started.is_none();
    if args.ask || (no_flags && std::io::stdin().is_terminal()) {
        let stdin = std::io::stdin();
        let mut input = stdin.lock();
        if answers.title.is_empty() {
            answers.title =
                ask(&mut input, "Title? (descriptive, not blaming)")?.unwrap_or_default();
        }
        let [what, when, impact, detection, resolution, cause, who] = draft::QUESTIONS;
        answers.what_happened = ask(&mut input, what)?;
        if let Some(span) = ask(&mut input, when)? {
            let (start, end) = span.split_once(" to ").unwrap_or((span.as_str(), ""));
            answers.started = Some(moment(start.trim(), "started")?);
            if !end.trim().is_empty() {
                answers.ended = Some(moment(end.trim(), "ended")?);
            }
        }
        answers.customer_impact = ask(&mut input, impact)?;
        answers.detection = ask(&mut input, detection)?;
        answers.resolution = ask(&mut input, resolution)?;
        answers.root_cause = ask(&mut input, cause)?;
        answers.responders = ask(&mut input, who)?
            .map(|w| {
                w.split(',')
                    .map(|r| r.trim().to_string())
                    .filter(|r| !r.is_empty())
                    .collect()
            })
            .unwrap_or_default();
    }
    if let (Some(started), Some(ended)) = (answers.started, answers.ended) {
        if ended < started {
            bail!("the end ({ended}) is before the start ({started}); check both times and their offsets");
        }
    }
    if answers.title.trim().is_empty() {
        bail!("a title is needed: hindsight new \"Checkout errors after a config push\"");
    }
    let path = draft::path_for(&root, &answers, today()?);
    draft::write_new(&path, &draft::render(&answers, &config))?;
    println!("{}", path.display());
    eprintln!(
        "wrote {}: fill in the remaining [placeholders], then run `hindsight check {}`",
        path.display(),
        path.display()
    );
    Ok(ExitCode::SUCCESS)
}
