import { taskParams } from "../queue/tasks";
import { attemptDelivery } from "../services/webhooks";
import { defineAgent } from "./agent";

/**
 * Internal: one attempt at one webhook delivery. A failed attempt throws, so
 * the queue retries it with backoff until the delivery's attempts run out.
 */
export const webhookDeliver = defineAgent({
  task: "webhook_deliver",
  mode: "heavy",
  role: "owner",
  internal: true,
  params: taskParams.webhook_deliver,
  run: (params, { env, actor, db, log }) => attemptDelivery(params.deliveryId, { env, db: db(), actor, log }),
});
