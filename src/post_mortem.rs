//! One post-mortem read from its file: front matter, every seed section as
//! typed data with positions, and each section's HTML.

use std::sync::LazyLock;

use jiff::tz::TimeZone;
use pulldown_cmark::{html, Event, Tag, TagEnd};
use serde::Serialize;

use crate::action_items::{self, ActionItem, Field};
use crate::config::RawHtml;
use crate::finding::{Finding, Findings};
use crate::front_matter::{self, FrontMatter};
use crate::markdown::{self, Block};
use crate::sections::{self, HeaderBlock, Impact, NamedItem, RootCause, SectionKind};
use crate::source::{LineIndex, Pos};
use crate::timeline::{self, TimeProblem, TimelineEvent};

#[derive(Debug, Clone, Serialize)]
pub struct Section {
    pub kind: SectionKind,
    pub title: String,
    pub anchor: String,
    pub level: u8,
    pub pos: Pos,
    /// The section's rendered Markdown, heading included, its raw HTML
    /// escaped, sanitized or kept as `[markdown] raw_html` says.
    pub html: String,
    /// For a section whose table is shown as a structured view (timeline,
    /// action items): the rest of its Markdown, without the heading, before
    /// and after that table, so no prose around the table is lost.
    pub lead_html: String,
    pub tail_html: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct PostMortem {
    /// The path below `content/` without `.md`, slugified: `2017/s3-outage`.
    pub id: String,
    /// The file, relative to the site root: `content/2017/s3-outage.md`.
    pub source: String,
    pub front: FrontMatter,
    pub header: HeaderBlock,
    pub timeline: Vec<TimelineEvent>,
    pub impact: Impact,
    pub root_cause: RootCause,
    pub went_well: Vec<NamedItem>,
    pub went_poorly: Vec<NamedItem>,
    pub action_items: Vec<ActionItem>,
    /// "These will be reviewed at …"
    pub review: Option<Field>,
    pub sections: Vec<Section>,
    /// Where the body starts, for findings about what is missing from it.
    pub body_pos: Pos,
    pub findings: Vec<Finding>,
    #[serde(skip)]
    pub time_problems: Vec<TimeProblem>,
    /// Bracketed text (`[Name]`) found in the body: candidate placeholders.
    #[serde(skip)]
    pub bracketed: Vec<Field>,
    /// Every line of prose and table cell, with its section, for the
    /// language rules.
    #[serde(skip)]
    pub prose: Vec<Prose>,
    /// `<!-- hindsight-ignore rule: reason -->` comments.
    #[serde(skip)]
    pub silences: Vec<Silence>,
    /// The framework score, 0 to 100, from the findings.
    pub score: u8,
}

/// A line of prose as the language rules see it.
#[derive(Debug, Clone)]
pub struct Prose {
    pub section: SectionKind,
    /// The text with Markdown markup removed.
    pub text: String,
    pub pos: Pos,
    /// The source from `pos` to the end of its line, to place spans exactly.
    pub raw: String,
}

/// A comment that silences findings of some rules on the next line.
#[derive(Debug, Clone)]
pub struct Silence {
    pub pos: Pos,
    /// The rule ids as written.
    pub rules: Vec<String>,
    pub reason: String,
    /// The line whose findings it silences: the next non-blank line.
    pub target_line: u32,
}

const SILENCE_WORD: &str = "hindsight-ignore";

/// Finds `<!-- hindsight-ignore rule[, rule]: reason -->` comments.
fn find_silences(text: &str) -> Vec<Silence> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let Some(start) = line.find("<!--") else {
            continue;
        };
        let inner = &line[start + 4..];
        let Some(at) = inner.find(SILENCE_WORD) else {
            continue;
        };
        let rest = inner[at + SILENCE_WORD.len()..]
            .split("-->")
            .next()
            .unwrap_or_default();
        let (ids, reason) = rest.split_once(':').unwrap_or((rest, ""));
        let target = lines[i + 1..]
            .iter()
            .position(|l| !l.trim().is_empty())
            .map_or(i + 2, |n| i + 2 + n);
        out.push(Silence {
            pos: Pos {
                line: i as u32 + 1,
                column: line[..start].chars().count() as u32 + 1,
            },
            rules: ids
                .split([',', ' '])
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect(),
            reason: reason.trim().to_string(),
            target_line: target as u32,
        });
    }
    out
}

