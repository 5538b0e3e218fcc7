import { connect, createServer, type Socket } from 'node:net';
import type { Fault, FaultPlan } from './plan.js';
import { MessageReader, shapeOf, type WireDialect } from './protocol.js';

export interface FaultProxy {
  /** The database URL with its host and port replaced by the proxy's. */
  url: string;
  /** Resets every connection through the proxy at once, as a failover or a dead NAT entry would. */
  cutAll(): void;
  /** Connections opened through the proxy, and statements it saw. */
  readonly stats: { connections: number; statements: number };
  /** With `log`: the SQL of every message the clients sent, in order (one message may hold several statements). */
  readonly sent: string[];
  close(): Promise<void>;
}

export interface FaultProxyOptions {
  /** Which protocol to read; default from the URL's scheme. */
  dialect?: WireDialect;
  /** Faults to inject, statement by statement; without it the proxy only forwards (and `cutAll`s). */
  plan?: FaultPlan;
  /** Keep the SQL of every message in `sent`. */
  log?: boolean;
}

/**
 * A TCP proxy on 127.0.0.1 in front of the database of `url`. It resets new connections at the
 * plan's `connectRate`, and reads the client's messages
 * (see protocol.ts) and, as `plan` decides per statement, cuts the connection before the statement,
 * while it runs, with its reply lost or just after it, or holds the reply back. A cut resets the
 * client's socket without a word from the server (no error packet first, unlike a server-side
 * kill) and closes the server's side, which then ends the session (rolling back an open
 * transaction) as it would after a dead network path.
 */
export async function startFaultProxy(url: string, options: FaultProxyOptions = {}): Promise<FaultProxy> {
  const target = new URL(url);
  const dialect: WireDialect =
    options.dialect ?? (target.protocol.startsWith('postgres') ? 'postgres' : 'mysql');
  const defaultPort = dialect === 'mysql' ? 3306 : 5432;
  const links = new Set<Link>();
  const stats = { connections: 0, statements: 0 };
  const sent: string[] = [];
  const server = createServer((client) => {
    stats.connections++;
    if (options.plan?.decideConnect()) {
      client.on('error', () => undefined);
      client.resetAndDestroy();
      return;
    }
    const upstream = connect(Number(target.port || defaultPort), target.hostname);
    const log = options.log ? sent : undefined;
    const link = new Link(client, upstream, dialect, options.plan, stats, log, () => links.delete(link));
    links.add(link);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const proxied = new URL(url);
  proxied.hostname = '127.0.0.1';
  proxied.port = String(typeof address === 'object' && address ? address.port : 0);
  return {
    url: proxied.toString(),
    stats,
    sent,
    cutAll() {
      for (const link of [...links]) link.cut();
    },
    close() {
      for (const link of [...links]) link.cut();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** One client connection and its server connection. */
class Link {
  private readonly reader: MessageReader;
  private inTransaction = false;
  /** What to do with the server's next bytes. */
  private onReply: 'forward' | 'swallow' | 'cut-after' = 'forward';
  private holdUntil = 0;
  private held: Buffer[] = [];
  private flushTimer: NodeJS.Timeout | undefined;
  private cutTimer: NodeJS.Timeout | undefined;
  private closed = false;
  /** The client is to read what it was sent, then see the connection close (a FIN, not a reset). */
  private graceful = false;

  constructor(
    private readonly client: Socket,
    private readonly upstream: Socket,
    dialect: WireDialect,
    private readonly plan: FaultPlan | undefined,
    private readonly stats: { statements: number },
    private readonly log: string[] | undefined,
    private readonly onClose: () => void,
  ) {
    this.reader = new MessageReader(dialect);
    const end = () => this.cut();
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    client.on('data', (chunk: Buffer) => this.fromClient(chunk));
    upstream.on('data', (chunk: Buffer) => this.fromServer(chunk));
  }

  cut(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.flushTimer);
    clearTimeout(this.cutTimer);
    if (this.graceful) this.client.end();
    else if (!this.client.destroyed) this.client.resetAndDestroy();
    this.upstream.destroy();
    this.onClose();
  }

  private fromClient(chunk: Buffer): void {
    for (const message of this.reader.push(chunk)) {
      if (this.closed) return;
      const fault = message.sql === undefined ? undefined : this.statement(message.sql);
      if (fault?.action === 'drop') {
        this.cut();
        return;
      }
      this.upstream.write(message.bytes);
      if (!fault) continue;
      if (fault.action === 'stall') this.holdUntil = Date.now() + fault.delayMs;
      else if (fault.action === 'after-reply') this.onReply = 'cut-after';
      else {
        this.onReply = 'swallow';
        if (fault.action === 'mid-query') this.cutTimer = setTimeout(() => this.cut(), fault.delayMs);
      }
    }
  }

  /** Tracks the transaction and asks the plan about the statement. */
  private statement(sql: string): Fault | undefined {
    this.stats.statements++;
    this.log?.push(sql);
    const shape = shapeOf(sql);
    const fault = this.plan?.decide({ ...shape, sql, inTransaction: this.inTransaction });
    if (shape.commits || shape.rollsBack) this.inTransaction = false;
    else if (shape.begins) this.inTransaction = true;
    return fault;
  }

  private fromServer(chunk: Buffer): void {
    if (this.closed) return;
    if (this.onReply === 'swallow') {
      this.cut();
      return;
    }
    if (this.held.length > 0 || Date.now() < this.holdUntil) {
      this.held.push(chunk);
      this.flushTimer ??= setTimeout(() => this.flush(), Math.max(0, this.holdUntil - Date.now()));
      return;
    }
    if (this.onReply !== 'cut-after') {
      this.client.write(chunk);
      return;
    }
    this.graceful = true;
    this.client.end(chunk);
    this.cut();
  }

  private flush(): void {
    this.flushTimer = undefined;
    const held = this.held;
    this.held = [];
    for (const chunk of held) this.client.write(chunk);
  }
}
