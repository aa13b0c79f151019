//! Package `time`: Go durations and Go layout-based time formatting and
//! parsing. There is no clock: every function works on its arguments.

use super::{fail, func, int, s, validator};
use crate::kind::{INT, STRING};
use crate::{Builtin, Data, StdError, StdResult};

const P: &str = "time";

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const DAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

/// Constants: units, layouts, months and weekdays.
pub fn constant(name: &str) -> Option<Data> {
    let unit = |n: i64| Some(Data::int(n));
    let layout = |s: &str| Some(Data::str(s));
    match name {
        "Nanosecond" => unit(1),
        "Microsecond" => unit(1_000),
        "Millisecond" => unit(1_000_000),
        "Second" => unit(1_000_000_000),
        "Minute" => unit(60_000_000_000),
        "Hour" => unit(3_600_000_000_000),
        "ANSIC" => layout("Mon Jan _2 15:04:05 2006"),
        "UnixDate" => layout("Mon Jan _2 15:04:05 MST 2006"),
        "RubyDate" => layout("Mon Jan 02 15:04:05 -0700 2006"),
        "RFC822" => layout("02 Jan 06 15:04 MST"),
        "RFC822Z" => layout("02 Jan 06 15:04 -0700"),
        "RFC850" => layout("Monday, 02-Jan-06 15:04:05 MST"),
        "RFC1123" => layout("Mon, 02 Jan 2006 15:04:05 MST"),
        "RFC1123Z" => layout("Mon, 02 Jan 2006 15:04:05 -0700"),
        "RFC3339" => layout("2006-01-02T15:04:05Z07:00"),
        "RFC3339Nano" => layout("2006-01-02T15:04:05.999999999Z07:00"),
        "RFC3339Date" => layout("2006-01-02"),
        "Kitchen" => layout("3:04PM"),
        "Kitchen24" => layout("15:04"),
        "Stamp" => layout("Jan _2 15:04:05"),
        "StampMilli" => layout("Jan _2 15:04:05.000"),
        "StampMicro" => layout("Jan _2 15:04:05.000000"),
        "StampNano" => layout("Jan _2 15:04:05.000000000"),
        _ => {
            if let Some(i) = MONTHS.iter().position(|m| *m == name) {
                return unit(i as i64 + 1);
            }
            DAYS.iter()
                .position(|d| *d == name)
                .and_then(|i| unit(i as i64))
        }
    }
}

const RFC3339NANO: &str = "2006-01-02T15:04:05.999999999Z07:00";

/// Go's `time.ParseDuration`, in nanoseconds.
pub fn parse_duration(x: &str) -> Result<i64, StdError> {
    let bad = || {
        StdError::new(format!(
            "time: invalid duration {}",
            super::strconv::quote(x)
        ))
    };
    let (neg, mut rest) = match x.as_bytes().first() {
        Some(b'-') => (true, &x[1..]),
        Some(b'+') => (false, &x[1..]),
        _ => (false, x),
    };
    if rest == "0" {
        return Ok(0);
    }
    if rest.is_empty() {
        return Err(bad());
    }
    let mut total: u128 = 0;
    while !rest.is_empty() {
        let int_len = rest.bytes().take_while(u8::is_ascii_digit).count();
        let (ip, r) = rest.split_at(int_len);
        let (fp, r) = match r.strip_prefix('.') {
            Some(r2) => {
                let n = r2.bytes().take_while(u8::is_ascii_digit).count();
                (&r2[..n], &r2[n..])
            }
            None => ("", r),
        };
        if ip.is_empty() && fp.is_empty() {
            return Err(bad());
        }
        let unit_len = r
            .find(|c: char| c == '.' || c.is_ascii_digit())
            .unwrap_or(r.len());
        let (unit, r) = r.split_at(unit_len);
        let mult: u128 = match unit {
            "ns" => 1,
            "us" | "µs" | "μs" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            "" => {
                return Err(StdError::new(format!(
                    "time: missing unit in duration {}",
                    super::strconv::quote(x)
                )));
            }
            _ => {
                return Err(StdError::new(format!(
                    "time: unknown unit {} in duration {}",
                    super::strconv::quote(unit),
                    super::strconv::quote(x)
                )));
            }
        };
        let ipv: u128 = if ip.is_empty() {
            0
        } else {
            ip.parse().map_err(|_| bad())?
        };
        let mut v = ipv.checked_mul(mult).ok_or_else(bad)?;
        let mut scale = mult;
        for d in fp.bytes() {
            scale /= 10;
            v += u128::from(d - b'0') * scale;
            if scale == 0 {
                break;
            }
        }
        total = total.checked_add(v).ok_or_else(bad)?;
        if total > i64::MAX as u128 + u128::from(neg) {
            return Err(bad());
        }
        rest = r;
    }
    Ok(if neg {
        (total as i128).wrapping_neg() as i64
    } else {
        total as i64
    })
}

