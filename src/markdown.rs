//! The Markdown layer: one pulldown-cmark pass over a body, kept as events
//! (for HTML) and as blocks of plain text with byte offsets (for extraction).

use std::collections::HashSet;
use std::ops::Range;

use pulldown_cmark::{CowStr, Event, HeadingLevel, Options, Parser, Tag, TagEnd};

use crate::limits::MAX_NESTING;

/// A logical line of prose: one line of a paragraph, or one list item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub text: String,
    /// File byte offset of the line's first character.
    pub offset: usize,
    /// Leading bold or italic text (`**Customer impact:**`), if the line starts with it.
    pub label: Option<String>,
    pub list: Option<ListKind>,
    /// Lines of the same paragraph or list item share a group.
    pub group: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListKind {
    Bullet,
    Ordered,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cell {
    pub text: String,
    pub offset: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    pub offset: usize,
    /// The header row.
    pub head: Vec<Cell>,
    pub rows: Vec<Vec<Cell>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    Heading {
        level: u8,
        text: String,
        offset: usize,
        /// Index of the heading's start event in `Body::events`.
        event: usize,
        anchor: String,
    },
    Line(Line),
    Table(Table),
}

/// A bracketed text such as `[Name]`, which may be an unfilled template slot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bracketed {
    pub text: String,
    pub offset: usize,
}

#[derive(Debug)]
pub struct Body<'a> {
    /// Raw HTML is still `Html`/`InlineHtml` here: render these events with
    /// `post_mortem`'s renderer, which applies `[markdown] raw_html`.
    pub events: Vec<Event<'a>>,
    pub blocks: Vec<Block>,
    pub bracketed: Vec<Bracketed>,
    /// File offset of the first block quote or list nested deeper than
    /// `limits::MAX_NESTING`; such containers are flattened into their parent.
    pub too_deep: Option<usize>,
}

pub fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_HEADING_ATTRIBUTES
}

/// Parses `body`, which starts at file byte offset `base`.
pub fn parse(body: &str, base: usize) -> Body<'_> {
    let mut builder = Builder::new(base, body);
    let mut events = Vec::new();
    let mut depth = 0usize;
    let mut too_deep = None;
    for (event, range) in Parser::new_ext(body, options()).into_offset_iter() {
        // Past the bound, container starts and ends are dropped and their
        // text kept, so rendering and the reader's browser stay shallow.
        let beyond = match &event {
            Event::Start(Tag::BlockQuote(_) | Tag::List(_)) => {
                depth += 1;
                depth > MAX_NESTING
            }
            Event::End(TagEnd::BlockQuote(_) | TagEnd::List(_)) => {
                depth = depth.saturating_sub(1);
                depth >= MAX_NESTING
            }
            Event::Start(Tag::Item) | Event::End(TagEnd::Item) => depth > MAX_NESTING,
            _ => false,
        };
        if beyond {
            too_deep.get_or_insert(base + range.start);
            continue;
        }
        let index = events.len();
        builder.feed(&event, range, index);
        events.push(neutralise_html(event));
    }
    builder.flush_line();
    builder.flush_run();
    let mut body = Body {
        events,
        blocks: builder.blocks,
        bracketed: builder.bracketed,
        too_deep,
    };
    set_heading_ids(&mut body);
    body
}

/// Whether a link target could run script when followed.
fn is_script_url(url: &str) -> bool {
    let scheme: String = url
        .chars()
        .filter(|c| !c.is_whitespace() && !c.is_control())
        .take_while(|c| *c != ':')
        .collect::<String>()
        .to_ascii_lowercase();
    url.contains(':') && matches!(scheme.as_str(), "javascript" | "vbscript" | "data")
}

