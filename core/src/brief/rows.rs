//! A frame template with variable rows (CookSleep #98): `"{product} on a {colour} table"` and
//! a table whose header names the variables, pasted as CSV (RFC 4180: quoted commas, quoted
//! line breaks, doubled quotes; comma, semicolon or tab) or typed into a grid. Each row makes
//! one frame, previewed before anything is created. Values are inserted as they are and never
//! expanded again (`crate::export::csv::template`).

use std::fmt;

use crate::export::csv::parse;
use crate::export::csv::template;
use crate::export::csv::{ColumnRole, ListPreview, ListRow};

/// Most rows (frames) one table makes.
pub const MAX_ROWS: usize = 500;
/// Most columns (variables).
pub const MAX_COLUMNS: usize = 32;
/// Characters of one cell, and of one filled template (OpenAI's prompt limit).
pub const MAX_CELL_CHARS: usize = 32_000;

/// The variables and their rows.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct VariableTable {
    /// Variable names, from the header row.
    pub columns: Vec<String>,
    /// Rows of values, one per frame; each as long as `columns` (typed rows may be shorter:
    /// a missing cell is an error only where the template uses it).
    pub rows: Vec<Vec<String>>,
}

/// Why a table or a template cannot make frames.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RowsError {
    /// No header row.
    Empty,
    /// A header problem: an empty or repeated name, too many columns, a bad quote.
    Header(String),
    /// A data record that cannot be read (1-based line, why).
    Record(usize, String),
    /// More values in a row than columns (1-based row, values, columns).
    TooManyValues(usize, usize, usize),
    /// Too many rows.
    TooManyRows(usize),
    /// The template names a variable no column has (name, the columns there are).
    UnknownPlaceholder(String, Vec<String>),
    /// A row has no value for a variable the template uses (1-based row, name).
    MissingValue(usize, String),
    /// A filled template is longer than a prompt may be (1-based row, characters).
    TooLong(usize, usize),
}

impl fmt::Display for RowsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RowsError::Empty => write!(f, "The table is empty: its first row names the variables."),
            RowsError::Header(why) => write!(f, "Header row: {why}."),
            RowsError::Record(line, why) => write!(f, "Line {line}: {why}."),
            RowsError::TooManyValues(row, got, cols) => write!(
                f,
                "Row {row} has {got} values but there are only {cols} columns (quote a value \
                 that contains the separator)."
            ),
            RowsError::TooManyRows(n) => {
                write!(f, "The table has {n} rows; at most {MAX_ROWS} frames are made at once.")
            }
            RowsError::UnknownPlaceholder(name, columns) => write!(
                f,
                "The template uses {{{name}}}, but no column is called {name} (columns: {}).",
                if columns.is_empty() {
                    "none".to_string()
                } else {
                    columns.join(", ")
                }
            ),
            RowsError::MissingValue(row, name) => write!(f, "Row {row} has no value for {{{name}}}."),
            RowsError::TooLong(row, chars) => write!(
                f,
                "Row {row} makes a prompt of {chars} characters; at most {MAX_CELL_CHARS} can be sent."
            ),
        }
    }
}

impl std::error::Error for RowsError {}

/// One frame of the preview.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowFrame {
    /// 1-based row of the table.
    pub row: usize,
    /// The template filled with the row's values.
    pub prompt: String,
}

