//! Reading batches on every thread at once, judging each batch in order.
//!
//! The engine reads files in batches of whole hours and, after each, judges what can no longer
//! change ([`crate::engine`]). Reading a batch with a parallel iterator and waiting for it to
//! end left every thread but one idle while the last part of each batch was read (about a tenth
//! of the threads' time at 1×, with a batch every eighth of a second). Here a thread that finds
//! no part of its batch left goes on to the next batch at once: each thread folds the parts it
//! reads of one batch into a worker of its own and hands the worker over when it moves on; the
//! thread whose hand-over completes a batch merges that batch's workers, and batches are
//! settled strictly in order, so the state each judgement sees is the one a batch-by-batch read
//! gives. At most two batches are read ahead of the last one settled, which bounds memory as
//! reading one batch while the previous one is settled did.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

/// How many batches may be read while the batch before them is not settled yet: the one being
/// finished and the next.
const AHEAD: usize = 2;

/// Reads `batches` (each a list of parts, `B: AsRef<[P]>`) on every thread of the current rayon
/// pool.
///
/// - `start` makes an empty worker, `read` folds one part into a worker, `merge` joins two
///   workers of one batch (it must not depend on their order: which thread read what varies);
/// - `settle` takes each batch's merged worker into `state`, batch 0 first.
///
/// Returns `state` after the last batch. Threads wait only for a batch two behind theirs to be
/// settled.
pub fn read_batches<B, P, W, S>(
    batches: &[B],
    start: impl Fn() -> W + Sync,
    read: impl Fn(W, &P) -> W + Sync,
    merge: impl Fn(W, W) -> W + Sync,
    settle: impl Fn(&mut S, usize, W) + Sync,
    state: S,
) -> S
where
    B: AsRef<[P]> + Sync,
    P: Sync,
    W: Send,
    S: Send,
{
    let parts: Vec<(usize, &P)> = batches
        .iter()
        .enumerate()
        .flat_map(|(b, parts)| parts.as_ref().iter().map(move |p| (b, p)))
        .collect();
    let shared = Shared {
        next: AtomicUsize::new(0),
        open: Mutex::new(
            batches
                .iter()
                .map(|parts| Open {
                    unread: parts.as_ref().len(),
                    holders: 0,
                    workers: Vec::new(),
                })
                .collect(),
        ),
        ready: Mutex::new(BTreeMap::new()),
        state: Mutex::new((state, 0)),
        settled: Mutex::new(0),
        settled_changed: Condvar::new(),
        abandoned: AtomicBool::new(false),
    };
    // Batches without parts are complete from the start.
    for (b, parts) in batches.iter().enumerate() {
        if parts.as_ref().is_empty() {
            shared.complete(b, Vec::new(), &start, &merge, &settle);
        }
    }
    rayon::broadcast(|_| {
        // A thread that panics will never hand its worker over: the others must not wait for
        // it (the panic reaches the caller once they are done).
        let _on_panic = AbandonOnPanic(&shared);
        let mut held: Option<(usize, W)> = None;
        while let Some(&(b, part)) = parts.get(shared.next.fetch_add(1, Ordering::Relaxed)) {
            let worker = match held.take() {
                Some((hb, w)) if hb == b => w,
                other => {
                    if let Some((hb, w)) = other {
                        shared.hand_over(hb, w, &start, &merge, &settle);
                    }
                    shared.wait_for_room(b);
                    shared.lock_open()[b].holders += 1;
                    start()
                }
            };
            let worker = read(worker, part);
            shared.lock_open()[b].unread -= 1;
            held = Some((b, worker));
        }
        if let Some((hb, w)) = held {
            shared.hand_over(hb, w, &start, &merge, &settle);
        }
    });
    let (mut state, mut settled) = shared
        .state
        .into_inner()
        .unwrap_or_else(PoisonError::into_inner);
    // Every batch was settled by the thread that completed it or by one settling before it;
    // whatever a race left behind is settled here, in order, rather than lost.
    let mut ready = shared
        .ready
        .into_inner()
        .unwrap_or_else(PoisonError::into_inner);
    while let Some(worker) = ready.remove(&settled) {
        settle(&mut state, settled, worker);
        settled += 1;
    }
    debug_assert!(
        shared.abandoned.into_inner() || (ready.is_empty() && settled == batches.len()),
        "every batch is settled"
    );
    state
}

/// A batch being read: parts not read to the end, threads holding a worker of it, workers
/// handed over.
struct Open<W> {
    unread: usize,
    holders: usize,
    workers: Vec<W>,
}

struct Shared<W, S> {
    /// The next part to hand out, in batch order.
    next: AtomicUsize,
    open: Mutex<Vec<Open<W>>>,
    /// Batches read whole, waiting for the batches before them to be settled.
    ready: Mutex<BTreeMap<usize, W>>,
    /// The settled state and how many batches it holds.
    state: Mutex<(S, usize)>,
    /// How many batches are settled, for threads waiting to read ahead.
    settled: Mutex<usize>,
    settled_changed: Condvar,
    /// Set when a thread panicked: nobody waits for room any more.
    abandoned: AtomicBool,
}

/// Marks the run abandoned when the thread holding it unwinds.
struct AbandonOnPanic<'s, W, S>(&'s Shared<W, S>);

