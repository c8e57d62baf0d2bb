import { taskParams } from "../queue/tasks";
import { contextFromAgent } from "../service-context";
import { dispatchWebhookEvent } from "../services/webhook-delivery";
import { defineAgent } from "./agent";

/**
 * Internal: the tenant object's webhook outbox sends one of these per event;
 * it fans the event out into one delivery per subscribed endpoint.
 */
export const webhookDispatch = defineAgent({
  task: "webhook_dispatch",
  mode: "heavy",
  role: "owner",
  internal: true,
  params: taskParams.webhook_dispatch,
  async run(params, context) {
    const deliveries = await dispatchWebhookEvent(params, contextFromAgent(context));
    context.log.info("webhook event dispatched", { eventId: params.eventId, deliveries });
    return { deliveries };
  },
});
