//! Case-insensitive substring search that works the same on both backends, indexed.
//!
//! Every searchable entity keeps one row in `search_docs` (its searched fields,
//! lower-cased in Rust and joined by line breaks) and one row per distinct gram in
//! `search_grams`: every 3-character gram of each field, and every 1- and
//! 2-character gram that holds a non-ASCII character (so `王`, `王伟`, `福州` are served
//! by the index). A gram of up to three characters packs exactly into a 63-bit
//! integer (three 21-bit Unicode scalars), so the index holds no text and no hash
//! collisions.
//!
//! The document is written in the same transaction as the entity, and so is the
//! removal of grams its new text lacks: `search_grams` never holds a gram the current
//! text does not. New grams go through `search_queue` (filled by a trigger on
//! `search_docs`): [`merge`], run in the background, inserts them sorted, in batches,
//! so a write does not dirty one index page per gram. Until then a search also reads
//! the queued documents' text, so results are the same before and after the merge.
//!
//! A query of up to three characters whose gram is indexed is answered by that gram
//! alone (a field contains the gram exactly when it contains the query). A longer
//! query takes the entities holding a few of its 3-grams and checks the substring on
//! the stored folded text. A query of one or two ASCII characters is not indexed (it
//! matches most rows, so an ordered scan fills a page at once): callers then fall
//! back to a `LIKE` on their own columns.

use diesel::prelude::*;
use diesel::sql_types::Text;

use crate::db::schema::{search_docs, search_grams, search_queue};
use crate::db::Db;
use crate::error::Error;

diesel::define_sql_function!(
    /// SQL `lower()`, for the short-ASCII fallback.
    fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text
);

/// What kind of entity a search document describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Event = 1,
    Company = 2,
    Contact = 3,
    /// Reserved for intentions.
    Intention = 4,
}

/// The separator between fields in a document: queries are one line, so a match
/// never spans two fields.
const SEPARATOR: char = '\n';

/// The most 3-grams of a long query that are intersected (the substring check on the
/// folded text does the rest).
const MAX_GRAMS: usize = 4;

/// How a list narrows to the entities that match a query.
#[derive(Debug, Clone, PartialEq)]
pub enum Matches {
    /// Exactly these ids (the query's rarest gram had few entities: found and checked
    /// here).
    Ids(Vec<String>),
    /// The entities holding this gram (a query made only of common grams: matches are
    /// dense, a page fills from the first rows), when `checked` whose folded text also
    /// matches `pattern` (a long query); and the queued documents whose text matches it.
    Dense {
        kind: i32,
        gram: i64,
        pattern: String,
        checked: bool,
    },
}

/// Beyond this many entities a gram is "common": its ids are not fetched one by one.
const CAP: i64 = 1000;

