//! Building CSV lines fast, byte for byte as the `csv` crate and `Display` write them.
//!
//! Why not `csv::Writer` and `write!("{x}")`: a traced year of the benchmark scenario writes
//! about 190 MB of trace rows, and formatting them took ten times as long as simulating
//! them, most of it in the standard library's float formatting and the `csv` crate's
//! per-field machinery. Here a row is assembled in one buffer: numbers through `ryu` and
//! `itoa`, text quoted only where it must be.
//!
//! Invariant: the bytes are those of `csv::Writer` (default settings: `,` between fields,
//! `\n` after a record, a field quoted when it holds `,`, `"`, `\r` or `\n`, with its quotes
//! doubled) around `f64`'s and `u64`'s `Display` text. The tests below check both against the
//! originals, so trace files keep their exact bytes.

/// Appends `x` as `format!("{x}")` would: the shortest decimal that reads back to the same
/// value, never in exponent notation (`1e21` is written out in full, `1e-7` as
/// `0.0000001`), without a fractional part when it is a whole number (`3`, `-0`).
pub fn push_f64(line: &mut Vec<u8>, x: f64) {
    if !x.is_finite() || may_tie(x) {
        // `inf`, `-inf`, `NaN`, and values `ryu` might round differently: rare, so the
        // standard library's own (slower) formatting is fine.
        line.extend_from_slice(x.to_string().as_bytes());
        return;
    }
    let mut buffer = ryu::Buffer::new();
    let text = buffer.format_finite(x).as_bytes();
    // `ryu` writes `1.5`, `3.0`, `1e21`, `1.5e-7`: a mantissa and perhaps an exponent.
    let (mantissa, exponent) = match text.iter().position(|&b| b == b'e') {
        Some(e) => (&text[..e], parse_exponent(&text[e + 1..])),
        None => (text, 0),
    };
    let (negative, mantissa) = match mantissa.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, mantissa),
    };
    if negative {
        line.push(b'-');
    }
    if exponent == 0 {
        // Plain decimal already; `Display` drops a `.0` fraction.
        let plain = mantissa.strip_suffix(b".0").unwrap_or(mantissa);
        line.extend_from_slice(plain);
        return;
    }
    // Digits without the point, and where the point goes after shifting by the exponent.
    let point_in_mantissa = mantissa
        .iter()
        .position(|&b| b == b'.')
        .unwrap_or(mantissa.len());
    let mut digits = [0u8; 32];
    let mut count = 0;
    for &b in mantissa.iter().filter(|&&b| b != b'.') {
        digits[count] = b;
        count += 1;
    }
    let digits = &digits[..count];
    let point = point_in_mantissa as i64 + exponent;
    if point <= 0 {
        line.extend_from_slice(b"0.");
        line.extend(std::iter::repeat_n(b'0', (-point) as usize));
        line.extend_from_slice(digits);
    } else if point as usize >= digits.len() {
        line.extend_from_slice(digits);
        line.extend(std::iter::repeat_n(b'0', point as usize - digits.len()));
    } else {
        let (whole, fraction) = digits.split_at(point as usize);
        line.extend_from_slice(whole);
        line.push(b'.');
        line.extend_from_slice(fraction);
    }
}

/// Whether two shortest decimals might be equally near `x`, which `ryu` and `Display`
/// resolve differently (`-1579524769809035.25` is `...035.2` to one, `...035.3` to the
/// other). A tie needs `x`'s exact decimal expansion to be one digit longer than its
/// shortest form, so at most 18 significant digits. With `x = m * 2^e`, `m` odd: for
/// `e < 0` the expansion has as many digits as `m * 5^-e` (at least 19 once `-e >= 26`); for
/// `e >= 0`, `x` is a whole number, written exactly (no tie) while below 2^53. Engine times,
/// waits and sizes almost never have so few digits.
fn may_tie(x: f64) -> bool {
    let bits = x.to_bits();
    let biased = ((bits >> 52) & 0x7ff) as i64;
    let fraction = bits & ((1 << 52) - 1);
    let (m, e) = if biased == 0 {
        (fraction, -1074)
    } else {
        (fraction | (1 << 52), biased - 1075)
    };
    if m == 0 {
        return false;
    }
    // Make `m` odd.
    let zeros = m.trailing_zeros();
    let (m, e) = (m >> zeros, e + i64::from(zeros));
    if e >= 0 {
        x.abs() >= 9_007_199_254_740_992.0
    } else if e <= -26 {
        false
    } else {
        // Exactly `m * 5^-e` digits, the last a 5: at most 18 of them?
        u128::from(m) * 5u128.pow((-e) as u32) < 1_000_000_000_000_000_000
    }
}

