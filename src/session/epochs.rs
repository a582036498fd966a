//! The keys of a session's epochs and the rekeying steps between them (`SPEC.md` § 13.2), also
//! the pinned-mode forward-secrecy step (§ 5.1), which is a rekeying step whose offer is the
//! hello's ephemeral key.

use crate::entropy::Entropy;
use crate::error::{Error, Result};
use crate::ids::{Direction, Side, PUBLIC_KEY_LEN};
use crate::kdf::{derive_next_epoch, EpochKeys};
use crate::keys::{EphemeralSecret, RekeySecret};
use crate::primitives::KEY_LEN;
use crate::secret_vec::SecretVec;
use crate::wire::Rekey;
use zeroize::Zeroizing;

/// When to rekey, and whether to keep the keys of earlier epochs (`SPEC.md` § 13.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RekeyPolicy {
    /// Offer a new epoch after this many turns sealed in the current one (0 = never by count).
    pub every_turns: u32,
    /// Offer a new epoch once the current one is this many seconds old (0 = never by time; needs
    /// the session's clock).
    pub every_secs: u32,
    /// Keep earlier epochs' keys so history can be re-opened. `false` (the default) deletes them
    /// once both ends have moved to a new epoch: turns of deleted epochs can then never be
    /// opened again, by anyone.
    pub keep_old_epochs: bool,
}

impl Default for RekeyPolicy {
    /// Every 100 turns or every hour, old epochs deleted.
    fn default() -> Self {
        RekeyPolicy { every_turns: 100, every_secs: 3600, keep_old_epochs: false }
    }
}

impl RekeyPolicy {
    /// Only on demand ([`crate::Session::rekey_now`]), keeping every epoch.
    pub const MANUAL: RekeyPolicy = RekeyPolicy { every_turns: 0, every_secs: 0, keep_old_epochs: true };
}

/// Where a rekeying step stands.
pub(crate) enum RekeyState {
    Idle,
    /// This end offered; every turn it seals carries the offer until an answer authenticates.
    Offered(RekeySecret),
    /// This end answered `offer` with `answer` and moved to the new epoch; every turn carries the
    /// answer until the peer's first turn in the new epoch shows it arrived.
    Answered {
        offer: [u8; PUBLIC_KEY_LEN],
        answer: [u8; PUBLIC_KEY_LEN],
    },
}

/// A new epoch an authentic turn calls for, applied only when the open commits.
pub(crate) struct NewEpoch {
    keys: EpochKeys,
    root: Zeroizing<[u8; KEY_LEN]>,
    state: RekeyState,
}

/// The epoch keys this end holds, the root of the newest, and the rekeying state.
pub(crate) struct Epochs {
    pub(crate) keys: SecretVec<EpochKeys>,
    pub(crate) root: Zeroizing<[u8; KEY_LEN]>,
    /// The epoch this end seals in.
    pub(crate) send: u32,
    pub(crate) state: RekeyState,
    pub(crate) policy: RekeyPolicy,
    /// Turns sealed in `send`.
    pub(crate) sent_in_epoch: u64,
    /// When this end began sealing in `send` (Unix seconds; 0 without a clock).
    pub(crate) started_at: u64,
}

impl Epochs {
    pub(crate) fn new(keys: EpochKeys, root: Zeroizing<[u8; KEY_LEN]>, policy: RekeyPolicy, now: u64) -> Self {
        let mut list = SecretVec::with_capacity(4);
        let send = keys.number;
        list.push(keys);
        Epochs { keys: list, root, send, state: RekeyState::Idle, policy, sent_in_epoch: 0, started_at: now }
    }

    pub(crate) fn get(&self, number: u32) -> Option<&EpochKeys> {
        self.keys.iter().find(|e| e.number == number)
    }

    pub(crate) fn newest(&self) -> u32 {
        self.keys.last().map_or(self.send, |e| e.number)
    }

    pub(crate) fn numbers(&self) -> Vec<u32> {
        self.keys.iter().map(|e| e.number).collect()
    }

    pub(crate) fn pending(&self) -> bool {
        !matches!(self.state, RekeyState::Idle)
    }

