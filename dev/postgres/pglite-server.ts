/**
 * Serves an embedded PGlite (real Postgres compiled to WebAssembly) on a TCP
 * port, speaking the Postgres wire protocol, so that drivers, the relay,
 * migrations and psql all talk to it as to any server.
 *
 * PGlite is ONE session. pglite-socket 0.2.17 interleaves clients' messages
 * inside that session and corrupts concurrent work (checked with 20 clients:
 * dropped connections, wrong rows). This server
 * instead hands the session to one client at a time, and only between
 * transactions: a client keeps it from its first message until Postgres
 * reports ReadyForQuery with status Idle; other clients wait in FIFO order.
 * A client that disconnects mid-transaction is rolled back; session state is
 * reset (DISCARD ALL) whenever the session changes hands.
 *
 * A real Postgres runs a lead's transaction beside a campaign's; one session
 * cannot, so the wait for it is ordered by lane (decision 030): a client whose
 * application_name names the bulk lane (`apex:bulk`, schema/db.ts) waits
 * behind every other waiting client, unless it has waited BULK_MAX_WAIT_MS,
 * so bulk work slows down instead of a lead's call, and is never starved.
 *
 * One session also means one bad client could stop every other. A real
 * Postgres ends the offending backend and keeps serving; so does this server:
 * a statement's error ends that statement (Postgres itself answers it); what
 * would end a real backend — a malformed or oversized message, an unknown
 * message type, sitting idle inside a transaction while others wait — ends
 * that client's connection, rolled back, and the session passes on. What
 * PGlite cannot survive never reaches it: an unknown message type or COPY FROM
 * STDIN makes it wait forever for input that never comes. Not covered: a
 * statement that runs forever (pg_sleep(1e9)) holds the session until it
 * ends — WebAssembly cannot be interrupted, and PGlite ignores statement_timeout.
 */
import net from "node:net";
import type { PGlite } from "@electric-sql/pglite";

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;
const PROTOCOL_3 = 196608;
/** Postgres's own bound on a startup packet (MAX_STARTUP_PACKET_LENGTH). */
const MAX_STARTUP_BYTES = 10_000;
/**
 * Postgres accepts a 1 GB message; PGlite's memory grows to hold one and never
 * shrinks, so a runaway statement would cost the developer's machine that much.
 * The API refuses bodies over 1 MiB; 64 MiB leaves room for any real statement.
 */
const MAX_MESSAGE_BYTES = 64 * 1024 * 1024;
/** How long a bulk-lane client may be passed over by other clients before it takes its turn in arrival order. */
const BULK_MAX_WAIT_MS = 2_000;
/** How long the session's holder may sit idle inside a transaction while others wait for it. */
const IDLE_IN_TRANSACTION_MS = 15_000;

/** Frontend messages after which Postgres answers: dispatch up to here. */
const DISPATCH_POINTS = new Set(["S", "Q", "H", "F"]);
/** Every other message a client may send once started (X, Terminate, is handled on arrival). */
const FORWARDED = new Set(["P", "B", "D", "E", "C"]);
/** COPY data from the client: Postgres ignores it outside COPY FROM STDIN, which never runs here. */
const IGNORED = new Set(["d", "c", "f"]);

/** COPY … FROM STDIN: PGlite would wait for data inside its one call and never return. */
const COPY_FROM_STDIN = /\bcopy\b[^;]*\bfrom\s+stdin\b/i;
const REFUSE_COPY_FROM_STDIN =
  "DO $apex$ BEGIN RAISE EXCEPTION USING ERRCODE = 'feature_not_supported', " +
  "MESSAGE = 'COPY FROM STDIN is not supported by the embedded Postgres; use INSERT'; END $apex$";

function message(type: string, body: Buffer): Buffer {
  const header = Buffer.alloc(5);
  header.write(type, 0, "latin1");
  header.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([header, body]);
}

function cstring(value: string): Buffer {
  return Buffer.from(`${value}\0`, "utf8");
}

/** A FATAL ErrorResponse: what Postgres sends right before it closes a connection. */
function fatal(code: string, text: string): Buffer {
  const field = (key: string, value: string) => Buffer.concat([Buffer.from(key, "latin1"), cstring(value)]);
  return message(
    "E",
    Buffer.concat([field("S", "FATAL"), field("V", "FATAL"), field("C", code), field("M", text), Buffer.from([0])]),
  );
}

