/**
 * Issue #18's targets for a 2-core machine, checked against the recorded
 * runs: met or missed, and for a miss, where the time went.
 */
import type { IntakeDialResult } from "./intake.ts";
import { type BenchRecord, DATABASES, type DatabaseLabel, type Measurement, type StackRecord } from "./report.ts";

const DIAL_P99_MS = 1_000;
const BESIDE_BULK = 1.2;
const ENTITY_CREATE_RATIO = 0.7;
const FANOUT_P99_MS = 250;

interface Target {
  target: string;
  database: DatabaseLabel;
  measured: string;
  met: boolean | undefined;
  where?: string;
}

const heaviestStage = (run: IntakeDialResult) => {
  const top = [...(run.stages ?? [])].sort((a, b) => b.shareOfSlowest - a.shareOfSlowest)[0];
  return top
    ? `the slowest 5 % spent ${Math.round(top.shareOfSlowest * 100)} % of their time in "${top.stage}" (p99 ${Math.round(top.p99Ms)} ms)`
    : "no stage lines were read";
};

/**
 * At this rate, how full the Worker's one thread is with the lead's requests
 * alone, answered as empty requests (the bare route's floor of the same run):
 * a bound no restructuring inside the requests can lift.
 */
function threadFull(stack: StackRecord | undefined, rate: number): string {
  const cost = stack?.intake?.cost;
  if (!cost?.requests || !cost.bareRouteFloorPerSecond) return "";
  const share = (rate * cost.requests) / cost.bareRouteFloorPerSecond;
  if (share < 0.5) return "";
  return `; at ${rate} leads/s the lead's ${cost.requests} requests alone, answered empty, would take ${Math.round(share * 100)} % of the Worker's one thread (bare route floor ${cost.bareRouteFloorPerSecond} req/s)`;
}

function dialTargets(database: DatabaseLabel, stack: StackRecord | undefined, rate: number): Target[] {
  const runs = stack?.intake?.runs ?? [];
  const alone = runs.find((r) => r.leadsPerSecond === rate && r.label === "alone");
  const beside = runs.find((r) => r.leadsPerSecond === rate && r.label !== "alone");
  const verdict = (run: IntakeDialResult | undefined, limitMs: number, name: string): Target => {
    if (!run || run.p99Ms === null) return { target: name, database, measured: "not run", met: undefined };
    const lost = run.posted - run.dialled;
    const met = run.p99Ms < limitMs && lost === 0;
    return {
      target: name,
      database,
      measured: `p99 ${Math.round(run.p99Ms)} ms, ${run.dialled}/${run.posted} dialled${
        run === beside && alone?.p99Ms ? ` (${(run.p99Ms / alone.p99Ms).toFixed(2)}× alone)` : ""
      }`,
      met,
      ...(met
        ? {}
        : {
            where: `${lost > 0 ? `${lost} leads were refused or never dialled; ` : ""}${heaviestStage(run)}${threadFull(stack, rate)}`,
          }),
    };
  };
  return [
    verdict(alone, DIAL_P99_MS, `intake → dial p99 < 1 s at ${rate} leads/s`),
    verdict(beside, DIAL_P99_MS * BESIDE_BULK, `the same beside bulk work, ≤ ${BESIDE_BULK}× (< 1.2 s)`),
  ];
}

/** With every connection busy on the one Worker thread, 1 ÷ req/s is about what the thread spends on a request. */
const threadMs = (m: Measurement) => 1000 / m.requestsPerSecond;
const ms = (value: number) => value.toFixed(1);

/**
 * Where an entity create's extra thread time goes, from the same run's floors:
 * an object call costs what the tenant-object floor costs over the bare route.
 */
