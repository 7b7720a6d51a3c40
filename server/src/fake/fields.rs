//! Typed access to request parameters with OpenAI's error wording. JSON values keep their
//! types; multipart values are strings and are parsed here.

use serde_json::{Map, Value};

use super::params::BodyForm;
use crate::errors::ApiError;

/// Typed access to the params, with OpenAI's type errors. Multipart values are strings.
pub struct Fields<'a> {
    /// The params as received.
    pub map: &'a Map<String, Value>,
    /// How they were encoded.
    pub form: BodyForm,
}

impl<'a> Fields<'a> {
    /// The value, treating JSON `null` as absent.
    pub fn get(&self, key: &str) -> Option<&'a Value> {
        self.map.get(key).filter(|v| !v.is_null())
    }

    pub fn string(&self, key: &str) -> Result<Option<&'a str>, ApiError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(other) => Err(ApiError::invalid_type(key, "a string", other)),
        }
    }

    pub fn int(&self, key: &str, min: i64, max: i64) -> Result<Option<i64>, ApiError> {
        let value = match (self.get(key), self.form) {
            (None, _) => return Ok(None),
            (Some(Value::Number(n)), _) if n.is_i64() || n.is_u64() => {
                n.as_i64().unwrap_or(i64::MAX)
            }
            (Some(Value::String(s)), BodyForm::Multipart) => s.trim().parse().map_err(|_| {
                ApiError::invalid_type(key, "an integer", &Value::String(s.clone()))
            })?,
            (Some(other), _) => return Err(ApiError::invalid_type(key, "an integer", other)),
        };
        if value < min {
            return Err(ApiError::invalid(
                "integer_below_min_value",
                Some(key),
                format!(
                    "Invalid '{key}': integer below minimum value. Expected a value >= {min}, \
                     but got {value} instead."
                ),
            ));
        }
        if value > max {
            return Err(ApiError::invalid(
                "integer_above_max_value",
                Some(key),
                format!(
                    "Invalid '{key}': integer above maximum value. Expected a value <= {max}, \
                     but got {value} instead."
                ),
            ));
        }
        Ok(Some(value))
    }

    pub fn boolean(&self, key: &str) -> Result<Option<bool>, ApiError> {
        match (self.get(key), self.form) {
            (None, _) => Ok(None),
            (Some(Value::Bool(b)), _) => Ok(Some(*b)),
            (Some(Value::String(s)), BodyForm::Multipart) => match s.trim() {
                "true" | "True" | "1" => Ok(Some(true)),
                "false" | "False" | "0" => Ok(Some(false)),
                _ => Err(ApiError::invalid_type(
                    key,
                    "a boolean",
                    &Value::String(s.clone()),
                )),
            },
            (Some(other), _) => Err(ApiError::invalid_type(key, "a boolean", other)),
        }
    }

    /// A string that must be one of `allowed`.
    pub fn choice(&self, key: &str, allowed: &[&str]) -> Result<Option<&'a str>, ApiError> {
        let Some(value) = self.string(key)? else {
            return Ok(None);
        };
        if allowed.contains(&value) {
            return Ok(Some(value));
        }
        let quoted: Vec<String> = allowed.iter().map(|a| format!("'{a}'")).collect();
        let list = match quoted.split_last() {
            Some((last, rest)) if !rest.is_empty() => format!("{}, and {last}", rest.join(", ")),
            _ => quoted.join(""),
        };
        Err(ApiError::invalid_value(
            key,
            format!("Invalid value: '{value}'. Supported values are: {list}."),
        ))
    }
}
