//! A list imported as frames: a UTF-8 CSV with a header row (RFC 4180), or pasted lines, one
//! frame per non-empty line. The result is a preview — plain rows and the bad rows with their
//! line numbers — and nothing in the series changes until the user accepts it.
//!
//! The parser is written here (about 150 lines, [`parse`]) rather than taken from the `csv`
//! crate: it runs in the UI or worker wasm, we need the start line of every record for the
//! messages, and RFC 4180 is small. Comma, semicolon or tab separated (detected from the
//! header line; spreadsheets paste tabs).
//!
//! Columns are mapped by header name ([`detect_roles`]; the UI may override the mapping):
//! `title`; `prompt` or `what happens`; `text` / `on-image text` (the series' main language)
//! and `text:<locale>` such as `text:zh-Hans` or `text:ar`; `shot` / `shot size`; every other
//! column is a `{variable}` for the frame template and for placeholders in cells.

pub(crate) mod parse;
pub mod template;

#[cfg(test)]
mod fuzz;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::fmt;

/// What a column becomes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ColumnRole {
    /// The frame's title.
    Title,
    /// What happens (the frame's prompt).
    Prompt,
    /// On-image text for a locale; `""` is the series' main language.
    Text(String),
    /// Shot size ("wide", "close-up" …), as written.
    ShotSize,
    /// A `{variable}` with this name.
    Variable(String),
    /// Not imported (a column without a header name).
    Ignore,
}

/// Import limits (frames and string lengths from the security notes, §1.7).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListLimits {
    /// Input size in bytes.
    pub max_input_bytes: usize,
    /// Frames in one import.
    pub max_rows: usize,
    /// Columns in the header.
    pub max_columns: usize,
    /// Characters in one field, and in a prompt after the template is filled (OpenAI's prompt
    /// limit is 32,000 characters).
    pub max_field_chars: usize,
}

impl Default for ListLimits {
    fn default() -> Self {
        ListLimits {
            max_input_bytes: 8 << 20,
            max_rows: 2_000,
            max_columns: 64,
            max_field_chars: 32_000,
        }
    }
}

/// How to read the list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListOptions {
    /// Frame template for the prompt, e.g. `"{product} for {price}"`; `None`: the prompt
    /// column (or the line) as it is.
    pub template: Option<String>,
    /// Column roles chosen by the user; `None`: [`detect_roles`] on the header.
    pub roles: Option<Vec<ColumnRole>>,
    /// Field delimiter; `None`: detected from the header line.
    pub delimiter: Option<char>,
    /// Limits.
    pub limits: ListLimits,
}

/// One frame to create.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListRow {
    /// Line the row starts on (1-based, as an editor shows it).
    pub line: usize,
    /// Title.
    pub title: String,
    /// What happens: the prompt, template filled.
    pub prompt: String,
    /// On-image text by locale (`""`: the main language).
    pub texts: BTreeMap<String, String>,
    /// Shot size as written (empty: none).
    pub shot_size: String,
    /// The row's variable columns.
    pub variables: BTreeMap<String, String>,
}

/// A row that is not imported, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadRow {
    /// Line the row starts on.
    pub line: usize,
    /// What is wrong, for the user.
    pub message: String,
}

/// The preview: what would be created.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListPreview {
    /// Header names (CSV), or `["line"]` for pasted lines.
    pub columns: Vec<String>,
    /// The role of each column.
    pub roles: Vec<ColumnRole>,
    /// Good rows, in order.
    pub rows: Vec<ListRow>,
    /// Bad rows, in order of line.
    pub bad_rows: Vec<BadRow>,
}

/// Why nothing can be imported at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListError {
    /// Nothing but blank lines.
    Empty,
    /// Input over the size limit.
    TooLarge {
        /// Its size in bytes.
        bytes: usize,
        /// The limit.
        max: usize,
    },
    /// Not UTF-8; the line of the first bad byte.
    NotUtf8(usize),
    /// A problem with the header or the mapping.
    Header(String),
    /// The template uses a name no column has.
    UnknownTemplateVariable(String),
}

impl fmt::Display for ListError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ListError::Empty => write!(f, "the list is empty"),
            ListError::TooLarge { bytes, max } => write!(
                f,
                "the list is {bytes} bytes; at most {max} bytes can be imported"
            ),
            ListError::NotUtf8(line) => write!(
                f,
                "line {line} is not UTF-8 text: save the file as \"CSV UTF-8\""
            ),
            ListError::Header(m) => write!(f, "header row: {m}"),
            ListError::UnknownTemplateVariable(n) => write!(
                f,
                "the frame template uses {{{n}}}, but no column is called {n}"
            ),
        }
    }
}

impl std::error::Error for ListError {}

