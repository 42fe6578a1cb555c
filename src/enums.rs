//! String-backed enums: stored as text, shown in snake_case, parsed with a helpful error.
//!
//! Stored text is checked when a row is loaded ([`crate::db::stored_enum::Known`]): a value
//! this program does not know is corrupt data, an error (500, logged), never read as
//! some other value.

/// A string enum as the database stores it.
pub trait StoredEnum: Sized {
    /// Reads stored text; unknown text is `Error::Internal` naming the enum and the value.
    fn from_stored(s: &str) -> Result<Self, crate::error::Error>;
}

/// Declares a fieldless enum with `as_str`, `parse`, `ALL` and serde/OpenAPI support.
#[macro_export]
macro_rules! string_enum {
    ($(#[$meta:meta])* $vis:vis enum $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
        #[serde(rename_all = "snake_case")]
        $vis enum $name { $($(#[$vmeta])* $variant),+ }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The text stored and shown for this value.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            /// Reads a value back, or says which values exist.
            pub fn parse(field: &str, s: &str) -> Result<Self, $crate::error::FieldError> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err($crate::error::FieldError::new(
                        field,
                        format!("{:?} is not one of: {}", s, [$($text),+].join(", ")),
                    )),
                }
            }

            /// Reads stored text; unknown text is corrupt data: `Error::Internal` naming
            /// the enum and the value.
            pub fn from_stored(s: &str) -> Result<Self, $crate::error::Error> {
                Self::parse("", s).map_err(|_| {
                    $crate::error::Error::Internal(format!(
                        "unknown {} value {:?} stored in the database",
                        stringify!($name),
                        s
                    ))
                })
            }

            /// Reads text of a loaded row, which [`crate::db::stored_enum::Known`] checked
            /// on the way in (or this program wrote with `as_str`).
            pub fn from_checked(s: &str) -> Self {
                Self::from_stored(s).unwrap_or_else(|e| {
                    // Unreachable for loaded rows; should a new query skip the check,
                    // say so loudly rather than hide it.
                    tracing::error!(error = %e, "an unchecked stored value reached the model");
                    Self::ALL[0]
                })
            }
        }

        impl $crate::enums::StoredEnum for $name {
            fn from_stored(s: &str) -> Result<Self, $crate::error::Error> {
                $name::from_stored(s)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use crate::error::Error;

    string_enum! {
        /// A test enum.
        enum Colour { Red => "red", Green => "green" }
    }

    #[test]
    fn unknown_stored_text_is_an_error_not_the_first_value() {
        assert_eq!(Colour::from_stored("green").unwrap(), Colour::Green);
        assert_eq!(Colour::from_checked(Colour::ALL[1].as_str()), Colour::Green);
        match Colour::from_stored("bogus") {
            Err(Error::Internal(m)) => assert!(m.contains("Colour") && m.contains("bogus"), "{m}"),
            other => panic!("{other:?}"),
        }
    }
}
