//! Units and dimensions: the unit table, conversion to base units, and dimension arithmetic.
//!
//! A dimension is a pair of integer powers of time and bytes: a duration is time^1, a size
//! bytes^1, a bandwidth bytes^1 time^-1, a time per size time^1 bytes^-1, a frequency time^-1.
//! Invariant: every quantity leaves this module in base units (seconds, bytes, bytes per
//! second, seconds per byte, per second); `%` is the number 0.01.

use std::fmt;

/// Powers of time and bytes. `Dim::NONE` is a plain number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Dim {
    pub time: i8,
    pub bytes: i8,
}

impl Dim {
    pub const NONE: Dim = Dim { time: 0, bytes: 0 };
    pub const TIME: Dim = Dim { time: 1, bytes: 0 };
    pub const SIZE: Dim = Dim { time: 0, bytes: 1 };
    pub const BANDWIDTH: Dim = Dim { time: -1, bytes: 1 };
    pub const TIME_PER_SIZE: Dim = Dim { time: 1, bytes: -1 };
    pub const FREQUENCY: Dim = Dim { time: -1, bytes: 0 };

    pub fn times(self, other: Dim) -> Dim {
        Dim {
            time: self.time.saturating_add(other.time),
            bytes: self.bytes.saturating_add(other.bytes),
        }
    }

    pub fn per(self, other: Dim) -> Dim {
        Dim {
            time: self.time.saturating_sub(other.time),
            bytes: self.bytes.saturating_sub(other.bytes),
        }
    }

    pub fn inverse(self) -> Dim {
        Dim::NONE.per(self)
    }

    /// The square root, when both powers are even.
    pub fn sqrt(self) -> Option<Dim> {
        (self.time % 2 == 0 && self.bytes % 2 == 0).then_some(Dim {
            time: self.time / 2,
            bytes: self.bytes / 2,
        })
    }

    pub fn is_number(self) -> bool {
        self == Dim::NONE
    }

    /// The base unit, such as `s`, `B/s` or `s^2`.
    pub fn base_unit(self) -> String {
        let power = |symbol: &str, p: i8| match p {
            1 => symbol.to_string(),
            _ => format!("{symbol}^{p}"),
        };
        match (self.time, self.bytes) {
            (0, 0) => String::new(),
            (t, 0) if t < 0 => format!("/{}", power("s", -t)),
            (0, b) if b < 0 => format!("/{}", power("B", -b)),
            (t, b) if t < 0 && b > 0 => format!("{}/{}", power("B", b), power("s", -t)),
            (t, b) if b < 0 && t > 0 => format!("{}/{}", power("s", t), power("B", -b)),
            (t, 0) => power("s", t),
            (0, b) => power("B", b),
            (t, b) => format!("{}*{}", power("s", t), power("B", b)),
        }
    }

    /// What a user calls this dimension: "a duration (s)", "a number".
    pub fn describe(self) -> String {
        let name = match self {
            Dim::NONE => return "a number".to_string(),
            Dim::TIME => "a duration",
            Dim::SIZE => "a size",
            Dim::BANDWIDTH => "a bandwidth",
            Dim::TIME_PER_SIZE => "a time per size",
            Dim::FREQUENCY => "a frequency",
            _ => "a quantity",
        };
        format!("{name} ({})", self.base_unit())
    }

