//! One post-mortem read from its file: front matter, every seed section as
//! typed data with positions, and each section's HTML.

use jiff::tz::TimeZone;
use pulldown_cmark::html;
use serde::Serialize;

use crate::action_items::{self, ActionItem, Field};
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
    /// The section's rendered Markdown, heading included. Raw HTML in the
    /// source has been turned into text.
    pub html: String,
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
/// the rest.
pub fn parse(id: String, source: String, text: &str, site_zone: &TimeZone) -> PostMortem {
    let text = crate::source::strip_bom(text);
    let index = LineIndex::new(text);
    let pos_of = |offset: usize| index.pos(text, offset);
    let mut findings = Findings::new(source.clone().into());
    let parsed = front_matter::parse(text, site_zone, &mut findings);
    let zone = timeline_zone(&parsed.front, site_zone);
    let body = markdown::parse(&text[parsed.body_offset..], parsed.body_offset);

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
    };

    let mut before_known_sections = true;
    for span in split_sections(&body.blocks, body.events.len()) {
        let blocks = &body.blocks[span.blocks.clone()];
        let kind = span.kind;
        before_known_sections &= matches!(kind, SectionKind::Header | SectionKind::Other);
        for block in blocks {
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
        match kind {
            SectionKind::Timeline => {
                if let Some(table) = first_table(blocks, |_| true) {
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
                    pm.action_items = action_items::read_table(table, pos_of);
                }
            }
            SectionKind::Header | SectionKind::Other => {}
        }
        let mut html_out = String::new();
        html::push_html(
            &mut html_out,
            body.events[span.events.clone()].iter().cloned(),
        );
        pm.sections.push(Section {
            kind,
            title: span.title,
            anchor: span.anchor,
            level: span.level,
            pos: span.offset.map_or(pm.body_pos, pos_of),
            html: html_out,
        });
    }
    pm.findings = findings.into_sorted();
    pm
}

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
        spans.push(SectionSpan {
            kind,
            title: text.clone(),
            anchor: anchor.clone(),
            level: *level,
            offset: Some(*offset),
            blocks: i..blocks.len(),
            events: *event..event_count,
        });
    }
    let (preamble_blocks, preamble_events) =
        preamble_end_event.unwrap_or((blocks.len(), event_count));
    let mut all = Vec::with_capacity(spans.len() + 1);
    if preamble_events > 0 {
        let lines = &blocks[..preamble_blocks];
        let header_only = !lines.is_empty()
            && lines.iter().all(|b| match b {
                Block::Line(l) => HeaderBlock::is_header_line(&l.text),
                _ => false,
            });
        all.push(SectionSpan {
            kind: if header_only {
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
            crate::rules::validate(&mut pm, &config());
        }

        #[test]
        fn post_mortem_shaped_text_never_panics(parts in proptest::collection::vec(fragment(), 0..24)) {
            let text = parts.concat();
            let mut pm = parse("x".into(), "content/x.md".into(), &text, &TimeZone::UTC);
            crate::rules::validate(&mut pm, &config());
            for f in &pm.findings {
                prop_assert!(f.line >= 1 && f.column >= 1);
                prop_assert!(f.line as usize <= text.lines().count().max(1) + 1, "{f:?}");
            }
        }
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
