//! Front matter: finding the fences (ourselves, so positions are exact and a
//! BOM, CRLF or `+++` TOML all work), parsing the data with gray_matter, and
//! reading each field into a typed value with the line it came from.

use std::collections::{BTreeMap, BTreeSet};

use gray_matter::engine::{Engine, TOML, YAML};
use gray_matter::Pod;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use serde::Serialize;

use crate::dates::{parse_date, parse_moment, Moment};
use crate::finding::{Findings, Rule};
use crate::source::Pos;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Yaml,
    Toml,
}

impl Format {
    fn fence(self) -> &'static str {
        match self {
            Format::Yaml => "---",
            Format::Toml => "+++",
        }
    }
}

/// Where the front matter sits in a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fences<'a> {
    pub format: Format,
    /// The text between the fences.
    pub data: &'a str,
    /// The file line of the first line of `data`.
    pub data_line: u32,
    /// Byte offset where the body starts, after the closing fence's line.
    pub body_offset: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FenceError {
    /// The file does not start with `---` or `+++`.
    Missing,
    /// The opening fence has no closing one; the body is guessed to start at
    /// the first heading.
    Unclosed { format: Format, body_offset: usize },
}

/// Lines of `text` with the byte offset each starts at, line ending included.
fn lines_with_offsets(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.split_inclusive('\n').scan(0, |offset, line| {
        let start = *offset;
        *offset += line.len();
        Some((start, line))
    })
}

fn is_fence(line: &str, fence: &str) -> bool {
    line.trim_end_matches([' ', '\t', '\r', '\n']) == fence
}

/// Finds the front matter's fences. `text` must not start with a BOM.
pub fn find_fences(text: &str) -> Result<Fences<'_>, FenceError> {
    let mut lines = lines_with_offsets(text);
    let Some((_, first)) = lines.next() else {
        return Err(FenceError::Missing);
    };
    let format = [Format::Yaml, Format::Toml]
        .into_iter()
        .find(|f| is_fence(first, f.fence()))
        .ok_or(FenceError::Missing)?;
    let data_start = first.len();
    for (offset, line) in lines {
        let closes =
            is_fence(line, format.fence()) || (format == Format::Yaml && is_fence(line, "..."));
        if closes {
            return Ok(Fences {
                format,
                data: &text[data_start..offset],
                data_line: 2,
                body_offset: offset + line.len(),
            });
        }
    }
    let body_offset = lines_with_offsets(text)
        .skip(1)
        .find(|(_, line)| line.starts_with('#'))
        .map_or(text.len(), |(offset, _)| offset);
    Err(FenceError::Unclosed {
        format,
        body_offset,
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Open,
    Resolved,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Open => "open",
            Status::Resolved => "resolved",
        }
    }
}

/// The typed front matter. Fields that were missing or malformed are `None`
/// (and reported); everything else the author wrote is kept in `extra`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct FrontMatter {
    pub title: Option<String>,
    pub severity: Option<String>,
    pub status: Option<Status>,
    pub started: Option<Moment>,
    pub ended: Option<Moment>,
    pub detected: Option<Moment>,
    pub detection: Option<String>,
    pub commander: Option<String>,
    pub responders: Vec<String>,
    pub services: Vec<String>,
    pub root_cause_categories: Vec<String>,
    pub tags: Vec<String>,
    /// Technical-debt ids from site.toml that contributed to the incident.
    pub debt: Vec<String>,
    #[serde(serialize_with = "serialize_date")]
    pub review_date: Option<Date>,
    pub draft: bool,
    /// IANA zone for this file's local times, overriding `site.toml`'s.
    pub time_zone: Option<String>,
    pub extra: BTreeMap<String, serde_json::Value>,
    /// Where each top-level key was written.
    #[serde(skip)]
    pub keys: BTreeMap<String, Pos>,
    /// Keys whose value was written but could not be read (already reported).
    #[serde(skip)]
    pub malformed: BTreeSet<String>,
    /// Where each entry of the list fields was written, as (key, entry).
    #[serde(skip)]
    pub entries: BTreeMap<(String, String), Pos>,
}

