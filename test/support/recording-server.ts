import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface RecordedRequest {
  method: string;
  /** Path and query as the browser sent them. */
  path: string;
  headers: IncomingHttpHeaders;
  /** A WebSocket handshake (an HTTP upgrade). */
  upgrade: boolean;
}

export interface RecordingServer {
  /** e.g. http://127.0.0.1:43121, no trailing slash. */
  url: string;
  /** Every request so far, WebSocket handshakes included; empty it with `requests.length = 0`. */
  readonly requests: RecordedRequest[];
  close(): Promise<void>;
}

/** A real HTTP server on 127.0.0.1:0 that records the headers of every request, then answers through `handle`. */
export async function startRecordingServer(handle: (request: IncomingMessage, response: ServerResponse, url: string) => void): Promise<RecordingServer> {
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  let url = '';
  const server = createServer((request, response) => {
    requests.push({ method: request.method ?? '', path: request.url ?? '', headers: request.headers, upgrade: false });
    handle(request, response, url);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  // A WebSocket handshake is recorded and refused: what matters is which headers it came with.
  server.on('upgrade', (request: IncomingMessage, socket: Socket) => {
    requests.push({ method: request.method ?? '', path: request.url ?? '', headers: request.headers, upgrade: true });
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
