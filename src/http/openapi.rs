//! The OpenAPI 3.1 document, generated from the handlers, and the offline docs page.

use std::collections::HashMap;
use std::sync::OnceLock;

use utoipa::openapi::path::Operation;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
use utoipa::{Modify, OpenApi};

use super::error::Problem;
use crate::error::FieldError;
use crate::{companies, contacts, events, intentions, public, registrations, roadshows, teams, tokens};

/// The whole API.
#[derive(OpenApi)]
#[openapi(
    info(title = "Roadshow API", description = "Plan investment-promotion events and multi-city roadshows.\n\nAuthenticate with `Authorization: Bearer <token>`. Errors are RFC 9457 `application/problem+json`."),
    paths(
        super::health::healthz, super::health::readyz,
        events::handlers::create, events::handlers::list, events::handlers::get,
        events::handlers::update, events::handlers::delete, events::handlers::cancel,
        events::handlers::calendar_file,
        roadshows::handlers::create, roadshows::handlers::list, roadshows::handlers::get,
        roadshows::handlers::update, roadshows::handlers::delete, roadshows::handlers::events,
        roadshows::handlers::calendar_file,
        registrations::handlers::create, registrations::handlers::list, registrations::handlers::export,
        registrations::handlers::import, registrations::handlers::get, registrations::handlers::update,
        registrations::handlers::cancel, registrations::handlers::check_in, registrations::handlers::undo_check_in,
        contacts::handlers::create, contacts::handlers::list, contacts::handlers::get, contacts::handlers::update,
        contacts::handlers::erase, contacts::handlers::registrations,
        companies::handlers::create, companies::handlers::list, companies::handlers::get, companies::handlers::update,
        public::handlers::event, public::handlers::register, public::handlers::show, public::handlers::cancel,
        public::handlers::calendar_file,
        tokens::handlers::create, tokens::handlers::list, tokens::handlers::revoke,
        teams::handlers::create, teams::handlers::list, teams::handlers::get, teams::handlers::update,
        intentions::handlers::create, intentions::handlers::list, intentions::handlers::export,
        intentions::handlers::get, intentions::handlers::update, intentions::handlers::history,
        intentions::handlers::add_activity, intentions::handlers::activities,
        intentions::handlers::company_intentions, intentions::handlers::contact_intentions,
        intentions::handlers::pipeline, intentions::handlers::event_outcomes, intentions::handlers::roadshow_outcomes,
    ),
    components(schemas(Problem, FieldError)),
    modifiers(&StandardErrors),
    tags(
        (name = "events", description = "Promotion events, each in its own city and time zone"),
        (name = "roadshows", description = "Series of events across cities"),
        (name = "registrations", description = "Who comes to each event: seats, waitlist, check-in, spreadsheets"),
        (name = "contacts", description = "People, one record each across all events"),
        (name = "companies", description = "Companies and the centre's assessment of them"),
        (name = "teams", description = "Investment divisions that own follow-up intentions"),
        (name = "intentions", description = "The investment pipeline: follow-ups from first contact to landed project, with history and activities"),
        (name = "stats", description = "Pipeline statistics and the outcomes of events and roadshows"),
        (name = "public", description = "Self-service for attendees: no token, rate-limited"),
        (name = "tokens", description = "API tokens (admins)"),
        (name = "health", description = "Probes"),
    )
)]
pub struct ApiDoc;

/// The methods the document declares for a path template (`/api/v1/events/{id}`), as an
/// `Allow` header value (`GET, PATCH, DELETE`, plus `OPTIONS` for CORS preflights).
pub fn methods(path: &str) -> Option<String> {
    static TABLE: OnceLock<HashMap<String, String>> = OnceLock::new();
    let table = TABLE.get_or_init(|| {
        ApiDoc::openapi()
            .paths
            .paths
            .iter()
            .map(|(path, item)| {
                let ops = [
                    ("GET", item.get.is_some()),
                    ("POST", item.post.is_some()),
                    ("PUT", item.put.is_some()),
                    ("PATCH", item.patch.is_some()),
                    ("DELETE", item.delete.is_some()),
                ];
                let mut allow: Vec<&str> = ops.iter().filter(|(_, on)| *on).map(|(m, _)| *m).collect();
                allow.push("OPTIONS");
                (path.clone(), allow.join(", "))
            })
            .collect()
    });
    table.get(path).cloned()
}

/// Adds the bearer scheme and the problem responses every operation can give.
struct StandardErrors;

impl Modify for StandardErrors {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        for (path, item) in doc.paths.paths.iter_mut() {
            let open = !path.starts_with("/api/v1/") || path.starts_with("/api/v1/public/");
            let has_id = path.contains('{');
            let ops = [
                &mut item.get,
                &mut item.post,
                &mut item.patch,
                &mut item.put,
                &mut item.delete,
            ];
            for (i, op) in ops.into_iter().enumerate() {
                let Some(op) = op.as_mut() else { continue };
                let writes = i > 0;
                let mut codes: Vec<(&str, &str)> = vec![("500", "Internal error (no details; see X-Request-Id)")];
                if !open {
                    codes.push(("400", "Malformed request"));
                    codes.push(("401", "Missing or invalid token"));
                    codes.push(("403", "The token's role may not do this"));
                    codes.push(("422", "Invalid values; `errors` lists each field"));
                }
                if has_id {
                    codes.push(("404", "No such resource"));
                }
                if writes && !open {
                    codes.push(("409", "Conflict: duplicate, state or version"));
                    codes.push(("415", "The body is not JSON"));
                }
                if i == 2 {
                    codes.push(("412", "If-Match does not hold"));
                }
                add_problems(op, &codes);
            }
        }
    }
}

fn add_problems(op: &mut Operation, codes: &[(&str, &str)]) {
    for (code, description) in codes {
        if op.responses.responses.contains_key(*code) {
            continue;
        }
        let response = ResponseBuilder::new()
            .description(*description)
            .content(
                "application/problem+json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("Problem")))
                    .build(),
            )
            .build();
        op.responses.responses.insert(code.to_string(), response.into());
    }
}
