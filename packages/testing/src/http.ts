import {
  createServer,
  type IncomingMessage,
  type RequestListener,
  type Server,
  type ServerResponse,
} from 'node:http';

/**
 * An HTTP server for the loopback clouds. SDK clients keep connections alive; Node's default
 * 5 s keep-alive timeout lets the server close a socket just as a client reuses it (ECONNRESET
 * under load), which no real cloud endpoint does within a test's lifetime.
 */
export function createLoopbackServer(listener: RequestListener): Server {
  const server = createServer(listener);
  server.keepAliveTimeout = 120_000;
  server.headersTimeout = 121_000;
  return server;
}

/** A request handler called once the request's whole body has arrived. */
export type BodyListener = (req: IncomingMessage, res: ServerResponse, body: Buffer) => void;

/** {@link createLoopbackServer} for a handler that reads the request body first. */
export function createBodyServer(listener: BodyListener): Server {
  return createLoopbackServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => listener(req, res, Buffer.concat(chunks)));
  });
}

/** An RPC-style request's parameters: the query string's, then the form body's (which win). */
export function queryAndFormParams(url: URL, body: Buffer): URLSearchParams {
  const params = new URLSearchParams(url.search);
  for (const [k, v] of new URLSearchParams(body.toString('utf8'))) params.set(k, v);
  return params;
}
