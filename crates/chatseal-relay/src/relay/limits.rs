//! Limits: TCP connections (a listener that holds a permit per connection), live sockets per
//! tenant, and per-tenant request rates (token buckets).

use crate::error::ApiError;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::collections::HashMap;
use std::num::NonZeroU32;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// A TCP listener that accepts at most `max` connections at once; further ones wait in the
/// kernel's backlog until one closes.
pub struct LimitedListener {
    inner: TcpListener,
    permits: Arc<Semaphore>,
}

impl LimitedListener {
    /// Wraps a bound listener.
    pub fn new(inner: TcpListener, max: usize) -> Self {
        LimitedListener { inner, permits: Arc::new(Semaphore::new(max.max(1))) }
    }
}

/// A connection holding its permit until dropped.
pub struct LimitedStream {
    inner: TcpStream,
    _permit: OwnedSemaphorePermit,
}

impl axum::serve::Listener for LimitedListener {
    type Io = LimitedStream;
    type Addr = std::net::SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let Ok(permit) = Arc::clone(&self.permits).acquire_owned().await else {
                continue; // the semaphore is never closed
            };
            match self.inner.accept().await {
                Ok((stream, addr)) => {
                    let _ = stream.set_nodelay(true);
                    return (LimitedStream { inner: stream, _permit: permit }, addr);
                }
                Err(_) => tokio::time::sleep(std::time::Duration::from_millis(20)).await,
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        self.inner.local_addr()
    }
}

impl AsyncRead for LimitedStream {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for LimitedStream {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }
    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

/// Per-tenant request rate limiter.
pub struct TenantRates {
    limiter: DefaultKeyedRateLimiter<i64>,
}

impl TenantRates {
    /// `per_second` sustained, `burst` at once.
    pub fn new(per_second: u32, burst: u32) -> Self {
        let rate = NonZeroU32::new(per_second).unwrap_or(NonZeroU32::MIN);
        let burst = NonZeroU32::new(burst).unwrap_or(rate);
        TenantRates { limiter: RateLimiter::keyed(Quota::per_second(rate).allow_burst(burst)) }
    }

    /// Takes one request's token, or says when to retry.
    pub fn check(&self, tenant_id: i64) -> Result<(), ApiError> {
        self.limiter.check_key(&tenant_id).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            ApiError::rate_limited(wait.as_secs() + 1)
        })
    }
}

/// Counts open live sockets per tenant.
#[derive(Default)]
pub struct SocketCounts {
    max_per_tenant: usize,
    open: Mutex<HashMap<i64, usize>>,
}

/// One open socket; the count drops with it.
pub struct SocketSlot {
    counts: Arc<SocketCounts>,
    tenant_id: i64,
}

impl SocketCounts {
    /// At most `max_per_tenant` sockets per tenant.
    pub fn new(max_per_tenant: usize) -> Self {
        SocketCounts { max_per_tenant, open: Mutex::new(HashMap::new()) }
    }

    /// Takes a slot or refuses with `overloaded`.
    pub fn open(self: &Arc<Self>, tenant_id: i64) -> Result<SocketSlot, ApiError> {
        let mut open = self.open.lock().map_err(|_| ApiError::internal())?;
        let n = open.entry(tenant_id).or_insert(0);
        if *n >= self.max_per_tenant {
            return Err(ApiError::overloaded());
        }
        *n += 1;
        Ok(SocketSlot { counts: Arc::clone(self), tenant_id })
    }
}

impl Drop for SocketSlot {
    fn drop(&mut self) {
        if let Ok(mut open) = self.counts.open.lock() {
            if let Some(n) = open.get_mut(&self.tenant_id) {
                *n = n.saturating_sub(1);
            }
        }
    }
}
