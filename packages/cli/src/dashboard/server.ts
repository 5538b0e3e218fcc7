import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { dirname, extname, join, normalize, sep } from 'node:path';
import type { WindowedJob } from '@windowed/core';
import { CliError, EXIT } from '../errors.js';
import { DashboardApi } from './api.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
};
const MAX_BODY = 64 * 1024;

export interface DashboardServer {
  url: string;
  close(): Promise<void>;
}

/**
 * The page's static files, as `npm run build` left them in @windowed/dashboard's dist. In a fresh
 * checkout nothing is built yet: the page is built there on first use (the package's own Vite).
 */
export function dashboardAssets(onBuild: () => void = () => {}): string {
  const require = createRequire(import.meta.url);
  const root = dirname(require.resolve('@windowed/dashboard/package.json'));
  const dir = join(root, 'dist');
  if (!existsSync(join(dir, 'index.html')) && existsSync(join(root, 'vite.config.ts'))) {
    onBuild();
    const vite = join(
      dirname(createRequire(join(root, 'package.json')).resolve('vite/package.json')),
      'bin',
      'vite.js',
    );
    const built = spawnSync(process.execPath, [vite, 'build'], { cwd: root, encoding: 'utf8' });
    if (built.status !== 0)
      throw new CliError(
        `Building the dashboard page failed: ${(built.stderr || built.stdout || String(built.error)).trim()}`,
        EXIT.failure,
        'run `npm run build` in the repository and read its output',
      );
  }
  if (!existsSync(join(dir, 'index.html')))
    throw new CliError(
      `The dashboard page is not built (${dir} has no index.html).`,
      EXIT.usage,
      'run `npm run build` in the repository (it builds packages/dashboard)',
    );
  return dir;
}

/**
 * Serves the page and its API on `host:port` (port 0: any free one). Only the loopback is meant:
 * requests naming another host are refused (a web page elsewhere cannot rebind a name to it), and a
 * re-run must be a JSON POST, which a page of another origin cannot send without a preflight that
 * this server never grants.
 */
export async function startDashboard(options: {
  job: WindowedJob;
  readOnly: boolean;
  port: number;
  host?: string;
  /** Called before the page is built on first use in a fresh checkout. */
  onBuild?: () => void;
}): Promise<DashboardServer> {
  const assets = dashboardAssets(options.onBuild);
  const api = new DashboardApi(options.job, options.readOnly);
  const host = options.host ?? '127.0.0.1';
  const server = createServer((req, res) => {
    serve(req, res, api, assets).catch((error: unknown) => {
      send(
        res,
        500,
        'application/json',
        JSON.stringify({ error: { code: 'INTERNAL', message: String(error) } }),
      );
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE'
          ? new CliError(
              `Port ${options.port} is in use.`,
              EXIT.usage,
              'choose another with --port N (0: any free port)',
            )
          : error,
      ),
    );
    server.listen(options.port, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}/`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function serve(req: IncomingMessage, res: ServerResponse, api: DashboardApi, assets: string) {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const hostname = (req.headers.host ?? '').replace(/:\d+$/, '');
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(hostname))
    return send(res, 403, 'text/plain', 'The dashboard answers on the loopback address only.');
  if (url.pathname.startsWith('/api/')) {
    let body: unknown;
    if (req.method === 'POST') {
      if (!(req.headers['content-type'] ?? '').startsWith('application/json'))
        return sendJson(res, 415, { error: { code: 'INVALID_ARGUMENT', message: 'POST a JSON body.' } });
      try {
        body = JSON.parse(await readBody(req));
      } catch {
        return sendJson(res, 400, { error: { code: 'INVALID_ARGUMENT', message: 'The body is not JSON.' } });
      }
    }
    const response = await api.handle(req.method ?? 'GET', url, body);
    return sendJson(res, response.status, response.body);
  }
  if (req.method !== 'GET') return send(res, 405, 'text/plain', 'Method not allowed.');
  const path = normalize(
    join(assets, url.pathname === '/' ? 'index.html' : decodeURIComponent(url.pathname)),
  );
  if (!path.startsWith(assets + sep) || !existsSync(path) || extname(path) === '')
    return send(res, 404, 'text/plain', 'Not found.');
  send(res, 200, TYPES[extname(path)] ?? 'application/octet-stream', readFileSync(path));
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) req.destroy(new Error('body too large'));
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function sendJson(res: ServerResponse, status: number, body: unknown) {
  send(res, status, 'application/json; charset=utf-8', JSON.stringify(body));
}

function send(res: ServerResponse, status: number, type: string, body: string | Buffer) {
  res.writeHead(status, {
    'content-type': type,
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  });
  res.end(body);
}
