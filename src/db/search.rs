//! Case-insensitive text search that works the same on both backends.

diesel::define_sql_function!(
    /// SQL `lower()`, for case-insensitive search.
    fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text
);

/// A LIKE pattern (with `\` as escape) matching text that contains `q` literally.
pub fn contains_pattern(q: &str) -> String {
    let mut out = String::with_capacity(q.len() + 2);
    out.push('%');
    for ch in q.chars() {
        if matches!(ch, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(ch);
    }
    out.push('%');
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn like_metacharacters_are_escaped() {
        assert_eq!(super::contains_pattern("50%_a\\b"), "%50\\%\\_a\\\\b%");
    }
}
