import { en } from 'zod/v4/locales';

/**
 * What windowed passes to every parse, per parse rather than through `z.config`, which would change
 * the application's own zod setup:
 * - English messages: zod/mini carries no locale, and without one every message is "Invalid input";
 * - `jitless`: each schema is parsed a few times per process (a job's spec, an event, a config), and
 *   the parser zod would generate and compile for an object costs a cold start more than it saves
 *   (2.5 ms of the pv-uv function's first invocation; bench/README.md).
 */
export const zodMessages = { error: en().localeError, jitless: true };