    /// The name without the unit, for "expected a duration".
    pub fn name(self) -> &'static str {
        match self {
            Dim::NONE => "a number",
            Dim::TIME => "a duration",
            Dim::SIZE => "a size",
            Dim::BANDWIDTH => "a bandwidth",
            Dim::TIME_PER_SIZE => "a time per size",
            Dim::FREQUENCY => "a frequency",
            _ => "a quantity",
        }
    }

    /// `number` with each of this dimension's usual units, for the help of a number written
    /// without one (`30s`, `30min`, `30h` or `30d`): which one was meant is the writer's.
    pub fn with_units(self, number: &str) -> Option<String> {
        let units: &[&str] = match self {
            Dim::TIME => &["s", "min", "h", "d"],
            Dim::SIZE => &["MB", "GB", "TB"],
            Dim::BANDWIDTH => &["MB/s", "GB/s", "Gbps"],
            Dim::FREQUENCY => &["/s", "/min", "/h", "/d"],
            _ => return None,
        };
        let listed: Vec<String> = units.iter().map(|u| format!("`{number}{u}`")).collect();
        let (last, rest) = listed.split_last()?;
        Some(format!("{} or {last}", rest.join(", ")))
    }

    /// `value` (in base units) as a message shows a quantity of this dimension, in the unit
    /// a person would write it: the largest in which it is a whole number (`180` seconds is
    /// `3min`, `90` is `90s`, `3/h` stays `3/h`), else the largest it is at least one of, to
    /// four significant digits; a plain number as it is.
    pub fn show(self, value: f64) -> String {
        let plain = super::consts::show;
        let whole = |x: f64| x.is_finite() && (x - x.round()).abs() <= 1e-9 * x.abs().max(1.0);
        // Units largest first, each with its size in base units: a value is written
        // `value / size` followed by the unit.
        let units: &[(f64, &str)] = match self {
            Dim::NONE => return plain(value),
            Dim::TIME => &[
                (86400.0, "d"),
                (3600.0, "h"),
                (60.0, "min"),
                (1.0, "s"),
                (0.001, "ms"),
            ],
            Dim::SIZE => &[
                (1e12, "TB"),
                (1e9, "GB"),
                (1e6, "MB"),
                (1e3, "KB"),
                (1.0, "B"),
            ],
            Dim::BANDWIDTH => &[(1e9, "GB/s"), (1e6, "MB/s"), (1e3, "KB/s"), (1.0, "B/s")],
            // A rate: per second, minute, hour, day (`2/min` rather than `120/h`).
            Dim::FREQUENCY => &[
                (1.0, "/s"),
                (1.0 / 60.0, "/min"),
                (1.0 / 3600.0, "/h"),
                (1.0 / 86400.0, "/d"),
            ],
            _ => return format!("{}{}", plain(value), self.base_unit()),
        };
        if !value.is_finite() {
            return plain(value);
        }
        if value == 0.0 {
            return format!(
                "0{}",
                if self == Dim::TIME {
                    "s"
                } else {
                    units[units.len() - 1].1
                }
            );
        }
        let magnitude = value.abs();
        let fitting = || units.iter().filter(|(size, _)| magnitude >= *size);
        // Milliseconds only below a second: `100.5s` is not `100500ms`.
        let wholly = |&&(size, unit): &&(f64, &str)| {
            (unit != "ms" || magnitude < 1.0) && whole(value / size)
        };
        if let Some((size, unit)) = fitting().find(wholly) {
            return format!("{}{unit}", plain((value / size).round()));
        }
        let (size, unit) = fitting().next().unwrap_or(&units[units.len() - 1]);
        format!("{}{unit}", crate::fit::format_significant(value / size, 4))
    }

    /// An example of a value of this dimension, for help texts.
    pub fn example(self) -> &'static str {
        match self {
            Dim::NONE => "2",
            Dim::TIME => "30s",
            Dim::SIZE => "4GB",
            Dim::BANDWIDTH => "1.25GB/s",
            Dim::TIME_PER_SIZE => "0.8s/GB",
            Dim::FREQUENCY => "120/h",
            _ => "1",
        }
    }
}

impl fmt::Display for Dim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe())
    }
}

/// A unit's meaning: multiply the written number by `factor` to get base units.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct UnitValue {
    pub factor: f64,
    pub dim: Dim,
}

const TIME_UNITS: &[(&str, f64)] = &[
    ("ms", 0.001),
    ("s", 1.0),
    ("min", 60.0),
    ("h", 3600.0),
    ("d", 86400.0),
    ("w", 604800.0),
];