/// A LIKE pattern (with `\` as escape) matching text that contains `q` literally.
pub fn contains_pattern(q: &str) -> String {
    let mut out = String::with_capacity(q.len() + 2);
    out.push('%');
    for ch in q.chars() {
        if matches!(ch, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(ch);
    }
    out.push('%');
    out
}

/// How searched text is folded, the same for documents and queries.
pub fn fold(text: &str) -> String {
    text.to_lowercase()
}

/// Packs a gram of one to three characters into an integer, exactly.
fn pack(chars: &[char]) -> i64 {
    chars.iter().fold(0i64, |acc, c| (acc << 21) | i64::from(u32::from(*c)))
}

fn indexed(chars: &[char]) -> bool {
    chars.len() >= 3 || chars.iter().any(|c| !c.is_ascii())
}

/// The distinct indexed grams of one folded field.
fn field_grams(field: &str, out: &mut std::collections::BTreeSet<i64>) {
    let chars: Vec<char> = field.chars().collect();
    for n in 1..=3 {
        for w in chars.windows(n) {
            if indexed(w) {
                out.insert(pack(w));
            }
        }
    }
}

/// The document of some fields: folded, absent fields skipped.
fn document(fields: &[Option<&str>]) -> String {
    let parts: Vec<String> = fields
        .iter()
        .flatten()
        .map(|f| fold(f).replace(SEPARATOR, " "))
        .collect();
    parts.join(&SEPARATOR.to_string())
}

/// The grams of a document.
fn grams(doc: &str) -> std::collections::BTreeSet<i64> {
    let mut out = Default::default();
    doc.split(SEPARATOR).for_each(|f| field_grams(f, &mut out));
    out
}

/// Indexes a new entity from its searched fields (inside the caller's transaction):
/// one row, its document. A trigger queues it; its grams reach `search_grams` with the
/// next [`merge`], and searches read queued documents' text until then.
pub fn add(conn: &mut Db, kind: Kind, id: &str, fields: &[Option<&str>]) -> Result<(), Error> {
    diesel::insert_into(search_docs::table)
        .values((
            search_docs::kind.eq(kind as i32),
            search_docs::entity_id.eq(id),
            search_docs::body.eq(document(fields)),
        ))
        .execute(conn)?;
    Ok(())
}

/// [`add`] for many new entities of one kind at once: `(id, searched fields)` each.
pub fn add_many(conn: &mut Db, kind: Kind, entities: &[(&str, Vec<Option<&str>>)]) -> Result<(), Error> {
    let rows: Vec<_> = entities
        .iter()
        .map(|(id, fields)| {
            (
                search_docs::kind.eq(kind as i32),
                search_docs::entity_id.eq(*id),
                search_docs::body.eq(document(fields)),
            )
        })
        .collect();
    crate::insert_many!(conn, search_docs::table, &rows)?;
    Ok(())
}

/// Rewrites the index of one entity from its searched fields (inside the caller's
/// transaction), queueing it like [`add`]. Grams the new text lacks are deleted now,
/// so that `search_grams` never holds a gram the entity's current text does not (an
/// erased name is not found even before the merge).
pub fn index(conn: &mut Db, kind: Kind, id: &str, fields: &[Option<&str>]) -> Result<(), Error> {
    let doc = document(fields);
    match stored(conn, kind, id)? {
        Some(body) if body == doc => Ok(()),
        Some(body) => {
            diesel::update(search_docs::table.find((kind as i32, id)))
                .set(search_docs::body.eq(&doc))
                .execute(conn)?;
            let gone: Vec<i64> = grams(&body).difference(&grams(&doc)).copied().collect();
            delete_grams(conn, kind, id, &gone)
        }
        None => add(conn, kind, id, fields),
    }
}

/// The stored document of an entity, if any.
fn stored(conn: &mut Db, kind: Kind, id: &str) -> Result<Option<String>, Error> {
    Ok(search_docs::table
        .find((kind as i32, id))
        .select(search_docs::body)
        .first(conn)
        .optional()?)
}

/// Inserts gram rows in statements of many rows each (the multi-backend connection
/// has no batch insert); rows already there are kept. Ids are the service's own UUIDs,
/// checked before they are written into the statement; grams and kinds are integers.
fn insert_grams(conn: &mut Db, rows: &[(i32, i64, &str)]) -> Result<(), Error> {
    for chunk in rows.chunks(500) {
        let mut sql = String::from("INSERT INTO search_grams (kind, gram, entity_id) VALUES ");
        for (i, (kind, gram, id)) in chunk.iter().enumerate() {
            if !crate::validation::is_uuid(id) {
                return Err(Error::Internal(format!("refusing to index a non-UUID id {id:?}")));
            }
            if i > 0 {
                sql.push(',');
            }
            sql.push_str(&format!("({kind},{gram},'{id}')"));
        }
        sql.push_str(" ON CONFLICT DO NOTHING");
        diesel::sql_query(sql).execute(conn)?;
    }
    Ok(())
}

fn delete_grams(conn: &mut Db, kind: Kind, id: &str, grams: &[i64]) -> Result<(), Error> {
    for chunk in grams.chunks(200) {
        diesel::delete(
            search_grams::table
                .filter(search_grams::kind.eq(kind as i32))
                .filter(search_grams::entity_id.eq(id))
                .filter(search_grams::gram.eq_any(chunk)),
        )
        .execute(conn)?;
    }
    Ok(())
}

/// Removes an entity from the index.
pub fn remove(conn: &mut Db, kind: Kind, id: &str) -> Result<(), Error> {
    if let Some(body) = stored(conn, kind, id)? {
        let old: Vec<i64> = grams(&body).into_iter().collect();
        delete_grams(conn, kind, id, &old)?;
        diesel::delete(search_docs::table.find((kind as i32, id))).execute(conn)?;
    }
    diesel::delete(search_queue::table.find((kind as i32, id))).execute(conn)?;
    Ok(())
}

/// The most documents one [`merge`] takes: one transaction's worth that keeps other
/// writers' wait short.
pub const MERGE_BATCH: i64 = 250;

/// Moves the grams of up to `limit` queued documents into `search_grams`, sorted (so a
/// page of the index is written once for all of its new rows), and dequeues them, in the
/// caller's transaction; returns how many were merged. On PostgreSQL the queued rows
/// and their documents are locked and rows locked by others skipped: replicas merge
/// side by side, and a document changing meanwhile is merged on the next round from
/// its new text.
pub fn merge(conn: &mut Db, limit: i64) -> Result<usize, Error> {
    let query = search_queue::table
        .inner_join(
            search_docs::table.on(search_docs::kind
                .eq(search_queue::kind)
                .and(search_docs::entity_id.eq(search_queue::entity_id))),
        )
        .select((search_queue::kind, search_queue::entity_id, search_docs::body))
        .order((search_queue::kind, search_queue::entity_id))
        .limit(limit);
    let docs: Vec<(i32, String, String)> = match conn {
        Db::Pg(pg) => query.for_update().skip_locked().load(pg)?,
        Db::Sqlite(lite) => query.load(lite)?,
    };
    let mut rows: Vec<(i32, i64, &str)> = docs
        .iter()
        .flat_map(|(kind, id, body)| grams(body).into_iter().map(move |g| (*kind, g, id.as_str())))
        .collect();
    rows.sort_unstable();
    insert_grams(conn, &rows)?;
    for kind in [Kind::Event, Kind::Company, Kind::Contact, Kind::Intention] {
        let ids: Vec<&str> = docs
            .iter()
            .filter(|(k, _, _)| *k == kind as i32)
            .map(|(_, id, _)| id.as_str())
            .collect();
        for chunk in ids.chunks(500) {
            diesel::delete(
                search_queue::table
                    .filter(search_queue::kind.eq(kind as i32))
                    .filter(search_queue::entity_id.eq_any(chunk)),
            )
            .execute(conn)?;
        }
    }
    Ok(docs.len())
}

/// How many documents wait for a merge (all kinds).
pub fn queued_count(conn: &mut Db) -> Result<i64, Error> {
    Ok(search_queue::table.count().get_result(conn)?)
}

/// The queued documents of `kind` whose text contains the folded query `q`.
fn queued(conn: &mut Db, kind: i32, q: &str) -> Result<Vec<String>, Error> {
    Ok(crate::waiting_docs!(kind, contains_pattern(q)).load(conn)?)
}

/// The query of the ids of the documents of `$kind` still queued for the merge (not
/// in the grams yet) whose text matches the LIKE `$pattern`. A macro, not a function:
/// the multi-backend connection cannot take a boxed query as a subquery, and
/// [`search_filter!`] needs it as one.
#[macro_export]
macro_rules! waiting_docs {
    ($kind:expr, $pattern:expr $(,)?) => {{
        use $crate::db::schema::{search_docs, search_queue};
        let kind: i32 = $kind;
        search_docs::table
            .filter(search_docs::kind.eq(kind))
            .filter(
                search_docs::entity_id.eq_any(
                    search_queue::table
                        .filter(search_queue::kind.eq(kind))
                        .select(search_queue::entity_id),
                ),
            )
            .filter(search_docs::body.like($pattern).escape('\\'))
            .select(search_docs::entity_id)
    }};
}

/// The 3-grams of a long query that are intersected: spread over the query, so that
/// few candidates survive.
fn query_grams(chars: &[char]) -> Vec<i64> {
    let all: Vec<i64> = chars.windows(3).map(pack).collect();
    let mut picked: Vec<i64> = Vec::new();
    let steps = MAX_GRAMS.min(all.len());
    for i in 0..steps {
        let at = if steps == 1 {
            0
        } else {
            i * (all.len() - 1) / (steps - 1)
        };
        if !picked.contains(&all[at]) {
            picked.push(all[at]);
        }
    }
    picked
}

/// Narrows a list to the entities of `kind` whose fields contain the folded query
/// `q`; `None` when the query is one or two ASCII characters (not indexed: the caller
/// scans with [`contains_pattern`]).
pub fn matching(conn: &mut Db, kind: Kind, q: &str) -> Result<Option<Matches>, Error> {
    matching_within(conn, kind, q, CAP)
}

/// [`matching`] with `cap` as the size beyond which a gram counts as common.
fn matching_within(conn: &mut Db, kind: Kind, q: &str, cap: i64) -> Result<Option<Matches>, Error> {
    let chars: Vec<char> = q.chars().collect();
    if chars.is_empty() || !indexed(&chars) {
        return Ok(None);
    }
    let k = kind as i32;
    let long = chars.len() > 3;
    let grams = if long { query_grams(&chars) } else { vec![pack(&chars)] };
    // The complete id sets of the query's uncommon grams, smallest first; `None` when
    // one of them has no entity at all.
    let mut sets: Option<Vec<Vec<String>>> = Some(Vec::new());
    for g in &grams {
        let ids: Vec<String> = search_grams::table
            .filter(search_grams::kind.eq(k))
            .filter(search_grams::gram.eq(g))
            .select(search_grams::entity_id)
            .limit(cap + 1)
            .load(conn)?;
        if ids.is_empty() {
            sets = None;
            break;
        }
        if let Some(sets) = sets.as_mut().filter(|_| ids.len() as i64 <= cap) {
            sets.push(ids);
        }
    }
    let pattern = contains_pattern(q);
    let mut found = match sets {
        None => Vec::new(),
        Some(mut sets) if !sets.is_empty() => {
            sets.sort_by_key(Vec::len);
            intersect(conn, k, q, long, &sets)?
        }
        Some(_) => {
            return Ok(Some(Matches::Dense {
                kind: k,
                gram: grams[0],
                pattern,
                checked: long,
            }))
        }
    };
    // Documents not merged yet are found by their text.
    for id in queued(conn, k, q)? {
        if !found.contains(&id) {
            found.push(id);
        }
    }
    Ok(Some(Matches::Ids(found)))
}

/// The entities in every one of `sets` (non-empty, smallest first) whose text holds
/// `q`: for a long query, the grams are all there but must also be there in a row.
fn intersect(conn: &mut Db, kind: i32, q: &str, long: bool, sets: &[Vec<String>]) -> Result<Vec<String>, Error> {
    let Some((first, rest)) = sets.split_first() else {
        return Ok(Vec::new());
    };
    let others: Vec<std::collections::HashSet<&String>> = rest.iter().map(|s| s.iter().collect()).collect();
    let candidates: Vec<String> = first
        .iter()
        .filter(|id| others.iter().all(|s| s.contains(id)))
        .cloned()
        .collect();
    if !long || candidates.is_empty() {
        return Ok(candidates);
    }
    let docs: Vec<(String, String)> = search_docs::table
        .filter(search_docs::kind.eq(kind))
        .filter(search_docs::entity_id.eq_any(&candidates))
        .select((search_docs::entity_id, search_docs::body))
        .load(conn)?;
    Ok(docs
        .into_iter()
        .filter(|(_, body)| body.contains(q))
        .map(|(id, _)| id)
        .collect())
}

/// Filters a boxed list query to the matches of a search: `$id` is the column
/// holding the searched entity's id, `$fallback` the filter for unindexed queries.
#[macro_export]
macro_rules! search_filter {
    ($query:expr, $matches:expr, $id:expr, $fallback:expr $(,)?) => {{
        use $crate::db::schema::{search_docs, search_grams};
        use $crate::db::search::Matches;
        let query = $query;
        match $matches {
            None => query.filter($fallback),
            Some(Matches::Ids(ids)) => query.filter($id.eq_any(ids)),
            Some(Matches::Dense {
                kind,
                gram,
                pattern,
                checked,
            }) => {
                // Documents not merged yet, found by their text.
                let waiting = $crate::waiting_docs!(kind, pattern.clone());
                let holding = search_grams::table
                    .filter(search_grams::kind.eq(kind))
                    .filter(search_grams::gram.eq(gram))
                    .select(search_grams::entity_id);
                // `id || ''`: the list is scanned in its own order and each row probed
                // against the (dense) set, so a page fills from its first rows; on the
                // bare column SQLite would fetch every match and sort them all.
                if !checked {
                    query.filter($id.concat("").eq_any(holding).or($id.concat("").eq_any(waiting)))
                } else {
                    query.filter(
                        $id.concat("")
                            .eq_any(
                                search_docs::table
                                    .filter(search_docs::kind.eq(kind))
                                    .filter(search_docs::entity_id.eq_any(holding))
                                    .filter(search_docs::body.like(pattern).escape('\\'))
                                    .select(search_docs::entity_id),
                            )
                            .or($id.concat("").eq_any(waiting)),
                    )
                }
            }
        }
    }};
}

/// Indexes every row written before the index existed, in chunks of one transaction
/// each (in id order, so a chunk's cost does not grow with the table); runs after
/// migrations while `search_backfill` holds the marker migration 0008 left.
pub fn backfill(db: &crate::db::Database) -> Result<(), crate::db::DbError> {
    use crate::db::schema::{companies, contacts, events, search_backfill};
    let pending: i64 = {
        let mut c = db.connection()?;
        search_backfill::table.count().get_result(&mut c)?
    };
    if pending == 0 {
        return Ok(());
    }
    const CHUNK: i64 = 500;
    type Fields = (String, Option<String>, Option<String>, Option<String>);
    type Loader<'a> = &'a dyn Fn(&mut Db, &str) -> QueryResult<Vec<Fields>>;
    let fill = |kind: Kind, load: Loader| -> Result<(), crate::db::DbError> {
        let mut after = String::new();
        loop {
            let last = db.write_blocking(|c| -> Result<Option<String>, BackfillError> {
                let rows = load(c, &after)?;
                for (id, a, b, d) in &rows {
                    index(c, kind, id, &[a.as_deref(), b.as_deref(), d.as_deref()])?;
                }
                Ok(rows.last().map(|r| r.0.clone()))
            });
            match last {
                Ok(Some(id)) => after = id,
                Ok(None) => return Ok(()),
                Err(BackfillError::Db(e)) => return Err(e),
                Err(BackfillError::Domain(e)) => return Err(crate::db::DbError::Migration(e.to_string())),
            }
        }
    };
    let none = || None::<String>.into_sql::<diesel::sql_types::Nullable<Text>>();
    fill(Kind::Event, &|c, after| {
        events::table
            .filter(events::id.gt(after.to_string()))
            .order(events::id)
            .select((
                events::id,
                events::title.nullable(),
                events::city.nullable(),
                events::venue,
            ))
            .limit(CHUNK)
            .load(c)
    })?;
    fill(Kind::Company, &|c, after| {
        companies::table
            .filter(companies::id.gt(after.to_string()))
            .order(companies::id)
            .select((
                companies::id,
                companies::name_key.nullable(),
                companies::name_en,
                none(),
            ))
            .limit(CHUNK)
            .load(c)
    })?;
    fill(Kind::Contact, &|c, after| {
        contacts::table
            .filter(contacts::id.gt(after.to_string()))
            .order(contacts::id)
            .select((
                contacts::id,
                contacts::name.nullable(),
                contacts::email_key.nullable(),
                none(),
            ))
            .limit(CHUNK)
            .load(c)
    })?;
    let mut c = db.connection()?;
    diesel::delete(search_backfill::table).execute(&mut c)?;
    Ok(())
}

#[derive(Debug)]
enum BackfillError {
    Db(crate::db::DbError),
    Domain(Error),
}

impl From<diesel::result::Error> for BackfillError {
    fn from(e: diesel::result::Error) -> Self {
        BackfillError::Db(e.into())
    }
}

impl From<crate::db::DbError> for BackfillError {
    fn from(e: crate::db::DbError) -> Self {
        BackfillError::Db(e)
    }
}

impl From<Error> for BackfillError {
    fn from(e: Error) -> Self {
        BackfillError::Domain(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_metacharacters_are_escaped() {
        assert_eq!(contains_pattern("50%_a\\b"), "%50\\%\\_a\\\\b%");
    }

    #[test]
    fn grams_pack_exactly_and_skip_short_ascii() {
        let g = grams(&document(&[Some("王伟"), Some("Wei@x.cn")]));
        assert!(g.contains(&pack(&['王'])));
        assert!(g.contains(&pack(&['王', '伟'])));
        assert!(g.contains(&pack(&['w', 'e', 'i'])));
        assert!(!g.contains(&pack(&['w', 'e'])));
        // No gram spans two fields.
        assert!(!g.contains(&pack(&['伟', '\n', 'w'])));
        assert_ne!(pack(&['a', 'b']), pack(&['b', 'a']));
        assert!(pack(&['\u{10FFFF}', '\u{10FFFF}', '\u{10FFFF}']) > 0);
    }

    #[test]
    fn long_queries_pick_spread_grams() {
        let q: Vec<char> = "abcdefgh".chars().collect();
        let picked = query_grams(&q);
        assert_eq!(picked.len(), MAX_GRAMS);
        assert_eq!(picked[0], pack(&['a', 'b', 'c']));
        assert_eq!(picked[MAX_GRAMS - 1], pack(&['f', 'g', 'h']));
    }

    fn contact(c: &mut Db, name: &str, email: &str) -> String {
        let fields = crate::contacts::model::ContactFields {
            name: name.into(),
            email: email.into(),
            phone: None,
            title: None,
            company_id: None,
            language: None,
            timezone: None,
            consent_reminders: None,
        };
        let id = crate::ids::new_id();
        let now = crate::clock::Clock::system().now();
        crate::contacts::queries::insert(c, &crate::contacts::model::new_row(fields, id.clone(), now)).unwrap();
        id
    }

    /// The ids matching `q` with `cap`, sorted.
    fn found(c: &mut Db, q: &str, cap: i64) -> Vec<String> {
        let matches = matching_within(c, Kind::Contact, q, cap).unwrap();
        use crate::db::schema::contacts;
        let query = contacts::table.select(contacts::id).into_boxed();
        let mut ids: Vec<String> = crate::search_filter!(query, matches, contacts::id, contacts::name.like("%"))
            .load(c)
            .unwrap();
        ids.sort();
        ids
    }

    /// A migrated SQLite database in a temporary directory (kept while the first is).
    fn migrated() -> (tempfile::TempDir, crate::db::Database) {
        let dir = tempfile::tempdir().unwrap();
        let db = crate::db::Database::open(&dir.path().join("t.db").display().to_string(), 2).unwrap();
        db.migrate().unwrap();
        (dir, db)
    }

    /// Merges every queued document.
    fn merge_all(c: &mut Db) {
        while merge(c, 2).unwrap() > 0 {}
    }

    #[test]
    fn common_grams_and_rows_from_before_the_index_give_the_same_matches() {
        let (_dir, db) = migrated();
        let mut c = db.connection().unwrap();
        let a = contact(&mut c, "王伟", "wang.wei@example.cn");
        let b = contact(&mut c, "王伟明", "wwm@example.cn");
        contact(&mut c, "李明", "wei@example.cn");
        let queries = ["王", "王伟", "wang.wei", "伟明", "example.cn", "nothing"];
        // Queued documents answer alike before and after their merge, with common
        // (cap 1) and uncommon grams.
        let before: Vec<Vec<String>> = queries.iter().map(|q| found(&mut c, q, 1000)).collect();
        merge_all(&mut c);
        for (q, before) in queries.iter().zip(&before) {
            assert_eq!(found(&mut c, q, 1), *before, "{q}");
            assert_eq!(found(&mut c, q, 1000), *before, "{q}");
        }
        let mut both = vec![a.clone(), b];
        both.sort();
        assert_eq!(found(&mut c, "王伟", 1), both);
        assert_eq!(found(&mut c, "wang.wei", 1), std::slice::from_ref(&a));

        // Rows stored before migration 0008 are indexed when the service migrates.
        for table in ["search_grams", "search_docs", "search_queue"] {
            diesel::sql_query(format!("DELETE FROM {table}"))
                .execute(&mut c)
                .unwrap();
        }
        diesel::sql_query("INSERT INTO search_backfill (id) VALUES (1)")
            .execute(&mut c)
            .unwrap();
        assert!(found(&mut c, "王伟", 1000).is_empty());
        db.migrate().unwrap();
        assert_eq!(found(&mut c, "王伟", 1000), both);
        merge_all(&mut c);
        assert_eq!(found(&mut c, "王伟", 1000), both);
        assert_eq!(found(&mut c, "wang.wei", 1000), [a]);
    }

    #[test]
    fn a_changed_text_is_not_found_by_its_old_words_before_or_after_the_merge() {
        let (_dir, db) = migrated();
        let mut c = db.connection().unwrap();
        let id = contact(&mut c, "张三", "zhang@x.cn");
        merge_all(&mut c);
        // Changed twice, the second time before any merge.
        index(&mut c, Kind::Contact, &id, &[Some("李四"), Some("li@x.cn")]).unwrap();
        index(&mut c, Kind::Contact, &id, &[Some("王五"), Some("wang@x.cn")]).unwrap();
        for round in ["before", "after"] {
            for q in ["张", "张三", "zhang", "李四", "li@x"] {
                assert!(found(&mut c, q, 1000).is_empty(), "{q} {round} the merge");
                assert!(found(&mut c, q, 1).is_empty(), "{q} {round} the merge");
            }
            for q in ["王", "王五", "wang@x"] {
                assert_eq!(
                    found(&mut c, q, 1000),
                    std::slice::from_ref(&id),
                    "{q} {round} the merge"
                );
                assert_eq!(found(&mut c, q, 1), std::slice::from_ref(&id), "{q} {round} the merge");
            }
            merge_all(&mut c);
        }
        let (grams_stored, queue): (i64, i64) = (
            search_grams::table.count().get_result(&mut c).unwrap(),
            search_queue::table.count().get_result(&mut c).unwrap(),
        );
        assert_eq!(
            grams_stored as usize,
            grams(&document(&[Some("王五"), Some("wang@x.cn")])).len()
        );
        assert_eq!(queue, 0);
        remove(&mut c, Kind::Contact, &id).unwrap();
        assert!(found(&mut c, "王五", 1000).is_empty());
    }
}
