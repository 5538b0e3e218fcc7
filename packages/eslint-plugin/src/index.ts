import type { ESLint, Linter, Rule } from 'eslint';
import packageJson from '../package.json';
import { noModuleScopeClock } from './rules/no-module-scope-clock.js';
import { noWallClockWindow } from './rules/no-wall-clock-window.js';

export const rules: Record<'no-module-scope-clock' | 'no-wall-clock-window', Rule.RuleModule> = {
  'no-module-scope-clock': noModuleScopeClock,
  'no-wall-clock-window': noWallClockWindow,
};

/** The plugin as ESLint 9 flat config takes it; `configs.recommended` turns on both rules as errors. */
export const plugin = {
  meta: { name: packageJson.name, version: packageJson.version, namespace: 'windowed' },
  rules,
  configs: {} as { recommended: Linter.Config },
} satisfies ESLint.Plugin;

plugin.configs.recommended = {
  name: 'windowed/recommended',
  plugins: { windowed: plugin },
  rules: {
    'windowed/no-module-scope-clock': 'error',
    'windowed/no-wall-clock-window': 'error',
  },
};

export const configs = plugin.configs;
export { noModuleScopeClock, noWallClockWindow };
export default plugin;
