import { useRevalidator } from "@remix-run/react";
import { useEffect, useRef, useState } from "react";

/**
 * One real-time connection per tab: the tenant's WebSocket, resumed
 * from the last sequence after any drop, with every event acknowledged (the
 * server cuts off clients that do not ack, decision 007). After repeated
 * failures it falls back to long-polling. Any event on a watched channel
 * revalidates the page's loaders — the data always comes from the server.
 */
type LiveState = "connecting" | "live" | "polling" | "offline";

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
          const page = (await response.json()) as { events: unknown[]; cursor: number };
          const first = cursor === undefined;
          cursor = page.cursor;
          if (!first && page.events.length > 0) changed();
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
      socket.onopen = () => {
        failures = 0;
        socket?.send(
          JSON.stringify({ type: "subscribe", channels: watched, ...(cursor !== undefined ? { cursor } : {}) }),
        );
      };
      socket.onmessage = (message) => {
        const frame = JSON.parse(String(message.data)) as { type: string; seq?: number };
        if (frame.type === "subscribed") setState("live");
        if (frame.type === "event" && frame.seq !== undefined) {
          cursor = frame.seq;
          socket?.send(JSON.stringify({ type: "ack", seq: frame.seq }));
          changed();
        }
        if (frame.type === "gap") changed();
      };
      socket.onclose = () => {
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
