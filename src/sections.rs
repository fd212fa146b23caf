//! The seed's sections, recognised by their headings' words, and what each
//! one yields: header block, impact lines, the why-chain, named items.

use serde::Serialize;

use crate::action_items::Field;
use crate::markdown::{Block, Line, ListKind};
use crate::source::Pos;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SectionKind {
    /// Text before the first heading that holds only the header block.
    Header,
    Timeline,
    Impact,
    RootCause,
    ContributingFactors,
    Prevention,
    WentWell,
    WentPoorly,
    ActionItems,
    Other,
}

impl SectionKind {
    /// The sections every post-mortem must have, with the heading to add.
    pub const REQUIRED: [(SectionKind, &'static str); 6] = [
        (SectionKind::Timeline, "## Timeline"),
        (SectionKind::Impact, "## Impact"),
        (SectionKind::RootCause, "## Root Cause Analysis"),
        (SectionKind::WentWell, "## What Went Well"),
        (SectionKind::WentPoorly, "## What Went Poorly"),
        (SectionKind::ActionItems, "## Action Items"),
    ];

    /// Classifies a heading by its words, in any case and at any level.
    pub fn of_heading(text: &str) -> SectionKind {
        let words: String = text
            .to_lowercase()
            .chars()
            .map(|c| if c.is_alphanumeric() { c } else { ' ' })
            .collect();
        let words = format!(
            " {} ",
            words.split_whitespace().collect::<Vec<_>>().join(" ")
        );
        let has = |phrases: &[&str]| phrases.iter().any(|p| words.contains(p));
        if has(&[
            " went well ",
            " what worked ",
            " things that went right ",
            " went right ",
        ]) {
            SectionKind::WentWell
        } else if has(&[
            " went poorly ",
            " went wrong ",
            " went badly ",
            " didn t go well ",
            " could have gone better ",
            " what didn t work ",
            " could be improved ",
        ]) {
            SectionKind::WentPoorly
        } else if has(&[
            " action item",
            " follow up",
            " followup",
            " corrective action",
            " remediation item",
            " next steps ",
        ]) {
            SectionKind::ActionItems
        } else if has(&[" contributing factor"]) {
            SectionKind::ContributingFactors
        } else if has(&[
            " prevented ",
            " prevention ",
            " preventive ",
            " preventative ",
        ]) {
            SectionKind::Prevention
        } else if has(&[" root cause", " 5 whys ", " five whys ", " why analysis "]) {
            SectionKind::RootCause
        } else if has(&[" timeline ", " chronology ", " sequence of events "]) {
            SectionKind::Timeline
        } else if has(&[" impact "]) {
            SectionKind::Impact
        } else {
            SectionKind::Other
        }
    }
}

/// If `text` starts with `label` (any case), optionally followed by `:`,
/// returns the rest.
pub fn after_label<'t>(text: &'t str, label: &str) -> Option<&'t str> {
    let head = text.get(..label.len())?;
    if !head.eq_ignore_ascii_case(label) {
        return None;
    }
    let rest = &text[label.len()..];
    let rest = rest.trim_start();
    if let Some(after_colon) = rest.strip_prefix(':') {
        return Some(after_colon.trim());
    }
    // Without a colon the label must end at a word boundary.
    (rest.is_empty() || text[label.len()..].starts_with(char::is_whitespace)).then(|| rest.trim())
}

/// A named list item: `**Name**: how it mattered`.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct NamedItem {
    pub name: String,
    pub detail: String,
    pub pos: Pos,
}

