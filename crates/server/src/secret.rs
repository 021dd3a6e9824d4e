//! The JWT signing key: from configuration, or generated once and kept in
//! the data directory so that tokens survive restarts of the embedded default.

use std::path::Path;

use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};

const FILE_NAME: &str = "jwt_secret";

/// The configured key, or the one kept in `data_dir`, created if missing.
///
/// # Errors
/// When the key file cannot be read or written.
pub fn jwt_secret(
    configured: Option<&SecretString>,
    data_dir: &Path,
) -> std::io::Result<SecretString> {
    if let Some(secret) = configured {
        if secret.expose_secret().len() < 32 {
            tracing::warn!("JWT_SECRET_KEY is shorter than 32 bytes; use a longer random key");
        }
        return Ok(secret.clone());
    }
    let path = data_dir.join(FILE_NAME);
    if let Ok(existing) = std::fs::read_to_string(&path) {
        let existing = existing.trim();
        if !existing.is_empty() {
            return Ok(SecretString::from(existing.to_owned()));
        }
    }
    std::fs::create_dir_all(data_dir)?;
    let mut bytes = [0_u8; 48];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let secret: String = bytes.iter().map(|byte| format!("{byte:02x}")).collect();
    write_private(&path, &secret)?;
    tracing::warn!(
        path = %path.display(),
        "no JWT_SECRET_KEY configured: generated one and kept it in the data directory; \
         set JWT_SECRET_KEY in production (every node must share the same key)"
    );
    Ok(SecretString::from(secret))
}

#[cfg(unix)]
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(contents.as_bytes())
}

#[cfg(not(unix))]
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    std::fs::write(path, contents)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_secret_is_kept_and_reused() {
        let dir = std::env::temp_dir().join(format!("nerutalk-secret-{}", uuid::Uuid::now_v7()));
        let first = jwt_secret(None, &dir).unwrap();
        let second = jwt_secret(None, &dir).unwrap();
        assert_eq!(first.expose_secret(), second.expose_secret());
        assert_eq!(first.expose_secret().len(), 96);
        let configured = SecretString::from("x".repeat(40));
        assert_eq!(
            jwt_secret(Some(&configured), &dir).unwrap().expose_secret(),
            "x".repeat(40)
        );
        std::fs::remove_dir_all(dir).unwrap();
    }
}
