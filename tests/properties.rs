//! Property tests for the three parsers (issue 6, "never panic on any
//! input"): the front-matter splitter and field reader, the body extractor
//! and the date parser. The strategies build near-valid files out of the
//! pieces authors and editors really produce (fences with a BOM, CRLF,
//! trailing blanks and tabs; YAML-ish and TOML-ish fields; headings, tables
//! with escaped pipes and code spans, nested lists and block quotes; dates
//! with odd offsets, leap days and extreme years) and check what must hold
//! for every one of them, beyond not panicking.
//!
//! `src/post_mortem.rs` already checks that any text and post-mortem-shaped
//! text parse and validate without panicking; these go further into each
//! parser. The regression tests at the end hold inputs found by the fuzz
//! targets in `fuzz/`.

use std::path::PathBuf;

use hindsight::dates::{self, Moment};
use hindsight::finding::{Finding, Findings};
use hindsight::front_matter::{self, FenceError, Format};
use hindsight::markdown::{self, Block};
use hindsight::post_mortem::{self, PostMortem};
use hindsight::source::Pos;
use jiff::civil::{Date, DateTime, Time};
use jiff::tz::{Offset, TimeZone};
use proptest::prelude::*;
use proptest::sample::select;

// ---- helpers ------------------------------------------------------------------

/// The file's lines as `LineIndex` counts them: a trailing newline starts
/// an empty last line.
fn file_lines(text: &str) -> Vec<&str> {
    text.split('\n').collect()
}

/// `pos` names a character of `text`, or the end of its line.
fn check_pos(text: &str, pos: Pos, what: &str) -> Result<(), TestCaseError> {
    let lines = file_lines(text);
    prop_assert!(
        pos.line >= 1 && pos.line as usize <= lines.len(),
        "{what}: line {} outside 1..={}",
        pos.line,
        lines.len()
    );
    let line = lines[pos.line as usize - 1].trim_end_matches('\r');
    prop_assert!(
        pos.column >= 1 && pos.column as usize <= line.chars().count() + 1,
        "{what}: column {} outside line {} ({line:?})",
        pos.column,
        pos.line
    );
    Ok(())
}

/// The text of the file from `pos` to the end of its line.
fn rest_of_line(text: &str, pos: Pos) -> String {
    let line = file_lines(text)[pos.line as usize - 1].trim_end_matches('\r');
    line.chars().skip(pos.column as usize - 1).collect()
}

/// A finding's line is a file line (or the one after the last) and its
/// column is at least 1.
fn check_findings(text: &str, findings: &[Finding]) -> Result<(), TestCaseError> {
    let lines = text.lines().count().max(1);
    for f in findings {
        prop_assert!(
            f.line >= 1 && f.line as usize <= lines + 1 && f.column >= 1,
            "finding outside the file ({lines} lines): {f:?}"
        );
    }
    Ok(())
}

/// An ATX heading's `#` is at `offset`, or a setext heading's text starts
/// there and is underlined before the next blank line.
fn is_heading_at(text: &str, offset: usize) -> bool {
    let rest = &text[offset..];
    if rest.starts_with('#') {
        return true;
    }
    // The underline may sit inside block quotes and list items.
    rest.lines()
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .map(|l| l.trim_start_matches([' ', '\t', '>']).trim())
        .any(|l| !l.is_empty() && (l.chars().all(|c| c == '=') || l.chars().all(|c| c == '-')))
}

fn check_offset(text: &str, offset: usize, what: &str) -> Result<(), TestCaseError> {
    prop_assert!(
        offset <= text.len() && text.is_char_boundary(offset),
        "{what}: offset {offset} is not a character boundary of a {}-byte text",
        text.len()
    );
    Ok(())
}

fn read_front(text: &str, zone: &TimeZone) -> (front_matter::Parsed, Vec<Finding>) {
    let mut findings = Findings::new(PathBuf::from("content/x.md"));
    let parsed = front_matter::parse(text, zone, &mut findings);
    (parsed, findings.into_sorted())
}

fn parse_pm(text: &str) -> PostMortem {
    post_mortem::parse("x".into(), "content/x.md".into(), text, &TimeZone::UTC)
}

/// `cases` cases, and no `.proptest-regressions` file beside the tests: a
/// failure found here becomes a named regression test at the end of this file.
fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

// ---- strategies: front matter -------------------------------------------------

fn eol() -> impl Strategy<Value = &'static str> {
    prop_oneof![4 => Just("\n"), 1 => Just("\r\n")]
}

fn blanks() -> impl Strategy<Value = &'static str> {
    select(vec!["", "", " ", "  ", "\t", " \t", "\t "])
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => select(vec![
            "title", "severity", "status", "started", "ended", "detected", "detection",
            "commander", "responders", "services", "root_cause_categories", "tags",
            "review_date", "draft", "time_zone", "debt",
        ])
        .prop_map(String::from),
        1 => "[a-z_][a-z0-9_-]{0,12}",
        1 => select(vec![
            "", " title", "\"title\"", "'status'", "title ", "ti tle", "é", "日本", "- x",
            "? complex", "<<", "&a key", "*a", "#comment", "[x]", "{x}",
        ])
        .prop_map(String::from),
    ]
}

