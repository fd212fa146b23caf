//! Findings: what the validator reports about a post-mortem, as plain values.
//! Nothing here prints; the CLI renders findings in one place.

use std::fmt;
use std::path::PathBuf;

use serde::Serialize;

use crate::source::Pos;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Warning,
    Error,
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Level::Warning => "warning",
            Level::Error => "error",
        })
    }
}

/// Every rule hindsight checks, with its stable id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Rule {
    /// The file could not be read or is not UTF-8.
    Read,
    /// Front matter missing, unclosed, or not valid YAML/TOML.
    FrontMatter,
    RequiredField,
    FieldType,
    /// `ended` before `started`, or `detected` outside the incident.
    IncidentTimes,
    Severity,
    UnknownService,
    UnknownCategory,
    UnknownDebt,
    MissingSection,
    Timeline,
    OwnerNotPerson,
    DueDate,
    Priority,
    ActionStatus,
    Placeholder,
    DuplicateId,
    HeaderMismatch,
    DurationMismatch,
    BlameLanguage,
    NamedPerson,
    VagueAction,
    ShallowRootCause,
    ContributingFactors,
    Prevention,
    WentWell,
    Impact,
    Review,
    /// A `hindsight-ignore` comment without a reason or with an unknown rule.
    Silence,
}

impl Rule {
    pub const ALL: [Rule; 29] = [
        Rule::Read,
        Rule::FrontMatter,
        Rule::RequiredField,
        Rule::FieldType,
        Rule::IncidentTimes,
        Rule::Severity,
        Rule::UnknownService,
        Rule::UnknownCategory,
        Rule::UnknownDebt,
        Rule::MissingSection,
        Rule::Timeline,
        Rule::OwnerNotPerson,
        Rule::DueDate,
        Rule::Priority,
        Rule::ActionStatus,
        Rule::Placeholder,
        Rule::DuplicateId,
        Rule::HeaderMismatch,
        Rule::DurationMismatch,
        Rule::BlameLanguage,
        Rule::NamedPerson,
        Rule::VagueAction,
        Rule::ShallowRootCause,
        Rule::ContributingFactors,
        Rule::Prevention,
        Rule::WentWell,
        Rule::Impact,
        Rule::Review,
        Rule::Silence,
    ];

    pub fn id(self) -> &'static str {
        match self {
            Rule::Read => "read",
            Rule::FrontMatter => "front-matter",
            Rule::RequiredField => "required-field",
            Rule::FieldType => "field-type",
            Rule::IncidentTimes => "incident-times",
            Rule::Severity => "severity",
            Rule::UnknownService => "unknown-service",
            Rule::UnknownCategory => "unknown-category",
            Rule::UnknownDebt => "unknown-debt",
            Rule::MissingSection => "missing-section",
            Rule::Timeline => "timeline",
            Rule::OwnerNotPerson => "owner-not-person",
            Rule::DueDate => "due-date",
            Rule::Priority => "priority",
            Rule::ActionStatus => "action-status",
            Rule::Placeholder => "placeholder",
            Rule::DuplicateId => "duplicate-id",
            Rule::HeaderMismatch => "header-mismatch",
            Rule::DurationMismatch => "duration-mismatch",
            Rule::BlameLanguage => "blame-language",
            Rule::NamedPerson => "named-person",
            Rule::VagueAction => "vague-action",
            Rule::ShallowRootCause => "shallow-root-cause",
            Rule::ContributingFactors => "contributing-factors",
            Rule::Prevention => "prevention",
            Rule::WentWell => "went-well",
            Rule::Impact => "impact",
            Rule::Review => "review",
            Rule::Silence => "silence",
        }
    }

    pub fn from_id(id: &str) -> Option<Rule> {
        Rule::ALL.into_iter().find(|r| r.id() == id)
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

impl Serialize for Rule {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.id())
    }
}

/// One problem found in one file, at one place, with a way to fix it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub rule: Rule,
    pub level: Level,
    /// Path relative to the site root, with `/` separators.
    pub file: PathBuf,
    pub line: u32,
    pub column: u32,
    /// Characters the finding's span covers from `column`; 0 when it marks a point.
    pub length: u32,
    /// A framework-quality finding: a warning, not an error, while the
    /// post-mortem is `open` (still being written).
    #[serde(skip)]
    pub follows_status: bool,
    pub message: String,
    pub hint: String,
}

impl Finding {
    pub fn pos(&self) -> Pos {
        Pos {
            line: self.line,
            column: self.column,
        }
    }
}

/// Collects the findings for one file, so rules only say what and where.
#[derive(Debug)]
pub struct Findings {
    file: PathBuf,
    list: Vec<Finding>,
    follows_status: bool,
}

impl Findings {
    pub fn new(file: PathBuf) -> Self {
        Findings {
            file,
            list: Vec::new(),
            follows_status: false,
        }
    }

    /// Marks the findings pushed from now on as following the status.
    pub fn follow_status(&mut self) {
        self.follows_status = true;
    }

    pub fn error(
        &mut self,
        rule: Rule,
        at: Pos,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) {
        self.push(rule, Level::Error, at, message, hint);
    }

    pub fn warning(
        &mut self,
        rule: Rule,
        at: Pos,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) {
        self.push(rule, Level::Warning, at, message, hint);
    }

    /// Sets the span of the finding pushed last to `length` characters.
    pub fn spanning(&mut self, length: usize) {
        if let Some(last) = self.list.last_mut() {
            last.length = length as u32;
        }
    }

    /// An error covering `length` characters from `at`.
    pub fn error_with_length(
        &mut self,
        rule: Rule,
        at: Pos,
        length: u32,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) {
        self.push(rule, Level::Error, at, message, hint);
        if let Some(last) = self.list.last_mut() {
            last.length = length;
        }
    }

    pub fn push(
        &mut self,
        rule: Rule,
        level: Level,
        at: Pos,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) {
        self.list.push(Finding {
            rule,
            level,
            file: self.file.clone(),
            line: at.line,
            column: at.column,
            length: 0,
            follows_status: self.follows_status,
            message: message.into(),
            hint: hint.into(),
        });
    }

    /// The findings in reading order: by line, then column.
    pub fn into_sorted(mut self) -> Vec<Finding> {
        self.list.sort_by_key(|f| (f.line, f.column));
        self.list
    }
}

/// Counts of findings by level.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Tally {
    pub errors: usize,
    pub warnings: usize,
}

impl Tally {
    pub fn of<'a>(findings: impl IntoIterator<Item = &'a Finding>) -> Tally {
        let mut tally = Tally::default();
        for f in findings {
            match f.level {
                Level::Error => tally.errors += 1,
                Level::Warning => tally.warnings += 1,
            }
        }
        tally
    }
}

#[cfg(test)]
mod tests {
    use super::Rule;

    #[test]
    fn every_rule_is_documented() {
        let readme = include_str!("../docs/rules.md");
        for rule in Rule::ALL {
            assert!(
                readme.contains(&format!("`{}`", rule.id())),
                "docs/rules.md does not document `{rule}`"
            );
        }
    }
}