/// The exponent after `ryu`'s `e`: an optional `-` and at most three digits.
fn parse_exponent(text: &[u8]) -> i64 {
    let (sign, digits) = match text.split_first() {
        Some((b'-', rest)) => (-1, rest),
        _ => (1, text),
    };
    sign * digits
        .iter()
        .fold(0i64, |value, &d| value * 10 + i64::from(d - b'0'))
}

/// Appends `n` as `format!("{n}")` would.
pub fn push_u64(line: &mut Vec<u8>, n: u64) {
    line.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
}

/// Appends `text` as one CSV field: as it is, or quoted with its quotes doubled when it holds
/// a delimiter, a quote or a line break.
pub fn push_text(line: &mut Vec<u8>, text: &str) {
    let bytes = text.as_bytes();
    if !bytes
        .iter()
        .any(|&b| matches!(b, b',' | b'"' | b'\r' | b'\n'))
    {
        line.extend_from_slice(bytes);
        return;
    }
    line.push(b'"');
    for &b in bytes {
        if b == b'"' {
            line.push(b'"');
        }
        line.push(b);
    }
    line.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    fn formatted(x: f64) -> String {
        let mut line = Vec::new();
        push_f64(&mut line, x);
        String::from_utf8(line).unwrap()
    }

    #[test]
    #[allow(clippy::disallowed_methods)] // powi only spreads test values over magnitudes
    fn floats_read_exactly_as_display_writes_them() {
        let special = [
            0.0,
            -0.0,
            1.0,
            -1.0,
            3.0,
            0.1,
            0.5,
            1.5,
            123.456,
            1e15,
            1e16,
            1e17,
            1e21,
            1e22,
            1.5e300,
            f64::MAX,
            f64::MIN,
            f64::MIN_POSITIVE,
            5e-324,
            1e-5,
            1e-6,
            1e-7,
            1.234e-7,
            0.000123,
            9_007_199_254_740_993.0,
            31_536_000.0,
            86_400.5,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
        ];
        for x in special {
            assert_eq!(formatted(x), format!("{x}"), "{x:e}");
        }
        // Every exponent and sign, from random bit patterns; and values like the engine's
        // (times in seconds, sums of them).
        let mut rng = crate::sim::rng::Stream::seed_from_u64(3);
        for _ in 0..200_000 {
            let x = f64::from_bits(rng.random());
            assert_eq!(formatted(x), format!("{x}"), "{:#x}", x.to_bits());
            let t = rng.random::<f64>() * 10f64.powi(rng.random_range(-9..12));
            assert_eq!(formatted(t), format!("{t}"), "{t:e}");
            // Few fractional bits, where two shortest decimals can tie.
            let whole = (rng.random::<u64>() >> rng.random_range(0..64)) as f64;
            let y = whole / 2f64.powi(rng.random_range(0..40));
            assert_eq!(formatted(-y), format!("{}", -y), "{y:e}");
        }
    }

    #[test]
    fn integers_and_text_read_as_the_csv_crate_writes_them() {
        let fields = ["gpu", "", "a,b", "say \"hi\"", "two\nlines", "cr\r", "?"];
        let mut expected = csv::WriterBuilder::new()
            .has_headers(false)
            .from_writer(Vec::new());
        let mut line = Vec::new();
        for (n, text) in [0u64, 7, 42, u64::MAX - 1]
            .iter()
            .zip(fields.iter().cycle())
        {
            expected.write_field(n.to_string()).unwrap();
            expected.write_field(text).unwrap();
            expected.write_record(None::<&[u8]>).unwrap();
            push_u64(&mut line, *n);
            line.push(b',');
            push_text(&mut line, text);
            line.push(b'\n');
        }
        for text in fields {
            expected.write_field("1").unwrap();
            expected.write_field(text).unwrap();
            expected.write_record(None::<&[u8]>).unwrap();
            line.extend_from_slice(b"1,");
            push_text(&mut line, text);
            line.push(b'\n');
        }
        assert_eq!(
            String::from_utf8(line).unwrap(),
            String::from_utf8(expected.into_inner().unwrap()).unwrap()
        );
    }
}