fn date_text() -> impl Strategy<Value = String> {
    prop_oneof![
        select(vec![
            "2024-03-14T09:12:00+01:00",
            "2024-03-14 09:12",
            "2024-02-29T23:59:59Z",
            "2023-02-29 10:00",
            "2024-03-10 02:30",
            "1970-01-01T00:00:00Z",
            "9999-12-31T23:59:59-25:59",
            "-000001-01-01T00:00:00Z",
            "2024-13-45",
            "yesterday",
            "2024-03-14T09:12:00+01:00[Europe/Berlin]",
            "2024-03-14 09:12 UTC",
            "2024-03-14T09:12:00.123456789+05:45",
        ])
        .prop_map(String::from),
        (1900i32..2100, 1u8..13, 1u8..32, 0u8..25, 0u8..61)
            .prop_map(|(y, m, d, h, min)| format!("{y:04}-{m:02}-{d:02} {h:02}:{min:02}")),
    ]
}

fn yaml_value() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "[A-Za-z][A-Za-z0-9 .,()-]{0,30}",
        2 => date_text(),
        1 => select(vec![
            "", "~", "null", "true", "false", "yes", "404", "1e999", "-0", "0x1F", "P1",
            "open", "Resolved", "closed", "America/Los_Angeles", "Mars/Olympus",
            "\"quoted: value\"", "'single'", "\"unterminated", "Checkout: slow",
            "[checkout, payments]", "[a, [b, c]]", "[unclosed", "{a: 1}", "{",
            "&anchor value", "*anchor", "&a [x, y]", "[*a, *a, *a]", "!!binary aGk=",
            "|", ">-", "\"\\u0000\"", "\"\\ud800\"", "é ü 日本 🚒", "\u{a0}", "`code`",
            "- item", "# comment", "2024-03-14T09:12:00+01:00 # trailing",
        ])
        .prop_map(String::from),
    ]
}

/// One line of YAML-ish front matter: a field, a list entry, a comment or noise.
fn yaml_line() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => (key(), select(vec![": ", ":", " : ", ":\t", ":  "]), yaml_value())
            .prop_map(|(k, sep, v)| format!("{k}{sep}{v}")),
        2 => (select(vec!["  - ", "- ", "    - ", "\t- ", "  -"]), yaml_value())
            .prop_map(|(dash, v)| format!("{dash}{v}")),
        1 => select(vec![
            "", " ", "\t", "# a comment", "---", "...", "+++", "  nested: value",
            "\tindented: with a tab", "key: value: more", "%YAML 1.2", "? key", ": value",
        ])
        .prop_map(String::from),
    ]
}

fn toml_line() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => (key(), select(vec![" = ", "=", " =", "= "]), prop_oneof![
            "\"[A-Za-z0-9 :.-]{0,20}\"".boxed(),
            date_text().boxed(),
            select(vec![
                "true", "1", "[\"a\", \"b\"]", "[[1]]", "{a = 1}", "\"unterminated",
                "'''", "2024-03-14", "09:12:00", "[", "\"\\u0000\"", "inf", "nan",
            ])
            .prop_map(String::from)
            .boxed(),
        ])
            .prop_map(|(k, sep, v)| format!("{k}{sep}{v}")),
        1 => select(vec!["", "[table]", "[[array]]", "# comment", "+++", "---", "a.b = 1"])
            .prop_map(String::from),
    ]
}

/// The tail of a file after its front matter: nothing, a body, a second block.
fn after_front() -> impl Strategy<Value = String> {
    select(vec![
        "",
        "\n",
        "# Title\n",
        "\n## Timeline\n| Time | Event |\n|---|---|\n| 09:00 | a |\n",
        "\n---\ntitle: second\n---\n",
        "---\nowner: x\n---\n# Heading\n",
        "+++\nx = 1\n+++\n",
        "body without heading",
        "\u{feff}# BOM inside\n",
    ])
    .prop_map(String::from)
}

prop_compose! {
    /// A near-valid file: opening fence (YAML or TOML), lines, a closing
    /// fence or none, and a tail; line ends mixed.
    fn front_matter_file()(
        toml in prop::bool::weighted(0.2),
        yaml_lines in prop::collection::vec((yaml_line(), eol()), 0..14),
        toml_lines in prop::collection::vec((toml_line(), eol()), 0..10),
        open_blanks in blanks(),
        open_eol in eol(),
        close in prop_oneof![6 => Just(0u8), 1 => Just(1u8), 1 => Just(2u8)],
        close_blanks in blanks(),
        close_eol in prop_oneof![Just(""), eol()],
        tail in after_front(),
    ) -> String {
        let (mark, lines) = if toml { ("+++", toml_lines) } else { ("---", yaml_lines) };
        let mut text = format!("{mark}{open_blanks}{open_eol}");
        for (line, e) in lines {
            text.push_str(&line);
            text.push_str(e);
        }
        match close {
            0 => text.push_str(&format!("{mark}{close_blanks}{close_eol}")),
            // YAML's document end marker; not a TOML fence.
            1 => text.push_str(&format!("...{close_blanks}{close_eol}")),
            _ => {}
        }
        text.push_str(&tail);
        text
    }
}

prop_compose! {
    /// A clean YAML front matter with known values, to check what is read.
    fn clean_fields()(
        // Not a word YAML reads as a boolean or null.
        title in "[A-Za-z][A-Za-z0-9 ]{0,30}[A-Za-z0-9]".prop_filter("plain text", |t| {
            !["true", "false", "null"].contains(&t.to_lowercase().as_str())
        }),
        severity in select(vec!["P0", "P1", "P2", "SEV-1"]),
        status in select(vec!["open", "resolved", "Open", "RESOLVED"]),
        (y, m, d, h, min) in (1971i32..2100, 1i8..13, 1i8..29, 0i8..24, 0i8..60),
        services in prop::collection::vec("[a-z][a-z0-9-]{0,10}", 0..4),
        block_list in any::<bool>(),
        // A map, since a key written twice is invalid YAML (a finding, not a clean field).
        extra in prop::collection::btree_map("x_[a-z]{1,8}", "[a-z]{1,10}", 0..3),
    ) -> (Vec<String>, String, &'static str, &'static str, DateTime, Vec<String>) {
        let started = jiff::civil::date(y as i16, m, d).at(h, min, 0, 0);
        let mut lines = vec![
            format!("title: {title}"),
            format!("severity: {severity}"),
            format!("status: {status}"),
            format!("started: {}", started.strftime("%Y-%m-%dT%H:%M:%SZ")),
        ];
        for (k, v) in extra {
            lines.push(format!("{k}: {v}"));
        }
        if block_list && !services.is_empty() {
            lines.push("services:".into());
            lines.extend(services.iter().map(|s| format!("  - {s}")));
        } else {
            lines.push(format!("services: [{}]", services.join(", ")));
        }
        (lines, title, severity, status, started, services)
    }
}

