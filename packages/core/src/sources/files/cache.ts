import { WindowedError } from '../../errors.js';
import { builtin } from '../../node-builtins.js';
import { sleep } from '../../time/sleep.js';
import type { MalformedReason } from '../malformed.js';

const { createHash, randomBytes } = builtin('node:crypto');
const { join } = builtin('node:path');
const fs = builtin('node:fs');

/** One immutable Parquet file of ingested rows. */
export interface Segment {
  name: string;
  /** Rows with a usable time. */
  good: number;
  /** Malformed lines whose time could still be read: counted in that time's window. */
  placed: number;
  minTs: number | null;
  maxTs: number | null;
  /** The file's unfinished last line: replaced when the file is read again from `ingestedBytes`. */
  tail?: boolean;
}

/** What the cache knows of one input file. */
export interface FileEntry {
  size: number;
  mtimeMs: number;
  /** Hashes of the first and last 4 KiB before `ingestedBytes`: unchanged means the file only grew. */
  headHash: string;
  endHash: string;
  /** Where the complete lines read end: the next pass reads from here (the tail again, and what follows). */
  ingestedBytes: number;
  /** Field columns in this file's segments: the fields queries asked for. */
  fields: string[];
  /** CSV: the header's column names, for reading an appended part (which has no header). */
  header?: string[];
  /** CSV: the delimiter the file was read with. */
  delimiter?: string;
  segments: Segment[];
  /** Malformed lines without a readable time, by reason: they belong to no window. */
  unplaced: Partial<Record<MalformedReason, number>>;
  /** The part of `unplaced` in the tail segment. */
  tailUnplaced?: Partial<Record<MalformedReason, number>>;
  /** Fields whose values read as times, when no line had a usable time (for the error's hint). */
  timeCandidates?: string[];
}

export interface Manifest {
  version: typeof MANIFEST_VERSION;
  files: Record<string, FileEntry>;
  /** Segments no longer listed, deleted once no process can still be reading them. */
  garbage: { name: string; at: number }[];
}

const MANIFEST_VERSION = 2;
const MANIFEST = 'manifest.json';
const LOCK = 'ingest.lock';
/** A replaced segment stays this long for processes that read the previous manifest. */
const GARBAGE_AFTER_MS = 10 * 60_000;
/** A lock whose process is gone, or held this long, is taken over. */
const STALE_LOCK_MS = 30 * 60_000;
const LOCK_POLL_MS = 50;

/**
 * A cache folder: Parquet segments written once (to a temporary name, then renamed into place) and a
 * small manifest replaced atomically. Readers read the manifest and segments without any lock;
 * ingesting takes a lock file, so two processes never ingest the same file at once.
 */
export class CacheDir {
  constructor(readonly dir: string) {}

  read(): Manifest {
    let text: string;
    try {
      text = fs.readFileSync(join(this.dir, MANIFEST), 'utf8');
    } catch {
      return empty();
    }
    try {
      const manifest = JSON.parse(text) as Manifest;
      // A cache is disposable: one from another version (or damaged) is rebuilt from the logs.
      return manifest.version === MANIFEST_VERSION && manifest.files ? manifest : empty();
    } catch {
      return empty();
    }
  }

  write(manifest: Manifest): void {
    const now = Date.now();
    const keep: Manifest['garbage'] = [];
    for (const item of manifest.garbage) {
      if (now - item.at >= GARBAGE_AFTER_MS) fs.rmSync(this.path(item.name), { force: true });
      else keep.push(item);
    }
    manifest.garbage = keep;
    const temporary = this.temporary('manifest.json');
    fs.writeFileSync(temporary, JSON.stringify(manifest));
    fs.renameSync(temporary, join(this.dir, MANIFEST));
  }

  path(name: string): string {
    return join(this.dir, name);
  }

  /** A fresh name in the cache folder for a file being written (renamed into place when complete). */
  temporary(suffix: string): string {
    return join(this.dir, `.tmp-${process.pid}-${randomBytes(6).toString('hex')}-${suffix}`);
  }

  /**
   * A spill folder of this process's own for DuckDB (it names its temporary files alike in every
   * process); those of processes that are gone are removed first.
   */
  spillDirectory(): string {
    fs.mkdirSync(this.dir, { recursive: true });
    for (const name of fs.readdirSync(this.dir)) {
      const owner = SPILL.exec(name);
      if (owner && !alive(Number(owner[1])))
        fs.rmSync(join(this.dir, name), { recursive: true, force: true });
    }
    return join(this.dir, `.spill-${process.pid}-${randomBytes(4).toString('hex')}`);
  }

  /** A fresh segment name. */
  segmentName(): string {
    return `seg-${Date.now().toString(36)}-${randomBytes(6).toString('hex')}.parquet`;
  }

  /** Runs `fn` holding the cache's ingest lock; waits for another process's ingest to finish. */
  async locked<T>(fn: () => Promise<T>, signal: AbortSignal, deadline: number | undefined): Promise<T> {
    fs.mkdirSync(this.dir, { recursive: true });
    const lock = join(this.dir, LOCK);
    for (;;) {
      try {
        fs.writeFileSync(lock, JSON.stringify({ pid: process.pid, at: Date.now() }), { flag: 'wx' });
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      if (isStale(lock)) {
        fs.rmSync(lock, { force: true });
        continue;
      }
      if (signal.aborted)
        throw new WindowedError(
          'ABORTED',
          'file source: stopped while waiting for another process to ingest.',
        );
      if (deadline !== undefined && Date.now() >= deadline)
        throw new WindowedError(
          'DEADLINE_EXCEEDED',
          `file source: another process was still ingesting into ${this.dir} at the deadline.`,
        );
      await sleep(LOCK_POLL_MS);
    }
    try {
      return await fn();
    } finally {
      fs.rmSync(lock, { force: true });
    }
  }
}

function empty(): Manifest {
  return { version: MANIFEST_VERSION, files: {}, garbage: [] };
}

const SPILL = /^\.spill-(\d+)-[0-9a-f]+$/;

function alive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

function isStale(lock: string): boolean {
  try {
    const { pid, at } = JSON.parse(fs.readFileSync(lock, 'utf8')) as { pid: number; at: number };
    if (Date.now() - at > STALE_LOCK_MS) return true;
    return !alive(pid);
  } catch {
    // Being written by its owner this instant, or already gone: look again shortly.
    return false;
  }
}

const HASH_BYTES = 4096;

/** Hashes of the bytes at the start of the file and just before `upTo`. */
export function boundaryHashes(path: string, upTo: number): { headHash: string; endHash: string } {
  return {
    headHash: hashRange(path, 0, Math.min(HASH_BYTES, upTo)),
    endHash: hashRange(path, Math.max(0, upTo - HASH_BYTES), upTo),
  };
}

function hashRange(path: string, from: number, to: number): string {
  const buffer = Buffer.alloc(to - from);
  if (buffer.length > 0) {
    const fd = fs.openSync(path, 'r');
    try {
      let read = 0;
      while (read < buffer.length) {
        const n = fs.readSync(fd, buffer, read, buffer.length - read, from + read);
        if (n === 0) return 'short';
        read += n;
      }
    } finally {
      fs.closeSync(fd);
    }
  }
  return createHash('sha1').update(buffer).digest('hex');
}

/** The cache folder of one source: its input path and everything that changes what is ingested. */
export function sourceCacheDir(cacheDir: string, identity: Record<string, unknown>): string {
  const hash = createHash('sha256').update(JSON.stringify(identity)).digest('hex').slice(0, 20);
  return join(cacheDir, `${String(identity.format)}-${hash}`);
}
