//! The OpenAPI 3.1 document: its frame (info, tags, shared schemas), the rules every
//! operation follows (problem responses, headers, required response fields), and the
//! `Allow` table for 405s. The paths themselves come from the handlers' route macros as
//! `app.rs` mounts them (utoipa-actix-web), so each route is declared once.

use std::collections::{BTreeMap, BTreeSet};

use actix_web::http::header::ContentType;
use actix_web::{web, HttpResponse};
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::schema::{Schema, SchemaType};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, HeaderBuilder, Ref, RefOr, ResponseBuilder, Type};
use utoipa::Number;
use utoipa::{IntoParams, Modify, OpenApi};

use super::error::Problem;
use crate::error::FieldError;
use crate::pagination;

const DESCRIPTION: &str = "\
Plan investment-promotion events and multi-city roadshows.

**Authentication.** Send `Authorization: Bearer <token>` on every route except `/healthz`, \
`/readyz`, this document, the docs page and `/api/v1/public/…`. Viewers read, organisers \
write, admins also manage tokens.

**Errors** are RFC 9457 `application/problem+json` documents (`Problem`): `type`, `title`, \
`status`, `detail`, plus `errors` (one entry per invalid field) on a 422 and `existing_id` on a \
409 duplicate. An unknown path is a 404 problem; a known path with a method it does not \
have is a 405 problem whose `Allow` header lists the path's methods.

**Lists** take `limit` (1–200, default 50) and an opaque `cursor`, and answer \
`{items, next_cursor}`; `next_cursor` is null on the last page. A cursor is only good for \
the list (and filters) that issued it: any other value is a 400.

**Concurrency.** Versioned resources send `ETag: \"<version>\"`. `PATCH` and the state-changing \
actions (event cancel, registration cancel, check-in and its undo) honour `If-Match` and answer \
412 when it does not hold. The body is judged first: an invalid one is a 422 whatever \
`If-Match` says. `POST /events/{id}/registrations` honours `Idempotency-Key`.

**Text** may not hold control characters (tabs and line breaks are allowed in long text: \
descriptions, summaries, notes, reasons); each such string says so with a `pattern`. Blank \
optional text is stored as null; a blank coded value (a country, a website) is a 422 — send \
null to leave it empty. Integers may be sent as whole numbers in floating-point form (`3.0`).

**Time.** Responses give RFC 3339 times in the event's own zone with its offset.";

const BEARER: &str = "\
An API token. Admins make them with `roadshow token create --name NAME --role \
admin|organiser|viewer` on the server, or `POST /api/v1/tokens`; a fresh database writes its \
first admin token to `data/admin-token` (the `auth.bootstrap_token_file` setting, mode 0600). \
A revoked token stops working at once on the replica that revoked it and within \
`auth.token_cache_secs` (default 5 s) on the others.";

/// The document's frame; `app.rs` adds the paths as it mounts the routes.
#[derive(OpenApi)]
#[openapi(
    info(title = "Roadshow API", description = "See DESCRIPTION"),
    components(schemas(Problem, FieldError, crate::reminders::model::PreviewKind)),
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
        (name = "reminders", description = "Reminder rules and the emails planned and sent for each registration"),
        (name = "health", description = "Probes"),
    )
)]
pub struct ApiDoc;

/// The `If-Match` request header, for the operations that honour it.
#[derive(IntoParams)]
#[into_params(parameter_in = Header)]
#[allow(dead_code)]
pub struct IfMatch {
    /// The `ETag` of the version you saw (e.g. `"3"`, or `*`); a stale one is a 412.
    #[param(rename = "If-Match")]
    pub if_match: Option<String>,
}

/// The `Idempotency-Key` request header.
#[derive(IntoParams)]
#[into_params(parameter_in = Header)]
#[allow(dead_code)]
pub struct IdempotencyKey {
    /// 1–200 visible ASCII characters. A retry with the same key and body gets the first
    /// response again (same status, body, `Location` and `ETag`); the same key with another
    /// body is a 422.
    #[param(
        rename = "Idempotency-Key",
        min_length = 1,
        max_length = 200,
        pattern = "^[\\x20-\\x7E]*[\\x21-\\x7E][\\x20-\\x7E]*$"
    )]
    pub key: Option<String>,
}

