//! SMTP delivery over kept connections: lettre's `SmtpConnection`s, reused without the
//! `NOOP` that lettre's pooled transport sends before every message.
//!
//! Why not lettre's pool: it tests each connection with a `NOOP` round trip before each
//! message, one of five round trips an email (`bench/delivery.sh`), where a connection
//! that delivered a message a moment ago is known to be alive. Here a connection used
//! within [`FRESH`] is reused as it is; one idle longer is tested as lettre's pool does;
//! one idle longer than [`IDLE`] (lettre's pool's default) is closed. A server that
//! closed a fresh connection meanwhile (say, after its limit of messages per connection)
//! answers the `MAIL FROM` with an error, before it could accept anything: that email
//! goes once more over a new connection.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use lettre::address::Envelope;
use lettre::transport::smtp::authentication::{Credentials, DEFAULT_MECHANISMS};
use lettre::transport::smtp::client::{SmtpConnection, TlsParameters};
use lettre::transport::smtp::commands::{Data, Mail, Rcpt};
use lettre::transport::smtp::extension::{ClientId, Extension, MailBodyParameter, MailParameter};

use super::DeliveryError;

/// A connection used this recently is reused without a `NOOP`.
const FRESH: Duration = Duration::from_secs(1);
/// A connection idle this long is closed instead of reused.
const IDLE: Duration = Duration::from_secs(60);

/// How the connection to the relay is secured (`mail.smtp.tls`).
pub enum Security {
    /// Plain SMTP.
    None,
    /// `STARTTLS`, required.
    StartTls(TlsParameters),
    /// TLS from the first byte (SMTPS).
    Wrapper(TlsParameters),
}

/// An SMTP relay and the connections to it that are not in use.
pub struct Relay {
    host: String,
    port: u16,
    timeout: Duration,
    security: Security,
    credentials: Option<Credentials>,
    hello: ClientId,
    /// At most this many idle connections are kept.
    keep: usize,
    idle: Mutex<Vec<(SmtpConnection, Instant)>>,
}

/// Where a send failed: before the server could have accepted the message, or not.
enum Stage {
    MailFrom,
    Later,
}

impl Relay {
    /// A relay reached at `host:port`; up to `keep` connections stay open between sends.
    pub fn new(
        host: String,
        port: u16,
        timeout: Duration,
        security: Security,
        credentials: Option<Credentials>,
        keep: usize,
    ) -> Self {
        Relay {
            host,
            port,
            timeout,
            security,
            credentials,
            hello: ClientId::default(),
            keep: keep.max(1),
            idle: Mutex::new(Vec::new()),
        }
    }

    /// Sends `raw` to the envelope's recipients, blocking until the server accepted or
    /// refused it.
    pub fn send(&self, envelope: &Envelope, raw: &[u8]) -> Result<(), DeliveryError> {
        let (mut conn, untested) = self.checkout()?;
        let (mut conn, result) = match transfer(&mut conn, envelope, raw) {
            Err((Stage::MailFrom, _)) if untested => {
                conn.abort();
                let mut again = self.connect().map_err(classify)?;
                let result = transfer(&mut again, envelope, raw);
                (again, result)
            }
            result => (conn, result),
        };
        match result {
            Ok(()) => {
                self.checkin(conn);
                Ok(())
            }
            Err((_, e)) => {
                conn.abort();
                Err(e)
            }
        }
    }

    /// An open connection, and whether it is reused untested.
    fn checkout(&self) -> Result<(SmtpConnection, bool), DeliveryError> {
        loop {
            let popped = self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop();
            let Some((mut conn, since)) = popped else {
                return Ok((self.connect().map_err(classify)?, false));
            };
            let idle = since.elapsed();
            if idle < FRESH {
                return Ok((conn, true));
            }
            if idle < IDLE && conn.test_connected() {
                return Ok((conn, false));
            }
            conn.abort();
        }
    }

    /// Keeps a connection that just delivered a message, unless enough are kept.
    fn checkin(&self, mut conn: SmtpConnection) {
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        // Connections idle too long are closed as others come back.
        idle.retain_mut(|(c, since)| {
            let keep = since.elapsed() < IDLE;
            if !keep {
                c.abort();
            }
            keep
        });
        if idle.len() < self.keep {
            idle.push((conn, Instant::now()));
        } else {
            drop(idle);
            conn.abort();
        }
    }