impl<W, S> Drop for AbandonOnPanic<'_, W, S> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.abandoned.store(true, Ordering::SeqCst);
            let _settled = lock(&self.0.settled);
            self.0.settled_changed.notify_all();
        }
    }
}

/// Locks `m`, also after a thread panicked holding it: the panic itself reaches the caller, and
/// nobody may wait forever for a lock it left behind.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl<W, S> Shared<W, S> {
    fn lock_open(&self) -> MutexGuard<'_, Vec<Open<W>>> {
        lock(&self.open)
    }

    /// Batch `b`'s merged worker, if it is read (the lock is let go before it is settled).
    fn take_ready(&self, b: usize) -> Option<W> {
        lock(&self.ready).remove(&b)
    }

    /// Blocks until batch `b` may be read: fewer than [`AHEAD`] batches between it and the
    /// settled ones.
    fn wait_for_room(&self, b: usize) {
        let settled = lock(&self.settled);
        let _room = self
            .settled_changed
            .wait_while(settled, |settled| {
                b >= *settled + AHEAD && !self.abandoned.load(Ordering::SeqCst)
            })
            .unwrap_or_else(PoisonError::into_inner);
    }

    /// A thread is done with batch `b`: its worker joins the batch's, and the batch is
    /// complete when every part is read and every worker handed over.
    fn hand_over(
        &self,
        b: usize,
        worker: W,
        start: &impl Fn() -> W,
        merge: &impl Fn(W, W) -> W,
        settle: &impl Fn(&mut S, usize, W),
    ) {
        let workers = {
            let mut open = self.lock_open();
            let batch = &mut open[b];
            batch.holders -= 1;
            batch.workers.push(worker);
            if batch.unread > 0 || batch.holders > 0 {
                return;
            }
            std::mem::take(&mut batch.workers)
        };
        self.complete(b, workers, start, merge, settle);
    }

    /// Batch `b` is read: its workers are merged and it is settled, with every batch after it
    /// that is ready, once the batches before it are.
    fn complete(
        &self,
        b: usize,
        workers: Vec<W>,
        start: &impl Fn() -> W,
        merge: &impl Fn(W, W) -> W,
        settle: &impl Fn(&mut S, usize, W),
    ) {
        let merged = workers.into_iter().reduce(merge).unwrap_or_else(start);
        lock(&self.ready).insert(b, merged);
        // Whoever holds the state settles every batch that is next in turn; a batch made ready
        // while it does is seen by the check after it lets go.
        loop {
            let Ok(mut guard) = self.state.try_lock() else {
                return;
            };
            let (state, count) = &mut *guard;
            while let Some(worker) = self.take_ready(*count) {
                settle(state, *count, worker);
                *count += 1;
                *lock(&self.settled) = *count;
                self.settled_changed.notify_all();
            }
            let next = *count;
            drop(guard);
            if !lock(&self.ready).contains_key(&next) {
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every part is read once, into a worker of its own batch; batches are settled in order,
    /// each whole; and no batch is read while the one two before it is unsettled. With one
    /// thread and with several, batches of one part, of many, and none.
    #[test]
    fn batches_settle_in_order_whole() {
        let sizes = [3usize, 0, 1, 7, 2, 0, 5, 1, 1, 9];
        let batches: Vec<Vec<(usize, usize)>> = sizes
            .iter()
            .enumerate()
            .map(|(b, &n)| (0..n).map(|p| (b, p)).collect())
            .collect();
        for threads in [1, 2, 4] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            let settled_through = AtomicUsize::new(0);
            let settled: Vec<(usize, Vec<(usize, usize)>)> = pool.install(|| {
                read_batches(
                    &batches,
                    Vec::new,
                    |mut w: Vec<(usize, usize)>, &(b, p)| {
                        // Reading ahead stays within the bound.
                        assert!(b < settled_through.load(Ordering::SeqCst) + AHEAD);
                        w.push((b, p));
                        std::thread::yield_now();
                        w
                    },
                    |mut a, b| {
                        a.extend(b);
                        a
                    },
                    |state: &mut Vec<(usize, Vec<(usize, usize)>)>, b, mut w| {
                        w.sort_unstable();
                        state.push((b, w));
                        settled_through.store(b + 1, Ordering::SeqCst);
                    },
                    Vec::new(),
                )
            });
            let expected: Vec<(usize, Vec<(usize, usize)>)> =
                batches.iter().cloned().enumerate().collect();
            assert_eq!(settled, expected, "{threads} threads");
        }
    }

    /// A panic while a part is read reaches the caller; the other threads do not wait for the
    /// batch it left unread.
    #[test]
    fn a_panic_is_passed_on_not_waited_for() {
        let batches: Vec<Vec<(usize, usize)>> =
            (0..6).map(|b| (0..4).map(|p| (b, p)).collect()).collect();
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .unwrap();
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            pool.install(|| {
                read_batches(
                    &batches,
                    || 0usize,
                    |n, &part| {
                        assert!(part != (1, 0), "the first part of batch 1");
                        n + 1
                    },
                    |a, b| a + b,
                    |total: &mut usize, _, n| *total += n,
                    0,
                )
            })
        }));
        assert!(result.is_err());
    }
}
