//! The server's resilience figures: idle connections held while /healthz stays fast
//! ([`held`]), and memory under an upload flood in forward and fake mode ([`flood`]).

use std::net::SocketAddr;
use std::path::Path;

use super::{flood, held, start_proxy, start_server, Args};

/// Idle connections held while /healthz stays fast, and memory under an upload flood.
pub async fn run(
    args: &Args,
    stub: SocketAddr,
    tokens: &Path,
    flooder: &str,
    dir: &Path,
) -> Result<(), String> {
    // This process holds up to 4,000 sockets.
    let _ = continuity_server::transport::nofile::raise();
    println!(
        "\n== Idle connections (sending nothing) held by the proxy while /healthz is timed (200 \
         requests, each on a new connection; the server started with 1,024 open files)"
    );
    println!(
        "{:>10} {:>8} {:>12} {:>12} {:>14}",
        "opened", "held", "p50 ms", "p99 ms", "healthz failed"
    );
    let proxy = start_proxy(args, stub, tokens, None, &dir.join("proxy-held.log"))?;
    let mut best = 0;
    for n in [250, 500, 1000, 2000, 4000] {
        let s = held::step(proxy.addr, n).await;
        println!(
            "{:>10} {:>8} {:>12.3} {:>12.3} {:>14}",
            s.asked, s.held, s.p50, s.p99, s.failed
        );
        if s.failed == 0 && s.p99 < 100.0 {
            best = best.max(s.held);
        }
    }
    println!("held while /healthz p99 < 100 ms (and none failed): {best} connections");
    drop(proxy);

    println!(
        "\n== Upload flood: 30 multipart edits of 50 MB at once (peak resident memory, VmHWM)"
    );
    let proxy = start_proxy(args, stub, tokens, None, &dir.join("proxy-flood.log"))?;
    let before = flood::peak_rss_mb(proxy.child.id());
    let statuses = flood::flood(proxy.addr, flooder).await;
    println!(
        "forward mode, one token (4 in flight, budgeted): {:.0} MB at rest, peak {:.0} MB; {}",
        before,
        flood::peak_rss_mb(proxy.child.id()),
        flood::describe(&statuses)
    );
    drop(proxy);
    let fake = start_server(
        args,
        &["--provider", "fake", "--fake-latency-ms", "0"],
        tokens,
        None,
        &dir.join("fake-flood.log"),
    )?;
    let before = flood::peak_rss_mb(fake.child.id());
    let statuses = flood::flood(fake.addr, flooder).await;
    println!(
        "fake mode (no tokens): {:.0} MB at rest, peak {:.0} MB; {}",
        before,
        flood::peak_rss_mb(fake.child.id()),
        flood::describe(&statuses)
    );
    Ok(())
}