/// Comments are dropped since they are notes to reviewers; links and images
/// that would run script lose their target, and headings keep only their id
/// and classes (`{onfocus=…}` would run script). Other raw HTML stays `Html`,
/// for the renderer to escape, sanitize or trust as `[markdown] raw_html` says.
fn neutralise_html(event: Event<'_>) -> Event<'_> {
    match event {
        Event::Start(Tag::Heading {
            level,
            id,
            classes,
            attrs,
        }) if !attrs.is_empty() => Event::Start(Tag::Heading {
            level,
            id,
            classes,
            attrs: Vec::new(),
        }),
        Event::Start(Tag::Link {
            link_type,
            dest_url,
            title,
            id,
        }) if is_script_url(&dest_url) => Event::Start(Tag::Link {
            link_type,
            dest_url: CowStr::Borrowed("#"),
            title,
            id,
        }),
        Event::Start(Tag::Image {
            link_type,
            dest_url,
            title,
            id,
        }) if is_script_url(&dest_url) => Event::Start(Tag::Image {
            link_type,
            dest_url: CowStr::Borrowed("#"),
            title,
            id,
        }),
        Event::Html(html) | Event::InlineHtml(html)
            if html.trim_start().starts_with("<!--") || html.trim_end().ends_with("-->") =>
        {
            Event::Text(CowStr::Borrowed(""))
        }
        other => other,
    }
}

/// Gives every heading a stable, unique id so sections can be linked to.
fn set_heading_ids(body: &mut Body<'_>) {
    let mut used = HashSet::new();
    for block in &mut body.blocks {
        if let Block::Heading {
            text,
            event,
            anchor,
            ..
        } = block
        {
            let Event::Start(Tag::Heading { id, .. }) = &mut body.events[*event] else {
                continue;
            };
            let wanted = match id {
                Some(given) => given.to_string(),
                None => slug(text),
            };
            let mut unique = if wanted.is_empty() {
                "section".to_string()
            } else {
                wanted
            };
            let mut n = 1;
            while !used.insert(unique.clone()) {
                n += 1;
                unique = format!(
                    "{}-{n}",
                    unique
                        .trim_end_matches(char::is_numeric)
                        .trim_end_matches('-')
                );
            }
            *id = Some(CowStr::from(unique.clone()));
            *anchor = unique;
        }
    }
}

/// A lower-case, dash-separated form of `text` for ids and URLs; letters of
/// any script are kept.
pub fn slug(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    while out.ends_with('-') {
        out.pop();
    }
    out
}

struct LineBuf {
    text: String,
    offset: Option<usize>,
    label: Option<String>,
    in_label: bool,
    list: Option<ListKind>,
    group: u32,
}

struct Builder<'s> {
    base: usize,
    source: &'s str,
    blocks: Vec<Block>,
    bracketed: Vec<Bracketed>,
    line: Option<LineBuf>,
    lists: Vec<ListKind>,
    item_depth: usize,
    group: u32,
    heading: Option<(u8, usize, usize, String)>,
    table: Option<Table>,
    row: Vec<Cell>,
    cell: Option<Cell>,
    in_code_block: bool,
    run: Option<Run>,
}

/// Text events joined, with where each piece came from: an entity or an
/// escape (`&amp;`, `\[`) is shorter than its source, so a position in the
/// joined text maps to the file only through its piece.
#[derive(Default)]
struct Run {
    text: String,
    /// (start in `text`, file offset, whether the piece is its source verbatim)
    pieces: Vec<(usize, usize, bool)>,
}

impl Run {
    /// The file offset of byte `at` of the joined text: exact inside a
    /// verbatim piece, else the start of the piece's source.
    fn file_offset(&self, at: usize) -> usize {
        let index = self.pieces.partition_point(|&(start, _, _)| start <= at) - 1;
        let (start, offset, verbatim) = self.pieces[index];
        if verbatim {
            offset + (at - start)
        } else {
            offset
        }
    }
}

impl<'s> Builder<'s> {
    fn new(base: usize, source: &'s str) -> Self {
        Builder {
            base,
            source,
            blocks: Vec::new(),
            bracketed: Vec::new(),
            line: None,
            lists: Vec::new(),
            item_depth: 0,
            group: 0,
            heading: None,
            table: None,
            row: Vec::new(),
            cell: None,
            in_code_block: false,
            run: None,
        }
    }

    fn start_line(&mut self) {
        self.flush_line();
        self.line = Some(LineBuf {
            text: String::new(),
            offset: None,
            label: None,
            in_label: false,
            list: if self.item_depth > 0 {
                self.lists.last().copied()
            } else {
                None
            },
            group: self.group,
        });
    }

    fn flush_line(&mut self) {
        if let Some(buf) = self.line.take() {
            let text = buf.text.trim().to_string();
            if let (false, Some(offset)) = (text.is_empty(), buf.offset) {
                self.blocks.push(Block::Line(Line {
                    text,
                    offset,
                    label: buf.label.map(|l| l.trim().to_string()),
                    list: buf.list,
                    group: buf.group,
                }));
            }
        }
    }

