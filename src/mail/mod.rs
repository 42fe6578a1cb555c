//! Email delivery: lettre's transports (pooled SMTP or `.eml` files), the content of each
//! email, and the worker that sends what the outbox holds.

pub mod content;
pub mod digest;
pub mod relay;
pub mod worker;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::TlsParameters;
use lettre::{FileTransport, Message, Transport};

use relay::{Relay, Security};

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
    Smtp(Arc<Relay>),
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
            Sender::Smtp(relay) => relay.send(message.envelope(), &message.formatted()),
            Sender::File(t, _) => t
                .send(message)
                .map(|_| ())
                .map_err(|e| DeliveryError::Transient(format!("writing the .eml file failed: {e}"))),
        }
    }
}

fn smtp(settings: &MailSettings) -> Result<Arc<Relay>, MailConfigError> {
    let s = &settings.smtp;
    let tls =
        |host: &str| TlsParameters::new(host.to_string()).map_err(|e| MailConfigError(format!("mail.smtp.tls: {e}")));
    let security = match s.tls {
        SmtpTls::None => Security::None,
        SmtpTls::Starttls => Security::StartTls(tls(&s.host)?),
        SmtpTls::Tls => Security::Wrapper(tls(&s.host)?),
    };
    let credentials =
        (!s.username.is_empty()).then(|| Credentials::new(s.username.clone(), s.password.expose().to_string()));
    Ok(Arc::new(Relay::new(
        s.host.clone(),
        s.port,
        Duration::from_secs(s.timeout_secs.max(1)),
        security,
        credentials,
        s.pool_size.max(1) as usize,
    )))
}