fn serialize_date<S: serde::Serializer>(date: &Option<Date>, s: S) -> Result<S::Ok, S::Error> {
    match date {
        Some(d) => s.collect_str(d),
        None => s.serialize_none(),
    }
}

impl FrontMatter {
    /// Where `key` was written, or the start of the front matter.
    pub fn key_pos(&self, key: &str) -> Pos {
        self.keys.get(key).copied().unwrap_or(Pos::START)
    }

    /// Where the entry `value` of the list field `key` was written, or the key.
    pub fn entry_pos(&self, key: &str, value: &str) -> Pos {
        self.entries
            .get(&(key.to_string(), value.to_string()))
            .copied()
            .unwrap_or_else(|| self.key_pos(key))
    }
}

/// Everything the front matter yields: the data and where the body starts.
#[derive(Debug)]
pub struct Parsed {
    pub front: FrontMatter,
    pub body_offset: usize,
    /// The file line the body starts on.
    pub body_line: u32,
}

/// Splits and reads the front matter of `text` (BOM already stripped),
/// reporting every problem into `findings`.
pub fn parse(text: &str, site_zone: &TimeZone, findings: &mut Findings) -> Parsed {
    let (fences, guessed) = match find_fences(text) {
        Ok(fences) => (fences, false),
        Err(FenceError::Missing) if text.trim().is_empty() => {
            findings.error(
                Rule::FrontMatter,
                Pos::START,
                "this file is empty",
                "Run `hindsight new` to start a post-mortem from the template, or delete the file.",
            );
            return Parsed {
                front: FrontMatter::default(),
                body_offset: 0,
                body_line: 1,
            };
        }
        Err(FenceError::Missing) => {
            findings.error(
                Rule::FrontMatter,
                Pos::START,
                "this file has no front matter",
                "Start the file with a `---` line, the fields title, severity, status and started, and another `---` line (`hindsight new` writes a file that has them).",
            );
            return Parsed {
                front: FrontMatter::default(),
                body_offset: 0,
                body_line: 1,
            };
        }
        Err(FenceError::Unclosed {
            format,
            body_offset,
        }) => {
            findings.error(
                Rule::FrontMatter,
                Pos::START,
                format!(
                    "the front matter opened with `{}` is never closed",
                    format.fence()
                ),
                format!(
                    "Add a line with just `{}` after the last front-matter field.",
                    format.fence()
                ),
            );
            // Read the fields up to where the body seems to start, so a
            // draft saved mid-edit keeps its title and status.
            let data_start = text.find('\n').map_or(text.len(), |n| n + 1);
            let fences = Fences {
                format,
                data: &text[data_start.min(body_offset)..body_offset],
                data_line: 2,
                body_offset,
            };
            (fences, true)
        }
    };
    if !guessed {
        report_second_block(text, &fences, findings);
    }
    let body_line = line_of(text, fences.body_offset);
    let data = fences.data.replace('\r', "");
    let keys = key_positions(&data, fences.format, fences.data_line);
    if let Err(too_large) = check_size(&data, fences.format) {
        report_too_large(too_large, &fences, findings);
        return Parsed {
            front: FrontMatter {
                keys,
                ..FrontMatter::default()
            },
            body_offset: fences.body_offset,
            body_line,
        };
    }
    let pod = match fences.format {
        Format::Yaml => YAML::parse(&data),
        Format::Toml => TOML::parse(&data),
    };
    let pod = match pod {
        Ok(pod) => pod,
        Err(err) => {
            // Guessed fields that do not parse were probably never fields.
            if !guessed {
                report_syntax_error(&err.to_string(), &data, &fences, findings);
            }
            return Parsed {
                front: FrontMatter {
                    keys,
                    ..FrontMatter::default()
                },
                body_offset: fences.body_offset,
                body_line,
            };
        }
    };
    let map = match pod {
        Pod::Hash(map) => map,
        Pod::Null => Default::default(),
        _ if guessed => Default::default(),
        _ => {
            findings.error(
                Rule::FrontMatter,
                Pos {
                    line: fences.data_line,
                    column: 1,
                },
                "the front matter is not a set of `key: value` fields",
                "Write one field per line, such as `title: Checkout outage`.",
            );
            Default::default()
        }
    };
    let mut front = read_fields(map, keys, site_zone, findings);
    front.entries = entry_positions(&data, &front, fences.data_line);
    Parsed {
        front,
        body_offset: fences.body_offset,
        body_line,
    }
}

