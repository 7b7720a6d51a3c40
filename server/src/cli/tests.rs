//! The command line: defaults, validation, and a `--help` that documents every flag.

use super::*;
use crate::fake::faults::FAULT_NAMES;
use clap::CommandFactory;

fn parse(args: &[&str]) -> Cli {
    Cli::try_parse_from(std::iter::once("continuity-server").chain(args.iter().copied()))
        .expect("valid arguments")
}

#[test]
fn defaults() {
    let cli = parse(&[]);
    assert_eq!(cli.addr.to_string(), "127.0.0.1:8080");
    assert_eq!(cli.dist, PathBuf::from("dist"));
    assert_eq!(cli.max_body_mb, 64);
    let config = cli.into_config(None).expect("fake needs no key");
    assert_eq!(config.provider.name(), "fake");
    assert_eq!(config.max_body_bytes, 64 * 1024 * 1024);
}

#[test]
fn provider_follows_the_key() {
    let config = parse(&[])
        .into_config(Some("sk-x".into()))
        .expect("key present");
    assert_eq!(config.provider.name(), "openai");
    let config = parse(&[])
        .into_config(Some(" ".into()))
        .expect("blank key = none");
    assert_eq!(config.provider.name(), "fake");
    let err = parse(&["--provider", "openai"])
        .into_config(None)
        .expect_err("no key");
    assert!(err.contains("OPENAI_API_KEY"));
    let config = parse(&["--provider", "fake"])
        .into_config(Some("sk-x".into()))
        .expect("ok");
    assert_eq!(config.provider.name(), "fake");
}

#[test]
fn command_line_is_consistent() {
    Cli::command().debug_assert();
    let cli = parse(&[
        "token", "create", "--name", "a", "--tokens", "t.json", "--rate", "3/min",
    ]);
    match cli.command {
        Some(Command::Token {
            action: TokenAction::Create { name, rate, .. },
            store,
        }) => {
            assert_eq!(name, "a");
            assert_eq!(rate, Rate::parse("3/min").ok());
            assert_eq!(store.tokens, PathBuf::from("t.json"));
            assert_eq!(store.secret_path(), PathBuf::from("t.secret"));
        }
        other => panic!("{other:?}"),
    }
    assert!(Cli::try_parse_from([
        "continuity-server",
        "token",
        "create",
        "--name",
        "a",
        "--rate",
        "3/week"
    ])
    .is_err());
}

#[test]
fn tokens_are_required_on_every_address() {
    let dir = std::env::temp_dir().join(format!("continuity-cli-test-{}", std::process::id()));
    let tokens = dir.join("none.json");
    let tokens = tokens.to_str().expect("utf-8");
    let config = |args: &[&str]| {
        parse(
            &[
                &[
                    "--tokens",
                    tokens,
                    "--state-dir",
                    "/nonexistent-continuity-state",
                ],
                args,
            ]
            .concat(),
        )
        .into_config(Some("sk-x".into()))
    };
    let forward = |args: &[&str]| match config(args).expect("ok").provider {
        Provider::OpenAi(f) => f.access,
        Provider::Fake(_) => panic!("forward mode"),
    };
    assert!(forward(&[]).token_required());
    assert!(forward(&["--allow-origin", "https://images.example.com"]).token_required());
    assert!(forward(&["--addr", "0.0.0.0:8080"]).token_required());
    assert!(forward(&["--require-token"]).token_required());
    assert!(config(&["--require-token", "false"])
        .expect_err("use --allow-anonymous")
        .contains("--allow-anonymous"));
    // Anonymous on loopback for loopback pages: allowed (with a warning at start).
    assert!(!forward(&["--allow-anonymous"]).token_required());
    assert!(!forward(&[
        "--allow-anonymous",
        "--allow-origin",
        "http://localhost:5173"
    ])
    .token_required());
    // Reachable from the internet: only with a server-wide budget.
    for public in [
        &["--allow-origin", "https://images.example.com"][..],
        &["--addr", "0.0.0.0:8080"][..],
    ] {
        let err = config(&[&["--allow-anonymous"], public].concat()).expect_err("refused");
        assert!(err.contains("--budget-usd"), "{err}");
        let access = forward(&[&["--allow-anonymous", "--budget-usd", "20/day"], public].concat());
        assert_eq!(access.global_budget, Budget::parse("20/day").ok());
    }
    let err = parse(&["--tokens", tokens, "--allow-origin", "nope"])
        .into_config(Some("sk-x".into()))
        .expect_err("bad origin");
    assert!(err.contains("--allow-origin"));
}

#[test]
fn transport_flags() {
    let t = parse(&[]).transport();
    assert_eq!(t.header_timeout, Duration::from_secs(10));
    assert_eq!(t.idle_timeout, Duration::from_secs(75));
    assert_eq!((t.max_connections, t.max_per_ip), (4096, 256));
    let t = parse(&[
        "--header-timeout-s",
        "2",
        "--max-connections-per-ip",
        "3",
        "--trust-forwarded-for",
        "127.0.0.1",
    ])
    .transport();
    assert_eq!(t.header_timeout, Duration::from_secs(2));
    assert_eq!(t.max_per_ip, 3);
    assert_eq!(
        t.trusted_proxies,
        vec!["127.0.0.1".parse::<std::net::IpAddr>().expect("ip")]
    );
    assert!(Cli::try_parse_from(["continuity-server", "--trust-forwarded-for", "proxy"]).is_err());
    assert_eq!(
        parse(&["--tokens", "/a/b/t.json"]).state_dir(),
        PathBuf::from("/a/b")
    );
    assert_eq!(parse(&[]).state_dir(), PathBuf::from("."));
}

#[test]
fn help_documents_every_fault() {
    let help = Cli::command().render_long_help().to_string();
    for (name, _) in FAULT_NAMES {
        assert!(help.contains(name), "--help lacks {name}");
    }
    for flag in [
        "--dist",
        "--addr",
        "--provider",
        "--fake-latency-ms",
        "--upstream",
        "--max-body-mb",
        "--allow-origin",
        "--connect-src",
        "--allow-anonymous",
        "--budget-usd",
        "--state-dir",
        "--body-timeout-s",
        "--header-timeout-s",
        "--idle-timeout-s",
        "--max-connections",
        "--max-connections-per-ip",
        "--trust-forwarded-for",
        "--journal-allow-origin",
        "--tokens",
        "--redis-url",
        "--upstream-timeout-s",
        "--job-store-mb",
        "--max-file-mb",
        "--fake-batch-seconds",
        "X-Continuity-Job",
        "/v1/continuity/jobs/{id}",
        "/v1/batches/{id}/cancel",
        "job_id_in_use",
        "X-Continuity-Client",
        "budget_exceeded",
        "token create",
    ] {
        assert!(help.contains(flag), "--help lacks {flag}");
    }
}
