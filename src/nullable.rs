//! PATCH bodies: telling an absent field from an explicit `null`.

/// Deserialises a field that may be absent (`None`), null (`Some(None)`) or set.
pub fn nullable<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    serde::Deserialize::deserialize(d).map(Some)
}
