//! The timeline: a table of events whose times are read as real instants.
//!
//! `HH:MM` cells are read on the day of `started` and roll over to the next
//! day when the clock goes back by six hours or more (a backwards step smaller
//! than that is an out-of-order row, not a new day). `YYYY-MM-DD HH:MM` and
//! RFC 3339 cells set the day for the rows after them. `~17:20`, `about 17:20`,
//! `after 23:30` are kept, marked approximate.

use jiff::civil::{Date, DateTime, Time};
use jiff::tz::{Offset, TimeZone};
use jiff::ToSpan;
use serde::Serialize;

use crate::dates::{parse_moment, parse_time_of_day, Moment};
use crate::markdown::{Cell, Table};
use crate::source::Pos;

/// How far back an `HH:MM` time must step to be read as the next day.
const ROLLOVER_HOURS: i64 = 6;

#[derive(Debug, Clone, Serialize)]
pub struct TimelineEvent {
    /// The time cell as written.
    pub time_text: String,
    /// The instant, when the cell could be read and placed on a day.
    pub time: Option<Moment>,
    pub approximate: bool,
    /// Days after the day of `started` (0 on that day), for display.
    pub day: Option<i32>,
    pub event: String,
    pub who: String,
    pub pos: Pos,
}

/// What a time cell says, before it is placed on a day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CellTime {
    Instant(Moment),
    Local(DateTime),
    TimeOfDay { time: Time, utc: bool },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadTime {
    pub time: CellTime,
    pub approximate: bool,
}

const APPROXIMATE_WORDS: [&str; 12] = [
    "approximately",
    "approx.",
    "approx",
    "shortly after",
    "shortly before",
    "around",
    "about",
    "circa",
    "after",
    "before",
    "ca.",
    "by",
];

/// Reads one time cell; `None` when it holds no time we understand.
pub fn read_time(cell: &str, zone: &TimeZone) -> Option<ReadTime> {
    let mut text = cell.trim().trim_matches('*').trim();
    let mut approximate = false;
    for prefix in ["~", "≈", "±"] {
        if let Some(rest) = text.strip_prefix(prefix) {
            text = rest.trim_start();
            approximate = true;
        }
    }
    let lower = text.to_ascii_lowercase();
    for word in APPROXIMATE_WORDS {
        if lower.starts_with(word) && lower[word.len()..].starts_with([' ', '\u{a0}']) {
            text = text[word.len()..].trim_start();
            approximate = true;
            break;
        }
    }
    for suffix in ["?", "(approx.)", "(approx)", "(approximate)", "(est.)"] {
        if let Some(rest) = text.strip_suffix(suffix) {
            text = rest.trim_end();
            approximate = true;
        }
    }
    // A range such as `09:10-09:20` is read at its start.
    if let Some((start, end)) = text
        .split_once(['–', '—'])
        .or_else(|| split_time_range(text))
    {
        if parse_time_of_day(end).is_some() || parse_moment(end, zone).is_ok() {
            text = start.trim();
            approximate = true;
        }
    }
    if let Some((time, utc)) = parse_time_of_day(text) {
        return Some(ReadTime {
            time: CellTime::TimeOfDay { time, utc },
            approximate,
        });
    }
    let moment = parse_moment(text, zone).ok()?;
    let written_offset = text.contains(['+', 'Z'])
        || text.ends_with("UTC")
        || text.ends_with("GMT")
        || text.rfind('-').is_some_and(|i| i > 10);
    let time = if written_offset {
        CellTime::Instant(moment)
    } else {
        CellTime::Local(moment.local())
    };
    Some(ReadTime { time, approximate })
}

/// `HH:MM-HH:MM` (an ASCII dash between two times of day).
fn split_time_range(text: &str) -> Option<(&str, &str)> {
    let (start, end) = text.split_once('-')?;
    parse_time_of_day(start)?;
    Some((start, end))
}

/// A timeline row whose time could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TimeProblem {
    Unreadable {
        row: usize,
    },
    /// The row's time is earlier than the row before it.
    OutOfOrder {
        row: usize,
        previous: usize,
    },
}

/// Which columns of the timeline table hold what.
struct Columns {
    time: usize,
    event: usize,
    who: Option<usize>,
}