// ---- strategies: Markdown bodies ------------------------------------------------

fn inline_text() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            6 => "[A-Za-z0-9]{1,8}",
            2 => Just(" ".to_string()),
            1 => select(vec![
                "**Owner:**", "*x*", "_y_", "`code`", "``a`b``", "[Name]", "[HH:MM]",
                "[link](https://e.org)", "[x](javascript:alert(1))", "![img](data:x)",
                "[^1]", "&amp;", "&#x41;", "\\|", "\\[", "\\", "<b>", "<!-- note -->",
                "é", "日本語", "🚒", "\u{a0}", "\t", "~~s~~", "{#id}", "<https://e.org>",
            ])
            .prop_map(String::from),
        ],
        0..10,
    )
    .prop_map(|parts| parts.concat())
}

/// A table cell's source: text, code spans, escaped pipes.
fn cell_source() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            4 => "[A-Za-z0-9:~-]{1,8}",
            1 => Just(" ".to_string()),
            1 => select(vec!["\\|", "`a|b`", "`x \\| y`", "**b**", "[Name]", "é", "2024-02-29"])
                .prop_map(String::from),
        ],
        0..5,
    )
    .prop_map(|parts| parts.concat())
}

fn table() -> impl Strategy<Value = String> {
    (
        1usize..5,
        prop::collection::vec(prop::collection::vec(cell_source(), 0..6), 0..5),
        eol(),
        any::<bool>(),
    )
        .prop_map(|(columns, rows, e, outer)| {
            let row = |cells: Vec<String>| {
                let inner = cells.join(" | ");
                if outer {
                    format!("| {inner} |{e}")
                } else {
                    format!("{inner}{e}")
                }
            };
            let mut out = row((0..columns).map(|i| format!("H{i}")).collect());
            out.push_str(&row(vec!["---".into(); columns]));
            for cells in rows {
                out.push_str(&row(cells));
            }
            out
        })
}

fn body_block() -> impl Strategy<Value = String> {
    let heading = (
        1usize..8,
        select(vec!["", " ", "  ", "   "]),
        inline_text(),
        select(vec![
            "",
            "Timeline",
            "Root Cause Analysis",
            "Action Items",
            "What Went Well",
            "Impact",
            "Notes",
            "Notes",
        ]),
        eol(),
    )
        .prop_map(|(level, indent, text, word, e)| {
            format!("{indent}{} {word}{text}{e}", "#".repeat(level))
        });
    let list = prop::collection::vec(
        (
            0usize..6,
            select(vec![
                "- ", "* ", "1. ", "2) ", "- [ ] ", "- [x] ", "> ", "> - ",
            ]),
            inline_text(),
            eol(),
        ),
        1..8,
    )
    .prop_map(|items| {
        items
            .into_iter()
            .map(|(depth, marker, text, e)| format!("{}{marker}{text}{e}", "  ".repeat(depth)))
            .collect::<String>()
    });
    let quote = (1usize..6, inline_text(), eol())
        .prop_map(|(depth, text, e)| format!("{}{text}{e}", "> ".repeat(depth)));
    prop_oneof![
        3 => (inline_text(), eol()).prop_map(|(t, e)| format!("{t}{e}")),
        2 => heading,
        2 => table(),
        2 => list,
        1 => quote,
        1 => select(vec![
            "```\n| a | b |\n## not a heading\n```\n",
            "~~~rust\ncode\n",
            "<div>\n<script>x</script>\n</div>\n",
            "<!-- hindsight-ignore blame-language: quoted -->\n",
            "[^1]: a footnote\n",
            "[r]: javascript:alert(1)\n",
            "Heading\n=======\n",
            "***\n",
            "\n",
            "\r\n",
            "    indented code\n",
            "**Customer impact:** everyone\n",
            "The incident occurred when: x\nWhy did that happen? y\n",
            "These will be reviewed at the weekly meeting.\n",
        ])
        .prop_map(String::from),
    ]
}

fn body() -> impl Strategy<Value = String> {
    prop::collection::vec(body_block(), 0..12).prop_map(|blocks| blocks.concat())
}

// ---- front matter -------------------------------------------------------------