/// Roles from header names (case, spaces, `_` and `-` ignored for the fixed names).
pub fn detect_roles(header: &[String]) -> Vec<ColumnRole> {
    header
        .iter()
        .map(|h| {
            let h = h.trim();
            let (base, locale) = match h.split_once(':') {
                Some((b, l)) => (b, Some(l.trim())),
                None => (h, None),
            };
            let key: String = base
                .chars()
                .filter(|c| !matches!(c, ' ' | '_' | '-'))
                .flat_map(char::to_lowercase)
                .collect();
            match (key.as_str(), locale) {
                ("", None) => ColumnRole::Ignore,
                ("text" | "onimagetext", Some(l)) if is_locale(l) => ColumnRole::Text(l.into()),
                ("text" | "onimagetext", None) => ColumnRole::Text(String::new()),
                ("title", None) => ColumnRole::Title,
                ("prompt" | "whathappens", None) => ColumnRole::Prompt,
                ("shot" | "shotsize", None) => ColumnRole::ShotSize,
                _ => ColumnRole::Variable(h.to_owned()),
            }
        })
        .collect()
}

/// A BCP 47-looking tag: letters, digits and `-`, 2–35 characters.
fn is_locale(l: &str) -> bool {
    (2..=35).contains(&l.len()) && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

/// Decodes bytes (a dropped file) and imports them as CSV; a UTF-8 BOM is skipped.
pub fn import_csv_bytes(bytes: &[u8], options: &ListOptions) -> Result<ListPreview, ListError> {
    import_csv(utf8(bytes, &options.limits)?, options)
}

/// Decodes bytes and imports them as pasted lines.
pub fn import_lines_bytes(bytes: &[u8], options: &ListOptions) -> Result<ListPreview, ListError> {
    import_lines(utf8(bytes, &options.limits)?, options)
}

fn utf8<'a>(bytes: &'a [u8], limits: &ListLimits) -> Result<&'a str, ListError> {
    check_size(bytes.len(), limits)?;
    std::str::from_utf8(bytes).map_err(|e| {
        let line = 1 + bytes[..e.valid_up_to()]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        ListError::NotUtf8(line)
    })
}

fn check_size(bytes: usize, limits: &ListLimits) -> Result<(), ListError> {
    if bytes > limits.max_input_bytes {
        return Err(ListError::TooLarge {
            bytes,
            max: limits.max_input_bytes,
        });
    }
    Ok(())
}

/// Imports CSV text with a header row.
pub fn import_csv(text: &str, options: &ListOptions) -> Result<ListPreview, ListError> {
    check_size(text.len(), &options.limits)?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let delim = options
        .delimiter
        .unwrap_or_else(|| parse::detect_delimiter(text));
    let mut records = parse::records(text, delim)
        .into_iter()
        .filter(|r| r.error.is_some() || r.fields.iter().any(|f| !f.trim().is_empty()));
    let header = records.next().ok_or(ListError::Empty)?;
    if let Some(e) = header.error {
        return Err(ListError::Header(e));
    }
    let columns: Vec<String> = header.fields.iter().map(|f| f.trim().to_owned()).collect();
    let limits = &options.limits;
    if columns.len() > limits.max_columns {
        return Err(ListError::Header(format!(
            "{} columns; at most {}",
            columns.len(),
            limits.max_columns
        )));
    }
    let roles = match &options.roles {
        Some(r) if r.len() != columns.len() => {
            return Err(ListError::Header(format!(
                "{} columns but {} roles chosen",
                columns.len(),
                r.len()
            )))
        }
        Some(r) => r.clone(),
        None => detect_roles(&columns),
    };
    check_roles(&columns, &roles)?;
    if let Some(t) = &options.template {
        if let Some(n) = template::variables(t)
            .into_iter()
            .find(|n| !columns.contains(n))
        {
            return Err(ListError::UnknownTemplateVariable(n));
        }
    }
    let mut preview = ListPreview {
        columns,
        roles,
        ..ListPreview::default()
    };
    for r in records {
        if preview.rows.len() + preview.bad_rows.len() >= limits.max_rows {
            too_many(&mut preview, r.line, limits.max_rows);
            break;
        }
        match row(&preview, r, options) {
            Ok(row) => preview.rows.push(row),
            Err(bad) => preview.bad_rows.push(bad),
        }
    }
    Ok(preview)
}

fn too_many(preview: &mut ListPreview, line: usize, max: usize) {
    preview.bad_rows.push(BadRow {
        line,
        message: format!(
            "too many rows: at most {max} frames per import; this row and the rest are left out"
        ),
    });
}

/// One role per kind, one column per locale, one variable per name.
fn check_roles(columns: &[String], roles: &[ColumnRole]) -> Result<(), ListError> {
    for (i, r) in roles.iter().enumerate() {
        if *r == ColumnRole::Ignore {
            continue;
        }
        if let Some(j) = roles[..i].iter().position(|x| x == r) {
            return Err(ListError::Header(format!(
                "columns “{}” and “{}” both map to the same field",
                columns[j], columns[i]
            )));
        }
    }
    Ok(())
}

