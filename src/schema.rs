//! OpenAPI schemas for values the API keeps as strings but accepts only in one shape.

use std::borrow::Cow;

use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, OneOfBuilder, Schema, Type};
use utoipa::openapi::RefOr;
use utoipa::{PartialSchema, ToSchema};

/// An IANA time zone name the server knows (`Asia/Shanghai`), as a named enum schema
/// so clients can offer the list.
pub struct TimeZone;

impl PartialSchema for TimeZone {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .description(Some("An IANA time zone name, e.g. `Asia/Shanghai`."))
            .enum_values(Some(chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name())))
            .examples(["Asia/Shanghai"])
            .into()
    }
}

impl ToSchema for TimeZone {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("TimeZone")
    }
}

/// A calendar date the server takes: years 1900–2200 (days to 28, so every match is a
/// real date).
pub const DATE: &str = "^(19[0-9]{2}|2[01][0-9]{2}|2200)-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])$";

/// An RFC 3339 time with its offset, within the years the server keeps (1901–2199, so
/// no offset can carry it past 1900–2200 in UTC).
pub const RFC3339: &str = "^(190[1-9]|19[1-9][0-9]|2[01][0-9]{2})-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\\.[0-9]{1,9})?(Z|[+-](0[0-9]|1[0-4]):[0-5][0-9])$";

/// A date filter: a calendar date (in each event's zone) or an RFC 3339 time, in the
/// years 1900–2200. Patterns rather than `format`s, so that every matching value is one
/// the server takes.
pub fn date_or_time() -> Schema {
    let patterned = |pattern: &str, description: &str, example: &str| {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some(pattern))
            .description(Some(description))
            .examples([example])
    };
    OneOfBuilder::new()
        .item(patterned(DATE, "A date (in each event's own zone)", "2024-03-04"))
        .item(patterned(
            RFC3339,
            "An RFC 3339 time with its offset",
            "2024-03-04T14:00:00+08:00",
        ))
        .build()
        .into()
}

/// A reminder offset in its canonical ISO 8601 form: weeks (to 52) or days (to 366),
/// then hours (to 23) and minutes (to 59), never zero: `P7D`, `P1W`, `PT2H`, `P1DT30M`.
/// The server also reads lower case, `P1W2D` and `PT48H`, and answers the canonical form.
pub const DURATION: &str = "^P(((([1-9]|[1-4][0-9]|5[0-2])W)|(([1-9]|[1-9][0-9]|[12][0-9]{2}|3[0-5][0-9]|36[0-6])D))(T((([1-9]|1[0-9]|2[0-3])H)(([1-9]|[1-5][0-9])M)?|([1-9]|[1-5][0-9])M))?|T((([1-9]|1[0-9]|2[0-3])H)(([1-9]|[1-5][0-9])M)?|([1-9]|[1-5][0-9])M))$";

/// One reminder offset ([`DURATION`]).
pub fn duration() -> Schema {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(DURATION))
        .examples(["P1D"])
        .into()
}

/// A list of reminder offsets: at most [`crate::reminders::rules::MAX_RULES`].
pub fn durations() -> Schema {
    ArrayBuilder::new()
        .items(RefOr::T(duration()))
        .max_items(Some(crate::reminders::rules::MAX_RULES))
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Forms the duration pattern offers, at its edges: the server must take each.
    #[test]
    fn durations_the_pattern_offers_are_accepted() {
        for text in [
            "P1D",
            "P366D",
            "P52W",
            "PT23H",
            "PT59M",
            "P1DT23H59M",
            "P366DT23H59M",
            "P1WT1M",
        ] {
            assert!(crate::reminders::rules::parse(text).is_ok(), "{text}");
        }
        assert!(DURATION.starts_with("^P") && DURATION.ends_with('$'));
    }
}