/**
 * A Query or Parse message whose statement is COPY FROM STDIN, rewritten to a
 * statement that fails with a clear error — inside Postgres, so the
 * transaction's state after it is what Postgres says. Other messages: as is.
 */
function refuseCopyFromStdin(frame: Buffer): Buffer {
  const type = frame.toString("latin1", 0, 1);
  if (type === "Q" && COPY_FROM_STDIN.test(frame.toString("utf8", 5))) {
    return message("Q", cstring(REFUSE_COPY_FROM_STDIN));
  }
  if (type === "P") {
    const nameEnd = frame.indexOf(0, 5);
    const queryEnd = nameEnd < 0 ? -1 : frame.indexOf(0, nameEnd + 1);
    if (queryEnd > 0 && COPY_FROM_STDIN.test(frame.toString("utf8", nameEnd + 1, queryEnd))) {
      // The same statement name, the refusal, and no parameter types.
      return message(
        "P",
        Buffer.concat([frame.subarray(5, nameEnd + 1), cstring(REFUSE_COPY_FROM_STDIN), Buffer.alloc(2)]),
      );
    }
  }
  return frame;
}

/** The status byte of the last ReadyForQuery in a backend output, if any. */
function lastReadyStatus(output: Uint8Array): string | undefined {
  let status: string | undefined;
  let offset = 0;
  const view = Buffer.from(output.buffer, output.byteOffset, output.byteLength);
  while (offset + 5 <= view.length) {
    const type = String.fromCharCode(view[offset] as number);
    const length = view.readInt32BE(offset + 1);
    if (type === "Z" && length === 5) status = String.fromCharCode(view[offset + 5] as number);
    offset += 1 + length;
  }
  return status;
}

/** The name/value pairs of a protocol-3 startup packet. */
function startupParameters(packet: Buffer): Map<string, string> {
  const parts = packet.toString("utf8", 8).split("\0");
  const parameters = new Map<string, string>();
  for (let i = 0; i + 1 < parts.length && parts[i]; i += 2) parameters.set(parts[i] as string, parts[i + 1] as string);
  return parameters;
}

class SessionLock {
  private holder: Client | undefined;
  private lastHolder: Client | undefined;
  private readonly waiting: Array<{ client: Client; since: number; grant: (granted: boolean) => void }> = [];
  private readonly db: PGlite;

  constructor(db: PGlite) {
    this.db = db;
  }

  isHeldBy(client: Client): boolean {
    return this.holder === client;
  }

  /** The holder, when someone is waiting for it: the one the idle-in-transaction rule may end. */
  holderWithWaiters(): Client | undefined {
    return this.waiting.length > 0 ? this.holder : undefined;
  }

  /** False when the client went away while it waited. */
  async acquire(client: Client): Promise<boolean> {
    if (this.holder === client) return true;
    if (this.holder) {
      // release() hands the session over by making us the holder before it wakes us.
      const granted = await new Promise<boolean>((grant) => this.enqueue({ client, since: Date.now(), grant }));
      if (!granted) return false;
    } else {
      this.holder = client;
    }
    if (this.lastHolder && this.lastHolder !== client) await this.db.exec("DISCARD ALL");
    this.lastHolder = client;
    return true;
  }

  /** Arrival order, except that a client of any other lane goes ahead of bulk clients not yet waiting too long. */
  private enqueue(waiter: { client: Client; since: number; grant: (granted: boolean) => void }): void {
    const passable = waiter.client.bulk
      ? -1
      : this.waiting.findIndex((w) => w.client.bulk && waiter.since - w.since < BULK_MAX_WAIT_MS);
    if (passable < 0) this.waiting.push(waiter);
    else this.waiting.splice(passable, 0, waiter);
  }

  release(client: Client): void {
    if (this.holder !== client) return;
    const next = this.waiting.shift();
    this.holder = next?.client;
    next?.grant(true);
  }

  forget(client: Client): void {
    const index = this.waiting.findIndex((w) => w.client === client);
    if (index >= 0) this.waiting.splice(index, 1)[0]?.grant(false);
  }
}

