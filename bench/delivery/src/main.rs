//! The two helpers of `bench/delivery.sh`:
//!
//! - `delivery sink PORT EXPECT [delayed-ack]`: an SMTP server (mailin's state machine, a
//!   thread per connection) on 127.0.0.1:PORT that keeps nothing but counts messages and
//!   bytes; when EXPECT messages have arrived it prints
//!   `RESULT received=… avg_bytes=… first_to_last_s=… cpu_us_per_email=…` (its own CPU
//!   time so far over the messages) and goes on serving.
//!
//! Why not mailin-embedded as it is: lettre writes a message and then its final
//! `<CRLF>.<CRLF>` in two writes on a socket without TCP_NODELAY, so Nagle's algorithm
//! holds the five bytes until the server acknowledges the message, and a Linux server
//! delays that acknowledgement by up to 40 ms when the message fits in one segment (on
//! loopback, up to 64 KiB). Every send then takes ~40 ms: 4 connections, ~90 emails/s,
//! for roadshow and for the bare loop alike. This sink sets TCP_QUICKACK before each
//! read so it acknowledges at once and the senders are what is measured;
//! `delayed-ack` leaves the kernel's default to show the difference.
//! - `delivery bare PORT COUNT BYTES PARALLEL`: the least a sender can do, lettre's pooled
//!   `SmtpTransport` (PARALLEL connections, PARALLEL threads) building and sending COUNT
//!   messages of BYTES bytes each; prints `RESULT sent=… secs=… emails_per_s=… bytes=…
//!   cpu_us_per_email=…`. With `kept`, each thread keeps one lettre `SmtpConnection`
//!   and sends on it without the `NOOP` the pool sends before every message, as
//!   roadshow's worker does (`src/mail/relay.rs`).

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use lettre::message::header::ContentType;
use lettre::transport::smtp::client::SmtpConnection;
use lettre::transport::smtp::extension::ClientId;
use lettre::transport::smtp::PoolConfig;
use lettre::{Message, SmtpTransport, Transport};
use mailin::{response, Action, Handler, Response, SessionBuilder};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let num = |i: usize| -> u64 { args.get(i).and_then(|a| a.parse().ok()).unwrap_or_else(|| usage()) };
    match args.first().map(String::as_str) {
        Some("sink") => sink(
            num(1) as u16,
            num(2) as usize,
            args.get(3).map(String::as_str) != Some("delayed-ack"),
        ),
        Some("bare") => bare(
            num(1) as u16,
            num(2) as usize,
            num(3) as usize,
            num(4) as u32,
            args.get(5).map(String::as_str) == Some("kept"),
        ),
        _ => usage(),
    }
}

fn usage() -> ! {
    eprintln!("usage: delivery sink PORT EXPECT [delayed-ack] | delivery bare PORT COUNT BYTES PARALLEL [kept]");
    std::process::exit(2)
}

#[derive(Default)]
struct Tally {
    messages: AtomicUsize,
    bytes: AtomicU64,
    first: Mutex<Option<Instant>>,
    expect: usize,
}

#[derive(Clone)]
struct Counter {
    tally: Arc<Tally>,
    size: u64,
}

impl Handler for Counter {
    fn data_start(&mut self, _domain: &str, _from: &str, _is8bit: bool, _to: &[String]) -> Response {
        self.size = 0;
        response::OK
    }

    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.size += buf.len() as u64;
        Ok(())
    }

    fn data_end(&mut self) -> Response {
        let t = &self.tally;
        let first = *t
            .first
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get_or_insert_with(Instant::now);
        let bytes = t.bytes.fetch_add(self.size, Ordering::Relaxed) + self.size;
        let n = t.messages.fetch_add(1, Ordering::Relaxed) + 1;
        if n == t.expect {
            let mut out = std::io::stdout().lock();
            let _ = writeln!(
                out,
                "RESULT received={n} avg_bytes={} first_to_last_s={:.3} cpu_us_per_email={:.0}",
                bytes / n as u64,
                first.elapsed().as_secs_f64(),
                cpu_us() / n as f64
            );
            let _ = out.flush();
        }
        response::OK
    }
}

fn sink(port: u16, expect: usize, quick_ack: bool) {
    let listener = TcpListener::bind(("127.0.0.1", port)).unwrap_or_else(|e| {
        eprintln!("sink: cannot listen on 127.0.0.1:{port}: {e}");
        std::process::exit(1)
    });
    let tally = Arc::new(Tally {
        expect,
        ..Tally::default()
    });
    let builder = Arc::new(SessionBuilder::new("sink.bench"));
    for stream in listener.incoming().flatten() {
        let handler = Counter {
            tally: tally.clone(),
            size: 0,
        };
        let builder = builder.clone();
        std::thread::spawn(move || {
            // A dropped connection ends its session; nothing to report.
            let _ = session(stream, &builder, handler, quick_ack);
        });
    }
}