fn columns(head: &[Cell]) -> Columns {
    let find = |words: &[&str]| {
        head.iter().position(|c| {
            let h = c.text.to_lowercase();
            words.iter().any(|w| h.contains(w))
        })
    };
    let time = find(&["time", "when", "date"]).unwrap_or(0);
    let event = find(&["event", "what happened", "description", "action", "what"])
        .filter(|&i| i != time)
        .unwrap_or(if time == 0 { 1 } else { 0 });
    let who = find(&["who", "actor", "owner", "by", "source"]).filter(|&i| i != time && i != event);
    Columns { time, event, who }
}

/// Reads the timeline table. `started` anchors `HH:MM` times; `zone` is the
/// zone for times written without an offset.
pub fn read_table(
    table: &Table,
    started: Option<&Moment>,
    zone: &TimeZone,
    pos_of: impl Fn(usize) -> Pos,
) -> (Vec<TimelineEvent>, Vec<TimeProblem>) {
    let cols = columns(&table.head);
    let mut events = Vec::with_capacity(table.rows.len());
    let mut problems = Vec::new();
    let start_day = started.map(|s| zone.to_datetime(s.timestamp).date());
    let mut day: Option<Date> = start_day;
    let mut previous: Option<(usize, Moment, bool)> = None;
    let empty = Cell {
        text: String::new(),
        offset: table.offset,
    };
    for (row_index, row) in table.rows.iter().enumerate() {
        let cell = |i: usize| row.get(i).unwrap_or(&empty);
        let time_cell = cell(cols.time);
        let read = read_time(&time_cell.text, zone);
        if read.is_none() {
            problems.push(TimeProblem::Unreadable { row: row_index });
        }
        let approximate = read.as_ref().is_some_and(|r| r.approximate);
        let mut moment = read.and_then(|r| place(&r.time, &mut day, zone));
        if let (Some(m), Some((prev_row, prev, prev_approx))) = (moment, previous) {
            if m < prev {
                let rolled = is_time_of_day(&time_cell.text, zone)
                    && prev.timestamp.duration_since(m.timestamp).as_hours() >= ROLLOVER_HOURS;
                if rolled {
                    day = day.and_then(|d| d.checked_add(1.day()).ok());
                    moment = place(
                        &read_time(&time_cell.text, zone).expect("read above").time,
                        &mut day,
                        zone,
                    );
                } else if !(approximate || prev_approx) {
                    problems.push(TimeProblem::OutOfOrder {
                        row: row_index,
                        previous: prev_row,
                    });
                }
            }
        }
        if let Some(m) = moment {
            previous = Some((row_index, m, approximate));
        }
        let day_number = match (moment, start_day) {
            (Some(m), Some(start)) => {
                Some((zone.to_datetime(m.timestamp).date() - start).get_days())
            }
            _ => None,
        };
        events.push(TimelineEvent {
            time_text: time_cell.text.clone(),
            time: moment,
            approximate,
            day: day_number,
            event: cell(cols.event).text.clone(),
            who: cols.who.map(|i| cell(i).text.clone()).unwrap_or_default(),
            pos: pos_of(time_cell.offset),
        });
    }
    (events, problems)
}

fn is_time_of_day(cell: &str, zone: &TimeZone) -> bool {
    matches!(
        read_time(cell, zone),
        Some(ReadTime {
            time: CellTime::TimeOfDay { .. },
            ..
        })
    )
}

/// Puts a cell's time on a day, updating the current day from dated cells.
fn place(time: &CellTime, day: &mut Option<Date>, zone: &TimeZone) -> Option<Moment> {
    match time {
        CellTime::Instant(m) => {
            *day = Some(zone.to_datetime(m.timestamp).date());
            Some(*m)
        }
        CellTime::Local(dt) => {
            *day = Some(dt.date());
            Moment::from_local(*dt, zone)
        }
        CellTime::TimeOfDay { time, utc } => {
            let date = (*day)?;
            let dt = DateTime::from_parts(date, *time);
            if *utc {
                let ts = Offset::UTC.to_timestamp(dt).ok()?;
                Some(Moment::new(ts, Offset::UTC))
            } else {
                Moment::from_local(dt, zone)
            }
        }
    }
}

