import { describe, expect, it, vi } from "vitest";
import { sendAgentMessages } from "../workers/queue/enqueue";
import { laneOf, TASK_LANES, taskParams } from "../workers/queue/tasks";
import { request } from "./helpers";
import { jsonRequest, signUpTenant } from "./tenants";

/** Two lanes (#18 item 1): the bridge never waits behind bulk work on one queue. */
function recordingQueue() {
  const sent: unknown[] = [];
  const queue = {
    send: async (body: unknown) => {
      sent.push(body);
    },
    sendBatch: async (messages: { body: unknown }[]) => {
      sent.push(...messages.map((m) => m.body));
    },
  } as unknown as Queue;
  return { queue, sent };
}

const tasksOf = (sent: unknown[]) => sent.map((body) => (body as { task: string }).task);

describe("queue lanes", () => {
  it("every task has a lane, and the bridge, its follow-ups and the alerts ride the urgent one", () => {
    expect(Object.keys(TASK_LANES).sort()).toEqual(Object.keys(taskParams).sort());
    for (const task of ["sales_agent", "bridge_missed", "inbound_missed", "lead_scorer", "spend_alert"]) {
      expect(laneOf(task)).toBe("urgent");
    }
    for (const task of ["entity_export", "webhook_deliver", "transcribe_call", "analyze_call", "onboarding"]) {
      expect(laneOf(task)).toBe("bulk");
    }
  });

  it("a mixed batch is split: each message goes to its own task's queue, nothing to the other", async () => {
    const urgent = recordingQueue();
    const bulk = recordingQueue();
    const tenantId = crypto.randomUUID();
    const id = () => crypto.randomUUID();
    await sendAgentMessages({ AGENTS: urgent.queue, AGENTS_BULK: bulk.queue }, [
      { task: "webhook_deliver", tenantId, params: { deliveryId: id() } },
      { task: "sales_agent", tenantId, params: { leadId: id(), projectId: id() } },
      { task: "transcribe_call", tenantId, params: { callId: id() } },
      { task: "bridge_missed", tenantId, params: { callId: id(), reason: "owner-no-answer" } },
    ]);
    expect(tasksOf(urgent.sent)).toEqual(["sales_agent", "bridge_missed"]);
    expect(tasksOf(bulk.sent)).toEqual(["webhook_deliver", "transcribe_call"]);
  });

  it("a task on the bulk lane runs to the end through the bulk queue's consumer", async () => {
    const owner = await signUpTenant("lanes-bulk");
    const started = await request(
      "/api/v1/tasks/entity_export",
      jsonRequest("POST", { params: {} }, { ...owner.auth, "idempotency-key": crypto.randomUUID() }),
    );
    expect(started.status).toBe(202);
    const { id } = await started.json<{ id: string }>();
    const done = await vi.waitFor(
      async () => {
        const ticket = await (await request(`/api/v1/tickets/${id}`, { headers: owner.auth })).json<{
          status: string;
        }>();
        if (ticket.status === "queued" || ticket.status === "processing") throw new Error(ticket.status);
        return ticket;
      },
      { timeout: 15_000, interval: 100 },
    );
    expect(done.status).toBe("completed");
  });
});
