//! The link between two peers: a TCP relay on 127.0.0.1 that holds every chunk of data
//! for half the round-trip time in each direction, and counts the bytes it carries. Both
//! systems connect through it the same way, so their bytes are counted alike (what TCP
//! carries: framing and encryption included, TCP/IP headers not).
//!
//! A relay in user space, not netem: this machine's kernel has no netem qdisc
//! (CONFIG_NET_SCH_NETEM is not set). Connection set-up through the relay is instant (its
//! accept and its own connect are local); only data waits, which is what the round trips
//! of a sync protocol are made of. Delivery is never slowed beyond the delay: chunks are
//! forwarded as they come, each at its own due time.

use std::io::{Read as _, Write as _};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result};

/// A relay to one target, until dropped.
#[derive(Debug)]
pub(crate) struct Link {
    address: SocketAddr,
    bytes: Arc<AtomicU64>,
    stopped: Arc<AtomicBool>,
}

impl Link {
    /// Relays connections on a fresh 127.0.0.1 port to `target`, `rtt_ms` round trip.
    pub(crate) fn start(target: SocketAddr, rtt_ms: f64) -> Result<Link> {
        let listener = TcpListener::bind("127.0.0.1:0").context("binding the link's port")?;
        let address = listener.local_addr()?;
        let bytes = Arc::new(AtomicU64::new(0));
        let stopped = Arc::new(AtomicBool::new(false));
        let one_way = Duration::from_secs_f64(rtt_ms / 2000.0);
        let (count, stop) = (Arc::clone(&bytes), Arc::clone(&stopped));
        std::thread::spawn(move || {
            for inbound in listener.incoming() {
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                let Ok(inbound) = inbound else { continue };
                let Ok(outbound) = TcpStream::connect(target) else {
                    continue;
                };
                let _ = inbound.set_nodelay(true);
                let _ = outbound.set_nodelay(true);
                let (Ok(inbound2), Ok(outbound2)) = (inbound.try_clone(), outbound.try_clone())
                else {
                    continue;
                };
                let port = target.port();
                relay(inbound, outbound2, one_way, Arc::clone(&count), (port, "→"));
                relay(outbound, inbound2, one_way, Arc::clone(&count), (port, "←"));
            }
        });
        Ok(Link {
            address,
            bytes,
            stopped,
        })
    }

    /// Where to connect to reach the target through the link.
    pub(crate) fn address(&self) -> SocketAddr {
        self.address
    }

    /// Bytes carried so far, both directions.
    pub(crate) fn bytes(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }
}

impl Drop for Link {
    fn drop(&mut self) {
        self.stopped.store(true, Ordering::Relaxed);
        // Wakes the accepting thread, which then sees the flag.
        let _ = TcpStream::connect(self.address);
    }
}

/// Carries one direction: a reader stamps each chunk with its due time, a writer hands it
/// on when due. Ends (closing the write side) when the source ends.
fn relay(
    mut from: TcpStream,
    mut to: TcpStream,
    delay: Duration,
    bytes: Arc<AtomicU64>,
    (port, direction): (u16, &'static str),
) {
    let (chunks, due) = mpsc::channel::<(Instant, Vec<u8>)>();
    // For finding out what a figure is made of: every chunk, as it passes.
    let trace = crate::tracing();
    let started = Instant::now();
    std::thread::spawn(move || {
        let mut buf = vec![0; 64 * 1024];
        while let Ok(n) = from.read(&mut buf) {
            if n == 0 {
                break;
            }
            bytes.fetch_add(n as u64, Ordering::Relaxed);
            if trace {
                let at = started.elapsed().as_secs_f64() * 1000.0;
                eprintln!("link to :{port} {direction} {n:>7} B at {at:>9.1} ms");
            }
            if chunks
                .send((Instant::now() + delay, buf[..n].to_vec()))
                .is_err()
            {
                break;
            }
        }
    });
    std::thread::spawn(move || {
        for (at, chunk) in due {
            let wait = at.saturating_duration_since(Instant::now());
            if !wait.is_zero() {
                std::thread::sleep(wait);
            }
            if to.write_all(&chunk).is_err() {
                break;
            }
        }
        let _ = to.shutdown(Shutdown::Write);
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_link_delays_and_counts_what_it_carries() -> Result<()> {
        let echo = TcpListener::bind("127.0.0.1:0")?;
        let target = echo.local_addr()?;
        std::thread::spawn(move || {
            if let Ok((mut s, _)) = echo.accept() {
                let mut buf = [0; 5];
                if s.read_exact(&mut buf).is_ok() {
                    let _ = s.write_all(&buf);
                }
            }
        });
        let link = Link::start(target, 40.0)?;
        let mut client = TcpStream::connect(link.address())?;
        let started = Instant::now();
        client.write_all(b"hello")?;
        let mut back = [0; 5];
        client.read_exact(&mut back)?;
        assert_eq!(&back, b"hello");
        // One round trip: 20 ms out, 20 ms back (sleep may overshoot, never undershoot).
        assert!(started.elapsed() >= Duration::from_millis(40));
        assert_eq!(link.bytes(), 10);
        Ok(())
    }
}
