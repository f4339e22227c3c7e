//! UTC time formatting without a date library (the conversion is Howard Hinnant's
//! `civil_from_days`, exact for the proleptic Gregorian calendar).

use std::fmt;

use capture::Timestamp;

/// A UTC calendar date and time of day.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Civil {
    pub(crate) year: i64,
    pub(crate) month: u32,
    pub(crate) day: u32,
    pub(crate) hour: u32,
    pub(crate) minute: u32,
    pub(crate) second: u32,
}

impl Civil {
    /// Splits seconds since the Unix epoch into a UTC date and time.
    pub(crate) fn from_unix(secs: i64) -> Self {
        let days = secs.div_euclid(86_400);
        let rem = secs.rem_euclid(86_400);
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = yoe + era * 400 + i64::from(month <= 2);
        // Every value below is in range by construction (rem < 86400, month 1..=12, day 1..=31).
        Self {
            year,
            month: u32::try_from(month).unwrap_or(1),
            day: u32::try_from(day).unwrap_or(1),
            hour: u32::try_from(rem / 3600).unwrap_or(0),
            minute: u32::try_from(rem % 3600 / 60).unwrap_or(0),
            second: u32::try_from(rem % 60).unwrap_or(0),
        }
    }
}

/// `HH:MM:SS.uuuuuu` in UTC, as tcpdump prints a packet's time (tcpdump uses local time;
/// flowsleuth always prints UTC so lines from different machines line up).
pub(crate) struct TimeOfDay(pub(crate) Timestamp);

impl fmt::Display for TimeOfDay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = Civil::from_unix(self.0.secs);
        write!(
            f,
            "{:02}:{:02}:{:02}.{:06}",
            c.hour,
            c.minute,
            c.second,
            self.0.nanos / 1000
        )
    }
}

/// RFC 3339 UTC with nanoseconds: `2024-01-01T00:00:00.123456789Z`.
pub(crate) struct Rfc3339(pub(crate) Timestamp);

impl Rfc3339 {
    /// The text in a fixed buffer, without the formatting machinery (records print two or
    /// more times each); `None` for years outside 0..=9999 or nanoseconds above 10^9.
    pub(crate) fn to_bytes(&self) -> Option<[u8; 30]> {
        let c = Civil::from_unix(self.0.secs);
        let year = u32::try_from(c.year).ok().filter(|y| *y <= 9999)?;
        let nanos = Some(self.0.nanos).filter(|n| *n < 1_000_000_000)?;
        let mut b = *b"0000-00-00T00:00:00.000000000Z";
        // Two digits at a time (`v` < 100), from a table: a third of the divisions.
        fn pair(b: &mut [u8; 30], at: usize, v: u32) {
            const DIGITS: &[u8; 200] = b"0001020304050607080910111213141516171819\
                2021222324252627282930313233343536373839\
                4041424344454647484950515253545556575859\
                6061626364656667686970717273747576777879\
                8081828384858687888990919293949596979899";
            let i = (v % 100) as usize * 2;
            if let (Some(d), Some(s)) = (b.get_mut(at..at + 2), DIGITS.get(i..i + 2)) {
                d.copy_from_slice(s);
            }
        }
        pair(&mut b, 0, year / 100);
        pair(&mut b, 2, year);
        pair(&mut b, 5, c.month);
        pair(&mut b, 8, c.day);
        pair(&mut b, 11, c.hour);
        pair(&mut b, 14, c.minute);
        pair(&mut b, 17, c.second);
        // Nanoseconds: one digit, then four pairs.
        if let Some(d) = b.get_mut(20) {
            *d = b'0' + (nanos / 100_000_000) as u8;
        }
        let mut rest = nanos % 100_000_000;
        for at in [27, 25, 23, 21] {
            pair(&mut b, at, rest);
            rest /= 100;
        }
        Some(b)
    }
}

impl fmt::Display for Rfc3339 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(b) = self.to_bytes() {
            // ASCII digits and separators only.
            return f.write_str(std::str::from_utf8(&b).map_err(|_| fmt::Error)?);
        }
        let c = Civil::from_unix(self.0.secs);
        write!(
            f,
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:09}Z",
            c.year, c.month, c.day, c.hour, c.minute, c.second, self.0.nanos
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_dates() {
        // Values from `date -u -d @N`.
        let cases = [
            (0, (1970, 1, 1, 0, 0, 0)),
            (951_782_400, (2000, 2, 29, 0, 0, 0)),
            (1_704_067_199, (2023, 12, 31, 23, 59, 59)),
            (1_709_164_800, (2024, 2, 29, 0, 0, 0)),
            (-1, (1969, 12, 31, 23, 59, 59)),
            (4_102_444_800, (2100, 1, 1, 0, 0, 0)),
        ];
        for (secs, (y, mo, d, h, mi, s)) in cases {
            let c = Civil::from_unix(secs);
            assert_eq!(
                (c.year, c.month, c.day, c.hour, c.minute, c.second),
                (y, mo, d, h, mi, s),
                "{secs}"
            );
        }
    }

    #[test]
    fn formats() {
        let ts = Timestamp {
            secs: 1_704_067_200,
            nanos: 123_456_789,
        };
        assert_eq!(TimeOfDay(ts).to_string(), "00:00:00.123456");
        assert_eq!(Rfc3339(ts).to_string(), "2024-01-01T00:00:00.123456789Z");
    }

    /// The table-driven text against `write!` of the same fields, on years 0..=9999 and
    /// nanoseconds with every digit position exercised.
    #[test]
    fn fast_text_equals_formatted_text() {
        let mut rng = samplegen::rng::SplitMix64::new(3339);
        let mut next = || rng.next_u64();
        // 0000-01-01 and 9999-12-31T23:59:59 in Unix seconds.
        let (lo, hi) = (-62_167_219_200i64, 253_402_300_799i64);
        let span = u64::try_from(hi - lo + 1).unwrap_or(1);
        let edges = [
            (lo, 0),
            (hi, 999_999_999),
            (0, 1),
            (-1, 10),
            (86_399, 100_000_000),
        ];
        let random = (0..20_000).map(|_| {
            let secs = lo + i64::try_from(next() % span).unwrap_or(0);
            (secs, u32::try_from(next() % 1_000_000_000).unwrap_or(0))
        });
        for (secs, nanos) in edges.into_iter().chain(random) {
            let ts = Timestamp { secs, nanos };
            let c = Civil::from_unix(secs);
            let want = format!(
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:09}Z",
                c.year, c.month, c.day, c.hour, c.minute, c.second, nanos
            );
            let got = Rfc3339(ts)
                .to_bytes()
                .map(|b| String::from_utf8_lossy(&b).into_owned());
            assert_eq!(got.as_deref(), Some(want.as_str()), "{secs} {nanos}");
        }
        // Out of range: no fixed-size text.
        let past = Timestamp {
            secs: hi + 1,
            nanos: 0,
        };
        assert!(Rfc3339(past).to_bytes().is_none());
    }
}