/// The finished document: the frame with the mounted paths, after the rules every
/// operation follows.
pub fn finish(mut doc: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    doc.info.description = Some(DESCRIPTION.to_string());
    StandardResponses.modify(&mut doc);
    plain_text_patterns(&mut doc);
    require_response_fields(&mut doc);
    doc
}

/// Request-body properties that may span lines (`Checks::long_text` on the server).
const LONG_TEXT: &[&str] = &["summary", "reason", "description", "assessment_notes", "notes"];

/// No control characters (Unicode Cc), as the server checks one-line text.
pub const ONE_LINE: &str = "^[^\\x00-\\x1F\\x7F-\\x9F]*$";
/// No control characters but tab, line feed and carriage return, as in long text.
pub const MULTI_LINE: &str = "^[^\\x00-\\x08\\x0B\\x0C\\x0E-\\x1F\\x7F-\\x9F]*$";
/// Required one-line text: something besides spaces, and no control characters.
pub const NOT_BLANK: &str = "^[^\\x00-\\x1F\\x7F-\\x9F]*[^\\s\\x00-\\x1F\\x7F-\\x9F][^\\x00-\\x1F\\x7F-\\x9F]*$";
/// Required long text: something besides white space, and no control characters but
/// tab, line feed and carriage return.
pub const NOT_BLANK_MULTI_LINE: &str = "^[^\\x00-\\x08\\x0B\\x0C\\x0E-\\x1F\\x7F-\\x9F]*[^\\s\\x00-\\x1F\\x7F-\\x9F][^\\x00-\\x08\\x0B\\x0C\\x0E-\\x1F\\x7F-\\x9F]*$";

/// The server refuses control characters in text (see `crate::validation::plain`), so
/// every free-text string a request sends — body properties (array items included) and
/// query parameters without a format, enum or pattern of their own — gets a pattern
/// saying so; the `\\S` of required text becomes [`NOT_BLANK`] (or [`NOT_BLANK_MULTI_LINE`]).
fn plain_text_patterns(doc: &mut utoipa::openapi::OpenApi) {
    for item in doc.paths.paths.values_mut() {
        let ops = [
            &mut item.get,
            &mut item.post,
            &mut item.patch,
            &mut item.put,
            &mut item.delete,
        ];
        for op in ops.into_iter().flatten() {
            for param in op.parameters.iter_mut().flatten() {
                if param.parameter_in == ParameterIn::Query {
                    if let Some(RefOr::T(schema)) = param.schema.as_mut() {
                        text_pattern(schema, false);
                    }
                }
            }
        }
    }
    let requests = request_schemas(doc);
    let Some(components) = doc.components.as_mut() else {
        return;
    };
    for name in requests {
        if let Some(RefOr::T(schema)) = components.schemas.get_mut(&name) {
            property_patterns(schema);
        }
    }
}

fn property_patterns(schema: &mut Schema) {
    match schema {
        Schema::Object(object) => {
            for (name, property) in object.properties.iter_mut() {
                if let RefOr::T(property) = property {
                    text_pattern(property, LONG_TEXT.contains(&name.as_str()));
                }
            }
        }
        Schema::AllOf(all) => {
            for item in all.items.iter_mut() {
                if let RefOr::T(inner) = item {
                    property_patterns(inner);
                }
            }
        }
        _ => {}
    }
}