fn check_fences(text: &str) -> Result<(), TestCaseError> {
    match front_matter::find_fences(text) {
        Ok(f) => {
            check_offset(text, f.body_offset, "body_offset")?;
            let data_start = f.data.as_ptr() as usize - text.as_ptr() as usize;
            let data_end = data_start + f.data.len();
            prop_assert_eq!(data_start, text.find('\n').unwrap() + 1);
            prop_assert!(data_end <= f.body_offset);
            prop_assert_eq!(f.data_line, 2);
            // What lies between the data and the body is the closing fence.
            let closing = text[data_end..f.body_offset].trim_end_matches([' ', '\t', '\r', '\n']);
            let expected: &[&str] = match f.format {
                Format::Yaml => &["---", "..."],
                Format::Toml => &["+++"],
            };
            prop_assert!(expected.contains(&closing), "closing fence {closing:?}");
            prop_assert!(f.body_offset == text.len() || text[..f.body_offset].ends_with('\n'));
        }
        Err(FenceError::Unclosed { body_offset, .. }) => {
            check_offset(text, body_offset, "guessed body_offset")?;
            prop_assert!(
                body_offset == text.len()
                    || (text[..body_offset].ends_with('\n')
                        && text[body_offset..].starts_with('#')),
                "the guessed body starts at a heading"
            );
        }
        Err(FenceError::Missing) => {
            let first = text.split_inclusive('\n').next().unwrap_or("");
            let first = first.trim_end_matches([' ', '\t', '\r', '\n']);
            prop_assert!(first != "---" && first != "+++");
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(512))]

    #[test]
    fn fences_and_body_offset_stay_inside_the_file(text in front_matter_file()) {
        check_fences(&text)?;
        let (parsed, findings) = read_front(&text, &TimeZone::UTC);
        check_offset(&text, parsed.body_offset, "parsed body_offset")?;
        let newlines = text[..parsed.body_offset].matches('\n').count() as u32;
        prop_assert_eq!(parsed.body_line, newlines + 1);
        check_findings(&text, &findings)?;
        // Keys and list entries are inside the front matter and point at
        // real characters.
        for (key, &pos) in &parsed.front.keys {
            prop_assert!(pos.line >= 2 && pos.line <= parsed.body_line, "{key}: {pos:?}");
            check_pos(&text, pos, key)?;
        }
        for ((key, entry), &pos) in &parsed.front.entries {
            check_pos(&text, pos, key)?;
            let rest = rest_of_line(&text, pos);
            prop_assert!(
                rest.contains(entry.as_str()) || rest.starts_with(['"', '\'']),
                "{key}: entry {entry:?} is not at {pos:?}: {rest:?}"
            );
        }
    }

    #[test]
    fn any_prefix_of_a_front_matter_file_is_split_safely(text in front_matter_file(), cut in any::<prop::sample::Index>()) {
        // Editors save half-typed files: every character-boundary prefix.
        let mut end = cut.index(text.len() + 1);
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        let text = &text[..end];
        check_fences(text)?;
        let (parsed, findings) = read_front(text, &TimeZone::UTC);
        check_offset(text, parsed.body_offset, "parsed body_offset")?;
        check_findings(text, &findings)?;
    }

    #[test]
    fn clean_fields_are_read_back_at_their_lines(
        (lines, title, severity, status, started, services) in clean_fields(),
        tail in after_front(),
    ) {
        let text = format!("---\n{}\n---\n{tail}", lines.join("\n"));
        let (parsed, findings) = read_front(&text, &TimeZone::UTC);
        let front = &parsed.front;
        prop_assert_eq!(front.title.as_deref(), Some(title.as_str()));
        prop_assert_eq!(front.severity.as_deref(), Some(severity));
        let status = status.to_lowercase();
        prop_assert_eq!(front.status.map(|s| s.as_str()), Some(status.as_str()));
        let expected = Offset::UTC.to_timestamp(started).unwrap();
        prop_assert_eq!(front.started.map(|m| m.timestamp), Some(expected));
        prop_assert_eq!(&front.services, &services);
        prop_assert_eq!(parsed.body_line, lines.len() as u32 + 3);
        for (i, line) in lines.iter().enumerate() {
            if let Some((key, _)) = line.split_once(':').filter(|_| !line.starts_with(' ')) {
                prop_assert_eq!(front.key_pos(key), Pos { line: i as u32 + 2, column: 1 });
            }
        }
        for service in &services {
            let pos = front.entry_pos("services", service);
            prop_assert!(rest_of_line(&text, pos).starts_with(service.as_str()), "{service}: {pos:?}");
        }
        // No finding about the front matter itself, only maybe about a
        // second block in the tail.
        prop_assert!(findings.iter().all(|f| f.line as usize > lines.len() + 2), "{findings:?}");
    }

    #[test]
    fn a_bom_crlf_and_blanks_after_the_fences_change_nothing(
        (lines, ..) in clean_fields(),
        noise in prop::collection::vec(yaml_line(), 0..4),
        bom in any::<bool>(),
        crlf in any::<bool>(),
        open_blanks in blanks(),
        close_blanks in blanks(),
    ) {
        let mut lines = lines;
        lines.extend(noise);
        let plain = format!("---\n{}\n---\n# Title\n", lines.join("\n"));
        let mut odd = format!("---{open_blanks}\n{}\n---{close_blanks}\n# Title\n", lines.join("\n"));
        if crlf {
            odd = odd.replace('\n', "\r\n");
        }
        if bom {
            odd.insert(0, '\u{feff}');
        }
        let (a, fa) = read_front(&plain, &TimeZone::UTC);
        let (b, fb) = read_front(hindsight::source::strip_bom(&odd), &TimeZone::UTC);
        prop_assert_eq!(&a.front.title, &b.front.title);
        prop_assert_eq!(a.front.status, b.front.status);
        prop_assert_eq!(a.front.started, b.front.started);
        prop_assert_eq!(&a.front.services, &b.front.services);
        prop_assert_eq!(&a.front.keys, &b.front.keys);
        prop_assert_eq!(&a.front.entries, &b.front.entries);
        prop_assert_eq!(a.body_line, b.body_line);
        let rules = |f: &[Finding]| f.iter().map(|f| (f.rule, f.line)).collect::<Vec<_>>();
        prop_assert_eq!(rules(&fa), rules(&fb));
    }
}

