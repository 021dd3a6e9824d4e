//! Password hashing with bcrypt, on a bounded pool off the async executor.
//!
//! bcrypt is the most expensive thing a request can ask for, and the cheapest
//! to ask for: one wrong password costs the client a few bytes and the
//! server a quarter of a second of a core. Left to the blocking thread pool
//! (hundreds of threads), a flood of wrong passwords runs as many hashes at
//! once as it sends, each slowed by all the others, and an honest sign-in
//! waits seconds. So hashes run on at most `workers` threads at once, at
//! most `queue` more wait their turn (first come, first served), and past
//! that a request is refused at once with a 503; and one account has at
//! most one password check at a time, so a flood aimed at some accounts
//! holds at most one place each in that queue.

use std::collections::HashSet;
use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex, PoisonError};

use nerutalk_domain::user::Password;
use tokio::sync::Semaphore;

use crate::AppError;
use crate::error::cause_chain;

/// How many hashes run at once, and how many may wait for a turn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashingLimits {
    /// Hashes running at once; one per core uses every core and no more.
    pub workers: NonZeroUsize,
    /// Hashes waiting for a worker; one more is refused with
    /// [`AppError::PasswordCheckBusy`].
    pub queue: usize,
}

/// Hashes and checks passwords. Holds a hash of a random password so that a
/// login for an unknown account costs the same bcrypt work as a real one.
#[derive(Debug, Clone)]
pub struct PasswordHasher {
    cost: u32,
    decoy_hash: String,
    pool: Arc<Pool>,
}

#[derive(Debug)]
struct Pool {
    workers: Semaphore,
    /// Workers plus queue: the hashes that may be running or waiting.
    places: Semaphore,
    /// The login keys with a password check under way.
    accounts: Mutex<HashSet<String>>,
}

/// One account's password check under way; the account is free again when
/// this is dropped, however the check ends.
#[derive(Debug)]
pub(super) struct AccountTurn {
    pool: Arc<Pool>,
    key: String,
}

impl Drop for AccountTurn {
    fn drop(&mut self) {
        self.pool
            .accounts
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&self.key);
    }
}

impl PasswordHasher {
    /// # Errors
    /// [`AppError::Internal`] when `cost` is outside bcrypt's 4..=31.
    pub fn new(cost: u32, limits: HashingLimits) -> Result<Self, AppError> {
        let decoy = super::secrets::random_token();
        let decoy_hash = bcrypt::hash(decoy, cost).map_err(|error| {
            tracing::error!(error = %cause_chain(&error), cost, "bcrypt cost rejected");
            AppError::Internal
        })?;
        let workers = limits.workers.get();
        Ok(Self {
            cost,
            decoy_hash,
            pool: Arc::new(Pool {
                workers: Semaphore::new(workers),
                places: Semaphore::new(workers.saturating_add(limits.queue)),
                accounts: Mutex::new(HashSet::new()),
            }),
        })
    }

    /// Claims `key`'s only password check.
    ///
    /// # Errors
    /// [`AppError::PasswordCheckBusy`] while another check of `key` runs.
    pub(super) fn account_turn(&self, key: &str) -> Result<AccountTurn, AppError> {
        let mut accounts = self
            .pool
            .accounts
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if !accounts.insert(key.to_owned()) {
            return Err(AppError::PasswordCheckBusy);
        }
        Ok(AccountTurn {
            pool: self.pool.clone(),
            key: key.to_owned(),
        })
    }

    /// # Errors
    /// [`AppError::PasswordCheckBusy`] when the queue is full,
    /// [`AppError::Internal`] when hashing fails.
    pub async fn hash(&self, password: &Password) -> Result<String, AppError> {
        let cost = self.cost;
        let plain = password.expose().to_owned();
        self.run(move || bcrypt::hash(plain, cost)).await
    }

