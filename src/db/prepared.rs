//! Statements that stay prepared on their connection.
//!
//! Diesel keeps no `UPDATE` and no `sql_query` prepared, nor on SQLite an `IN` list of
//! binds: each run parses and plans the SQL again. For the delivery worker's few hot statements
//! that was a third of the SQLite writer's time and a fifth of each sending thread's
//! (perf, `bench/delivery.sh`). [`among`] gives a list one bind whatever its length,
//! and [`kept`] marks a statement whose SQL text never changes, so diesel prepares it
//! once per connection.

use diesel::backend::Backend;
use diesel::expression::{is_aggregate, AppearsOnTable, Expression, ValidGrouping};
use diesel::pg::Pg;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::{Array, Bool, Text};
use diesel::sqlite::Sqlite;
use diesel::{QueryResult, RunQueryDsl};

use super::MultiBackend;

/// `column` is one of `values`, with the list as one bind: `= ANY($1)` on PostgreSQL,
/// a JSON array read by `json_each` on SQLite.
pub fn among<C>(column: C, values: &[String]) -> Among<C> {
    Among {
        column,
        // A list of strings always serialises.
        json: serde_json::to_string(values).unwrap_or_else(|_| "[]".into()),
        values: values.to_vec(),
    }
}

/// See [`among`].
#[derive(Debug, Clone)]
pub struct Among<C> {
    column: C,
    values: Vec<String>,
    json: String,
}

impl<C: Expression<SqlType = Text>> Expression for Among<C> {
    type SqlType = Bool;
}

impl<C, QS> AppearsOnTable<QS> for Among<C> where C: AppearsOnTable<QS, SqlType = Text> {}

impl<C> ValidGrouping<()> for Among<C> {
    type IsAggregate = is_aggregate::Never;
}

impl<C> QueryId for Among<C> {
    type QueryId = ();
    // Several statements share this type: they are told apart by their SQL.
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<C: QueryFragment<Sqlite>> QueryFragment<Sqlite> for Among<C> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Sqlite>) -> QueryResult<()> {
        self.column.walk_ast(out.reborrow())?;
        out.push_sql(" IN (SELECT value FROM json_each(");
        out.push_bind_param::<Text, _>(&self.json)?;
        out.push_sql("))");
        Ok(())
    }
}

impl<C: QueryFragment<Pg>> QueryFragment<Pg> for Among<C> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        self.column.walk_ast(out.reborrow())?;
        out.push_sql(" = ANY(");
        out.push_bind_param::<Array<Text>, _>(&self.values)?;
        out.push_sql(")");
        Ok(())
    }
}

impl<C: QueryFragment<Sqlite> + QueryFragment<Pg>> QueryFragment<MultiBackend> for Among<C> {
    fn walk_ast<'b>(&'b self, pass: AstPass<'_, 'b, MultiBackend>) -> QueryResult<()> {
        MultiBackend::walk_variant_ast(self, pass)
    }
}

/// `query`, kept prepared on its connection: only for a statement whose SQL text is
/// the same every time (no `eq_any`, no optional parts; lists through [`among`]).
pub fn kept<Q>(query: Q) -> Kept<Q> {
    Kept(query)
}

/// See [`kept`].
#[derive(Debug, Clone)]
pub struct Kept<Q>(Q);

impl<Q> QueryId for Kept<Q> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Q: Query> Query for Kept<Q> {
    type SqlType = Q::SqlType;
}

impl<DB: Backend, Q: QueryFragment<DB>> QueryFragment<DB> for Kept<Q> {
    fn walk_ast<'b>(&'b self, pass: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        self.0.walk_ast(pass)
    }

    fn is_safe_to_cache_prepared(&self, _backend: &DB) -> QueryResult<bool> {
        // The caller's promise (see [`kept`]): one SQL text, so one cached statement.
        // (A provided diesel method, hidden from its docs but meant to be overridden:
        // its own multi-backend connection does so.)
        Ok(true)
    }
}

impl<Q, Conn> RunQueryDsl<Conn> for Kept<Q> {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::schema::teams;
    use crate::db::{Database, Db};
    use diesel::prelude::*;

    fn with_teams(names: &[&str]) -> (tempfile::TempDir, Database) {
        let dir = tempfile::tempdir().unwrap();
        let db = Database::open(&dir.path().join("t.db").display().to_string(), 2).unwrap();
        db.migrate().unwrap();
        let now = chrono::NaiveDateTime::default();
        let mut c = db.connection().unwrap();
        for name in names {
            diesel::insert_into(teams::table)
                .values((
                    teams::id.eq(format!("id-{name}")),
                    teams::name.eq(*name),
                    teams::name_key.eq(name.to_lowercase()),
                    teams::timezone.eq("Asia/Shanghai"),
                    teams::created_at.eq(now),
                    teams::updated_at.eq(now),
                    teams::version.eq(1),
                ))
                .execute(&mut *c)
                .unwrap();
        }
        drop(c);
        (dir, db)
    }

    fn named(c: &mut Db, ids: &[String]) -> Vec<String> {
        teams::table
            .filter(among(teams::id, ids))
            .order(teams::name)
            .select(teams::name)
            .load(c)
            .unwrap()
    }

    #[test]
    fn among_matches_the_listed_values_whatever_the_list_length() {
        let (_dir, db) = with_teams(&["Alpha", "Beta", "Gamma"]);
        let mut c = db.connection().unwrap();
        assert_eq!(named(&mut c, &[]), Vec::<String>::new());
        assert_eq!(named(&mut c, &["id-Beta".into()]), ["Beta"]);
        // Values that need escaping in JSON, and more than SQLite's bind limit.
        let mut many: Vec<String> = (0..40_000).map(|i| format!("id-\"{i}\\")).collect();
        many.push("id-Gamma".into());
        many.push("id-Alpha".into());
        assert_eq!(named(&mut c, &many), ["Alpha", "Gamma"]);
    }

    #[test]
    fn a_kept_update_runs_again_with_new_binds() {
        let (_dir, db) = with_teams(&["Alpha", "Beta"]);
        let mut c = db.connection().unwrap();
        for (id, email) in [("id-Alpha", "a@example.com"), ("id-Beta", "b@example.com")] {
            let changed: Vec<String> = kept(
                diesel::update(teams::table.filter(among(teams::id, &[id.to_string()])))
                    .set(teams::email.eq(email))
                    .returning(teams::id),
            )
            .get_results(&mut *c)
            .unwrap();
            assert_eq!(changed, [id]);
        }
        let emails: Vec<Option<String>> = teams::table
            .order(teams::name)
            .select(teams::email)
            .load(&mut *c)
            .unwrap();
        assert_eq!(emails, [Some("a@example.com".into()), Some("b@example.com".into())]);
    }
}
