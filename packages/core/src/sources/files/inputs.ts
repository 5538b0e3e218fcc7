import { WindowedError } from '../../errors.js';
import { builtin } from '../../node-builtins.js';
import { type Engine, sqlString } from './engine.js';
import { EXTENSIONS, type FileFormat } from './options.js';

const { extname, join } = builtin('node:path');
const fs = builtin('node:fs');

export interface InputFile {
  path: string;
  size: number;
  mtimeMs: number;
}

const GLOB = /[*?[{]/;

/**
 * The input files, sorted: the file itself; a folder's files with the format's extensions
 * (recursively; hidden folders and node_modules skipped); or a glob's matches (DuckDB's `glob`).
 */
export async function listInputs(
  root: string,
  format: FileFormat,
  engine: () => Promise<Engine>,
): Promise<InputFile[]> {
  if (GLOB.test(root)) {
    const rows = await (await engine()).all(`select file from glob(${sqlString(root)}) order by file`);
    const files = rows.flatMap((row) => statFile(String(row.file)));
    // No input is no answer: zeros for every window would look like a quiet day.
    if (files.length === 0)
      throw new WindowedError('SOURCE_FAILED', `${format} source: no file matches ${root}; check the path.`);
    return files;
  }
  let stat: InstanceType<typeof fs.Stats>;
  try {
    stat = fs.statSync(root);
  } catch (cause) {
    throw new WindowedError(
      'SOURCE_FAILED',
      `${format} source: ${root} does not exist or cannot be read; expected a file, a folder or a glob of ${format} files.`,
      { cause },
    );
  }
  if (stat.isFile()) return [{ path: root, size: stat.size, mtimeMs: stat.mtimeMs }];
  const extensions = new Set(EXTENSIONS[format]);
  const files: InputFile[] = [];
  const seen = new Set<string>();
  const walk = (dir: string): void => {
    const real = fs.realpathSync(dir);
    if (seen.has(real)) return;
    seen.add(real);
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name);
      const target = entry.isSymbolicLink() ? fs.statSync(full, { throwIfNoEntry: false }) : entry;
      if (target?.isDirectory() && !entry.name.startsWith('.') && entry.name !== 'node_modules') walk(full);
      else if (target?.isFile() && extensions.has(extname(entry.name).toLowerCase()))
        files.push(...statFile(full));
    }
  };
  walk(root);
  if (files.length === 0)
    throw new WindowedError(
      'SOURCE_FAILED',
      `${format} source: the folder ${root} has no ${EXTENSIONS[format].join(', ')} files; check the path.`,
    );
  return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

function statFile(path: string): InputFile[] {
  const s = fs.statSync(path, { throwIfNoEntry: false });
  return s?.isFile() ? [{ path, size: s.size, mtimeMs: s.mtimeMs }] : [];
}
