//! The body extractor on any file: the Markdown blocks with their offsets,
//! then the whole post-mortem (sections, header, timeline, action items,
//! its HTML under each `raw_html` setting) and its validation. Every
//! offset must lie in the body and every position in the file.

#![no_main]

use std::path::Path;
use std::sync::LazyLock;

use hindsight::config::{RawHtml, SiteConfig};
use hindsight::markdown::{self, Block};
use hindsight::post_mortem;
use hindsight::source::{strip_bom, Pos};
use libfuzzer_sys::fuzz_target;

static CONFIG: LazyLock<SiteConfig> = LazyLock::new(|| {
    SiteConfig::parse(
        "title = \"t\"\ntime_zone = \"Europe/Berlin\"\n[[severity]]\nid = \"P1\"\nname = \"Major\"\ndefinition = \"d\"\n[[service]]\nid = \"checkout\"\nname = \"Checkout\"\n",
        Path::new("site.toml"),
    )
    .expect("the fuzz site.toml is valid")
});

fn check_pos(lines: &[&str], pos: Pos, what: &str) {
    assert!(
        pos.line >= 1 && pos.line as usize <= lines.len(),
        "{what}: line {} of {}",
        pos.line,
        lines.len()
    );
    let line = lines[pos.line as usize - 1].trim_end_matches('\r');
    assert!(
        pos.column >= 1 && pos.column as usize <= line.chars().count() + 1,
        "{what}: column {} on line {} {line:?}",
        pos.column,
        pos.line
    );
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // The Markdown layer alone, as if the body started at byte 3.
    let base = 3;
    let body = markdown::parse(text, base);
    let end = base + text.len();
    for block in &body.blocks {
        let offsets: Vec<usize> = match block {
            Block::Heading { offset, .. } => vec![*offset],
            Block::Line(line) => vec![line.offset],
            Block::Table(t) => std::iter::once(t.offset)
                .chain(
                    t.head
                        .iter()
                        .chain(t.rows.iter().flatten())
                        .map(|c| c.offset),
                )
                .collect(),
        };
        for offset in offsets {
            assert!(offset >= base && offset <= end, "{block:?}");
            assert!(text.is_char_boundary(offset - base), "{block:?}");
        }
    }
    for b in &body.bracketed {
        assert!(b.offset >= base && b.offset <= end, "{b:?}");
    }

    // The whole file, with each way of treating raw HTML.
    let raw_html = match data.len() % 3 {
        0 => RawHtml::Escape,
        1 => RawHtml::Sanitize,
        _ => RawHtml::Trust,
    };
    let zone = CONFIG.time_zone.clone();
    let mut pm = post_mortem::parse_with("x".into(), "content/x.md".into(), text, &zone, raw_html);
    let file = strip_bom(text);
    let lines: Vec<&str> = file.split('\n').collect();
    check_pos(&lines, pm.body_pos, "body");
    for s in &pm.sections {
        check_pos(&lines, s.pos, "section");
    }
    for e in &pm.timeline {
        check_pos(&lines, e.pos, "timeline event");
    }
    for a in &pm.action_items {
        for f in [&a.action, &a.owner, &a.due_text, &a.priority_text]
            .into_iter()
            .chain(&a.status_text)
        {
            check_pos(&lines, f.pos, "action item");
        }
    }
    for p in &pm.prose {
        check_pos(&lines, p.pos, "prose");
    }
    for b in &pm.bracketed {
        check_pos(&lines, b.pos, "bracketed");
    }
    hindsight::rules::validate(&mut pm, &CONFIG, &["Ada Moreno".to_string()]);
    let count = file.lines().count().max(1) as u32;
    for f in &pm.findings {
        assert!(
            f.line >= 1 && f.line <= count + 1 && f.column >= 1,
            "finding outside the file: {f:?}"
        );
    }
});
