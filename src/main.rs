//! The `hindsight` command line: parses flags, runs the library, prints
//! findings in one place, and maps outcomes to exit codes
//! (0 clean or warnings only, 1 error-level findings, 2 usage, config or I/O).

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};
use hindsight::finding::{Finding, Level};
use hindsight::pipeline::{self, BuildOptions};
use jiff::civil::Date;
use jiff::Timestamp;

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
}

#[derive(Args)]
struct BuildArgs {
    /// The site folder, holding site.toml and content/.
    #[arg(long, default_value = ".")]
    root: PathBuf,
    /// Where to write the archive [default: ROOT/public].
    #[arg(long)]
    out: Option<PathBuf>,
    /// Include post-mortems marked `draft: true`.
    #[arg(long)]
    drafts: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Build(args) => build(args),
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

fn build(args: BuildArgs) -> Result<ExitCode> {
    let out = args.out.unwrap_or_else(|| args.root.join("public"));
    let options = BuildOptions {
        root: args.root,
        out: out.clone(),
        drafts: args.drafts,
        today: today()?,
    };
    let report = pipeline::build(&options)
        .with_context(|| format!("building {}", options.root.display()))?;
    print_findings(&report.findings);
    let total: f64 = report.stages.iter().map(|(_, d)| d.as_secs_f64()).sum();
    eprintln!(
        "built {} post-mortems into {} ({} files: {} written, {} unchanged) in {:.2}s; {} errors, {} warnings",
        report.post_mortems,
        out.display(),
        report.files,
        report.stats.written,
        report.stats.unchanged,
        total,
        report.tally.errors,
        report.tally.warnings,
    );
    Ok(if report.tally.errors > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Prints findings as `file:line:col: level[rule]: message` with the hint below.
fn print_findings(findings: &[Finding]) {
    let stderr = std::io::stderr();
    let colour = stderr.is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let mut out = stderr.lock();
    for f in findings {
        let (paint, reset) = match (colour, f.level) {
            (false, _) => ("", ""),
            (true, Level::Error) => ("\x1b[1;31m", "\x1b[0m"),
            (true, Level::Warning) => ("\x1b[1;33m", "\x1b[0m"),
        };
        let _ = writeln!(
            out,
            "{}:{}:{}: {paint}{}[{}]{reset}: {}\n  = hint: {}",
            f.file.display(),
            f.line,
            f.column,
            f.level,
            f.rule,
            f.message,
            f.hint
        );
    }
}