const SIZE_UNITS: &[(&str, f64)] = &[
    ("B", 1.0),
    ("KB", 1e3),
    ("MB", 1e6),
    ("GB", 1e9),
    ("TB", 1e12),
    ("PB", 1e15),
    ("KiB", 1024.0),
    ("MiB", 1048576.0),
    ("GiB", 1073741824.0),
    ("TiB", 1099511627776.0),
];

const BIT_RATE_UNITS: &[(&str, f64)] = &[
    ("bps", 1.0 / 8.0),
    ("Kbps", 1e3 / 8.0),
    ("Mbps", 1e6 / 8.0),
    ("Gbps", 1e9 / 8.0),
    ("Tbps", 1e12 / 8.0),
];

/// Why a unit was not understood, with what to suggest.
#[derive(Clone, Debug, PartialEq)]
pub struct UnitError {
    /// The part of the unit that is unknown (`m` in `GB/m`).
    pub unknown: String,
    pub help: String,
    /// The whole unit as the language writes it, where the unknown part is a time unit
    /// spelled out (`/hour` is `/h`).
    pub corrected: Option<String>,
}

/// Every unit a user can write alone, for "did you mean".
pub fn all_simple_units() -> impl Iterator<Item = &'static str> {
    TIME_UNITS
        .iter()
        .chain(SIZE_UNITS)
        .chain(BIT_RATE_UNITS)
        .map(|(name, _)| *name)
        .chain(["%"])
}

fn simple(unit: &str) -> Option<UnitValue> {
    if unit == "%" {
        return Some(UnitValue {
            factor: 0.01,
            dim: Dim::NONE,
        });
    }
    let find = |table: &[(&str, f64)], dim: Dim| {
        table
            .iter()
            .find(|(name, _)| *name == unit)
            .map(|(_, factor)| UnitValue {
                factor: *factor,
                dim,
            })
    };
    find(TIME_UNITS, Dim::TIME)
        .or_else(|| find(SIZE_UNITS, Dim::SIZE))
        .or_else(|| find(BIT_RATE_UNITS, Dim::BANDWIDTH))
}

fn unknown(part: &str) -> UnitError {
    let help = if part == "m" {
        "minutes are written `min` (`m` is not a unit, to avoid confusion with metres and months)"
            .to_string()
    } else if let Some(help) = spelled_out(part) {
        help.to_string()
    } else if let Some(prefix) = bits_prefix(part) {
        // `Gb/s` is how network links are usually quoted; `GB`, the nearest unit, is eight
        // times as much, so "did you mean" would suggest a silent mistake.
        let word = match prefix {
            "K" => "kilobits",
            "M" => "megabits",
            "G" => "gigabits",
            "T" => "terabits",
            _ => "bits",
        };
        format!(
            "`{part}` reads as {word}: sizes are written in bytes (`{prefix}B`, eight bits each), and rates in bits as `{prefix}bps`: `10{part}/s` is `10{prefix}bps`, or `1.25{prefix}B/s`"
        )
    } else {
        match crate::diagnostic::suggest(part, all_simple_units()) {
            Some(s) => format!("did you mean `{s}`?"),
            None => format!(
                "units are time ({}), size ({}), bits per second ({}) and `%`",
                TIME_UNITS.iter().map(|u| u.0).collect::<Vec<_>>().join(" "),
                SIZE_UNITS.iter().map(|u| u.0).collect::<Vec<_>>().join(" "),
                BIT_RATE_UNITS
                    .iter()
                    .map(|u| u.0)
                    .collect::<Vec<_>>()
                    .join(" "),
            ),
        }
    };
    UnitError {
        unknown: part.to_string(),
        help,
        corrected: None,
    }
}

/// The unit a time unit written as a word stands for (`hours` is `h`).
pub fn spelled_out_time(word: &str) -> Option<&'static str> {
    Some(match word {
        "sec" | "secs" | "second" | "seconds" => "s",
        "mins" | "minute" | "minutes" => "min",
        "hr" | "hrs" | "hour" | "hours" => "h",
        "day" | "days" => "d",
        "wk" | "week" | "weeks" => "w",
        _ => return None,
    })
}