class Client {
  /** Bytes received and not yet framed: chunks are joined only once a whole message is there. */
  private chunks: Buffer[] = [];
  private received = 0;
  private started = false;
  private readonly pending: Buffer[] = [];
  private busy = false;
  private closed = false;
  /** When the last batch finished; undefined while one runs. */
  private idleSince: number | undefined = Date.now();
  private readonly socket: net.Socket;
  private readonly db: PGlite;
  private readonly lock: SessionLock;
  private readonly serverVersion: string;
  private readonly processId: number;
  /** Named the bulk lane in its startup packet (application_name `…:bulk`). */
  bulk = false;

  constructor(socket: net.Socket, db: PGlite, lock: SessionLock, serverVersion: string, processId: number) {
    this.socket = socket;
    this.db = db;
    this.lock = lock;
    this.serverVersion = serverVersion;
    this.processId = processId;
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
    socket.on("close", () => void this.onClose());
    socket.on("error", () => socket.destroy());
  }

  /** Milliseconds since this client last had work running, or 0 while it has. */
  idleFor(now: number): number {
    return this.idleSince === undefined ? 0 : now - this.idleSince;
  }

  /** Ends this connection the way Postgres ends a backend: a FATAL error, then close (rolled back in onClose). */
  terminate(code: string, text: string): void {
    if (this.closed || this.socket.destroyed) return;
    this.pending.length = 0;
    this.socket.end(fatal(code, text));
    this.socket.destroySoon();
  }

  /** The next `bytes` of input, or undefined until they have all arrived. */
  private take(bytes: number): Buffer | undefined {
    if (this.received < bytes) return undefined;
    const joined = this.chunks.length === 1 ? (this.chunks[0] as Buffer) : Buffer.concat(this.chunks);
    this.chunks = joined.length > bytes ? [joined.subarray(bytes)] : [];
    this.received -= bytes;
    return joined.subarray(0, bytes);
  }

  /** The first `bytes` of input without consuming them. */
  private peek(bytes: number): Buffer | undefined {
    if (this.received < bytes) return undefined;
    if ((this.chunks[0]?.length ?? 0) < bytes) this.chunks = [Buffer.concat(this.chunks)];
    return (this.chunks[0] as Buffer).subarray(0, bytes);
  }

  private onData(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.received += chunk.length;
    if (!this.started) this.readStartup();
    while (this.started && !this.closed && !this.socket.destroyed) {
      const header = this.peek(5);
      if (!header) break;
      const type = header.toString("latin1", 0, 1);
      const length = header.readInt32BE(1);
      if (length < 4 || length > MAX_MESSAGE_BYTES) {
        this.terminate("08P01", `invalid message length ${length} (at most ${MAX_MESSAGE_BYTES} bytes)`);
        return;
      }
      if (type !== "X" && !DISPATCH_POINTS.has(type) && !FORWARDED.has(type) && !IGNORED.has(type)) {
        this.terminate("08P01", `invalid frontend message type ${header[0]}`);
        return;
      }
      const frame = this.take(1 + length);
      if (!frame) break;
      if (type === "X") {
        this.socket.end();
        return;
      }
      if (!IGNORED.has(type)) this.pending.push(refuseCopyFromStdin(frame));
    }
    void this.drain();
  }

  private readStartup(): void {
    while (!this.started && !this.socket.destroyed) {
      const header = this.peek(8);
      if (!header) return;
      const length = header.readInt32BE(0);
      if (length < 8 || length > MAX_STARTUP_BYTES) {
        this.socket.destroy();
        return;
      }
      const code = header.readInt32BE(4);
      const packet = this.take(length);
      if (!packet) return;
      if (code === SSL_REQUEST || code === GSSENC_REQUEST) {
        this.socket.write("N");
      } else if (code === PROTOCOL_3) {
        this.started = true;
        this.bulk = /:bulk$/.test(startupParameters(packet).get("application_name") ?? "");
        this.socket.write(this.startupResponse());
      } else if (code === CANCEL_REQUEST) {
        // PGlite cannot interrupt a running statement; the request is closed unanswered, as Postgres does.
        this.socket.destroy();
        return;
      } else {
        this.socket.destroy();
        return;
      }
    }
  }