/// Words that mark the event where the incident was detected.
const DETECTION_WORDS: [&str; 9] = [
    "detect",
    "alert",
    "paged",
    "page fired",
    "noticed",
    "reported",
    "report ",
    "monitoring",
    "on-call",
];

/// The first event that reads as the detection (an alert, a page, a report).
pub fn detection_event(events: &[TimelineEvent]) -> Option<&TimelineEvent> {
    events.iter().find(|e| {
        let text = format!("{} {}", e.event, e.who).to_lowercase();
        DETECTION_WORDS.iter().any(|w| text.contains(w))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dates::parse_moment;

    fn table(times: &[&str]) -> Table {
        let cell = |t: &str| Cell {
            text: t.to_string(),
            offset: 0,
        };
        Table {
            offset: 0,
            head: vec![cell("Time"), cell("Event"), cell("Who / What")],
            rows: times
                .iter()
                .map(|t| vec![cell(t), cell("something"), cell("SRE")])
                .collect(),
        }
    }

    fn run(times: &[&str], started: &str) -> (Vec<String>, Vec<TimeProblem>) {
        let zone = TimeZone::UTC;
        let started = parse_moment(started, &zone).unwrap();
        let (events, problems) = read_table(&table(times), Some(&started), &zone, |_| Pos::START);
        let shown = events
            .iter()
            .map(|e| e.time.map_or("-".to_string(), |m| m.to_string()))
            .collect();
        (shown, problems)
    }

    #[test]
    fn times_roll_over_midnight() {
        let (times, problems) = run(
            &["23:10", "23:55", "00:20", "02:00"],
            "2024-05-01T23:10:00Z",
        );
        assert_eq!(
            times,
            [
                "2024-05-01T23:10:00Z",
                "2024-05-01T23:55:00Z",
                "2024-05-02T00:20:00Z",
                "2024-05-02T02:00:00Z"
            ]
        );
        assert!(problems.is_empty());
    }

    #[test]
    fn a_small_step_back_is_out_of_order_not_a_new_day() {
        let (times, problems) = run(&["10:00", "10:30", "10:20"], "2024-05-01T10:00:00Z");
        assert_eq!(times[2], "2024-05-01T10:20:00Z");
        assert_eq!(
            problems,
            [TimeProblem::OutOfOrder {
                row: 2,
                previous: 1
            }]
        );
    }

    #[test]
    fn dated_rows_set_the_day_for_later_rows() {
        let (times, problems) = run(
            &["2024-05-01 22:00", "2024-05-03 08:00", "09:15"],
            "2024-05-01T22:00:00Z",
        );
        assert_eq!(times[2], "2024-05-03T09:15:00Z");
        assert!(problems.is_empty());
    }

    #[test]
    fn approximate_and_unreadable_cells() {
        let (times, problems) = run(
            &["~17:20", "after 23:30", "[HH:MM]"],
            "2024-05-01T17:00:00Z",
        );
        assert_eq!(
            &times[..2],
            ["2024-05-01T17:20:00Z", "2024-05-01T23:30:00Z"]
        );
        assert_eq!(times[2], "-");
        assert_eq!(problems, [TimeProblem::Unreadable { row: 2 }]);
        let read = read_time("about 09:05", &TimeZone::UTC).unwrap();
        assert!(read.approximate);
    }

    #[test]
    fn rfc3339_cells_keep_their_offset() {
        let read = read_time("2017-02-28T09:37:00-08:00", &TimeZone::UTC).unwrap();
        let CellTime::Instant(m) = read.time else {
            panic!("{read:?}")
        };
        assert_eq!(m.to_string(), "2017-02-28T09:37:00-08:00");
        let local = read_time("2017-02-28 09:37", &TimeZone::UTC).unwrap();
        assert!(matches!(local.time, CellTime::Local(_)));
    }

    #[test]
    fn time_of_day_is_read_in_the_given_zone() {
        let zone = TimeZone::get("America/Los_Angeles").unwrap();
        let started = parse_moment("2017-02-28T09:37:00-08:00", &zone).unwrap();
        let (events, _) = read_table(&table(&["09:37", "13:54"]), Some(&started), &zone, |_| {
            Pos::START
        });
        assert_eq!(
            events[1].time.unwrap().to_string(),
            "2017-02-28T13:54:00-08:00"
        );
        assert_eq!(events[1].day, Some(0));
    }
}
