//! Shared fixtures for the integration tests: a site folder in a temp dir
//! with a `site.toml` (severities P0-P3, two services, two categories) and
//! the content files a test gives it.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use hindsight::config::SiteConfig;
use hindsight::finding::{Finding, Level};
use hindsight::pipeline::{self, Archive};
use hindsight::post_mortem::{self, PostMortem};
use hindsight::rules;

/// The fixture sites' configuration: UTC unless a test asks for a zone.
pub fn site_toml(time_zone: &str) -> String {
    format!(
        r#"title = "Fixture archive"
description = "Post-mortems written for hindsight's integration tests."
time_zone = "{time_zone}"

# The fixtures use short why-chains that reach a system condition.
[framework]
min_whys = 2

[[severity]]
id = "P0"
name = "Critical"
definition = "A core product is down for most customers."

[[severity]]
id = "P1"
name = "Major"
definition = "A core product is seriously degraded for many customers."

[[severity]]
id = "P2"
name = "Minor"
definition = "A feature is degraded for some customers, with a workaround."

[[severity]]
id = "P3"
name = "Low"
definition = "Little or no customer impact."

[[service]]
id = "checkout"
name = "Checkout"
description = "Cart, payment form and order confirmation."

[[service]]
id = "payments"
name = "Payments API"

[[category]]
id = "config-change"
name = "Configuration change"

[[category]]
id = "capacity"
name = "Capacity"
"#
    )
}

/// A valid post-mortem using every section of the seed, 54 lines long. Tests
/// change one line at a time with `replace`, so the line numbers below stay
/// true:
///
/// - 1 `---`, 2 title, 3 severity, 4 status, 5 started, 6 ended,
///   7 services, 8 root_cause_categories, 9 `---`, 10 blank (body starts)
/// - 11 `## Timeline`, 15-17 timeline rows (09:12, 09:20, 10:40)
/// - 19 `## Impact`, 21-24 impact lines
/// - 26 `## Root Cause Analysis`, 28 proximate, 29-30 whys,
///   34 contributing factor, 38 prevention
/// - 40 `## What Went Well`, 42 item; 44 `## What Went Poorly`, 46 item
/// - 48 `## Action Items`, 52 the action row; 54 the review line
pub const VALID: &str = "\
---
title: Checkout errors after a connection-pool setting was pushed everywhere
severity: P1
status: resolved
started: 2024-03-14T09:12:00+01:00
ended: 2024-03-14T10:40:00+01:00
services: [checkout]
root_cause_categories: [config-change]
---

## Timeline

| Time | Event | Who / What |
|------|-------|------------|
| 09:12 | Error rate on checkout rises to 8% | Checkout service |
| 09:20 | On-call engineer paged by the error-rate alert | Alerting |
| 10:40 | Rollback completes; error rate back to normal, status page updated for customers | SRE on call |

## Impact

Customer impact: 8% of checkouts failed for 88 minutes.
Revenue impact: About 1,200 orders were delayed; none were lost.
Data impact: None.
Reputation impact: A handful of complaints on social media.

## Root Cause Analysis

The incident occurred when: a connection-pool setting was pushed to all regions at once.
Why did that happen? The config tool applies every change to every region in one step.
Why did that happen? Staged rollouts were only built for code deploys, not config.

Contributing factors:

- **No canary**: the push reached every region at once.

What would have prevented this incident:

- **Staged config rollout**: one region first would have limited the impact.

## What Went Well

- **Fast rollback**: the previous setting was one command away.

## What Went Poorly

- **Alert latency**: the page fired eight minutes after errors began.

## Action Items

| # | Action | Owner | Due Date | Priority |
|---|--------|-------|----------|----------|
| 1 | Add a canary stage to config pushes | Dana Whitfield | 2024-04-30 | High |

These will be reviewed at the reliability review on 2024-03-28.
";

/// `VALID` with `from` replaced by `to`, failing loudly if `from` is not there
/// exactly once (so a fixture never silently stays valid).
pub fn valid_with(from: &str, to: &str) -> String {
    edit(VALID, from, to)
}

