//! The service end's secrets: its static X25519 keys by key id (with one current key, the one
//! widgets pin), the key its session records are sealed under, and the key of its encrypted
//! history. They live in a JSON file created with mode 0600 in the data directory, or come
//! whole from an environment variable (`CHATSEAL_SERVICE_KEYS`), and never reach the relay.
//!
//! Rotation: `rotate` adds a new key and makes it current (widgets pin the new public key);
//! sessions under older keys keep working while those keys are held; `retire` removes one,
//! after which its sessions' first turns cannot be re-derived (by design).

use chatseal::{Error, ServiceKeyPair, ServiceKeyring, ServicePublicKey};
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::{Path, PathBuf};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

/// Environment variable that, when set, holds the whole key file's JSON.
pub const KEYS_ENV: &str = "CHATSEAL_SERVICE_KEYS";

/// One static key.
#[derive(Clone, Serialize, Deserialize, Zeroize, ZeroizeOnDrop)]
struct StoredKey {
    key_id: String,
    secret: String,
    created_at: u64,
}

/// The key file.
#[derive(Clone, Serialize, Deserialize, Zeroize, ZeroizeOnDrop)]
pub struct ServiceKeys {
    version: u32,
    current: String,
    keys: Vec<StoredKey>,
    record_key: String,
    history_key: String,
}

impl core::fmt::Debug for ServiceKeys {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ServiceKeys")
            .field("current", &self.current)
            .field("keys", &self.keys.len())
            .finish_non_exhaustive()
    }
}

fn random32() -> Result<Zeroizing<[u8; 32]>, Error> {
    let mut b = Zeroizing::new([0u8; 32]);
    getrandom::fill(&mut *b).map_err(|_| Error::Entropy)?;
    Ok(b)
}

fn new_key() -> Result<(StoredKey, String), Error> {
    let pair = ServiceKeyPair::generate()?;
    let key_id = chatseal::hex_encode(pair.public_key().key_id());
    let secret = chatseal::base64url_encode(pair.expose_secret_bytes());
    Ok((StoredKey { key_id: key_id.clone(), secret, created_at: crate::db::now().max(0) as u64 }, key_id))
}

fn decode32(text: &str) -> Result<Zeroizing<[u8; 32]>, Error> {
    let bytes = Zeroizing::new(chatseal::base64url_decode(text)?);
    let mut out = Zeroizing::new([0u8; 32]);
    if bytes.len() != 32 {
        return Err(Error::InvalidInput("key file: a key must be 32 bytes"));
    }
    out.copy_from_slice(&bytes);
    Ok(out)
}

/// The key file's path in a data directory.
pub fn key_path(data_dir: &Path) -> PathBuf {
    data_dir.join("service-keys.json")
}

impl ServiceKeys {
    /// Fresh keys: one static key, a record key, a history key.
    pub fn generate() -> Result<Self, Error> {
        let (key, current) = new_key()?;
        Ok(ServiceKeys {
            version: 1,
            current,
            keys: vec![key],
            record_key: chatseal::base64url_encode(&*random32()?),
            history_key: chatseal::base64url_encode(&*random32()?),
        })
    }

    /// Parses the JSON form and checks every key.
    pub fn from_json(text: &str) -> Result<Self, Error> {
        let keys: ServiceKeys =
            serde_json::from_str(text).map_err(|_| Error::InvalidInput("key file is not valid JSON"))?;
        keys.keyring()?;
        decode32(&keys.record_key)?;
        decode32(&keys.history_key)?;
        keys.current_public()?;
        Ok(keys)
    }

    /// From `CHATSEAL_SERVICE_KEYS` if set, else the data directory's file (created on first
    /// use with mode 0600).
    pub fn load_or_create(data_dir: &Path) -> Result<Self, crate::BoxError> {
        if let Ok(text) = std::env::var(KEYS_ENV) {
            return Ok(Self::from_json(&text)?);
        }
        let path = key_path(data_dir);
        match std::fs::read_to_string(&path) {
            Ok(text) => Ok(Self::from_json(&Zeroizing::new(text))?),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let keys = Self::generate()?;
                keys.save(data_dir)?;
                Ok(keys)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Writes the file (0600), replacing it atomically.
    pub fn save(&self, data_dir: &Path) -> Result<(), crate::BoxError> {
        use std::os::unix::fs::OpenOptionsExt;
        std::fs::create_dir_all(data_dir)?;
        let tmp = data_dir.join(".service-keys.json.tmp");
        let text = Zeroizing::new(serde_json::to_string_pretty(self)?);
        let mut f = std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        std::fs::rename(&tmp, key_path(data_dir))?;
        Ok(())
    }

    /// Every held key pair.
    pub fn keyring(&self) -> Result<ServiceKeyring, Error> {
        let mut ring = ServiceKeyring::new();
        for k in &self.keys {
            ring.insert(ServiceKeyPair::from_secret_bytes(&*decode32(&k.secret)?)?);
        }
        Ok(ring)
    }

    /// The public key widgets pin.
    pub fn current_public(&self) -> Result<ServicePublicKey, Error> {
        let ring = self.keyring()?;
        let found = ring.public_keys().find(|p| chatseal::hex_encode(p.key_id()) == self.current).cloned();
        found.ok_or(Error::InvalidInput("key file: the current key is not held"))
    }

    /// Key ids held, current first.
    pub fn key_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self.keys.iter().map(|k| k.key_id.clone()).collect();
        ids.sort_by_key(|id| *id != self.current);
        ids
    }

    /// The record key.
    pub fn record_key(&self) -> Result<Zeroizing<[u8; 32]>, Error> {
        decode32(&self.record_key)
    }

    /// The history key.
    pub fn history_key(&self) -> Result<Zeroizing<[u8; 32]>, Error> {
        decode32(&self.history_key)
    }

    /// Adds a new static key and makes it current; its key id.
    pub fn rotate(&mut self) -> Result<String, Error> {
        let (key, id) = new_key()?;
        self.keys.push(key);
        self.current = id.clone();
        Ok(id)
    }

    /// Removes a key that is not current; whether it was held.
    pub fn retire(&mut self, key_id: &str) -> Result<bool, Error> {
        if key_id == self.current {
            return Err(Error::InvalidInput("the current key cannot be retired; rotate first"));
        }
        let before = self.keys.len();
        self.keys.retain(|k| k.key_id != key_id);
        Ok(self.keys.len() != before)
    }
}
