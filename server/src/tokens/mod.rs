//! Access tokens for forward mode.
//!
//! A token is `ct_` followed by 43 base64url characters (256 random bits). The server keeps
//! only `HMAC-SHA256(secret, token)`, so neither the tokens file nor a log can give a token
//! back, and the file alone (without the secret) cannot even be used to test guesses offline.
//! Lookups compare every stored hash in constant time.
//!
//! Storage: one small JSON file (default `continuity-tokens.json`) plus a secret file beside
//! it (`continuity-tokens.secret`, or `$CONTINUITY_TOKEN_SECRET`). A file rather than SQLite:
//! a deployment has tens of tokens that fit in memory, writes happen only on `token create` /
//! `token revoke` (atomically, by rename), the file can be read, diffed and backed up, several
//! replicas can mount the same copy read-only, and no C library joins the build. The counters
//! that change on every request live in memory or Redis, never in this file.

pub mod command;
pub mod spec;

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, SystemTime};

use base64::Engine as _;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use subtle::ConstantTimeEq;

pub use spec::{Budget, Rate};

/// Every token starts with this (so secret scanners and people recognise one).
pub const TOKEN_PREFIX: &str = "ct_";
/// Random bytes in a token.
const TOKEN_BYTES: usize = 32;
/// Characters in a token: the prefix plus unpadded base64url of 32 bytes.
const TOKEN_LEN: usize = 3 + 43;
/// Environment variable that may hold the secret (64 hex digits) instead of a file.
pub const SECRET_ENV: &str = "CONTINUITY_TOKEN_SECRET";
/// Default tokens file, relative to the working directory.
pub const DEFAULT_TOKENS_FILE: &str = "continuity-tokens.json";

/// Per-token limits; `None` means unlimited.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limits {
    /// Requests per period.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate: Option<Rate>,
    /// Requests in flight at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub concurrency: Option<u32>,
    /// Spend per UTC day.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget: Option<Budget>,
}

/// One token as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenRecord {
    /// Random id (16 hex digits): the key of its counters. Never the token.
    pub id: String,
    /// The label shown in logs and `token list`.
    pub name: String,
    /// Hex `HMAC-SHA256(secret, token)`.
    pub hash: String,
    /// Creation time, Unix seconds.
    pub created: u64,
    /// Revocation time, Unix seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked: Option<u64>,
    /// Limits.
    #[serde(default)]
    pub limits: Limits,
}

/// The tokens file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenFile {
    /// Format version (1).
    pub version: u32,
    /// Every token ever created, revoked ones included (their names and ids stay reserved
    /// for the log's sake until removed by hand).
    pub tokens: Vec<TokenRecord>,
}

impl TokenFile {
    /// Reads `path`; a missing file is an empty list.
    pub fn load(path: &Path) -> Result<Self, String> {
        match fs::read(path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map_err(|e| format!("{} is not a valid tokens file: {e}", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self {
                version: 1,
                tokens: Vec::new(),
            }),
            Err(e) => Err(format!("cannot read {}: {e}", path.display())),
        }
    }

    /// Writes `path` atomically (temporary file + rename), readable by the owner only.
    pub fn save(&self, path: &Path) -> Result<(), String> {
        let json = serde_json::to_vec_pretty(self).map_err(|e| e.to_string())?;
        write_private(path, &json)
    }
}

/// Writes `bytes` to `path` through a temporary file in the same directory and a rename, with
/// mode 0600 on Unix.
pub fn write_private(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty());
    let name = path
        .file_name()
        .map_or("tokens".into(), |n| n.to_string_lossy());
    let tmp = dir
        .unwrap_or(Path::new("."))
        .join(format!(".{name}.tmp.{}", std::process::id()));
    let mut options = fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let result = options
        .open(&tmp)
        .and_then(|mut f| f.write_all(bytes).and_then(|()| f.sync_all()))
        .and_then(|()| fs::rename(&tmp, path));
    result.map_err(|e| {
        let _ = fs::remove_file(&tmp);
        format!("cannot write {}: {e}", path.display())
    })
}

