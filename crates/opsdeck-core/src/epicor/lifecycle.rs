//! SQL Server's support lifecycle (Microsoft's Fixed Lifecycle Policy: five years of mainstream
//! support, then five of extended support with security updates only). The dates are
//! Microsoft's published ones; see the admin guide for where they come from.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use time::macros::date;
use time::Date;
use ts_rs::TS;

use crate::status::Status;

#[derive(Clone, Debug, Serialize, Deserialize, TS, PartialEq)]
pub struct Lifecycle {
    pub product: String,
    /// `YYYY-MM-DD`.
    pub mainstream_end: String,
    pub extended_end: String,
}

/// (major version, product, mainstream end, extended end)
const TABLE: &[(u32, &str, Date, Date)] = &[
    (
        13,
        "SQL Server 2016",
        date!(2021 - 07 - 13),
        date!(2026 - 07 - 14),
    ),
    (
        14,
        "SQL Server 2017",
        date!(2022 - 10 - 11),
        date!(2027 - 10 - 12),
    ),
    // Microsoft moved this date from 2025-01-07 to 2025-02-28.
    (
        15,
        "SQL Server 2019",
        date!(2025 - 02 - 28),
        date!(2030 - 01 - 08),
    ),
    (
        16,
        "SQL Server 2022",
        date!(2028 - 01 - 11),
        date!(2033 - 01 - 11),
    ),
];

/// "SQL Server 2019" for 15; "SQL Server (version 17)" for a version this table does not know.
pub fn product_name(major: u32) -> String {
    TABLE
        .iter()
        .find(|r| r.0 == major)
        .map(|r| r.1.to_string())
        .unwrap_or_else(|| match major {
            11 => "SQL Server 2012".into(),
            12 => "SQL Server 2014".into(),
            m => format!("SQL Server (version {m})"),
        })
}

/// The compatibility level a server of this version gives new databases.
pub fn default_compatibility(major: u32) -> Option<u32> {
    (9..=17).contains(&major).then_some(major * 10)
}

pub fn of_major(major: u32) -> Option<Lifecycle> {
    TABLE.iter().find(|r| r.0 == major).map(|r| Lifecycle {
        product: r.1.to_string(),
        mainstream_end: r.2.to_string(),
        extended_end: r.3.to_string(),
    })
}

/// Versions older than the table are long out of support.
pub fn is_before_table(major: u32) -> bool {
    major < TABLE[0].0
}

/// The status the support dates give on `today`, with a note: out of support is degraded;
/// extended support ending within `warning` is a warning, as is mainstream support having
/// ended (security fixes only).
pub fn judge(l: &Lifecycle, today: Date, warning: Duration) -> (Status, Option<String>) {
    let parse =
        |s: &str| Date::parse(s, time::macros::format_description!("[year]-[month]-[day]")).ok();
    let (Some(mainstream), Some(extended)) = (parse(&l.mainstream_end), parse(&l.extended_end))
    else {
        return (Status::Up, None);
    };
    let product = &l.product;
    if today > extended {
        return (
            Status::Degraded,
            Some(format!(
                "{product} left extended support on {extended}: it gets no security updates (only with paid Extended Security Updates)"
            )),
        );
    }
    let days_left = (extended - today).whole_days();
    let warn_days = (warning.as_secs() / 86_400) as i64;
    if days_left <= warn_days {
        return (
            Status::Up,
            Some(format!(
                "{product} leaves extended support on {extended}, in {days_left} days: plan the upgrade"
            )),
        );
    }
    if today > mainstream {
        return (
            Status::Up,
            Some(format!(
                "{product} is in extended support (security updates only) until {extended}"
            )),
        );
    }
    (Status::Up, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    const YEAR: Duration = Duration::from_secs(365 * 86_400);

    #[test]
    fn versions_are_named_and_dated() {
        assert_eq!(product_name(14), "SQL Server 2017");
        assert_eq!(product_name(15), "SQL Server 2019");
        assert_eq!(product_name(18), "SQL Server (version 18)");
        assert_eq!(default_compatibility(14), Some(140));
        assert_eq!(default_compatibility(15), Some(150));
        let l = of_major(14).expect("2017 is known");
        assert_eq!(l.extended_end, "2027-10-12");
        assert!(of_major(10).is_none() && is_before_table(10));
    }

    #[test]
    fn warnings_come_as_the_end_approaches_and_degrade_after_it() {
        let l2017 = of_major(14).expect("known");
        let (s, note) = judge(&l2017, date!(2021 - 01 - 01), YEAR);
        assert_eq!((s, note), (Status::Up, None));
        let (s, note) = judge(&l2017, date!(2024 - 01 - 01), YEAR);
        assert_eq!(s, Status::Up);
        assert!(note
            .expect("a note")
            .contains("extended support (security updates only) until 2027-10-12"));
        let (s, note) = judge(&l2017, date!(2026 - 12 - 05), YEAR);
        assert_eq!(s, Status::Up);
        assert!(note.expect("a note").contains("in 311 days"));
        let (s, note) = judge(&l2017, date!(2027 - 10 - 13), YEAR);
        assert_eq!(s, Status::Degraded);
        assert!(note
            .expect("a note")
            .contains("left extended support on 2027-10-12"));
        let l2019 = of_major(15).expect("known");
        let (s, note) = judge(&l2019, date!(2026 - 12 - 05), YEAR);
        assert_eq!(s, Status::Up);
        assert!(note.expect("a note").contains("until 2030-01-08"));
    }
}