impl VariableTable {
    /// Reads pasted CSV: the header row names the variables, every other non-blank row is a
    /// frame. Cells keep their text (quoted line breaks as `\n`); names are trimmed.
    pub fn from_csv(text: &str) -> Result<Self, RowsError> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let delim = parse::detect_delimiter(text);
        let mut records = parse::records(text, delim)
            .into_iter()
            .filter(|r| r.error.is_some() || r.fields.iter().any(|f| !f.is_empty()));
        let header = records.next().ok_or(RowsError::Empty)?;
        if let Some(why) = header.error {
            return Err(RowsError::Header(why));
        }
        let columns: Vec<String> = header.fields.iter().map(|f| f.trim().to_string()).collect();
        if columns.len() > MAX_COLUMNS {
            return Err(RowsError::Header(format!(
                "{} columns; at most {MAX_COLUMNS} variables",
                columns.len()
            )));
        }
        for (i, name) in columns.iter().enumerate() {
            if name.is_empty() {
                return Err(RowsError::Header(format!("column {} has no name", i + 1)));
            }
            if columns[..i].contains(name) {
                return Err(RowsError::Header(format!("two columns are called {name}")));
            }
        }
        let mut rows = Vec::new();
        for record in records {
            if let Some(why) = record.error {
                return Err(RowsError::Record(record.line, why));
            }
            if record.fields.len() > columns.len() {
                return Err(RowsError::TooManyValues(
                    rows.len() + 1,
                    record.fields.len(),
                    columns.len(),
                ));
            }
            rows.push(record.fields);
            if rows.len() > MAX_ROWS {
                return Err(RowsError::TooManyRows(rows.len()));
            }
        }
        Ok(Self { columns, rows })
    }

    /// The table as CSV (comma separated, CRLF between records, a field quoted when it holds a
    /// separator, a quote, a line break or surrounding space), readable by [`Self::from_csv`]
    /// and by spreadsheets.
    pub fn to_csv(&self) -> String {
        let field = |f: &str| {
            let quote =
                f.is_empty() || f.trim() != f || f.contains([',', ';', '\t', '"', '\n', '\r']);
            if quote {
                format!("\"{}\"", f.replace('"', "\"\""))
            } else {
                f.to_string()
            }
        };
        let line = |cells: &[String]| cells.iter().map(|c| field(c)).collect::<Vec<_>>().join(",");
        let mut out = line(&self.columns);
        for row in &self.rows {
            out.push_str("\r\n");
            out.push_str(&line(row));
        }
        out
    }

    /// One frame per row: `template` filled with the row's values. Every placeholder must name
    /// a column, and every row must have a value for each placeholder used.
    pub fn preview(&self, template: &str) -> Result<Vec<RowFrame>, RowsError> {
        if self.rows.len() > MAX_ROWS {
            return Err(RowsError::TooManyRows(self.rows.len()));
        }
        for name in template::variables(template) {
            if !self.columns.contains(&name) {
                return Err(RowsError::UnknownPlaceholder(name, self.columns.clone()));
            }
        }
        self.rows
            .iter()
            .enumerate()
            .map(|(i, values)| {
                let lookup = |name: &str| {
                    let col = self.columns.iter().position(|c| c == name)?;
                    values.get(col).map(String::as_str)
                };
                let prompt = template::expand(template, lookup)
                    .map_err(|name| RowsError::MissingValue(i + 1, name))?;
                let chars = prompt.chars().count();
                if chars > MAX_CELL_CHARS {
                    return Err(RowsError::TooLong(i + 1, chars));
                }
                Ok(RowFrame { row: i + 1, prompt })
            })
            .collect()
    }
}