/// Go's `time.Duration.String`.
pub fn format_duration(d: i64) -> String {
    if d == 0 {
        return "0s".into();
    }
    let neg = d < 0;
    let u = d.unsigned_abs();
    let frac = |v: u64, digits: u32| -> String {
        let p = 10u64.pow(digits);
        let (i, f) = (v / p, v % p);
        if f == 0 {
            i.to_string()
        } else {
            let fs = format!("{f:0w$}", w = digits as usize);
            format!("{i}.{}", fs.trim_end_matches('0'))
        }
    };
    let body = if u < 1_000 {
        format!("{u}ns")
    } else if u < 1_000_000 {
        format!("{}µs", frac(u, 3))
    } else if u < 1_000_000_000 {
        format!("{}ms", frac(u, 6))
    } else {
        let secs = u / 1_000_000_000;
        let ns = u % 1_000_000_000;
        let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
        let mut out = String::new();
        if h > 0 {
            out.push_str(&format!("{h}h"));
        }
        if h > 0 || m > 0 {
            out.push_str(&format!("{m}m"));
        }
        out.push_str(&frac(s * 1_000_000_000 + ns, 9));
        out.push('s');
        out
    };
    if neg { format!("-{body}") } else { body }
}

/// A civil time with its zone offset.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Time {
    /// Year.
    pub year: i64,
    /// Month 1–12.
    pub month: u32,
    /// Day 1–31.
    pub day: u32,
    /// Hour.
    pub hour: u32,
    /// Minute.
    pub min: u32,
    /// Second.
    pub sec: u32,
    /// Nanosecond.
    pub nsec: u32,
    /// Offset east of UTC in seconds.
    pub offset: i32,
    /// Zone abbreviation, when parsed from one.
    pub zone: Option<String>,
}

/// Days since 1970-01-01 of a civil date.
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (i64::from(m) + 9) % 12;
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (
        if m <= 2 {
            yoe + era * 400 + 1
        } else {
            yoe + era * 400
        },
        m,
        d,
    )
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in(y: i64, m: u32) -> u32 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

impl Time {
    /// Seconds since the Unix epoch.
    pub fn unix(&self) -> i64 {
        days_from_civil(self.year, self.month, self.day) * 86_400
            + i64::from(self.hour) * 3600
            + i64::from(self.min) * 60
            + i64::from(self.sec)
            - i64::from(self.offset)
    }

    /// The time from Unix seconds and nanoseconds, in UTC.
    pub fn from_unix(secs: i64, nsec: i64) -> Time {
        let total = i128::from(secs) * 1_000_000_000 + i128::from(nsec);
        let s = total.div_euclid(1_000_000_000) as i64;
        let ns = total.rem_euclid(1_000_000_000) as u32;
        let (y, m, d) = civil_from_days(s.div_euclid(86_400));
        let r = s.rem_euclid(86_400);
        Time {
            year: y,
            month: m,
            day: d,
            hour: (r / 3600) as u32,
            min: (r / 60 % 60) as u32,
            sec: (r % 60) as u32,
            nsec: ns,
            offset: 0,
            zone: None,
        }
    }

    /// The same instant in UTC.
    pub fn utc(&self) -> Time {
        Time::from_unix(self.unix(), i64::from(self.nsec))
    }

    fn weekday(&self) -> usize {
        (days_from_civil(self.year, self.month, self.day) + 4).rem_euclid(7) as usize
    }

    fn yday(&self) -> i64 {
        days_from_civil(self.year, self.month, self.day) - days_from_civil(self.year, 1, 1) + 1
    }
}

