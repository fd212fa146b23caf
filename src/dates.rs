//! Dates and date-times as post-mortems write them.

use std::cmp::Ordering;
use std::fmt;

use jiff::civil::{Date, DateTime, Time};
use jiff::fmt::temporal::Pieces;
use jiff::tz::{Offset, TimeZone};
use jiff::Timestamp;
use serde::Serialize;
use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DateError {
    #[error("`{0}` is not a date-time")]
    NotDateTime(String),
    #[error("`{0}` has a date but no time of day")]
    NoTime(String),
    #[error("`{0}` is not a date")]
    NotDate(String),
}

/// An instant together with the offset it was written in, so it can be shown
/// the way the author wrote it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Moment {
    pub timestamp: Timestamp,
    pub offset: Offset,
}

impl Moment {
    pub fn new(timestamp: Timestamp, offset: Offset) -> Moment {
        Moment { timestamp, offset }
    }

    /// The instant `datetime` names in `tz` (the earlier one when a clock change
    /// makes it ambiguous).
    pub fn from_local(datetime: DateTime, tz: &TimeZone) -> Option<Moment> {
        let timestamp = tz.to_ambiguous_timestamp(datetime).compatible().ok()?;
        Some(Moment::new(timestamp, tz.to_offset(timestamp)))
    }

    /// The wall-clock date and time in the moment's own offset.
    pub fn local(&self) -> DateTime {
        self.offset.to_datetime(self.timestamp)
    }

    pub fn date(&self) -> Date {
        self.local().date()
    }

    /// Whole minutes from `self` to `later` (negative if `later` is earlier).
    pub fn minutes_until(&self, later: &Moment) -> i64 {
        later.timestamp.duration_since(self.timestamp).as_secs() / 60
    }

    /// `2024-03-14 09:12 +01:00`, for people.
    pub fn display(&self) -> String {
        let zone = if self.offset == Offset::UTC {
            "UTC".to_string()
        } else {
            offset_text(self.offset)
        };
        format!("{} {zone}", self.local().strftime("%Y-%m-%d %H:%M"))
    }
}

/// `+01:00`, `-08:00`: the RFC 3339 form of an offset. An offset with
/// seconds (old local mean times, or written so) keeps them, `+00:19:32`,
/// so the text names the same instant; it reads back.
fn offset_text(offset: Offset) -> String {
    let secs = offset.seconds();
    let sign = if secs < 0 { '-' } else { '+' };
    let (hours, rest) = (secs.abs() / 3600, secs.abs() % 3600);
    let (minutes, seconds) = (rest / 60, rest % 60);
    if seconds == 0 {
        format!("{sign}{hours:02}:{minutes:02}")
    } else {
        format!("{sign}{hours:02}:{minutes:02}:{seconds:02}")
    }
}

impl fmt::Display for Moment {
    /// RFC 3339, in the moment's own offset.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let local = self.local();
        write!(f, "{}", local.strftime("%Y-%m-%dT%H:%M:%S"))?;
        if self.offset == Offset::UTC {
            f.write_str("Z")
        } else {
            f.write_str(&offset_text(self.offset))
        }
    }
}

impl Ord for Moment {
    fn cmp(&self, other: &Self) -> Ordering {
        self.timestamp.cmp(&other.timestamp)
    }
}

impl PartialOrd for Moment {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Serialize for Moment {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Reads an RFC 3339 date-time (`2024-03-14T09:12:00+01:00`), or one without an
/// offset (`2024-03-14 09:12`), which is read in `tz`. A trailing `UTC`, `GMT`
/// or `Z` means UTC.
pub fn parse_moment(text: &str, tz: &TimeZone) -> Result<Moment, DateError> {
    let trimmed = text.trim();
    let (body, utc) = strip_utc_suffix(trimmed);
    let pieces = Pieces::parse(body).map_err(|_| DateError::NotDateTime(trimmed.to_string()))?;
    let time = pieces
        .time()
        .ok_or_else(|| DateError::NoTime(trimmed.to_string()))?;
    // RFC 3339 has four-digit years only; jiff also reads `-009999`, which
    // nothing downstream (feeds, the search index, readers) would accept.
    if !(0..=9999).contains(&pieces.date().year()) {
        return Err(DateError::NotDateTime(trimmed.to_string()));
    }
    let datetime = DateTime::from_parts(pieces.date(), time);
    let offset = if utc {
        Some(Offset::UTC)
    } else {
        pieces.to_numeric_offset()
    };
    match offset {
        Some(offset) => offset
            .to_timestamp(datetime)
            .map(|ts| Moment::new(ts, offset))
            .map_err(|_| DateError::NotDateTime(trimmed.to_string())),
        None => Moment::from_local(datetime, tz)
            .ok_or_else(|| DateError::NotDateTime(trimmed.to_string())),
    }
}

fn strip_utc_suffix(text: &str) -> (&str, bool) {
    for suffix in [" UTC", " GMT", " Z", "UTC"] {
        if let Some(rest) = text.strip_suffix(suffix) {
            if rest.ends_with(|c: char| c.is_ascii_digit()) {
                return (rest.trim_end(), true);
            }
        }
    }
    (text, false)
}

const DATE_FORMATS: [&str; 7] = [
    "%Y-%m-%d",
    "%Y/%m/%d",
    "%B %d, %Y",
    "%b %d, %Y",
    "%d %B %Y",
    "%d %b %Y",
    "%B %d %Y",
];

/// Reads a calendar date: `2024-03-21` and the common spelled-out forms
/// (`March 21, 2024`, `21 Mar 2024`). A date-time is cut to its date.
pub fn parse_date(text: &str) -> Result<Date, DateError> {
    let trimmed = text.trim();
    let cleaned = trimmed.trim_end_matches('.');
    for format in DATE_FORMATS {
        if let Ok(date) = Date::strptime(format, cleaned) {
            return Ok(date);
        }
    }
    if let Ok(pieces) = Pieces::parse(cleaned) {
        return Ok(pieces.date());
    }
    Err(DateError::NotDate(trimmed.to_string()))
}

/// Reads a time of day, `HH:MM` or `HH:MM:SS`, with an optional `UTC` suffix
/// (returned as `true`).
pub fn parse_time_of_day(text: &str) -> Option<(Time, bool)> {
    let (body, utc) = strip_utc_suffix(text.trim());
    let (hour, rest) = body.split_once(':')?;
    let (minute, second) = match rest.split_once(':') {
        Some((m, s)) => (m, Some(s)),
        None => (rest, None),
    };
    let digits = |s: &str, max: i8| -> Option<i8> {
        if s.is_empty() || s.len() > 2 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        s.parse().ok().filter(|&n| n <= max)
    };
    let hour = digits(hour, 23)?;
    if minute.len() != 2 {
        return None;
    }
    let minute = digits(minute, 59)?;
    let second = match second {
        Some(s) if s.len() == 2 => digits(s, 59)?,
        Some(_) => return None,
        None => 0,
    };
    Some((Time::new(hour, minute, second, 0).ok()?, utc))
}

/// `45 min`, `4 h 17 min`, `1 d 14 min`: short, and exact to the minute.
pub fn format_minutes(minutes: i64) -> String {
    let sign = if minutes < 0 { "-" } else { "" };
    let m = minutes.abs();
    let (days, hours, mins) = (m / 1440, (m % 1440) / 60, m % 60);
    let parts: Vec<String> = [(days, "d"), (hours, "h"), (mins, "min")]
        .into_iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, unit)| format!("{n} {unit}"))
        .collect();
    let text = if parts.is_empty() {
        "0 min".to_string()
    } else {
        parts.join(" ")
    };
    format!("{sign}{text}")
}