/// One SMTP session: a line in, mailin's answer out.
fn session(stream: TcpStream, builder: &SessionBuilder, handler: Counter, quick_ack: bool) -> std::io::Result<()> {
    stream.set_nodelay(true)?;
    let remote = stream.peer_addr()?.ip();
    let mut session = builder.build(remote, handler);
    let mut out = stream.try_clone()?;
    let fd = stream.as_raw_fd();
    let mut input = BufReader::with_capacity(64 * 1024, stream);
    out.write_all(&session.greeting().buffer()?)?;
    let mut line = Vec::with_capacity(1024);
    loop {
        if quick_ack && input.buffer().is_empty() {
            // Not sticky: the kernel may fall back to delayed ACKs, so before every read.
            let on: libc::c_int = 1;
            // SAFETY: a valid socket and a c_int option of the right size.
            unsafe {
                libc::setsockopt(
                    fd,
                    libc::IPPROTO_TCP,
                    libc::TCP_QUICKACK,
                    &on as *const libc::c_int as *const libc::c_void,
                    std::mem::size_of::<libc::c_int>() as libc::socklen_t,
                );
            }
        }
        line.clear();
        if input.read_until(b'\n', &mut line)? == 0 {
            return Ok(());
        }
        let res = session.process(&line);
        match res.action {
            Action::NoReply => {}
            Action::Reply => out.write_all(&res.buffer()?)?,
            Action::Close | Action::UpgradeTls => {
                out.write_all(&res.buffer()?)?;
                return Ok(());
            }
        }
    }
}

/// The CPU time this process has used so far (user and system, all threads), in µs.
fn cpu_us() -> f64 {
    // SAFETY: getrusage only writes the struct it is given.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) } != 0 {
        return f64::NAN;
    }
    let us = |t: libc::timeval| t.tv_sec as f64 * 1e6 + t.tv_usec as f64;
    us(usage.ru_utime) + us(usage.ru_stime)
}

/// A message whose formatted size is `bytes` (within a line), like one of roadshow's.
fn message(i: usize, bytes: usize) -> Message {
    let build = |body: String| {
        Message::builder()
            .from("Roadshow <noreply@roadshow.localhost>".parse().unwrap())
            .to(format!("Bench {i} <bench{i}@example.com>").parse().unwrap())
            .subject(format!("Reminder {i}"))
            .message_id(Some(format!("<bare-{i}@roadshow.localhost>")))
            .header(ContentType::TEXT_PLAIN)
            .body(body)
            .expect("a valid message")
    };
    let bare = build(String::new()).formatted().len();
    let line = "x".repeat(74) + "\r\n";
    let mut body = String::with_capacity(bytes);
    while bare + body.len() + line.len() <= bytes {
        body.push_str(&line);
    }
    build(body)
}

fn bare(port: u16, count: usize, bytes: usize, parallel: u32, kept: bool) {
    let parallel = parallel.max(1);
    let transport = SmtpTransport::builder_dangerous("127.0.0.1")
        .port(port)
        .timeout(Some(Duration::from_secs(30)))
        .pool_config(PoolConfig::new().max_size(parallel))
        .build();
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let cpu = cpu_us();
    let threads: Vec<_> = (0..parallel)
        .map(|_| {
            let (transport, next) = (transport.clone(), next.clone());
            std::thread::spawn(move || {
                let mut conn = kept.then(|| {
                    SmtpConnection::connect(
                        ("127.0.0.1", port),
                        Some(Duration::from_secs(30)),
                        &ClientId::default(),
                        None,
                        None,
                    )
                    .unwrap_or_else(|e| {
                        eprintln!("bare: connecting: {e}");
                        std::process::exit(1)
                    })
                });
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= count {
                        break;
                    }
                    let m = message(i, bytes);
                    let sent = match &mut conn {
                        Some(conn) => conn.send(m.envelope(), &m.formatted()).map(|_| ()),
                        None => transport.send(&m).map(|_| ()),
                    };
                    if let Err(e) = sent {
                        eprintln!("bare: message {i}: {e}");
                        std::process::exit(1)
                    }
                }
            })
        })
        .collect();
    for t in threads {
        t.join().expect("a sender thread");
    }
    let secs = started.elapsed().as_secs_f64();
    let cpu = (cpu_us() - cpu) / count as f64;
    println!(
        "RESULT sent={count} secs={secs:.3} emails_per_s={:.1} bytes={} cpu_us_per_email={cpu:.0}",
        count as f64 / secs,
        message(0, bytes).formatted().len()
    );
}
