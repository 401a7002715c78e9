//! Sends a report's findings to syslog (`--syslog`), after the report itself is out: a collector that is
//! down or refuses costs a warning on stderr, never the report or the exit code.

use std::io;
use std::net::{ToSocketAddrs, UdpSocket};
use std::os::unix::net::UnixDatagram;

use netattest::report::Report;
use netattest::report::syslog::{Origin, Target, messages};

/// Sends one message per finding to `target`; failures are warnings.
pub(crate) fn forward(report: &Report, target: &Target) {
    let origin = Origin {
        hostname: hostname(),
        procid: std::process::id(),
    };
    let messages = messages(report, &origin);
    if messages.is_empty() {
        return;
    }
    match send(target, &messages) {
        Ok(()) => tracing::info!("sent {} finding(s) to syslog {target}", messages.len()),
        Err((sent, e)) => eprintln!(
            "warning: syslog {target}: {e}; {sent} of {} finding(s) sent (the report is complete)",
            messages.len()
        ),
    }
}

/// On failure: how many went out before it, and why.
fn send(target: &Target, messages: &[String]) -> Result<(), (usize, io::Error)> {
    match target {
        Target::Udp { host, port } => {
            let addr = (host.as_str(), *port)
                .to_socket_addrs()
                .map_err(|e| (0, e))?
                .next()
                .ok_or_else(|| (0, io::Error::other("the host name resolves to no address")))?;
            let local = if addr.is_ipv4() {
                "0.0.0.0:0"
            } else {
                "[::]:0"
            };
            let socket = UdpSocket::bind(local).map_err(|e| (0, e))?;
            // Connected, so an ICMP port-unreachable from a closed port surfaces on the next send.
            socket.connect(addr).map_err(|e| (0, e))?;
            for (i, m) in messages.iter().enumerate() {
                socket.send(m.as_bytes()).map_err(|e| (i, e))?;
            }
        }
        Target::Unix(path) => {
            let socket = UnixDatagram::unbound().map_err(|e| (0, e))?;
            socket.connect(path).map_err(|e| (0, e))?;
            for (i, m) in messages.iter().enumerate() {
                socket.send(m.as_bytes()).map_err(|e| (i, e))?;
            }
        }
    }
    Ok(())
}

/// The audit host's name as the kernel has it; the header's NILVALUE when it cannot be read.
fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_owned())
        .unwrap_or_default()
}
