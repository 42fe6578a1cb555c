//! A JSON body extractor whose errors are problem+json and name the offending field.

use actix_web::dev::Payload;
use actix_web::{http::header, FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;

use super::body::{self, JsonLimit};
use super::error::ApiError;
use crate::error::Error;

/// A request body parsed from JSON; malformed JSON is a 400, wrong values a 422, a body
/// over the route's [`JsonLimit`] a 413.
pub struct Json<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for Json<T> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| {
                let mime = v.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
                mime == "application/json" || mime.ends_with("+json")
            })
            .unwrap_or(false);
        let body = body::read(req, payload, JsonLimit::of(req));
        Box::pin(async move {
            if !is_json {
                return Err(ApiError::UnsupportedMediaType(
                    "send the body as JSON with Content-Type: application/json".into(),
                ));
            }
            parse(&body.await?).map(Json)
        })
    }
}

/// Parses JSON, naming the field at fault when a value has the wrong type or is unknown.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(ApiError::bad_request("the body is empty; send a JSON object"));
    }
    // Every body is a JSON object; serde would also fill a struct from an array.
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return match serde_json::from_slice::<serde::de::IgnoredAny>(bytes) {
            Ok(_) => Err(not_an_object()),
            Err(e) => Err(ApiError::bad_request(format!("malformed JSON: {e}"))),
        };
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut de).map_err(classify)?;
    de.end()
        .map_err(|e| ApiError::bad_request(format!("malformed JSON: {e}")))?;
    Ok(value)
}

/// Reads a typed body out of already-parsed JSON, with the same errors as [`parse`].
pub fn from_value<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, ApiError> {
    if !value.is_object() {
        return Err(not_an_object());
    }
    serde_path_to_error::deserialize(value).map_err(classify)
}

fn not_an_object() -> ApiError {
    Error::invalid("body", "must be a JSON object").into()
}

/// Malformed JSON is a 400; a value of the wrong type or an unknown field, a 422 naming it.
fn classify(err: serde_path_to_error::Error<serde_json::Error>) -> ApiError {
    let path = err.path().to_string();
    let inner = err.into_inner();
    match inner.classify() {
        serde_json::error::Category::Data => {
            let message = inner.to_string();
            let message = match message.rfind(" at line ") {
                Some(i) => message[..i].to_string(),
                None => message,
            };
            let field = if path == "." { "body".to_string() } else { path };
            Error::invalid(field, message).into()
        }
        _ => ApiError::bad_request(format!("malformed JSON: {inner}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nullable::nullable;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        title: Option<String>,
        #[serde(default, deserialize_with = "nullable")]
        capacity: Option<Option<i32>>,
    }

    #[test]
    fn absent_null_and_set_differ() {
        let b: Body = parse(br#"{}"#).unwrap();
        assert_eq!(b.capacity, None);
        let b: Body = parse(br#"{"capacity": null}"#).unwrap();
        assert_eq!(b.capacity, Some(None));
        let b: Body = parse(br#"{"capacity": 5}"#).unwrap();
        assert_eq!(b.capacity, Some(Some(5)));
    }

    #[test]
    fn errors_are_classified() {
        assert!(matches!(
            parse::<Body>(b"{"),
            Err(ApiError::Domain(Error::BadRequest(_)))
        ));
        assert!(matches!(
            parse::<Body>(b""),
            Err(ApiError::Domain(Error::BadRequest(_)))
        ));
        match parse::<Body>(br#"{"title": 5}"#) {
            Err(ApiError::Domain(Error::Validation(e))) => assert_eq!(e[0].field, "title"),
            other => panic!("{other:?}"),
        }
        for not_an_object in [&b"[null, null]"[..], b" 5", b"null", b"\"x\""] {
            match parse::<Body>(not_an_object) {
                Err(ApiError::Domain(Error::Validation(e))) => assert_eq!(e[0].field, "body"),
                other => panic!("{other:?}"),
            }
        }
        assert!(matches!(
            parse::<Body>(b"[nul"),
            Err(ApiError::Domain(Error::BadRequest(_)))
        ));
        assert!(from_value::<Body>(serde_json::json!([null, null])).is_err());
        match parse::<Body>(br#"{"colour": "red"}"#) {
            Err(ApiError::Domain(Error::Validation(e))) => assert!(e[0].message.contains("colour")),
            other => panic!("{other:?}"),
        }
    }
}