/// What a unit of time is called, in the plural: "days" for `d`, whether the unit was
/// spelled `day`, `days` or `d`.
pub fn time_unit_words(unit: &str) -> &'static str {
    match unit {
        "s" => "seconds",
        "min" => "minutes",
        "h" => "hours",
        "d" => "days",
        _ => "weeks",
    }
}

/// Help for a unit written as a word or as another tool writes it (`sec`, `hours`, `y`).
fn spelled_out(part: &str) -> Option<String> {
    if let Some(unit) = spelled_out_time(part) {
        let words = time_unit_words(unit);
        return Some(format!("{words} are written `{unit}`"));
    }
    left_out_unit(part).map(str::to_string)
}

/// Help for years and months (`y`, `months`), which the language leaves out on purpose.
pub fn left_out_unit(part: &str) -> Option<&'static str> {
    Some(match part {
        "y" | "yr" | "yrs" | "year" | "years" => {
            "there is no year unit (years differ in length): write days, such as `365d`"
        }
        "mo" | "mon" | "month" | "months" => {
            "there is no month unit (months differ in length): write days, such as `30d`"
        }
        _ => return None,
    })
}

/// The prefix of a size written in bits (`Gb`, `Mbit`), which the language does not have:
/// `Some("G")`, `Some("")` for `b`.
fn bits_prefix(part: &str) -> Option<&str> {
    let prefix = part
        .strip_suffix("bit")
        .or_else(|| part.strip_suffix("bits"))
        .or_else(|| part.strip_suffix('b'))?;
    ["", "K", "M", "G", "T"]
        .into_iter()
        .find(|p| prefix == *p || (*p == "K" && prefix == "k"))
}

/// The meaning of a unit as written after a number: `s`, `GB/s`, `s/GB`, `/h`, `%/d`, `Gbps`.
pub fn parse_unit(unit: &str) -> Result<UnitValue, UnitError> {
    parse_unit_as_written(unit).map_err(|mut error| {
        // One part wrong, and spelled out (or `m`, which the help says is `min`): the unit
        // with that part as the language has it, if that is a unit.
        let time = match error.unknown.as_str() {
            "m" => Some("min"),
            part => spelled_out_time(part),
        };
        let fixed = time.map(|time| match unit.split_once('/') {
            None => time.to_string(),
            Some((top, bottom)) if top == error.unknown => format!("{time}/{bottom}"),
            Some((top, _)) => format!("{top}/{time}"),
        });
        error.corrected = fixed.filter(|fixed| parse_unit_as_written(fixed).is_ok());
        error
    })
}

fn parse_unit_as_written(unit: &str) -> Result<UnitValue, UnitError> {
    match unit.split_once('/') {
        None => simple(unit).ok_or_else(|| unknown(unit)),
        Some((numerator, denominator)) => {
            let top = if numerator.is_empty() {
                Ok(UnitValue {
                    factor: 1.0,
                    dim: Dim::NONE,
                })
            } else {
                simple(numerator).ok_or_else(|| unknown(numerator))
            };
            let bottom = simple(denominator)
                .filter(|u| u.dim == Dim::TIME || u.dim == Dim::SIZE)
                .ok_or_else(|| unknown(denominator));
            let (top, bottom) = (top?, bottom?);
            Ok(UnitValue {
                factor: top.factor / bottom.factor,
                dim: top.dim.per(bottom.dim),
            })
        }
    }
}

/// A number or quantity written on its own, as in a sweep's values or a selection on the
/// command line: `4`, `-2`, `1e3`, `30min`, `1.5GB/s`, `1Gbps`, `5%`.
#[derive(Clone, Debug, PartialEq)]
pub struct WrittenQuantity {
    /// The number as written, before its unit (`30` of `30min`).
    pub number: f64,
    /// The unit as written, empty for a plain number.
    pub unit: String,
    /// What one `unit` is in base units (1 for a plain number).
    pub factor: f64,
}

impl WrittenQuantity {
    /// The value in base units, as the language reads it.
    pub fn base(&self) -> f64 {
        self.number * self.factor
    }
}

