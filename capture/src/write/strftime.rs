//! The few `strftime(3)` conversions tcpdump users put in `-G` file names, computed by hand in
//! UTC (no time zone database, no date crate).

use std::fmt::Write as _;

/// Expands `%Y %m %d %H %M %S %j %s %y %F %T %%` in `template` for `secs` since the epoch, in
/// UTC. Other `%` sequences are kept as they are.
pub(super) fn strftime(template: &str, secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let in_day = secs.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    let yday = days - days_from_civil(year, 1, 1) + 1;
    let (hour, min, sec) = (in_day / 3600, in_day / 60 % 60, in_day % 60);

    let mut out = String::with_capacity(template.len() + 16);
    let mut chars = template.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        // Writing to a String cannot fail.
        let _ = match chars.next() {
            Some('Y') => write!(out, "{year:04}"),
            Some('y') => write!(out, "{:02}", year.rem_euclid(100)),
            Some('m') => write!(out, "{month:02}"),
            Some('d') => write!(out, "{day:02}"),
            Some('H') => write!(out, "{hour:02}"),
            Some('M') => write!(out, "{min:02}"),
            Some('S') => write!(out, "{sec:02}"),
            Some('j') => write!(out, "{yday:03}"),
            Some('s') => write!(out, "{secs}"),
            Some('F') => write!(out, "{year:04}-{month:02}-{day:02}"),
            Some('T') => write!(out, "{hour:02}:{min:02}:{sec:02}"),
            Some('%') => write!(out, "%"),
            Some(other) => write!(out, "%{other}"),
            None => write!(out, "%"),
        };
    }
    out
}

/// Year, month (1-12) and day (1-31) of a day number counted from 1970-01-01 (Howard Hinnant's
/// `civil_from_days`, proleptic Gregorian calendar).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097); // [0, 146096]
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // [0, 399]
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // [0, 365]
    let mp = (5 * doy + 2) / 153; // [0, 11], March = 0
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// The day number (from 1970-01-01) of a date; the inverse of [`civil_from_days`].
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = if month > 2 { month - 3 } else { month + 9 };
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    const F: &str = "%Y-%m-%d %H:%M:%S %j";

    #[test]
    fn known_dates_match_gnu_date() {
        // Expected values from `date -u -d @SECS "+%Y-%m-%d %H:%M:%S %j"`.
        for (secs, want) in [
            (0, "1970-01-01 00:00:00 001"),
            (951_782_400, "2000-02-29 00:00:00 060"),
            (1_700_000_000, "2023-11-14 22:13:20 318"),
            (-1, "1969-12-31 23:59:59 365"),
            (4_102_444_800, "2100-01-01 00:00:00 001"),
            (1_709_251_199, "2024-02-29 23:59:59 060"),
            (253_402_300_799, "9999-12-31 23:59:59 365"),
            (-62_135_596_800, "0001-01-01 00:00:00 001"),
        ] {
            assert_eq!(strftime(F, secs), want, "secs {secs}");
        }
    }

    #[test]
    fn other_conversions() {
        assert_eq!(
            strftime("cap-%s.pcap", 1_700_000_000),
            "cap-1700000000.pcap"
        );
        assert_eq!(
            strftime("100%% %F_%T %y", 1_700_000_000),
            "100% 2023-11-14_22:13:20 23"
        );
        assert_eq!(strftime("keep %Q and %", 0), "keep %Q and %");
        assert_eq!(strftime("plain.pcap", 0), "plain.pcap");
    }

    #[test]
    fn extreme_values_do_not_panic() {
        let _ = strftime(F, i64::MAX);
        let _ = strftime(F, i64::MIN);
    }

    #[test]
    fn days_round_trip() {
        for days in (-800_000..800_000).step_by(997) {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }
}