    /// True when `password` matches `hash`. A malformed stored hash counts as
    /// a mismatch and is logged.
    ///
    /// # Errors
    /// [`AppError::PasswordCheckBusy`] when the queue is full,
    /// [`AppError::Internal`] when the worker thread is lost.
    pub async fn verify(&self, password: &str, hash: &str) -> Result<bool, AppError> {
        let plain = password.to_owned();
        let hash = hash.to_owned();
        match self.run(move || bcrypt::verify(plain, &hash)).await {
            Ok(matches) => Ok(matches),
            Err(AppError::PasswordCheckBusy) => Err(AppError::PasswordCheckBusy),
            Err(_) => Ok(false),
        }
    }

    /// Spends the same time as [`Self::verify`] on a hash nobody has.
    ///
    /// # Errors
    /// As [`Self::verify`].
    pub async fn verify_decoy(&self, password: &str) -> Result<(), AppError> {
        let decoy = self.decoy_hash.clone();
        self.verify(password, &decoy).await.map(|_| ())
    }

    /// Runs `work` on a blocking thread once a worker is free, or refuses
    /// at once when the queue is full.
    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> Result<T, bcrypt::BcryptError> + Send + 'static,
    ) -> Result<T, AppError> {
        let _place = self
            .pool
            .places
            .try_acquire()
            .map_err(|_| AppError::PasswordCheckBusy)?;
        // Never closed, so acquiring only fails if it were.
        let _worker = self
            .pool
            .workers
            .acquire()
            .await
            .map_err(|_| AppError::Internal)?;
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
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn limits(workers: usize, queue: usize) -> HashingLimits {
        HashingLimits {
            workers: NonZeroUsize::new(workers).unwrap(),
            queue,
        }
    }

    #[tokio::test]
    async fn hashes_verify_and_wrong_passwords_do_not() {
        let hasher = PasswordHasher::new(4, limits(2, 4)).unwrap();
        let password = Password::parse("Secret123").unwrap();
        let hash = hasher.hash(&password).await.unwrap();
        assert!(hasher.verify("Secret123", &hash).await.unwrap());
        assert!(!hasher.verify("Secret124", &hash).await.unwrap());
        assert!(!hasher.verify("Secret123", "not a hash").await.unwrap());
        hasher.verify_decoy("anything").await.unwrap();
    }

    #[test]
    fn out_of_range_cost_is_refused() {
        assert_eq!(
            PasswordHasher::new(3, limits(1, 0)).unwrap_err(),
            AppError::Internal
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn past_the_workers_and_the_queue_a_check_is_refused_at_once() {
        // Cost 10 takes tens of milliseconds: long enough for the third
        // check to arrive while the first two hold the worker and the queue.
        let hasher = PasswordHasher::new(10, limits(1, 1)).unwrap();
        let hash = bcrypt::hash("Secret123", 4).unwrap();
        let slow = {
            let hasher = hasher.clone();
            tokio::spawn(async move {
                let first = hasher.verify_decoy("a");
                let second = hasher.verify_decoy("b");
                tokio::join!(first, second)
            })
        };
        tokio::time::sleep(Duration::from_millis(5)).await;
        assert_eq!(
            hasher.verify("Secret123", &hash).await,
            Err(AppError::PasswordCheckBusy)
        );
        let (first, second) = slow.await.unwrap();
        assert_eq!((first, second), (Ok(()), Ok(())));
        assert!(
            hasher.verify("Secret123", &hash).await.unwrap(),
            "the places come back"
        );
    }

    #[test]
    fn one_account_has_one_check_at_a_time() {
        let hasher = PasswordHasher::new(4, limits(1, 0)).unwrap();
        let turn = hasher.account_turn("ada").unwrap();
        assert_eq!(
            hasher.account_turn("ada").unwrap_err(),
            AppError::PasswordCheckBusy
        );
        assert!(hasher.account_turn("bob").is_ok());
        drop(turn);
        assert!(hasher.account_turn("ada").is_ok());
    }
}