/// The server secret that keys token hashes. Never printed.
#[derive(Clone)]
pub struct Secret([u8; 32]);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl Secret {
    /// Parses 64 hex digits.
    pub fn from_hex(text: &str) -> Option<Self> {
        let text = text.trim();
        if text.len() != 64 {
            return None;
        }
        let mut out = [0u8; 32];
        for (i, byte) in out.iter_mut().enumerate() {
            *byte = u8::from_str_radix(text.get(2 * i..2 * i + 2)?, 16).ok()?;
        }
        Some(Self(out))
    }

    /// `$CONTINUITY_TOKEN_SECRET` if set, else the file at `path` if it exists.
    pub fn load(path: &Path) -> Result<Option<Self>, String> {
        if let Ok(value) = std::env::var(SECRET_ENV) {
            return Self::from_hex(&value)
                .map(Some)
                .ok_or_else(|| format!("${SECRET_ENV} must be 64 hex digits"));
        }
        match fs::read_to_string(path) {
            Ok(text) => Self::from_hex(&text)
                .map(Some)
                .ok_or_else(|| format!("{} must hold 64 hex digits", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(format!("cannot read {}: {e}", path.display())),
        }
    }

    /// Like [`Secret::load`], creating a new random secret file (mode 0600) if there is none.
    pub fn load_or_create(path: &Path) -> Result<Self, String> {
        if let Some(secret) = Self::load(path)? {
            return Ok(secret);
        }
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(|e| format!("no OS randomness: {e}"))?;
        let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        write_private(path, format!("{hex}\n").as_bytes())?;
        Ok(Self(bytes))
    }

    /// `HMAC-SHA256(secret, token)`.
    pub fn hash(&self, token: &str) -> [u8; 32] {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.0).expect("any key length");
        mac.update(token.as_bytes());
        mac.finalize().into_bytes().into()
    }
}

/// The secret file that belongs to a tokens file: same name, extension `.secret`.
pub fn default_secret_path(tokens_file: &Path) -> PathBuf {
    tokens_file.with_extension("secret")
}

/// A new random token.
pub fn generate_token() -> Result<String, String> {
    let mut bytes = [0u8; TOKEN_BYTES];
    getrandom::fill(&mut bytes).map_err(|e| format!("no OS randomness: {e}"))?;
    Ok(format!(
        "{TOKEN_PREFIX}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    ))
}

/// A new random counter id (16 hex digits).
pub fn generate_id() -> Result<String, String> {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).map_err(|e| format!("no OS randomness: {e}"))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// Whether `name` is a valid token label: 1–64 of `A-Z a-z 0-9 . _ -`, starting with a letter
/// or digit (names go into log lines, so nothing that could forge one).
pub fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name.as_bytes()[0].is_ascii_alphanumeric()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// What the server knows about a token while answering a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenInfo {
    /// Counter id.
    pub id: String,
    /// Label for logs and messages.
    pub name: String,
    /// Limits.
    pub limits: Limits,
}

/// The result of looking a presented token up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    /// A live token.
    Valid(Arc<TokenInfo>),
    /// A token that existed and was revoked.
    Revoked(Arc<TokenInfo>),
    /// Not a token of this server.
    Unknown,
}

/// The in-memory table of token hashes.
#[derive(Debug, Default)]
pub struct TokenTable {
    secret: Option<Secret>,
    entries: Vec<([u8; 32], bool, Arc<TokenInfo>)>,
}

impl TokenTable {
    /// Builds the table from a file's records. Fails if there are tokens but no secret.
    pub fn new(file: &TokenFile, secret: Option<Secret>) -> Result<Self, String> {
        if secret.is_none() && !file.tokens.is_empty() {
            return Err(format!(
                "the tokens file has tokens but there is no secret (file or ${SECRET_ENV})"
            ));
        }
        let mut entries = Vec::with_capacity(file.tokens.len());
        for record in &file.tokens {
            let hash = Secret::from_hex(&record.hash)
                .ok_or_else(|| format!("token {:?} has a malformed hash", record.name))?
                .0;
            let info = TokenInfo {
                id: record.id.clone(),
                name: record.name.clone(),
                limits: record.limits.clone(),
            };
            entries.push((hash, record.revoked.is_some(), Arc::new(info)));
        }
        Ok(Self { secret, entries })
    }

