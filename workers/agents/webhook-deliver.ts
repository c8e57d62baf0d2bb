import { taskParams } from "../queue/tasks";
import { contextFromAgent } from "../service-context";
import { attemptDelivery } from "../services/webhook-delivery";
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
  run: (params, context) => attemptDelivery(params.deliveryId, contextFromAgent(context)),
});
