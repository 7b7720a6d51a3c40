//! Serves the built app from `--dist` with correct MIME types and an SPA fallback: a GET for
//! anything that is not a file (and not under `/v1/`, `/_fake/` or `/api/`) gets `index.html`.
//!
//! Delivery ([`crate::delivery`]): every response carries the Content-Security-Policy;
//! Trunk's content-hashed files (`name-<16 hex>.ext`) are cached for a year as immutable,
//! everything else (`index.html`, `sw.js`, the manifest, `models.json`, the worker's unhashed
//! files) is `no-cache` (revalidated by `ETag`); a precompressed `.br` or `.gz` beside a file
//! is sent when the client accepts it; byte ranges, `If-None-Match` and HEAD work.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::UNIX_EPOCH;

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use sha2::{Digest, Sha256};

use crate::delivery::http::{accepted_codings, respond, Coding, Representation};
use crate::delivery::{csp, Delivery};

/// Path prefixes that belong to the API and never fall back to the app.
pub const API_PREFIXES: &[&str] = &["/v1", "/_fake", "/api"];

/// `Cache-Control` of content-hashed files: their name changes whenever their bytes do.
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// `Cache-Control` of everything else: always revalidated, so a new deployment is seen at once.
pub const NO_CACHE: &str = "no-cache";

/// The directory being served, and the policy sent with it.
#[derive(Debug, Clone)]
pub struct StaticFiles {
    dist: PathBuf,
    csp: HeaderValue,
}

impl StaticFiles {
    /// Serves `dist` (which may not exist yet; every lookup checks again).
    pub fn new(dist: PathBuf, delivery: &Delivery) -> Self {
        let csp = HeaderValue::from_str(&delivery.policy_header())
            .unwrap_or_else(|_| HeaderValue::from_static("default-src 'none'"));
        Self { dist, csp }
    }
}