function entityCreateSplit(results: Measurement[], create: Measurement, floor: Measurement | undefined): string {
  const bare = results.find((r) => r.name === "bare Hono route");
  const rpc = results.find((r) => r.name === "tenant object RPC");
  const calls = create.objectCallsPerRequest;
  if (!floor || !bare || !rpc || calls === undefined) {
    return `p50 ${create.p50Ms} ms against the floor's ${floor?.p50Ms ?? "?"} ms`;
  }
  // The floor as measured beside the create, when it was (paired rounds).
  const floorMs = create.pairedFloorRps ? 1000 / create.pairedFloorRps : threadMs(floor);
  const extra = threadMs(create) - floorMs;
  const perCall = threadMs(rpc) - threadMs(bare);
  return (
    `the Worker's thread spends about ${ms(threadMs(create))} ms on a create and ${ms(floorMs)} ms on the floor's insert (1 ÷ req/s); ` +
    `of the ${ms(extra)} ms more, ${calls} object calls take about ${ms(calls * perCall)} ms (${ms(perCall)} ms each, by the tenant-object floor), ` +
    `and ${ms(extra - calls * perCall)} ms is the rest: what those calls do beyond a ping, the access token, validation and the entity's statement`
  );
}

function storeTargets(database: DatabaseLabel, stack: StackRecord | undefined): Target[] {
  const create = stack?.results?.find((r) => r.name === "entity create");
  const floor = stack?.results?.find((r) => r.name === create?.floor);
  const fanout = stack?.fanout?.find((f) => f.sockets >= 1000);
  const targets: Target[] = [];
  if (create?.ratioToFloor !== undefined) {
    const met = create.ratioToFloor >= ENTITY_CREATE_RATIO;
    targets.push({
      target: `entity create ≥ ${ENTITY_CREATE_RATIO}× the one-insert floor`,
      database,
      measured: create.ratioRounds
        ? `${create.ratioToFloor}×, the median of ${create.ratioRounds.length} paired rounds (${create.ratioRounds.join(", ")}); ${create.requestsPerSecond} vs ${create.pairedFloorRps ?? "?"} req/s`
        : `${create.ratioToFloor}× (${create.requestsPerSecond} vs ${floor?.requestsPerSecond ?? "?"} req/s)`,
      met,
      ...(met
        ? {}
        : {
            where: entityCreateSplit(stack?.results ?? [], create, floor),
          }),
    });
  }
  if (fanout) {
    const met = fanout.p99Ms < FANOUT_P99_MS && fanout.missing === 0;
    const slow = fanout.slowest;
    const parts = slow
      ? ([
          ["before the send loop", slow.beforeLoopMs],
          ["in the send loop", slow.loopMs],
          ["after it (workerd and the bench's clients)", slow.afterLoopMs],
        ] as Array<[string, number]>)
      : [];
    const top = parts.sort((a, b) => b[1] - a[1])[0];
    targets.push({
      target: `fan-out to 1,000 sockets p99 < ${FANOUT_P99_MS} ms, no loss`,
      database,
      measured: `p99 ${fanout.p99Ms} ms, ${fanout.missing} missing`,
      met,
      ...(met || !top ? {} : { where: `the slowest 1 % spent ${Math.round(top[1])} ms ${top[0]}` }),
    });
  }
  return targets;
}

export function targetLines(record: BenchRecord): string[] {
  const embedded = record.stacks[DATABASES.embedded];
  const machine = record.stacks[DATABASES.machine];
  const targets = [
    ...dialTargets(DATABASES.embedded, embedded, 2),
    ...dialTargets(DATABASES.machine, machine, 20),
    ...storeTargets(DATABASES.embedded, embedded),
    ...storeTargets(DATABASES.machine, machine),
  ];
  const mark = (met: boolean | undefined) => (met === undefined ? "not run" : met ? "met" : "**missed**");
  return [
    "## Issue #18's targets (2 cores)",
    "",
    "| target | on | measured | verdict | where the time goes |",
    "| --- | --- | --- | --- | --- |",
    ...targets.map((t) => `| ${t.target} | ${t.database} | ${t.measured} | ${mark(t.met)} | ${t.where ?? ""} |`),
  ];
}