/// One element of a layout.
#[derive(Clone, Debug, PartialEq)]
enum Chunk {
    Lit(String),
    LongMonth,
    Month,
    NumMonth,
    ZeroMonth,
    LongWeekDay,
    WeekDay,
    Day,
    UnderDay,
    ZeroDay,
    UnderYearDay,
    ZeroYearDay,
    Hour,
    Hour12,
    ZeroHour12,
    Minute,
    ZeroMinute,
    Second,
    ZeroSecond,
    LongYear,
    Year,
    PM,
    Pm,
    Tz,
    /// Numeric zone: `Z` allowed for UTC, colons, with seconds, hours only.
    Offset {
        z: bool,
        colon: bool,
        secs: bool,
        hours_only: bool,
    },
    /// Fractional seconds: digits, and whether trailing zeros are dropped.
    Frac(usize, bool),
}

fn chunks(layout: &str) -> Vec<Chunk> {
    let b = layout.as_bytes();
    let mut out = Vec::new();
    let mut lit = String::new();
    let mut i = 0;
    let table: &[(&str, Chunk)] = &[
        ("January", Chunk::LongMonth),
        ("Jan", Chunk::Month),
        ("Monday", Chunk::LongWeekDay),
        ("Mon", Chunk::WeekDay),
        ("MST", Chunk::Tz),
        ("2006", Chunk::LongYear),
        ("002", Chunk::ZeroYearDay),
        ("01", Chunk::ZeroMonth),
        ("02", Chunk::ZeroDay),
        ("03", Chunk::ZeroHour12),
        ("04", Chunk::ZeroMinute),
        ("05", Chunk::ZeroSecond),
        ("06", Chunk::Year),
        ("15", Chunk::Hour),
        ("__2", Chunk::UnderYearDay),
        ("_2", Chunk::UnderDay),
        ("1", Chunk::NumMonth),
        ("2", Chunk::Day),
        ("3", Chunk::Hour12),
        ("4", Chunk::Minute),
        ("5", Chunk::Second),
        ("PM", Chunk::PM),
        ("pm", Chunk::Pm),
        (
            "Z070000",
            Chunk::Offset {
                z: true,
                colon: false,
                secs: true,
                hours_only: false,
            },
        ),
        (
            "Z07:00:00",
            Chunk::Offset {
                z: true,
                colon: true,
                secs: true,
                hours_only: false,
            },
        ),
        (
            "Z0700",
            Chunk::Offset {
                z: true,
                colon: false,
                secs: false,
                hours_only: false,
            },
        ),
        (
            "Z07:00",
            Chunk::Offset {
                z: true,
                colon: true,
                secs: false,
                hours_only: false,
            },
        ),
        (
            "Z07",
            Chunk::Offset {
                z: true,
                colon: false,
                secs: false,
                hours_only: true,
            },
        ),
        (
            "-070000",
            Chunk::Offset {
                z: false,
                colon: false,
                secs: true,
                hours_only: false,
            },
        ),
        (
            "-07:00:00",
            Chunk::Offset {
                z: false,
                colon: true,
                secs: true,
                hours_only: false,
            },
        ),
        (
            "-0700",
            Chunk::Offset {
                z: false,
                colon: false,
                secs: false,
                hours_only: false,
            },
        ),
        (
            "-07:00",
            Chunk::Offset {
                z: false,
                colon: true,
                secs: false,
                hours_only: false,
            },
        ),
        (
            "-07",
            Chunk::Offset {
                z: false,
                colon: false,
                secs: false,
                hours_only: true,
            },
        ),
    ];
    'outer: while i < b.len() {
        let rest = &layout[i..];
        // Like Go, "Jan" and "Mon" followed by a lower-case letter are text.
        for (pat, c) in table {
            if let Some(after) = rest.strip_prefix(pat) {
                let next_lower = after.chars().next().is_some_and(|c| c.is_ascii_lowercase());
                if matches!(c, Chunk::Month | Chunk::WeekDay) && next_lower {
                    continue;
                }
                if *pat == "2006" || !(*pat == "_2" && rest.starts_with("_2006")) {
                    if !lit.is_empty() {
                        out.push(Chunk::Lit(std::mem::take(&mut lit)));
                    }
                    out.push(c.clone());
                    i += pat.len();
                    continue 'outer;
                }
            }
        }
        if (b[i] == b'.' || b[i] == b',')
            && i + 1 < b.len()
            && (b[i + 1] == b'0' || b[i + 1] == b'9')
        {
            let d = b[i + 1];
            let mut j = i + 1;
            while j < b.len() && b[j] == d {
                j += 1;
            }
            if !(j < b.len() && b[j].is_ascii_digit()) {
                if !lit.is_empty() {
                    out.push(Chunk::Lit(std::mem::take(&mut lit)));
                }
                out.push(Chunk::Frac(j - i - 1, d == b'9'));
                i = j;
                continue;
            }
        }
        let c = rest.chars().next().unwrap_or(' ');
        lit.push(c);
        i += c.len_utf8();
    }
    if !lit.is_empty() {
        out.push(Chunk::Lit(lit));
    }
    out
}