// ---- the body -------------------------------------------------------------------

/// Every offset a parsed body reports, with what it belongs to.
fn body_offsets(body: &markdown::Body<'_>) -> Vec<(&'static str, usize)> {
    let mut out = Vec::new();
    for block in &body.blocks {
        match block {
            Block::Heading { offset, .. } => out.push(("heading", *offset)),
            Block::Line(line) => out.push(("line", line.offset)),
            Block::Table(t) => {
                out.push(("table", t.offset));
                for cell in t.head.iter().chain(t.rows.iter().flatten()) {
                    out.push(("cell", cell.offset));
                }
            }
        }
    }
    out.extend(body.bracketed.iter().map(|b| ("bracketed", b.offset)));
    out.extend(body.too_deep.map(|o| ("too_deep", o)));
    out
}

proptest! {
    #![proptest_config(config(384))]

    #[test]
    fn block_offsets_lie_inside_the_body_and_on_characters(
        head in "[a-z\u{e9}\u{65e5}\n-]{0,12}",
        text in body(),
    ) {
        // The body starts after some front matter, at `base`.
        let file = format!("{head}{text}");
        let base = head.len();
        let body = markdown::parse(&file[base..], base);
        for (what, offset) in body_offsets(&body) {
            prop_assert!(offset >= base, "{what} at {offset} before the body at {base}");
            check_offset(&file, offset, what)?;
        }
        let mut anchors = std::collections::HashSet::new();
        for block in &body.blocks {
            if let Block::Heading { anchor, offset, .. } = block {
                prop_assert!(!anchor.is_empty());
                prop_assert!(anchors.insert(anchor.clone()), "duplicate anchor {anchor}");
                prop_assert!(is_heading_at(&file, *offset), "heading at {offset}: {:?}", &file[*offset..]);
            }
            if let Block::Table(t) = block {
                for cell in t.head.iter().chain(t.rows.iter().flatten()) {
                    prop_assert!(cell.offset >= t.offset, "cell before its table");
                }
            }
        }
        // Placeholders point at their bracket when nothing was unescaped.
        if !text.contains(['&', '\\']) {
            for b in &body.bracketed {
                prop_assert!(file[b.offset..].starts_with('['), "{:?} at {}: {:?}", b.text, b.offset, &file[b.offset..]);
            }
        }
    }

    #[test]
    fn moving_the_body_moves_every_offset_by_the_same_amount(text in body(), base in 0usize..100_000) {
        let at_zero: Vec<_> = body_offsets(&markdown::parse(&text, 0));
        let moved: Vec<_> = body_offsets(&markdown::parse(&text, base))
            .into_iter()
            .map(|(w, o)| (w, o - base))
            .collect();
        prop_assert_eq!(at_zero, moved);
    }

    #[test]
    fn every_extracted_position_names_a_character_of_the_file(
        (lines, ..) in clean_fields(),
        crlf in any::<bool>(),
        bom in any::<bool>(),
        text in body(),
    ) {
        let mut file = format!("---\n{}\n---\n{text}", lines.join("\n"));
        if crlf {
            file = file.replace('\n', "\r\n");
        }
        if bom {
            file.insert(0, '\u{feff}');
        }
        let pm = parse_pm(&file);
        // Positions count in the file without its BOM, as editors show it.
        let file = hindsight::source::strip_bom(&file);
        check_all_positions(file, &pm)?;
        for prose in &pm.prose {
            prop_assert_eq!(&prose.raw, &rest_of_line(file, prose.pos));
        }
        let index = hindsight::source::LineIndex::new(file);
        for section in pm.sections.iter().filter(|s| s.level > 0) {
            let start = index.line_start(section.pos.line).unwrap();
            let offset = start + file[start..].chars().take(section.pos.column as usize - 1).map(char::len_utf8).sum::<usize>();
            prop_assert!(is_heading_at(file, offset), "section {:?} at {:?}", section.title, section.pos);
        }
    }
}

fn check_all_positions(file: &str, pm: &PostMortem) -> Result<(), TestCaseError> {
    check_pos(file, pm.body_pos, "body_pos")?;
    for s in &pm.sections {
        check_pos(file, s.pos, "section")?;
    }
    for e in &pm.timeline {
        check_pos(file, e.pos, "timeline event")?;
    }
    for a in &pm.action_items {
        check_pos(file, a.pos, "action item")?;
        for field in [&a.action, &a.owner, &a.due_text, &a.priority_text]
            .into_iter()
            .chain(a.status_text.as_ref())
        {
            check_pos(file, field.pos, "action item field")?;
        }
    }
    let header = &pm.header;
    for field in [
        &header.title,
        &header.date_time,
        &header.severity,
        &header.status,
        &header.commander,
    ]
    .into_iter()
    .flatten()
    {
        check_pos(file, field.pos, "header field")?;
    }
    for field in [
        &pm.impact.customer,
        &pm.impact.revenue,
        &pm.impact.data,
        &pm.impact.reputation,
    ]
    .into_iter()
    .flatten()
    .chain(&pm.root_cause.proximate)
    .chain(&pm.root_cause.whys)
    .chain(&pm.review)
    .chain(&pm.bracketed)
    {
        check_pos(file, field.pos, "field")?;
    }
    for item in pm
        .went_well
        .iter()
        .chain(&pm.went_poorly)
        .chain(&pm.root_cause.contributing)
        .chain(&pm.root_cause.preventions)
    {
        check_pos(file, item.pos, "named item")?;
    }
    for p in &pm.prose {
        check_pos(file, p.pos, "prose")?;
    }
    for s in &pm.silences {
        check_pos(file, s.pos, "silence")?;
    }
    check_findings(file, &pm.findings)
}