    /// A new connection: greeted, secured and authenticated as configured.
    fn connect(&self) -> Result<SmtpConnection, lettre::transport::smtp::Error> {
        let wrapper = match &self.security {
            Security::Wrapper(tls) => Some(tls),
            _ => None,
        };
        let mut conn = SmtpConnection::connect(
            (self.host.as_str(), self.port),
            Some(self.timeout),
            &self.hello,
            wrapper,
            None,
        )?;
        if let Security::StartTls(tls) = &self.security {
            conn.starttls(tls, &self.hello)?;
        }
        if let Some(credentials) = &self.credentials {
            conn.auth(DEFAULT_MECHANISMS, credentials)?;
        }
        Ok(conn)
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        for (mut conn, _) in self.idle.get_mut().unwrap_or_else(|p| p.into_inner()).drain(..) {
            conn.abort();
        }
    }
}

/// One message over an open connection, as lettre's `SmtpConnection::send` does it, but
/// telling a refused `MAIL FROM` (nothing can have been accepted) from later failures.
fn transfer(conn: &mut SmtpConnection, envelope: &Envelope, raw: &[u8]) -> Result<(), (Stage, DeliveryError)> {
    let mut options = Vec::new();
    let ascii = envelope.from().into_iter().chain(envelope.to()).all(|a| {
        let address: &str = a.as_ref();
        address.is_ascii()
    });
    if !ascii {
        if !conn.server_info().supports_feature(Extension::SmtpUtfEight) {
            let refused = "the address is not ASCII and the server does not support SMTPUTF8";
            return Err((Stage::Later, DeliveryError::Permanent(refused.into())));
        }
        options.push(MailParameter::SmtpUtfEight);
    }
    if !raw.is_ascii() {
        if !conn.server_info().supports_feature(Extension::EightBitMime) {
            let refused = "the message is not ASCII and the server does not support 8BITMIME";
            return Err((Stage::Later, DeliveryError::Permanent(refused.into())));
        }
        options.push(MailParameter::Body(MailBodyParameter::EightBitMime));
    }
    let later = |e| (Stage::Later, classify(e));
    conn.command(Mail::new(envelope.from().cloned(), options))
        .map_err(|e| (Stage::MailFrom, classify(e)))?;
    for to in envelope.to() {
        conn.command(Rcpt::new(to.clone(), Vec::new())).map_err(later)?;
    }
    conn.command(Data).map_err(later)?;
    conn.message(raw).map_err(later)?;
    Ok(())
}