/// Whether a file name carries Trunk's content hash: `name-<16 hex>.ext` (also `_bg.wasm`).
pub fn is_hashed(file_name: &str) -> bool {
    let Some((stem, _ext)) = file_name.rsplit_once('.') else {
        return false;
    };
    let stem = stem.strip_suffix("_bg").unwrap_or(stem);
    stem.rsplit_once('-').is_some_and(|(base, hash)| {
        !base.is_empty()
            && hash.len() == 16
            && hash
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

/// The `Cache-Control` of a served file.
pub fn cache_control(file_name: &str) -> &'static str {
    if is_hashed(file_name) {
        IMMUTABLE
    } else {
        NO_CACHE
    }
}

/// Whether a MIME type is worth compressing (text and WebAssembly; images are compressed already).
fn compressible(mime: &str) -> bool {
    mime.starts_with("text/")
        || matches!(
            mime,
            "application/javascript"
                | "application/wasm"
                | "application/json"
                | "application/manifest+json"
                | "application/xml"
                | "image/svg+xml"
        )
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
pub async fn serve(
    State(files): State<Arc<StaticFiles>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
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
    if let Some(response) = file_response(&files, &file, &headers).await {
        return response;
    }
    // SPA fallback: the app's router handles the path.
    match file_response(&files, &files.dist.join("index.html"), &headers).await {
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

/// The canonical path of `file` if it is a regular file inside `root` (symlinks may not lead
/// outside it).
async fn inside(root: &Path, file: &Path) -> Option<PathBuf> {
    let meta = tokio::fs::metadata(file).await.ok()?;
    if !meta.is_file() {
        return None;
    }
    let (root_real, file_real) = (
        tokio::fs::canonicalize(root).await.ok()?,
        tokio::fs::canonicalize(file).await.ok()?,
    );
    file_real.starts_with(&root_real).then_some(file_real)
}

/// Answers with a regular file inside the served directory, or `None` if there is none.
async fn file_response(files: &StaticFiles, file: &Path, request: &HeaderMap) -> Option<Response> {
    let real = inside(&files.dist, file).await?;
    let mime = mime_for(file);
    let name = file.file_name()?.to_str()?;
    let codings = if compressible(mime) {
        accepted_codings(request)
    } else {
        Vec::new()
    };
    let mut rep = if mime.starts_with("text/html") {
        html(&real, &codings).await?
    } else {
        precompressed(&files.dist, file, &real, &codings).await?
    };
    rep.content_type = mime;
    rep.cache_control = cache_control(name);
    rep.varies = compressible(mime);
    rep.csp = Some(files.csp.clone());
    Some(respond(request, rep))
}

/// An HTML page without its policy `<meta>` (the header replaces it), gzipped when accepted.
/// Pages are small, so this costs microseconds; their ETag hashes the bytes sent.
async fn html(real: &Path, codings: &[Coding]) -> Option<Representation> {
    let bytes = tokio::fs::read(real).await.ok()?;
    let text = String::from_utf8_lossy(&bytes);
    let page = csp::strip_meta_policy(&text).into_owned().into_bytes();
    let digest = Sha256::digest(&page);
    let hash: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    let gzip = codings.contains(&Coding::Gzip).then(|| {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        encoder.write_all(&page).ok()?;
        encoder.finish().ok()
    });
    let (body, coding, etag) = match gzip.flatten() {
        Some(gz) => (gz, Some(Coding::Gzip), format!("\"{hash}-gz\"")),
        None => (page, None, format!("\"{hash}\"")),
    };
    Some(representation(Bytes::from(body), coding, etag))
}

/// A file, or the best precompressed sibling the client accepts (`app.wasm.br`,
/// `app.wasm.gz`). A sibling older than the file (the file was edited after the build) is
/// ignored.
async fn precompressed(
    root: &Path,
    file: &Path,
    real: &Path,
    codings: &[Coding],
) -> Option<Representation> {
    let source = tokio::fs::metadata(real).await.ok()?;
    for &coding in codings {
        let mut sibling = file.as_os_str().to_owned();
        sibling.push(".");
        sibling.push(coding.extension());
        let Some(sibling) = inside(root, Path::new(&sibling)).await else {
            continue;
        };
        let Ok(meta) = tokio::fs::metadata(&sibling).await else {
            continue;
        };
        if meta.modified().ok() < source.modified().ok() {
            continue;
        }
        if let Ok(body) = tokio::fs::read(&sibling).await {
            let etag = format!("\"{}-{}\"", stamp(&meta), coding.extension());
            return Some(representation(Bytes::from(body), Some(coding), etag));
        }
    }
    let body = tokio::fs::read(real).await.ok()?;
    Some(representation(
        Bytes::from(body),
        None,
        format!("\"{}\"", stamp(&source)),
    ))
}

/// Length and modification time, in hex: changes whenever the file is rewritten.
fn stamp(meta: &std::fs::Metadata) -> String {
    let nanos = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos());
    format!("{:x}-{nanos:x}", meta.len())
}

fn representation(body: Bytes, coding: Option<Coding>, etag: String) -> Representation {
    Representation {
        body,
        content_type: "application/octet-stream",
        coding,
        etag,
        cache_control: NO_CACHE,
        varies: false,
        csp: None,
    }
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
    fn hashed_names_are_immutable() {
        for name in [
            "continuity-ff74e2f767e3fa60.js",
            "continuity-ff74e2f767e3fa60_bg.wasm",
            "main-f0f482aa3f4cbdd1.css",
            "favicon-e6c6afb468a9b4a7.svg",
        ] {
            assert_eq!(cache_control(name), IMMUTABLE, "{name}");
        }
        for name in [
            "index.html",
            "sw.js",
            "boot.js",
            "manifest.webmanifest",
            "models.json",
            "continuity-worker.js",
            "continuity-worker_bg.wasm",
            "continuity-files-worker.js",
            "continuity-files-worker_bg.wasm",
            "icon-192.png",
            "x-FF74E2F767E3FA60.js",
            "-ff74e2f767e3fa60.js",
            "a-ff74e2f767e3fa6.js",
            "noext-ff74e2f767e3fa60",
        ] {
            assert_eq!(cache_control(name), NO_CACHE, "{name}");
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