/// A second fenced block right after the front matter is read as Markdown
/// (a rule and a heading), so its fields would silently be lost.
fn report_second_block(text: &str, fences: &Fences, findings: &mut Findings) {
    let body = &text[fences.body_offset..];
    let mut lines = lines_with_offsets(body).skip_while(|(_, line)| line.trim().is_empty());
    let Some((offset, first)) = lines.next() else {
        return;
    };
    let fence = fences.format.fence();
    if !is_fence(first, fence) {
        return;
    }
    let separator = if fences.format == Format::Yaml {
        ':'
    } else {
        '='
    };
    let is_key = |line: &str| {
        line.split_once(separator).is_some_and(|(key, _)| {
            let key = key.trim_end();
            !key.is_empty()
                && key
                    .chars()
                    .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-'))
        })
    };
    let mut keys = 0;
    let mut closed = false;
    for (_, line) in lines {
        if is_fence(line, fence) {
            closed = true;
            break;
        }
        if is_key(line) {
            keys += 1;
        } else if !line.trim().is_empty() && !line.starts_with([' ', '\t', '-', '#']) {
            return;
        }
    }
    if !closed || keys == 0 {
        return;
    }
    findings.error(
        Rule::FrontMatter,
        Pos {
            line: line_of(text, fences.body_offset + offset),
            column: 1,
        },
        "a second front-matter block starts here; its lines are read as Markdown, not as fields",
        format!(
            "Move these fields into the first block and delete this block's two `{fence}` lines."
        ),
    );
}

fn line_of(text: &str, offset: usize) -> u32 {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count() as u32
        + 1
}

/// Top-level keys and their file positions, found by reading the lines
/// ourselves because the parsed data no longer knows where it came from.
fn key_positions(data: &str, format: Format, first_line: u32) -> BTreeMap<String, Pos> {
    let mut keys = BTreeMap::new();
    for (i, line) in data.lines().enumerate() {
        if format == Format::Toml && line.trim_start().starts_with('[') {
            break;
        }
        if line.starts_with([' ', '\t', '#', '-']) || line.is_empty() {
            continue;
        }
        let sep = if format == Format::Yaml { ':' } else { '=' };
        if let Some((key, _)) = line.split_once(sep) {
            let key = key.trim().trim_matches(['"', '\'']);
            if !key.is_empty() {
                keys.entry(key.to_string()).or_insert(Pos {
                    line: first_line + i as u32,
                    column: 1,
                });
            }
        }
    }
    keys
}

/// Finds each entry of the list fields in the lines from its key to the next
/// key, so a finding about one entry points at it.
fn entry_positions(
    data: &str,
    front: &FrontMatter,
    first_line: u32,
) -> BTreeMap<(String, String), Pos> {
    let lines: Vec<&str> = data.lines().collect();
    let mut key_lines: Vec<u32> = front.keys.values().map(|p| p.line).collect();
    key_lines.sort_unstable();
    let mut out = BTreeMap::new();
    for (key, values) in [
        ("services", &front.services),
        ("root_cause_categories", &front.root_cause_categories),
        ("responders", &front.responders),
        ("tags", &front.tags),
        ("debt", &front.debt),
    ] {
        let Some(start) = front.keys.get(key).map(|p| p.line) else {
            continue;
        };
        let end = key_lines
            .iter()
            .copied()
            .find(|&l| l > start)
            .unwrap_or(first_line + lines.len() as u32);
        for value in values {
            let found = (start..end).find_map(|line| {
                let text = lines.get((line - first_line) as usize)?;
                let from = if line == start {
                    text.find([':', '=']).map_or(0, |i| i + 1)
                } else {
                    0
                };
                let at = find_entry(&text[from..], value)? + from;
                Some(Pos {
                    line,
                    column: text[..at].chars().count() as u32 + 1,
                })
            });
            if let Some(pos) = found {
                out.insert((key.to_string(), value.clone()), pos);
            }
        }
    }
    out
}