/// Formats a time with a Go layout.
pub fn format(t: &Time, layout: &str) -> String {
    let mut out = String::new();
    let h12 = |h: u32| if h.is_multiple_of(12) { 12 } else { h % 12 };
    for c in chunks(layout) {
        match c {
            Chunk::Lit(s) => out.push_str(&s),
            Chunk::LongMonth => out.push_str(MONTHS[t.month as usize - 1]),
            Chunk::Month => out.push_str(&MONTHS[t.month as usize - 1][..3]),
            Chunk::NumMonth => out.push_str(&t.month.to_string()),
            Chunk::ZeroMonth => out.push_str(&format!("{:02}", t.month)),
            Chunk::LongWeekDay => out.push_str(DAYS[t.weekday()]),
            Chunk::WeekDay => out.push_str(&DAYS[t.weekday()][..3]),
            Chunk::Day => out.push_str(&t.day.to_string()),
            Chunk::UnderDay => out.push_str(&format!("{:>2}", t.day)),
            Chunk::ZeroDay => out.push_str(&format!("{:02}", t.day)),
            Chunk::UnderYearDay => out.push_str(&format!("{:>3}", t.yday())),
            Chunk::ZeroYearDay => out.push_str(&format!("{:03}", t.yday())),
            Chunk::Hour => out.push_str(&format!("{:02}", t.hour)),
            Chunk::Hour12 => out.push_str(&h12(t.hour).to_string()),
            Chunk::ZeroHour12 => out.push_str(&format!("{:02}", h12(t.hour))),
            Chunk::Minute => out.push_str(&t.min.to_string()),
            Chunk::ZeroMinute => out.push_str(&format!("{:02}", t.min)),
            Chunk::Second => out.push_str(&t.sec.to_string()),
            Chunk::ZeroSecond => out.push_str(&format!("{:02}", t.sec)),
            Chunk::LongYear => out.push_str(&format!("{:04}", t.year)),
            Chunk::Year => out.push_str(&format!("{:02}", t.year.rem_euclid(100))),
            Chunk::PM => out.push_str(if t.hour >= 12 { "PM" } else { "AM" }),
            Chunk::Pm => out.push_str(if t.hour >= 12 { "pm" } else { "am" }),
            Chunk::Tz => match &t.zone {
                Some(z) => out.push_str(z),
                None if t.offset == 0 => out.push_str("UTC"),
                None => {
                    let h = t.offset / 3600;
                    let m = (t.offset.abs() / 60) % 60;
                    out.push_str(&format!(
                        "{}{:02}",
                        if t.offset < 0 { '-' } else { '+' },
                        h.abs()
                    ));
                    if m != 0 {
                        out.push_str(&format!("{m:02}"));
                    }
                }
            },
            Chunk::Offset {
                z,
                colon,
                secs,
                hours_only,
            } => {
                if z && t.offset == 0 {
                    out.push('Z');
                    continue;
                }
                let o = t.offset.abs();
                out.push(if t.offset < 0 { '-' } else { '+' });
                out.push_str(&format!("{:02}", o / 3600));
                if !hours_only {
                    if colon {
                        out.push(':');
                    }
                    out.push_str(&format!("{:02}", o / 60 % 60));
                    if secs {
                        if colon {
                            out.push(':');
                        }
                        out.push_str(&format!("{:02}", o % 60));
                    }
                }
            }
            Chunk::Frac(n, trim) => {
                let digits = format!("{:09}", t.nsec);
                let mut d = digits[..n.min(9)].to_string();
                if trim {
                    d = d.trim_end_matches('0').to_string();
                    if !d.is_empty() {
                        out.push('.');
                        out.push_str(&d);
                    }
                } else {
                    out.push('.');
                    out.push_str(&d);
                }
            }
        }
    }
    out
}