    /// Number of live (unrevoked) tokens.
    pub fn live(&self) -> usize {
        self.entries
            .iter()
            .filter(|(_, revoked, _)| !revoked)
            .count()
    }

    /// Looks up a presented token, comparing against every stored hash in constant time.
    pub fn lookup(&self, presented: &str) -> Lookup {
        let Some(secret) = &self.secret else {
            return Lookup::Unknown;
        };
        // The shape check reveals nothing secret: every real token has this shape.
        if presented.len() != TOKEN_LEN || !presented.starts_with(TOKEN_PREFIX) {
            return Lookup::Unknown;
        }
        let hash = secret.hash(presented);
        let mut found = None;
        for (stored, revoked, info) in &self.entries {
            if bool::from(stored.ct_eq(&hash)) {
                found = Some((*revoked, info));
            }
        }
        match found {
            Some((false, info)) => Lookup::Valid(Arc::clone(info)),
            Some((true, info)) => Lookup::Revoked(Arc::clone(info)),
            None => Lookup::Unknown,
        }
    }
}

/// Identity of a file version: a change of any part means "reload".
type Stamp = Option<(SystemTime, u64, u64)>;

fn stamp(path: &Path) -> Stamp {
    let meta = fs::metadata(path).ok()?;
    #[cfg(unix)]
    let ino = std::os::unix::fs::MetadataExt::ino(&meta);
    #[cfg(not(unix))]
    let ino = 0;
    Some((meta.modified().ok()?, meta.len(), ino))
}

/// The running server's view of the tokens file, reloaded when the file changes, so that
/// `token create` and `token revoke` take effect without a restart.
#[derive(Debug)]
pub struct TokenStore {
    path: PathBuf,
    secret_path: PathBuf,
    table: RwLock<Arc<TokenTable>>,
    stamp: Mutex<Stamp>,
}

/// How often a running server looks at the tokens file (a revocation takes effect within it).
pub const RELOAD_EVERY: Duration = Duration::from_millis(500);

impl TokenStore {
    /// Loads the tokens file and its secret.
    pub fn open(path: PathBuf, secret_path: PathBuf) -> Result<Self, String> {
        let store = Self {
            path,
            secret_path,
            table: RwLock::new(Arc::new(TokenTable::default())),
            stamp: Mutex::new(None),
        };
        store.reload()?;
        Ok(store)
    }

    /// A store with no tokens (forward mode without a tokens file, and tests).
    pub fn empty() -> Self {
        Self {
            path: PathBuf::new(),
            secret_path: PathBuf::new(),
            table: RwLock::new(Arc::new(TokenTable::default())),
            stamp: Mutex::new(None),
        }
    }

    /// The tokens file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The current table.
    pub fn current(&self) -> Arc<TokenTable> {
        Arc::clone(&self.table.read().unwrap_or_else(|e| e.into_inner()))
    }

    /// Re-reads the file and the secret.
    fn reload(&self) -> Result<(), String> {
        let before = stamp(&self.path);
        let file = TokenFile::load(&self.path)?;
        let table = TokenTable::new(&file, Secret::load(&self.secret_path)?)?;
        *self.table.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(table);
        *self.stamp.lock().unwrap_or_else(|e| e.into_inner()) = before;
        Ok(())
    }