  private startupResponse(): Buffer {
    const parameter = (name: string, value: string) => message("S", Buffer.concat([cstring(name), cstring(value)]));
    const authOk = Buffer.alloc(4);
    const keyData = Buffer.alloc(8);
    keyData.writeInt32BE(this.processId, 0);
    keyData.writeInt32BE(0, 4);
    return Buffer.concat([
      message("R", authOk),
      parameter("server_version", this.serverVersion),
      parameter("server_encoding", "UTF8"),
      parameter("client_encoding", "UTF8"),
      parameter("DateStyle", "ISO, MDY"),
      parameter("integer_datetimes", "on"),
      parameter("standard_conforming_strings", "on"),
      parameter("TimeZone", "UTC"),
      message("K", keyData),
      message("Z", Buffer.from("I")),
    ]);
  }

  /** Sends complete batches (up to a dispatch point) while this client holds the session. */
  private async drain(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      for (;;) {
        const end = this.pending.findIndex((m) => DISPATCH_POINTS.has(m.toString("latin1", 0, 1)));
        if (end < 0 || this.closed) break;
        const last = this.pending[end]?.toString("latin1", 0, 1);
        const batch = Buffer.concat(this.pending.splice(0, end + 1));
        if (!(await this.lock.acquire(this))) break;
        this.idleSince = undefined;
        const output = await this.db.execProtocolRaw(batch);
        this.idleSince = Date.now();
        // I idle, T in a transaction, E in a failed one; none after Flush or mid-exchange.
        const status = lastReadyStatus(output);
        if (!this.closed) this.socket.write(output);
        if (status === "I") this.lock.release(this);
        // Query and Sync always end in ReadyForQuery; without one the session's state is unknown.
        else if (!status && (last === "Q" || last === "S")) {
          this.terminate("08P01", "the embedded Postgres lost track of this session");
          break;
        }
      }
    } catch (error) {
      console.error(`[pglite] ${String(error)}`);
      this.socket.destroy();
    } finally {
      this.busy = false;
      this.idleSince ??= Date.now();
    }
  }

  private async onClose(): Promise<void> {
    this.closed = true;
    this.lock.forget(this);
    while (this.busy) await new Promise((r) => setTimeout(r, 5));
    if (this.lock.isHeldBy(this)) {
      // Held means mid-transaction or mid-exchange (no ReadyForQuery Idle yet): nothing of it may stay.
      await this.db.exec("ROLLBACK").catch(() => undefined);
      this.lock.release(this);
    }
  }
}

interface PgliteServer {
  port: number;
  url: string;
  close(): Promise<void>;
}

interface ServeOptions {
  host?: string;
  /** The idle-in-transaction limit while others wait (tests shorten it). */
  idleInTransactionMs?: number;
}

export async function servePglite(db: PGlite, port: number, options: ServeOptions = {}): Promise<PgliteServer> {
  const host = options.host ?? "127.0.0.1";
  const idleLimit = options.idleInTransactionMs ?? IDLE_IN_TRANSACTION_MS;
  const lock = new SessionLock(db);
  const version = (await db.query<{ server_version: string }>("show server_version")).rows[0]?.server_version ?? "17";
  let nextPid = 1000;
  const server = net.createServer((socket) => new Client(socket, db, lock, version, nextPid++));
  // Postgres's idle_in_transaction_session_timeout, applied only when the idle holder keeps others waiting:
  // a client that began a transaction and went quiet (a crashed Worker whose socket the relay still holds)
  // would otherwise stop every tenant's queries.
  const watchdog = setInterval(
    () => {
      const holder = lock.holderWithWaiters();
      if (holder && holder.idleFor(Date.now()) >= idleLimit) {
        holder.terminate("25P03", "terminating connection due to idle-in-transaction timeout while others wait");
      }
    },
    Math.max(10, Math.min(1_000, idleLimit / 4)),
  );
  watchdog.unref();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as net.AddressInfo;
  return {
    port: address.port,
    url: `postgres://postgres@${host}:${address.port}/postgres`,
    close: () =>
      new Promise<void>((resolve) => {
        clearInterval(watchdog);
        server.close(() => resolve());
        setTimeout(resolve, 500).unref();
      }),
  };
}
