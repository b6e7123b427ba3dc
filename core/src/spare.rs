//! Tables a batch's passes emptied, kept on their thread for the next batch's passes to fill.
//!
//! Every batch is read by passes that start empty (`Analysis::start`), and each grew its
//! per-entity table (calls, SMS messages, and the entities of `EntityPass`: streams, chat
//! requests, ...) entry by entry to about the size of the last batch's: a rehash at every
//! doubling, on fresh pages the kernel had to zero, and the pages handed back once the table
//! was merged and freed. A merge that empties a batch's table now leaves it here
//! ([`keep_map`]), and the next pass started on the thread takes it ([`take_map`]) with its
//! room: in the profile of a 10x run, page faults, handing pages back, copying and rehashing
//! went from 8.2 % to 6.8 % of the samples.
//!
//! What is kept is bounded: one table of each type per thread, none with room for more than
//! [`MOST_ENTRIES`], and [`clear`] lets them all go once reading ends.

use std::any::Any;
use std::cell::RefCell;

use crate::FastMap;

/// The most entries a kept table may have room for: a batch's table is far smaller (a batch is
/// about `[ingest] batch_bytes` per thread), while a table as large as a whole unbatched input
/// is not worth holding on to.
pub const MOST_ENTRIES: usize = 1 << 16;

thread_local! {
    static SPARES: RefCell<Vec<Box<dyn Any>>> = const { RefCell::new(Vec::new()) };
}

/// An empty table, with the room of the one last kept on this thread when there is one.
pub fn take_map<K: 'static, V: 'static>() -> FastMap<K, V> {
    SPARES
        .with(|spares| {
            let mut spares = spares.try_borrow_mut().ok()?;
            let at = spares.iter().position(|s| s.is::<FastMap<K, V>>())?;
            spares.swap_remove(at).downcast::<FastMap<K, V>>().ok()
        })
        .map(|map| *map)
        .unwrap_or_default()
}

/// Empties `map` and keeps it for the next [`take_map`] of its type on this thread (the roomier
/// of it and one already kept; not at all above [`MOST_ENTRIES`]).
pub fn keep_map<K: 'static, V: 'static>(mut map: FastMap<K, V>) {
    let room = map.capacity();
    if room == 0 || room > MOST_ENTRIES {
        return;
    }
    map.clear();
    SPARES.with(|spares| {
        let Ok(mut spares) = spares.try_borrow_mut() else {
            return;
        };
        match spares
            .iter_mut()
            .find_map(|s| s.downcast_mut::<FastMap<K, V>>())
        {
            Some(kept) if kept.capacity() >= room => {}
            Some(kept) => *kept = map,
            None => spares.push(Box::new(map)),
        }
    });
}

/// Lets every table kept on this thread go.
pub fn clear() {
    SPARES.with(|spares| {
        if let Ok(mut spares) = spares.try_borrow_mut() {
            spares.clear();
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kept_table_comes_back_empty_with_its_room() {
        clear();
        let mut map: FastMap<u64, String> = FastMap::default();
        for i in 0..1000 {
            map.insert(i, i.to_string());
        }
        let room = map.capacity();
        keep_map(map);
        let back: FastMap<u64, String> = take_map();
        assert!(back.is_empty());
        assert_eq!(back.capacity(), room);
        // Taken: the next one starts without room.
        let next: FastMap<u64, String> = take_map();
        assert_eq!(next.capacity(), 0);
    }

    #[test]
    fn tables_of_other_types_are_kept_apart() {
        clear();
        let mut numbers: FastMap<u64, u64> = FastMap::default();
        numbers.insert(1, 1);
        keep_map(numbers);
        let texts: FastMap<u64, String> = take_map();
        assert_eq!(texts.capacity(), 0);
        let numbers: FastMap<u64, u64> = take_map();
        assert!(numbers.capacity() > 0);
    }

    #[test]
    fn the_roomier_table_is_kept_and_large_ones_are_not() {
        clear();
        let small: FastMap<u64, u64> = (0..10).map(|i| (i, i)).collect();
        let large: FastMap<u64, u64> = (0..500).map(|i| (i, i)).collect();
        let large_room = large.capacity();
        keep_map(large);
        keep_map(small);
        assert_eq!(take_map::<u64, u64>().capacity(), large_room);

        let huge: FastMap<u64, u64> = (0..MOST_ENTRIES as u64 + 1).map(|i| (i, i)).collect();
        keep_map(huge);
        assert_eq!(take_map::<u64, u64>().capacity(), 0);

        keep_map::<u64, u64>((0..10).map(|i| (i, i)).collect());
        clear();
        assert_eq!(take_map::<u64, u64>().capacity(), 0);
    }
}