/// Finds `value` in `text` as a whole list entry, not inside a longer one.
fn find_entry(text: &str, value: &str) -> Option<usize> {
    let is_edge = |c: Option<char>| {
        c.is_none_or(|c| matches!(c, '[' | ']' | ',' | '-' | '"' | '\'') || c.is_whitespace())
    };
    text.match_indices(value).map(|(i, _)| i).find(|&i| {
        is_edge(text[..i].chars().next_back()) && is_edge(text[i + value.len()..].chars().next())
    })
}

/// Pulls "line L column C" out of the parser's message (yaml-rust2 and toml both
/// say it), mapped from front-matter lines to file lines.
/// Front matter too deep or too large to read safely.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TooLarge {
    /// Nested deeper than `limits::MAX_NESTING`; the line (1-based, in the
    /// data) where that depth is reached.
    Deep { line: u32 },
    /// More than `limits::MAX_FRONT_MATTER_VALUES` values once aliases are
    /// expanded; the line of the alias that went over.
    Expands { line: u32 },
}

/// Checks the shape of the front matter before it is turned into values, so
/// a YAML alias bomb or a thousand nested brackets cost a finding, not the
/// machine's memory or stack. Syntax errors are left to the data parser.
fn check_size(data: &str, format: Format) -> Result<(), TooLarge> {
    match format {
        Format::Yaml => check_yaml_size(data),
        Format::Toml => check_toml_depth(data),
    }
}

fn check_yaml_size(data: &str) -> Result<(), TooLarge> {
    use yaml_rust2::parser::{Event, Parser};
    let mut parser = Parser::new_from_str(data);
    // For each open collection: its anchor and the values counted so far.
    let mut open: Vec<(usize, usize)> = Vec::new();
    let mut anchored: std::collections::HashMap<usize, usize> = Default::default();
    let mut total = 0usize;
    loop {
        let Ok((event, mark)) = parser.next_token() else {
            return Ok(());
        };
        let line = u32::try_from(mark.line()).unwrap_or(u32::MAX);
        let values = match event {
            Event::StreamEnd => return Ok(()),
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                open.push((anchor, 1));
                if open.len() > crate::limits::MAX_NESTING {
                    return Err(TooLarge::Deep { line });
                }
                continue;
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let Some((anchor, values)) = open.pop() else {
                    continue;
                };
                if anchor != 0 {
                    anchored.insert(anchor, values);
                }
                values
            }
            Event::Scalar(_, _, anchor, _) => {
                if anchor != 0 {
                    anchored.insert(anchor, 1);
                }
                total += 1;
                1
            }
            Event::Alias(anchor) => {
                let values = anchored.get(&anchor).copied().unwrap_or(1);
                total = total.saturating_add(values);
                values
            }
            _ => continue,
        };
        if total > crate::limits::MAX_FRONT_MATTER_VALUES {
            return Err(TooLarge::Expands { line });
        }
        if let Some((_, parent)) = open.last_mut() {
            *parent = parent.saturating_add(values);
        }
    }
}

/// TOML has no aliases; only the depth of nested arrays and inline tables
/// needs a bound. Brackets inside strings and comments are skipped.
fn check_toml_depth(data: &str) -> Result<(), TooLarge> {
    let mut depth = 0usize;
    for (number, line) in data.lines().enumerate() {
        let mut quote: Option<char> = None;
        let mut escaped = false;
        for c in line.chars() {
            match quote {
                Some(q) => {
                    if escaped {
                        escaped = false;
                    } else if c == '\\' && q == '"' {
                        escaped = true;
                    } else if c == q {
                        quote = None;
                    }
                }
                None => match c {
                    '#' => break,
                    '"' | '\'' => quote = Some(c),
                    '[' | '{' => {
                        depth += 1;
                        if depth > crate::limits::MAX_NESTING {
                            return Err(TooLarge::Deep {
                                line: u32::try_from(number + 1).unwrap_or(u32::MAX),
                            });
                        }
                    }
                    ']' | '}' => depth = depth.saturating_sub(1),
                    _ => {}
                },
            }
        }
    }
    Ok(())
}

