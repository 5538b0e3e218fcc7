import dns from 'node:dns';

type LookupCallback = (
  error: NodeJS.ErrnoException | null,
  address: string | dns.LookupAddress[],
  family?: number,
) => void;

const suffixes = new Map<string, number>();
let original: typeof dns.lookup | undefined;

/**
 * Test-only: makes every host name ending in `suffix` (e.g. `.sls.test`) resolve to 127.0.0.1.
 * The SLS SDKs address a project as the virtual host `{project}.{endpoint}` and have no proxy
 * support, and `*.localhost` does not resolve everywhere; this patches `dns.lookup` in this
 * process only (no /etc/hosts edit). Returns the function that removes the mapping again.
 */
export function installLoopbackDns(suffix: string): () => void {
  const key = suffix.startsWith('.') ? suffix.toLowerCase() : `.${suffix.toLowerCase()}`;
  suffixes.set(key, (suffixes.get(key) ?? 0) + 1);
  if (!original) {
    original = dns.lookup;
    const fallback = original;
    const patched = (hostname: string, options: unknown, callback?: LookupCallback) => {
      const cb = (typeof options === 'function' ? options : callback) as LookupCallback;
      const opts = (typeof options === 'object' && options !== null ? options : {}) as dns.LookupOptions;
      const host = hostname.toLowerCase();
      if ([...suffixes.keys()].some((s) => host.endsWith(s) || `.${host}` === s)) {
        if (opts.all) process.nextTick(cb, null, [{ address: '127.0.0.1', family: 4 }]);
        else process.nextTick(cb, null, '127.0.0.1', 4);
        return;
      }
      // biome-ignore lint/suspicious/noExplicitAny: forwarding the original overloads unchanged
      (fallback as any).call(dns, hostname, options, callback);
    };
    dns.lookup = patched as typeof dns.lookup;
  }
  let removed = false;
  return () => {
    if (removed) return;
    removed = true;
    const count = (suffixes.get(key) ?? 1) - 1;
    if (count > 0) suffixes.set(key, count);
    else suffixes.delete(key);
    if (suffixes.size === 0 && original) {
      dns.lookup = original;
      original = undefined;
    }
  };
}
