/**
 * The API and webhook application: the middleware chain, in order, and the
 * mounted route modules. Identity, rate limiting and authorization join this
 * chain with the identity issue:
 *   request id → rate limit → authenticate → tenant → authorize → validate → route
 */
import { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "./context";
import { notFound, onError } from "./middleware/problems";
import { requestId } from "./middleware/request-id";
import { validationHook } from "./middleware/validation";
import { benchRoutes } from "./routes/bench";
import { healthRoutes } from "./routes/health";
import { pingRoutes } from "./routes/ping";

export function createApp() {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  app.use("*", requestId);
  app.onError(onError);
  app.notFound(notFound);

  app.route("/api/ping", pingRoutes());
  app.route("/api/health", healthRoutes());
  app.route("/api/_bench", benchRoutes());

  app.doc31("/api/openapi.json", {
    openapi: "3.1.0",
    info: { title: "Apex API", version: "1.0.0", description: "Edge-native OS for local service businesses." },
  });
  return app;
}
