import { createServer, type RequestListener, type Server } from 'node:http';

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
