//! Password hashing with bcrypt, on a bounded pool off the async executor.
//!
//! bcrypt is the most expensive thing a request can ask for, and the cheapest
//! to ask for: one wrong password costs the client a few bytes and the
//! server a quarter of a second of a core. Left to the blocking thread pool
//! (hundreds of threads), a flood of wrong passwords runs as many hashes at
//! once as it sends, each slowed by all the others, and an honest sign-in
//! waits seconds. So hashes run on at most `workers` threads at once, at
//! most `queue` more wait their turn (first come, first served), and past
//! that a request is refused at once with a 503. A queue alone would go to
//! whoever asks fastest: a flood that retries the moment it is refused
//! would hold every place, and an honest sign-in would find none. So one
//! account has at most one password check at a time, and one client
//! address at most as many as there are workers: a flood from one address,
//! on any number of accounts, holds a few places, and the rest of the
//! queue is left to everyone else.

use std::collections::HashMap;
use std::net::IpAddr;
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
    /// Shared so that a hash's permits can move onto its blocking thread:
    /// bcrypt runs on after the request that asked for it is dropped, and
    /// its permits must stay taken until it ends.
    workers: Arc<Semaphore>,
    /// Workers plus queue: the hashes that may be running or waiting.
    places: Arc<Semaphore>,
    /// The checks under way per login key and per client address.
    turns: Mutex<HashMap<Claimant, usize>>,
    /// Checks one client address may have under way at once.
    per_address: usize,
}

/// Who a password check is counted against.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Claimant {
    Account(String),
    Address(IpAddr),
}

/// A sign-in's claim on the pool: one check of its account and one of its
/// client address's; given back when this is dropped, however the check
/// ends.
#[derive(Debug)]
pub(super) struct Turn {
    pool: Arc<Pool>,
    claimed: Vec<Claimant>,
}

