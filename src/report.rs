//! Findings rendered as text for people and machines: one line per finding
//! (`file:line:col: level[rule]: message`), rustc-style snippets, JSON, and
//! GitHub workflow commands. Returns strings; the CLI prints them.

use annotate_snippets::{AnnotationKind, Group, Level as SnippetLevel, Renderer, Snippet};
use serde::Serialize;

use crate::finding::{Finding, Level};

/// `file:line:col: level[rule]: message` and the hint on the next line.
pub fn lines(findings: &[Finding], colour: bool) -> String {
    let mut out = String::new();
    for f in findings {
        let (paint, reset) = match (colour, f.level) {
            (false, _) => ("", ""),
            (true, Level::Error) => ("\x1b[1;31m", "\x1b[0m"),
            (true, Level::Warning) => ("\x1b[1;33m", "\x1b[0m"),
        };
        out.push_str(&format!(
            "{}:{}:{}: {paint}{}[{}]{reset}: {}\n  = hint: {}\n",
            f.file.display(),
            f.line,
            f.column,
            f.level,
            f.rule,
            f.message,
            f.hint
        ));
    }
    out
}

/// Byte range in `line` of `length` characters from 1-based `column`
/// (the rest of the word when `length` is 0).
fn span_in(line: &str, column: u32, length: u32) -> std::ops::Range<usize> {
    let start = line
        .char_indices()
        .nth(column.saturating_sub(1) as usize)
        .map_or(line.len(), |(i, _)| i);
    let rest = &line[start..];
    let len = if length > 0 {
        rest.char_indices()
            .nth(length as usize)
            .map_or(rest.len(), |(i, _)| i)
    } else {
        rest.find(char::is_whitespace).unwrap_or(rest.len())
    };
    start..start + len.max(usize::from(!rest.is_empty()))
}

/// rustc-style reports: the message, the source line with the span marked,
/// and the hint. `source` gives a file's text by its path as in findings.
pub fn snippets(
    findings: &[Finding],
    source: impl Fn(&std::path::Path) -> Option<String>,
    colour: bool,
) -> String {
    let renderer = if colour {
        Renderer::styled()
    } else {
        Renderer::plain()
    };
    let mut out = String::new();
    for f in findings {
        let level = match f.level {
            Level::Error => SnippetLevel::ERROR,
            Level::Warning => SnippetLevel::WARNING,
        };
        let path = f.file.to_string_lossy();
        let text = source(&f.file).unwrap_or_default();
        let line_text = text
            .lines()
            .nth(f.line.saturating_sub(1) as usize)
            .unwrap_or_default();
        let line_text = line_text.trim_start_matches('\u{feff}');
        let title = level.primary_title(f.message.as_str()).id(f.rule.id());
        let group = if line_text.is_empty() {
            // Nothing to show (an unreadable file): still say where.
            Group::with_title(title)
                .element(SnippetLevel::NOTE.message(format!("in {}:{}:{}", path, f.line, f.column)))
        } else {
            Group::with_title(title).element(
                Snippet::source(line_text)
                    .line_start(f.line as usize)
                    .path(path.as_ref())
                    .annotation(
                        AnnotationKind::Primary.span(span_in(line_text, f.column, f.length)),
                    ),
            )
        };
        let help = Group::with_title(SnippetLevel::HELP.secondary_title(f.hint.as_str()));
        out.push_str(&renderer.render(&[group, help]));
        out.push_str("\n\n");
    }
    out
}

#[derive(Serialize)]
struct JsonFinding<'a> {
    file: String,
    line: u32,
    column: u32,
    end_column: u32,
    rule: &'static str,
    level: Level,
    message: &'a str,
    hint: &'a str,
}

/// One JSON array of findings.
pub fn json(findings: &[Finding]) -> String {
    let all: Vec<JsonFinding> = findings
        .iter()
        .map(|f| JsonFinding {
            file: f.file.to_string_lossy().into_owned(),
            line: f.line,
            column: f.column,
            end_column: f.column + f.length,
            rule: f.rule.id(),
            level: f.level,
            message: &f.message,
            hint: &f.hint,
        })
        .collect();
    let mut text = serde_json::to_string_pretty(&all).expect("plain data serialises");
    text.push('\n');
    text
}

/// Escapes a workflow command's message.
fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a workflow command's property value.
fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

/// GitHub Actions workflow commands (`::error file=…,line=…::message`), so
/// findings land on the pull request's lines.
pub fn github(findings: &[Finding]) -> String {
    let mut out = String::new();
    for f in findings {
        let command = match f.level {
            Level::Error => "error",
            Level::Warning => "warning",
        };
        let mut properties = format!(
            "file={},line={},col={}",
            escape_property(&f.file.to_string_lossy()),
            f.line,
            f.column
        );
        if f.length > 0 {
            properties.push_str(&format!(",endColumn={}", f.column + f.length));
        }
        properties.push_str(&format!(
            ",title={}",
            escape_property(&format!("hindsight {}", f.rule))
        ));
        out.push_str(&format!(
            "::{command} {properties}::{}\n",
            escape_data(&format!("{}\n{}", f.message, f.hint))
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::{Findings, Rule};
    use crate::source::Pos;

    fn sample() -> Vec<Finding> {
        let mut f = Findings::new("content/a b.md".into());
        f.error_with_length(
            Rule::BlameLanguage,
            Pos { line: 2, column: 5 },
            11,
            "`human error` blames a person: 50%, really",
            "Focus on the system.",
        );
        f.warning(
            Rule::Review,
            Pos { line: 1, column: 1 },
            "no review",
            "Add one.",
        );
        f.into_sorted()
    }

    #[test]
    fn github_commands_escape_data_and_properties() {
        let text = github(&sample());
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "::warning file=content/a b.md,line=1,col=1,title=hindsight review::no review%0AAdd one.");
        assert_eq!(
            lines[1],
            "::error file=content/a b.md,line=2,col=5,endColumn=16,title=hindsight blame-language::`human error` blames a person: 50%25, really%0AFocus on the system."
        );
    }

    #[test]
    fn json_has_the_documented_fields() {
        let value: serde_json::Value = serde_json::from_str(&json(&sample())).unwrap();
        let first = &value[1];
        assert_eq!(first["file"], "content/a b.md");
        assert_eq!(
            (first["line"].as_u64(), first["column"].as_u64()),
            (Some(2), Some(5))
        );
        assert_eq!(first["rule"], "blame-language");
        assert_eq!(first["level"], "error");
        assert_eq!(first["hint"], "Focus on the system.");
    }

    #[test]
    fn snippets_mark_the_span() {
        let text = snippets(
            &sample()[1..],
            |_| Some("x\nIt was human error.\n".into()),
            false,
        );
        assert!(text.contains("error[blame-language]"), "{text}");
        assert!(text.contains("2 | It was human error."), "{text}");
        assert!(text.contains("^^^^^^^^^^^"), "{text}");
        assert!(text.contains("help: Focus on the system."), "{text}");
    }

    #[test]
    fn spans_stay_inside_the_line() {
        assert_eq!(span_in("abc", 9, 4), 3..3);
        assert_eq!(span_in("héllo world", 2, 0), 1..6);
    }
}
