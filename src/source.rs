//! A source file's text and the mapping from byte offsets to line and column.

use serde::Serialize;

/// A 1-based line and column. Columns count characters, as editors show them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Default)]
pub struct Pos {
    pub line: u32,
    pub column: u32,
}

impl Pos {
    pub const START: Pos = Pos { line: 1, column: 1 };
}

/// Byte offsets of line starts, so any offset maps to a `Pos` in O(log n).
#[derive(Debug, Clone)]
pub struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(memchr_newlines(text.as_bytes()).map(|i| i + 1));
        LineIndex { starts }
    }

    /// The position of byte `offset` in `text` (the text this index was built from).
    pub fn pos(&self, text: &str, offset: usize) -> Pos {
        let offset = offset.min(text.len());
        let line = self.starts.partition_point(|&s| s <= offset) - 1;
        let start = self.starts[line];
        let prefix = text.get(start..offset).unwrap_or_else(|| {
            // Offsets inside a multi-byte character count from its start.
            let mut end = offset;
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            &text[start..end]
        });
        Pos {
            line: line as u32 + 1,
            column: prefix.trim_end_matches('\r').chars().count() as u32 + 1,
        }
    }

    /// The byte offset where 1-based `line` starts.
    pub fn line_start(&self, line: u32) -> Option<usize> {
        self.starts.get(line.checked_sub(1)? as usize).copied()
    }

    pub fn line_count(&self) -> usize {
        self.starts.len()
    }
}

fn memchr_newlines(bytes: &[u8]) -> impl Iterator<Item = usize> + '_ {
    bytes
        .iter()
        .enumerate()
        .filter(|(_, &b)| b == b'\n')
        .map(|(i, _)| i)
}

/// Strips a leading UTF-8 byte-order mark, which editors hide and which would
/// otherwise stop the front-matter fence from being recognised.
pub fn strip_bom(text: &str) -> &str {
    text.strip_prefix('\u{feff}').unwrap_or(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_offsets_to_lines_and_character_columns() {
        let text = "ab\né x\r\nlast";
        let index = LineIndex::new(text);
        assert_eq!(index.pos(text, 0), Pos { line: 1, column: 1 });
        assert_eq!(index.pos(text, 3), Pos { line: 2, column: 1 });
        // 'x' sits after a two-byte 'é' and a space: third character.
        assert_eq!(index.pos(text, 6), Pos { line: 2, column: 3 });
        assert_eq!(index.pos(text, text.len()), Pos { line: 3, column: 5 });
        assert_eq!(index.line_count(), 3);
    }

    #[test]
    fn offset_inside_a_character_does_not_panic() {
        let text = "é";
        assert_eq!(LineIndex::new(text).pos(text, 1), Pos::START);
    }

    #[test]
    fn strips_only_a_leading_bom() {
        assert_eq!(strip_bom("\u{feff}---"), "---");
        assert_eq!(strip_bom("a\u{feff}"), "a\u{feff}");
    }
}
