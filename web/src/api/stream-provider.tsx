import { useQueryClient } from "@tanstack/react-query";
import { useEffect, type ReactNode } from "react";
import { getSession, useSession } from "./session";
import {
  CacheApplier,
  reloadFed,
  StreamClient,
  streamEndpoint,
  type ParseMessage,
  type SocketFactory,
  type SocketLike,
} from "./stream";
import { resetStreamState, setStreamState } from "./stream-state";

/** The browser's WebSocket, or none (the dashboard then polls, as before the stream). */
const browserSocket: SocketFactory | undefined =
  typeof WebSocket === "undefined"
    ? undefined
    : (url, protocols) => new WebSocket(url, protocols) as unknown as SocketLike;

/**
 * The schema's parser, loaded as a chunk of its own: zod and core stay out of the main bundle
 * (as the trading forms' chunk brings them), and the stream starts once it has loaded.
 */
async function loadParser(): Promise<ParseMessage> {
  const { StreamMessageSchema } = await import("@tickflow/gateway/stream-schema");
  return (raw) => {
    const parsed = StreamMessageSchema.safeParse(raw);
    return parsed.success ? parsed.data : null;
  };
}

export interface StreamProviderProps {
  children: ReactNode;
  /** A test's fake WebSocket; by default the browser's. */
  socket?: SocketFactory;
  parse?: ParseMessage;
}

/**
 * Connects the page to the live stream for as long as it is mounted, and applies every message
 * to the QueryClient above it (useLiveStream). Reconnects when the session's token changes.
 */
export function StreamProvider({ children, socket, parse }: StreamProviderProps) {
  useLiveStream(socket, parse);
  return children;
}

/** The stream, connected while the calling component is mounted (see StreamProvider). */
export function useLiveStream(socket: SocketFactory | undefined = browserSocket, parse?: ParseMessage): void {
  const client = useQueryClient();
  const token = useSession().session?.token;
  useEffect(() => {
    if (!socket) {
      setStreamState({ status: "polling", attempts: 0, detail: "this browser has no WebSocket" });
      return;
    }
    let stream: StreamClient | undefined;
    let cancelled = false;
    const applier = new CacheApplier(client);
    const unwatch = applier.watch();
    void (parse ? Promise.resolve(parse) : loadParser()).then(
      (parser) => {
        if (cancelled) return;
        stream = new StreamClient({
          endpoint: streamEndpoint(),
          socket,
          parse: parser,
          token: () => getSession()?.token,
          onEvent: (event) => applier.receive(event),
          onReload: () => reloadFed(client),
          onDrop: () => reloadFed(client),
        });
        stream.start();
      },
      (error: Error) => setStreamState({ status: "polling", attempts: 0, detail: `no stream: ${error.message}` }),
    );
    return () => {
      cancelled = true;
      stream?.stop();
      unwatch();
      resetStreamState();
    };
    // a new token (login, logout) is a new connection: the stream checks it once, at the upgrade
  }, [client, socket, parse, token]);
}
