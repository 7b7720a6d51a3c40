//! `continuity-server token create | list | revoke`: edits the tokens file. A running server
//! picks the change up within [`super::RELOAD_EVERY`].

use std::path::Path;

use super::spec::format_micros;
use super::{
    generate_id, generate_token, valid_name, Budget, Limits, Rate, Secret, TokenFile, TokenRecord,
};
use crate::cli::{StoreArgs, TokenAction};
use crate::clock;

/// What `token create` was asked for.
#[derive(Debug, Clone)]
pub struct CreateArgs {
    /// Label.
    pub name: String,
    /// Optional request rate.
    pub rate: Option<Rate>,
    /// Optional requests in flight at once.
    pub concurrency: Option<u32>,
    /// Optional daily budget.
    pub budget: Option<Budget>,
}

/// Creates a token; returns it (the only time it exists outside the caller's hands) and the
/// stored record.
pub fn create(
    tokens: &Path,
    secret_path: &Path,
    args: &CreateArgs,
) -> Result<(String, TokenRecord), String> {
    if !valid_name(&args.name) {
        return Err(format!(
            "invalid name {:?}: use 1-64 letters, digits, '.', '_' or '-', starting with a \
             letter or digit",
            args.name
        ));
    }
    if args.concurrency == Some(0) {
        return Err("--concurrency must be at least 1".into());
    }
    let mut file = TokenFile::load(tokens)?;
    if file
        .tokens
        .iter()
        .any(|t| t.name == args.name && t.revoked.is_none())
    {
        return Err(format!(
            "a live token named {:?} exists; revoke it first or pick another name",
            args.name
        ));
    }
    let secret = Secret::load_or_create(secret_path)?;
    let token = generate_token()?;
    let record = TokenRecord {
        id: generate_id()?,
        name: args.name.clone(),
        hash: secret
            .hash(&token)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect(),
        created: clock::unix_seconds(),
        revoked: None,
        limits: Limits {
            rate: args.rate,
            concurrency: args.concurrency,
            budget: args.budget,
        },
    };
    file.version = 1;
    file.tokens.push(record.clone());
    file.save(tokens)?;
    Ok((token, record))
}

/// Revokes the live token whose name or id is `who`.
pub fn revoke(tokens: &Path, who: &str) -> Result<TokenRecord, String> {
    let mut file = TokenFile::load(tokens)?;
    let record = file
        .tokens
        .iter_mut()
        .find(|t| t.revoked.is_none() && (t.name == who || t.id == who))
        .ok_or_else(|| format!("no live token named {who:?} in {}", tokens.display()))?;
    record.revoked = Some(clock::unix_seconds());
    let revoked = record.clone();
    file.save(tokens)?;
    Ok(revoked)
}

/// One line per limit set: `rate 30/min, 4 at once, budget $5.00/day`, or `no limits`.
pub fn describe_limits(limits: &Limits) -> String {
    let mut parts = Vec::new();
    if let Some(rate) = limits.rate {
        parts.push(format!("rate {rate}"));
    }
    if let Some(n) = limits.concurrency {
        parts.push(format!("{n} at once"));
    }
    if let Some(budget) = limits.budget {
        parts.push(format!(
            "budget {}/day (UTC)",
            format_micros(budget.micros_per_day)
        ));
    }
    if parts.is_empty() {
        "no limits".into()
    } else {
        parts.join(", ")
    }
}

/// The table `token list` prints: never a token or a hash.
pub fn list(tokens: &Path) -> Result<String, String> {
    let file = TokenFile::load(tokens)?;
    if file.tokens.is_empty() {
        return Ok(format!(
            "No tokens in {}. Create one with: continuity-server token create --name NAME\n",
            tokens.display()
        ));
    }
    let mut out = format!(
        "{:<24} {:<16} {:<20} {:<28} LIMITS\n",
        "NAME", "ID", "CREATED", "STATUS"
    );
    for t in &file.tokens {
        let status = match t.revoked {
            Some(at) => format!("revoked {}", clock::iso_utc(at)),
            None => "live".into(),
        };
        out.push_str(&format!(
            "{:<24} {:<16} {:<20} {:<28} {}\n",
            t.name,
            t.id,
            clock::iso_utc(t.created),
            status,
            describe_limits(&t.limits)
        ));
    }
    Ok(out)
}

/// Runs a `token` subcommand (`continuity-server token ...`).
pub fn run_token_command(action: TokenAction, store: &StoreArgs) -> Result<(), String> {
    let secret = store.secret_path();
    match action {
        TokenAction::Create {
            name,
            rate,
            concurrency,
            budget_usd,
        } => {
            let args = CreateArgs {
                name,
                rate,
                concurrency,
                budget: budget_usd,
            };
            let (token, record) = create(&store.tokens, &secret, &args)?;
            eprintln!(
                "Created access token {:?} (id {}; {}) in {}.\nIt is printed below once and \
                 cannot be shown again. In the app: Settings → This server → Access token.",
                record.name,
                record.id,
                describe_limits(&record.limits),
                store.tokens.display()
            );
            println!("{token}");
        }
        TokenAction::List => print!("{}", list(&store.tokens)?),
        TokenAction::Revoke { name } => {
            let record = revoke(&store.tokens, &name)?;
            eprintln!(
                "Revoked {:?} (id {}). A running server refuses it within a second.",
                record.name, record.id
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_read_like_sentences() {
        assert_eq!(describe_limits(&Limits::default()), "no limits");
        let limits = Limits {
            rate: Rate::parse("30/min").ok(),
            concurrency: Some(4),
            budget: Budget::parse("5/day").ok(),
        };
        assert_eq!(
            describe_limits(&limits),
            "rate 30/min, 4 at once, budget $5.00/day (UTC)"
        );
    }
}
