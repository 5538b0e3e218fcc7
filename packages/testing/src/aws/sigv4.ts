import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';

export interface AwsLoopbackCredentials {
  accessKeyId: string;
  secretAccessKey: string;
}

export type SigV4Check =
  | { ok: true; service: string; region: string }
  | { ok: false; status: number; code: string; message: string };

const AUTHORIZATION =
  /^AWS4-HMAC-SHA256 Credential=([^/,\s]+)\/(\d{8})\/([^/,\s]+)\/([^/,\s]+)\/aws4_request,\s*SignedHeaders=([a-z0-9;._-]+),\s*Signature=([0-9a-f]{64})$/;

/**
 * Verifies an AWS Signature Version 4 request the way AWS does: recomputes the signature from the
 * request as received (method, raw path, query, the signed headers, body) with the secret key, and
 * compares. https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html
 */
export async function verifySigV4(
  req: IncomingMessage,
  body: Buffer,
  credentials: AwsLoopbackCredentials,
): Promise<SigV4Check> {
  const header = req.headers.authorization;
  if (!header) {
    return {
      ok: false,
      status: 403,
      code: 'MissingAuthenticationTokenException',
      message: 'Missing Authentication Token',
    };
  }
  const match = AUTHORIZATION.exec(header);
  if (!match) {
    return {
      ok: false,
      status: 403,
      code: 'IncompleteSignatureException',
      message: 'Authorization header is not a valid AWS4-HMAC-SHA256 signature.',
    };
  }
  const [, accessKeyId, day, region, service, signedHeaders, signature] = match as unknown as string[];
  if (accessKeyId !== credentials.accessKeyId) {
    return {
      ok: false,
      status: 403,
      code: 'UnrecognizedClientException',
      message: 'The security token included in the request is invalid.',
    };
  }
  const amzDate = String(req.headers['x-amz-date'] ?? '');
  const date = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(amzDate);
  if (!date || amzDate.slice(0, 8) !== day) {
    return {
      ok: false,
      status: 403,
      code: 'IncompleteSignatureException',
      message: 'X-Amz-Date is missing or does not match the credential scope.',
    };
  }
  const signingDate = new Date(`${date[1]}-${date[2]}-${date[3]}T${date[4]}:${date[5]}:${date[6]}Z`);
  const names = signedHeaders!.split(';');
  const headers: Record<string, string> = {};
  for (const name of names) {
    const value = req.headers[name];
    if (value === undefined) {
      return {
        ok: false,
        status: 403,
        code: 'IncompleteSignatureException',
        message: `Signed header ${name} is missing.`,
      };
    }
    headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  // The signature covers x-amz-content-sha256 rather than the body itself when the header is sent,
  // so the body must match it.
  const declared = headers['x-amz-content-sha256'];
  if (
    declared !== undefined &&
    declared !== 'UNSIGNED-PAYLOAD' &&
    declared !== createHash('sha256').update(body).digest('hex')
  ) {
    return {
      ok: false,
      status: 400,
      code: 'InvalidSignatureException',
      message: "The provided 'x-amz-content-sha256' header does not match what was computed.",
    };
  }
  const rawUrl = req.url ?? '/';
  const queryAt = rawUrl.indexOf('?');
  const query: Record<string, string | string[]> = {};
  for (const [key, value] of new URLSearchParams(queryAt >= 0 ? rawUrl.slice(queryAt + 1) : '')) {
    const prior = query[key];
    query[key] = prior === undefined ? value : Array.isArray(prior) ? [...prior, value] : [prior, value];
  }
  const signer = new SignatureV4({
    credentials,
    region: region!,
    service: service!,
    sha256: Sha256,
    uriEscapePath: true,
  });
  const host = String(req.headers.host ?? '127.0.0.1');
  const signed = await signer.sign(
    {
      method: req.method ?? 'GET',
      protocol: 'http:',
      hostname: host.replace(/:\d+$/, ''),
      path: queryAt >= 0 ? rawUrl.slice(0, queryAt) : rawUrl,
      query,
      headers,
      body: body.length ? body : undefined,
    },
    { signingDate, signingRegion: region!, signingService: service!, signableHeaders: new Set(names) },
  );
  const expected = /Signature=([0-9a-f]{64})/.exec(
    String(signed.headers.authorization ?? signed.headers.Authorization),
  )?.[1];
  if (expected !== signature) {
    return {
      ok: false,
      status: 403,
      code: 'InvalidSignatureException',
      message:
        'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.',
    };
  }
  return { ok: true, service: service!, region: region! };
}