impl Drop for Turn {
    fn drop(&mut self) {
        let mut turns = self
            .pool
            .turns
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        for claimant in &self.claimed {
            if let Some(count) = turns.get_mut(claimant) {
                *count -= 1;
                if *count == 0 {
                    turns.remove(claimant);
                }
            }
        }
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
                workers: Arc::new(Semaphore::new(workers)),
                places: Arc::new(Semaphore::new(workers.saturating_add(limits.queue))),
                turns: Mutex::new(HashMap::new()),
                per_address: workers,
            }),
        })
    }

    /// Claims the only password check of the login `key`, and one of the
    /// checks `client` may have under way.
    ///
    /// # Errors
    /// [`AppError::PasswordCheckBusy`] while another check of `key` runs, or
    /// `client` has as many under way as there are workers; then nothing
    /// is claimed.
    pub(super) fn turn(&self, key: &str, client: Option<IpAddr>) -> Result<Turn, AppError> {
        let account = Claimant::Account(key.to_owned());
        let address = client.map(Claimant::Address);
        let mut turns = self
            .pool
            .turns
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let under_way = |claimant: &Claimant| turns.get(claimant).copied().unwrap_or(0);
        if under_way(&account) > 0
            || address
                .as_ref()
                .is_some_and(|address| under_way(address) >= self.pool.per_address)
        {
            return Err(AppError::PasswordCheckBusy);
        }
        let claimed: Vec<Claimant> = std::iter::once(account).chain(address).collect();
        for claimant in &claimed {
            *turns.entry(claimant.clone()).or_default() += 1;
        }
        Ok(Turn {
            pool: self.pool.clone(),
            claimed,
        })
    }

    /// # Errors
    /// [`AppError::PasswordCheckBusy`] when the queue is full,
    /// [`AppError::Internal`] when hashing fails.
    pub async fn hash(&self, password: &Password) -> Result<String, AppError> {
        let cost = self.cost;
        let plain = password.expose().to_owned();
        self.run(None, move || bcrypt::hash(plain, cost)).await
    }

    /// True when `password` matches `hash`. A malformed stored hash counts as
    /// a mismatch and is logged.
    ///
    /// # Errors
    /// [`AppError::PasswordCheckBusy`] when the queue is full,
    /// [`AppError::Internal`] when the worker thread is lost.
    pub async fn verify(&self, password: &str, hash: &str) -> Result<bool, AppError> {
        self.check(None, password, hash).await
    }

    /// Like [`Self::verify`], giving `turn` back only once the check ends,
    /// even if the caller stops waiting for it first.
    ///
    /// # Errors
    /// As [`Self::verify`].
    pub(super) async fn verify_in_turn(
        &self,
        turn: Turn,
        password: &str,
        hash: &str,
    ) -> Result<bool, AppError> {
        self.check(Some(turn), password, hash).await
    }

    async fn check(
        &self,
        turn: Option<Turn>,
        password: &str,
        hash: &str,
    ) -> Result<bool, AppError> {
        let plain = password.to_owned();
        let hash = hash.to_owned();
        match self.run(turn, move || bcrypt::verify(plain, &hash)).await {
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
        self.check(None, password, &self.decoy_hash)
            .await
            .map(|_| ())
    }

    /// Like [`Self::verify_decoy`], holding `turn` as
    /// [`Self::verify_in_turn`] does.
    ///
    /// # Errors
    /// As [`Self::verify`].
    pub(super) async fn verify_decoy_in_turn(
        &self,
        turn: Turn,
        password: &str,
    ) -> Result<(), AppError> {
        self.check(Some(turn), password, &self.decoy_hash)
            .await
            .map(|_| ())
    }

    /// Runs `work` on a blocking thread once a worker is free, or refuses
    /// at once when the queue is full. The place, the worker and `turn` go
    /// with `work` onto its thread: dropping this future (a client that
    /// hangs up) cannot free them while bcrypt still runs.
    async fn run<T: Send + 'static>(
        &self,
        turn: Option<Turn>,
        work: impl FnOnce() -> Result<T, bcrypt::BcryptError> + Send + 'static,
    ) -> Result<T, AppError> {
        let place = self
            .pool
            .places
            .clone()
            .try_acquire_owned()
            .map_err(|_| AppError::PasswordCheckBusy)?;
        // Never closed, so acquiring only fails if it were.
        let worker = self
            .pool
            .workers
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| AppError::Internal)?;
        tokio::task::spawn_blocking(move || {
            let _held = (place, worker, turn);
            work()
        })
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

    #[tokio::test]
    async fn a_dropped_check_keeps_its_places_until_its_hash_ends() {
        use std::task::{Context, Waker};

        // Cost 10 takes tens of milliseconds, far longer than one poll.
        let hasher = PasswordHasher::new(10, limits(1, 0)).unwrap();
        let hash = bcrypt::hash("Secret123", 10).unwrap();
        let turn = hasher.turn("ada", None).unwrap();
        // One poll takes the free place and worker and starts the hash;
        // then the future is dropped, as when a client hangs up.
        let mut check = Box::pin(hasher.verify_in_turn(turn, "Secret123", &hash));
        let polled = check.as_mut().poll(&mut Context::from_waker(Waker::noop()));
        assert!(polled.is_pending());
        drop(check);
        assert_eq!(
            hasher.turn("ada", None).unwrap_err(),
            AppError::PasswordCheckBusy,
            "the account's turn is still taken"
        );
        assert_eq!(
            hasher.verify("Secret123", &hash).await,
            Err(AppError::PasswordCheckBusy),
            "the only place is still taken"
        );
        tokio::time::timeout(Duration::from_secs(60), async {
            while hasher.turn("ada", None).is_err() {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
        .await
        .expect("the turn comes back once the hash ends");
        assert!(hasher.verify("Secret123", &hash).await.unwrap());
    }

    #[test]
    fn one_account_has_one_check_at_a_time() {
        let hasher = PasswordHasher::new(4, limits(1, 0)).unwrap();
        let turn = hasher.turn("ada", None).unwrap();
        assert_eq!(
            hasher.turn("ada", None).unwrap_err(),
            AppError::PasswordCheckBusy
        );
        assert!(hasher.turn("bob", None).is_ok());
        drop(turn);
        assert!(hasher.turn("ada", None).is_ok());
    }

    #[test]
    fn one_address_has_as_many_checks_as_there_are_workers() {
        let hasher = PasswordHasher::new(4, limits(2, 8)).unwrap();
        let flood: IpAddr = "198.51.100.1".parse().unwrap();
        let first = hasher.turn("a", Some(flood)).unwrap();
        let _second = hasher.turn("b", Some(flood)).unwrap();
        assert_eq!(
            hasher.turn("c", Some(flood)).unwrap_err(),
            AppError::PasswordCheckBusy
        );
        let honest: IpAddr = "203.0.113.7".parse().unwrap();
        assert!(
            hasher.turn("c", Some(honest)).is_ok(),
            "others still get in"
        );
        drop(first);
        let _third = hasher.turn("c", Some(flood)).unwrap();
        // A refused claim took nothing: the account "d" is still free.
        assert!(hasher.turn("d", Some(flood)).is_err());
        assert!(hasher.turn("d", None).is_ok());
    }
}
