import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { OpenAPI3 } from "openapi-typescript";
import { check, typesFor } from "./api-client.ts";

/** A served document in miniature: one operation, answers shaped like Apex's. */
const problem = {
  description: "Validation failed",
  content: { "application/problem+json": { schema: { $ref: "#/components/schemas/Problem" } } },
};
const served: OpenAPI3 = {
  openapi: "3.1.0",
  info: { title: "Apex API", version: "1.0.0" },
  paths: {
    "/api/v1/leads/{id}/sms": {
      post: {
        parameters: [{ name: "id", in: "path", required: true, schema: { type: "string", format: "uuid" } }],
        requestBody: {
          required: true,
          content: {
            "application/json": {
              schema: { type: "object", properties: { body: { type: "string" } }, required: ["body"] },
            },
          },
        },
        responses: {
          200: {
            description: "Sent",
            content: { "application/json": { schema: { type: "object", properties: { sent: { type: "boolean" } } } } },
          },
          422: problem,
        },
      },
    },
  },
  components: {
    schemas: {
      Problem: {
        type: "object",
        properties: { type: { type: "string" }, title: { type: "string" }, status: { type: "number" } },
        required: ["type", "title", "status"],
      },
    },
  },
};

describe("client:check", () => {
  it("passes when the committed types are what the served document generates", async () => {
    assert.equal(await check(await typesFor(served), served), undefined);
  });

  it("names the operation and the answer when the served document gained a status the committed types lack", async () => {
    const committed = await typesFor(served);
    const changed = structuredClone(served);
    const sms = changed.paths?.["/api/v1/leads/{id}/sms"];
    assert.ok(sms && "post" in sms && sms.post && "responses" in sms.post && sms.post.responses);
    sms.post.responses[402] = { ...problem, description: "The monthly spend cap is reached" };

    const drift = await check(committed, changed);

    assert.ok(drift, "the drift went unnoticed");
    assert.match(drift, /in \/api\/v1\/leads\/\{id\}\/sms/);
    assert.match(drift, /\+ .*The monthly spend cap is reached/);
  });

  it("counts a missing committed file as drift", async () => {
    assert.ok(await check("", served));
  });
});
