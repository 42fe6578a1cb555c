//! Identifiers of new rows.

/// A new row id: a UUID v7, whose leading bits are the creation time, so rows made one
/// after another sit next to each other in every index keyed by id (a random v4 id
/// puts each insert on a different page of each such index, and every page a
/// transaction touches is written out again at commit).
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_uuids_that_sort_by_creation() {
        let ids: Vec<String> = (0..1000).map(|_| new_id()).collect();
        assert!(ids.iter().all(|id| crate::validation::is_uuid(id)));
        let mut sorted = ids.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), ids.len());
        // Within one millisecond the order still holds (the counter bits).
        assert_eq!(sorted, ids);
    }
}
