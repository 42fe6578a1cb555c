//! String-backed enums: stored as text, shown in snake_case, parsed with a helpful error.

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

            /// Reads a value stored by this program.
            pub fn from_stored(s: &str) -> Self {
                Self::parse("", s).unwrap_or(Self::ALL[0])
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
