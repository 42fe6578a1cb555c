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

    /// Trimmed optional one-line text of at most `max` characters; blank becomes `None`.
    /// Control characters (NUL included) are refused.
    pub fn text(&mut self, field: &str, value: Option<String>, max: usize) -> Option<String> {
        self.trimmed(field, value, max, Lines::One)
    }

    /// Like [`Checks::text`], for long free text (notes, descriptions) that may hold
    /// tabs and line breaks; other control characters are refused.
    pub fn long_text(&mut self, field: &str, value: Option<String>, max: usize) -> Option<String> {
        self.trimmed(field, value, max, Lines::Many)
    }

    fn trimmed(&mut self, field: &str, value: Option<String>, max: usize, lines: Lines) -> Option<String> {
        let value = value?.trim().to_string();
        if value.is_empty() {
            return None;
        }
        if value.chars().count() > max {
            self.fail(field, format!("must be at most {max} characters"));
        }
        if let Err(e) = plain(field, &value, lines) {
            self.errors.push(e);
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

/// Whether text may span lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lines {
    /// Names, titles, search text: no control characters at all.
    One,
    /// Notes and descriptions: tab, line feed and carriage return allowed.
    Many,
}

/// Refuses control characters (NUL, escape, bell…), which no person types and PostgreSQL
/// cannot store (NUL); `Lines::Many` keeps tabs and line breaks.
pub fn plain(field: &str, value: &str, lines: Lines) -> Result<(), FieldError> {
    let allowed = |c: char| lines == Lines::Many && matches!(c, '\t' | '\n' | '\r');
    match value.chars().find(|&c| c.is_control() && !allowed(c)) {
        None => Ok(()),
        Some(c) => Err(FieldError::new(
            field,
            format!("must not contain control characters (found U+{:04X})", c as u32),
        )),
    }
}

/// True when `id` is a UUID, the only kind of id stored: lookups by anything else find
/// nothing without asking the database (which may refuse the text, e.g. a NUL).
pub fn is_uuid(id: &str) -> bool {
    uuid::Uuid::parse_str(id).is_ok()
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

    #[test]
    fn control_characters_are_refused_except_line_breaks_in_long_text() {
        let mut c = Checks::default();
        assert_eq!(c.text("name", Some("a\u{0}b".into()), 10), Some("a\u{0}b".into()));
        c.text("title", Some("a\nb".into()), 10);
        c.text("city", Some("\u{1b}[31m".into()), 10);
        c.long_text("summary", Some("bell\u{7}".into()), 10);
        assert_eq!(
            c.long_text("notes", Some(" a\n\tb\r\nc ".into()), 20),
            Some("a\n\tb\r\nc".into())
        );
        assert_eq!(
            c.text("venue", Some("福州\u{3000}会场 ".into()), 10),
            Some("福州\u{3000}会场".into())
        );
        match c.finish() {
            Err(Error::Validation(e)) => assert_eq!(
                e.iter().map(|e| e.field.as_str()).collect::<Vec<_>>(),
                ["name", "title", "city", "summary"]
            ),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn only_uuids_are_ids() {
        assert!(is_uuid("67e55044-10b1-426f-9247-bb680e5fe0c8"));
        assert!(!is_uuid("a\u{0}b"));
    }
}