/// Reads `text` as the language reads a number or a quantity; `None` for anything else.
pub fn written_quantity(text: &str) -> Option<WrittenQuantity> {
    use crate::syntax::ast::ExprKind;
    let (sign, text) = match text.trim().strip_prefix('-') {
        Some(rest) => (-1.0, rest),
        None => (1.0, text.trim()),
    };
    let expr = crate::syntax::parse_expr(crate::source::FileId(0), text).ok()?;
    match expr.kind {
        ExprKind::Number(x) => Some(WrittenQuantity {
            number: sign * x,
            unit: String::new(),
            factor: 1.0,
        }),
        ExprKind::Quantity { value, unit, .. } => Some(WrittenQuantity {
            number: sign * value,
            factor: parse_unit(&unit).ok()?.factor,
            unit,
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A size in bits is explained with its conversion, not answered with "did you mean" the
    /// byte unit eight times as large; `Gbps` and `GB/s` are read as they are.
    #[test]
    fn bits_are_explained_not_corrected_to_bytes() {
        for (unit, word, bytes, rate) in [
            ("Gb/s", "gigabits", "`GB`", "`Gbps`"),
            ("Mbit/s", "megabits", "`MB`", "`Mbps`"),
            ("kb", "kilobits", "`KB`", "`Kbps`"),
            ("b/s", "bits", "`B`", "`bps`"),
        ] {
            let error = parse_unit(unit).unwrap_err();
            assert!(error.help.contains(word), "{unit}: {}", error.help);
            assert!(error.help.contains(bytes), "{unit}: {}", error.help);
            assert!(error.help.contains(rate), "{unit}: {}", error.help);
        }
        assert_eq!(parse_unit("Gbps").unwrap().factor, 1e9 / 8.0);
        assert_eq!(parse_unit("GB/s").unwrap().dim, Dim::BANDWIDTH);
        assert_eq!(bits_prefix("GiB"), None);
    }

    /// Units spelt as words, or as other tools write them, get their pipesim spelling; years
    /// and months, which the language leaves out, are written in days.
    #[test]
    fn units_spelt_out_get_their_short_form() {
        let help = |unit: &str| parse_unit(unit).unwrap_err().help;
        assert_eq!(help("hours"), "hours are written `h`");
        assert_eq!(help("/hour"), "hours are written `h`");
        assert_eq!(help("secs"), "seconds are written `s`");
        assert!(help("y").contains("`365d`"), "{}", help("y"));
        assert!(help("months").contains("`30d`"), "{}", help("months"));
        assert_eq!(bits_prefix("kbps"), None);
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-12 * b.abs().max(1.0)
    }

    #[test]
    fn written_quantities_are_read_as_the_language_reads_them() {
        let read =
            |text: &str| written_quantity(text).map(|q| (q.number, q.unit.clone(), q.base()));
        assert_eq!(read("4"), Some((4.0, String::new(), 4.0)));
        assert_eq!(read(" -2 "), Some((-2.0, String::new(), -2.0)));
        assert_eq!(read("1e3"), Some((1000.0, String::new(), 1000.0)));
        assert_eq!(read("30min"), Some((30.0, "min".into(), 1800.0)));
        assert_eq!(read("1Gbps"), Some((1.0, "Gbps".into(), 125e6)));
        let (number, unit, base) = read("1.5GB/s").unwrap();
        assert_eq!((number, unit.as_str()), (1.5, "GB/s"));
        assert!(close(base, 1.5e9));
        assert!(close(read("5%").unwrap().2, 0.05));
        assert_eq!(read("fifo"), None);
        assert_eq!(read("3parsecs"), None);
        assert_eq!(read("1 + 2"), None);
    }

    #[test]
    fn quantities_are_shown_in_the_unit_a_person_writes() {
        assert_eq!(Dim::TIME.show(180.0), "3min");
        assert_eq!(Dim::TIME.show(-60.0), "-1min");
        assert_eq!(Dim::TIME.show(-90.0), "-90s");
        assert_eq!(Dim::TIME.show(30.0), "30s");
        assert_eq!(Dim::TIME.show(0.0), "0s");
        assert_eq!(Dim::TIME.show(7200.0), "2h");
        assert_eq!(Dim::TIME.show(100.5), "1.675min");
        assert_eq!(Dim::TIME.show(0.25), "250ms");
        assert_eq!(Dim::SIZE.show(4e9), "4GB");
        assert_eq!(Dim::FREQUENCY.show(3.0 / 3600.0), "3/h");
        assert_eq!(Dim::FREQUENCY.show(120.0 / 3600.0), "2/min");
        assert_eq!(Dim::NONE.show(0.5), "0.5");
    }

    #[test]
    fn simple_units_convert_to_base_units() {
        assert_eq!(parse_unit("min").unwrap().factor, 60.0);
        assert_eq!(parse_unit("d").unwrap().dim, Dim::TIME);
        assert_eq!(parse_unit("GiB").unwrap().factor, 1073741824.0);
        assert_eq!(parse_unit("KB").unwrap().factor, 1000.0);
        assert_eq!(
            parse_unit("%").unwrap(),
            UnitValue {
                factor: 0.01,
                dim: Dim::NONE
            }
        );
    }

    #[test]
    fn compound_units_divide_factors_and_dimensions() {
        let bandwidth = parse_unit("GB/s").unwrap();
        assert_eq!(bandwidth.dim, Dim::BANDWIDTH);
        assert!(close(bandwidth.factor, 1e9));
        let per_size = parse_unit("s/GB").unwrap();
        assert_eq!(per_size.dim, Dim::TIME_PER_SIZE);
        assert!(close(per_size.factor, 1e-9));
        let frequency = parse_unit("/h").unwrap();
        assert_eq!(frequency.dim, Dim::FREQUENCY);
        assert!(close(frequency.factor, 1.0 / 3600.0));
        let drift = parse_unit("%/d").unwrap();
        assert_eq!(drift.dim, Dim::FREQUENCY);
        assert!(close(drift.factor, 0.01 / 86400.0));
    }

    #[test]
    fn bits_per_second_are_eighths_of_bytes() {
        let gbps = parse_unit("Gbps").unwrap();
        assert_eq!(gbps.dim, Dim::BANDWIDTH);
        assert!(close(gbps.factor, 1.25e8));
    }

    #[test]
    fn m_is_rejected_with_help_about_min() {
        let error = parse_unit("m").unwrap_err();
        assert_eq!(error.unknown, "m");
        assert!(error.help.contains("`min`"), "{}", error.help);
        assert_eq!(error.corrected.as_deref(), Some("min"));
        let error = parse_unit("GB/m").unwrap_err();
        assert_eq!(error.unknown, "m");
        assert_eq!(error.corrected.as_deref(), Some("GB/min"));
    }

    #[test]
    fn unknown_units_suggest_close_ones() {
        assert_eq!(parse_unit("GBB").unwrap_err().help, "did you mean `GB`?");
        assert!(parse_unit("s/%").is_err());
    }

    #[test]
    fn dimension_arithmetic() {
        // size * time-per-size = duration, as in `asset.size * 0.8s/GB`.
        assert_eq!(Dim::SIZE.times(Dim::TIME_PER_SIZE), Dim::TIME);
        assert_eq!(Dim::SIZE.per(Dim::BANDWIDTH), Dim::TIME);
        assert_eq!(Dim::TIME.inverse(), Dim::FREQUENCY);
        assert_eq!(Dim::TIME.times(Dim::TIME).sqrt(), Some(Dim::TIME));
        assert_eq!(Dim::TIME.sqrt(), None);
        assert_eq!(Dim::SIZE.describe(), "a size (B)");
        assert_eq!(Dim::TIME.times(Dim::TIME).describe(), "a quantity (s^2)");
        assert_eq!(Dim::BANDWIDTH.describe(), "a bandwidth (B/s)");
        assert_eq!(Dim::FREQUENCY.describe(), "a frequency (/s)");
    }
}
