//! Dates: the window of plausible dates, dates in paths, and the formats records use.

use super::*;

/// Dates outside these are taken for mistakes (a year 1 or 9999 placeholder) and the article
/// kept as undated with a warning: the trends' period grid spans every period between the
/// first and last date, and a single stray year 1 would make millions of empty periods.
pub const EARLIEST_DATE: NaiveDate = match NaiveDate::from_ymd_opt(1900, 1, 1) {
    Some(d) => d,
    None => panic!("valid date"),
};
pub const LATEST_DATE: NaiveDate = match NaiveDate::from_ymd_opt(2100, 12, 31) {
    Some(d) => d,
    None => panic!("valid date"),
};

/// A date as a day number, days since 1970-01-01: how the ledger, stories and tables count
/// days.
pub fn day_number(d: NaiveDate) -> i32 {
    d.signed_duration_since(NaiveDate::default()).num_days() as i32
}

/// The date of day number `n` ([`day_number`]).
pub fn from_day_number(n: i32) -> NaiveDate {
    NaiveDate::default() + chrono::Duration::days(i64::from(n))
}

/// Whether `d` lies in [`EARLIEST_DATE`]..=[`LATEST_DATE`].
pub fn date_in_window(d: NaiveDate) -> bool {
    (EARLIEST_DATE..=LATEST_DATE).contains(&d)
}

/// The most specific date in a path: the last component holding `YYYY-MM-DD` (that day) or
/// `YYYY-Www` (the Monday of that ISO week).
pub fn date_from_path(path: &Path) -> Option<NaiveDate> {
    path_date(path).filter(|&d| date_in_window(d))
}

pub(super) fn path_date(path: &Path) -> Option<NaiveDate> {
    path.components().rev().find_map(|c| {
        let name = c.as_os_str().to_str()?;
        let b = name.as_bytes();
        (0..b.len()).find_map(|i| {
            let rest = name.get(i..)?;
            if let Some(d) = rest
                .get(..10)
                .and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
            {
                return Some(d);
            }
            let w = rest.get(..8)?;
            let (year, week) = w.split_once("-W")?;
            if year.len() != 4 || week.len() != 2 {
                return None;
            }
            NaiveDate::from_isoywd_opt(year.parse().ok()?, week.parse().ok()?, chrono::Weekday::Mon)
        })
    })
}

/// Accepts `YYYY-MM-DD`, RFC 3339, and RFC 3339 without an offset; an RFC 3339 timestamp keeps
/// the calendar date of its own offset (the day the publisher printed).
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Some(d);
    }
    if let Ok(dt) = DateTime::parse_from_rfc3339(s) {
        return Some(dt.date_naive());
    }
    for fmt in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"] {
        if let Ok(dt) = NaiveDateTime::parse_from_str(s, fmt) {
            return Some(dt.date());
        }
    }
    None
}