    /// Asks for a new epoch (`counter_exhausted` when the newest is the last one).
    pub(crate) fn rekey_now(&mut self, entropy: &mut Entropy) -> Result<()> {
        if self.newest() == u32::MAX {
            return Err(Error::CounterExhausted);
        }
        if matches!(self.state, RekeyState::Idle) {
            self.state = RekeyState::Offered(RekeySecret::generate(entropy)?);
        }
        Ok(())
    }

    /// Whether the policy asks for a new epoch now.
    fn due(&self, now: Option<u64>) -> bool {
        let by_count = self.policy.every_turns > 0 && self.sent_in_epoch >= u64::from(self.policy.every_turns);
        let by_time = self.policy.every_secs > 0
            && now.is_some_and(|t| t >= self.started_at.saturating_add(u64::from(self.policy.every_secs)));
        (by_count || by_time) && self.newest() < u32::MAX
    }

    /// The rekeying step the next sealed turn carries, and a fresh offer secret to keep if the
    /// seal succeeds. `may_offer` is false while the hello is still to be sent.
    pub(crate) fn outgoing(
        &self,
        may_offer: bool,
        now: Option<u64>,
        entropy: &mut Entropy,
    ) -> Result<(Option<Rekey>, Option<RekeySecret>)> {
        Ok(match &self.state {
            RekeyState::Idle if may_offer && self.due(now) => {
                let secret = RekeySecret::generate(entropy)?;
                (Some(Rekey::Offer(*secret.public())), Some(secret))
            }
            RekeyState::Idle => (None, None),
            RekeyState::Offered(secret) => (may_offer.then(|| Rekey::Offer(*secret.public())), None),
            RekeyState::Answered { answer, .. } => (Some(Rekey::Answer(*answer)), None),
        })
    }

    /// After a successful seal.
    pub(crate) fn sealed(&mut self, offer: Option<RekeySecret>) {
        self.sent_in_epoch = self.sent_in_epoch.saturating_add(1);
        if let Some(secret) = offer {
            self.state = RekeyState::Offered(secret);
        }
    }

    /// The key that opens a turn of `direction` in `epoch`, and the new epoch an answer to this
    /// end's offer creates (derived tentatively: kept only if the turn authenticates).
    pub(crate) fn opening_key(
        &self,
        epoch: u32,
        direction: Direction,
        rekey: Option<&Rekey>,
    ) -> Result<(Zeroizing<[u8; KEY_LEN]>, Option<NewEpoch>)> {
        if let Some(keys) = self.get(epoch) {
            return Ok((Zeroizing::new(*direction_key(keys, direction)), None));
        }
        match (&self.state, rekey) {
            (RekeyState::Offered(secret), Some(Rekey::Answer(answer)))
                if Some(epoch) == self.newest().checked_add(1) =>
            {
                let (keys, root) = derive_next_epoch(&self.root, &*secret.agree(answer)?, epoch)?;
                let key = Zeroizing::new(*direction_key(&keys, direction));
                Ok((key, Some(NewEpoch { keys, root, state: RekeyState::Idle })))
            }
            _ => Err(Error::UnknownEpoch),
        }
    }

    /// After an authentic turn in `epoch` that carries `offer` (a rekey offer, or the pinned
    /// hello's key): the answer this end gives, as a new epoch, if it answers. When both ends
    /// offered at once the initiator's offer wins; a repeated offer is ignored once answered.
    pub(crate) fn answer_offer(
        &self,
        side: Side,
        epoch: u32,
        offer: &[u8; PUBLIC_KEY_LEN],
        entropy: &mut Entropy,
    ) -> Result<Option<NewEpoch>> {
        let ours_wins = matches!(self.state, RekeyState::Offered(_)) && side == Side::Initiator;
        let fresh = epoch == self.newest() && !matches!(self.state, RekeyState::Answered { .. });
        // An offer beyond the last epoch is never answered (an honest peer cannot make one).
        let Some(next) = self.newest().checked_add(1) else { return Ok(None) };
        if !fresh || ours_wins {
            return Ok(None);
        }
        let ephemeral = EphemeralSecret::generate(entropy)?;
        let answer = *ephemeral.public();
        let (keys, root) = derive_next_epoch(&self.root, &*ephemeral.diffie_hellman(offer)?, next)?;
        Ok(Some(NewEpoch { keys, root, state: RekeyState::Answered { offer: *offer, answer } }))
    }

