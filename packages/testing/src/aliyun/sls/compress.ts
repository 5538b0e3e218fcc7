import { deflateSync } from 'node:zlib';

/**
 * A GetLogsV2 answer body compressed as the request's `Accept-Encoding` asks, with the headers SLS
 * sends with it (`x-log-compresstype`, `x-log-bodyrawsize` — the SDK decompresses only when both are
 * there). GetLogsV2's reference: "For Java, Python, and Go, only the lz4 and gzip algorithms are
 * supported for decompression. For PHP, JavaScript, and C#, only the gzip algorithm is supported";
 * the common headers also list deflate. https://www.alibabacloud.com/help/en/sls/developer-reference/api-sls-2020-12-30-getlogsv2
 *
 * The docs do not say which container "gzip" is. Both official SDKs read gzip and deflate answers
 * as a zlib stream (`zlib.inflate` in `@alicloud/gateway-sls-util`, `zlib.decompress` in
 * aliyun-log-python-sdk), so that is what this sends; lz4 is an LZ4 block, as lz4-napi reads it.
 * Anything else is answered uncompressed.
 */
export function encodeBody(
  raw: Buffer,
  acceptEncoding: string | undefined,
): { body: Buffer; headers: Record<string, string> } {
  const encoding = (acceptEncoding ?? '')
    .split(',')
    .map((e) => e.trim().toLowerCase())
    .find((e) => e === 'gzip' || e === 'deflate' || e === 'lz4');
  if (!encoding) return { body: raw, headers: {} };
  const body = encoding === 'lz4' ? lz4Block(raw) : deflateSync(raw);
  return { body, headers: { 'x-log-compresstype': encoding, 'x-log-bodyrawsize': String(raw.length) } };
}

/**
 * An LZ4 block holding the input as one run of literals: valid for any decoder (the format allows a
 * block to end in literals only), just not smaller.
 * https://github.com/lz4/lz4/blob/dev/doc/lz4_Block_format.md
 */
export function lz4Block(raw: Buffer): Buffer {
  const length = raw.length;
  const extra: number[] = [];
  if (length >= 15) {
    let rest = length - 15;
    while (rest >= 255) {
      extra.push(255);
      rest -= 255;
    }
    extra.push(rest);
  }
  return Buffer.concat([Buffer.from([Math.min(length, 15) << 4, ...extra]), raw]);
}
