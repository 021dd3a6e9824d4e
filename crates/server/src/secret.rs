//! The JWT signing key: from configuration, or kept in the shared database so
//! that every node on one database signs and checks tokens with the same key
//! by construction, and tokens survive restarts.

use std::path::Path;

use nerutalk_ports::PortError;
use nerutalk_sql::SqlSecretStore;
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};

/// The key file older versions generated in the data directory; read once to
/// carry its key into the database, so that sessions signed with it stay valid.
const LEGACY_FILE_NAME: &str = "jwt_secret";

/// The key's name in `server_secrets`.
const SECRET_NAME: &str = "jwt_signing_key";

/// Why no signing key could be had.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("cannot read the JWT key file {path}: {source}")]
    LegacyFile {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot keep the JWT signing key in the database (are migrations applied?): {0}")]
    Store(#[from] PortError),
}

/// Where the key in use came from; logged, the key never is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretSource {
    /// `JWT_SECRET_KEY`.
    Configured,
    /// The database, where a node (this one earlier, or another) stored it.
    Database,
    /// The data directory's key file of an older version, now moved into the database.
    LegacyFile,
    /// Generated now and stored in the database for every node.
    Generated,
}

/// The configured key, or the one in the database, stored there first when
/// missing: from the legacy key file in `data_dir` if there is one, else freshly
/// generated. Two nodes starting at once both end with the first one's key.
///
/// # Errors
/// When the legacy key file exists but cannot be read, or the database fails.
pub async fn jwt_secret(
    configured: Option<&SecretString>,
    data_dir: &Path,
    secrets: &SqlSecretStore,
) -> Result<(SecretString, SecretSource), SecretError> {
    if let Some(secret) = configured {
        if secret.expose_secret().len() < 32 {
            tracing::warn!("JWT_SECRET_KEY is shorter than 32 bytes; use a longer random key");
        }
        return Ok((secret.clone(), SecretSource::Configured));
    }
    let legacy_path = data_dir.join(LEGACY_FILE_NAME);
    let legacy = read_legacy(&legacy_path)?;
    let (candidate, source_if_inserted) = match &legacy {
        Some(key) => (key.clone(), SecretSource::LegacyFile),
        None => (generate(), SecretSource::Generated),
    };
    let kept = secrets.keep_first(SECRET_NAME, candidate).await?;
    let source = if kept.inserted {
        source_if_inserted
    } else {
        SecretSource::Database
    };
    match source {
        SecretSource::Generated => tracing::warn!(
            "no JWT_SECRET_KEY configured: generated a signing key and stored it in the \
             database, which every node on this database shares; set JWT_SECRET_KEY to \
             manage the key yourself"
        ),
        SecretSource::LegacyFile => tracing::info!(
            path = %legacy_path.display(),
            "no JWT_SECRET_KEY configured: moved the signing key from the data directory's \
             key file into the database, which every node on this database shares; \
             the file is kept but no longer used"
        ),
        SecretSource::Database | SecretSource::Configured => tracing::info!(
            "no JWT_SECRET_KEY configured: using the signing key stored in the database"
        ),
    }
    // A file left by an older node with its own key: its sessions end now,
    // since one database means one key.
    if source == SecretSource::Database
        && legacy
            .as_ref()
            .is_some_and(|key| key.expose_secret() != kept.value.expose_secret())
    {
        tracing::warn!(
            path = %legacy_path.display(),
            "the data directory's JWT key file differs from the key in the database and is \
             ignored: tokens signed with it are no longer accepted"
        );
    }
    Ok((kept.value, source))
}

/// The legacy file's key, if the file exists and holds one.
fn read_legacy(path: &Path) -> Result<Option<SecretString>, SecretError> {
    match std::fs::read_to_string(path) {
        Ok(contents) => {
            let key = contents.trim();
            Ok((!key.is_empty()).then(|| SecretString::from(key.to_owned())))
        }
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(SecretError::LegacyFile {
            path: path.display().to_string(),
            source,
        }),
    }
}

/// 48 random bytes as 96 hex digits.
fn generate() -> SecretString {
    let mut bytes = [0_u8; 48];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    SecretString::from(
        bytes
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect::<String>(),
    )
}

#[cfg(test)]
mod tests {
    use nerutalk_sql::{DatabaseUrl, SqlStore};

    use super::*;

    fn temp_path(what: &str) -> std::path::PathBuf {
        std::env::temp_dir().join(format!("nerutalk-secret-{what}-{}", uuid::Uuid::now_v7()))
    }

    async fn secrets() -> SqlSecretStore {
        let url = DatabaseUrl::Sqlite(temp_path("db").with_extension("db"));
        let store = SqlStore::connect(&url, 2).unwrap();
        store.migrate().await.unwrap();
        SqlSecretStore::new(store)
    }

    #[actix_web::test]
    async fn a_generated_secret_is_kept_in_the_database_and_reused() {
        let secrets = secrets().await;
        let (first, source) = jwt_secret(None, &temp_path("a"), &secrets).await.unwrap();
        assert_eq!(source, SecretSource::Generated);
        assert_eq!(first.expose_secret().len(), 96);
        // Another node, with a data directory of its own.
        let (second, source) = jwt_secret(None, &temp_path("b"), &secrets).await.unwrap();
        assert_eq!(source, SecretSource::Database);
        assert_eq!(first.expose_secret(), second.expose_secret());
    }

    #[actix_web::test]
    async fn a_legacy_key_file_moves_into_the_database() {
        let secrets = secrets().await;
        let dir = temp_path("legacy");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join(LEGACY_FILE_NAME),
            "old-key-of-an-earlier-version\n",
        )
        .unwrap();
        let (key, source) = jwt_secret(None, &dir, &secrets).await.unwrap();
        assert_eq!(source, SecretSource::LegacyFile);
        assert_eq!(key.expose_secret(), "old-key-of-an-earlier-version");
        let (again, source) = jwt_secret(None, &temp_path("other"), &secrets)
            .await
            .unwrap();
        assert_eq!(source, SecretSource::Database);
        assert_eq!(again.expose_secret(), "old-key-of-an-earlier-version");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[actix_web::test]
    async fn a_configured_key_wins() {
        let secrets = secrets().await;
        let configured = SecretString::from("x".repeat(40));
        let (key, source) = jwt_secret(Some(&configured), &temp_path("c"), &secrets)
            .await
            .unwrap();
        assert_eq!(source, SecretSource::Configured);
        assert_eq!(key.expose_secret(), "x".repeat(40));
    }
}