/// `1 hour 28 minutes`, `2 days 3 hours`: the header block's spelling.
pub fn format_minutes_long(minutes: i64) -> String {
    let unit = |n: i64, one: &str| format!("{n} {one}{}", if n == 1 { "" } else { "s" });
    let m = minutes.abs();
    let (days, hours, mins) = (m / 1440, (m % 1440) / 60, m % 60);
    let parts: Vec<String> = [(days, "day"), (hours, "hour"), (mins, "minute")]
        .into_iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, one)| unit(n, one))
        .collect();
    if parts.is_empty() {
        "0 minutes".into()
    } else {
        parts.join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc() -> TimeZone {
        TimeZone::UTC
    }

    #[test]
    fn reads_rfc3339_and_keeps_the_offset() {
        let m = parse_moment("2017-02-28T09:37:00-08:00", &utc()).unwrap();
        assert_eq!(m.to_string(), "2017-02-28T09:37:00-08:00");
        assert_eq!(m.timestamp.to_string(), "2017-02-28T17:37:00Z");
        assert_eq!(m.display(), "2017-02-28 09:37 -08:00");
    }

    #[test]
    fn reads_local_date_times_in_the_site_zone() {
        let berlin = TimeZone::get("Europe/Berlin").unwrap();
        let m = parse_moment("2024-07-01 12:00", &berlin).unwrap();
        assert_eq!(m.to_string(), "2024-07-01T12:00:00+02:00");
        let z = parse_moment("2024-07-01 12:00 UTC", &berlin).unwrap();
        assert_eq!(z.to_string(), "2024-07-01T12:00:00Z");
    }

    #[test]
    fn rejects_dates_without_time_and_garbage() {
        assert_eq!(
            parse_moment("2024-07-01", &utc()),
            Err(DateError::NoTime("2024-07-01".into()))
        );
        assert!(parse_moment("last tuesday", &utc()).is_err());
    }

    #[test]
    fn reads_common_date_spellings() {
        let expected = Date::new(2024, 3, 21).unwrap();
        for text in [
            "2024-03-21",
            "2024/03/21",
            "March 21, 2024",
            "21 Mar 2024",
            "2024-03-21T10:00:00Z",
        ] {
            assert_eq!(parse_date(text), Ok(expected), "{text}");
        }
        assert!(parse_date("2024-02-30").is_err());
        assert!(parse_date("next sprint").is_err());
    }

    #[test]
    fn reads_times_of_day() {
        assert_eq!(
            parse_time_of_day("09:05"),
            Some((Time::new(9, 5, 0, 0).unwrap(), false))
        );
        assert_eq!(
            parse_time_of_day("9:05:30 UTC"),
            Some((Time::new(9, 5, 30, 0).unwrap(), true))
        );
        assert_eq!(parse_time_of_day("24:00"), None);
        assert_eq!(parse_time_of_day("12:5"), None);
        assert_eq!(parse_time_of_day("[HH:MM]"), None);
    }

    #[test]
    fn formats_durations() {
        assert_eq!(format_minutes(45), "45 min");
        assert_eq!(format_minutes(120), "2 h");
        assert_eq!(format_minutes(257), "4 h 17 min");
        assert_eq!(format_minutes(3 * 1440 + 125), "3 d 2 h 5 min");
        assert_eq!(format_minutes(1454), "1 d 14 min");
        assert_eq!(format_minutes_long(88), "1 hour 28 minutes");
        assert_eq!(format_minutes_long(2 * 1440 + 120), "2 days 2 hours");
    }
}