impl PostMortem {
    pub fn has_section(&self, kind: SectionKind) -> bool {
        self.sections.iter().any(|s| s.kind == kind)
    }

    pub fn title(&self) -> &str {
        self.front.title.as_deref().unwrap_or(&self.id)
    }

    /// When the incident was detected: `detected` in the front matter, else
    /// the timeline's detection event.
    pub fn detected(&self) -> Option<crate::dates::Moment> {
        self.front
            .detected
            .or_else(|| timeline::detection_event(&self.timeline)?.time)
    }

    /// Minutes from `started` to `ended`, when both are known.
    pub fn duration_minutes(&self) -> Option<i64> {
        Some(self.front.started?.minutes_until(&self.front.ended?))
    }
}

/// The post-mortem id for a path below `content/`: each folder and the file
/// stem slugified, joined by `/`.
pub fn id_for(relative: &std::path::Path) -> String {
    let mut parts: Vec<String> = relative
        .iter()
        .map(|p| markdown::slug(&p.to_string_lossy()))
        .collect();
    if let (Some(last), Some(stem)) = (parts.last_mut(), relative.file_stem()) {
        *last = markdown::slug(&stem.to_string_lossy());
    }
    // A name with no letters or digits still needs an address.
    for part in &mut parts {
        if part.is_empty() {
            *part = "untitled".into();
        }
    }
    parts.join("/")
}

/// Reads a post-mortem from its text. `source` is the path shown in findings;
/// parse-level problems (front matter) are in `findings`, and the rules add
/// the rest. Raw HTML in the body is shown as text.
pub fn parse(id: String, source: String, text: &str, site_zone: &TimeZone) -> PostMortem {
    parse_with(id, source, text, site_zone, RawHtml::Escape)
}

