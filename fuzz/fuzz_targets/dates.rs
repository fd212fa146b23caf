//! The date parser: `parse_moment` in zones with odd offsets and clock
//! changes, `parse_date`, `parse_time_of_day` and the timeline's cell
//! reader, on any text. What parses must format back to the same instant.

#![no_main]

use std::sync::LazyLock;

use hindsight::dates::{self, Moment};
use hindsight::timeline;
use jiff::tz::TimeZone;
use libfuzzer_sys::fuzz_target;

static ZONES: LazyLock<Vec<TimeZone>> = LazyLock::new(|| {
    [
        "UTC",
        "America/New_York",
        "Australia/Lord_Howe",
        "Asia/Kathmandu",
    ]
    .into_iter()
    .map(|name| TimeZone::get(name).expect("bundled zone"))
    .collect()
});

/// The instant `m`'s text names: its wall clock to the whole second.
fn shown_instant(m: &Moment) -> jiff::Timestamp {
    let wall = m.local().with().subsec_nanosecond(0).build().unwrap();
    m.offset.to_timestamp(wall).unwrap()
}

fn moment(text: &str, tz: &TimeZone) -> Option<Moment> {
    let m = dates::parse_moment(text, tz).ok()?;
    let shown = m.to_string();
    let _ = m.display();
    // Every moment read must read back from its text to the instant and
    // offset it was written from.
    let again = dates::parse_moment(&shown, &TimeZone::UTC)
        .unwrap_or_else(|e| panic!("{text:?} -> {shown:?} does not read back: {e}"));
    assert_eq!(again.timestamp, shown_instant(&m), "{text:?} -> {shown:?}");
    assert_eq!(again.offset, m.offset, "{text:?} -> {shown:?}");
    Some(m)
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut parsed = Vec::new();
    for tz in ZONES.iter() {
        parsed.extend(moment(text, tz));
        let _ = timeline::read_time(text, tz);
    }
    // Two moments on either side of a newline: the duration between them.
    if let Some((a, b)) = text.split_once('\n') {
        if let (Some(a), Some(b)) = (moment(a, &ZONES[1]), moment(b, &ZONES[2])) {
            let minutes = a.minutes_until(&b);
            let _ = dates::format_minutes(minutes);
            let _ = dates::format_minutes_long(minutes);
        }
    }
    if let Ok(date) = dates::parse_date(text) {
        let iso = date.to_string();
        assert_eq!(dates::parse_date(&iso), Ok(date), "{text:?} -> {iso:?}");
    }
    if let Some((time, _)) = dates::parse_time_of_day(text) {
        let again = dates::parse_time_of_day(&time.strftime("%H:%M:%S").to_string());
        assert_eq!(again, Some((time, false)), "{text:?}");
    }
    let _ = parsed;
});
