import { createHash, createHmac } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** A key pair the loopback accepts (an STS one carries its token). */
export interface LoopbackCredentials {
  accessKeyId: string;
  accessKeySecret: string;
  securityToken?: string;
}

export function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/**
 * SLS signature v1: `LOG {ak}:base64(HMAC-SHA256(secret, METHOD\nCONTENT-MD5\nCONTENT-TYPE\nDATE\n
 * {x-log-*, x-acs-* headers sorted, "k:v\n"}{path}[?sorted query]))`, content-md5 the upper-case
 * hex MD5 of the body. https://help.aliyun.com/document_detail/29012.html
 */
export function verifySignature(
  req: IncomingMessage,
  url: URL,
  body: Buffer,
  credentials: LoopbackCredentials[],
): { accessKeyId?: string; error?: { code: string; message: string } } {
  const authorization = header(req, 'authorization') ?? '';
  const m = /^LOG ([^:]+):(.+)$/.exec(authorization);
  if (!m)
    return {
      error: {
        code: 'Unauthorized',
        message: 'missing or malformed Authorization header (expected LOG <ak>:<signature>)',
      },
    };
  const accessKeyId = m[1]!;
  const credential = credentials.find((c) => c.accessKeyId === accessKeyId);
  if (!credential)
    return {
      accessKeyId,
      error: { code: 'Unauthorized', message: `AccessKeyId ${accessKeyId} is not known` },
    };
  if (
    credential.securityToken !== undefined &&
    header(req, 'x-acs-security-token') !== credential.securityToken
  ) {
    return {
      accessKeyId,
      error: { code: 'SecurityTokenExpired', message: 'the security token is missing or does not match' },
    };
  }
  const md5 = header(req, 'content-md5') ?? '';
  if (body.length > 0 && md5 !== createHash('md5').update(body).digest('hex').toUpperCase()) {
    return {
      accessKeyId,
      error: { code: 'InvalidContentMD5', message: 'content-md5 does not match the body' },
    };
  }
  const signed = Object.keys(req.headers)
    .filter((k) => k.includes('x-log-') || k.includes('x-acs-'))
    .sort()
    .map((k) => `${k}:${header(req, k)}\n`)
    .join('');
  const params = [...url.searchParams.keys()].sort();
  const resource =
    url.pathname + params.map((k, i) => `${i === 0 ? '?' : '&'}${k}=${url.searchParams.get(k)}`).join('');
  const stringToSign = `${req.method}\n${md5}\n${header(req, 'content-type') ?? ''}\n${header(req, 'date') ?? ''}\n${signed}${resource}`;
  const expected = createHmac('sha256', credential.accessKeySecret).update(stringToSign).digest('base64');
  if (expected !== m[2])
    return { accessKeyId, error: { code: 'SignatureNotMatch', message: 'signature mismatch' } };
  return { accessKeyId };
}
