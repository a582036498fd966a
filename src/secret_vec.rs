//! A growable list of secrets that never leaves an unzeroized copy behind.
//!
//! `Vec::push` may reallocate, and `Vec::retain` moves elements down: both leave old bytes in
//! memory the allocator hands out again (in wasm, linear memory that a page could read). Here
//! every reorganisation moves the elements into a fresh buffer and drops the old one through
//! [`Zeroizing`], which wipes its whole capacity; removed elements wipe themselves on drop.

use zeroize::{Zeroize, Zeroizing};

pub(crate) struct SecretVec<T: Zeroize>(Zeroizing<Vec<T>>);

impl<T: Zeroize> SecretVec<T> {
    pub(crate) fn with_capacity(capacity: usize) -> Self {
        SecretVec(Zeroizing::new(Vec::with_capacity(capacity)))
    }

    pub(crate) fn push(&mut self, item: T) {
        if self.0.len() == self.0.capacity() {
            self.rebuild(self.0.capacity().saturating_mul(2).max(2), |_| true);
        }
        self.0.push(item);
    }

    /// Keeps the elements for which `keep` holds.
    pub(crate) fn retain(&mut self, keep: impl FnMut(&T) -> bool) {
        self.rebuild(self.0.capacity(), keep);
    }

    fn rebuild(&mut self, capacity: usize, mut keep: impl FnMut(&T) -> bool) {
        let mut fresh = Zeroizing::new(Vec::with_capacity(capacity.max(self.0.len())));
        // Moved-out elements leave their bytes in the old buffer; it is wiped whole when dropped.
        // Elements not kept are dropped here and wipe themselves if they are ZeroizeOnDrop.
        fresh.extend(self.0.drain(..).filter(|item| keep(item)));
        let old = core::mem::replace(&mut self.0, fresh);
        drop(old);
    }

    /// Removes the last element; its old place is wiped when the list is dropped or rebuilt.
    pub(crate) fn pop(&mut self) -> Option<T> {
        self.0.pop()
    }

    pub(crate) fn iter(&self) -> core::slice::Iter<'_, T> {
        self.0.iter()
    }

    pub(crate) fn last(&self) -> Option<&T> {
        self.0.last()
    }

    pub(crate) fn len(&self) -> usize {
        self.0.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_and_retains() {
        let mut v = SecretVec::with_capacity(1);
        for i in 0..10u32 {
            v.push([i as u8; 4]);
        }
        v.retain(|x| x[0] % 2 == 0);
        assert_eq!(v.iter().map(|x| x[0]).collect::<Vec<_>>(), vec![0, 2, 4, 6, 8]);
        assert_eq!(v.last(), Some(&[8; 4]));
        assert_eq!(v.len(), 5);
    }
}