/// `parse`, with the body's raw HTML handled as `raw_html` says.
pub fn parse_with(
    id: String,
    source: String,
    text: &str,
    site_zone: &TimeZone,
    raw_html: RawHtml,
) -> PostMortem {
    let text = crate::source::strip_bom(text);
    let index = LineIndex::new(text);
    let pos_of = |offset: usize| index.pos(text, offset);
    let mut findings = Findings::new(source.clone().into());
    let parsed = front_matter::parse(text, site_zone, &mut findings);
    let zone = timeline_zone(&parsed.front, site_zone);
    let body = markdown::parse(&text[parsed.body_offset..], parsed.body_offset);
    if let Some(offset) = body.too_deep {
        findings.error(
            crate::finding::Rule::Read,
            pos_of(offset),
            format!(
                "block quotes and lists nest more than {} levels deep here; the deeper levels are shown flat",
                crate::limits::MAX_NESTING
            ),
            "Flatten the nesting: a post-mortem reads best with lists at most two or three levels deep.",
        );
    }

    let mut pm = PostMortem {
        id,
        source,
        front: parsed.front,
        header: HeaderBlock::default(),
        timeline: Vec::new(),
        impact: Impact::default(),
        root_cause: RootCause::default(),
        went_well: Vec::new(),
        went_poorly: Vec::new(),
        action_items: Vec::new(),
        review: None,
        sections: Vec::new(),
        body_pos: Pos {
            line: parsed.body_line,
            column: 1,
        },
        findings: Vec::new(),
        time_problems: Vec::new(),
        bracketed: body
            .bracketed
            .iter()
            .map(|b| Field {
                text: b.text.clone(),
                pos: pos_of(b.offset),
            })
            .collect(),
        prose: Vec::new(),
        silences: find_silences(text),
        score: 100,
    };
    let raw_line = |offset: usize| {
        // An offset inside a character would be a bug elsewhere; show the
        // line from the character's start rather than stop the build.
        let mut start = offset.min(text.len());
        while !text.is_char_boundary(start) {
            start -= 1;
        }
        let rest = &text[start..];
        rest[..rest.find('\n').unwrap_or(rest.len())]
            .trim_end_matches('\r')
            .to_string()
    };

    let mut before_known_sections = true;
    for span in split_sections(&body.blocks, body.events.len()) {
        let blocks = &body.blocks[span.blocks.clone()];
        let kind = span.kind;
        before_known_sections &= matches!(kind, SectionKind::Header | SectionKind::Other);
        for block in blocks {
            match block {
                Block::Line(line) => pm.prose.push(Prose {
                    section: kind,
                    text: line.text.clone(),
                    pos: pos_of(line.offset),
                    raw: raw_line(line.offset),
                }),
                Block::Table(table) => pm.prose.extend(
                    table
                        .rows
                        .iter()
                        .flatten()
                        .filter(|c| !c.text.is_empty())
                        .map(|cell| Prose {
                            section: kind,
                            text: cell.text.clone(),
                            pos: pos_of(cell.offset),
                            raw: raw_line(cell.offset),
                        }),
                ),
                Block::Heading { .. } => {}
            }
            if let Block::Line(line) = block {
                if before_known_sections {
                    pm.header.read(&line.text, pos_of(line.offset));
                }
                if pm.review.is_none() && line.text.to_lowercase().contains("will be reviewed") {
                    pm.review = Some(Field {
                        text: line.text.clone(),
                        pos: pos_of(line.offset),
                    });
                }
            }
        }
        let mut structured_table = None;
        match kind {
            SectionKind::Timeline => {
                if let Some(table) = first_table(blocks, |_| true) {
                    structured_table = Some(table.offset);
                    let (events, problems) =
                        timeline::read_table(table, pm.front.started.as_ref(), &zone, pos_of);
                    pm.timeline = events;
                    pm.time_problems = problems;
                }
            }
            SectionKind::Impact => sections::read_impact(&mut pm.impact, blocks, &pos_of),
            SectionKind::RootCause | SectionKind::ContributingFactors | SectionKind::Prevention => {
                sections::read_root_cause(&mut pm.root_cause, blocks, kind, &pos_of)
            }
            SectionKind::WentWell => pm
                .went_well
                .extend(sections::read_named_items(blocks, &pos_of)),
            SectionKind::WentPoorly => pm
                .went_poorly
                .extend(sections::read_named_items(blocks, &pos_of)),
            SectionKind::ActionItems => {
                if let Some(table) = first_table(blocks, action_items::is_action_table)
                    .or_else(|| first_table(blocks, |_| true))
                {
                    structured_table = Some(table.offset);
                    pm.action_items = action_items::read_table(table, pos_of);
                }
            }
            SectionKind::Header | SectionKind::Other => {}
        }
        let html_out = render(&body.events[span.events.clone()], raw_html);
        let table_ordinal = structured_table.map(|offset| {
            blocks
                .iter()
                .filter(|b| matches!(b, Block::Table(t) if t.offset < offset))
                .count()
        });
        let (lead_html, tail_html) = table_ordinal
            .map(|n| html_around_table(&body.events[span.events.clone()], n, raw_html))
            .unwrap_or_default();
        pm.sections.push(Section {
            kind,
            title: span.title,
            anchor: span.anchor,
            level: span.level,
            pos: span.offset.map_or(pm.body_pos, pos_of),
            html: html_out,
            lead_html,
            tail_html,
        });
    }
    pm.findings = findings.into_sorted();
    pm
}