/// Parses a value with a Go layout.
pub fn parse(layout: &str, value: &str) -> Result<Time, StdError> {
    let fail_at = |what: &str, rest: &str| {
        StdError::new(format!(
            "parsing time {} as {}: cannot parse {} as {}",
            super::strconv::quote(value),
            super::strconv::quote(layout),
            super::strconv::quote(rest),
            super::strconv::quote(what)
        ))
    };
    let mut t = Time {
        year: 1,
        month: 1,
        day: 1,
        hour: 0,
        min: 0,
        sec: 0,
        nsec: 0,
        offset: 0,
        zone: None,
    };
    let mut pm: Option<bool> = None;
    let mut yday: Option<i64> = None;
    let mut v = value;
    let num = |v: &mut &str, min: usize, max: usize| -> Option<i64> {
        let n = v.bytes().take(max).take_while(u8::is_ascii_digit).count();
        if n < min {
            return None;
        }
        let r = v[..n].parse().ok();
        *v = &v[n..];
        r
    };
    let cs = chunks(layout);
    for (k, c) in cs.iter().enumerate() {
        let before = v;
        let ok = match c {
            Chunk::Lit(s) => match v.strip_prefix(s.as_str()) {
                Some(r) => {
                    v = r;
                    true
                }
                None => return Err(fail_at(s, v)),
            },
            Chunk::LongMonth | Chunk::Month => {
                let long = matches!(c, Chunk::LongMonth);
                match MONTHS.iter().position(|m| {
                    let name = if long { *m } else { &m[..3] };
                    v.len() >= name.len() && v[..name.len()].eq_ignore_ascii_case(name)
                }) {
                    Some(i) => {
                        t.month = i as u32 + 1;
                        v = &v[if long { MONTHS[i].len() } else { 3 }..];
                        true
                    }
                    None => false,
                }
            }
            Chunk::LongWeekDay | Chunk::WeekDay => {
                let long = matches!(c, Chunk::LongWeekDay);
                match DAYS.iter().find(|d| {
                    let name = if long { **d } else { &d[..3] };
                    v.len() >= name.len() && v[..name.len()].eq_ignore_ascii_case(name)
                }) {
                    Some(d) => {
                        v = &v[if long { d.len() } else { 3 }..];
                        true
                    }
                    None => false,
                }
            }
            Chunk::NumMonth | Chunk::ZeroMonth => {
                let z = matches!(c, Chunk::ZeroMonth);
                num(&mut v, if z { 2 } else { 1 }, 2)
                    .map(|n| t.month = n as u32)
                    .is_some()
            }
            Chunk::Day | Chunk::ZeroDay | Chunk::UnderDay => {
                if matches!(c, Chunk::UnderDay) && v.starts_with(' ') {
                    v = &v[1..];
                }
                let z = matches!(c, Chunk::ZeroDay);
                num(&mut v, if z { 2 } else { 1 }, 2)
                    .map(|n| t.day = n as u32)
                    .is_some()
            }
            Chunk::UnderYearDay | Chunk::ZeroYearDay => {
                let trimmed = v.trim_start_matches(' ');
                if matches!(c, Chunk::UnderYearDay) {
                    v = trimmed;
                }
                num(
                    &mut v,
                    if matches!(c, Chunk::ZeroYearDay) {
                        3
                    } else {
                        1
                    },
                    3,
                )
                .map(|n| yday = Some(n))
                .is_some()
            }
            Chunk::Hour => num(&mut v, 2, 2).map(|n| t.hour = n as u32).is_some(),
            Chunk::Hour12 | Chunk::ZeroHour12 => {
                let z = matches!(c, Chunk::ZeroHour12);
                num(&mut v, if z { 2 } else { 1 }, 2)
                    .filter(|n| (1..=12).contains(n))
                    .map(|n| t.hour = n as u32)
                    .is_some()
            }
            Chunk::Minute | Chunk::ZeroMinute => {
                let z = matches!(c, Chunk::ZeroMinute);
                num(&mut v, if z { 2 } else { 1 }, 2)
                    .map(|n| t.min = n as u32)
                    .is_some()
            }
            Chunk::Second | Chunk::ZeroSecond => {
                let z = matches!(c, Chunk::ZeroSecond);
                let ok = num(&mut v, if z { 2 } else { 1 }, 2)
                    .map(|n| t.sec = n as u32)
                    .is_some();
                // Go accepts fractional seconds the layout does not mention.
                if ok
                    && !matches!(cs.get(k + 1), Some(Chunk::Frac(..)))
                    && (v.starts_with('.') || v.starts_with(','))
                    && v[1..].starts_with(|c: char| c.is_ascii_digit())
                {
                    let n = v[1..].bytes().take_while(u8::is_ascii_digit).count();
                    t.nsec = frac_nanos(&v[1..1 + n]);
                    v = &v[1 + n..];
                }
                ok
            }
            Chunk::LongYear => num(&mut v, 4, 4).map(|n| t.year = n).is_some(),
            Chunk::Year => num(&mut v, 2, 2)
                .map(|n| t.year = if n >= 69 { 1900 + n } else { 2000 + n })
                .is_some(),
            Chunk::PM | Chunk::Pm => {
                let p = v.get(..2).map(|x| x.to_ascii_uppercase());
                match p.as_deref() {
                    Some("AM") => pm = Some(false),
                    Some("PM") => pm = Some(true),
                    _ => return Err(fail_at(if matches!(c, Chunk::PM) { "PM" } else { "pm" }, v)),
                }
                v = &v[2..];
                true
            }
            Chunk::Tz => {
                let n = v.bytes().take_while(u8::is_ascii_uppercase).count();
                if n >= 3 {
                    t.zone = Some(v[..n].to_string());
                    v = &v[n..];
                    true
                } else {
                    false
                }
            }
            Chunk::Offset {
                z,
                colon,
                secs,
                hours_only,
            } => {
                if *z && v.starts_with('Z') {
                    v = &v[1..];
                    t.offset = 0;
                    true
                } else {
                    let sign = match v.as_bytes().first() {
                        Some(b'+') => 1,
                        Some(b'-') => -1,
                        _ => 0,
                    };
                    if sign == 0 {
                        false
                    } else {
                        v = &v[1..];
                        let mut parts = vec![num(&mut v, 2, 2)];
                        if !hours_only {
                            if *colon {
                                v = v.strip_prefix(':').unwrap_or("\u{0}");
                            }
                            parts.push(num(&mut v, 2, 2));
                            if *secs {
                                if *colon {
                                    v = v.strip_prefix(':').unwrap_or("\u{0}");
                                }
                                parts.push(num(&mut v, 2, 2));
                            }
                        }
                        match parts.iter().copied().collect::<Option<Vec<i64>>>() {
                            Some(p) => {
                                let s = p.first().copied().unwrap_or(0) * 3600
                                    + p.get(1).copied().unwrap_or(0) * 60
                                    + p.get(2).copied().unwrap_or(0);
                                t.offset = (sign * s) as i32;
                                true
                            }
                            None => false,
                        }
                    }
                }
            }
            Chunk::Frac(n, trim) => {
                if *trim {
                    if (v.starts_with('.') || v.starts_with(','))
                        && v[1..].starts_with(|c: char| c.is_ascii_digit())
                    {
                        let k = v[1..].bytes().take_while(u8::is_ascii_digit).count();
                        t.nsec = frac_nanos(&v[1..1 + k]);
                        v = &v[1 + k..];
                    }
                    true
                } else if v.len() > *n
                    && (v.starts_with('.') || v.starts_with(','))
                    && v[1..=*n].bytes().all(|b| b.is_ascii_digit())
                {
                    t.nsec = frac_nanos(&v[1..=*n]);
                    v = &v[1 + n..];
                    true
                } else {
                    false
                }
            }
        };
        if !ok {
            return Err(fail_at(&layout_text(c), before));
        }
    }
    if !v.is_empty() {
        return Err(StdError::new(format!(
            "parsing time {}: extra text: {}",
            super::strconv::quote(value),
            super::strconv::quote(v)
        )));
    }
    if let Some(p) = pm {
        if p && t.hour < 12 {
            t.hour += 12;
        } else if !p && t.hour == 12 {
            t.hour = 0;
        }
    }
    if let Some(d) = yday {
        let days = days_from_civil(t.year, 1, 1) + d - 1;
        let (_, m, dd) = civil_from_days(days);
        t.month = m;
        t.day = dd;
    }
    let range = |what: &str| {
        Err(StdError::new(format!(
            "parsing time {}: {what} out of range",
            super::strconv::quote(value)
        )))
    };
    if !(1..=12).contains(&t.month) {
        return range("month");
    }
    if t.day < 1 || t.day > days_in(t.year, t.month) {
        return range("day");
    }
    if t.hour > 23 {
        return range("hour");
    }
    if t.min > 59 {
        return range("minute");
    }
    if t.sec > 59 {
        return range("second");
    }
    Ok(t)
}

