import { createHash, createHmac } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { LoopbackCredentials } from './sls-server.js';

/** What a V3-signed request is refused with: `{ status, code, message }`. */
export interface Acs3Refusal {
  status: number;
  code: string;
  message: string;
}

const AUTHORIZATION = /^ACS3-HMAC-SHA256 Credential=([^,]+),SignedHeaders=([^,]+),Signature=([0-9a-f]{64})$/;

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** RFC 3986 encoding, as the canonical query uses it. */
function encode(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/**
 * Verifies Alibaba Cloud's V3 signature (ACS3-HMAC-SHA256), which the `@alicloud/openapi-core`
 * based SDKs (FC 3.0, RAM) send, as documented: canonical request = method, path, sorted RFC 3986
 * query, the signed headers (`host`, `content-type`, `x-acs-*`) as `name:value`, their names, and
 * the hex SHA-256 of the body (also sent as `x-acs-content-sha256`); string to sign =
 * `ACS3-HMAC-SHA256\n` + hex SHA-256 of it; signature = hex HMAC-SHA256 with the secret.
 * https://help.aliyun.com/zh/sdk/product-overview/v3-request-structure-and-signature
 * Returns the accepted credential's AccessKey id, or why the request is refused.
 */
export function verifyAcs3(
  req: IncomingMessage,
  url: URL,
  body: Buffer,
  credentials: LoopbackCredentials[],
): { accessKeyId: string } | { refused: Acs3Refusal } {
  const m = AUTHORIZATION.exec(header(req, 'authorization') ?? '');
  if (!m)
    return {
      refused: {
        status: 403,
        code: 'InvalidAccessKeyId.NotFound',
        message: 'missing or malformed ACS3-HMAC-SHA256 Authorization',
      },
    };
  const credential = credentials.find((c) => c.accessKeyId === m[1]);
  if (!credential)
    return {
      refused: {
        status: 403,
        code: 'InvalidAccessKeyId.NotFound',
        message: `Specified access key is not found: ${m[1]}`,
      },
    };
  if (
    credential.securityToken !== undefined &&
    header(req, 'x-acs-security-token') !== credential.securityToken
  )
    return {
      refused: {
        status: 403,
        code: 'InvalidSecurityToken.Mismatch',
        message: 'the security token is missing or does not match',
      },
    };
  const hashed = createHash('sha256').update(body).digest('hex');
  if (header(req, 'x-acs-content-sha256') !== hashed)
    return {
      refused: {
        status: 400,
        code: 'InvalidParameter',
        message: 'x-acs-content-sha256 does not match the body',
      },
    };
  const signed = m[2]!.split(';');
  const canonicalHeaders = signed.map((k) => `${k}:${(header(req, k) ?? '').trim()}\n`).join('');
  const query = [...url.searchParams.keys()]
    .sort()
    .map((k) => `${k}=${encode(url.searchParams.get(k) ?? '')}`)
    .join('&');
  const canonical = `${req.method}\n${url.pathname}\n${query}\n${canonicalHeaders}\n${signed.join(';')}\n${hashed}`;
  const stringToSign = `ACS3-HMAC-SHA256\n${createHash('sha256').update(canonical).digest('hex')}`;
  const expected = createHmac('sha256', credential.accessKeySecret).update(stringToSign).digest('hex');
  if (expected !== m[3])
    return {
      refused: {
        status: 403,
        code: 'SignatureDoesNotMatch',
        message: 'The request signature does not conform to Aliyun standards.',
      },
    };
  return { accessKeyId: credential.accessKeyId };
}