pub fn edit(text: &str, from: &str, to: &str) -> String {
    assert_eq!(
        text.matches(from).count(),
        1,
        "fixture edit: `{from}` must occur exactly once"
    );
    text.replacen(from, to, 1)
}

pub fn config() -> SiteConfig {
    config_in("UTC")
}

pub fn config_in(time_zone: &str) -> SiteConfig {
    SiteConfig::parse(&site_toml(time_zone), Path::new("site.toml")).expect("fixture site.toml")
}

/// Parses and validates one post-mortem the way the pipeline does.
pub fn check(text: &str) -> PostMortem {
    check_with(text, &config())
}

pub fn check_with(text: &str, config: &SiteConfig) -> PostMortem {
    let mut pm = post_mortem::parse(
        "fixture".into(),
        "content/fixture.md".into(),
        text,
        &config.time_zone,
    );
    let people = rules::people(&[&pm]);
    rules::validate(&mut pm, config, &people);
    pm
}

/// A finding reduced to what the tests compare: (rule, level, line, column).
pub type Brief = (&'static str, Level, u32, u32);

pub fn brief(findings: &[Finding]) -> Vec<Brief> {
    findings
        .iter()
        .map(|f| (f.rule.id(), f.level, f.line, f.column))
        .collect()
}

/// A site folder in a temp dir.
pub struct Site {
    pub dir: tempfile::TempDir,
}

impl Site {
    pub fn new() -> Site {
        Site::with_config(&site_toml("UTC"))
    }

    pub fn with_config(site_toml: &str) -> Site {
        let dir = tempfile::tempdir().expect("temp dir");
        let site = Site { dir };
        fs::create_dir_all(site.root().join("content")).unwrap();
        fs::write(site.root().join("site.toml"), site_toml).unwrap();
        site
    }

    /// The site folder: `<temp>/site`, so outputs can go beside it.
    pub fn root(&self) -> PathBuf {
        self.dir.path().join("site")
    }

    /// Writes `content/<relative>`.
    pub fn write(&self, relative: &str, text: &str) -> &Site {
        self.write_bytes(relative, text.as_bytes())
    }

    pub fn write_bytes(&self, relative: &str, bytes: &[u8]) -> &Site {
        let path = self.root().join("content").join(relative);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, bytes).unwrap();
        self
    }

    pub fn load(&self) -> Archive {
        pipeline::load(&self.root(), false).expect("fixture site loads")
    }

    /// A path beside the site folder, inside the same temp dir (not created).
    pub fn out(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

/// Runs the real `hindsight` binary.
pub fn hindsight(args: &[&str], source_date_epoch: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_hindsight"));
    cmd.args(args).env("NO_COLOR", "1");
    match source_date_epoch {
        Some(epoch) => cmd.env("SOURCE_DATE_EPOCH", epoch),
        None => cmd.env_remove("SOURCE_DATE_EPOCH"),
    };
    cmd.output().expect("run hindsight")
}

pub fn build(root: &Path, out: &Path, extra: &[&str], epoch: Option<&str>) -> Output {
    let mut args = vec![
        "build",
        "--root",
        root.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    hindsight(&args, epoch)
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Every file below `dir` with its bytes, by relative path.
pub fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d).unwrap() {
            let entry = entry.unwrap();
            let path = entry.path();
            if entry.file_type().unwrap().is_dir() {
                stack.push(path);
            } else {
                let rel = path
                    .strip_prefix(dir)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                files.insert(rel, fs::read(&path).unwrap());
            }
        }
    }
    files
}

/// The text of an HTML page with the entities a template engine produces
/// turned back into characters, so messages can be searched for.
pub fn html_text(html: &str) -> String {
    html.replace("&#x27;", "'")
        .replace("&#39;", "'")
        .replace("&#x2F;", "/")
        .replace("&#x2f;", "/")
        .replace("&#47;", "/")
        .replace("&quot;", "\"")
        .replace("&#34;", "\"")
        .replace("&#x60;", "`")
        .replace("&#96;", "`")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}
