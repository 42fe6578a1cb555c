//! Case-insensitive substring search that works the same on both backends, indexed.
//!
//! Every searchable entity keeps one row in `search_docs` (its searched fields,
//! lower-cased in Rust and joined by line breaks) and one row per distinct gram in
//! `search_grams`: every 3-character gram of each field, and every 1- and
//! 2-character gram that holds a non-ASCII character (so `王`, `王伟`, `福州` are served
//! by the index). A gram of up to three characters packs exactly into a 63-bit
//! integer (three 21-bit Unicode scalars), so the index holds no text and no hash
//! collisions. Both tables are written in the same transaction as the entity.
//!
//! A query of up to three characters whose gram is indexed is answered by that gram
//! alone (a field contains the gram exactly when it contains the query). A longer
//! query takes the entities holding a few of its 3-grams and checks the substring on
//! the stored folded text. A query of one or two ASCII characters is not indexed (it
//! matches most rows, so an ordered scan fills a page at once): callers then fall
//! back to a `LIKE` on their own columns.

use diesel::prelude::*;
use diesel::sql_types::Text;

use crate::db::schema::{search_docs, search_grams};
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
    /// The entities holding this gram, and when `pattern` is set whose folded text
    /// also contains it (a query made only of common grams: matches are dense, a page
    /// fills from the first rows).
    Dense {
        kind: i32,
        gram: i64,
        pattern: Option<String>,
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

/// Rewrites the index of one entity from its searched fields (inside the caller's
/// transaction): only the grams that changed are written.
pub fn index(conn: &mut Db, kind: Kind, id: &str, fields: &[Option<&str>]) -> Result<(), Error> {
    let doc = document(fields);
    let old = stored(conn, kind, id)?;
    let (old_grams, new_grams) = (old.as_deref().map(grams).unwrap_or_default(), grams(&doc));
    match old {
        Some(ref body) if *body == doc => return Ok(()),
        Some(_) => {
            diesel::update(search_docs::table.find((kind as i32, id)))
                .set(search_docs::body.eq(&doc))
                .execute(conn)?;
        }
        None => {
            diesel::insert_into(search_docs::table)
                .values((
                    search_docs::kind.eq(kind as i32),
                    search_docs::entity_id.eq(id),
                    search_docs::body.eq(&doc),
                ))
                .execute(conn)?;
        }
    }
    let gone: Vec<i64> = old_grams.difference(&new_grams).copied().collect();
    delete_grams(conn, kind, id, &gone)?;
    let added: Vec<i64> = new_grams.difference(&old_grams).copied().collect();
    insert_grams(conn, kind, id, &added)
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
/// has no batch insert). Ids are the service's own UUIDs, checked before they are
/// written into the statement; grams and kinds are integers.
fn insert_grams(conn: &mut Db, kind: Kind, id: &str, grams: &[i64]) -> Result<(), Error> {
    if !crate::validation::is_uuid(id) {
        return Err(Error::Internal(format!("refusing to index a non-UUID id {id:?}")));
    }
    for chunk in grams.chunks(200) {
        let mut sql = String::from("INSERT INTO search_grams (kind, gram, entity_id) VALUES ");
        for (i, g) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push(',');
            }
            sql.push_str(&format!("({},{g},'{id}')", kind as i32));
        }
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
    Ok(())
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
    // The complete id sets of the query's uncommon grams, smallest first.
    let mut sets: Vec<Vec<String>> = Vec::new();
    for g in &grams {
        let ids: Vec<String> = search_grams::table
            .filter(search_grams::kind.eq(k))
            .filter(search_grams::gram.eq(g))
            .select(search_grams::entity_id)
            .limit(cap + 1)
            .load(conn)?;
        if ids.is_empty() {
            return Ok(Some(Matches::Ids(Vec::new())));
        }
        if ids.len() as i64 <= cap {
            sets.push(ids);
        }
    }
    sets.sort_by_key(Vec::len);
    let Some((first, rest)) = sets.split_first() else {
        return Ok(Some(Matches::Dense {
            kind: k,
            gram: grams[0],
            pattern: long.then(|| contains_pattern(q)),
        }));
    };
    let others: Vec<std::collections::HashSet<&String>> = rest.iter().map(|s| s.iter().collect()).collect();
    let candidates: Vec<String> = first
        .iter()
        .filter(|id| others.iter().all(|s| s.contains(id)))
        .cloned()
        .collect();
    if !long || candidates.is_empty() {
        return Ok(Some(Matches::Ids(candidates)));
    }
    // The grams are all there; check that they are there in a row.
    let docs: Vec<(String, String)> = search_docs::table
        .filter(search_docs::kind.eq(k))
        .filter(search_docs::entity_id.eq_any(&candidates))
        .select((search_docs::entity_id, search_docs::body))
        .load(conn)?;
    Ok(Some(Matches::Ids(
        docs.into_iter()
            .filter(|(_, body)| body.contains(q))
            .map(|(id, _)| id)
            .collect(),
    )))
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
                pattern: None,
            }) => query.filter(
                // `id || ''`: the list is scanned in its own order and each row probed
                // against the (dense) set, so a page fills from its first rows; on the
                // bare column SQLite would fetch every match and sort them all.
                $id.concat("").eq_any(
                    search_grams::table
                        .filter(search_grams::kind.eq(kind))
                        .filter(search_grams::gram.eq(gram))
                        .select(search_grams::entity_id),
                ),
            ),
            Some(Matches::Dense {
                kind,
                gram,
                pattern: Some(pattern),
            }) => query.filter(
                $id.concat("").eq_any(
                    search_docs::table
                        .filter(search_docs::kind.eq(kind))
                        .filter(
                            search_docs::entity_id.eq_any(
                                search_grams::table
                                    .filter(search_grams::kind.eq(kind))
                                    .filter(search_grams::gram.eq(gram))
                                    .select(search_grams::entity_id),
                            ),
                        )
                        .filter(search_docs::body.like(pattern).escape('\\'))
                        .select(search_docs::entity_id),
                ),
            ),
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

    #[test]
    fn common_grams_and_rows_from_before_the_index_give_the_same_matches() {
        let dir = tempfile::tempdir().unwrap();
        let db = crate::db::Database::open(&dir.path().join("t.db").display().to_string(), 2).unwrap();
        db.migrate().unwrap();
        let mut c = db.connection().unwrap();
        let a = contact(&mut c, "王伟", "wang.wei@example.cn");
        let b = contact(&mut c, "王伟明", "wwm@example.cn");
        contact(&mut c, "李明", "wei@example.cn");
        // Common (cap 1) and uncommon grams answer alike.
        for q in ["王", "王伟", "wang.wei", "伟明", "example.cn", "nothing"] {
            assert_eq!(found(&mut c, q, 1), found(&mut c, q, 1000), "{q}");
        }
        let mut both = vec![a.clone(), b];
        both.sort();
        assert_eq!(found(&mut c, "王伟", 1), both);
        assert_eq!(found(&mut c, "wang.wei", 1), std::slice::from_ref(&a));

        // Rows stored before migration 0008 are indexed when the service migrates.
        diesel::sql_query("DELETE FROM search_grams").execute(&mut c).unwrap();
        diesel::sql_query("DELETE FROM search_docs").execute(&mut c).unwrap();
        diesel::sql_query("INSERT INTO search_backfill (id) VALUES (1)")
            .execute(&mut c)
            .unwrap();
        assert!(found(&mut c, "王伟", 1000).is_empty());
        db.migrate().unwrap();
        assert_eq!(found(&mut c, "王伟", 1000), both);
        assert_eq!(found(&mut c, "wang.wei", 1000), [a]);
    }
}
