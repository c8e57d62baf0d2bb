/**
 * What the Worker asks of Postgres, counted on the wire as the relay passes
 * it on (frontend messages only): round trips (a Sync or a simple Query, each
 * one wait for an answer), statements, writes (INSERT/UPDATE/DELETE), and
 * transactions, with those that wrote. The bench reads them before and after
 * one lead's whole life to say what a lead costs (#18 item 7).
 */
export interface WireCounts {
  roundTrips: number;
  statements: number;
  writes: number;
  transactions: number;
  writeTransactions: number;
}

export const emptyWireCounts = (): WireCounts => ({
  roundTrips: 0,
  statements: 0,
  writes: 0,
  transactions: 0,
  writeTransactions: 0,
});

const WRITING_STATEMENT = /^\s*(insert|update|delete|with)\b/i;
/** Each data-modifying clause, also inside WITH (an entity write is one statement of three). */
const WRITE_CLAUSE = /\b(insert\s+into|update\s+("[^"]+"|\w+)\s+set|delete\s+from)\b/gi;
const writesIn = (text: string) => (WRITING_STATEMENT.test(text) ? (text.match(WRITE_CLAUSE)?.length ?? 0) : 0);
const BEGIN = /^\s*(begin|start\s+transaction)\b/i;
const END = /^\s*(commit|rollback|end)\b/i;

/** One client connection's stream: feed it the bytes as they come; it adds to `counts`. */
export function wireCounter(counts: WireCounts): (chunk: Buffer) => void {
  let pending: Buffer = Buffer.alloc(0);
  let started = false;
  let inBlock = false;
  let blockWrote = false;
  let parsed = "";

  const statement = (text: string) => {
    counts.statements += 1;
    if (BEGIN.test(text)) {
      inBlock = true;
      blockWrote = false;
      return;
    }
    if (END.test(text)) {
      if (inBlock) {
        counts.transactions += 1;
        if (blockWrote) counts.writeTransactions += 1;
      }
      inBlock = false;
      return;
    }
    const written = writesIn(text);
    const writes = written > 0;
    counts.writes += written;
    if (inBlock) blockWrote ||= writes;
    else {
      // Outside a block each statement is a transaction of its own.
      counts.transactions += 1;
      if (writes) counts.writeTransactions += 1;
    }
  };

  // A stream with an impossible length cannot be followed (the relay closes it): count nothing more of it.
  let lost = false;
  return (chunk) => {
    if (lost) return;
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    for (;;) {
      if (!started) {
        if (pending.length < 8) return;
        const length = pending.readInt32BE(0);
        if (length < 8) {
          lost = true;
          return;
        }
        if (pending.length < length) return;
        // SSLRequest/GSSENCRequest are followed by the real startup packet.
        const code = pending.readInt32BE(4);
        if (code !== 80877103 && code !== 80877104) started = true;
        pending = pending.subarray(length);
        continue;
      }
      if (pending.length < 5) return;
      const type = String.fromCharCode(pending[0] as number);
      const length = pending.readInt32BE(1);
      if (length < 4) {
        lost = true;
        return;
      }
      if (pending.length < 1 + length) return;
      const body = pending.subarray(5, 1 + length);
      pending = pending.subarray(1 + length);
      if (type === "Q") {
        counts.roundTrips += 1;
        const text = body.toString("utf8", 0, Math.max(0, body.length - 1));
        for (const part of text.split(";")) if (part.trim()) statement(part);
      } else if (type === "P") {
        const nameEnd = body.indexOf(0);
        parsed = body.toString("utf8", nameEnd + 1, body.indexOf(0, nameEnd + 1));
      } else if (type === "E") {
        statement(parsed);
      } else if (type === "S") {
        counts.roundTrips += 1;
      }
    }
  };
}
