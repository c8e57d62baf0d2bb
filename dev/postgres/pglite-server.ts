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
 */
import net from "node:net";
import type { PGlite } from "@electric-sql/pglite";

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;
const PROTOCOL_3 = 196608;

/** Frontend messages after which Postgres answers: dispatch up to here. */
const DISPATCH_POINTS = new Set(["S", "Q", "H", "F"]);

function message(type: string, body: Buffer): Buffer {
  const header = Buffer.alloc(5);
  header.write(type, 0, "latin1");
  header.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([header, body]);
}

function cstring(value: string): Buffer {
  return Buffer.from(`${value}\0`, "utf8");
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

class SessionLock {
  private holder: Client | undefined;
  private lastHolder: Client | undefined;
  private readonly waiting: Array<{ client: Client; grant: () => void }> = [];
  private readonly db: PGlite;

  constructor(db: PGlite) {
    this.db = db;
  }

  isHeldBy(client: Client): boolean {
    return this.holder === client;
  }

  async acquire(client: Client): Promise<void> {
    if (this.holder === client) return;
    if (this.holder) {
      // release() hands the session over by making us the holder before it wakes us.
      await new Promise<void>((grant) => this.waiting.push({ client, grant }));
    } else {
      this.holder = client;
    }
    if (this.lastHolder && this.lastHolder !== client) await this.db.exec("DISCARD ALL");
    this.lastHolder = client;
  }

  release(client: Client): void {
    if (this.holder !== client) return;
    const next = this.waiting.shift();
    this.holder = next?.client;
    next?.grant();
  }

  forget(client: Client): void {
    const index = this.waiting.findIndex((w) => w.client === client);
    if (index >= 0) this.waiting.splice(index, 1);
  }
}

class Client {
  private buffer = Buffer.alloc(0);
  private started = false;
  private readonly pending: Buffer[] = [];
  private busy = false;
  private closed = false;
  /** Transaction status from the last ReadyForQuery: I idle, T in tx, E failed tx. */
  private status = "I";
  private readonly socket: net.Socket;
  private readonly db: PGlite;
  private readonly lock: SessionLock;
  private readonly serverVersion: string;
  private readonly processId: number;

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

  private onData(chunk: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    if (!this.started) this.readStartup();
    if (!this.started) return;
    while (this.buffer.length >= 5) {
      const length = this.buffer.readInt32BE(1);
      if (this.buffer.length < 1 + length) break;
      const frame = this.buffer.subarray(0, 1 + length);
      this.buffer = this.buffer.subarray(1 + length);
      if (frame.toString("latin1", 0, 1) === "X") {
        this.socket.end();
        return;
      }
      this.pending.push(frame);
    }
    void this.drain();
  }

  private readStartup(): void {
    while (!this.started && this.buffer.length >= 8) {
      const length = this.buffer.readInt32BE(0);
      if (this.buffer.length < length) return;
      const code = this.buffer.readInt32BE(4);
      this.buffer = this.buffer.subarray(length);
      if (code === SSL_REQUEST || code === GSSENC_REQUEST) {
        this.socket.write("N");
      } else if (code === CANCEL_REQUEST) {
        this.socket.destroy();
        return;
      } else if (code === PROTOCOL_3) {
        this.started = true;
        this.socket.write(this.startupResponse());
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
        const batch = Buffer.concat(this.pending.splice(0, end + 1));
        await this.lock.acquire(this);
        const output = await this.db.execProtocolRaw(batch);
        const status = lastReadyStatus(output);
        if (status) this.status = status;
        if (!this.closed) this.socket.write(output);
        if (status === "I") this.lock.release(this);
      }
    } catch (error) {
      console.error(`[pglite] ${String(error)}`);
      this.socket.destroy();
    } finally {
      this.busy = false;
    }
  }

  private async onClose(): Promise<void> {
    this.closed = true;
    this.lock.forget(this);
    while (this.busy) await new Promise((r) => setTimeout(r, 5));
    if (this.lock.isHeldBy(this)) {
      if (this.status !== "I") await this.db.exec("ROLLBACK").catch(() => undefined);
      this.lock.release(this);
    }
  }
}

interface PgliteServer {
  port: number;
  url: string;
  close(): Promise<void>;
}

export async function servePglite(db: PGlite, port: number, host = "127.0.0.1"): Promise<PgliteServer> {
  const lock = new SessionLock(db);
  const version = (await db.query<{ server_version: string }>("show server_version")).rows[0]?.server_version ?? "17";
  let nextPid = 1000;
  const server = net.createServer((socket) => new Client(socket, db, lock, version, nextPid++));
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
        server.close(() => resolve());
        setTimeout(resolve, 500).unref();
      }),
  };
}
