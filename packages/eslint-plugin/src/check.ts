import { statSync } from 'node:fs';
import { parse, resolve } from 'node:path';
import type { Linter } from 'eslint';
import { plugin } from './index.js';
import { DEFAULT_HANDLER_EXPORTS } from './rules/shared.js';

export type RuleName = 'no-module-scope-clock' | 'no-wall-clock-window';

/** One reported clock read: where it is (1-based line and column) and what to do instead. */
export interface Finding {
  /** Absolute path of the file. */
  file: string;
  line: number;
  column: number;
  rule: RuleName;
  message: string;
}

export interface CheckOptions {
  /** Names of the exports the platform calls. Default `['handler']`. */
  handlerExports?: string[];
}

/** A file the check could not lint (missing, a syntax error, not JavaScript): it is never silently passed. */
export class CheckError extends Error {
  override readonly name = 'CheckError';
  constructor(
    readonly code: 'NOT_FOUND' | 'PARSE_FAILED' | 'NOT_CHECKED',
    message: string,
    readonly file: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** What the check lints: JavaScript and TypeScript modules. */
export const CHECKED_EXTENSIONS = ['.js', '.mjs', '.cjs', '.jsx', '.ts', '.mts', '.cts', '.tsx'];

/**
 * Lints `files` with the plugin's recommended rules and nothing else — the user's own ESLint
 * config is not read (`overrideConfigFile: true`), and no ignore pattern applies. TypeScript and
 * JavaScript are parsed by `@typescript-eslint/parser` (without type information). Inline
 * `eslint-disable` comments for the two rules are honoured; other rules named in comments are
 * not loaded and do not matter. Throws a `CheckError` for a file it cannot lint.
 */
export async function checkEntries(files: string[], options: CheckOptions = {}): Promise<Finding[]> {
  if (files.length === 0) return [];
  const absolute = files.map((f) => resolve(f));
  for (const file of absolute)
    if (!statSync(file, { throwIfNoEntry: false })?.isFile())
      throw new CheckError('NOT_FOUND', `${file}: no such file.`, file);
  const [{ ESLint }, parser] = await Promise.all([import('eslint'), import('@typescript-eslint/parser')]);
  const eslint = new ESLint({
    // ESLint lints nothing outside its `cwd`, and warns about an `.eslintignore` found there — a
    // project's own, which this check never reads (`ignore: false`): the file system's root is neither.
    cwd: parse(absolute[0]!).root,
    overrideConfigFile: true,
    overrideConfig: checkConfig(parser, options.handlerExports ?? DEFAULT_HANDLER_EXPORTS),
    ignore: false,
    errorOnUnmatchedPattern: true,
  });
  const results = await eslint.lintFiles(absolute);
  const findings: Finding[] = [];
  for (const result of results) {
    for (const message of result.messages) {
      if (message.fatal)
        throw new CheckError(
          'PARSE_FAILED',
          `${result.filePath}:${message.line}:${message.column}: ${message.message}`,
          result.filePath,
        );
      if (message.ruleId === null)
        throw new CheckError('NOT_CHECKED', `${result.filePath}: ${message.message}`, result.filePath);
      const rule = message.ruleId.startsWith('windowed/') ? (message.ruleId.slice(9) as RuleName) : undefined;
      if (rule && rule in plugin.rules)
        findings.push({
          file: result.filePath,
          line: message.line,
          column: message.column,
          rule,
          message: message.message,
        });
    }
  }
  return findings.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column);
}

function checkConfig(parser: Linter.Parser, handlerExports: string[]): Linter.Config[] {
  const rules: Linter.RulesRecord = {
    'windowed/no-module-scope-clock': ['error', { handlerExports }],
    'windowed/no-wall-clock-window': ['error', { handlerExports }],
  };
  const base = {
    plugins: { windowed: plugin },
    // Disable comments for rules this config does not load are the user's business, not findings.
    linterOptions: { reportUnusedDisableDirectives: 'off' as const },
    rules,
  };
  return [
    {
      ...base,
      files: ['**/*.{js,mjs,jsx,ts,mts,tsx}'],
      languageOptions: { parser, sourceType: 'module', ecmaVersion: 'latest' },
    },
    {
      ...base,
      files: ['**/*.{cjs,cts}'],
      languageOptions: { parser, sourceType: 'commonjs', ecmaVersion: 'latest' },
    },
  ];
}