/// The HTML of a section's events before and after its `ordinal`-th table
/// (0-based), leaving out the section's heading and that table.
fn html_around_table(events: &[Event<'_>], ordinal: usize, raw_html: RawHtml) -> (String, String) {
    let after_heading = match events.first() {
        Some(Event::Start(Tag::Heading { .. })) => events
            .iter()
            .position(|e| matches!(e, Event::End(TagEnd::Heading(_))))
            .map_or(events.len(), |end| end + 1),
        _ => 0,
    };
    let Some(start) = events
        .iter()
        .enumerate()
        .filter(|(_, e)| matches!(e, Event::Start(Tag::Table(_))))
        .map(|(i, _)| i)
        .nth(ordinal)
    else {
        return Default::default();
    };
    let end = events[start..]
        .iter()
        .position(|e| matches!(e, Event::End(TagEnd::Table)))
        .map_or(events.len(), |n| start + n + 1);
    (
        render(&events[after_heading.min(start)..start], raw_html),
        render(&events[end..], raw_html),
    )
}

/// Markdown events as HTML. Raw HTML is escaped, or let through and then
/// cleaned, or let through as it is.
fn render(events: &[Event<'_>], raw_html: RawHtml) -> String {
    let mut out = String::new();
    match raw_html {
        RawHtml::Escape => html::push_html(
            &mut out,
            events.iter().cloned().map(|event| match event {
                Event::Html(raw) | Event::InlineHtml(raw) => Event::Text(raw),
                other => other,
            }),
        ),
        RawHtml::Trust => html::push_html(&mut out, events.iter().cloned()),
        RawHtml::Sanitize => {
            html::push_html(&mut out, events.iter().cloned());
            out = SANITIZER.clean(&out).to_string();
        }
    }
    out
}

/// ammonia's allow-list plus what hindsight's Markdown produces: heading and
/// footnote ids, footnote classes, task-list checkboxes, code-block
/// languages and table cell alignment. Inputs are always disabled; only one
/// attribute is forced, since ammonia adds forced ones in hash order and the
/// output must not change from build to build.
static SANITIZER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut builder = ammonia::Builder::default();
    builder
        .add_tags(["input"])
        .add_tag_attributes("input", ["checked", "disabled"])
        .add_tag_attribute_values("input", "type", ["checkbox"])
        .set_tag_attribute_value("input", "disabled", "")
        .add_tag_attributes("code", ["class"])
        .add_tag_attributes("th", ["style"])
        .add_tag_attributes("td", ["style"])
        .filter_style_properties(["text-align"].into())
        .add_allowed_classes("sup", ["footnote-reference", "footnote-definition-label"])
        .add_allowed_classes("div", ["footnote-definition"])
        .link_rel(None)
        .attribute_filter(|element, attribute, value| {
            let kept = match (element, attribute) {
                ("code", "class") => value.strip_prefix("language-").is_some_and(|lang| {
                    !lang.is_empty()
                        && lang
                            .chars()
                            .all(|c| c.is_alphanumeric() || "+-#._".contains(c))
                }),
                _ => true,
            };
            kept.then(|| value.into())
        });
    for tag in ["h1", "h2", "h3", "h4", "h5", "h6", "div"] {
        builder.add_tag_attributes(tag, ["id"]);
    }
    builder
});

/// The clock of timeline times written without an offset: the file's
/// `time_zone`; else the offset `started` was written in, when it differs
/// from the site's zone (the author wrote the timeline on that clock); else
/// the site's zone.
fn timeline_zone(front: &FrontMatter, site_zone: &TimeZone) -> TimeZone {
    if let Some(zone) = front
        .time_zone
        .as_deref()
        .and_then(|z| TimeZone::get(z).ok())
    {
        return zone;
    }
    match front.started {
        Some(started) if site_zone.to_offset(started.timestamp) != started.offset => {
            TimeZone::fixed(started.offset)
        }
        _ => site_zone.clone(),
    }
}

fn first_table(
    blocks: &[Block],
    accept: impl Fn(&markdown::Table) -> bool,
) -> Option<&markdown::Table> {
    blocks.iter().find_map(|b| match b {
        Block::Table(t) if accept(t) => Some(t),
        _ => None,
    })
}

struct SectionSpan {
    kind: SectionKind,
    title: String,
    anchor: String,
    level: u8,
    offset: Option<usize>,
    blocks: std::ops::Range<usize>,
    events: std::ops::Range<usize>,
    is_title: bool,
}