const FLAT_HINT: &str =
    "Post-mortem fields are flat: write `services: [a, b]` or one `key: value` per line.";

fn report_too_large(too_large: TooLarge, fences: &Fences, findings: &mut Findings) {
    let (line, message, hint) = match too_large {
        TooLarge::Deep { line } => (
            line,
            format!(
                "the front matter nests lists and maps more than {} levels deep, so it is not read",
                crate::limits::MAX_NESTING
            ),
            FLAT_HINT,
        ),
        TooLarge::Expands { line } => (
            line,
            format!(
                "the front matter's aliases expand to more than {} values, so it is not read",
                crate::limits::MAX_FRONT_MATTER_VALUES
            ),
            "Write the values out instead of repeating them with `*alias`; post-mortem fields need no anchors.",
        ),
    };
    findings.error(
        Rule::FrontMatter,
        Pos {
            line: fences.data_line + line.max(1) - 1,
            column: 1,
        },
        message,
        hint,
    );
}

fn report_syntax_error(message: &str, data: &str, fences: &Fences, findings: &mut Findings) {
    let (mut line, mut column) = line_and_column(message).unwrap_or((1, 1));
    // The YAML parser names the scalar a tab interrupts; the tab itself is
    // what the author must change.
    if message.contains("found a tab") {
        if let Some((n, at)) = data
            .lines()
            .enumerate()
            .skip(line.saturating_sub(1) as usize)
            .find_map(|(n, text)| text.find('\t').map(|at| (n, at)))
        {
            line = n as u32 + 1;
            column = data
                .lines()
                .nth(n)
                .map_or(1, |t| t[..at].chars().count() as u32 + 1);
        }
    }
    let data_lines = data.lines().count().max(1) as u32;
    let pos = Pos {
        line: fences.data_line + line.clamp(1, data_lines) - 1,
        column: column.max(1),
    };
    let (what, language) = match fences.format {
        Format::Yaml => (yaml_message(message), "YAML"),
        Format::Toml => (toml_message(message), "TOML"),
    };
    let hint = if what.contains("recursion limit") {
        FLAT_HINT.to_string()
    } else if what.contains("mapping values are not allowed") {
        "A value that contains `: ` must be quoted, for example `title: \"Checkout: slow responses\"`.".to_string()
    } else if what.contains("tab") {
        "YAML indentation must use spaces, not tabs.".to_string()
    } else {
        format!(
            "The front matter must be valid {language}; check this line's indentation and quoting."
        )
    };
    findings.error(
        Rule::FrontMatter,
        pos,
        format!("the front matter is not valid {language}: {what}"),
        hint,
    );
}

fn line_and_column(message: &str) -> Option<(u32, u32)> {
    let number_after = |word: &str| -> Option<u32> {
        let at = message.find(word)? + word.len();
        let digits: String = message[at..]
            .chars()
            .take_while(|c| c.is_ascii_digit())
            .collect();
        digits.parse().ok()
    };
    Some((number_after("line ")?, number_after("column ").unwrap_or(1)))
}

fn yaml_message(message: &str) -> String {
    let core = message.split(" at byte ").next().unwrap_or(message);
    core.trim_start_matches("Error: ")
        .trim_start_matches("Deserialize error: ")
        .trim()
        .to_string()
}

fn toml_message(message: &str) -> String {
    message
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('|') && !l.contains(" | "))
        .unwrap_or(message)
        .trim_start_matches("Error: ")
        .to_string()
}

/// A scalar as text: numbers and booleans count, since YAML reads `title: 404`
/// as a number.
fn scalar_text(pod: &Pod) -> Option<String> {
    match pod {
        Pod::String(s) => Some(s.clone()),
        Pod::Integer(i) => Some(i.to_string()),
        Pod::Float(f) => Some(f.to_string()),
        Pod::Boolean(b) => Some(b.to_string()),
        _ => None,
    }
}

