//! Email delivery: lettre's transports (pooled SMTP or `.eml` files), the content of each
//! email, and the worker that sends what the outbox holds.

pub mod content;
pub mod digest;
pub mod worker;

use std::path::PathBuf;
use std::time::Duration;

use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::transport::smtp::PoolConfig;
use lettre::{FileTransport, Message, SmtpTransport, Transport};

use crate::config::{MailSettings, MailTransport, SmtpTls};

/// Why a send did not go through, sorted by what to do about it.
#[derive(Debug, Clone, thiserror::Error)]
pub enum DeliveryError {
    /// Worth another try later: connection refused, timeout, SMTP 4xx.
    #[error("{0}")]
    Transient(String),
    /// Will fail the same way again: SMTP 5xx for this recipient, an unusable address.
    #[error("{0}")]
    Permanent(String),
}

/// A transport that cannot be set up from the settings.
#[derive(Debug, thiserror::Error)]
#[error("mail settings: {0}")]
pub struct MailConfigError(pub String);

/// Sends messages through the configured transport; clones share SMTP connections.
#[derive(Clone)]
pub struct Mailer {
    transport: Sender,
    /// `mail.from`.
    pub from: Mailbox,
}

#[derive(Clone)]
enum Sender {
    Smtp(SmtpTransport),
    File(FileTransport, PathBuf),
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the credentials.
        let kind = match &self.transport {
            Sender::Smtp(_) => "smtp".to_string(),
            Sender::File(_, dir) => format!("file:{}", dir.display()),
        };
        f.debug_struct("Mailer").field("transport", &kind).finish()
    }
}

impl Mailer {
    /// The transport `settings` describe (the file transport's directory is created).
    pub fn new(settings: &MailSettings) -> Result<Self, MailConfigError> {
        let from: Mailbox = settings
            .from
            .parse()
            .map_err(|e| MailConfigError(format!("mail.from: {e}")))?;
        let transport = match settings.transport {
            MailTransport::File => {
                let dir = settings.file.dir.clone();
                std::fs::create_dir_all(&dir)
                    .map_err(|e| MailConfigError(format!("mail.file.dir {}: {e}", dir.display())))?;
                Sender::File(FileTransport::new(&dir), dir)
            }
            MailTransport::Smtp => Sender::Smtp(smtp(settings)?),
        };
        Ok(Mailer { transport, from })
    }

    /// Sends one message, blocking until the server accepted or refused it.
    pub fn send(&self, message: &Message) -> Result<(), DeliveryError> {
        match &self.transport {
            Sender::Smtp(t) => t.send(message).map(|_| ()).map_err(classify),
            Sender::File(t, _) => t
                .send(message)
                .map(|_| ())
                .map_err(|e| DeliveryError::Transient(format!("writing the .eml file failed: {e}"))),
        }
    }
}

fn smtp(settings: &MailSettings) -> Result<SmtpTransport, MailConfigError> {
    let s = &settings.smtp;
    let tls =
        |host: &str| TlsParameters::new(host.to_string()).map_err(|e| MailConfigError(format!("mail.smtp.tls: {e}")));
    let mut builder = SmtpTransport::builder_dangerous(s.host.clone())
        .port(s.port)
        .timeout(Some(Duration::from_secs(s.timeout_secs.max(1))))
        .pool_config(PoolConfig::new().max_size(s.pool_size.max(1)))
        .tls(match s.tls {
            SmtpTls::None => Tls::None,
            SmtpTls::Starttls => Tls::Required(tls(&s.host)?),
            SmtpTls::Tls => Tls::Wrapper(tls(&s.host)?),
        });
    if !s.username.is_empty() {
        builder = builder.credentials(Credentials::new(s.username.clone(), s.password.expose().to_string()));
    }
    Ok(builder.build())
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
