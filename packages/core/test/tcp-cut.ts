import { connect, createServer, type Socket } from 'node:net';

export interface CutProxy {
  /** The database URL with its host and port replaced by the proxy's. */
  url: string;
  /** Resets every connection through the proxy at once, as a failover or a dead NAT entry would. */
  cut(): void;
  close(): Promise<void>;
}

/**
 * A TCP proxy on 127.0.0.1 in front of the database of `url`: the client sees its connection reset
 * without a word from the server (no error packet first, unlike a server-side kill).
 */
export async function startCutProxy(url: string): Promise<CutProxy> {
  const target = new URL(url);
  const pairs = new Set<[Socket, Socket]>();
  const server = createServer((client) => {
    const upstream = connect(Number(target.port), target.hostname);
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const proxied = new URL(url);
  proxied.hostname = '127.0.0.1';
  proxied.port = String(typeof address === 'object' && address ? address.port : 0);
  return {
    url: proxied.toString(),
    cut() {
      for (const [client, upstream] of pairs) {
        client.resetAndDestroy();
        upstream.destroy();
      }
      pairs.clear();
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