/// Adds the control-character pattern to a free-text string schema (or array of them).
fn text_pattern(schema: &mut Schema, long: bool) {
    match schema {
        Schema::Object(object) => {
            let is = |t: Type| match &object.schema_type {
                SchemaType::Type(only) => *only == t,
                SchemaType::Array(types) => types.contains(&t),
                SchemaType::AnyValue => false,
            };
            if !is(Type::String) || object.format.is_some() || object.enum_values.is_some() {
                return;
            }
            match object.pattern.as_deref() {
                None => object.pattern = Some(if long { MULTI_LINE } else { ONE_LINE }.to_string()),
                Some("\\S") => object.pattern = Some(if long { NOT_BLANK_MULTI_LINE } else { NOT_BLANK }.to_string()),
                Some(_) => {}
            }
        }
        Schema::Array(array) => {
            if let utoipa::openapi::schema::ArrayItems::RefOrSchema(items) = &mut array.items {
                if let RefOr::T(items) = items.as_mut() {
                    text_pattern(items, long);
                }
            }
        }
        _ => {}
    }
}

/// The component schemas request bodies and parameters use, directly or nested.
fn request_schemas(doc: &utoipa::openapi::OpenApi) -> BTreeSet<String> {
    let mut requests = BTreeSet::new();
    for item in doc.paths.paths.values() {
        let ops = [&item.get, &item.post, &item.patch, &item.put, &item.delete];
        for op in ops.into_iter().flatten() {
            if let Some(body) = &op.request_body {
                collect_refs(&serde_json::to_value(body).unwrap_or_default(), &mut requests);
            }
        }
    }
    let schemas: BTreeMap<String, serde_json::Value> = doc
        .components
        .iter()
        .flat_map(|c| c.schemas.iter())
        .map(|(name, schema)| (name.clone(), serde_json::to_value(schema).unwrap_or_default()))
        .collect();
    reachable(requests, &schemas)
}

/// Adds the bearer scheme and the responses an operation can give besides its own:
/// problems (by what the operation takes), their headers, and the content types.
struct StandardResponses;

impl Modify for StandardResponses {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        let mut bearer = HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build();
        bearer.description = Some(BEARER.to_string());
        components.add_security_scheme("bearer", SecurityScheme::Http(bearer));
        for (path, item) in doc.paths.paths.iter_mut() {
            let api = path.starts_with("/api/v1/");
            let public = path.starts_with("/api/v1/public/");
            let open = !api || public;
            let ops = [
                (false, &mut item.get),
                (true, &mut item.post),
                (true, &mut item.patch),
                (true, &mut item.put),
                (true, &mut item.delete),
            ];
            for (writes, op) in ops {
                let Some(op) = op.as_mut() else { continue };
                let has_path_param = has_param(op, |p| p == ParameterIn::Path);
                let has_query = has_param(op, |p| p == ParameterIn::Query);
                let has_body = op.request_body.is_some();
                let has_if_match = op
                    .parameters
                    .iter()
                    .flatten()
                    .any(|p| p.name == "If-Match" && p.parameter_in == ParameterIn::Header);
                let mut codes: Vec<(&str, &str)> = Vec::new();
                if !open || has_body || has_query {
                    codes.push(("400", "Malformed request: unreadable JSON, query string or cursor"));
                }
                if !open {
                    codes.push(("401", "Missing or invalid token"));
                    codes.push(("403", "The token's role may not do this"));
                }
                if has_path_param {
                    codes.push(("404", "No such resource (a malformed id is not found either)"));
                }
                if writes && api {
                    codes.push(("409", "Conflict: duplicate, state or version"));
                }
                if has_if_match {
                    codes.push(("412", "If-Match does not hold: fetch the resource again and retry"));
                }
                if has_body {
                    codes.push(("413", "The body is larger than this route accepts"));
                    codes.push(("415", "The body is not of the documented content type"));
                }
                if !open || has_body {
                    codes.push(("422", "Invalid values; `errors` lists each field"));
                }
                if public {
                    codes.push(("429", "Rate limited; retry after `Retry-After` seconds"));
                }
                codes.push(("500", "Internal error (no details; quote the X-Request-Id header)"));
                add_problems(op, &codes);
                problems_as_problem_json(op);
                tidy_parameters(op);
            }
        }
    }
}

