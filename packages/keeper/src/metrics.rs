//! The keeper's counters as Prometheus text (exposition format 0.0.4), and a tiny HTTP listener
//! that serves them on `GET /metrics`. Hand-rolled on `std::net`: one thread, one request per
//! connection, bounded reads, no dependency.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use crate::keeper::Counters;

/// The shared state the listener reads: the running totals and the last round's block.
#[derive(Clone, Debug, Default)]
pub struct MetricsState {
    pub totals: Counters,
    pub last_height: u64,
    pub last_round_time: u64,
}

/// Renders the counters in Prometheus' text format.
pub fn render(state: &MetricsState) -> String {
    let t = &state.totals;
    let counters: [(&str, &str, String); 13] = [
        ("rounds", "Keeper rounds run", t.rounds.to_string()),
        (
            "liquidations",
            "Successful Liquidate transactions",
            t.liquidations.to_string(),
        ),
        ("bids", "Successful Bid transactions", t.bids.to_string()),
        (
            "resets",
            "Successful Reset transactions",
            t.resets.to_string(),
        ),
        (
            "adl_steps",
            "Successful AdlStep transactions",
            t.adl_steps.to_string(),
        ),
        ("pokes", "Accounts poked", t.pokes.to_string()),
        ("pay_claims", "Keeper pay claims", t.pay_claims.to_string()),
        (
            "price_updates",
            "Standalone price refresh transactions",
            t.price_updates.to_string(),
        ),
        (
            "failed_txs",
            "Transactions that ran and failed",
            t.failed_txs.to_string(),
        ),
        (
            "skipped_by_simulation",
            "Transactions not sent because simulation failed",
            t.skipped_by_simulation.to_string(),
        ),
        (
            "errors",
            "Round phases cut short by errors",
            t.errors.to_string(),
        ),
        (
            "gas_used",
            "Gas used by the keeper's transactions",
            t.gas_used.to_string(),
        ),
        (
            "profit",
            "Expected profit of bids made, quote smallest units",
            t.profit.to_string(),
        ),
    ];
    let mut out = String::new();
    for (name, help, value) in counters {
        out.push_str(&format!(
            "# HELP ballast_keeper_{name}_total {help}\n# TYPE ballast_keeper_{name}_total counter\nballast_keeper_{name}_total {value}\n"
        ));
    }
    out.push_str(&format!(
        "# HELP ballast_keeper_last_round_height Block height of the last round\n# TYPE ballast_keeper_last_round_height gauge\nballast_keeper_last_round_height {}\n",
        state.last_height
    ));
    out.push_str(&format!(
        "# HELP ballast_keeper_last_round_time_seconds Block time of the last round\n# TYPE ballast_keeper_last_round_time_seconds gauge\nballast_keeper_last_round_time_seconds {}\n",
        state.last_round_time
    ));
    out
}

/// A running metrics listener; dropping it (or [`MetricsServer::stop`]) ends its thread.
pub struct MetricsServer {
    pub addr: SocketAddr,
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<()>>,
}

impl MetricsServer {
    /// Binds `addr` (e.g. `127.0.0.1:9464`; port 0 picks one) and serves `state`.
    pub fn start(addr: SocketAddr, state: Arc<Mutex<MetricsState>>) -> std::io::Result<Self> {
        let listener = TcpListener::bind(addr)?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let handle = std::thread::Builder::new()
            .name("metrics".into())
            .spawn(move || {
                while !flag.load(Ordering::Relaxed) {
                    match listener.accept() {
                        Ok((stream, _)) => {
                            if let Err(e) = answer(stream, &state) {
                                tracing::debug!(error = %e, "metrics request");
                            }
                        }
                        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                            std::thread::sleep(Duration::from_millis(25));
                        }
                        Err(e) => {
                            tracing::warn!(error = %e, "metrics accept");
                            std::thread::sleep(Duration::from_millis(100));
                        }
                    }
                }
            })?;
        Ok(MetricsServer {
            addr,
            stop,
            handle: Some(handle),
        })
    }

    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(handle) = self.handle.take() {
            let _ = handle.join();
        }
    }
}

impl Drop for MetricsServer {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// Reads one request (head only, at most 8 KiB, 2 s) and answers it.
fn answer(mut stream: TcpStream, state: &Mutex<MetricsState>) -> std::io::Result<()> {
    stream.set_nonblocking(false)?;
    stream.set_read_timeout(Some(Duration::from_secs(2)))?;
    stream.set_write_timeout(Some(Duration::from_secs(2)))?;
    let mut head = Vec::with_capacity(512);
    let mut buf = [0u8; 1024];
    while head.len() < 8192 && !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut buf)?;
        if n == 0 {
            break;
        }
        head.extend_from_slice(&buf[..n]);
    }
    let line = String::from_utf8_lossy(&head);
    let mut parts = line.split_whitespace();
    let (method, path) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let (status, content_type, body) = match (method, path) {
        ("GET", "/metrics") | ("GET", "/") => {
            let snapshot = state.lock().map(|s| s.clone()).unwrap_or_default();
            (
                "200 OK",
                "text/plain; version=0.0.4; charset=utf-8",
                render(&snapshot),
            )
        }
        ("GET", _) => ("404 Not Found", "text/plain", "not found\n".to_string()),
        _ => (
            "405 Method Not Allowed",
            "text/plain",
            "method not allowed\n".to_string(),
        ),
    };
    let response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(response.as_bytes())?;
    stream.flush()
}

#[cfg(test)]
mod tests {
    use super::*;
    use cosmwasm_std::Uint128;

    fn get(addr: SocketAddr, path: &str) -> String {
        let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(2)).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(2)))
            .unwrap();
        write!(stream, "GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n").unwrap();
        let mut out = String::new();
        stream.read_to_string(&mut out).unwrap();
        out
    }

    #[test]
    fn renders_every_counter_in_prometheus_text() {
        let state = MetricsState {
            totals: Counters {
                liquidations: 3,
                profit: Uint128::new(1_234),
                gas_used: 987_654,
                ..Default::default()
            },
            last_height: 42,
            last_round_time: 1_700_000_000,
        };
        let text = render(&state);
        assert!(text.contains("# TYPE ballast_keeper_liquidations_total counter\nballast_keeper_liquidations_total 3\n"));
        assert!(text.contains("ballast_keeper_profit_total 1234\n"));
        assert!(text.contains("ballast_keeper_gas_used_total 987654\n"));
        assert!(text.contains("ballast_keeper_last_round_height 42\n"));
        // every sample line is "name value"
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let parts: Vec<&str> = line.split(' ').collect();
            assert_eq!(parts.len(), 2, "{line}");
            assert!(parts[1].parse::<u128>().is_ok(), "{line}");
        }
    }

    #[test]
    fn serves_metrics_on_loopback() {
        let state = Arc::new(Mutex::new(MetricsState::default()));
        let server = MetricsServer::start("127.0.0.1:0".parse().unwrap(), state.clone()).unwrap();
        assert!(server.addr.ip().is_loopback());
        state.lock().unwrap().totals.bids = 5;
        let response = get(server.addr, "/metrics");
        assert!(response.starts_with("HTTP/1.1 200 OK\r\n"), "{response}");
        assert!(response.contains("text/plain; version=0.0.4"));
        assert!(response.contains("ballast_keeper_bids_total 5\n"));
        let body = response.split("\r\n\r\n").nth(1).unwrap();
        let length: usize = response
            .lines()
            .find_map(|l| l.strip_prefix("Content-Length: "))
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(body.len(), length);
        assert!(get(server.addr, "/nope").starts_with("HTTP/1.1 404"));
        server.stop();
    }
}
