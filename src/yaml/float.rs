//! The YAML writer's float text without core's `{:?}`: the shortest round-tripping digits come
//! from `ryu` (already linked for serde_yaml_ng's number display) and are laid out as core's
//! `Debug` lays them out. Core's `Debug` for `f64` is about 760 bytes of the npm module over
//! this (wasm/README.md, "Size"); its `Display` stays, as serde's messages use it. `tests`
//! compares the text with core's: the same, except that for a few floats with two equally
//! short digit strings that both read back exactly (65 of 200,000 random bit patterns, always
//! in the 17th digit) ryu picks the other one.

/// Puts the significant digits of a finite `f` (no leading or trailing zeros; none for zero)
/// into `digits` and returns the sign and the point's position: `f` is `0.DIGITS × 10^point`.
fn digits_of(f: f64, digits: &mut String) -> (bool, i32) {
    let mut buffer = ryu::Buffer::new();
    let text = buffer.format_finite(f);
    let (negative, text) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    // ryu writes `d.ddde-N`, `ddd.ddd`, `ddd.0` or `0.000ddd`.
    let (mantissa, exponent) = match text.split_once('e') {
        Some((mantissa, exponent)) => (mantissa, exponent.parse::<i32>().unwrap_or(0)),
        None => (text, 0),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    digits.clear();
    digits.push_str(whole);
    digits.push_str(fraction);
    let significant = digits.trim_start_matches('0');
    let point = whole.len() as i32 - (digits.len() - significant.len()) as i32 + exponent;
    let significant = significant.trim_end_matches('0').to_string();
    *digits = significant;
    (negative, point)
}

/// Writes `0.DIGITS × 10^point` without an exponent: `0.00123`, `12.5`, `1500.0`.
fn push_plain(out: &mut String, digits: &str, point: i32) {
    if point <= 0 {
        out.push_str("0.");
        for _ in 0..-point {
            out.push('0');
        }
        out.push_str(digits);
        return;
    }
    let point = point as usize;
    if point >= digits.len() {
        out.push_str(digits);
        for _ in digits.len()..point {
            out.push('0');
        }
        out.push_str(".0");
    } else {
        out.push_str(&digits[..point]);
        out.push('.');
        out.push_str(&digits[point..]);
    }
}

/// Writes `0.DIGITS × 10^point` as `D.DDDeN`: `1e16`, `1.5e-7`.
fn push_exponential(out: &mut String, digits: &str, point: i32) {
    out.push_str(&digits[..1]);
    if digits.len() > 1 {
        out.push('.');
        out.push_str(&digits[1..]);
    }
    out.push('e');
    out.push_str(&(point - 1).to_string());
}

/// `format!("{f:?}")`: the shortest digits that read back as `f`, as core's `Debug` lays them
/// out: `1.0`, `0.1`, `1e16`, `1.5e-7` (exponential below 1e-4 and from 1e16 on), `NaN`, `inf`.
pub fn debug(f: f64) -> String {
    let mut out = String::new();
    if !f.is_finite() {
        out.push_str(non_finite(f));
        return out;
    }
    let mut digits = String::new();
    let (negative, point) = digits_of(f, &mut digits);
    if negative {
        out.push('-');
    }
    if digits.is_empty() {
        out.push_str("0.0");
    } else if !(-3..=16).contains(&point) {
        // Below 1e-4 (decimal exponent point - 1 < -4) or from 1e16 on (point - 1 >= 16).
        push_exponential(&mut out, &digits, point);
    } else {
        push_plain(&mut out, &digits, point);
    }
    out
}

fn non_finite(f: f64) -> &'static str {
    if f.is_nan() {
        "NaN"
    } else if f > 0.0 {
        "inf"
    } else {
        "-inf"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Ours is core's text, or (when core and ryu picked different digit strings of the same
    /// shortest length) the same layout with another last digit that reads back as `f` too.
    fn same(ours: &str, core: &str, f: f64) {
        if ours == core {
            return;
        }
        let differing = ours
            .bytes()
            .zip(core.bytes())
            .filter(|(a, b)| a != b)
            .count();
        assert!(
            ours.len() == core.len() && differing == 1 && ours.parse::<f64>() == Ok(f),
            "{:#x}: ours {ours}, core {core}",
            f.to_bits()
        );
    }

    fn check(f: f64) -> bool {
        let ours = debug(f);
        same(&ours, &format!("{f:?}"), f);
        ours == format!("{f:?}")
    }

    #[test]
    fn lays_out_floats_as_core_does() {
        for f in [
            0.0,
            -0.0,
            1.0,
            -1.0,
            0.1,
            0.5,
            1.5,
            10.0,
            100.0,
            123.456,
            1e-4,
            1.5e-4,
            9.99e-5,
            1e-5,
            1.5e-7,
            1e15,
            9.999e15,
            1e16,
            1.5e16,
            1e21,
            1e100,
            1e-300,
            5e-324,
            f64::MAX,
            f64::MIN,
            f64::MIN_POSITIVE,
            f64::EPSILON,
            0.30000000000000004,
            1234567890.125,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            100000.0,
            0.001,
            12e3,
            1.0e-10,
        ] {
            assert!(check(f), "{f:?}");
        }
        // Every exponent and a spread of mantissas (xorshift: deterministic).
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut other_digit = 0;
        for _ in 0..200_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            if !check(f64::from_bits(state)) {
                other_digit += 1;
            }
        }
        // 65 of these 200,000 today: rare, and never a different length or layout.
        assert!(other_digit < 200, "{other_digit}");
        for exponent in -330..310 {
            for mantissa in [1.0, 1.5, 9.999_999_999_999_9, 3.0, 7.25] {
                check(mantissa * 10f64.powi(exponent));
            }
        }
    }
}
