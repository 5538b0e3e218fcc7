/** What a service handler answers; `status` defaults to 200. */
export interface LoopbackResponse {
  status?: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** An AWS service error; the server renders it in the service's protocol. */
export class AwsServiceError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

/** A parsed REST-JSON request (Lambda, Scheduler). */
export interface RestRequest {
  method: string;
  /** Decoded path segments. */
  segments: string[];
  query: URLSearchParams;
  body: Record<string, unknown>;
  /** The body as sent (Invoke's payload). */
  raw?: string;
  /** Lower-cased request headers. */
  headers?: Record<string, string | string[] | undefined>;
}

export function requireString(body: Record<string, unknown>, key: string): string {
  const value = body[key];
  if (typeof value !== 'string' || value === '')
    throw new AwsServiceError('ValidationException', `${key} is required.`);
  return value;
}

export function inRange(
  value: unknown,
  min: number,
  max: number,
  name: string,
  code = 'ValidationException',
): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new AwsServiceError(
      code,
      `${name} must be an integer between ${min} and ${max}; got ${JSON.stringify(value)}.`,
    );
  }
}
