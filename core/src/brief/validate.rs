//! Reading a model's structured answer as untrusted input: parsed against the answer's type
//! (unknown fields refused, every field present), then each value held to its limit. Errors
//! name the field (`frames[2].title`) and say what is wrong, in plain text.

use serde::de::DeserializeOwned;
use std::fmt;

/// Why a model's answer was not accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnswerError {
    /// What was being read ("plan", "description", "check").
    pub what: &'static str,
    /// The field at fault (`frames[2].title`), empty for the whole answer.
    pub field: String,
    /// What is wrong with it.
    pub problem: String,
}

impl fmt::Display for AnswerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.field.is_empty() {
            write!(
                f,
                "The model's {} was not usable: {}.",
                self.what, self.problem
            )
        } else {
            write!(
                f,
                "The model's {} was not usable: {} {}.",
                self.what, self.field, self.problem
            )
        }
    }
}

impl std::error::Error for AnswerError {}

/// Holds the name of the answer being read and builds its errors.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Reader {
    pub what: &'static str,
}

impl Reader {
    /// An error at `field`.
    pub fn error(self, field: impl Into<String>, problem: impl Into<String>) -> AnswerError {
        AnswerError {
            what: self.what,
            field: field.into(),
            problem: problem.into(),
        }
    }

    /// Parses `text` as `T` (whose fields deny unknown ones), naming the path of a mismatch.
    pub fn parse<T: DeserializeOwned>(self, text: &str) -> Result<T, AnswerError> {
        let mut de = serde_json::Deserializer::from_str(text);
        let value: T = serde_path_to_error::deserialize(&mut de).map_err(|e| {
            let path = e.path().to_string();
            let field = if path == "." { String::new() } else { path };
            let inner = e.into_inner();
            let problem = if inner.is_syntax() || inner.is_eof() {
                "is not JSON".to_string()
            } else {
                // serde's own words ("missing field `title`", "invalid type: …"), shortened.
                let message = inner.to_string();
                let message = message.split(" at line ").next().unwrap_or(&message);
                if message.starts_with("unknown field") {
                    "is not a field of the schema".to_string()
                } else if let Some(name) = message.strip_prefix("missing field ") {
                    format!("has no {name}")
                } else {
                    message.to_string()
                }
            };
            self.error(field, problem)
        })?;
        de.end()
            .map_err(|_| self.error("", "has text after the JSON object"))?;
        Ok(value)
    }

    /// `value` trimmed, refused when longer than `max` characters or carrying control
    /// characters other than line breaks and tabs; `required` refuses an empty value.
    pub fn text(
        self,
        field: &str,
        value: &str,
        max: usize,
        required: bool,
    ) -> Result<String, AnswerError> {
        let value = value.trim();
        if required && value.is_empty() {
            return Err(self.error(field, "is empty"));
        }
        let chars = value.chars().count();
        if chars > max {
            return Err(self.error(
                field,
                format!("is {chars} characters long; at most {max} are accepted"),
            ));
        }
        if value
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\t')
        {
            return Err(self.error(field, "contains control characters"));
        }
        Ok(value.to_string())
    }

    /// Refuses a list longer than `max`.
    pub fn count(self, field: &str, len: usize, max: usize) -> Result<(), AnswerError> {
        if len > max {
            return Err(self.error(
                field,
                format!("has {len} entries; at most {max} are accepted"),
            ));
        }
        Ok(())
    }

    /// A colour as `#rrggbb` (lower case); `#rgb` is widened. Anything else is refused.
    pub fn hex(self, field: &str, value: &str) -> Result<String, AnswerError> {
        let v = value.trim();
        let digits = v.strip_prefix('#').unwrap_or("");
        let ok = digits.chars().all(|c| c.is_ascii_hexdigit());
        match digits.len() {
            6 if ok => Ok(format!("#{}", digits.to_ascii_lowercase())),
            3 if ok => Ok(digits.chars().fold(String::from("#"), |mut s, c| {
                s.push(c.to_ascii_lowercase());
                s.push(c.to_ascii_lowercase());
                s
            })),
            _ => Err(self.error(
                field,
                format!("is {:?}, not a colour like #1a2b3c", truncate(v, 40)),
            )),
        }
    }

    /// A language tag (`en`, `zh-Hans`, `ar`) or empty ("detect from the script").
    pub fn language(self, field: &str, value: &str) -> Result<String, AnswerError> {
        let v = value.trim();
        let ok = v.is_empty()
            || ((2..=35).contains(&v.len())
                && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                && v.chars().next().is_some_and(|c| c.is_ascii_alphabetic()));
        if ok {
            Ok(v.to_string())
        } else {
            Err(self.error(
                field,
                format!(
                    "is {:?}, not a language tag like en or zh-Hans",
                    truncate(v, 40)
                ),
            ))
        }
    }
}

/// The first `max` characters of `s` (for quoting bad values in messages).
pub(crate) fn truncate(s: &str, max: usize) -> String {
    let mut out: String = s.chars().take(max).collect();
    if s.chars().count() > max {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const R: Reader = Reader { what: "plan" };

    #[test]
    fn values_are_held_to_their_limits() {
        assert_eq!(R.text("t", "  hi ", 5, true).unwrap(), "hi");
        assert!(R
            .text("t", "   ", 5, true)
            .unwrap_err()
            .to_string()
            .contains("t is empty"));
        assert_eq!(R.text("t", "", 5, false).unwrap(), "");
        let long = R.text("frames[0].title", "abcdef", 5, true).unwrap_err();
        assert_eq!(
            long.to_string(),
            "The model's plan was not usable: frames[0].title is 6 characters long; at most 5 \
             are accepted."
        );
        assert_eq!(R.text("t", "限时 5 折", 6, true).unwrap(), "限时 5 折");
        assert!(R.text("t", "a\u{0}b", 5, true).is_err());
        assert!(R.text("t", "a\nb", 5, true).is_ok());
        assert_eq!(R.hex("p", "#A1B2C3").unwrap(), "#a1b2c3");
        assert_eq!(R.hex("p", "#fA0").unwrap(), "#ffaa00");
        for bad in ["red", "#12345", "123456", "#12345g", "#<script>"] {
            assert!(R.hex("palette[0]", bad).is_err(), "{bad}");
        }
        assert!(R.language("l", "zh-Hans").is_ok() && R.language("l", "").is_ok());
        assert!(R.language("l", "<b>").is_err() && R.language("l", "1x").is_err());
        assert!(R
            .count("frames", 7, 6)
            .unwrap_err()
            .to_string()
            .contains("7 entries"));
    }
}