/// 5xx is the server's final word on this message; everything else (4xx, refused
/// connections, timeouts, broken TLS) may go better later.
fn classify(e: lettre::transport::smtp::Error) -> DeliveryError {
    if e.is_permanent() {
        DeliveryError::Permanent(e.to_string())
    } else {
        DeliveryError::Transient(e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{BufRead, BufReader, Write};
    use std::net::TcpListener;
    use std::sync::Arc;

    /// What a scripted SMTP server saw: per connection, the commands it was sent.
    type Seen = Arc<Mutex<Vec<Vec<String>>>>;

    /// A minimal SMTP server on a loopback port that accepts everything, and after
    /// `per_connection` messages answers the next command with 421 and hangs up (as
    /// relays with a limit of messages per connection do).
    fn server(per_connection: usize) -> (u16, Seen) {
        scripted(per_connection, b"250-test\r\n250 8BITMIME\r\n")
    }

    /// [`server`], answering `EHLO` with `ehlo` (the extensions it offers).
    fn scripted(per_connection: usize, ehlo: &'static [u8]) -> (u16, Seen) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen: Seen = Arc::default();
        let log = seen.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let log = log.clone();
                std::thread::spawn(move || {
                    let conn = {
                        let mut all = log.lock().unwrap();
                        all.push(Vec::new());
                        all.len() - 1
                    };
                    let mut out = stream.try_clone().unwrap();
                    let mut input = BufReader::new(stream);
                    let (mut delivered, mut in_data) = (0, false);
                    out.write_all(b"220 test\r\n").unwrap();
                    let mut line = String::new();
                    while input.read_line(&mut line).unwrap_or(0) > 0 {
                        let command = line.trim_end().to_string();
                        line.clear();
                        if in_data {
                            if command == "." {
                                in_data = false;
                                delivered += 1;
                                out.write_all(b"250 kept\r\n").unwrap();
                            }
                            continue;
                        }
                        let verb = command.split([' ', ':']).next().unwrap_or("").to_uppercase();
                        log.lock().unwrap()[conn].push(verb.clone());
                        let answer: &[u8] = match verb.as_str() {
                            _ if delivered >= per_connection && verb != "EHLO" => {
                                let _ = out.write_all(b"421 enough for this connection\r\n");
                                return;
                            }
                            "EHLO" => ehlo,
                            "DATA" => {
                                in_data = true;
                                b"354 go on\r\n"
                            }
                            "QUIT" => {
                                let _ = out.write_all(b"221 bye\r\n");
                                return;
                            }
                            _ => b"250 ok\r\n",
                        };
                        out.write_all(answer).unwrap();
                    }
                });
            }
        });
        (port, seen)
    }

    fn relay(port: u16) -> Relay {
        Relay::new(
            "127.0.0.1".into(),
            port,
            Duration::from_secs(5),
            Security::None,
            None,
            2,
        )
    }

    fn send(relay: &Relay, n: usize) -> Result<(), DeliveryError> {
        let envelope = Envelope::new(
            Some("noreply@roadshow.test".parse().unwrap()),
            vec![format!("guest{n}@example.com").parse().unwrap()],
        )
        .unwrap();
        relay.send(&envelope, format!("Subject: {n}\r\n\r\nHello\r\n").as_bytes())
    }

    #[test]
    fn messages_in_a_row_share_a_connection_without_a_noop_before_each() {
        let (port, seen) = server(usize::MAX);
        let relay = relay(port);
        for n in 0..3 {
            send(&relay, n).unwrap();
        }
        let seen = seen.lock().unwrap().clone();
        assert_eq!(seen.len(), 1, "{seen:?}");
        assert_eq!(seen[0].iter().filter(|c| *c == "MAIL").count(), 3);
        assert!(!seen[0].iter().any(|c| c == "NOOP"), "{seen:?}");
    }

    #[test]
    fn a_connection_the_server_closed_is_replaced_without_failing_the_message() {
        let (port, seen) = server(1);
        let relay = relay(port);
        for n in 0..3 {
            send(&relay, n).unwrap();
        }
        let seen = seen.lock().unwrap().clone();
        // Each connection delivered one message; the next MAIL FROM met the 421.
        assert_eq!(seen.len(), 3, "{seen:?}");
        assert_eq!(
            seen.iter()
                .map(|c| c.iter().filter(|c| *c == "MAIL").count())
                .sum::<usize>(),
            5
        );
    }

    #[test]
    fn what_the_server_cannot_carry_fails_for_good_before_anything_is_sent() {
        // Neither 8BITMIME nor SMTPUTF8 offered.
        let (port, seen) = scripted(usize::MAX, b"250 test\r\n");
        let relay = relay(port);
        let ascii = Envelope::new(
            Some("noreply@roadshow.test".parse().unwrap()),
            vec!["guest@example.com".parse().unwrap()],
        )
        .unwrap();
        let refused = relay.send(&ascii, "Subject: 提醒\r\n\r\n您好\r\n".as_bytes());
        assert!(
            matches!(&refused, Err(DeliveryError::Permanent(e)) if e.contains("8BITMIME")),
            "{refused:?}"
        );
        let unicode = Envelope::new(
            Some("noreply@roadshow.test".parse().unwrap()),
            vec!["王芳@example.com".parse().unwrap()],
        )
        .unwrap();
        let refused = relay.send(&unicode, b"Subject: hi\r\n\r\nHello\r\n");
        assert!(
            matches!(&refused, Err(DeliveryError::Permanent(e)) if e.contains("SMTPUTF8")),
            "{refused:?}"
        );
        // Retrying would change nothing, and nothing reached the server.
        send(&relay, 0).unwrap();
        let seen = seen.lock().unwrap().clone();
        assert_eq!(seen.iter().flatten().filter(|c| *c == "MAIL").count(), 1, "{seen:?}");
    }
}