    /// Reloads if the file changed since the last load. On a broken file the previous table
    /// stays in force and the error is returned (the server logs it).
    pub fn reload_if_changed(&self) -> Result<bool, String> {
        if self.path.as_os_str().is_empty() {
            return Ok(false);
        }
        let now = stamp(&self.path);
        if now == *self.stamp.lock().unwrap_or_else(|e| e.into_inner()) {
            return Ok(false);
        }
        self.reload().map(|()| true)
    }

    /// Spawns the task that watches the file (if there is a file and a Tokio runtime).
    pub fn spawn_watcher(self: &Arc<Self>) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        if self.path.as_os_str().is_empty() {
            return;
        }
        let store = Arc::clone(self);
        runtime.spawn(async move {
            let mut last_error = None;
            loop {
                tokio::time::sleep(RELOAD_EVERY).await;
                match store.reload_if_changed() {
                    Ok(true) => {
                        last_error = None;
                        eprintln!("tokens: reloaded {}", store.path.display());
                    }
                    Ok(false) => {}
                    Err(e) => {
                        if last_error.as_ref() != Some(&e) {
                            eprintln!("tokens: keeping the previous tokens: {e}");
                        }
                        last_error = Some(e);
                    }
                }
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(secret: &Secret, token: &str, name: &str, revoked: bool) -> TokenRecord {
        TokenRecord {
            id: generate_id().expect("id"),
            name: name.into(),
            hash: secret
                .hash(token)
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect(),
            created: 1,
            revoked: revoked.then_some(2),
            limits: Limits::default(),
        }
    }

    #[test]
    fn tokens_are_256_bit_and_prefixed() {
        let a = generate_token().expect("token");
        let b = generate_token().expect("token");
        assert_ne!(a, b);
        assert_eq!(a.len(), TOKEN_LEN);
        assert!(a.starts_with(TOKEN_PREFIX));
        let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(&a[3..])
            .expect("base64url");
        assert_eq!(raw.len(), 32);
    }

    #[test]
    fn lookup_finds_live_revoked_and_unknown() {
        let secret = Secret::from_hex(&"ab".repeat(32)).expect("hex");
        let (live, old) = (generate_token().expect("t"), generate_token().expect("t"));
        let file = TokenFile {
            version: 1,
            tokens: vec![
                record(&secret, &live, "alice", false),
                record(&secret, &old, "bob", true),
            ],
        };
        let table = TokenTable::new(&file, Some(secret.clone())).expect("table");
        assert_eq!(table.live(), 1);
        assert!(matches!(table.lookup(&live), Lookup::Valid(i) if i.name == "alice"));
        assert!(matches!(table.lookup(&old), Lookup::Revoked(i) if i.name == "bob"));
        assert_eq!(table.lookup(&generate_token().expect("t")), Lookup::Unknown);
        assert_eq!(table.lookup("sk-not-a-token"), Lookup::Unknown);
        // One character off is unknown.
        let mut near = live.clone();
        near.replace_range(10..11, if &live[10..11] == "A" { "B" } else { "A" });
        assert_eq!(table.lookup(&near), Lookup::Unknown);
        // Another secret gives other hashes: the file alone does not verify tokens.
        let other = Secret::from_hex(&"cd".repeat(32)).expect("hex");
        let table = TokenTable::new(&file, Some(other)).expect("table");
        assert_eq!(table.lookup(&live), Lookup::Unknown);
        assert!(TokenTable::new(&file, None).is_err());
    }

    #[test]
    fn names_are_log_safe() {
        for ok in ["alice", "team-a.ci_1", "B"] {
            assert!(valid_name(ok), "{ok}");
        }
        for bad in ["", "-x", "a b", "a\nb", "ä", "x=y", &"a".repeat(65)] {
            assert!(!valid_name(bad), "{bad:?}");
        }
    }

    #[test]
    fn secret_never_prints() {
        let secret = Secret::from_hex(&"ab".repeat(32)).expect("hex");
        assert_eq!(format!("{secret:?}"), "Secret(***)");
        assert!(Secret::from_hex("zz").is_none());
    }
}
