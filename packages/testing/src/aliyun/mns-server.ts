import { createHash, createHmac, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createBodyServer } from '../http.js';
import type { LoopbackCredentials } from './sls-server.js';

export interface MnsServerOptions {
  credentials?: LoopbackCredentials[];
  /** How long a received, undeleted message stays invisible. Default 30 s (MNS's default). */
  visibilityTimeoutMs?: number;
}

export interface MnsLoopbackServer {
  /** Give this as `endpoint` to `@alicloud/mns`. */
  endpoint: string;
  credentials: LoopbackCredentials[];
  /** Puts a message in a queue (its body as FC's destination would send it). */
  sendMessage(queue: string, body: string): string;
  /** Messages still in the queue (visible or not). */
  depth(queue: string): number;
  close(): Promise<void>;
}

interface StoredMessage {
  id: string;
  body: string;
  enqueued: number;
  visibleAt: number;
  receiptHandle?: string;
  dequeueCount: number;
}

/**
 * A loopback MNS queue service for `@alicloud/mns`: ReceiveMessage, DeleteMessage, with the
 * `MNS` HMAC-SHA1 signature checked and visibility timeouts honoured (an undeleted message
 * comes back), answering in MNS's XML.
 */
export async function startMnsServer(options: MnsServerOptions = {}): Promise<MnsLoopbackServer> {
  const credentials = options.credentials ?? [{ accessKeyId: 'LTAI-mns', accessKeySecret: 'mns-secret' }];
  const visibilityMs = options.visibilityTimeoutMs ?? 30_000;
  const queues = new Map<string, StoredMessage[]>();

  const server = createBodyServer((req, res, body) => {
    try {
      handle(req, res, body);
    } catch (error) {
      sendError(res, 500, 'InternalError', String((error as Error).message));
    }
  });

  function handle(req: IncomingMessage, res: ServerResponse, body: Buffer) {
    const resource = req.url ?? '/';
    const auth = verify(req, resource, body, credentials);
    if (auth) return sendError(res, 403, auth.code, auth.message);
    const url = new URL(resource, 'http://x');
    const m = /^\/queues\/([^/]+)\/messages$/.exec(url.pathname);
    if (!m)
      return sendError(res, 404, 'ResourceNotFound', `${req.method} ${url.pathname} is not served here`);
    const queue = queues.get(m[1]!);
    if (!queue) return sendError(res, 404, 'QueueNotExist', `The queue name you provided is not exist.`);
    const now = Date.now();
    if (req.method === 'GET') {
      const message = queue.find((msg) => msg.visibleAt <= now);
      if (!message) return sendError(res, 404, 'MessageNotExist', 'Message not exist.');
      message.receiptHandle = `${message.id}-${randomUUID()}`;
      message.visibleAt = now + visibilityMs;
      message.dequeueCount++;
      const md5 = createHash('md5').update(message.body).digest('hex').toUpperCase();
      return sendXml(
        res,
        200,
        `<Message xmlns="http://mns.aliyuncs.com/doc/v1/"><MessageId>${message.id}</MessageId><ReceiptHandle>${message.receiptHandle}</ReceiptHandle>` +
          `<MessageBodyMD5>${md5}</MessageBodyMD5><MessageBody>${escapeXml(message.body)}</MessageBody><EnqueueTime>${message.enqueued}</EnqueueTime>` +
          `<NextVisibleTime>${message.visibleAt}</NextVisibleTime><FirstDequeueTime>${now}</FirstDequeueTime><DequeueCount>${message.dequeueCount}</DequeueCount><Priority>8</Priority></Message>`,
      );
    }
    if (req.method === 'DELETE') {
      const handleParam = url.searchParams.get('ReceiptHandle');
      const index = queue.findIndex((msg) => msg.receiptHandle === handleParam && msg.visibleAt > now);
      if (index < 0)
        return sendError(res, 404, 'ReceiptHandleError', 'The receipt handle you provide is not valid.');
      queue.splice(index, 1);
      res.writeHead(204, { 'x-mns-request-id': randomUUID() });
      return void res.end();
    }
    sendError(res, 405, 'MethodNotAllowed', `${req.method} is not served here`);
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    credentials,
    sendMessage(queue, body) {
      const list = queues.get(queue) ?? [];
      const id = randomUUID().replaceAll('-', '').toUpperCase();
      list.push({ id, body, enqueued: Date.now(), visibleAt: 0, dequeueCount: 0 });
      queues.set(queue, list);
      return id;
    },
    depth: (queue) => queues.get(queue)?.length ?? 0,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** `MNS ak:base64(HMAC-SHA1(secret, VERB\nCONTENT-MD5\nCONTENT-TYPE\nDATE\n{x-mns-* sorted}{resource}))`. */
function verify(
  req: IncomingMessage,
  resource: string,
  body: Buffer,
  credentials: LoopbackCredentials[],
): { code: string; message: string } | undefined {
  const m = /^MNS ([^:]+):(.+)$/.exec(header(req, 'authorization') ?? '');
  if (!m) return { code: 'AccessDenied', message: 'missing or malformed Authorization header' };
  const credential = credentials.find((c) => c.accessKeyId === m[1]);
  if (!credential) return { code: 'InvalidAccessKeyId', message: 'The access Id you provided is not exist.' };
  if (credential.securityToken !== undefined && header(req, 'security-token') !== credential.securityToken) {
    return { code: 'InvalidSecurityToken', message: 'security token mismatch' };
  }
  const md5 = header(req, 'content-md5') ?? '';
  if (
    body.length > 0 &&
    md5 !== Buffer.from(createHash('md5').update(body).digest('hex')).toString('base64')
  ) {
    return { code: 'InvalidDigest', message: 'content-md5 mismatch' };
  }
  const mnsHeaders = Object.keys(req.headers)
    .filter((k) => k.startsWith('x-mns-'))
    .sort()
    .map((k) => `${k}:${header(req, k)}\n`)
    .join('');
  const toSign = `${req.method}\n${md5}\n${header(req, 'content-type') ?? ''}\n${header(req, 'date') ?? ''}\n${mnsHeaders}${resource}`;
  const expected = createHmac('sha1', credential.accessKeySecret).update(toSign, 'utf8').digest('base64');
  return expected === m[2]
    ? undefined
    : {
        code: 'SignatureDoesNotMatch',
        message: 'The request signature we calculated does not match the signature you provided.',
      };
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function sendXml(res: ServerResponse, status: number, xml: string): void {
  const text = `<?xml version="1.0" encoding="UTF-8"?>\n${xml}`;
  res.writeHead(status, {
    'content-type': 'text/xml;charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'x-mns-request-id': randomUUID(),
  });
  res.end(text);
}

function sendError(res: ServerResponse, status: number, code: string, message: string): void {
  sendXml(
    res,
    status,
    `<Error xmlns="http://mns.aliyuncs.com/doc/v1/"><Code>${code}</Code><Message>${escapeXml(message)}</Message><RequestId>${randomUUID()}</RequestId><HostId>http://127.0.0.1</HostId></Error>`,
  );
}
