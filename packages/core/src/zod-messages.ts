import { en } from 'zod/v4/locales';

/**
 * zod/mini carries no locale: without one every message is "Invalid input". windowed passes the
 * English messages per parse instead of calling `z.config`, which would change the application's
 * own zod setup.
 */
export const zodMessages = { error: en().localeError };