fn pod_to_json(pod: Pod) -> serde_json::Value {
    match pod {
        Pod::Null => serde_json::Value::Null,
        Pod::String(s) => s.into(),
        Pod::Integer(i) => i.into(),
        Pod::Float(f) => f.into(),
        Pod::Boolean(b) => b.into(),
        Pod::Array(items) => items.into_iter().map(pod_to_json).collect(),
        Pod::Hash(map) => map
            .into_iter()
            .map(|(k, v)| (k, pod_to_json(v)))
            .collect::<serde_json::Map<_, _>>()
            .into(),
    }
}

fn kind_of(pod: &Pod) -> &'static str {
    match pod {
        Pod::Null => "empty",
        Pod::String(_) => "text",
        Pod::Integer(_) | Pod::Float(_) => "a number",
        Pod::Boolean(_) => "true/false",
        Pod::Array(_) => "a list",
        Pod::Hash(_) => "a set of fields",
    }
}

struct FieldReader<'a> {
    keys: &'a BTreeMap<String, Pos>,
    malformed: BTreeSet<String>,
    findings: &'a mut Findings,
}

impl FieldReader<'_> {
    fn wrong_type(&mut self, key: &str, message: String, hint: &str) {
        let at = self.keys.get(key).copied().unwrap_or(Pos::START);
        self.malformed.insert(key.to_string());
        self.findings.error(Rule::FieldType, at, message, hint);
    }

    fn text(&mut self, key: &str, pod: Pod) -> Option<String> {
        match pod {
            Pod::Null => None,
            pod => match scalar_text(&pod) {
                Some(s) if s.trim().is_empty() => None,
                Some(s) => Some(s.trim().to_string()),
                None => {
                    self.wrong_type(
                        key,
                        format!("`{key}` should be text, not {}", kind_of(&pod)),
                        "Write the value on the same line as the key, quoted if it contains `:`.",
                    );
                    None
                }
            },
        }
    }

    fn list(&mut self, key: &str, pod: Pod) -> Vec<String> {
        match pod {
            Pod::Null => Vec::new(),
            Pod::Array(items) => {
                let mut out = Vec::new();
                for item in items {
                    match scalar_text(&item) {
                        Some(s) if !s.trim().is_empty() => out.push(s.trim().to_string()),
                        Some(_) => {}
                        None => self.wrong_type(
                            key,
                            format!(
                                "every entry of `{key}` should be text, not {}",
                                kind_of(&item)
                            ),
                            "Write the list as `[a, b]` or one `- item` per line.",
                        ),
                    }
                }
                out
            }
            pod => match scalar_text(&pod) {
                Some(s) if s.trim().is_empty() => Vec::new(),
                Some(s) => vec![s.trim().to_string()],
                None => {
                    self.wrong_type(
                        key,
                        format!("`{key}` should be a list, not {}", kind_of(&pod)),
                        "Write the list as `[a, b]` or one `- item` per line.",
                    );
                    Vec::new()
                }
            },
        }
    }

    fn moment(&mut self, key: &str, pod: Pod, zone: &TimeZone) -> Option<Moment> {
        let text = self.text(key, pod)?;
        match parse_moment(&text, zone) {
            Ok(m) => Some(m),
            Err(e) => {
                self.wrong_type(
                    key,
                    format!("`{key}`: {e}"),
                    "Write a date-time such as `2024-03-14T09:12:00+01:00` (RFC 3339), or `2024-03-14 09:12` to use the site's time zone.",
                );
                None
            }
        }
    }
}

/// Front-matter fields with a fixed meaning; the rest go to `extra`.
const KNOWN_KEYS: [&str; 16] = [
    "title",
    "severity",
    "status",
    "started",
    "ended",
    "detected",
    "detection",
    "commander",
    "responders",
    "services",
    "root_cause_categories",
    "tags",
    "review_date",
    "draft",
    "time_zone",
    "debt",
];