    /// File offset of the end of the line holding file offset `offset`.
    fn line_end(&self, offset: usize) -> usize {
        let local = offset.saturating_sub(self.base).min(self.source.len());
        let rest = &self.source[local..];
        let len = rest.find('\n').unwrap_or(rest.len());
        offset + rest[..len].trim_end_matches('\r').len()
    }

    /// Brackets arrive split over several text events (`[`, `Name`, `]`), so
    /// runs of text are joined before they are searched.
    fn flush_run(&mut self) {
        if let Some(run) = self.run.take() {
            find_bracketed(&run, &mut self.bracketed);
        }
    }

    fn text(&mut self, text: &str, range: &Range<usize>, scan_brackets: bool) {
        let offset = self.base + range.start;
        if scan_brackets {
            let run = self.run.get_or_insert_with(Run::default);
            run.pieces
                .push((run.text.len(), offset, text.len() == range.len()));
            run.text.push_str(text);
        }
        if let Some((_, _, _, heading)) = &mut self.heading {
            heading.push_str(text);
        } else if let Some(cell) = &mut self.cell {
            if cell.text.is_empty() {
                cell.offset = offset;
            }
            cell.text.push_str(text);
        } else if self.table.is_none() && !self.in_code_block {
            if self.line.is_none() {
                self.start_line();
            }
            let line = self.line.as_mut().expect("line started above");
            if line.offset.is_none() {
                if text.trim().is_empty() {
                    return;
                }
                // Past the leading blanks only when the text is its source
                // verbatim: a code span's text starts after its backtick.
                let verbatim = text.len() == range.len();
                let blanks = text.len() - text.trim_start().len();
                line.offset = Some(offset + if verbatim { blanks } else { 0 });
            }
            line.text.push_str(text);
            if line.in_label {
                line.label.get_or_insert_with(String::new).push_str(text);
            }
        }
    }

    fn feed(&mut self, event: &Event<'_>, range: Range<usize>, index: usize) {
        if !matches!(event, Event::Text(_)) {
            self.flush_run();
        }
        match event {
            Event::Start(Tag::Heading { level, .. }) => {
                self.flush_line();
                self.heading = Some((
                    heading_number(*level),
                    self.base + range.start,
                    index,
                    String::new(),
                ));
            }
            Event::End(TagEnd::Heading(_)) => {
                if let Some((level, offset, event, text)) = self.heading.take() {
                    self.blocks.push(Block::Heading {
                        level,
                        text: text.trim().to_string(),
                        offset,
                        event,
                        anchor: String::new(),
                    });
                }
                self.group += 1;
            }
            Event::Start(Tag::Paragraph) => {
                if self.item_depth == 0 {
                    self.group += 1;
                    self.start_line();
                } else if self
                    .line
                    .as_ref()
                    .is_some_and(|l| !l.text.trim().is_empty())
                {
                    // A second paragraph in the same list item continues it.
                    if let Some(line) = &mut self.line {
                        line.text.push(' ');
                    }
                }
            }
            Event::End(TagEnd::Paragraph) if self.item_depth == 0 => self.flush_line(),
            Event::Start(Tag::List(first)) => {
                self.flush_line();
                self.lists.push(if first.is_some() {
                    ListKind::Ordered
                } else {
                    ListKind::Bullet
                });
            }
            Event::End(TagEnd::List(_)) => {
                self.flush_line();
                self.lists.pop();
            }
            Event::Start(Tag::Item) => {
                self.item_depth += 1;
                self.group += 1;
                self.start_line();
            }
            Event::End(TagEnd::Item) => {
                self.flush_line();
                self.item_depth -= 1;
            }
            Event::SoftBreak | Event::HardBreak => {
                if self.item_depth > 0 || self.heading.is_some() || self.cell.is_some() {
                    self.text(" ", &range, false);
                } else if self.line.is_some() {
                    self.start_line();
                }
            }
            Event::Start(Tag::Strong | Tag::Emphasis) => {
                if let Some(line) = &mut self.line {
                    if line.text.trim().is_empty() && line.label.is_none() {
                        line.in_label = true;
                    }
                }
            }
            Event::End(TagEnd::Strong | TagEnd::Emphasis) => {
                if let Some(line) = &mut self.line {
                    line.in_label = false;
                }
            }
            Event::Start(Tag::CodeBlock(_)) => {
                self.flush_line();
                self.in_code_block = true;
            }
            Event::End(TagEnd::CodeBlock) => self.in_code_block = false,
            Event::Start(Tag::Table(_)) => {
                self.flush_line();
                self.table = Some(Table {
                    offset: self.base + range.start,
                    head: Vec::new(),
                    rows: Vec::new(),
                });
            }
            Event::End(TagEnd::Table) => {
                if let Some(table) = self.table.take() {
                    self.blocks.push(Block::Table(table));
                }
                self.group += 1;
            }
            Event::Start(Tag::TableRow | Tag::TableHead) => self.row.clear(),
            Event::End(TagEnd::TableHead) => {
                if let Some(table) = &mut self.table {
                    table.head = std::mem::take(&mut self.row);
                }
            }
            Event::End(TagEnd::TableRow) => {
                if let Some(table) = &mut self.table {
                    table.rows.push(std::mem::take(&mut self.row));
                }
            }
            Event::Start(Tag::TableCell) => {
                self.cell = Some(Cell {
                    text: String::new(),
                    offset: self.base + range.start,
                });
            }
            Event::End(TagEnd::TableCell) => {
                if let Some(mut cell) = self.cell.take() {
                    cell.text = cell.text.trim().to_string();
                    if let Some(first) = self.row.first() {
                        // Cells padded onto a short row have no text of their
                        // own: place them at the end of the row's line.
                        let line_end = self.line_end(first.offset);
                        cell.offset = cell.offset.min(line_end);
                    }
                    self.row.push(cell);
                }
            }
            Event::Text(text) => {
                let scan = !self.in_code_block;
                self.text(text, &range, scan);
            }
            Event::Code(code) => self.text(code, &range, false),
            Event::TaskListMarker(done) => {
                self.text(if *done { "[x] " } else { "[ ] " }, &range, false);
            }
            _ => {}
        }
    }
}

