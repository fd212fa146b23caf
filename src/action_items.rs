//! Action items: the follow-up table, read column by column.

use jiff::civil::Date;
use serde::Serialize;

use crate::dates::parse_date;
use crate::markdown::{Cell, Table};
use crate::source::Pos;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Priority {
    High,
    Medium,
    Low,
}

impl Priority {
    pub fn read(text: &str) -> Option<Priority> {
        let t = text.trim().trim_matches('*').to_ascii_lowercase();
        Some(match t.as_str() {
            "high" | "h" | "critical" | "urgent" | "highest" | "p0" | "p1" => Priority::High,
            "medium" | "med" | "m" | "normal" | "p2" => Priority::Medium,
            "low" | "l" | "lowest" | "p3" | "p4" => Priority::Low,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Priority::High => "High",
            Priority::Medium => "Medium",
            Priority::Low => "Low",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ActionStatus {
    Open,
    InProgress,
    Done,
    WontDo,
}

impl ActionStatus {
    pub fn read(text: &str) -> Option<ActionStatus> {
        if text.contains('✅') {
            return Some(ActionStatus::Done);
        }
        let t: String = text
            .trim()
            .to_lowercase()
            .chars()
            .filter(|c| c.is_alphanumeric() || *c == ' ')
            .collect();
        Some(match t.trim() {
            "" | "open" | "todo" | "to do" | "not started" | "new" | "planned" => {
                ActionStatus::Open
            }
            "in progress" | "inprogress" | "doing" | "started" | "ongoing" | "wip" => {
                ActionStatus::InProgress
            }
            "done" | "complete" | "completed" | "closed" | "fixed" | "resolved" | "shipped" => {
                ActionStatus::Done
            }
            "wont do" | "wont fix" | "cancelled" | "canceled" | "dropped" | "declined" => {
                ActionStatus::WontDo
            }
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ActionStatus::Open => "Open",
            ActionStatus::InProgress => "In progress",
            ActionStatus::Done => "Done",
            ActionStatus::WontDo => "Won't do",
        }
    }

    /// Still to be done: counts toward open and overdue actions.
    pub fn is_open(self) -> bool {
        matches!(self, ActionStatus::Open | ActionStatus::InProgress)
    }
}

/// A cell's text with where it was written.
#[derive(Debug, Clone, Serialize)]
pub struct Field {
    pub text: String,
    pub pos: Pos,
}

#[derive(Debug, Clone, Serialize)]
pub struct ActionItem {
    pub number: String,
    pub action: Field,
    pub owner: Field,
    pub due_text: Field,
    #[serde(serialize_with = "serialize_date")]
    pub due: Option<Date>,
    pub priority_text: Field,
    pub priority: Option<Priority>,
    pub status_text: Option<Field>,
    pub status: ActionStatus,
    /// Columns beyond the known ones, as (header, value).
    pub extra: Vec<(String, String)>,
    pub pos: Pos,
}

fn serialize_date<S: serde::Serializer>(date: &Option<Date>, s: S) -> Result<S::Ok, S::Error> {
    match date {
        Some(d) => s.collect_str(d),
        None => s.serialize_none(),
    }
}

#[derive(Default)]
struct Columns {
    number: Option<usize>,
    action: Option<usize>,
    owner: Option<usize>,
    due: Option<usize>,
    priority: Option<usize>,
    status: Option<usize>,
}

impl Columns {
    fn read(head: &[Cell]) -> Columns {
        let mut cols = Columns::default();
        for (i, cell) in head.iter().enumerate() {
            let h = cell.text.trim().to_lowercase();
            let slot = match h.as_str() {
                "#" | "no" | "no." | "nr" | "id" | "number" | "num" => &mut cols.number,
                _ if h.starts_with("owner")
                    || h.starts_with("assignee")
                    || h == "who"
                    || h.starts_with("responsible") =>
                {
                    &mut cols.owner
                }
                _ if h.starts_with("due")
                    || h.contains("deadline")
                    || h == "by"
                    || h == "date"
                    || h.starts_with("target") =>
                {
                    &mut cols.due
                }
                _ if h.starts_with("prio") || h == "p" || h == "severity" => &mut cols.priority,
                _ if h.starts_with("status") || h == "state" || h == "done" => &mut cols.status,
                _ if h.starts_with("action")
                    || h.contains("item")
                    || h == "task"
                    || h.contains("description")
                    || h == "what" =>
                {
                    &mut cols.action
                }
                _ => continue,
            };
            slot.get_or_insert(i);
        }
        cols
    }

    fn known(&self, i: usize) -> bool {
        [
            self.number,
            self.action,
            self.owner,
            self.due,
            self.priority,
            self.status,
        ]
        .contains(&Some(i))
    }
}

/// Does this table look like an action-item table?
pub fn is_action_table(table: &Table) -> bool {
    let cols = Columns::read(&table.head);
    cols.action.is_some() && (cols.owner.is_some() || cols.due.is_some())
}

pub fn read_table(table: &Table, pos_of: impl Fn(usize) -> Pos) -> Vec<ActionItem> {
    let cols = Columns::read(&table.head);
    let row_start = |row: &[Cell]| row.first().map_or(table.offset, |c| c.offset);
    table
        .rows
        .iter()
        .enumerate()
        .filter(|(_, row)| row.iter().any(|c| !c.text.is_empty()))
        .map(|(i, row)| {
            let field = |col: Option<usize>| {
                let cell = col.and_then(|c| row.get(c));
                Field {
                    text: cell.map(|c| c.text.clone()).unwrap_or_default(),
                    pos: pos_of(cell.map_or(row_start(row), |c| c.offset)),
                }
            };
            let due_text = field(cols.due);
            let priority_text = field(cols.priority);
            let status_text = cols.status.map(|c| field(Some(c)));
            let number = field(cols.number).text;
            ActionItem {
                number: if number.is_empty() {
                    (i + 1).to_string()
                } else {
                    number
                },
                action: field(cols.action),
                owner: field(cols.owner),
                due: parse_date(&due_text.text).ok(),
                due_text,
                priority: Priority::read(&priority_text.text),
                priority_text,
                status: status_text
                    .as_ref()
                    .and_then(|s| ActionStatus::read(&s.text))
                    .unwrap_or(ActionStatus::Open),
                status_text,
                extra: table
                    .head
                    .iter()
                    .enumerate()
                    .filter(|(c, _)| !cols.known(*c))
                    .map(|(c, h)| {
                        (
                            h.text.clone(),
                            row.get(c).map(|v| v.text.clone()).unwrap_or_default(),
                        )
                    })
                    .collect(),
                pos: pos_of(row_start(row)),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(head: &[&str], rows: &[&[&str]]) -> Table {
        let cell = |t: &&str| Cell {
            text: t.to_string(),
            offset: 0,
        };
        Table {
            offset: 0,
            head: head.iter().map(cell).collect(),
            rows: rows.iter().map(|r| r.iter().map(cell).collect()).collect(),
        }
    }

    #[test]
    fn reads_columns_by_header_with_extra_columns() {
        let t = table(
            &[
                "#", "Action", "Owner", "Due Date", "Priority", "Status", "Ticket",
            ],
            &[&[
                "1",
                "Add alert",
                "Ada Moreno",
                "2024-04-01",
                "High",
                "In progress",
                "OPS-1",
            ]],
        );
        assert!(is_action_table(&t));
        let items = read_table(&t, |_| Pos::START);
        let item = &items[0];
        assert_eq!(item.owner.text, "Ada Moreno");
        assert_eq!(item.due.unwrap().to_string(), "2024-04-01");
        assert_eq!(item.priority, Some(Priority::High));
        assert_eq!(item.status, ActionStatus::InProgress);
        assert_eq!(item.extra, [("Ticket".to_string(), "OPS-1".to_string())]);
    }

    #[test]
    fn missing_status_column_means_open() {
        let t = table(
            &["#", "Action", "Owner", "Due Date", "Priority"],
            &[&["1", "x", "", "soon", "Med"]],
        );
        let item = &read_table(&t, |_| Pos::START)[0];
        assert_eq!(item.status, ActionStatus::Open);
        assert_eq!(item.due, None);
        assert_eq!(item.priority, Some(Priority::Medium));
    }

    #[test]
    fn reads_status_spellings() {
        assert_eq!(ActionStatus::read("Won't do"), Some(ActionStatus::WontDo));
        assert_eq!(ActionStatus::read("DONE"), Some(ActionStatus::Done));
        assert_eq!(ActionStatus::read("✅"), Some(ActionStatus::Done));
        assert_eq!(ActionStatus::read("blocked on vendor"), None);
    }
}
