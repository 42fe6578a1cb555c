//! Checking string-enum columns as rows load: unknown text fails the query (a 500 that the
//! log explains) instead of being shown as some other value. Use with
//! `#[diesel(deserialize_as = Known<EventStatus>)]` on the `String` field of a queried row.

use std::marker::PhantomData;

use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql, FromSqlRow};
use diesel::sql_types::Text;

use super::MultiBackend;
use crate::enums::StoredEnum;

/// Stored text that is a known value of `E`.
#[derive(Debug, FromSqlRow)]
pub struct Known<E>(pub String, PhantomData<E>);

impl<E> From<Known<E>> for String {
    fn from(k: Known<E>) -> Self {
        k.0
    }
}

impl<E: StoredEnum> FromSql<Text, MultiBackend> for Known<E> {
    fn from_sql(value: <MultiBackend as Backend>::RawValue<'_>) -> deserialize::Result<Self> {
        let text = <String as FromSql<Text, MultiBackend>>::from_sql(value)?;
        E::from_stored(&text)?;
        Ok(Known(text, PhantomData))
    }
}