fn row(p: &ListPreview, r: parse::Record, o: &ListOptions) -> Result<ListRow, BadRow> {
    let bad = |message: String| BadRow {
        line: r.line,
        message,
    };
    if let Some(e) = r.error {
        return Err(bad(e));
    }
    if r.fields.len() != p.columns.len() {
        return Err(bad(format!(
            "{} fields; the header has {}",
            r.fields.len(),
            p.columns.len()
        )));
    }
    let max = o.limits.max_field_chars;
    let mut out = ListRow {
        line: r.line,
        ..ListRow::default()
    };
    for (i, f) in r.fields.iter().enumerate() {
        if f.chars().count() > max {
            return Err(bad(format!(
                "“{}” is longer than {max} characters",
                p.columns[i]
            )));
        }
        if let ColumnRole::Variable(n) = &p.roles[i] {
            out.variables.insert(n.clone(), f.trim().to_owned());
        }
    }
    // Cells may use {variables} too; the template may also name any column by its header.
    let by_header = |n: &str| {
        p.columns
            .iter()
            .position(|c| c == n)
            .map(|i| r.fields[i].trim())
    };
    let fill = |i: usize| -> Result<String, BadRow> {
        template::expand(r.fields[i].trim(), |n| {
            out.variables.get(n).map(String::as_str)
        })
        .map_err(|n| {
            bad(format!(
                "“{}” uses {{{n}}}, but no column is called {n} (write {{{{ for a brace)",
                p.columns[i]
            ))
        })
    };
    let (mut title, mut prompt, mut shot) = (String::new(), String::new(), String::new());
    let mut texts = BTreeMap::new();
    for (i, role) in p.roles.iter().enumerate() {
        match role {
            ColumnRole::Title => title = fill(i)?,
            ColumnRole::Prompt => prompt = fill(i)?,
            ColumnRole::ShotSize => shot = r.fields[i].trim().to_owned(),
            ColumnRole::Text(l) => {
                let t = fill(i)?;
                if !t.is_empty() {
                    texts.insert(l.clone(), t);
                }
            }
            ColumnRole::Variable(_) | ColumnRole::Ignore => {}
        }
    }
    if let Some(t) = &o.template {
        // Checked against the header before any row.
        prompt = template::expand(t, by_header).unwrap_or_default();
    }
    if prompt.chars().count() > max {
        return Err(bad(format!("the prompt is longer than {max} characters")));
    }
    if title.is_empty() && prompt.is_empty() && texts.is_empty() {
        return Err(bad("no title, prompt or on-image text".into()));
    }
    out.title = title;
    out.prompt = prompt;
    out.texts = texts;
    out.shot_size = shot;
    Ok(out)
}

/// Imports pasted lines: one frame per non-empty line, the line as its prompt (or as
/// `{line}` in the template).
pub fn import_lines(text: &str, options: &ListOptions) -> Result<ListPreview, ListError> {
    let limits = &options.limits;
    check_size(text.len(), limits)?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if let Some(t) = &options.template {
        if let Some(n) = template::variables(t).into_iter().find(|n| n != "line") {
            return Err(ListError::UnknownTemplateVariable(n));
        }
    }
    let mut preview = ListPreview {
        columns: vec!["line".into()],
        roles: vec![ColumnRole::Prompt],
        ..ListPreview::default()
    };
    // `lines()` splits on \n and strips a trailing \r; a lone \r is also a line break.
    let lines = text.split('\n').flat_map(|l| {
        let l = l.strip_suffix('\r').unwrap_or(l);
        l.split('\r')
    });
    let mut seen = false;
    for (i, l) in lines.enumerate() {
        let l = l.trim();
        if l.is_empty() {
            continue;
        }
        seen = true;
        let line = i + 1;
        if preview.rows.len() + preview.bad_rows.len() >= limits.max_rows {
            too_many(&mut preview, line, limits.max_rows);
            break;
        }
        let prompt = match &options.template {
            Some(t) => template::expand(t, |_| Some(l)).unwrap_or_default(),
            None => l.to_owned(),
        };
        if l.chars().count() > limits.max_field_chars
            || prompt.chars().count() > limits.max_field_chars
        {
            preview.bad_rows.push(BadRow {
                line,
                message: format!("longer than {} characters", limits.max_field_chars),
            });
            continue;
        }
        preview.rows.push(ListRow {
            line,
            prompt,
            variables: BTreeMap::from([("line".to_owned(), l.to_owned())]),
            ..ListRow::default()
        });
    }
    if !seen {
        return Err(ListError::Empty);
    }
    Ok(preview)
}
