//! Request-body deserialisers: telling an absent field from an explicit `null`, and
//! reading integers the way JSON Schema counts them.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, Deserialize, Deserializer, Unexpected, Visitor};

/// Deserialises a field that may be absent (`None`), null (`Some(None)`) or set.
pub fn nullable<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Deserialize::deserialize(d).map(Some)
}

/// A field a PATCH may leave out but not clear (a name, a start time): `null` is refused
/// (422) rather than read as "unchanged". Use with `#[serde(default)]`.
pub fn not_null<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(d).map(Some)
}

/// An optional integer field that also takes a whole-number float (`94.0`), which JSON
/// Schema (and so a generated client) counts as an integer. Use with `#[serde(default)]`.
pub fn whole<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: TryFrom<i64>,
{
    Option::<Whole<T>>::deserialize(d).map(|v| v.map(|w| w.0))
}

/// Like [`nullable`] for an integer field, taking whole-number floats as [`whole`] does.
pub fn nullable_whole<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: TryFrom<i64>,
{
    whole(d).map(Some)
}

/// An integer read from a JSON integer or a float with no fractional part.
struct Whole<T>(T);

impl<'de, T: TryFrom<i64>> Deserialize<'de> for Whole<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(WholeVisitor(PhantomData))
    }
}

struct WholeVisitor<T>(PhantomData<T>);

impl<T: TryFrom<i64>> WholeVisitor<T> {
    fn fit<E: de::Error>(&self, v: i64) -> Result<Whole<T>, E> {
        T::try_from(v)
            .map(Whole)
            .map_err(|_| E::invalid_value(Unexpected::Signed(v), self))
    }
}

impl<T: TryFrom<i64>> Visitor<'_> for WholeVisitor<T> {
    type Value = Whole<T>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "an integer in range for {}", std::any::type_name::<T>())
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        self.fit(v)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        let v = i64::try_from(v).map_err(|_| E::invalid_value(Unexpected::Unsigned(v), &self))?;
        self.fit(v)
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        // ±2^63 bounds the floats that convert exactly into an i64.
        let limit = 9_223_372_036_854_775_808.0;
        if v.fract() == 0.0 && v >= -limit && v < limit {
            self.fit(v as i64)
        } else {
            Err(E::invalid_value(Unexpected::Float(v), &self))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Default, serde::Deserialize)]
    struct Body {
        #[serde(default, deserialize_with = "whole")]
        version: Option<i32>,
        #[serde(default, deserialize_with = "nullable_whole")]
        capacity: Option<Option<i64>>,
        #[serde(default, deserialize_with = "not_null")]
        name: Option<String>,
    }

    fn read(json: &str) -> Result<Body, String> {
        serde_json::from_str(json).map_err(|e| e.to_string())
    }

    #[test]
    fn whole_floats_are_integers_and_null_still_clears() {
        let b = read(r#"{"version": 94.0, "capacity": 1e2}"#).unwrap();
        assert_eq!((b.version, b.capacity), (Some(94), Some(Some(100))));
        let b = read(r#"{"version": 3, "capacity": null}"#).unwrap();
        assert_eq!((b.version, b.capacity), (Some(3), Some(None)));
        let b = read("{}").unwrap();
        assert_eq!((b.version, b.capacity), (None, None));
        let b = read(r#"{"version": -0.0}"#).unwrap();
        assert_eq!(b.version, Some(0));
    }

    #[test]
    fn fractions_strings_and_overflow_are_refused() {
        assert!(read(r#"{"version": 94.5}"#).unwrap_err().contains("94.5"));
        assert!(read(r#"{"version": "94"}"#).is_err());
        assert!(read(r#"{"version": 3000000000}"#).is_err());
        assert!(read(r#"{"version": 3e9}"#).is_err());
        assert!(read(r#"{"capacity": 1e300}"#).is_err());
        assert!(read(r#"{"capacity": 18446744073709551615}"#).is_err());
    }

    #[test]
    fn a_field_that_cannot_be_cleared_refuses_null() {
        assert_eq!(read(r#"{"name": "x"}"#).unwrap().name.as_deref(), Some("x"));
        assert_eq!(read("{}").unwrap().name, None);
        assert!(read(r#"{"name": null}"#).is_err());
    }
}
