import { useRevalidator } from "@remix-run/react";
import { useEffect, useRef, useState } from "react";
import { ACK_AT_WINDOW_FRACTION, ACK_QUIET_JITTER_MS, ACK_QUIET_MS } from "./live-acks";

/**
 * One real-time connection per tab: the tenant's WebSocket, resumed
 * from the last sequence after any drop, with events acknowledged (the
 * server cuts off clients that do not ack, decision 007). After repeated
 * failures it falls back to long-polling. Any event on a watched channel
 * revalidates the page's loaders — the data always comes from the server.
 */
type LiveState = "connecting" | "live" | "polling" | "offline";

/**
 * Acks are cumulative (decision 007, amended): one ack of the newest event
 * frees everything before it, and every ack wakes the tenant's object, so
 * they are coalesced. An ack goes out once a quarter of the server's window
 * is unacknowledged, far from the bound, or after a quiet spell with no new
 * event: 2 s plus up to 2 s at random, so the tabs that all saw the same
 * event do not all ack in the same instant. The fan-out bench acks by the
 * same rule (app/lib/live-acks.ts), so the bench measures what the UI does.
 */
const utf8 = new TextEncoder();

/** The browser's WebSocket and location (the project's types are the Worker's, not the DOM's). */
interface BrowserSocket {
  onopen: (() => void) | null;
  onmessage: ((message: { data: unknown }) => void) | null;
  onclose: (() => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}
const browser = () =>
  globalThis as unknown as {
    location: { protocol: string; host: string };
    WebSocket: new (url: string, protocols: string[]) => BrowserSocket;
  };

export function useLive(channels: string[]): LiveState {
  const [state, setState] = useState<LiveState>("connecting");
  const revalidator = useRevalidator();
  const revalidate = useRef(revalidator.revalidate);
  revalidate.current = revalidator.revalidate;
  const key = channels.join(",");

  useEffect(() => {
    const watched = key.split(",").filter(Boolean);
    if (watched.length === 0) return;
    let cursor: number | undefined;
    let socket: BrowserSocket | undefined;
    let stopped = false;
    let failures = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let pending: ReturnType<typeof setTimeout> | undefined;
    // This socket's events not yet acknowledged: the newest seq and their UTF-8 bytes, as the server counts them.
    let unackedSeq: number | undefined;
    let unackedBytes = 0;
    // Unknown until `subscribed` announces it; a resumed backlog arrives before that, and its bytes count.
    let windowBytes = Number.POSITIVE_INFINITY;
    let ackTimer: ReturnType<typeof setTimeout> | undefined;

    const ack = () => {
      clearTimeout(ackTimer);
      if (unackedSeq === undefined) return;
      socket?.send(JSON.stringify({ type: "ack", seq: unackedSeq }));
      unackedSeq = undefined;
      unackedBytes = 0;
    };
    const received = (seq: number, bytes: number) => {
      unackedSeq = Math.max(seq, unackedSeq ?? seq);
      unackedBytes += bytes;
      clearTimeout(ackTimer);
      if (unackedBytes >= windowBytes * ACK_AT_WINDOW_FRACTION) ack();
      else ackTimer = setTimeout(ack, ACK_QUIET_MS + Math.random() * ACK_QUIET_JITTER_MS);
    };

    const changed = () => {
      clearTimeout(pending);
      pending = setTimeout(() => revalidate.current(), 250);
    };

    const poll = async () => {
      setState("polling");
      while (!stopped) {
        try {
          const url = `/api/v1/realtime/poll?channels=${encodeURIComponent(watched.join(","))}&cursor=${cursor ?? 0}&wait=20`;
          // Same-origin fetches carry the session cookie by default.
          const response = await fetch(url);
          if (!response.ok) throw new Error(String(response.status));
          const page = (await response.json()) as { events: unknown[]; cursor: number; gap?: boolean };
          const first = cursor === undefined;
          cursor = page.cursor;
          // A gap is events this page cannot replay: reload what is shown, as the socket does.
          if (!first && (page.events.length > 0 || page.gap)) changed();
        } catch {
          setState("offline");
          await new Promise((resolve) => setTimeout(resolve, 5_000));
          setState("polling");
        }
      }
    };

    const connect = () => {
      if (stopped) return;
      setState("connecting");
      const { location, WebSocket } = browser();
      const url = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/api/v1/realtime`;
      socket = new WebSocket(url, ["apex.v1"]);
      // A new socket is a new window: nothing is owed on it.
      clearTimeout(ackTimer);
      unackedSeq = undefined;
      unackedBytes = 0;
      windowBytes = Number.POSITIVE_INFINITY;
      socket.onopen = () => {
        failures = 0;
        socket?.send(
          JSON.stringify({ type: "subscribe", channels: watched, ...(cursor !== undefined ? { cursor } : {}) }),
        );
      };
      socket.onmessage = (message) => {
        const text = String(message.data);
        const frame = JSON.parse(text) as { type: string; seq?: number; windowBytes?: number };
        if (frame.type === "subscribed") {
          setState("live");
          if (frame.windowBytes) windowBytes = frame.windowBytes;
          if (unackedBytes >= windowBytes * ACK_AT_WINDOW_FRACTION) ack();
        }
        if (frame.type === "event" && frame.seq !== undefined) {
          cursor = Math.max(cursor ?? 0, frame.seq);
          received(frame.seq, utf8.encode(text).byteLength);
          changed();
        }
        if (frame.type === "gap") {
          // Reloaded from here on: resume after the newest event, not below the gap again.
          const { latest } = frame as { latest?: number };
          if (latest !== undefined) cursor = Math.max(cursor ?? 0, latest);
          changed();
        }
      };
      socket.onclose = () => {
        clearTimeout(ackTimer);
        if (stopped) return;
        failures += 1;
        if (failures >= 3) {
          void poll();
          return;
        }
        setState("connecting");
        timer = setTimeout(connect, Math.min(10_000, 1_000 * 2 ** failures));
      };
    };
    connect();
    return () => {
      stopped = true;
      clearTimeout(timer);
      clearTimeout(pending);
      clearTimeout(ackTimer);
      socket?.close(1000, "page left");
    };
  }, [key]);

  return state;
}

const LABELS: Record<LiveState, string> = {
  connecting: "Connecting…",
  live: "Live",
  polling: "Live (polling)",
  offline: "Offline — retrying",
};

export function LiveIndicator({ state }: { state: LiveState }) {
  return (
    <span className="live" data-state={state} role="status" aria-live="polite">
      {LABELS[state]}
    </span>
  );
}
