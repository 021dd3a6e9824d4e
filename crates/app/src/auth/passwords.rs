//! Password hashing with bcrypt, off the async executor.

use nerutalk_domain::user::Password;

use crate::AppError;
use crate::error::cause_chain;

/// Hashes and checks passwords. Holds a hash of a random password so that a
/// login for an unknown account costs the same bcrypt work as a real one.
#[derive(Debug, Clone)]
pub struct PasswordHasher {
    cost: u32,
    decoy_hash: String,
}

impl PasswordHasher {
    /// # Errors
    /// [`AppError::Internal`] when `cost` is outside bcrypt's 4..=31.
    pub fn new(cost: u32) -> Result<Self, AppError> {
        let decoy = super::secrets::random_token();
        let decoy_hash = bcrypt::hash(decoy, cost).map_err(|error| {
            tracing::error!(error = %cause_chain(&error), cost, "bcrypt cost rejected");
            AppError::Internal
        })?;
        Ok(Self { cost, decoy_hash })
    }

    /// # Errors
    /// [`AppError::Internal`] when hashing fails.
    pub async fn hash(&self, password: &Password) -> Result<String, AppError> {
        let cost = self.cost;
        let plain = password.expose().to_owned();
        run_blocking(move || bcrypt::hash(plain, cost)).await
    }

    /// True when `password` matches `hash`. A malformed stored hash counts as
    /// a mismatch and is logged.
    ///
    /// # Errors
    /// [`AppError::Internal`] when the worker thread is lost.
    pub async fn verify(&self, password: &str, hash: &str) -> Result<bool, AppError> {
        let plain = password.to_owned();
        let hash = hash.to_owned();
        let outcome = run_blocking(move || bcrypt::verify(plain, &hash)).await;
        match outcome {
            Ok(matches) => Ok(matches),
            Err(_) => Ok(false),
        }
    }

    /// Spends the same time as [`Self::verify`] on a hash nobody has.
    ///
    /// # Errors
    /// [`AppError::Internal`] when the worker thread is lost.
    pub async fn verify_decoy(&self, password: &str) -> Result<(), AppError> {
        let decoy = self.decoy_hash.clone();
        self.verify(password, &decoy).await.map(|_| ())
    }
}

async fn run_blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, bcrypt::BcryptError> + Send + 'static,
) -> Result<T, AppError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|error| {
            tracing::error!(error = %cause_chain(&error), "password worker panicked");
            AppError::Internal
        })?
        .map_err(|error| {
            tracing::error!(error = %cause_chain(&error), "bcrypt failed");
            AppError::Internal
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_and_wrong_passwords_do_not() {
        let hasher = PasswordHasher::new(4).unwrap();
        let password = Password::parse("Secret123").unwrap();
        let hash = hasher.hash(&password).await.unwrap();
        assert!(hasher.verify("Secret123", &hash).await.unwrap());
        assert!(!hasher.verify("Secret124", &hash).await.unwrap());
        assert!(!hasher.verify("Secret123", "not a hash").await.unwrap());
        hasher.verify_decoy("anything").await.unwrap();
    }

    #[test]
    fn out_of_range_cost_is_refused() {
        assert_eq!(PasswordHasher::new(3).unwrap_err(), AppError::Internal);
    }
}