fn heading_number(level: HeadingLevel) -> u8 {
    level as u8
}

/// Records every `[...]` in the joined text of `run`.
fn find_bracketed(run: &Run, out: &mut Vec<Bracketed>) {
    let mut rest = run.text.as_str();
    let mut at = 0;
    while let Some(open) = rest.find('[') {
        let after = &rest[open + 1..];
        let Some(close) = after.find(']') else { break };
        let inner = &after[..close];
        if !inner.is_empty() && !inner.contains('[') && inner.len() <= 200 {
            out.push(Bracketed {
                text: inner.to_string(),
                offset: run.file_offset(at + open),
            });
        }
        let consumed = open + 1 + close + 1;
        at += consumed;
        rest = &rest[consumed..];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(body: &Body) -> Vec<(String, Option<String>, Option<ListKind>)> {
        body.blocks
            .iter()
            .filter_map(|b| match b {
                Block::Line(l) => Some((l.text.clone(), l.label.clone(), l.list)),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn splits_paragraph_lines_and_keeps_bold_labels() {
        let text = "**Customer impact:** 40% of users\nRevenue impact: none\n";
        let body = parse(text, 100);
        assert_eq!(
            lines(&body),
            [
                (
                    "Customer impact: 40% of users".into(),
                    Some("Customer impact:".into()),
                    None
                ),
                ("Revenue impact: none".into(), None, None),
            ]
        );
        let Block::Line(second) = &body.blocks[1] else {
            panic!()
        };
        assert_eq!(second.offset, 100 + text.find("Revenue").unwrap());
    }

    #[test]
    fn list_items_are_one_line_each_even_when_wrapped() {
        let body = parse("- **Alerting**: paged\n  within a minute\n1. first\n", 0);
        assert_eq!(
            lines(&body),
            [
                (
                    "Alerting: paged within a minute".into(),
                    Some("Alerting".into()),
                    Some(ListKind::Bullet)
                ),
                ("first".into(), None, Some(ListKind::Ordered)),
            ]
        );
    }

    #[test]
    fn tables_keep_cells_with_escaped_pipes_and_offsets() {
        let text = "| Time | Event |\n|---|---|\n| 09:00 | a \\| b |\n";
        let body = parse(text, 0);
        let Block::Table(table) = &body.blocks[0] else {
            panic!("{:?}", body.blocks)
        };
        assert_eq!(table.head[1].text, "Event");
        assert_eq!(table.rows[0][1].text, "a | b");
        assert_eq!(table.rows[0][0].offset, text.find("09:00").unwrap());
    }

    #[test]
    fn headings_get_unique_ids() {
        let body = parse("## Notes\n\n## Notes\n\n## Why? {#custom}\n", 0);
        let anchors: Vec<_> = body
            .blocks
            .iter()
            .filter_map(|b| match b {
                Block::Heading { anchor, .. } => Some(anchor.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(anchors, ["notes", "notes-2", "custom"]);
    }

    fn render(body: Body<'_>) -> String {
        let mut html = String::new();
        pulldown_cmark::html::push_html(&mut html, body.events.into_iter());
        html
    }

    #[test]
    fn raw_html_is_kept_for_the_renderer_and_comments_vanish() {
        let body = parse(
            "<script>alert(1)</script>\n\n<!-- note -->\n\na <!-- inline\nnote --> b <b>c</b>\n",
            0,
        );
        let raw: Vec<_> = body
            .events
            .iter()
            .filter_map(|e| match e {
                Event::Html(h) | Event::InlineHtml(h) => Some(h.as_ref()),
                _ => None,
            })
            .collect();
        assert_eq!(raw, ["<script>alert(1)</script>\n", "<b>", "</b>"]);
        let html = render(body);
        assert!(!html.contains("note"), "{html}");
    }

    #[test]
    fn script_urls_are_recognised_through_case_entities_and_whitespace() {
        for url in [
            "javascript:alert(1)",
            " JavaScript:x",
            "jav\tascript:alert(1)",
            "java\nscript:alert(1)",
            "\u{1}javascript:alert(1)",
            "VBScript:msgbox(1)",
            "data:text/html,<script>alert(1)</script>",
        ] {
            assert!(is_script_url(url), "{url:?}");
        }
        for url in [
            "https://e.org/?q=javascript:",
            "#fn-1",
            "../x/",
            "mailto:a@b.org",
            "javascript",
            "javascript%3Aalert(1)",
        ] {
            assert!(!is_script_url(url), "{url:?}");
        }
    }

    #[test]
    fn script_links_lose_their_target() {
        let body = parse(
            "[a](javascript:alert(1)) [b]( JavaScript:x) ![c](data:text/html,x) \
             [d](https://e.org/?q=javascript:) [e](jav&#x09;ascript:alert(1)) \
             [f](&#106;avascript&colon;alert(1)) <javascript:alert(1)> [g][r]\n\n\
             [r]: VBSCRIPT:x\n",
            0,
        );
        let html = render(body);
        assert_eq!(html.matches("href=\"#\"").count(), 6, "{html}");
        assert!(html.contains("<img src=\"#\""), "{html}");
        assert!(
            html.contains("href=\"https://e.org/?q=javascript:\""),
            "{html}"
        );
    }

    #[test]
    fn headings_keep_id_and_classes_but_no_other_attributes() {
        let body = parse(
            "## Title {#t .c onclick=alert(1)}\n\n## B {autofocus onfocus=alert(1) tabindex=0}\n",
            0,
        );
        assert_eq!(
            render(body),
            "<h2 id=\"t\" class=\"c\">Title</h2>\n<h2 id=\"b\">B</h2>\n"
        );
    }

    #[test]
    fn finds_bracketed_placeholders_but_not_links() {
        let body = parse(
            "| [HH:MM] | [What happened](x) |\n|--|--|\n\nOwner: [Name] and [x] done\n",
            10,
        );
        let found: Vec<_> = body.bracketed.iter().map(|b| b.text.as_str()).collect();
        assert_eq!(found, ["HH:MM", "Name", "x"]);
        assert_eq!(body.bracketed[0].offset, 12);
    }

    #[test]
    fn a_line_starting_with_a_code_span_starts_on_a_character() {
        let text = "`\u{2000}\u{1032d}`\n";
        let body = parse(text, 0);
        let offsets: Vec<usize> = body
            .blocks
            .iter()
            .filter_map(|b| match b {
                Block::Line(line) => Some(line.offset),
                _ => None,
            })
            .collect();
        assert_eq!(offsets, [0]);
    }

    #[test]
    fn placeholders_after_an_entity_point_at_their_bracket() {
        let text = "&amp;日本語[Name] and &lt;[x]\n";
        let body = parse(text, 0);
        let offsets: Vec<_> = body.bracketed.iter().map(|b| b.offset).collect();
        assert_eq!(
            offsets,
            [text.find("[Name]").unwrap(), text.find("[x]").unwrap()]
        );
    }

    #[test]
    fn slugs_keep_letters_of_any_script() {
        assert_eq!(slug("What Went Well?"), "what-went-well");
        assert_eq!(slug("Zürich — Ausfall"), "zürich-ausfall");
    }
}
