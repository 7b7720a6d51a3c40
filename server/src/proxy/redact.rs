//! Upstream error bodies, passed on without fragments of the server's key.
//!
//! OpenAI's 401 says "Incorrect API key provided: sk-proj-****abcd": the last characters of
//! the server's key, handed to whoever holds an access token. Error bodies (never image
//! responses) are therefore read (up to [`ERROR_BODY_MAX`]) and every `sk-…` word and every
//! `****xyz` mask is replaced before they reach the client.

/// Largest upstream error body passed on; a longer one is replaced by a generic envelope.
pub const ERROR_BODY_MAX: usize = 64 * 1024;

/// What a redacted key looks like.
const KEY_MASK: &str = "sk-***";
/// What a redacted mask looks like.
const STAR_MASK: &str = "****";

fn is_key_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'*')
}

/// `text` with key-like words (`sk-` followed by key characters), masked keys (`**` followed
/// by letters or digits) and the exact `key` replaced.
pub fn redact(text: &str, key: &str) -> String {
    let text = if key.len() >= 8 {
        text.replace(key, KEY_MASK)
    } else {
        text.to_string()
    };
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < bytes.len() {
        let word_start = i == 0 || !is_key_char(bytes[i - 1]);
        if word_start && bytes[i..].starts_with(b"sk-") {
            let end = i
                + 3
                + bytes[i + 3..]
                    .iter()
                    .take_while(|b| is_key_char(**b))
                    .count();
            if end > i + 3 {
                out.push_str(KEY_MASK);
                i = end;
                continue;
            }
        }
        if bytes[i..].starts_with(b"**") {
            let stars = bytes[i..].iter().take_while(|b| **b == b'*').count();
            let tail = bytes[i + stars..]
                .iter()
                .take_while(|b| b.is_ascii_alphanumeric())
                .count();
            out.push_str(STAR_MASK);
            i += stars + tail;
            continue;
        }
        // Copy one whole character (the markers above are ASCII, so this keeps UTF-8 intact).
        let len = text[i..].chars().next().map_or(1, char::len_utf8);
        out.push_str(&text[i..i + len]);
        i += len;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_fragments_are_redacted() {
        let key = "sk-proj-abcdefghijklmnop1234";
        let body = r#"{"error":{"message":"Incorrect API key provided: sk-proj-****1234. You can find your API key at https://platform.openai.com/account/api-keys.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}"#;
        let out = redact(body, key);
        assert!(!out.contains("1234"), "{out}");
        assert!(
            out.contains("Incorrect API key provided: sk-***. You can find"),
            "{out}"
        );
        let json: serde_json::Value = serde_json::from_str(&out).expect("still JSON");
        assert_eq!(json["error"]["code"], "invalid_api_key");
        assert_eq!(redact("key ****wxyz here", key), "key **** here");
        assert_eq!(redact(&format!("raw {key}!"), key), "raw sk-***!");
        // Words that merely contain the letters, and text without markers, pass unchanged.
        for same in ["risk-free task-list", "plain text, ünïcødé ✓", "a*b", "sk-"] {
            assert_eq!(redact(same, key), same);
        }
    }
}
