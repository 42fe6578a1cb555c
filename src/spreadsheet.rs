//! What every CSV export and import shares: the BOM spreadsheet programs need to read
//! UTF-8 (and so Chinese) right, and keeping cells from running as formulas.

use std::borrow::Cow;

/// The byte-order mark that makes spreadsheet programs read UTF-8 right.
pub const BOM: &str = "\u{feff}";

/// What spreadsheet programs read as the start of a formula (OWASP's list).
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// A cell that a spreadsheet would run as a formula, made text with a leading `'`:
/// registrants choose their own names, and an export must not run what they typed.
pub fn neutralise(cell: &str) -> Cow<'_, str> {
    if cell.starts_with(FORMULA_STARTS) {
        format!("'{cell}").into()
    } else {
        cell.into()
    }
}

/// Undoes [`neutralise`] on import, so an exported sheet imports as it was typed
/// (`'+86 21 1234` comes back as `+86 21 1234`); any other value stays as typed.
pub fn restore(cell: &str) -> String {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(FORMULA_STARTS) => rest.to_string(),
        _ => cell.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralised_and_other_cells_kept() {
        for cell in [
            "=1+1",
            "+1",
            "-1",
            "-2+3",
            "@SUM(A1)",
            "\tx",
            "\rx",
            "=HYPERLINK(\"x\")",
        ] {
            assert_eq!(neutralise(cell), format!("'{cell}"));
        }
        for cell in ["", "王伟", "高端聚酰胺", "a=b", "1-2", "'=1", "1000000000.50"] {
            assert_eq!(neutralise(cell), cell);
        }
    }

    #[test]
    fn an_exported_cell_imports_as_it_was_typed() {
        for cell in ["=1+1", "+86 21 1234", "-2+3", "@SUM(A1)", "王伟", "'quoted", "'"] {
            assert_eq!(restore(&neutralise(cell)), cell);
        }
    }
}