/// The frames of a preview as a list import (`crate::export::csv::ListPreview`), the one
/// step that adds frames from a list: each frame's prompt is its filled template, its title
/// left empty ("Frame N"), its row's values kept as its variables.
pub fn list_preview(table: &VariableTable, frames: &[RowFrame]) -> ListPreview {
    let rows = frames
        .iter()
        .map(|frame| {
            let values = table.rows.get(frame.row - 1);
            let variables = table
                .columns
                .iter()
                .enumerate()
                .filter_map(|(i, c)| Some((c.clone(), values?.get(i)?.clone())))
                .collect();
            ListRow {
                line: frame.row,
                prompt: frame.prompt.clone(),
                variables,
                ..ListRow::default()
            }
        })
        .collect();
    ListPreview {
        columns: table.columns.clone(),
        roles: table
            .columns
            .iter()
            .map(|c| ColumnRole::Variable(c.clone()))
            .collect(),
        rows,
        bad_rows: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn csv_rows_fill_the_template_with_quoted_commas_and_newlines_kept() {
        let csv = "product,price\r\n\"Tea, green\",€4\n\"Mug\nwith lid\",\"12\"\" wide\"\n\n限时,5 折\nCake,3";
        let table = VariableTable::from_csv(csv).unwrap();
        assert_eq!(table.columns, ["product", "price"]);
        assert_eq!(table.rows.len(), 4, "the blank line makes no frame");
        let frames = table.preview("{product} for {price}").unwrap();
        let prompts: Vec<&str> = frames.iter().map(|f| f.prompt.as_str()).collect();
        assert_eq!(
            prompts,
            [
                "Tea, green for €4",
                "Mug\nwith lid for 12\" wide",
                "限时 for 5 折",
                "Cake for 3"
            ]
        );
        assert_eq!(frames[3].row, 4);
    }

    #[test]
    fn a_preview_becomes_a_list_import_with_one_frame_per_row() {
        let table =
            VariableTable::from_csv("product,colour\n\"Tea, green\",red\nMug,blue").unwrap();
        let frames = table.preview("{product} on a {colour} table").unwrap();
        let list = list_preview(&table, &frames);
        assert_eq!(list.rows.len(), 2);
        assert_eq!(list.rows[0].prompt, "Tea, green on a red table");
        assert_eq!(list.rows[0].title, "", "titled Frame N when added");
        assert_eq!(list.rows[1].variables["colour"], "blue");
        assert_eq!(list.rows[1].line, 2);
        assert!(list.bad_rows.is_empty());
        let mut n = 0;
        let mut series = crate::model::Series::from_template(
            "Set",
            crate::model::template::Template::Custom { frames: 1 },
            "gpt-image-2",
            0.0,
            || {
                n += 1;
                n
            },
        );
        let added = crate::export::list_frames::apply_list(&mut series, &list, || {
            n += 1;
            n
        })
        .unwrap();
        assert_eq!(added.len(), 2);
        assert_eq!(
            series.frame(&added[0]).unwrap().prompt,
            "Tea, green on a red table"
        );
    }

    #[test]
    fn unknown_placeholders_and_missing_values_are_named() {
        let table = VariableTable::from_csv("a;b\n1;2\n3").unwrap();
        let unknown = table.preview("{a} {c}").unwrap_err();
        assert_eq!(
            unknown.to_string(),
            "The template uses {c}, but no column is called c (columns: a, b)."
        );
        assert_eq!(table.preview("{a}").unwrap().len(), 2, "b is not used");
        let missing = table.preview("{a} {b}").unwrap_err();
        assert_eq!(missing.to_string(), "Row 2 has no value for {b}.");
        let extra = VariableTable::from_csv("a,b\n1,2,3").unwrap_err();
        assert!(extra.to_string().contains("Row 1 has 3 values"), "{extra}");
        assert!(matches!(
            VariableTable::from_csv("a,a\n1,2"),
            Err(RowsError::Header(_))
        ));
        assert!(matches!(
            VariableTable::from_csv("a,\n1,2"),
            Err(RowsError::Header(_))
        ));
        assert_eq!(VariableTable::from_csv("\n\n"), Err(RowsError::Empty));
        let open = VariableTable::from_csv("a\n\"never closed").unwrap_err();
        assert!(open.to_string().starts_with("Line 2:"), "{open}");
        // Typed rows make the same frames; a literal brace stays.
        let typed = VariableTable {
            columns: vec!["name".into()],
            rows: vec![vec!["Ada".into()], vec!["Lin".into()]],
        };
        let frames = typed.preview("{{hi}} {name}").unwrap();
        assert_eq!(frames[1].prompt, "{hi} Lin");
    }

    fn cell() -> impl Strategy<Value = String> {
        // Separators, quotes, line breaks, spaces, other scripts — no CR (read back as LF).
        proptest::string::string_regex("[a-z0-9 ,;\t\"\n{}限时折é]{0,12}").unwrap()
    }

    proptest! {
        /// Any table survives CSV and back, and each frame is the template with its own row.
        #[test]
        fn tables_round_trip_through_csv(
            columns in proptest::collection::btree_set("[a-z]{1,6}", 1..4),
            seed_rows in proptest::collection::vec(proptest::collection::vec(cell(), 4), 0..6),
        ) {
            let columns: Vec<String> = columns.into_iter().collect();
            let rows: Vec<Vec<String>> = seed_rows
                .into_iter()
                .map(|r| r[..columns.len()].to_vec())
                // A row of empty cells is a blank line: no frame.
                .filter(|r| r.iter().any(|c| !c.is_empty()))
                .collect();
            let table = VariableTable { columns: columns.clone(), rows };
            let back = VariableTable::from_csv(&table.to_csv()).unwrap();
            prop_assert_eq!(&back, &table);
            let template = format!("<{}>", columns.iter().map(|c| format!("{{{c}}}")).collect::<Vec<_>>().join("|"));
            let frames = back.preview(&template).unwrap();
            prop_assert_eq!(frames.len(), table.rows.len());
            for (frame, row) in frames.iter().zip(&table.rows) {
                prop_assert_eq!(&frame.prompt, &format!("<{}>", row.join("|")));
            }
        }
    }
}