/// Blocks that hold nothing but the header block's labelled lines.
fn only_header_lines(blocks: &[Block]) -> bool {
    blocks.iter().all(|b| match b {
        Block::Line(l) => HeaderBlock::is_header_line(&l.text),
        _ => false,
    })
}

/// Cuts the body at headings. A heading starts a new section when the seed
/// knows it, or when it is no deeper than the heading of the current section;
/// other headings are sub-headings and stay inside.
fn split_sections(blocks: &[Block], event_count: usize) -> Vec<SectionSpan> {
    let mut spans: Vec<SectionSpan> = Vec::new();
    let mut preamble_end_event = None;
    for (i, block) in blocks.iter().enumerate() {
        let Block::Heading {
            level,
            text,
            offset,
            event,
            anchor,
        } = block
        else {
            continue;
        };
        let kind = SectionKind::of_heading(text);
        let starts_new = match spans.last() {
            None => true,
            // A leading `# Title` is the document's title, not a section
            // that owns the headings after it.
            Some(cur) if cur.is_title => true,
            Some(cur) => kind != SectionKind::Other || *level <= cur.level,
        };
        if !starts_new {
            continue;
        }
        if let Some(cur) = spans.last_mut() {
            cur.blocks.end = i;
            cur.events.end = *event;
        } else {
            preamble_end_event = Some((i, *event));
        }
        let is_title = spans.is_empty() && *level == 1 && kind == SectionKind::Other;
        spans.push(SectionSpan {
            kind,
            title: text.clone(),
            anchor: anchor.clone(),
            level: *level,
            offset: Some(*offset),
            blocks: i..blocks.len(),
            events: *event..event_count,
            is_title,
        });
    }
    if let Some(title) = spans.first_mut().filter(|s| s.is_title) {
        if only_header_lines(&blocks[title.blocks.start + 1..title.blocks.end]) {
            title.kind = SectionKind::Header;
        }
    }
    let (preamble_blocks, preamble_events) =
        preamble_end_event.unwrap_or((blocks.len(), event_count));
    let mut all = Vec::with_capacity(spans.len() + 1);
    if preamble_events > 0 {
        all.push(SectionSpan {
            kind: if !blocks[..preamble_blocks].is_empty()
                && only_header_lines(&blocks[..preamble_blocks])
            {
                SectionKind::Header
            } else {
                SectionKind::Other
            },
            title: String::new(),
            anchor: "summary".into(),
            level: 0,
            offset: None,
            blocks: 0..preamble_blocks,
            events: 0..preamble_events,
            is_title: false,
        });
    }
    all.extend(spans);
    all
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::SiteConfig;
    use proptest::prelude::*;

    fn config() -> SiteConfig {
        SiteConfig::parse(
            "title = \"t\"\n[[severity]]\nid = \"P1\"\nname = \"Major\"\ndefinition = \"d\"\n",
            std::path::Path::new("site.toml"),
        )
        .unwrap()
    }

    /// Pieces of real post-mortems, so random files reach deep into the parser.
    fn fragment() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("---\n".to_string()),
            Just("+++\n".to_string()),
            Just("\u{feff}".to_string()),
            Just("\r\n".to_string()),
            Just("title: \"x\"\nstatus: resolved\nstarted: 2024-01-01T23:50:00Z\n".to_string()),
            Just("## Timeline\n| Time | Event | Who |\n|---|---|---|\n".to_string()),
            Just("| 23:55 | a | b |\n| 00:10 | c \\| d | e |\n| ~x | | |\n".to_string()),
            Just("## Root Cause Analysis\nThe incident occurred when: x\nWhy did that happen? y\n".to_string()),
            Just("Contributing factors:\n- **A**: b\n".to_string()),
            Just("## Action Items\n| # | Action | Owner | Due Date | Priority | Status |\n|--|--|--|--|--|--|\n".to_string()),
            Just("| 1 | [Specific action] | [Name] | 2024-13-45 | Hi | ??? |\n".to_string()),
            Just("**Customer impact:** all\n".to_string()),
            Just("> - 1. [ ] **".to_string()),
            Just("<script>x</script>".to_string()),
            "[^\u{0}]{0,40}",
        ]
    }

    proptest! {
        #[test]
        fn any_text_parses_and_validates_without_panicking(text in "\\PC{0,400}") {
            let mut pm = parse("x".into(), "content/x.md".into(), &text, &TimeZone::UTC);
            crate::rules::validate(&mut pm, &config(), &[]);
        }

        #[test]
        fn post_mortem_shaped_text_never_panics(parts in proptest::collection::vec(fragment(), 0..24)) {
            let text = parts.concat();
            let mut pm = parse("x".into(), "content/x.md".into(), &text, &TimeZone::UTC);
            crate::rules::validate(&mut pm, &config(), &["Ada Moreno".to_string()]);
            for f in &pm.findings {
                prop_assert!(f.line >= 1 && f.column >= 1);
                prop_assert!(f.line as usize <= text.lines().count().max(1) + 1, "{f:?}");
            }
        }
    }

    #[test]
    fn finds_silence_comments_and_their_target_line() {
        let text = "a\n<!-- hindsight-ignore blame-language, named-person: quoting the customer -->\n\nThe line.\n<!--hindsight-ignore review-->\n";
        let silences = find_silences(text);
        assert_eq!(silences.len(), 2);
        assert_eq!(silences[0].rules, ["blame-language", "named-person"]);
        assert_eq!(silences[0].reason, "quoting the customer");
        assert_eq!((silences[0].pos.line, silences[0].target_line), (2, 4));
        assert_eq!(silences[1].rules, ["review"]);
        assert_eq!(silences[1].reason, "");
    }

    #[test]
    fn a_leading_title_with_the_header_block_is_the_header() {
        let text = "---\ntitle: x\n---\n# Checkout outage\n\n**Severity:** P1\n**Status:** Resolved\n\n## Background\n\nWhy it matters.\n\n## Timeline\n";
        let pm = parse("x".into(), "content/x.md".into(), text, &TimeZone::UTC);
        let kinds: Vec<_> = pm
            .sections
            .iter()
            .map(|s| (s.kind, s.title.as_str()))
            .collect();
        assert_eq!(
            kinds,
            [
                (SectionKind::Header, "Checkout outage"),
                (SectionKind::Other, "Background"),
                (SectionKind::Timeline, "Timeline")
            ]
        );
        assert_eq!(pm.header.severity.unwrap().text, "P1");
    }

    #[test]
    fn prose_around_structured_tables_is_kept() {
        let text = "---\ntitle: x\n---\n## Timeline\n\nAll times UTC.\n\n| Time | Event |\n|---|---|\n| 10:00 | Alert |\n\nLogs were partial.\n\n## Action Items\n\nAgreed in the review.\n\n| # | Action | Owner | Due |\n|---|---|---|---|\n| 1 | Add a canary | SRE lead | 2024-05-01 |\n\nThese will be reviewed at the weekly meeting.\n";
        let pm = parse("x".into(), "content/x.md".into(), text, &TimeZone::UTC);
        let around: Vec<_> = pm
            .sections
            .iter()
            .map(|s| (s.lead_html.trim(), s.tail_html.trim()))
            .collect();
        assert_eq!(
            around,
            [
                ("<p>All times UTC.</p>", "<p>Logs were partial.</p>"),
                (
                    "<p>Agreed in the review.</p>",
                    "<p>These will be reviewed at the weekly meeting.</p>"
                ),
            ]
        );
        assert_eq!((pm.timeline.len(), pm.action_items.len()), (1, 1));
    }

    #[test]
    fn ids_slugify_each_path_part() {
        assert_eq!(
            id_for(std::path::Path::new("2017/S3 Outage.md")),
            "2017/s3-outage"
        );
        assert_eq!(
            id_for(std::path::Path::new("Zürich/Ausfall.md")),
            "zürich/ausfall"
        );
    }
}
