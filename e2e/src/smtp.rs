//! A small SMTP server on loopback that keeps what it receives: the far end of a real SMTP
//! conversation for tests of the emails Ledgerbridge sends. It speaks just what a plain
//! client needs (EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT) and can be told to refuse
//! the next messages with a temporary error, as a full mailbox or a greylisting server would.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One message as delivered.
#[derive(Debug, Clone)]
pub struct Delivered {
    pub from: String,
    pub recipients: Vec<String>,
    /// The message as sent after DATA (headers and MIME body), dot-unstuffed.
    pub data: String,
}

#[derive(Default)]
struct Shared {
    delivered: Mutex<Vec<Delivered>>,
    refuse: AtomicUsize,
    refused: AtomicUsize,
}

pub struct SmtpSink {
    pub port: u16,
    shared: Arc<Shared>,
}

impl SmtpSink {
    /// Listens on a free loopback port, each client served on its own thread.
    pub fn start() -> SmtpSink {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
        let port = listener.local_addr().expect("its address").port();
        let shared = Arc::new(Shared::default());
        let accepting = shared.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let shared = accepting.clone();
                std::thread::spawn(move || {
                    let _ = serve(stream, &shared);
                });
            }
        });
        SmtpSink { port, shared }
    }

    /// Answers the next `count` messages with `451` (try again later) instead of taking them.
    pub fn refuse_next(&self, count: usize) {
        self.shared.refuse.store(count, Ordering::SeqCst);
    }

    /// How many messages were refused so far.
    pub fn refused(&self) -> usize {
        self.shared.refused.load(Ordering::SeqCst)
    }

    pub fn delivered(&self) -> Vec<Delivered> {
        self.shared.delivered.lock().map(|d| d.clone()).unwrap_or_default()
    }

    /// Waits until at least `count` messages arrived; panics after `timeout`.
    pub fn wait_for(&self, count: usize, timeout: Duration) -> Vec<Delivered> {
        let deadline = Instant::now() + timeout;
        loop {
            let delivered = self.delivered();
            if delivered.len() >= count {
                return delivered;
            }
            assert!(Instant::now() < deadline, "{} of {count} emails arrived in {timeout:?}", delivered.len());
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

fn address(argument: &str) -> String {
    let start = argument.find('<').map_or(0, |i| i + 1);
    let end = argument.rfind('>').unwrap_or(argument.len());
    argument.get(start..end).unwrap_or_default().to_owned()
}

fn serve(stream: TcpStream, shared: &Shared) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(60)))?;
    let mut out = stream.try_clone()?;
    let mut lines = BufReader::new(stream);
    out.write_all(b"220 sink.test ESMTP ready\r\n")?;
    let (mut from, mut recipients) = (String::new(), Vec::new());
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let command = line.trim_end();
        let verb = command.split(' ').next().unwrap_or_default().to_ascii_uppercase();
        let argument = command.get(verb.len()..).unwrap_or_default().trim();
        match verb.as_str() {
            "EHLO" => out.write_all(b"250-sink.test\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n")?,
            "HELO" | "NOOP" => out.write_all(b"250 OK\r\n")?,
            "RSET" => {
                (from, recipients) = (String::new(), Vec::new());
                out.write_all(b"250 OK\r\n")?
            }
            "MAIL" => {
                let refuse =
                    shared.refuse.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok();
                if refuse {
                    shared.refused.fetch_add(1, Ordering::SeqCst);
                    out.write_all(b"451 4.3.2 Please try again later\r\n")?;
                } else {
                    from = address(argument);
                    out.write_all(b"250 OK\r\n")?;
                }
            }
            "RCPT" => {
                recipients.push(address(argument));
                out.write_all(b"250 OK\r\n")?
            }
            "DATA" => {
                out.write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")?;
                let mut data = String::new();
                loop {
                    line.clear();
                    if lines.read_line(&mut line)? == 0 {
                        return Ok(());
                    }
                    if line == ".\r\n" || line == ".\n" {
                        break;
                    }
                    data.push_str(line.strip_prefix('.').unwrap_or(&line));
                }
                let message =
                    Delivered { from: std::mem::take(&mut from), recipients: std::mem::take(&mut recipients), data };
                if let Ok(mut delivered) = shared.delivered.lock() {
                    delivered.push(message);
                }
                out.write_all(b"250 OK queued\r\n")?
            }
            "QUIT" => {
                out.write_all(b"221 Bye\r\n")?;
                return Ok(());
            }
            _ => out.write_all(b"502 Command not implemented\r\n")?,
        }
    }
}
