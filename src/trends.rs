//! Trends: buckets article dates into periods (day, ISO week or month) and counts articles
//! per theme per period. Undated articles get a bucket of their own instead of being dropped.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, Duration, NaiveDate};

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Default,
    clap::ValueEnum,
    serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Period {
    Day,
    #[default]
    Week,
    Month,
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Period::Day => "day",
            Period::Week => "week",
            Period::Month => "month",
        })
    }
}

impl FromStr for Period {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "day" => Ok(Period::Day),
            "week" => Ok(Period::Week),
            "month" => Ok(Period::Month),
            _ => Err(format!("unknown period {s:?}: expected day, week or month")),
        }
    }
}

/// A period bucket. Orders chronologically, with `undated` last.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Bucket {
    /// Starts on this date (the Monday of an ISO week, the 1st of a month).
    Dated(NaiveDate, Period),
    Undated,
}

impl Bucket {
    pub fn of(date: Option<NaiveDate>, period: Period) -> Bucket {
        let Some(d) = date else {
            return Bucket::Undated;
        };
        let start = match period {
            Period::Day => d,
            // The Monday of the first week of time is before the calendar's start: that week
            // starts on its first day instead.
            Period::Week => d
                .checked_sub_days(chrono::Days::new(d.weekday().num_days_from_monday().into()))
                .unwrap_or(d),
            Period::Month => d.with_day(1).unwrap_or(d),
        };
        Bucket::Dated(start, period)
    }

    pub fn start(&self) -> Option<NaiveDate> {
        match self {
            Bucket::Dated(d, _) => Some(*d),
            Bucket::Undated => None,
        }
    }
}

impl fmt::Display for Bucket {
    /// `2025-05-12`, `2025-W20` (ISO week, whose year may differ from the calendar year at
    /// New Year), `2025-05` or `undated`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Bucket::Dated(d, Period::Day) => write!(f, "{}", d.format("%Y-%m-%d")),
            Bucket::Dated(d, Period::Week) => {
                let w = d.iso_week();
                write!(f, "{}-W{:02}", w.year(), w.week())
            }
            Bucket::Dated(d, Period::Month) => write!(f, "{}", d.format("%Y-%m")),
            Bucket::Undated => f.write_str("undated"),
        }
    }
}

/// Articles per theme per period. Every period × theme cell is present, zeros included, so
/// analysts can plot or pivot without filling gaps.
#[derive(Debug, Clone, PartialEq)]
pub struct Trends {
    pub period: Period,
    /// Chronological, `undated` last when present.
    pub buckets: Vec<Bucket>,
    /// `counts[b][theme]`.
    pub counts: Vec<Vec<usize>>,
}

impl Trends {
    /// Periods are contiguous from the first to the last dated article: a week with no
    /// articles is a real zero in a trend line, not a gap to draw across.
    pub fn count(
        dates: &[Option<NaiveDate>],
        themes: &[usize],
        k: usize,
        period: Period,
    ) -> Trends {
        Trends::from_counts(
            dates.iter().zip(themes).map(|(&d, &t)| (d, t, 1)),
            k,
            period,
        )
    }

    /// From counts made elsewhere (Spark's): `(date, theme position, articles)`, where any
    /// date in a period stands for it (its start, say) and a period may come more than once.
    pub fn from_counts(
        rows: impl IntoIterator<Item = (Option<NaiveDate>, usize, usize)>,
        k: usize,
        period: Period,
    ) -> Trends {
        let mut cells: BTreeMap<Bucket, Vec<usize>> = BTreeMap::new();
        for (date, theme, n) in rows {
            cells
                .entry(Bucket::of(date, period))
                .or_insert_with(|| vec![0; k])[theme] += n;
        }
        let dated: Vec<NaiveDate> = cells.keys().filter_map(Bucket::start).collect();
        if let (Some(&first), Some(&last)) = (dated.first(), dated.last()) {
            let mut d = first;
            while d < last {
                d = match period {
                    Period::Day => d + Duration::days(1),
                    Period::Week => d + Duration::days(7),
                    Period::Month => d.checked_add_months(chrono::Months::new(1)).unwrap_or(last),
                };
                cells
                    .entry(Bucket::Dated(d, period))
                    .or_insert_with(|| vec![0; k]);
            }
        }
        let (buckets, counts) = cells.into_iter().unzip();
        Trends {
            period,
            buckets,
            counts,
        }
    }

    /// The periods the dated articles span: `1987-W10`, or `1987-W10..1987-W11`, or
    /// `undated` when none has a date.
    pub fn span(&self) -> String {
        let dated: Vec<&Bucket> = self
            .buckets
            .iter()
            .filter(|b| b.start().is_some())
            .collect();
        match dated.as_slice() {
            [] => Bucket::Undated.to_string(),
            [only] => only.to_string(),
            [first, .., last] => format!("{first}..{last}"),
        }
    }

    pub fn period_total(&self, b: usize) -> usize {
        self.counts[b].iter().sum()
    }

    pub fn dated_buckets(&self) -> usize {
        self.buckets
            .iter()
            .filter(|b| **b != Bucket::Undated)
            .count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Option<NaiveDate> {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
    }

    #[test]
    fn iso_weeks_fill_gaps_and_keep_undated() {
        // 2024-12-30 is in ISO week 2025-W01; 2025-01-20 is W04; W02 and W03 are empty.
        let dates = [d("2024-12-30"), d("2025-01-05"), None, d("2025-01-20")];
        let t = Trends::count(&dates, &[0, 1, 1, 0], 2, Period::Week);
        let labels: Vec<String> = t.buckets.iter().map(|b| b.to_string()).collect();
        assert_eq!(
            labels,
            ["2025-W01", "2025-W02", "2025-W03", "2025-W04", "undated"]
        );
        assert_eq!(t.counts, [[1, 1], [0, 0], [0, 0], [1, 0], [0, 1]]);
        assert_eq!(t.buckets[0].start(), d("2024-12-30"));
        let total: usize = (0..t.buckets.len()).map(|b| t.period_total(b)).sum();
        assert_eq!(total, 4);
    }

    #[test]
    fn days_and_months() {
        let dates = [d("2025-01-31"), d("2025-03-01")];
        let m = Trends::count(&dates, &[0, 0], 1, Period::Month);
        let labels: Vec<String> = m.buckets.iter().map(|b| b.to_string()).collect();
        assert_eq!(labels, ["2025-01", "2025-02", "2025-03"]);
        let day = Trends::count(&dates[..1], &[0], 1, Period::Day);
        assert_eq!(day.buckets[0].to_string(), "2025-01-31");
        assert_eq!("week".parse::<Period>(), Ok(Period::Week));
        assert!("year".parse::<Period>().is_err());
    }
}