// ---- timeline and action items ---------------------------------------------------

/// What a cell's source reads as: escaped pipes unescaped, code spans and
/// strong emphasis reduced to their text.
fn cell_text(pieces: &[(&str, &str)]) -> (String, String) {
    let source: String = pieces.iter().map(|p| p.0).collect();
    let text: String = pieces.iter().map(|p| p.1).collect();
    (source, text.trim().to_string())
}

fn cell_pieces() -> impl Strategy<Value = Vec<(&'static str, &'static str)>> {
    let word = select(vec![
        ("Add", "Add"),
        ("canary", "canary"),
        ("Ada Moreno", "Ada Moreno"),
        ("SRE lead", "SRE lead"),
        ("\\|", "|"),
        ("`flag`", "flag"),
        ("`a \\| b`", "a | b"),
        ("**now**", "now"),
        ("Zürich", "Zürich"),
        ("日本", "日本"),
        ("🚒", "🚒"),
    ]);
    // A cell's offset is its first text's: `**now**` first would point past the stars.
    let first = word
        .clone()
        .prop_filter("not emphasis", |w| !w.0.starts_with('*'));
    // Words are separated by blanks (two code spans side by side would be
    // one span with a longer fence); a word may glue to an escaped pipe.
    let gap = select(vec![
        (" ", " "),
        ("  ", "  "),
        ("\\|", "|"),
        (" \\| ", " | "),
    ]);
    (first, prop::collection::vec((gap, word), 0..4)).prop_map(|(first, rest)| {
        let mut all = vec![first];
        for (gap, word) in rest {
            all.extend([gap, word]);
        }
        all
    })
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn action_cells_keep_their_text_and_place(
        rows in prop::collection::vec((cell_pieces(), cell_pieces(), 1i16..9999, 1i8..13, 1i8..29, select(vec!["P0", "High", "low", "?"])), 1..8),
        padding in select(vec![" ", "  ", "\t"]),
        crlf in any::<bool>(),
        lead in select(vec!["", "Agreed in the review.\n\n", "> a quote\n\n"]),
    ) {
        let e = if crlf { "\r\n" } else { "\n" };
        let mut file = format!("---{e}title: x{e}---{e}## Action Items{e}{e}{lead}| # | Action | Owner | Due Date | Priority |{e}|---|---|---|---|---|{e}");
        let first_row_line = file.matches('\n').count() as u32 + 1;
        let mut expected = Vec::new();
        for (n, (action, owner, y, m, d, priority)) in rows.iter().enumerate() {
            let (action_src, action_text) = cell_text(action);
            let (owner_src, owner_text) = cell_text(owner);
            let due = Date::new(*y, *m, *d).unwrap();
            let due_src = due.strftime("%Y-%m-%d").to_string();
            let prefix = format!("| {} |{padding}", n + 1);
            let line = format!("{prefix}{action_src}{padding}| {owner_src} | {due_src} | {priority} |");
            // An escaped pipe's text starts after its backslash.
            let action_column = prefix.chars().count() as u32 + 1 + u32::from(action_src.starts_with('\\'));
            expected.push((action_text, owner_text, due, action_column, first_row_line + n as u32));
            file.push_str(&line);
            file.push_str(e);
        }
        let pm = parse_pm(&file);
        prop_assert_eq!(pm.action_items.len(), rows.len());
        for (item, (action, owner, due, column, line)) in pm.action_items.iter().zip(expected) {
            prop_assert_eq!(&item.action.text, &action);
            prop_assert_eq!(&item.owner.text, &owner);
            prop_assert_eq!(item.due, Some(due));
            prop_assert_eq!(item.action.pos, Pos { line, column });
            prop_assert_eq!(item.owner.pos.line, line);
            let rest = rest_of_line(&file, item.owner.pos);
            let first = owner.chars().next().unwrap();
            prop_assert!(rest.starts_with(first) || rest.starts_with(['`', '\\']), "owner at {:?}: {rest:?}", item.owner.pos);
        }
        check_all_positions(&file, &pm)?;
    }

    #[test]
    fn timeline_times_land_on_the_day_they_were_written(
        (y, m, d) in (1971i16..2100, 1i8..13, 1i8..32),
        start in (0i8..24, 0i8..60),
        times in prop::collection::vec((0i8..24, 0i8..60, any::<bool>()), 1..10),
        crlf in any::<bool>(),
    ) {
        // Leap days included: the day is clamped into its month.
        let last = jiff::civil::date(y, m, 1).days_in_month();
        let date = jiff::civil::date(y, m, d.min(last));
        let e = if crlf { "\r\n" } else { "\n" };
        let started = date.at(start.0, start.1, 0, 0);
        let mut file = format!(
            "---{e}title: x{e}started: {}{e}---{e}## Timeline{e}{e}| Time | Event | Who |{e}|---|---|---|{e}",
            started.strftime("%Y-%m-%dT%H:%M:%SZ")
        );
        let first_row_line = file.matches('\n').count() as u32 + 1;
        for (h, min, utc) in &times {
            let suffix = if *utc { " UTC" } else { "" };
            file.push_str(&format!("| {h:02}:{min:02}{suffix} | something | SRE |{e}"));
        }
        let pm = parse_pm(&file);
        prop_assert_eq!(pm.timeline.len(), times.len());
        let mut last_day = 0;
        for (i, (event, (h, min, _))) in pm.timeline.iter().zip(&times).enumerate() {
            prop_assert_eq!(event.pos, Pos { line: first_row_line + i as u32, column: 3 });
            let moment = event.time.expect("an HH:MM time with a start is placed");
            let local = Offset::UTC.to_datetime(moment.timestamp);
            prop_assert_eq!(local.time(), Time::new(*h, *min, 0, 0).unwrap());
            let day = event.day.expect("placed times have a day");
            prop_assert!(day >= last_day, "days go back: {:?}", pm.timeline);
            prop_assert!(day <= i as i32, "more rollovers than rows");
            prop_assert_eq!(local.date(), date.checked_add(jiff::Span::new().days(day)).unwrap());
            last_day = day;
        }
        check_all_positions(&file, &pm)?;
    }
}

