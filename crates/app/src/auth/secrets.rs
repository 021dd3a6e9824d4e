//! Opaque bearer secrets (refresh and verification tokens) and their storage hashes.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// 256 random bits, URL-safe base64: unguessable, and safe in a query string.
pub(crate) fn random_token() -> String {
    let mut bytes = [0_u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// What is stored instead of a token: its SHA-256, hex. The token has full
/// entropy, so a fast hash is enough and lets the store look it up directly.
pub(crate) fn token_hash(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|byte| format!("{byte:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_distinct_and_hashes_stable() {
        let first = random_token();
        assert_eq!(first.len(), 43);
        assert_ne!(first, random_token());
        assert_eq!(token_hash(&first), token_hash(&first));
        assert_eq!(token_hash(&first).len(), 64);
    }
}
