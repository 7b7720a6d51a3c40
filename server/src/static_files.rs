//! Serves the built app from `--dist` with correct MIME types and an SPA fallback: a GET for
//! anything that is not a file (and not under `/v1/`, `/_fake/` or `/api/`) gets `index.html`.

use std::path::{Path, PathBuf};

use axum::extract::State;
use axum::http::{header, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

/// Path prefixes that belong to the API and never fall back to the app.
pub const API_PREFIXES: &[&str] = &["/v1", "/_fake", "/api"];

/// The directory being served.
#[derive(Debug, Clone)]
pub struct StaticFiles {
    dist: PathBuf,
}

impl StaticFiles {
    /// Serves `dist` (which may not exist yet; every lookup checks again).
    pub fn new(dist: PathBuf) -> Self {
        Self { dist }
    }
}

/// The MIME type for a file name, by extension.
pub fn mime_for(path: &Path) -> &'static str {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    match ext.as_str() {
        "html" | "htm" => "text/html; charset=utf-8",
        "js" | "mjs" => "application/javascript",
        "css" => "text/css",
        "wasm" => "application/wasm",
        "svg" => "image/svg+xml",
        "json" | "map" => "application/json",
        "webmanifest" => "application/manifest+json",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "webp" => "image/webp",
        "gif" => "image/gif",
        "avif" => "image/avif",
        "ico" => "image/x-icon",
        "txt" => "text/plain; charset=utf-8",
        "xml" => "application/xml",
        "woff" => "font/woff",
        "woff2" => "font/woff2",
        "ttf" => "font/ttf",
        "otf" => "font/otf",
        _ => "application/octet-stream",
    }
}

/// Decodes `%XX` escapes; `None` for malformed escapes or non-UTF-8 results.
fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// The relative file path for a URL path, or `None` if it tries to leave the directory.
pub fn safe_relative_path(url_path: &str) -> Option<PathBuf> {
    let decoded = percent_decode(url_path)?;
    let mut rel = PathBuf::new();
    for segment in decoded.split('/').filter(|s| !s.is_empty()) {
        if segment == ".." || segment == "." || segment.contains(['\\', '\0', ':']) {
            return None;
        }
        rel.push(segment);
    }
    Some(rel)
}

fn is_api_path(path: &str) -> bool {
    API_PREFIXES.iter().any(|p| {
        path == *p
            || path
                .strip_prefix(p)
                .is_some_and(|rest| rest.starts_with('/'))
    })
}

/// Fallback handler for everything the router does not match.
pub async fn serve(State(files): State<Arc<StaticFiles>>, method: Method, uri: Uri) -> Response {
    let path = uri.path();
    if is_api_path(path) {
        return crate::app::api_not_found(method, uri).await;
    }
    if method != Method::GET && method != Method::HEAD {
        return (StatusCode::METHOD_NOT_ALLOWED, "method not allowed\n").into_response();
    }
    let Some(rel) = safe_relative_path(path) else {
        return (StatusCode::NOT_FOUND, "not found\n").into_response();
    };
    let candidate = files.dist.join(&rel);
    let file = if tokio::fs::metadata(&candidate)
        .await
        .is_ok_and(|m| m.is_dir())
    {
        candidate.join("index.html")
    } else {
        candidate
    };
    if let Some(response) = file_response(&files.dist, &file).await {
        return response;
    }
    // SPA fallback: the app's router handles the path.
    match file_response(&files.dist, &files.dist.join("index.html")).await {
        Some(response) => response,
        None => (
            StatusCode::NOT_FOUND,
            format!(
                "The app is not built: {} has no index.html. Build it (e.g. `trunk build`) or \
                 pass --dist. The API still works.\n",
                files.dist.display()
            ),
        )
            .into_response(),
    }
}

/// Reads a regular file inside `root` (symlinks may not lead outside it).
async fn file_response(root: &Path, file: &Path) -> Option<Response> {
    let meta = tokio::fs::metadata(file).await.ok()?;
    if !meta.is_file() {
        return None;
    }
    let (root_real, file_real) = (
        tokio::fs::canonicalize(root).await.ok()?,
        tokio::fs::canonicalize(file).await.ok()?,
    );
    if !file_real.starts_with(&root_real) {
        return None;
    }
    let data = tokio::fs::read(&file_real).await.ok()?;
    let mut response = data.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(mime_for(file)),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if mime_for(file).starts_with("text/html") {
        // The shell must be revalidated so a rebuilt app is picked up.
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    }
    Some(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mime_types() {
        assert_eq!(mime_for(Path::new("a/app_bg.wasm")), "application/wasm");
        assert_eq!(mime_for(Path::new("app.JS")), "application/javascript");
        assert_eq!(mime_for(Path::new("s.css")), "text/css");
        assert_eq!(mime_for(Path::new("i.svg")), "image/svg+xml");
        assert_eq!(mime_for(Path::new("m.json")), "application/json");
        assert_eq!(mime_for(Path::new("noext")), "application/octet-stream");
    }

    #[test]
    fn paths_cannot_escape() {
        assert_eq!(safe_relative_path("/a/b.js"), Some(PathBuf::from("a/b.js")));
        assert_eq!(
            safe_relative_path("/a%20b.js"),
            Some(PathBuf::from("a b.js"))
        );
        assert_eq!(safe_relative_path("/"), Some(PathBuf::new()));
        for bad in [
            "/../etc/passwd",
            "/a/%2e%2e/b",
            "/a\\b",
            "/%zz",
            "/c:/x",
            "/%00",
        ] {
            assert_eq!(safe_relative_path(bad), None, "{bad}");
        }
    }

    #[test]
    fn api_prefixes() {
        assert!(is_api_path("/v1/models"));
        assert!(is_api_path("/api"));
        assert!(is_api_path("/_fake/requests"));
        assert!(!is_api_path("/v1x"));
        assert!(!is_api_path("/apiary"));
    }
}
