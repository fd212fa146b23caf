//! A new post-mortem file: the seed's document with its front matter
//! filled in, and with the answers to the seed's seven questions where given.

use std::io::Write;
use std::path::{Path, PathBuf};

use thiserror::Error;

use crate::config::SiteConfig;
use crate::content;
use crate::dates::Moment;
use crate::markdown::slug;

#[derive(Debug, Error)]
pub enum DraftError {
    #[error("{0} already exists; hindsight never overwrites a post-mortem (choose another title or date)")]
    Exists(PathBuf),
    #[error("cannot write {path}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// What the author told us; every answer is optional except the title.
#[derive(Debug, Clone, Default)]
pub struct Answers {
    pub title: String,
    pub severity: Option<String>,
    pub started: Option<Moment>,
    pub ended: Option<Moment>,
    /// 1. What happened? (what users experienced)
    pub what_happened: Option<String>,
    /// 3. What was the customer impact?
    pub customer_impact: Option<String>,
    /// 4. How was it detected?
    pub detection: Option<String>,
    /// 5. How was it resolved?
    pub resolution: Option<String>,
    /// 6. What was the root cause (or top suspects)?
    pub root_cause: Option<String>,
    /// 7. Who was involved (roles)?
    pub responders: Vec<String>,
}

/// The seed's seven input questions, in order, as the prompt shows them.
pub const QUESTIONS: [&str; 7] = [
    "What happened? (describe the incident: what users experienced)",
    "When did it start and end? (e.g. 2024-03-14 09:12 to 2024-03-14 10:40)",
    "What was the customer impact? (users affected, data impact, revenue impact)",
    "How was it detected? (alert, customer report, internal discovery)",
    "How was it resolved? (steps taken)",
    "What was the root cause? (or top suspects if not fully known)",
    "Who was involved in the response? (roles, comma-separated)",
];

/// `content/<year>/<date>-<slug>.md` below `root`.
pub fn path_for(root: &Path, answers: &Answers, today: jiff::civil::Date) -> PathBuf {
    let date = answers.started.map_or(today, |s| s.date());
    let slug = match slug(&answers.title) {
        s if s.is_empty() => "incident".to_string(),
        s => s,
    };
    root.join(content::DIR_NAME)
        .join(date.year().to_string())
        .join(format!("{date}-{slug}.md"))
}

fn yaml_string(text: &str) -> String {
    serde_json::to_string(text).expect("strings serialise")
}

/// An answer, or the seed's placeholder for it.
fn or<'a>(answer: &'a Option<String>, placeholder: &'a str) -> &'a str {
    answer
        .as_deref()
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .unwrap_or(placeholder)
}

/// The file's text: front matter, then the seed's sections.
pub fn render(answers: &Answers, config: &SiteConfig) -> String {
    let severity = answers
        .severity
        .clone()
        .or_else(|| {
            config
                .severities
                .get(1)
                .or(config.severities.first())
                .map(|s| s.id.clone())
        })
        .unwrap_or_default();
    let severity_line = config.severity(&severity).map_or_else(
        || severity.clone(),
        |s| format!("{} ({}: {})", s.id, s.name, s.definition),
    );
    let mut fm = vec![
        "---".to_string(),
        format!("title: {}", yaml_string(&answers.title)),
        format!("severity: {severity}"),
        "status: open".to_string(),
    ];
    if let Some(started) = answers.started {
        fm.push(format!("started: {started}"));
    } else {
        fm.push("started: # when impact began, e.g. 2024-03-14T09:12:00+01:00".to_string());
    }
    if let Some(ended) = answers.ended {
        fm.push(format!("ended: {ended}"));
    }
    if let Some(detection) = answers.detection.as_deref() {
        let kind = detection.to_lowercase();
        let word = if kind.contains("customer") || kind.contains("user report") {
            "customer-report"
        } else if kind.contains("alert") || kind.contains("page") || kind.contains("monitor") {
            "alert"
        } else {
            "internal"
        };
        fm.push(format!("detection: {word}"));
    }
    fm.push("commander: \"Incident commander\"".to_string());
    if !answers.responders.is_empty() {
        let list: Vec<String> = answers.responders.iter().map(|r| yaml_string(r)).collect();
        fm.push(format!("responders: [{}]", list.join(", ")));
    }
    fm.push("services: []".to_string());
    fm.push("root_cause_categories: []".to_string());
    fm.push("---".to_string());

    let when = match (answers.started, answers.ended) {
        (Some(s), Some(e)) => format!(
            "{} to {} — Duration: {}",
            s.display(),
            e.display(),
            crate::dates::format_minutes_long(s.minutes_until(&e))
        ),
        (Some(s), None) => format!("{} to [End] — Duration: [X hours/minutes]", s.display()),
        _ => "[Start] to [End] — Duration: [X hours/minutes]".to_string(),
    };
    let start_time = answers.started.map_or("[HH:MM]".to_string(), |s| {
        s.local().strftime("%H:%M").to_string()
    });
    // Timeline times are read on the clock of `started`: write the end on it too,
    // with its date when the incident ran past midnight.
    let end_time = answers.ended.map_or("[HH:MM]".to_string(), |e| {
        let on_start_clock = answers
            .started
            .map_or(e, |s| Moment::new(e.timestamp, s.offset));
        let same_day = answers
            .started
            .is_none_or(|s| s.date() == on_start_clock.date());
        let format = if same_day { "%H:%M" } else { "%Y-%m-%d %H:%M" };
        on_start_clock.local().strftime(format).to_string()
    });
    let body = format!(
        "
**Incident Title:** {title}
**Date/Time:** {when}
**Severity:** {severity_line}
**Status:** Open
**Incident Commander:** Incident commander

## Summary

{summary}

## Timeline

| Time | Event | Who / What |
|------|-------|-----------|
| {start_time} | {summary_row} | [System or person] |
| [HH:MM] | Detected: {detection} | [How discovered] |
| [HH:MM] | [First response action] | [Who, what they did] |
| [HH:MM] | [Key decision or escalation] | [Who] |
| [HH:MM] | {resolution} | [What fixed it] |
| [HH:MM] | [Customer communication] | [What was sent] |
| {end_time} | Full resolution confirmed | [Confirmation] |

## Impact

Customer impact: {impact}
Revenue impact: [If applicable — missed transactions, refunds, SLA penalties]
Data impact: [Any data loss, corruption, or access issues]
Reputation impact: [Customer complaints, social media, press coverage]

## Root Cause Analysis

The incident occurred when: {root_cause}
Why did that happen? [First-level cause]
Why did that happen? [Second-level cause]
Why did that happen? [Third-level cause]
Why did that happen? [Fourth-level cause]
Why did that happen? [Root cause — the system condition that made this possible]

Contributing factors (not the root cause, but things that made it worse):

- **[Factor 1]**: [How it contributed]

What would have prevented this incident:

- **[Preventive measure 1]**: [How it would have helped]

## What Went Well

- **[Action]**: [Why it was effective]

## What Went Poorly

- **[System issue]**: [Specific gap or failure]

## Action Items

| # | Action | Owner | Due Date | Priority |
|---|--------|-------|----------|----------|
| 1 | [Specific action] | [Name] | [Date] | [High/Med/Low] |

These will be reviewed at [next team meeting / 2 weeks from now].
",
        title = answers.title,
        summary = or(&answers.what_happened, "[What happened]"),
        summary_row = or(&answers.what_happened, "[What happened]")
            .lines()
            .next()
            .unwrap_or_default(),
        detection = or(&answers.detection, "[Detection]"),
        resolution = or(&answers.resolution, "[Resolution step]"),
        impact = or(
            &answers.customer_impact,
            "[# users affected, % of users, duration]"
        ),
        root_cause = or(&answers.root_cause, "[The proximate event]"),
    );
    format!("{}\n{body}", fm.join("\n"))
}

/// Writes the new post-mortem at `path`, never replacing an existing file.
pub fn write_new(path: &Path, text: &str) -> Result<(), DraftError> {
    let io = |source| DraftError::Io {
        path: path.to_path_buf(),
        source,
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    let mut file = match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
    {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            return Err(DraftError::Exists(path.to_path_buf()))
        }
        Err(e) => return Err(io(e)),
    };
    file.write_all(text.as_bytes()).map_err(io)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dates::parse_moment;
    use jiff::tz::TimeZone;

    fn config() -> SiteConfig {
        SiteConfig::parse(
            "title = \"t\"\n[[severity]]\nid = \"P1\"\nname = \"Major\"\ndefinition = \"d\"\n",
            Path::new("site.toml"),
        )
        .unwrap()
    }

    #[test]
    fn a_new_file_parses_with_its_answers_in_place() {
        let answers = Answers {
            title: "Checkout: slow responses".into(),
            started: parse_moment("2024-03-14T09:12:00+01:00", &TimeZone::UTC).ok(),
            ended: parse_moment("2024-03-14T10:40:00+01:00", &TimeZone::UTC).ok(),
            customer_impact: Some("8% of checkouts failed".into()),
            root_cause: Some("a pool setting was pushed to every region".into()),
            responders: vec!["On-call SRE".into()],
            ..Answers::default()
        };
        let text = render(&answers, &config());
        let pm =
            crate::post_mortem::parse("x".into(), "content/x.md".into(), &text, &TimeZone::UTC);
        assert!(pm.findings.is_empty(), "{:?}", pm.findings);
        assert_eq!(pm.front.title.as_deref(), Some("Checkout: slow responses"));
        assert_eq!(pm.front.responders, ["On-call SRE"]);
        assert_eq!(pm.impact.customer.unwrap().text, "8% of checkouts failed");
        assert_eq!(
            pm.root_cause.proximate.unwrap().text,
            "a pool setting was pushed to every region"
        );
        assert_eq!(pm.timeline.len(), 7);
        assert_eq!(
            pm.timeline[0].time.unwrap().to_string(),
            "2024-03-14T09:12:00+01:00"
        );
        assert_eq!(
            path_for(Path::new("/site"), &answers, jiff::civil::date(2025, 1, 1)),
            Path::new("/site/content/2024/2024-03-14-checkout-slow-responses.md")
        );
    }

    #[test]
    fn never_overwrites() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("content/2024/x.md");
        write_new(&path, "first").unwrap();
        assert!(matches!(
            write_new(&path, "second"),
            Err(DraftError::Exists(_))
        ));
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "first");
    }
}