fn read_fields(
    mut map: std::collections::HashMap<String, Pod>,
    keys: BTreeMap<String, Pos>,
    site_zone: &TimeZone,
    findings: &mut Findings,
) -> FrontMatter {
    let mut take = |key: &str| map.remove(key).unwrap_or(Pod::Null);
    let mut fields: BTreeMap<&str, Pod> = KNOWN_KEYS.iter().map(|&k| (k, take(k))).collect();
    let extra = map.into_iter().map(|(k, v)| (k, pod_to_json(v))).collect();
    let mut field = |key: &str| fields.remove(key).unwrap_or(Pod::Null);
    let mut r = FieldReader {
        keys: &keys,
        malformed: Default::default(),
        findings,
    };

    let time_zone = r.text("time_zone", field("time_zone"));
    let zone = match &time_zone {
        Some(name) => TimeZone::get(name).unwrap_or_else(|_| {
            r.wrong_type(
                "time_zone",
                format!("`time_zone`: `{name}` is not a known time zone"),
                "Use an IANA name such as `America/Los_Angeles` or `UTC`.",
            );
            site_zone.clone()
        }),
        None => site_zone.clone(),
    };
    let status = r.text("status", field("status")).and_then(|s| match s.to_ascii_lowercase().as_str() {
        "open" => Some(Status::Open),
        "resolved" => Some(Status::Resolved),
        _ => {
            r.wrong_type(
                "status",
                format!("`status` is `{s}`, which is neither `open` nor `resolved`"),
                "Use `open` while the post-mortem is being written and `resolved` once the incident and its review are done.",
            );
            None
        }
    });
    let review_date =
        r.text("review_date", field("review_date"))
            .and_then(|s| match parse_date(&s) {
                Ok(d) => Some(d),
                Err(e) => {
                    r.wrong_type(
                        "review_date",
                        format!("`review_date`: {e}"),
                        "Write the date as `YYYY-MM-DD`.",
                    );
                    None
                }
            });
    let draft = match field("draft") {
        Pod::Null => false,
        Pod::Boolean(b) => b,
        other => {
            r.wrong_type(
                "draft",
                format!("`draft` should be true or false, not {}", kind_of(&other)),
                "Write `draft: true` to keep the post-mortem out of published builds.",
            );
            false
        }
    };
    let mut front = FrontMatter {
        title: r.text("title", field("title")),
        severity: r.text("severity", field("severity")),
        status,
        started: r.moment("started", field("started"), &zone),
        ended: r.moment("ended", field("ended"), &zone),
        detected: r.moment("detected", field("detected"), &zone),
        detection: r.text("detection", field("detection")),
        commander: r.text("commander", field("commander")),
        responders: r.list("responders", field("responders")),
        services: r.list("services", field("services")),
        root_cause_categories: r.list("root_cause_categories", field("root_cause_categories")),
        tags: r.list("tags", field("tags")),
        debt: r.list("debt", field("debt")),
        review_date,
        draft,
        time_zone,
        extra,
        keys: BTreeMap::new(),
        entries: BTreeMap::new(),
        malformed: BTreeSet::new(),
    };
    front.malformed = r.malformed;
    front.keys = keys;
    front
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn parse_text(text: &str) -> (Parsed, Vec<crate::finding::Finding>) {
        let mut findings = Findings::new(PathBuf::from("content/x.md"));
        let parsed = parse(text, &TimeZone::UTC, &mut findings);
        (parsed, findings.into_sorted())
    }

    #[test]
    fn finds_yaml_fences_with_crlf_and_trailing_spaces() {
        let text = "---  \r\ntitle: A\r\n---\t\r\nbody";
        let fences = find_fences(text).unwrap();
        assert_eq!(fences.format, Format::Yaml);
        assert_eq!(fences.data, "title: A\r\n");
        assert_eq!(&text[fences.body_offset..], "body");
    }

    #[test]
    fn finds_toml_fences() {
        let text = "+++\ntitle = \"A\"\n+++\n# Body\n";
        let fences = find_fences(text).unwrap();
        assert_eq!(fences.format, Format::Toml);
        assert_eq!(&text[fences.body_offset..], "# Body\n");
    }

    #[test]
    fn missing_and_unclosed_fences() {
        assert_eq!(find_fences("# Title\n"), Err(FenceError::Missing));
        assert_eq!(find_fences(""), Err(FenceError::Missing));
        assert_eq!(
            find_fences("---\ntitle: x\n\n## Timeline\n"),
            Err(FenceError::Unclosed {
                format: Format::Yaml,
                body_offset: 14
            })
        );
    }

    #[test]
    fn reads_typed_fields_and_keeps_unknown_ones() {
        let (parsed, findings) = parse_text(
            "---\ntitle: Checkout outage\nseverity: P1\nstatus: Resolved\nstarted: 2024-03-14T09:12:00+01:00\nservices: [checkout, payments]\nsource: https://example.com\ndraft: true\n---\nbody\n",
        );
        assert!(findings.is_empty(), "{findings:?}");
        let fm = parsed.front;
        assert_eq!(fm.title.as_deref(), Some("Checkout outage"));
        assert_eq!(fm.status, Some(Status::Resolved));
        assert_eq!(fm.started.unwrap().to_string(), "2024-03-14T09:12:00+01:00");
        assert_eq!(fm.services, ["checkout", "payments"]);
        assert_eq!(fm.extra["source"], "https://example.com");
        assert!(fm.draft);
        assert_eq!(fm.key_pos("services"), Pos { line: 6, column: 1 });
        assert_eq!(
            fm.entry_pos("services", "payments"),
            Pos {
                line: 6,
                column: 22
            }
        );
        assert_eq!(parsed.body_line, 10);
    }

    #[test]
    fn toml_front_matter_reads_the_same_fields() {
        let (parsed, findings) = parse_text(
            "+++\ntitle = \"DNS\"\nstarted = 2024-03-14T09:12:00Z\nservices = [\"dns\"]\n+++\n",
        );
        assert!(findings.is_empty(), "{findings:?}");
        assert_eq!(
            parsed.front.started.unwrap().to_string(),
            "2024-03-14T09:12:00Z"
        );
        assert_eq!(parsed.front.services, ["dns"]);
    }

    #[test]
    fn yaml_syntax_error_is_reported_at_the_file_line() {
        let (_, findings) = parse_text("---\ntitle: ok\nsummary: Checkout: slow\n---\n");
        assert_eq!(findings.len(), 1, "{findings:?}");
        let f = &findings[0];
        assert_eq!((f.rule, f.line), (Rule::FrontMatter, 3));
        assert!(f.hint.contains("quoted"), "{}", f.hint);
    }

    #[test]
    fn toml_syntax_error_is_reported_at_the_file_line() {
        let (_, findings) = parse_text("+++\ntitle = \"ok\"\nseverity = \n+++\n");
        assert_eq!(findings.len(), 1, "{findings:?}");
        assert_eq!((findings[0].rule, findings[0].line), (Rule::FrontMatter, 3));
    }

    #[test]
    fn wrong_types_name_the_field_and_its_line() {
        let (_, findings) = parse_text(
            "---\ntitle: [a, b]\nstatus: closed\nstarted: yesterday\ndraft: maybe\n---\n",
        );
        let got: Vec<_> = findings.iter().map(|f| (f.rule, f.line)).collect();
        assert_eq!(
            got,
            [
                (Rule::FieldType, 2),
                (Rule::FieldType, 3),
                (Rule::FieldType, 4),
                (Rule::FieldType, 5)
            ]
        );
        assert!(findings[0].message.contains("`title`"));
        assert!(findings[1].message.contains("`closed`"));
    }

    #[test]
    fn file_time_zone_overrides_the_site_zone() {
        let (parsed, findings) =
            parse_text("---\ntime_zone: America/Los_Angeles\nstarted: 2017-02-28 09:37\n---\n");
        assert!(findings.is_empty(), "{findings:?}");
        assert_eq!(
            parsed.front.started.unwrap().to_string(),
            "2017-02-28T09:37:00-08:00"
        );
    }
}