/// Query and header parameters are absent or a value, never null; `limit` and `cursor`
/// mean the same on every list.
fn tidy_parameters(op: &mut Operation) {
    for param in op.parameters.iter_mut().flatten() {
        if let Some(RefOr::T(Schema::Object(object))) = param.schema.as_mut() {
            if let SchemaType::Array(types) = &object.schema_type {
                let types: Vec<Type> = types.iter().filter(|t| **t != Type::Null).cloned().collect();
                if let [only] = types.as_slice() {
                    object.schema_type = SchemaType::Type(only.clone());
                }
            }
            if param.parameter_in == ParameterIn::Query && param.name == "limit" {
                object.minimum = Some(Number::Int(1));
                object.maximum = Some(Number::Int(pagination::MAX_LIMIT as isize));
                object.default = Some(pagination::DEFAULT_LIMIT.into());
            }
            if param.parameter_in == ParameterIn::Query && param.name == "cursor" {
                object.min_length = Some(1);
                object.pattern = Some("^[A-Za-z0-9_-]+$".into());
                param.description = Some(
                    "The `next_cursor` of the previous page, unchanged; a value the server did not \
                     issue for this list is a 400."
                        .into(),
                );
            }
        }
    }
}

fn has_param(op: &Operation, place: impl Fn(ParameterIn) -> bool) -> bool {
    op.parameters.iter().flatten().any(|p| place(p.parameter_in.clone()))
}

fn add_problems(op: &mut Operation, codes: &[(&str, &str)]) {
    for (code, description) in codes {
        if op.responses.responses.contains_key(*code) {
            continue;
        }
        let mut response = ResponseBuilder::new().description(*description).content(
            "application/problem+json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Problem")))
                .build(),
        );
        match *code {
            "401" => {
                response = response.header(
                    "WWW-Authenticate",
                    HeaderBuilder::new()
                        .schema(utoipa::openapi::ObjectBuilder::new().schema_type(Type::String))
                        .description(Some("`Bearer`"))
                        .build(),
                )
            }
            "429" => {
                response = response.header(
                    "Retry-After",
                    HeaderBuilder::new()
                        .schema(
                            utoipa::openapi::ObjectBuilder::new()
                                .schema_type(Type::Integer)
                                .minimum(Some(1)),
                        )
                        .description(Some("Seconds to wait before the next request"))
                        .build(),
                )
            }
            _ => {}
        }
        op.responses.responses.insert(code.to_string(), response.build().into());
    }
}

/// A `Problem` body is always sent as `application/problem+json`, whatever an annotation said.
fn problems_as_problem_json(op: &mut Operation) {
    for response in op.responses.responses.values_mut() {
        let RefOr::T(response) = response else { continue };
        let Some(content) = response.content.get("application/json") else {
            continue;
        };
        let is_problem = matches!(&content.schema, Some(RefOr::Ref(r)) if r.ref_location.ends_with("/Problem"));
        if is_problem {
            if let Some(content) = response.content.shift_remove("application/json") {
                response.content.insert("application/problem+json".to_string(), content);
            }
        }
    }
}

/// Marks every property of a response schema `required`, nullable or not: the API always
/// sends every field (null when empty), so a client should see `capacity: number | null`,
/// not `capacity?: …`. Schemas also used in requests keep their own `required` lists, and
/// `Problem` keeps its optional members.
fn require_response_fields(doc: &mut utoipa::openapi::OpenApi) {
    let Some(components) = doc.components.as_mut() else {
        return;
    };
    let mut responses = BTreeSet::new();
    let mut requests = BTreeSet::new();
    for item in doc.paths.paths.values() {
        let ops = [&item.get, &item.post, &item.patch, &item.put, &item.delete];
        for op in ops.into_iter().flatten() {
            collect_refs(&serde_json::to_value(&op.responses).unwrap_or_default(), &mut responses);
            if let Some(body) = &op.request_body {
                collect_refs(&serde_json::to_value(body).unwrap_or_default(), &mut requests);
            }
            if let Some(params) = &op.parameters {
                collect_refs(&serde_json::to_value(params).unwrap_or_default(), &mut requests);
            }
        }
    }
    let schemas: BTreeMap<String, serde_json::Value> = components
        .schemas
        .iter()
        .map(|(name, schema)| (name.clone(), serde_json::to_value(schema).unwrap_or_default()))
        .collect();
    let responses = reachable(responses, &schemas);
    let requests = reachable(requests, &schemas);
    for name in responses.difference(&requests) {
        if name == "Problem" {
            continue;
        }
        if let Some(RefOr::T(schema)) = components.schemas.get_mut(name) {
            require_all(schema);
        }
    }
}