    /// Whether an authentic turn in `epoch` shows the peer moved to the epoch this end answered.
    pub(crate) fn acknowledges(&self, epoch: u32) -> bool {
        matches!(self.state, RekeyState::Answered { .. }) && epoch == self.newest()
    }

    /// Applies what an authentic turn called for.
    pub(crate) fn commit(&mut self, acknowledged: bool, new: Option<NewEpoch>, now: u64) {
        if acknowledged {
            self.state = RekeyState::Idle;
            self.drop_old();
        }
        if let Some(NewEpoch { keys, root, state }) = new {
            self.send = keys.number;
            self.keys.push(keys);
            self.root = root;
            self.sent_in_epoch = 0;
            self.started_at = now;
            self.state = state;
            if matches!(self.state, RekeyState::Idle) {
                self.drop_old();
            }
        }
    }

    /// Under a policy that does not keep them, deletes (zeroizes) the keys of epochs before the
    /// one this end seals in, once both ends use it.
    fn drop_old(&mut self) {
        if !self.policy.keep_old_epochs {
            let current = self.send;
            self.keys.retain(|e| e.number >= current);
        }
    }

    /// The keys of the only epoch held (a session that never moved on), taken out.
    pub(crate) fn take_only(&mut self) -> Option<EpochKeys> {
        if self.keys.len() == 1 {
            self.keys.pop()
        } else {
            None
        }
    }

    /// How many 32-byte secrets are held (two per epoch, the root, a pending offer secret).
    pub(crate) fn secret_count(&self) -> usize {
        2 * self.keys.len() + 1 + usize::from(matches!(self.state, RekeyState::Offered(_)))
    }
}

pub(crate) fn direction_key(keys: &EpochKeys, direction: Direction) -> &[u8; KEY_LEN] {
    match direction {
        Direction::InitiatorToResponder => &keys.i2r,
        Direction::ResponderToInitiator => &keys.r2i,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn epochs(policy: RekeyPolicy) -> Epochs {
        let keys = EpochKeys { number: 0, i2r: [1; 32], r2i: [2; 32] };
        Epochs::new(keys, Zeroizing::new([3; 32]), policy, 1000)
    }

    #[test]
    fn policy_by_count_and_time() {
        let mut e = epochs(RekeyPolicy { every_turns: 2, every_secs: 60, keep_old_epochs: false });
        assert!(!e.due(Some(1000)));
        assert!(e.due(Some(1060)), "an hour... a minute later");
        assert!(!e.due(None), "no clock, no time trigger");
        e.sent_in_epoch = 2;
        assert!(e.due(None));
        assert!(!epochs(RekeyPolicy::MANUAL).due(Some(u64::MAX)));
    }

    #[test]
    fn offer_answer_and_the_last_epoch() {
        let mut entropy = Entropy::os();
        let mut a = epochs(RekeyPolicy::MANUAL);
        let b = epochs(RekeyPolicy::MANUAL);
        a.rekey_now(&mut entropy).unwrap();
        let (Some(Rekey::Offer(offer)), None) = a.outgoing(true, None, &mut entropy).unwrap() else { panic!() };
        let answered = b.answer_offer(Side::Responder, 0, &offer, &mut entropy).unwrap().unwrap();
        let RekeyState::Answered { answer, .. } = answered.state else { panic!() };
        let (key, new) = a.opening_key(1, Direction::ResponderToInitiator, Some(&Rekey::Answer(answer))).unwrap();
        assert_eq!(*key, answered.keys.r2i);
        a.commit(false, new, 0);
        assert_eq!((a.send, a.numbers()), (1, vec![0, 1]));
        assert!(!a.pending());
        // The initiator's own pending offer wins over the responder's.
        a.rekey_now(&mut entropy).unwrap();
        assert!(a.answer_offer(Side::Initiator, 1, &offer, &mut entropy).unwrap().is_none());
        let mut last = epochs(RekeyPolicy::MANUAL);
        last.keys = SecretVec::with_capacity(1);
        last.keys.push(EpochKeys { number: u32::MAX, i2r: [0; 32], r2i: [0; 32] });
        assert_eq!(last.rekey_now(&mut entropy), Err(Error::CounterExhausted));
        assert!(last.answer_offer(Side::Responder, u32::MAX, &offer, &mut entropy).unwrap().is_none());
    }
}