// ---- dates --------------------------------------------------------------------

const ZONES: [&str; 8] = [
    "UTC",
    "America/New_York",
    "Europe/Berlin",
    "Australia/Lord_Howe",
    "Asia/Kathmandu",
    "Pacific/Kiritimati",
    "America/St_Johns",
    "Africa/Casablanca",
];

prop_compose! {
    fn civil()(
        y in prop_oneof![3 => 1900i16..2100, 1 => -9999i16..=9999, 1 => select(vec![-9999i16, -1, 0, 1, 1582, 9998, 9999])],
        m in 1i8..13,
        d in 1i8..32,
        h in 0i8..24,
        min in 0i8..60,
        s in 0i8..60,
        nanos in prop_oneof![3 => Just(0i32), 1 => 0i32..1_000_000_000],
    ) -> DateTime {
        let last = jiff::civil::date(y, m, 1).days_in_month();
        jiff::civil::date(y, m, d.min(last)).at(h, min, s, nanos)
    }
}

/// Offsets as authors write them: whole minutes within ±25:59.
fn offset() -> impl Strategy<Value = Offset> {
    prop_oneof![
        2 => select(vec![0i32, 3600, -28800, 19800, 20700, 45900, -12600, -37800, 50400]),
        1 => (-1559i32..=1559).prop_map(|m| m * 60),
    ]
    .prop_map(|s| Offset::from_seconds(s).unwrap())
}

/// The extended year form RFC 3339's four digits cannot hold.
fn year_text(y: i16) -> String {
    if (0..=9999).contains(&y) {
        format!("{y:04}")
    } else {
        format!("{}{:06}", if y < 0 { '-' } else { '+' }, y.unsigned_abs())
    }
}

fn offset_text(offset: Offset, colon: bool) -> String {
    let secs = offset.seconds();
    let sign = if secs < 0 { '-' } else { '+' };
    let minutes = secs.abs() / 60;
    if colon {
        format!("{sign}{:02}:{:02}", minutes / 60, minutes % 60)
    } else {
        format!("{sign}{:02}{:02}", minutes / 60, minutes % 60)
    }
}

/// A date-like string: mostly near-valid, some of it broken.
fn date_like() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => (civil(), offset(), any::<bool>(), select(vec!["T", " ", "t"]))
            .prop_map(|(dt, off, colon, sep)| format!(
                "{}-{:02}-{:02}{sep}{:02}:{:02}:{:02}{}",
                year_text(dt.year()), dt.month(), dt.day(), dt.hour(), dt.minute(), dt.second(),
                offset_text(off, colon)
            )),
        1 => prop::collection::vec(
            select(vec![
                "2024", "-", "02", "29", "30", "T", " ", ":", "00", "23", "59", "60", "24",
                "Z", "z", "+", "−", "14:00", "25:59", "26:00", ".", "999999999", "1000000000",
                "UTC", " UTC", "GMT", "[", "]", "America/New_York", "!", "u-ca=iso8601",
                "+999999", "-000000", "March", "Feb", ",", "st", "\u{a0}", "日本", "\n",
            ]),
            0..14,
        )
        .prop_map(|parts| parts.concat()),
        1 => "\\PC{0,24}",
    ]
}

fn zone() -> impl Strategy<Value = TimeZone> {
    select(ZONES.to_vec()).prop_map(|name| TimeZone::get(name).unwrap())
}

