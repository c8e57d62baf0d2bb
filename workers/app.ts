/**
 * The API and webhook application: the middleware chain, in order, and the
 * mounted route modules. Global: request id + access log → lazy Postgres.
 * Per route (declared beside its schema with defineRoute, routes/shared.ts):
 *   guard: authenticate → rate limit → authorize (middleware/guard.ts)
 *   → services built once (c.get("services")) → idempotency ledger (writes)
 *   → zod validation → service → repository
 * Request variables are read with `c.get("name")`, never `c.var.name`: Hono
 * builds `c.var` as a fresh copy of every variable on each read (decision 032).
 */

import { swaggerUI } from "@hono/swagger-ui";
import { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "./context";
import { database } from "./middleware/database";
import { notFound, onError } from "./middleware/problems";
import { requestId } from "./middleware/request-id";
import { apiSecurityHeaders } from "./middleware/security-headers";
import { validationHook } from "./middleware/validation";
import { apiKeyRoutes } from "./routes/api-keys";
import { auditRoutes } from "./routes/audit";
import { authRoutes } from "./routes/auth";
import { benchRoutes } from "./routes/bench";
import { callRoutes } from "./routes/calls";
import { campaignRoutes } from "./routes/campaigns";
import { customerImportRoutes } from "./routes/customer-imports";
import { dashboardRoutes } from "./routes/dashboard";
import { dnaRoutes } from "./routes/dna";
import { entityRoutes } from "./routes/entities";
import { entityTypeRoutes } from "./routes/entity-types";
import { healthRoutes } from "./routes/health";
import { huntRoutes } from "./routes/hunts";
import { intakeSecretRoutes } from "./routes/intake-secrets";
import { leadIntakeRoutes } from "./routes/lead-intake";
import { llmSettingsRoutes } from "./routes/llm-settings";
import { memberRoutes } from "./routes/members";
import { phoneNumberRoutes } from "./routes/phone-numbers";
import { pingRoutes } from "./routes/ping";
import { projectRoutes } from "./routes/projects";
import { realtimeRoutes } from "./routes/realtime";
import { relationshipRoutes } from "./routes/relationships";
import { retentionRoutes } from "./routes/retention";
import { seoRoutes } from "./routes/seo";
import { speedToLeadSettingsRoutes } from "./routes/speed-to-lead-settings";
import { taskRoutes } from "./routes/tasks";
import { twilioWebhookRoutes } from "./routes/twilio-webhooks";
import { usageRoutes } from "./routes/usage";
import { webhookEndpointRoutes } from "./routes/webhook-endpoints";

export function createApp() {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  // Outermost, so error and not-found answers get the headers too.
  app.use("*", apiSecurityHeaders);
  app.use("*", requestId);
  app.use("*", database);
  app.onError(onError);
  app.notFound(notFound);

  app.route("/api/ping", pingRoutes());
  app.route("/api/health", healthRoutes());
  app.route("/api/_bench", benchRoutes());
  app.route("/api/v1/auth", authRoutes());
  app.route("/api/v1/entities", entityRoutes());
  app.route("/api/v1/entities", relationshipRoutes());
  app.route("/api/v1/entity-types", entityTypeRoutes());
  app.route("/api/v1/api-keys", apiKeyRoutes());
  app.route("/api/v1", memberRoutes());
  app.route("/api/v1", taskRoutes());
  app.route("/api/v1/realtime", realtimeRoutes());
  app.route("/api/v1/audit", auditRoutes());
  app.route("/api/v1/retention-policies", retentionRoutes());
  app.route("/api/v1/projects", usageRoutes());
  app.route("/api/v1/projects", speedToLeadSettingsRoutes());
  app.route("/api/v1/projects", dnaRoutes());
  app.route("/api/v1/projects", intakeSecretRoutes());
  app.route("/api/v1/projects", projectRoutes());
  app.route("/api/v1/projects", phoneNumberRoutes());
  app.route("/api/v1/projects", customerImportRoutes());
  app.route("/api/v1/campaigns", campaignRoutes());
  app.route("/api/v1/webhook-endpoints", webhookEndpointRoutes());
  app.route("/api/v1/settings/llm", llmSettingsRoutes());
  app.route("/api/v1", dashboardRoutes());
  app.route("/api/v1", callRoutes());
  app.route("/api/v1", huntRoutes());
  app.route("/api/v1", seoRoutes());
  app.route("/webhooks/leads", leadIntakeRoutes());
  app.route("/webhooks/twilio", twilioWebhookRoutes());

  app.doc31("/api/openapi.json", {
    openapi: "3.1.0",
    info: { title: "Apex API", version: "1.0.0", description: "Edge-native OS for local service businesses." },
  });
  app.openAPIRegistry.registerComponent("securitySchemes", "bearer", { type: "http", scheme: "bearer" });
  // The interactive reference. Swagger UI's script and styles load from its CDN in the reader's browser.
  app.get("/api/docs", swaggerUI({ url: "/api/openapi.json" }));
  return app;
}
