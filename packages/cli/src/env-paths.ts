import { isAbsolute, resolve } from 'node:path';

const VARIABLES = ['WINDOWED_SOURCE', 'WINDOWED_SINK', 'WINDOWED_STATE'] as const;

/**
 * Makes relative paths in `WINDOWED_SOURCE` / `WINDOWED_SINK` / `WINDOWED_STATE` absolute against
 * `cwd`, where the command was typed: the CLI then moves into the config's folder (its own relative
 * paths mean that folder), and a path given on the command line means where you are, as any
 * command-line path does. Covers `ndjson:`/`csv:`/`parquet:<path>`, `sqlite:<path>` and a JSON
 * source's `path` or `url`; anything else (a server URL) is left as it is. The functions `simulate`
 * starts inherit the absolute paths.
 */
export function anchorResourceVariables(env: NodeJS.ProcessEnv, cwd: string): void {
  for (const name of VARIABLES) {
    const value = env[name];
    if (value) env[name] = anchored(value, cwd);
  }
}

function anchored(value: string, cwd: string): string {
  const text = value.trim();
  if (text.startsWith('{')) {
    let config: Record<string, unknown>;
    try {
      config = JSON.parse(text) as Record<string, unknown>;
    } catch {
      return value; // core reports the invalid JSON when it reads the variable
    }
    if (typeof config.path === 'string') config.path = anchorPath(config.path, cwd);
    if (typeof config.url === 'string') config.url = anchored(config.url, cwd);
    return JSON.stringify(config);
  }
  const file = /^(ndjson|csv|parquet):(\/\/(?=\.|\/))?/.exec(text);
  if (file) return `${file[1]}:${anchorPath(text.slice(file[0].length), cwd)}`;
  const sqlite = /^sqlite:/i.exec(text);
  if (sqlite) {
    const rest = text.slice(sqlite[0].length);
    const at = rest.indexOf('?');
    const path = at < 0 ? rest : rest.slice(0, at);
    const query = at < 0 ? '' : rest.slice(at);
    const filename = path.startsWith('//') ? path.slice(2) : path;
    if (filename === '' || filename === ':memory:') return value;
    return `sqlite:${anchorPath(filename, cwd)}${query}`;
  }
  return value;
}

function anchorPath(path: string, cwd: string): string {
  return isAbsolute(path) || /^[a-z][a-z0-9+.-]*:\/\//i.test(path) ? path : resolve(cwd, path);
}