fn frac_nanos(d: &str) -> u32 {
    let mut s: String = d.chars().take(9).collect();
    while s.len() < 9 {
        s.push('0');
    }
    s.parse().unwrap_or(0)
}

fn layout_text(c: &Chunk) -> String {
    format!("{c:?}")
}

fn rfc3339nano(t: &Time) -> String {
    format(t, RFC3339NANO)
}

/// The functions.
pub static FUNCS: &[Builtin] = &[
    validator!(P, "Duration", [STRING], |a| parse_duration(&s(&a[0]))
        .map(|_| Data::Bool(true))),
    func!(P, "ParseDuration", [STRING], INT, |a| parse_duration(&s(
        &a[0]
    ))
    .map(Data::int)),
    func!(P, "FormatDuration", [INT], STRING, |a| Ok(Data::str(
        format_duration(int(&a[0])?)
    ))),
    validator!(P, "Time", [STRING], |a| parse(RFC3339NANO, &s(&a[0]))
        .map(|_| Data::Bool(true))),
    validator!(P, "Format", [STRING, STRING], |a| parse(
        &s(&a[1]),
        &s(&a[0])
    )
    .map(|_| Data::Bool(true))),
    func!(P, "FormatString", [STRING, STRING], STRING, |a| {
        let t = parse(RFC3339NANO, &s(&a[1]))?;
        Ok(Data::str(format(&t, &s(&a[0]))))
    }),
    func!(P, "Parse", [STRING, STRING], STRING, |a| Ok(Data::str(
        rfc3339nano(&parse(&s(&a[0]), &s(&a[1]))?.utc())
    ))),
    func!(P, "Unix", [INT, INT], STRING, |a| Ok(Data::str(
        rfc3339nano(&Time::from_unix(int(&a[0])?, int(&a[1])?))
    ))),
    func!(P, "Split", [STRING], crate::kind::STRUCT, |a| split(&s(
        &a[0]
    ))),
];

