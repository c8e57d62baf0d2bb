import { taskParams } from "../queue/tasks";
import { contextFromAgent } from "../service-context";
import { textOwnerSpendAlert } from "../speed-to-lead/owner-alerts";
import { defineAgent } from "./agent";

/** Internal: text the owner that the project reached 80 % or 100 % of its monthly cap. */
export const spendAlert = defineAgent({
  task: "spend_alert",
  mode: "heavy",
  role: "owner",
  internal: true,
  params: taskParams.spend_alert,
  run: (params, context) => textOwnerSpendAlert(params, contextFromAgent(context)),
});
