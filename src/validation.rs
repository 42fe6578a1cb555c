//! Collecting every invalid field of a request before answering 422.

use crate::error::{Error, FieldError};

/// Gathers field errors so one response can list them all.
#[derive(Debug, Default)]
pub struct Checks {
    errors: Vec<FieldError>,
}

impl Checks {
    /// Records an error for `field`.
    pub fn fail(&mut self, field: &str, message: impl Into<String>) {
        self.errors.push(FieldError::new(field, message));
    }

    /// Keeps an `Ok` value, records an `Err`.
    pub fn check<T>(&mut self, result: Result<T, FieldError>) -> Option<T> {
        result.map_err(|e| self.errors.push(e)).ok()
    }

    /// Trimmed optional text of at most `max` characters; blank becomes `None`.
    pub fn text(&mut self, field: &str, value: Option<String>, max: usize) -> Option<String> {
        let value = value?.trim().to_string();
        if value.is_empty() {
            return None;
        }
        if value.chars().count() > max {
            self.fail(field, format!("must be at most {max} characters"));
        }
        Some(value)
    }

    /// Trimmed text that must be present and not blank.
    pub fn required(&mut self, field: &str, value: Option<String>, max: usize) -> Option<String> {
        let value = self.text(field, value, max);
        if value.is_none() {
            self.fail(field, "is required");
        }
        value
    }

    /// True when nothing failed so far.
    pub fn is_ok(&self) -> bool {
        self.errors.is_empty()
    }

    /// `Ok` when nothing failed, else a 422 listing every field.
    pub fn finish(self) -> Result<(), Error> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(Error::Validation(self.errors))
        }
    }
}

/// Checks that `value` is a UUID, returning it in canonical form.
pub fn uuid(field: &str, value: &str) -> Result<String, FieldError> {
    uuid::Uuid::parse_str(value.trim())
        .map(|u| u.to_string())
        .map_err(|_| FieldError::new(field, format!("{value:?} is not a UUID")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collects_every_failure() {
        let mut c = Checks::default();
        assert_eq!(c.required("title", Some("  ".into()), 10), None);
        assert_eq!(c.text("city", Some(" 福州 ".into()), 10), Some("福州".into()));
        c.text("venue", Some("x".repeat(11)), 10);
        match c.finish() {
            Err(Error::Validation(e)) => {
                assert_eq!(
                    e.iter().map(|e| e.field.as_str()).collect::<Vec<_>>(),
                    ["title", "venue"]
                )
            }
            other => panic!("{other:?}"),
        }
    }
}
