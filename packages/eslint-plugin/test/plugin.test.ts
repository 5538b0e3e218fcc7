import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import tsParser from '@typescript-eslint/parser';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';
import packageJson from '../package.json';
import windowed, { configs, plugin, rules } from '../src/index.js';
import { README_URL } from '../src/rules/shared.js';

const readme = readFileSync(resolve(import.meta.dirname, '../README.md'), 'utf8');
const NAIVE = 'const now = new Date();\nexport const handler = async () => now;\n';

/** ESLint with only `config` (no config file), linting TypeScript. */
function eslintWith(config: object[]): ESLint {
  return new ESLint({
    overrideConfigFile: true,
    overrideConfig: [{ files: ['**/*.ts'], languageOptions: { parser: tsParser } }, ...config],
  });
}

describe('@windowed/eslint-plugin', () => {
  it('the recommended flat config turns both rules on as errors', async () => {
    expect(windowed).toBe(plugin);
    expect(configs.recommended.rules).toEqual({
      'windowed/no-module-scope-clock': 'error',
      'windowed/no-wall-clock-window': 'error',
    });
    const [result] = await eslintWith([plugin.configs.recommended]).lintText(NAIVE, {
      filePath: 'handler.ts',
    });
    expect(result!.messages.map((m) => [m.ruleId, m.severity, m.line])).toEqual([
      ['windowed/no-module-scope-clock', 2, 1],
    ]);
  });

  it('names itself for ESLint (meta name, version, namespace)', () => {
    expect(plugin.meta).toEqual({
      name: '@windowed/eslint-plugin',
      version: packageJson.version,
      namespace: 'windowed',
    });
  });

  it.each(Object.entries(rules))('%s links to its section of the README', (name, rule) => {
    expect(rule.meta?.docs?.url).toBe(`${README_URL}#${name}`);
    expect(readme).toMatch(new RegExp(`^### ${name}$`, 'm'));
    expect(rule.meta?.type).toBe('problem');
  });

  it('rejects an unknown option key when the config is loaded', async () => {
    const eslint = eslintWith([
      {
        plugins: { windowed: plugin },
        rules: { 'windowed/no-module-scope-clock': ['error', { handlerExport: ['main'] }] },
      },
    ]);
    await expect(eslint.lintText(NAIVE, { filePath: 'handler.ts' })).rejects.toThrow(/handlerExport/);
  });
});