fn split(x: &str) -> StdResult {
    let t = match parse(RFC3339NANO, x) {
        Ok(t) => t,
        Err(e) => return fail(e.msg),
    };
    Ok(Data::Struct(vec![
        ("year".into(), Data::int(t.year)),
        ("month".into(), Data::int(t.month)),
        ("day".into(), Data::int(t.day)),
        ("hour".into(), Data::int(t.hour)),
        ("minute".into(), Data::int(t.min)),
        ("second".into(), Data::int(t.sec)),
        ("nanosecond".into(), Data::int(t.nsec)),
    ]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_follow_go() {
        assert_eq!(
            parse_duration("1h15m30.918273645s").unwrap(),
            4_530_918_273_645
        );
        assert_eq!(parse_duration("-1.5h").unwrap(), -5_400_000_000_000);
        assert_eq!(parse_duration("300ms").unwrap(), 300_000_000);
        assert_eq!(parse_duration("2µs").unwrap(), 2_000);
        assert_eq!(parse_duration("0").unwrap(), 0);
        assert!(
            parse_duration("1")
                .unwrap_err()
                .msg
                .contains("missing unit")
        );
        assert!(
            parse_duration("1d")
                .unwrap_err()
                .msg
                .contains("unknown unit")
        );
        assert!(parse_duration("").is_err());
        assert_eq!(format_duration(4_530_918_273_645), "1h15m30.918273645s");
        assert_eq!(format_duration(1_500_000_000), "1.5s");
        assert_eq!(format_duration(300_000_000), "300ms");
        assert_eq!(format_duration(-2_000), "-2µs");
        assert_eq!(format_duration(3_600_000_000_000), "1h0m0s");
        assert_eq!(format_duration(0), "0s");
    }

    #[test]
    fn parse_and_format_with_layouts() {
        let t = parse(RFC3339NANO, "2006-01-02T15:04:05.5+07:00").unwrap();
        assert_eq!((t.hour, t.nsec, t.offset), (15, 500_000_000, 25_200));
        assert_eq!(rfc3339nano(&t.utc()), "2006-01-02T08:04:05.5Z");
        assert_eq!(
            format(&t, "Mon Jan _2 15:04:05 2006"),
            "Mon Jan  2 15:04:05 2006"
        );
        assert_eq!(
            format(&t, "3:04PM Monday, January 2"),
            "3:04PM Monday, January 2"
        );
        assert_eq!(
            format(&t, "2006-01-02T15:04:05.000Z07:00"),
            "2006-01-02T15:04:05.500+07:00"
        );
        let k = parse("3:04PM", "11:30AM").unwrap();
        assert_eq!((k.hour, k.min), (11, 30));
        let d = parse("Jan 2, 2006 at 3:04pm (MST)", "Feb 3, 2013 at 7:54pm (PST)").unwrap();
        assert_eq!(
            (d.year, d.month, d.day, d.hour, d.zone.as_deref()),
            (2013, 2, 3, 19, Some("PST"))
        );
        assert!(parse(RFC3339NANO, "2006-02-30T00:00:00Z").is_err());
        assert!(parse(RFC3339NANO, "not a time").is_err());
        assert!(parse("2006-01-02", "2006-01-02x").is_err());
    }

    #[test]
    fn package_functions() {
        let call = |n: &str, a: Vec<Data>| crate::lookup("time", n).unwrap().call(&a);
        assert_eq!(
            call("Unix", vec![Data::int(1_500_000_000), Data::int(0)]),
            Ok(Data::str("2017-07-14T02:40:00Z"))
        );
        assert_eq!(
            call("Unix", vec![Data::int(0), Data::int(1)]),
            Ok(Data::str("1970-01-01T00:00:00.000000001Z"))
        );
        assert_eq!(
            call(
                "Parse",
                vec![
                    Data::str("2006-01-02 15:04 -0700"),
                    Data::str("2020-03-04 05:06 -0200")
                ]
            ),
            Ok(Data::str("2020-03-04T07:06:00Z"))
        );
        assert_eq!(
            call(
                "FormatString",
                vec![
                    Data::str("02 Jan 06 15:04"),
                    Data::str("2021-12-25T10:00:00Z")
                ]
            ),
            Ok(Data::str("25 Dec 21 10:00"))
        );
        assert_eq!(
            call("Time", vec![Data::str("2021-12-25T10:00:00Z")]),
            Ok(Data::Bool(true))
        );
        assert!(call("Time", vec![Data::str("2021-12-25")]).is_err());
        assert_eq!(
            call(
                "Format",
                vec![Data::str("2021-12-25"), Data::str("2006-01-02")]
            ),
            Ok(Data::Bool(true))
        );
        assert_eq!(
            call("Duration", vec![Data::str("1h")]),
            Ok(Data::Bool(true))
        );
        assert_eq!(
            call("ParseDuration", vec![Data::str("1m")]),
            Ok(Data::int(60_000_000_000i64))
        );
        assert_eq!(
            crate::constant("time", "RFC3339"),
            Some(Data::str("2006-01-02T15:04:05Z07:00"))
        );
        assert_eq!(crate::constant("time", "March"), Some(Data::int(3)));
        assert_eq!(
            crate::constant("time", "Hour"),
            Some(Data::int(3_600_000_000_000i64))
        );
    }
}
