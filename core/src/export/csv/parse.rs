//! RFC 4180 records with the line each starts on: quoted fields with commas, line breaks and
//! doubled quotes inside, CRLF or LF (or a lone CR) between records, any one-character
//! delimiter. A stray quote inside an unquoted field is kept as text (spreadsheets write
//! `12" pizza` that way); text after a closing quote marks the record bad.

/// One record as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Record {
    /// 1-based line the record starts on.
    pub line: usize,
    /// Field values, quotes removed, line breaks inside quotes as `\n`.
    pub fields: Vec<String>,
    /// Why the record cannot be used, if it cannot.
    pub error: Option<String>,
}

/// Splits `text` into records. Never fails: problems are attached to the record they occur in.
/// An unterminated quote swallows the rest of the input into one bad record, which is what a
/// spreadsheet would do too, and the message says where it began.
pub(crate) fn records(text: &str, delim: char) -> Vec<Record> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    let mut line = 1usize;
    while chars.peek().is_some() {
        let start = line;
        let mut fields = Vec::new();
        let mut error = None;
        let mut field = String::new();
        let mut quoted = false; // inside a quoted field
        let mut was_quoted = false; // this field began with a quote
        let mut after_quote = false; // a closing quote was just read
        let mut quote_line = line;
        loop {
            let Some(c) = chars.next() else {
                if quoted {
                    error = Some(format!(
                        "a quote opened on line {quote_line} is never closed"
                    ));
                }
                fields.push(std::mem::take(&mut field));
                break;
            };
            if quoted {
                match c {
                    '"' if chars.peek() == Some(&'"') => {
                        chars.next();
                        field.push('"');
                    }
                    '"' => {
                        quoted = false;
                        after_quote = true;
                    }
                    '\r' => {
                        if chars.peek() == Some(&'\n') {
                            chars.next();
                        }
                        line += 1;
                        field.push('\n');
                    }
                    '\n' => {
                        line += 1;
                        field.push('\n');
                    }
                    _ => field.push(c),
                }
                continue;
            }
            if c == delim {
                fields.push(std::mem::take(&mut field));
                was_quoted = false;
                after_quote = false;
                continue;
            }
            if c == '\r' || c == '\n' {
                if c == '\r' && chars.peek() == Some(&'\n') {
                    chars.next();
                }
                line += 1;
                fields.push(std::mem::take(&mut field));
                break;
            }
            if c == '"' && field.is_empty() && !was_quoted {
                quoted = true;
                was_quoted = true;
                quote_line = line;
                continue;
            }
            if after_quote && error.is_none() {
                error = Some(
                    "text after a closing quote (write \"\" for a quote inside a quoted field)"
                        .into(),
                );
            }
            field.push(c);
        }
        out.push(Record {
            line: start,
            fields,
            error,
        });
    }
    out
}

/// The delimiter a header line uses: the most frequent of comma, semicolon and tab outside
/// quotes (comma on a tie or when there is none). Spreadsheets paste tab-separated text, and
/// European Excel saves "CSV" with semicolons.
pub(crate) fn detect_delimiter(text: &str) -> char {
    let mut counts = [0usize; 3];
    let mut quoted = false;
    for c in text.chars() {
        match c {
            '"' => quoted = !quoted,
            '\n' | '\r' if !quoted => break,
            ',' if !quoted => counts[0] += 1,
            ';' if !quoted => counts[1] += 1,
            '\t' if !quoted => counts[2] += 1,
            _ => {}
        }
    }
    let best = (0..3).max_by_key(|&i| (counts[i], 3 - i)).unwrap_or(0);
    if counts[best] == 0 {
        ','
    } else {
        [',', ';', '\t'][best]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(text: &str) -> Vec<(usize, Vec<&'static str>)> {
        records(text, ',')
            .into_iter()
            .map(|r| {
                (
                    r.line,
                    r.fields
                        .into_iter()
                        .map(|f| &*Box::leak(f.into_boxed_str()))
                        .collect(),
                )
            })
            .collect()
    }

    #[test]
    fn export_csv_rfc4180_records() {
        assert_eq!(
            fields("a,b\r\n\"x, y\",\"say \"\"hi\"\"\"\r\n"),
            vec![(1, vec!["a", "b"]), (2, vec!["x, y", "say \"hi\""])]
        );
        assert_eq!(
            fields("a,\"two\r\nlines\"\nc,d"),
            vec![(1, vec!["a", "two\nlines"]), (3, vec!["c", "d"])]
        );
        assert_eq!(fields("a,,\n"), vec![(1, vec!["a", "", ""])]);
        assert_eq!(fields("12\" pizza,x"), vec![(1, vec!["12\" pizza", "x"])]);
        assert_eq!(fields("a\rb"), vec![(1, vec!["a"]), (2, vec!["b"])]);
        assert_eq!(fields(""), vec![]);
    }

    #[test]
    fn export_csv_record_errors() {
        let r = records("a,b\n\"open,x\ny,z\n", ',');
        assert_eq!(r.len(), 2);
        assert_eq!(
            r[1].error.as_deref(),
            Some("a quote opened on line 2 is never closed")
        );
        let r = records("\"ab\"c,d\n", ',');
        assert!(r[0]
            .error
            .as_deref()
            .unwrap()
            .starts_with("text after a closing quote"));
    }

    #[test]
    fn export_csv_detects_delimiters() {
        assert_eq!(detect_delimiter("a,b,c\n1;2;3;4;5"), ',');
        assert_eq!(detect_delimiter("a;b;c"), ';');
        assert_eq!(detect_delimiter("title\tprompt"), '\t');
        assert_eq!(detect_delimiter("\"a;b\",c"), ',');
        assert_eq!(detect_delimiter("title"), ',');
    }
}