impl NamedItem {
    pub fn from_line(line: &Line, pos: Pos) -> NamedItem {
        let trim_sep = |s: &str| {
            s.trim_start_matches([':', '-', '–', '—', ' ', '\u{a0}'])
                .trim()
                .to_string()
        };
        if let Some(label) = line.label.as_deref().filter(|l| !l.is_empty()) {
            if let Some(rest) = line.text.strip_prefix(label) {
                return NamedItem {
                    name: label.trim_end_matches([':', ' ']).to_string(),
                    detail: trim_sep(rest),
                    pos,
                };
            }
        }
        match line.text.find(": ") {
            Some(i) if i <= 80 => NamedItem {
                name: line.text[..i].trim().to_string(),
                detail: trim_sep(&line.text[i..]),
                pos,
            },
            _ => NamedItem {
                name: line.text.clone(),
                detail: String::new(),
                pos,
            },
        }
    }
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct HeaderBlock {
    pub title: Option<Field>,
    pub date_time: Option<Field>,
    pub severity: Option<Field>,
    pub status: Option<Field>,
    pub commander: Option<Field>,
}

impl HeaderBlock {
    const LABELS: [&'static str; 6] = [
        "Incident Title",
        "Date/Time",
        "Date",
        "Severity",
        "Status",
        "Incident Commander",
    ];

    pub fn is_header_line(text: &str) -> bool {
        Self::LABELS.iter().any(|l| after_label(text, l).is_some())
    }

    /// Reads header lines; returns false when the line is not one.
    pub fn read(&mut self, text: &str, pos: Pos) -> bool {
        let field = |rest: &str| {
            Some(Field {
                text: rest.to_string(),
                pos,
            })
        };
        if let Some(rest) = after_label(text, "Incident Title") {
            self.title = field(rest);
        } else if let Some(rest) =
            after_label(text, "Date/Time").or_else(|| after_label(text, "Date"))
        {
            self.date_time = field(rest);
        } else if let Some(rest) = after_label(text, "Severity") {
            self.severity = field(rest);
        } else if let Some(rest) = after_label(text, "Status") {
            self.status = field(rest);
        } else if let Some(rest) = after_label(text, "Incident Commander") {
            self.commander = field(rest);
        } else {
            return false;
        }
        true
    }
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Impact {
    pub customer: Option<Field>,
    pub revenue: Option<Field>,
    pub data: Option<Field>,
    pub reputation: Option<Field>,
}

impl Impact {
    pub const LINES: [&'static str; 4] = [
        "Customer impact",
        "Revenue impact",
        "Data impact",
        "Reputation impact",
    ];

    pub fn get(&self, label: &str) -> Option<&Field> {
        match label {
            "Customer impact" => self.customer.as_ref(),
            "Revenue impact" => self.revenue.as_ref(),
            "Data impact" => self.data.as_ref(),
            "Reputation impact" => self.reputation.as_ref(),
            _ => None,
        }
    }

