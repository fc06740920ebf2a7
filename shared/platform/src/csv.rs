//! CSV cells for open data, written by the archive's streamed exports and
//! the public site's figures: RFC 4180 quoting and, for text, protection
//! against spreadsheet formulas (issue 15, finding 13).

/// A text cell that a spreadsheet would run as a formula (it starts with
/// `=`, `+`, `-`, `@`, a tab or a carriage return) gets a leading `'`, as
/// OWASP advises against CSV injection: people open open data in Excel or
/// LibreOffice. Numbers are never text cells, so negative amounts stay as
/// they are.
pub fn neutralize_formula(text: &str) -> std::borrow::Cow<'_, str> {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        std::borrow::Cow::Owned(format!("'{text}"))
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

/// RFC 4180 quoting when needed.
pub fn csv_cell(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

/// One CSV row of text cells (each neutralised and quoted), with CRLF.
pub fn csv_row<S: AsRef<str>>(cells: &[S]) -> String {
    let mut row = cells
        .iter()
        .map(|c| csv_cell(&neutralize_formula(c.as_ref())))
        .collect::<Vec<_>>()
        .join(",");
    row.push_str("\r\n");
    row
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_row_quotes_what_needs_it_and_neutralises_formulas() {
        assert_eq!(
            csv_row(&[
                "1",
                "Datos, abiertos",
                "=HIPERVINCULO(\"x\")",
                "dice \"sí\""
            ]),
            "1,\"Datos, abiertos\",\"'=HIPERVINCULO(\"\"x\"\")\",\"dice \"\"sí\"\"\"\r\n"
        );
    }
}
