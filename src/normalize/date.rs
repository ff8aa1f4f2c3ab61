//! Dates of last activity: ISO `YYYY-MM-DD` and Russian `dd.mm.yyyy` (also `dd.mm.yy`, `dd/mm/yyyy`), with or
//! without a time after them (`2024-03-01 14:05`, `01.03.2024 14:05:33`, `2024-03-01T14:05:33Z`).

use chrono::NaiveDate;

/// Parses a date; the time of day, if any, is ignored. `None` when it is not a date.
pub fn parse_date(value: &str) -> Option<NaiveDate> {
    let v = value.trim();
    if v.is_empty() {
        return None;
    }
    let date_part = v.split(|c: char| c.is_whitespace() || c == 'T').next().unwrap_or(v);
    let nums: Vec<&str> = date_part.split(['-', '.', '/']).collect();
    if nums.len() != 3 || nums.iter().any(|n| n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit())) {
        return None;
    }
    let n: Vec<u32> = nums.iter().map(|s| s.parse().ok()).collect::<Option<_>>()?;
    let (y, m, d) = if nums[0].len() == 4 {
        (n[0] as i32, n[1], n[2])
    } else if nums[2].len() == 4 {
        (n[2] as i32, n[1], n[0])
    } else if nums[2].len() == 2 {
        // dd.mm.yy: 00-69 → 2000s, 70-99 → 1900s.
        let yy = n[2] as i32;
        (if yy < 70 { 2000 + yy } else { 1900 + yy }, n[1], n[0])
    } else {
        return None;
    };
    if !(1900..=2100).contains(&y) {
        return None;
    }
    NaiveDate::from_ymd_opt(y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_table() {
        let d = |y, m, dd| NaiveDate::from_ymd_opt(y, m, dd);
        let cases = [
            ("2024-03-01", d(2024, 3, 1)),
            ("2024-03-01 14:05", d(2024, 3, 1)),
            ("2024-03-01T14:05:33Z", d(2024, 3, 1)),
            ("01.03.2024", d(2024, 3, 1)),
            ("01.03.2024 14:05:33", d(2024, 3, 1)),
            ("1.3.2024", d(2024, 3, 1)),
            ("01/03/2024", d(2024, 3, 1)),
            ("01.03.24", d(2024, 3, 1)),
            ("31.02.2024", None),
            ("2024-13-01", None),
            ("вчера", None),
            ("", None),
            ("45000", None),
        ];
        for (input, want) in cases {
            assert_eq!(parse_date(input), want, "{input:?}");
        }
    }
}