    fn slot(&mut self, text: &str) -> Option<(&mut Option<Field>, String)> {
        let mut found = None;
        for label in Self::LINES {
            if let Some(rest) = after_label(text, label) {
                found = Some((label, rest.to_string()));
                break;
            }
        }
        let (label, rest) = found?;
        let slot = match label {
            "Customer impact" => &mut self.customer,
            "Revenue impact" => &mut self.revenue,
            "Data impact" => &mut self.data,
            _ => &mut self.reputation,
        };
        Some((slot, rest))
    }
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct RootCause {
    /// "The incident occurred when: …"
    pub proximate: Option<Field>,
    /// Each answer of the five whys, in order.
    pub whys: Vec<Field>,
    pub contributing: Vec<NamedItem>,
    pub preventions: Vec<NamedItem>,
}

/// The answer in a why line: `Why did that happen? <answer>`, `Why 3: <answer>`.
pub fn why_answer(text: &str) -> Option<&str> {
    let lower = text.get(..3)?;
    if !lower.eq_ignore_ascii_case("why") {
        return None;
    }
    let rest = &text[3..];
    if let Some(q) = rest.find('?').filter(|&q| q <= 150) {
        return Some(rest[q + 1..].trim());
    }
    let numbered = rest.trim_start().trim_start_matches('#');
    let digits = numbered.trim_start_matches(|c: char| c.is_ascii_digit());
    if digits.len() < numbered.len() {
        return digits
            .trim_start()
            .strip_prefix([':', '.', ')', '-'])
            .map(str::trim);
    }
    None
}

#[derive(Clone, Copy, PartialEq)]
enum Target {
    None,
    Proximate,
    Why,
    Contributing,
    Prevention,
}

/// Reads the lines of a root-cause section (and of separate contributing-factor
/// or prevention sections, via `start`).
pub fn read_root_cause(
    rc: &mut RootCause,
    blocks: &[Block],
    start: SectionKind,
    pos_of: &impl Fn(usize) -> Pos,
) {
    let mut target = match start {
        SectionKind::ContributingFactors => Target::Contributing,
        SectionKind::Prevention => Target::Prevention,
        _ => Target::None,
    };
    let mut last_group = None;
    for block in blocks {
        let Block::Line(line) = block else { continue };
        let text = line.text.as_str();
        let pos = pos_of(line.offset);
        if let Some(rest) = after_label(text, "The incident occurred when") {
            rc.proximate = Some(Field {
                text: rest.to_string(),
                pos,
            });
            target = Target::Proximate;
        } else if let Some(answer) = why_answer(text) {
            rc.whys.push(Field {
                text: answer.to_string(),
                pos,
            });
            target = Target::Why;
        } else if after_label(text, "Contributing factors").is_some()
            || text.to_lowercase().starts_with("contributing factors")
        {
            target = Target::Contributing;
        } else if text.to_lowercase().starts_with("what would have prevented")
            || after_label(text, "Prevention").is_some()
            || after_label(text, "Preventive measures").is_some()
        {
            target = Target::Prevention;
        } else if line.list.is_some() {
            match target {
                Target::Contributing => rc.contributing.push(NamedItem::from_line(line, pos)),
                Target::Prevention => rc.preventions.push(NamedItem::from_line(line, pos)),
                _ if line.list == Some(ListKind::Ordered) => {
                    rc.whys.push(Field {
                        text: text.to_string(),
                        pos,
                    });
                    target = Target::Why;
                }
                _ => {}
            }
        } else if last_group == Some(line.group) {
            // A wrapped line continues what the line before it started.
            let field = match target {
                Target::Proximate => rc.proximate.as_mut(),
                Target::Why => rc.whys.last_mut(),
                _ => None,
            };
            if let Some(field) = field {
                if !field.text.is_empty() {
                    field.text.push(' ');
                }
                field.text.push_str(text);
            }
        }
        last_group = Some(line.group);
    }
}

/// Reads impact lines; unlabeled lines in the same paragraph continue the last one.
pub fn read_impact(impact: &mut Impact, blocks: &[Block], pos_of: &impl Fn(usize) -> Pos) {
    let mut last: Option<(u32, &'static str)> = None;
    for block in blocks {
        let Block::Line(line) = block else { continue };
        let pos = pos_of(line.offset);
        if let Some((slot, rest)) = impact.slot(&line.text) {
            *slot = Some(Field { text: rest, pos });
            last = Impact::LINES
                .iter()
                .find(|l| after_label(&line.text, l).is_some())
                .map(|l| (line.group, *l));
        } else if let Some((group, label)) = last.filter(|(g, _)| *g == line.group) {
            let slot = match label {
                "Customer impact" => &mut impact.customer,
                "Revenue impact" => &mut impact.revenue,
                "Data impact" => &mut impact.data,
                _ => &mut impact.reputation,
            };
            if let Some(field) = slot {
                field.text.push(' ');
                field.text.push_str(&line.text);
            }
            last = Some((group, label));
        }
    }
}

/// List items, and paragraph lines that start with a bold name, as named items.
pub fn read_named_items(blocks: &[Block], pos_of: &impl Fn(usize) -> Pos) -> Vec<NamedItem> {
    blocks
        .iter()
        .filter_map(|b| match b {
            Block::Line(line) if line.list.is_some() || line.label.is_some() => {
                Some(NamedItem::from_line(line, pos_of(line.offset)))
            }
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::markdown;

    #[test]
    fn classifies_headings_by_words() {
        assert_eq!(SectionKind::of_heading("TIMELINE"), SectionKind::Timeline);
        assert_eq!(
            SectionKind::of_heading("Root Cause Analysis"),
            SectionKind::RootCause
        );
        assert_eq!(
            SectionKind::of_heading("What Went Well"),
            SectionKind::WentWell
        );
        assert_eq!(
            SectionKind::of_heading("What went wrong"),
            SectionKind::WentPoorly
        );
        assert_eq!(
            SectionKind::of_heading("Action items"),
            SectionKind::ActionItems
        );
        assert_eq!(
            SectionKind::of_heading("Post-Mortem Facilitation Guide"),
            SectionKind::Other
        );
        assert_eq!(
            SectionKind::of_heading("Customer Impact"),
            SectionKind::Impact
        );
    }

    #[test]
    fn labels_match_with_or_without_colon() {
        assert_eq!(
            after_label("Customer impact: 3 users", "Customer impact"),
            Some("3 users")
        );
        assert_eq!(
            after_label("customer impact : none", "Customer impact"),
            Some("none")
        );
        assert_eq!(after_label("Customer impacted", "Customer impact"), None);
    }

    #[test]
    fn reads_whys_in_their_forms() {
        assert_eq!(
            why_answer("Why did that happen? The cache expired."),
            Some("The cache expired.")
        );
        assert_eq!(why_answer("Why 2: no alert"), Some("no alert"));
        assert_eq!(why_answer("Whyever not"), None);
    }

    fn root_cause_of(text: &str) -> RootCause {
        let body = markdown::parse(text, 0);
        let mut rc = RootCause::default();
        read_root_cause(&mut rc, &body.blocks, SectionKind::RootCause, &|o| Pos {
            line: o as u32,
            column: 1,
        });
        rc
    }

    #[test]
    fn reads_the_seed_root_cause_layout() {
        let rc = root_cause_of(
            "The incident occurred when: the pool saturated.\nWhy did that happen? Retries tripled load.\nWhy did that happen? No backoff\nin the client.\n\nContributing factors (not the root cause):\n- **Alert gap**: no paging\n\nWhat would have prevented this incident:\n- **Load test**: would have shown it\n",
        );
        assert_eq!(rc.proximate.unwrap().text, "the pool saturated.");
        let whys: Vec<_> = rc.whys.iter().map(|w| w.text.as_str()).collect();
        assert_eq!(whys, ["Retries tripled load.", "No backoff in the client."]);
        assert_eq!(rc.contributing[0].name, "Alert gap");
        assert_eq!(rc.contributing[0].detail, "no paging");
        assert_eq!(rc.preventions[0].name, "Load test");
    }

    #[test]
    fn a_numbered_list_is_a_why_chain() {
        let rc = root_cause_of(
            "1. Disk filled\n2. Logs were not rotated\n3. Rotation was never configured\n",
        );
        assert_eq!(rc.whys.len(), 3);
        assert_eq!(rc.whys[2].text, "Rotation was never configured");
    }

    #[test]
    fn named_items_with_or_without_bold() {
        let body = markdown::parse(
            "- **Fast rollback:** took 4 minutes\n- Paging: worked\n- Just a sentence\n",
            0,
        );
        let items = read_named_items(&body.blocks, &|_| Pos::START);
        let got: Vec<_> = items
            .iter()
            .map(|i| (i.name.as_str(), i.detail.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("Fast rollback", "took 4 minutes"),
                ("Paging", "worked"),
                ("Just a sentence", "")
            ]
        );
    }

    #[test]
    fn impact_lines_with_continuations() {
        let body = markdown::parse(
            "**Customer impact:** 12% of users\nfor 40 minutes\n\n- Data impact: none\n",
            0,
        );
        let mut impact = Impact::default();
        read_impact(&mut impact, &body.blocks, &|_| Pos::START);
        assert_eq!(impact.customer.unwrap().text, "12% of users for 40 minutes");
        assert_eq!(impact.data.unwrap().text, "none");
        assert!(impact.revenue.is_none());
    }
}
