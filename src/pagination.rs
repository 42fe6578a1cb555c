//! Cursor pagination: `?limit=` and an opaque `cursor`, answered as `{items, next_cursor}`.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{de::DeserializeOwned, Serialize};
use serde_json::Value;

use crate::error::{Error, FieldError};

/// Items per page when the client does not say.
pub const DEFAULT_LIMIT: i64 = 50;
/// The most items one page may hold.
pub const MAX_LIMIT: i64 = 200;

/// One page of a list.
#[derive(Debug, Serialize)]
pub struct Page<T> {
    /// The items on this page.
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; null on the last page.
    pub next_cursor: Option<String>,
}

/// Declares the OpenAPI schema of one list's page, e.g. `EventPage` with `items: Event[]`,
/// so generated clients get a named type per list that references its item schema
/// (utoipa would inline a generic `Page<T>`). Documentation only: handlers send [`Page`].
#[macro_export]
macro_rules! page_schema {
    ($name:ident, $item:ty) => {
        #[doc = concat!("One page of `", stringify!($item), "` items.")]
        #[derive(utoipa::ToSchema)]
        #[allow(dead_code)]
        pub struct $name {
            /// The items on this page.
            pub items: Vec<$item>,
            /// Pass as `cursor` to get the next page; null on the last page.
            pub next_cursor: Option<String>,
        }
    };
}

/// Checks `limit` against the allowed range.
pub fn limit(requested: Option<i64>) -> Result<i64, Error> {
    match requested {
        None => Ok(DEFAULT_LIMIT),
        Some(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
        Some(_) => Err(Error::Validation(vec![FieldError::new(
            "limit",
            format!("must be between 1 and {MAX_LIMIT}"),
        )])),
    }
}

/// Reads `limit` and `cursor` together: the page size and where the page starts.
pub fn window<K: DeserializeOwned>(limit_param: Option<i64>, cursor: Option<&str>) -> Result<(Option<K>, i64), Error> {
    Ok((cursor.map(decode::<K>).transpose()?, limit(limit_param)?))
}

/// Turns a position in a list into an opaque cursor.
pub fn encode<K: Serialize>(key: &K) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(key).unwrap_or_default())
}

/// Reads a cursor back; anything we did not make is a 400.
pub fn decode<K: DeserializeOwned>(cursor: &str) -> Result<K, Error> {
    URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|bytes| serde_json::from_slice::<Value>(&bytes).ok())
        .filter(ours)
        .and_then(|value| serde_json::from_value(value).ok())
        .ok_or_else(|| Error::BadRequest("the cursor is not valid; start again without one".into()))
}

/// Whether a decoded cursor could be one we made. Our keys hold ids and times in years
/// 0000–9999, so a control character (which PostgreSQL may refuse, e.g. NUL) or a signed
/// year (out of the database's range) means someone forged it.
fn ours(value: &Value) -> bool {
    match value {
        Value::String(s) => !s.chars().any(char::is_control) && !s.starts_with(['+', '-']),
        Value::Array(items) => items.iter().all(ours),
        Value::Object(members) => members.iter().all(|(k, v)| ours(&Value::String(k.clone())) && ours(v)),
        _ => true,
    }
}

/// Builds a page from `limit + 1` fetched rows: the extra row only says there is more.
pub fn page<R, T, K: Serialize>(
    mut rows: Vec<R>,
    limit: i64,
    key: impl Fn(&R) -> K,
    to_item: impl FnMut(R) -> T,
) -> Page<T> {
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let next_cursor = if more {
        rows.last().map(|r| encode(&key(r)))
    } else {
        None
    };
    Page {
        items: rows.into_iter().map(to_item).collect(),
        next_cursor,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        let c = encode(&("2024-03-04T06:00:00", "abc"));
        let back: (String, String) = decode(&c).unwrap();
        assert_eq!(back.1, "abc");
        assert!(decode::<(String, String)>("!!!").is_err());
        let forged = |k: &(&str, &str)| decode::<(String, String)>(&encode(k));
        assert!(forged(&("2024-03-04T06:00:00", "a\u{0}b")).is_err());
        assert!(forged(&("-10000-01-01T00:00:00", "abc")).is_err());
        assert!(forged(&("+10000-01-01T00:00:00", "abc")).is_err());
    }

    #[test]
    fn limits_are_bounded() {
        assert_eq!(limit(None).unwrap(), 50);
        assert!(limit(Some(0)).is_err());
        assert!(limit(Some(201)).is_err());
        assert_eq!(limit(Some(200)).unwrap(), 200);
    }

    #[test]
    fn extra_row_means_next_cursor() {
        let p = page(vec![1, 2, 3], 2, |r| *r, |r| r);
        assert_eq!(p.items, vec![1, 2]);
        assert_eq!(decode::<i32>(p.next_cursor.as_deref().unwrap()).unwrap(), 2);
        assert!(page(vec![1, 2], 2, |r| *r, |r| r).next_cursor.is_none());
    }
}
