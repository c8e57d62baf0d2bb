import { describe, expect, it } from "vitest";
import { request } from "./helpers";

describe("errors are RFC 9457 problem documents", () => {
  it("an unknown API route is a 404 problem with a stable type and a request id", async () => {
    const response = await request("/api/v1/nothing-here");
    expect(response.status).toBe(404);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    const body = await response.json<Record<string, unknown>>();
    expect(body).toMatchObject({ type: "urn:apex:problem:not-found", status: 404, instance: "/api/v1/nothing-here" });
    expect(body.requestId).toBe(response.headers.get("x-request-id"));
  });

  it("an unknown webhook route is a 404 problem too, not a UI page", async () => {
    const response = await request("/webhooks/unknown", { method: "POST", body: "x" });
    expect(response.status).toBe(404);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
  });

  it("an incoming X-Request-Id is never trusted: the server mints its own id", async () => {
    const response = await request("/api/v1/missing", { headers: { "X-Request-Id": "trace-1234abcd" } });
    expect(response.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    expect((await response.json<{ requestId: string }>()).requestId).toBe(response.headers.get("x-request-id"));
  });

  it("a malformed X-Request-Id is replaced, never echoed", async () => {
    const response = await request("/api/v1/missing", { headers: { "X-Request-Id": "<script>" } });
    expect(response.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe("the OpenAPI document", () => {
  it("lists the health route with its declared risk class and role", async () => {
    const response = await request("/api/openapi.json");
    expect(response.status).toBe(200);
    const doc = await response.json<{ paths: Record<string, Record<string, Record<string, unknown>>> }>();
    expect(doc.paths["/api/health"]?.get?.["x-apex-policy"]).toEqual({ risk: "READ", role: "public" });
  });
});

describe("everything outside /api and /webhooks is the Remix app", () => {
  it("the log-in page is server-rendered HTML from the same Worker", async () => {
    const response = await request("/login");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/html");
    const html = await response.text();
    expect(html).toContain("<h1>Apex</h1>");
    expect(html).toContain('name="password"');
  });

  it("the dashboard sends a visitor without a session to log in", async () => {
    const response = await request("/", { redirect: "manual" });
    expect(response.status).toBe(302);
    expect(response.headers.get("location")).toBe("/login?next=%2F");
  });
});

describe("route policies", () => {
  it("every operation in the OpenAPI document declares a risk class and a role", async () => {
    const doc = await (await request("/api/openapi.json")).json<{
      paths: Record<string, Record<string, { "x-apex-policy"?: { risk: string; role: string } }>>;
    }>();
    const operations = Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, operation]) => ({ route: `${method.toUpperCase()} ${path}`, operation })),
    );
    expect(operations.length).toBeGreaterThan(0);
    const undeclared = operations.filter(
      ({ operation }) =>
        !["READ", "WRITE-LOW", "WRITE-HIGH"].includes(operation["x-apex-policy"]?.risk ?? "") ||
        !operation["x-apex-policy"]?.role,
    );
    expect(undeclared.map((o) => o.route)).toEqual([]);
  });

  it("every guarded write either honours an Idempotency-Key or says in the OpenAPI why a retry is safe without one", async () => {
    interface Operation {
      "x-apex-policy"?: { risk: string; role: string };
      "x-apex-idempotent"?: string;
      parameters?: { name: string; in: string }[];
    }
    const doc = await (await request("/api/openapi.json")).json<{ paths: Record<string, Record<string, Operation>> }>();
    const writes = Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.entries(methods)
        .filter(([, op]) => op["x-apex-policy"]?.risk !== "READ" && op["x-apex-policy"]?.role !== "public")
        .map(([method, op]) => ({ route: `${method.toUpperCase()} ${path}`, op })),
    );
    expect(writes.length).toBeGreaterThan(10);
    const silent = writes.filter(
      ({ op }) =>
        !op.parameters?.some((p) => p.in === "header" && p.name.toLowerCase() === "idempotency-key") &&
        !op["x-apex-idempotent"],
    );
    expect(silent.map((w) => w.route)).toEqual([]);
    const declared = writes.filter(({ op }) => op["x-apex-idempotent"]).map((w) => w.route);
    expect(declared).toContain("DELETE /api/v1/api-keys/{id}");
  });

  it("bench-only routes do not exist unless BENCH_ROUTES is on", async () => {
    const response = await request("/api/_bench/postgres-insert", { method: "POST" });
    expect(response.status).toBe(404);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
  });
});
