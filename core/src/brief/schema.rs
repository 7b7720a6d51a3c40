//! Building strict JSON schemas: every object lists all its properties in `required` and has
//! `additionalProperties: false` (Structured Outputs' strict mode, reference §18). Only the
//! keywords every strict-mode model accepts are used (`type`, `properties`, `required`,
//! `additionalProperties`, `items`, `enum`, `description`); limits are stated in descriptions
//! and enforced when the answer is validated.

use serde_json::{json, Map, Value};

/// A string property.
pub(crate) fn string(description: &str) -> Value {
    json!({"type": "string", "description": description})
}

/// A boolean property.
pub(crate) fn boolean(description: &str) -> Value {
    json!({"type": "boolean", "description": description})
}

/// A string limited to `values`.
pub(crate) fn one_of(values: &[&str], description: &str) -> Value {
    json!({"type": "string", "enum": values, "description": description})
}

/// An array of `items`.
pub(crate) fn array(items: Value, description: &str) -> Value {
    json!({"type": "array", "items": items, "description": description})
}

/// A strict object: every property required, nothing else allowed.
pub(crate) fn object(properties: &[(&str, Value)]) -> Value {
    let mut props = Map::new();
    for (name, schema) in properties {
        props.insert((*name).to_string(), schema.clone());
    }
    let required: Vec<&str> = properties.iter().map(|(n, _)| *n).collect();
    json!({
        "type": "object",
        "properties": props,
        "required": required,
        "additionalProperties": false,
    })
}

/// Whether `schema` follows the strict-mode rules at every depth: each object has
/// `additionalProperties: false` and lists every property in `required`.
pub fn is_strict(schema: &Value) -> Result<(), String> {
    strict_at(schema, "$")
}

fn strict_at(schema: &Value, path: &str) -> Result<(), String> {
    let Some(node) = schema.as_object() else {
        return Ok(());
    };
    if node.get("type").and_then(Value::as_str) == Some("object") {
        if node.get("additionalProperties") != Some(&Value::Bool(false)) {
            return Err(format!("{path}: additionalProperties is not false"));
        }
        let props = node
            .get("properties")
            .and_then(Value::as_object)
            .ok_or_else(|| format!("{path}: an object without properties"))?;
        let required: Vec<&str> = node
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        for (name, sub) in props {
            if !required.contains(&name.as_str()) {
                return Err(format!("{path}.{name}: not in required"));
            }
            strict_at(sub, &format!("{path}.{name}"))?;
        }
    }
    if let Some(items) = node.get("items") {
        strict_at(items, &format!("{path}[]"))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strictness_is_checked_at_every_depth() {
        let good = object(&[("a", array(object(&[("b", string("b"))]), "list"))]);
        assert_eq!(is_strict(&good), Ok(()));
        let mut loose = good.clone();
        loose["properties"]["a"]["items"]["additionalProperties"] = json!(true);
        assert!(is_strict(&loose).unwrap_err().contains("$.a[]"));
        let mut optional = good;
        optional["required"] = json!([]);
        assert!(is_strict(&optional)
            .unwrap_err()
            .contains("$.a: not in required"));
    }
}
