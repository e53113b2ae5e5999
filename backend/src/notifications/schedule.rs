//! When a connection's daily digest is due, in the merchant's time zone. Pure, so the rules
//! (daylight-saving days included) are tested without a clock.

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

/// The digest of one local day: sent at `due`, covering the day that ended then.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DigestWindow {
    /// The local date the digest is sent on (its key: one digest per connection and date).
    pub date: NaiveDate,
    pub from: DateTime<Utc>,
    pub due: DateTime<Utc>,
}

/// The instant `at` falls on `date` in `tz`. A time skipped by a daylight-saving change is
/// taken an hour later; a time that happens twice, the first time.
fn instant(tz: Tz, date: NaiveDate, at: NaiveTime) -> DateTime<Utc> {
    let local = date.and_time(at);
    tz.from_local_datetime(&local)
        .earliest()
        .or_else(|| tz.from_local_datetime(&(local + Duration::hours(1))).earliest())
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| Utc.from_utc_datetime(&local))
}

/// The latest digest due at or before `now`.
pub fn latest_digest(now: DateTime<Utc>, tz: Tz, at: NaiveTime) -> DigestWindow {
    let today = now.with_timezone(&tz).date_naive();
    let due_today = instant(tz, today, at);
    let date = if now >= due_today { today } else { today.pred_opt().unwrap_or(today) };
    let due = instant(tz, date, at);
    let from = instant(tz, date.pred_opt().unwrap_or(date), at);
    DigestWindow { date, from, due }
}

/// Reads "HH:MM" (24-hour clock).
pub fn parse_time_of_day(text: &str) -> Option<NaiveTime> {
    NaiveTime::parse_from_str(text.trim(), "%H:%M").ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn the_digest_is_due_at_the_local_time_and_covers_the_day_before() {
        let at = parse_time_of_day("07:00").unwrap();
        let ny: Tz = "America/New_York".parse().unwrap();
        // 11:59 UTC is 06:59 in New York in November: today's digest is not due yet.
        let before = latest_digest(utc("2026-11-27T11:59:00Z"), ny, at);
        assert_eq!(before.date.to_string(), "2026-11-26");
        assert_eq!(before.due, utc("2026-11-26T12:00:00Z"));
        let after = latest_digest(utc("2026-11-27T12:00:00Z"), ny, at);
        assert_eq!(after.date.to_string(), "2026-11-27");
        assert_eq!((after.from, after.due), (utc("2026-11-26T12:00:00Z"), utc("2026-11-27T12:00:00Z")));
    }

    #[test]
    fn daylight_saving_days_are_23_or_25_hours_and_skipped_times_move_on() {
        let ny: Tz = "America/New_York".parse().unwrap();
        let seven = parse_time_of_day("07:00").unwrap();
        // Clocks go back at 02:00 on 2026-11-01: the day the 1 November digest covers has 25 hours.
        let day = latest_digest(utc("2026-11-01T13:00:00Z"), ny, seven);
        assert_eq!(day.due - day.from, Duration::hours(25));
        // 02:30 does not exist on 2026-03-08 in New York: the digest goes at 03:30 EDT.
        let skipped = latest_digest(utc("2026-03-08T12:00:00Z"), ny, parse_time_of_day("02:30").unwrap());
        assert_eq!(skipped.due, utc("2026-03-08T07:30:00Z"));
    }

    #[test]
    fn only_a_24_hour_clock_time_is_a_time_of_day() {
        assert!(parse_time_of_day("7:05").is_some());
        assert!(parse_time_of_day("24:00").is_none());
        assert!(parse_time_of_day("7am").is_none());
    }
}
