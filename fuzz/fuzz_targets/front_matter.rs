//! The front-matter splitter and field reader, on any file: the fences,
//! the body offset, the findings and the key positions must stay inside it.

#![no_main]

use hindsight::finding::Findings;
use hindsight::front_matter::{self, FenceError};
use hindsight::source::strip_bom;
use jiff::tz::TimeZone;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let text = strip_bom(text);
    let body_offset = match front_matter::find_fences(text) {
        Ok(fences) => {
            let start = fences.data.as_ptr() as usize - text.as_ptr() as usize;
            assert!(start + fences.data.len() <= fences.body_offset);
            Some(fences.body_offset)
        }
        Err(FenceError::Unclosed { body_offset, .. }) => Some(body_offset),
        Err(FenceError::Missing) => None,
    };
    if let Some(offset) = body_offset {
        assert!(offset <= text.len() && text.is_char_boundary(offset));
    }

    let mut findings = Findings::new("content/x.md".into());
    let parsed = front_matter::parse(text, &TimeZone::UTC, &mut findings);
    assert_eq!(parsed.body_offset, body_offset.unwrap_or(0));
    assert!(text.is_char_boundary(parsed.body_offset));
    let lines = text.lines().count().max(1) as u32;
    assert!(parsed.body_line >= 1 && parsed.body_line <= lines + 1);
    for f in findings.into_sorted() {
        assert!(
            f.line >= 1 && f.line <= lines + 1 && f.column >= 1,
            "finding outside the file: {f:?}"
        );
    }
    for (key, pos) in parsed.front.keys.iter().chain(
        parsed
            .front
            .entries
            .iter()
            .map(|((key, _), pos)| (key, pos)),
    ) {
        assert!(
            pos.line >= 1 && pos.line <= parsed.body_line && pos.column >= 1,
            "{key} at {pos:?}"
        );
    }
});
