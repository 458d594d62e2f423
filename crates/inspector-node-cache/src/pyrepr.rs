//! Python literal syntax for values embedded in upstream's messages
//! (`['aa:bb']`, `{'mac': [...]}`, `str(datetime)`), on the shared
//! `inspector_types::python_quote`.

use chrono::{NaiveDateTime, Timelike};
use inspector_types::python_quote as string;

/// `repr()` of a Python list of strings.
pub(crate) fn list<S: AsRef<str>>(items: &[S]) -> String {
    let inner: Vec<String> = items.iter().map(|item| string(item.as_ref())).collect();
    format!("[{}]", inner.join(", "))
}

/// `repr()` of a Python dict of string lists, in the given order.
pub(crate) fn dict_of_lists(entries: &[(&str, &[String])]) -> String {
    let inner: Vec<String> = entries
        .iter()
        .map(|(key, values)| format!("{}: {}", string(key), list(values)))
        .collect();
    format!("{{{}}}", inner.join(", "))
}

/// `str()` of a Python naive datetime: `2024-05-01 10:11:12.123456`, the
/// fraction omitted when zero.
pub(crate) fn datetime(value: &NaiveDateTime) -> String {
    if value.nanosecond() / 1000 == 0 {
        value.format("%Y-%m-%d %H:%M:%S").to_string()
    } else {
        format!(
            "{}.{:06}",
            value.format("%Y-%m-%d %H:%M:%S"),
            value.nanosecond() / 1000
        )
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;

    #[test]
    fn strings_lists_and_dicts() {
        assert_eq!(string("aa:bb"), "'aa:bb'");
        assert_eq!(string("it's"), "\"it's\"");
        assert_eq!(string("a'\"b"), "'a\\'\"b'");
        assert_eq!(list(&["1.2.3.4", "::1"]), "['1.2.3.4', '::1']");
        assert_eq!(list::<&str>(&[]), "[]");
        let macs = vec!["11:22:33:44:55:66".to_owned()];
        let bmc = vec!["10.0.0.5".to_owned()];
        assert_eq!(
            dict_of_lists(&[("bmc_address", &bmc), ("mac", &macs)]),
            "{'bmc_address': ['10.0.0.5'], 'mac': ['11:22:33:44:55:66']}"
        );
    }

    #[test]
    fn datetimes_like_python_str() {
        let day = NaiveDate::from_ymd_opt(2024, 5, 1).unwrap();
        let whole = day.and_hms_opt(10, 11, 12).unwrap();
        assert_eq!(datetime(&whole), "2024-05-01 10:11:12");
        let micro = day.and_hms_micro_opt(10, 11, 12, 123_456).unwrap();
        assert_eq!(datetime(&micro), "2024-05-01 10:11:12.123456");
    }
}
