/**
 * Cuts a Postgres wire stream into whole messages (type byte + length), so
 * the relay can tell where one request ends and see each ReadyForQuery.
 * The startup phase (length-prefixed packets with no type byte) is cut by
 * `startupPacket`.
 */
export interface Message {
  type: string;
  /** The whole message, header included, ready to forward. */
  bytes: Buffer;
  /** The payload after the five-byte header. */
  body: Buffer;
}

export class MessageStream {
  private pending: Buffer = Buffer.alloc(0);

  /**
   * Whole messages completed by `chunk`; a partial one waits for the next
   * chunk. Undefined when a length is impossible (under 4 or over 1 GB, as
   * Postgres refuses): the stream cannot be followed any further.
   */
  push(chunk: Buffer): Message[] | undefined {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const messages: Message[] = [];
    while (this.pending.length >= 5) {
      const length = this.pending.readInt32BE(1);
      if (length < 4 || length > MAX_MESSAGE_BYTES) return undefined;
      if (this.pending.length < 1 + length) break;
      const bytes = this.pending.subarray(0, 1 + length);
      messages.push({ type: String.fromCharCode(bytes[0] as number), bytes, body: bytes.subarray(5) });
      this.pending = this.pending.subarray(1 + length);
    }
    return messages;
  }

  /** True between messages: nothing half-received is waiting. */
  get atBoundary(): boolean {
    return this.pending.length === 0;
  }
}

/** Postgres's own bounds: a message of at most 1 GB, a startup packet of at most 10,000 bytes. */
const MAX_MESSAGE_BYTES = 0x40000000;
const MAX_STARTUP_BYTES = 10_000;

export const SSL_REQUEST = 80877103;
export const GSSENC_REQUEST = 80877104;
export const CANCEL_REQUEST = 80877102;
export const PROTOCOL_3 = 196608;

/**
 * The first whole startup packet in `buffer` and what follows it, undefined
 * while it is incomplete, "malformed" when its length is impossible.
 */
export function startupPacket(
  buffer: Buffer,
): { packet: Buffer; code: number; rest: Buffer } | "malformed" | undefined {
  if (buffer.length < 4) return undefined;
  const length = buffer.readInt32BE(0);
  if (length < 8 || length > MAX_STARTUP_BYTES) return "malformed";
  if (buffer.length < length) return undefined;
  return { packet: buffer.subarray(0, length), code: buffer.readInt32BE(4), rest: buffer.subarray(length) };
}

/** A simple-protocol Query message. */
export function simpleQuery(text: string): Buffer {
  const body = Buffer.from(`${text}\0`, "utf8");
  const header = Buffer.alloc(5);
  header.write("Q", 0, "latin1");
  header.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([header, body]);
}
