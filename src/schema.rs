//! OpenAPI schemas for values the API keeps as strings but accepts only in one shape.

use std::borrow::Cow;

use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Schema, Type};
use utoipa::openapi::{KnownFormat, RefOr, SchemaFormat};
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

/// A date filter: a calendar date (in each event's own zone) or an RFC 3339 time.
pub fn date_or_time() -> Schema {
    let formatted = |format| {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(format)))
    };
    OneOfBuilder::new()
        .item(formatted(KnownFormat::Date))
        .item(formatted(KnownFormat::DateTime))
        .build()
        .into()
}
