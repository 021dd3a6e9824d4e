//! The SMTP server the mail tests talk to: aiosmtpd from PyPI, installed
//! into a virtualenv under the target directory, listening on a free port
//! and writing every mail it accepts into a Maildir. `cargo xtask test`
//! starts it and names it to the tests in the environment; dropping it
//! stops the server and removes the Maildir.

use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::server::{self, Scratch};
use crate::target_dir;
use crate::venv::Pinned;

/// Pinned, with every dependency in `xtask/aiosmtpd-constraints.txt`.
const AIOSMTPD: Pinned = Pinned {
    package: "aiosmtpd",
    version: "1.4.6",
    constraints: "xtask/aiosmtpd-constraints.txt",
};
/// The variables `nerutalk_smtp::testing` reads.
const URL_VARIABLE: &str = "NERUTALK_TEST_SMTP_URL";
const MAILDIR_VARIABLE: &str = "NERUTALK_TEST_MAILDIR";
/// How long aiosmtpd may take to listen.
const STARTUP: Duration = Duration::from_secs(15);

/// A running aiosmtpd; dropped, it is killed and its Maildir removed
/// (fields drop after `drop`, so the directory goes after the process).
pub(crate) struct SmtpServer {
    child: Child,
    port: u16,
    maildir: Scratch,
}

impl SmtpServer {
    /// Installs aiosmtpd if needed and starts it on a free port.
    ///
    /// # Errors
    /// When it cannot be installed, exits, or does not listen in time.
    pub(crate) fn start() -> Result<Self> {
        let bin = AIOSMTPD.install(&target_dir().join("aiosmtpd-venv"))?;
        let maildir = Scratch::create("maildir")?;
        let port = server::free_port()?;
        let mut command = Command::new(bin.join("python"));
        command
            .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}")])
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(maildir.path().join("mail"))
            .stdin(Stdio::null())
            .stdout(Stdio::null());
        eprintln!("xtask: running {}", crate::shown(&command));
        let child = command.spawn().context("cannot start aiosmtpd")?;
        let mut smtp = Self {
            child,
            port,
            maildir,
        };
        smtp.wait_until_listening()?;
        Ok(smtp)
    }

    fn wait_until_listening(&mut self) -> Result<()> {
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait()? {
                bail!("aiosmtpd exited before listening ({status})");
            }
            if TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return Ok(());
            }
            if started.elapsed() > STARTUP {
                bail!(
                    "aiosmtpd did not listen on port {} within {} s",
                    self.port,
                    STARTUP.as_secs()
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Names this server to the tests `command` runs.
    pub(crate) fn export_to(&self, command: &mut Command) {
        command
            .env(URL_VARIABLE, format!("smtp://127.0.0.1:{}", self.port))
            .env(MAILDIR_VARIABLE, self.maildir.path().join("mail"));
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