fn require_all(schema: &mut Schema) {
    match schema {
        Schema::Object(object) => {
            object.required = object.properties.keys().cloned().collect();
        }
        Schema::AllOf(all) => {
            for item in all.items.iter_mut() {
                if let RefOr::T(inner) = item {
                    require_all(inner);
                }
            }
        }
        _ => {}
    }
}

/// The schema names `roots` refer to, directly or through other schemas.
fn reachable(roots: BTreeSet<String>, schemas: &BTreeMap<String, serde_json::Value>) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut todo: Vec<String> = roots.into_iter().collect();
    while let Some(name) = todo.pop() {
        if !seen.insert(name.clone()) {
            continue;
        }
        if let Some(schema) = schemas.get(&name) {
            let mut more = BTreeSet::new();
            collect_refs(schema, &mut more);
            todo.extend(more);
        }
    }
    seen
}

fn collect_refs(value: &serde_json::Value, out: &mut BTreeSet<String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, inner) in map {
                match (key.as_str(), inner) {
                    ("$ref", serde_json::Value::String(r)) => {
                        if let Some(name) = r.strip_prefix("#/components/schemas/") {
                            out.insert(name.to_string());
                        }
                    }
                    _ => collect_refs(inner, out),
                }
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| collect_refs(v, out)),
        _ => {}
    }
}

/// The finished document as JSON, for `GET /api/v1/openapi.json`.
pub struct Served(web::Bytes);

impl Served {
    /// Serialises the document once.
    pub fn new(doc: &utoipa::openapi::OpenApi) -> Self {
        Served(serde_json::to_vec(doc).unwrap_or_default().into())
    }
}

/// Serves the document (itself not a documented operation).
pub async fn serve(doc: web::Data<Served>) -> HttpResponse {
    HttpResponse::Ok().content_type(ContentType::json()).body(doc.0.clone())
}

/// The methods of each documented path, for the `Allow` header of a 405.
pub struct AllowTable(Vec<(Vec<String>, String)>);

impl AllowTable {
    /// Reads the paths and their methods (plus `OPTIONS`, for CORS preflights) from the document.
    pub fn new(doc: &utoipa::openapi::OpenApi) -> Self {
        let table = doc
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
                (path.split('/').map(str::to_string).collect(), allow.join(", "))
            })
            .collect();
        AllowTable(table)
    }

    /// The `Allow` value for a request path that a documented path template matches.
    pub fn allow(&self, path: &str) -> Option<&str> {
        let segments: Vec<&str> = path.split('/').collect();
        self.0
            .iter()
            .find(|(template, _)| {
                template.len() == segments.len()
                    && template.iter().zip(&segments).all(|(t, s)| {
                        if t.starts_with('{') && t.ends_with('}') {
                            !s.is_empty()
                        } else {
                            t == s
                        }
                    })
            })
            .map(|(_, allow)| allow.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allow_matches_templates_segment_by_segment() {
        let mut doc = ApiDoc::openapi();
        let get = || utoipa::openapi::path::OperationBuilder::new().build();
        doc.paths.paths.insert(
            "/api/v1/events/{id}".into(),
            utoipa::openapi::PathItem::new(utoipa::openapi::HttpMethod::Get, get()),
        );
        let table = AllowTable::new(&doc);
        assert_eq!(table.allow("/api/v1/events/abc"), Some("GET, OPTIONS"));
        assert_eq!(table.allow("/api/v1/events/"), None);
        assert_eq!(table.allow("/api/v1/events/abc/x"), None);
        assert_eq!(table.allow("/api/v1/roadshows/abc"), None);
    }
}
