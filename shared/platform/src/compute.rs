//! One bounded pool for the CPU-heavy work of a process (verifying and
//! signing PDFs, hashing uploads): at most `workers` jobs run at once on
//! Tokio's blocking threads, at most `queue` more wait their turn, and a job
//! beyond that is refused at once with a Spanish 503 and `Retry-After`, so a
//! burst of public uploads cannot pile up unbounded work or memory.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::Semaphore;

use crate::error::ApiError;

/// The process's pool of CPU-heavy work. Cloning shares it.
#[derive(Clone)]
pub struct ComputePool {
    permits: Arc<Semaphore>,
    waiting: Arc<AtomicUsize>,
    queue: usize,
}

impl Default for ComputePool {
    /// As many workers as cores, and four waiting jobs per worker.
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        ComputePool::new(cores, cores * 4)
    }
}

impl ComputePool {
    /// A pool running `workers` jobs at once with at most `queue` waiting.
    pub fn new(workers: usize, queue: usize) -> Self {
        ComputePool {
            permits: Arc::new(Semaphore::new(workers.max(1))),
            waiting: Arc::new(AtomicUsize::new(0)),
            queue,
        }
    }

    /// Runs `work` on a blocking thread when a worker is free, inside the
    /// caller's tracing span. Refuses with 503 when the queue is full.
    pub async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, ApiError> {
        let permit = match self.permits.clone().try_acquire_owned() {
            Ok(permit) => permit,
            Err(_) => {
                let waiting = Waiting::enter(&self.waiting, self.queue).ok_or_else(|| {
                    ApiError::Unavailable(
                        "El servidor está ocupado procesando otros documentos. Intente de nuevo en unos segundos."
                            .into(),
                    )
                })?;
                let permit = self.permits.clone().acquire_owned().await.map_err(|e| {
                    ApiError::Unexpected(
                        anyhow::Error::new(e).context("esperando turno de cómputo"),
                    )
                })?;
                drop(waiting);
                permit
            }
        };
        let span = tracing::Span::current();
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let _entered = span.enter();
            work()
        })
        .await
        .map_err(|e| ApiError::Unexpected(anyhow::Error::new(e).context("tarea de cómputo")))
    }

    /// Jobs waiting for a worker now.
    pub fn waiting(&self) -> usize {
        self.waiting.load(Ordering::Acquire)
    }
}

/// A place in the queue, given back when dropped (also when the request is
/// abandoned while waiting).
struct Waiting<'a>(&'a AtomicUsize);

impl<'a> Waiting<'a> {
    fn enter(counter: &'a AtomicUsize, limit: usize) -> Option<Self> {
        counter
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < limit).then_some(n + 1)
            })
            .ok()
            .map(|_| Waiting(counter))
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_full_queue_is_refused_with_503_and_the_rest_complete() {
        let pool = ComputePool::new(1, 2);
        let (release, gate) = std::sync::mpsc::channel::<()>();
        let gate = Arc::new(std::sync::Mutex::new(gate));
        let mut running = Vec::new();
        for _ in 0..3 {
            let pool = pool.clone();
            let gate = gate.clone();
            running.push(tokio::spawn(async move {
                pool.run(move || {
                    let _ = gate.lock().unwrap().recv_timeout(Duration::from_secs(10));
                })
                .await
            }));
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        // One runs, two wait: the fourth is refused.
        assert_eq!(pool.waiting(), 2);
        let refused = pool.run(|| ()).await.unwrap_err();
        assert_eq!(refused.status().as_u16(), 503);
        for _ in 0..3 {
            release.send(()).unwrap();
        }
        for job in running {
            job.await.unwrap().unwrap();
        }
        assert_eq!(pool.waiting(), 0);
        pool.run(|| ()).await.unwrap();
    }
}
