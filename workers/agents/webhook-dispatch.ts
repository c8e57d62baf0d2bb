import { taskParams } from "../queue/tasks";
import { dispatchWebhookEvent } from "../services/webhooks";
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
  async run(params, { env, actor, db, log }) {
    const deliveries = await dispatchWebhookEvent(params, { env, db: db(), actor });
    log.info("webhook event dispatched", { eventId: params.eventId, deliveries });
    return { deliveries };
  },
});
