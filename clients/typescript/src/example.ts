// A typed Roadshow client in a few lines, and the front-end team's smoke test:
// `.ci/contract.sh` regenerates schema.d.ts from the served OpenAPI document,
// type-checks this file with `tsc --noEmit --strict` and runs it against a fresh
// server, so a contract change that would break callers breaks CI first.
//
//   npm ci && npm run generate && npm run check
//   (to run it: compile with tsc, then ROADSHOW_API=http://127.0.0.1:8080 ROADSHOW_TOKEN=… node)
import createClient, { type Middleware } from "openapi-fetch";
import type { components, paths } from "./schema";

type Event = components["schemas"]["Event"];
type Problem = components["schemas"]["Problem"];

// Every route but /public/… wants a bearer token; a middleware adds it to each request.
function roadshowClient(baseUrl: string, token: string) {
  const client = createClient<paths>({ baseUrl });
  const auth: Middleware = {
    onRequest({ request }) {
      request.headers.set("Authorization", `Bearer ${token}`);
      return request;
    },
  };
  client.use(auth);
  return client;
}

// Errors are RFC 9457 problems; `errors` lists each invalid field on a 422.
function describe(problem: Problem): string {
  const fields = (problem.errors ?? []).map((e) => `${e.field}: ${e.message}`);
  const head = `${problem.status} ${problem.title} (${problem.type}): ${problem.detail}`;
  return fields.length > 0 ? `${head}\n  ${fields.join("\n  ")}` : head;
}

class ApiError extends Error {
  constructor(readonly problem: Problem) {
    super(describe(problem));
  }
}

// Every event in one city from a date on, following `next_cursor` page by page.
async function eventsIn(api: ReturnType<typeof roadshowClient>, city: string, from: string) {
  const events: Event[] = [];
  let cursor: string | undefined;
  do {
    const { data, error } = await api.GET("/api/v1/events", {
      params: { query: { city, from, limit: 20, cursor } },
    });
    if (error) throw new ApiError(error);
    events.push(...data.items);
    cursor = data.next_cursor ?? undefined;
  } while (cursor);
  return events;
}

async function main() {
  const api = roadshowClient(
    process.env.ROADSHOW_API ?? "http://127.0.0.1:8080",
    process.env.ROADSHOW_TOKEN ?? "",
  );

  const fuzhou = await eventsIn(api, "福州", "2024-03-01");
  console.log(`${fuzhou.length} events in 福州 since 2024-03-01`);

  // Create an event: wall-clock times are read in its time zone.
  const created = await api.POST("/api/v1/events", {
    body: {
      title: "Polyamide industry forum",
      kind: "forum",
      city: "福州",
      timezone: "Asia/Shanghai",
      starts_at: "2024-03-04T14:00:00",
      ends_at: "2024-03-04T17:00:00",
      capacity: 30,
      status: "scheduled",
      tags: ["聚酰胺"],
    },
  });
  if (created.error) throw new ApiError(created.error);
  const event = created.data;
  console.log(`created ${event.id}, starts ${event.starts_at}, version ${event.version}`);

  // Register someone. The Idempotency-Key makes a retry (say, after a timeout)
  // return the first answer instead of booking a second seat.
  const registered = await api.POST("/api/v1/events/{id}/registrations", {
    params: {
      path: { id: event.id },
      header: { "Idempotency-Key": `example-${event.id}-wang-wei` },
    },
    body: { name: "王伟", email: "wang.wei@example.cn", company_name: "永荣锦江", role: "guest" },
  });
  if (registered.error) throw new ApiError(registered.error);
  console.log(`registration ${registered.data.id}: ${registered.data.status}`);

  // Edit safely: send back the ETag (the version) you read. If someone changed the
  // event since, the answer is a 412 problem and nothing is overwritten.
  const etag = created.response.headers.get("ETag") ?? `"${event.version}"`;
  const patched = await api.PATCH("/api/v1/events/{id}", {
    params: { path: { id: event.id }, header: { "If-Match": etag } },
    body: { venue: "福州会议中心" },
  });
  if (patched.error) {
    if (patched.response.status === 412) {
      console.log("someone else edited the event first; read it again and retry");
    } else {
      throw new ApiError(patched.error);
    }
  } else {
    console.log(`venue now ${patched.data.venue}, version ${patched.data.version}`);
  }

  // Some mistakes only the server can see: a well-typed body still comes back as a 422
  // problem naming the field. Here the wall time does not exist (Berlin skips 02:00–03:00
  // when summer time starts).
  const invalid = await api.POST("/api/v1/events", {
    body: { title: "Lost hour", city: "Berlin", timezone: "Europe/Berlin", starts_at: "2025-03-30T02:30:00" },
  });
  if (invalid.error) console.log(describe(invalid.error));
  else throw new Error("expected a 422 for a wall time lost to summer time");
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