proptest! {
    #![proptest_config(config(1024))]

    #[test]
    fn a_written_instant_is_read_exactly(dt in civil(), off in offset(), colon in any::<bool>(), sep in select(vec!["T", " "]), tz in zone()) {
        let text = format!(
            "{}-{:02}-{:02}{sep}{:02}:{:02}:{:02}.{:09}{}",
            year_text(dt.year()), dt.month(), dt.day(), dt.hour(), dt.minute(), dt.second(),
            dt.subsec_nanosecond(), offset_text(off, colon)
        );
        // RFC 3339's four-digit years only; wider ones are refused.
        let expected = off.to_timestamp(dt).ok().filter(|_| (0..=9999).contains(&dt.year()));
        match (dates::parse_moment(&text, &tz), expected) {
            (Ok(m), Some(ts)) => {
                prop_assert_eq!(m.timestamp, ts);
                prop_assert_eq!(m.offset, off);
            }
            // Beyond four-digit years or jiff's range of instants: an error,
            // not a wrong value.
            (Err(_), None) => {}
            (got, want) => prop_assert!(false, "{text:?}: got {got:?}, want {want:?}"),
        }
    }

    #[test]
    fn a_parsed_moment_formats_back_to_the_same_instant(text in date_like(), tz in zone()) {
        if let Ok(m) = dates::parse_moment(&text, &tz) {
            let shown = m.to_string();
            let again = dates::parse_moment(&shown, &TimeZone::UTC);
            prop_assert!(
                again.as_ref().is_ok_and(|a| a.timestamp == shown_instant(m)),
                "{text:?} -> {shown:?} -> {again:?}"
            );
            prop_assert_eq!(again.unwrap().offset, m.offset, "{}", shown);
            let _ = m.display();
            prop_assert_eq!(m.local(), m.offset.to_datetime(m.timestamp));
        }
    }

    #[test]
    fn a_local_time_is_read_in_the_zone(dt in civil(), tz in zone(), seconds in any::<bool>()) {
        prop_assume!((0..=9999).contains(&dt.year()));
        let wall = dt.with().subsec_nanosecond(0).second(if seconds { dt.second() } else { 0 }).build().unwrap();
        let text = if seconds {
            wall.strftime("%Y-%m-%d %H:%M:%S").to_string()
        } else {
            wall.strftime("%Y-%m-%d %H:%M").to_string()
        };
        let possible = tz.to_ambiguous_timestamp(wall);
        match dates::parse_moment(&text, &tz) {
            Ok(m) => {
                // The offset is the zone's at that instant; outside a gap the
                // wall clock is what was written.
                prop_assert_eq!(m.offset, tz.to_offset(m.timestamp));
                if !matches!(possible.offset(), jiff::tz::AmbiguousOffset::Gap { .. }) {
                    prop_assert_eq!(m.local(), wall);
                }
            }
            Err(e) => prop_assert!(possible.compatible().is_err(), "{text}: {e}"),
        }
    }

    #[test]
    fn dates_read_back_in_every_spelling(dt in civil()) {
        let date = dt.date();
        let iso = format!("{}-{:02}-{:02}", year_text(date.year()), date.month(), date.day());
        prop_assert_eq!(dates::parse_date(&iso), Ok(date), "{}", iso);
        prop_assert_eq!(dates::parse_date(&format!("  {iso}.  ")), Ok(date));
        if (1..=9999).contains(&date.year()) {
            for format in ["%Y/%m/%d", "%B %d, %Y", "%b %d, %Y", "%d %B %Y", "%d %b %Y", "%B %d %Y", "%Y-%m-%dT%H:%M:%SZ"] {
                let text = dt.strftime(format).to_string();
                prop_assert_eq!(dates::parse_date(&text), Ok(date), "{}", text);
            }
        }
        // A date is not a date-time.
        prop_assert!(matches!(dates::parse_moment(&iso, &TimeZone::UTC), Err(dates::DateError::NoTime(_))));
    }

    #[test]
    fn any_date_like_text_reads_to_a_real_date_or_an_error(text in date_like()) {
        if let Ok(date) = dates::parse_date(&text) {
            let iso = format!("{}-{:02}-{:02}", year_text(date.year()), date.month(), date.day());
            prop_assert_eq!(dates::parse_date(&iso), Ok(date));
        }
        if let Some((time, _)) = dates::parse_time_of_day(&text) {
            prop_assert_eq!(dates::parse_time_of_day(&time.strftime("%H:%M:%S").to_string()), Some((time, false)));
        }
    }

    #[test]
    fn times_of_day_read_back(h in 0i8..24, m in 0i8..60, s in prop::option::of(0i8..60), pad in any::<bool>(), suffix in select(vec!["", " UTC", "UTC", " GMT", " Z", " utc"])) {
        let hour = if pad { format!("{h:02}") } else { h.to_string() };
        let text = match s {
            Some(s) => format!("{hour}:{m:02}:{s:02}{suffix}"),
            None => format!("{hour}:{m:02}{suffix}"),
        };
        let want = Time::new(h, m, s.unwrap_or(0), 0).unwrap();
        let got = dates::parse_time_of_day(&text);
        if suffix == " utc" {
            prop_assert_eq!(got, None);
        } else {
            prop_assert_eq!(got, Some((want, !suffix.is_empty())), "{}", text);
        }
        // Out-of-range fields are refused, not wrapped.
        prop_assert_eq!(dates::parse_time_of_day(&format!("{}:{m:02}", h + 24)), None);
        prop_assert_eq!(dates::parse_time_of_day(&format!("{h}:{}", m + 60)), None);
    }
}

/// The instant `m` names, its wall clock cut to the whole second `Display` writes.
fn shown_instant(m: Moment) -> jiff::Timestamp {
    let wall = m.local().with().subsec_nanosecond(0).build().unwrap();
    m.offset.to_timestamp(wall).unwrap()
}

// ---- regressions ----------------------------------------------------------------
//
// Inputs found by the fuzz targets in `fuzz/` (see fuzz/README.md) and by the
// properties above.

/// Either way is sane: refuse the text, or write it so it reads back.
fn assert_reads_back(text: &str) {
    if let Ok(m) = dates::parse_moment(text, &TimeZone::UTC) {
        let shown = m.to_string();
        let again = dates::parse_moment(&shown, &TimeZone::UTC)
            .unwrap_or_else(|e| panic!("{text:?} is written {shown:?}, which is not read: {e}"));
        assert_eq!(
            (again.timestamp, again.offset),
            (m.timestamp, m.offset),
            "{text:?} is written {shown:?}"
        );
    }
}

/// Found by the `dates` target: an offset with seconds is read, and its
/// seconds are then dropped from the RFC 3339 text (`+01:00`), which names
/// an instant 30 seconds away.
#[test]
fn an_offset_with_seconds_formats_to_text_that_reads_back() {
    assert_reads_back("2024-01-01T00:00:00+01:00:30");
}

/// Found by `a_parsed_moment_formats_back_to_the_same_instant`: a year
/// before 1 BC is read from the extended form and written `-9999-…`, which
/// is not read.
#[test]
fn a_negative_year_formats_to_text_that_reads_back() {
    assert_reads_back("-009999-01-02T16:00:00+00:00");
}
