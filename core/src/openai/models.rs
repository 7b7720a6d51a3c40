//! `GET /v1/models` and `GET /v1/models/{id}` (reference §18): each model's `shutdown_date`,
//! which wins over the catalogue's when an endpoint answers ([`crate::catalogue::Catalogue::apply_lifecycle`]).

use serde::{Deserialize, Serialize};

/// One model as the endpoint lists it. Unknown fields are ignored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListedModel {
    /// The model id, e.g. `gpt-image-2` or a dated snapshot.
    pub id: String,
    /// Always `model`.
    #[serde(default)]
    pub object: String,
    /// Unix seconds.
    #[serde(default)]
    pub created: i64,
    /// Who owns it (`system`, `openai`, an organization).
    #[serde(default)]
    pub owned_by: String,
    /// `YYYY-MM-DD` once a shutdown is announced, else `null`.
    #[serde(default)]
    pub shutdown_date: Option<String>,
}

/// The answer of `GET /v1/models`: `{"object": "list", "data": [...]}`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ModelList {
    /// Always `list`.
    #[serde(default)]
    pub object: String,
    /// The models.
    #[serde(default)]
    pub data: Vec<ListedModel>,
}

impl ModelList {
    /// Parses the answer of `GET /v1/models`.
    pub fn parse(json: &str) -> Result<Self, String> {
        serde_json::from_str(json).map_err(|e| format!("the model list is not valid: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shape of the reference's lifecycle addendum (§18): `id`, `created`, `owned_by` and
    /// `shutdown_date` as a date or `null`.
    #[test]
    fn parses_the_lifecycle_fields() {
        let list = ModelList::parse(
            r#"{"object":"list","data":[
              {"id":"gpt-image-1.5","object":"model","created":1765843200,"owned_by":"system","shutdown_date":"2026-12-01"},
              {"id":"gpt-image-2","object":"model","created":1776729600,"owned_by":"system","shutdown_date":null,"extra":1},
              {"id":"gpt-image-2.6-flare"}]}"#,
        )
        .unwrap();
        assert_eq!(list.data.len(), 3);
        assert_eq!(list.data[0].shutdown_date.as_deref(), Some("2026-12-01"));
        assert_eq!(list.data[1].shutdown_date, None);
        assert_eq!(list.data[2].owned_by, "");
        assert!(ModelList::parse("\"list\"").is_err());
    }
}
