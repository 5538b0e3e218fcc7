/** Calls to the CLI's /api; the shapes are in contract.ts. */

export class ApiError extends Error {}

export async function get<T>(path: string, params: Record<string, string> = {}): Promise<T> {
  const query = new URLSearchParams(params).toString();
  return answer<T>(await fetch(`./api/${path}${query ? `?${query}` : ''}`));
}

export async function post<T>(path: string, body: unknown): Promise<T> {
  return answer<T>(
    await fetch(`./api/${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    }),
  );
}

async function answer<T>(res: Response): Promise<T> {
  const body = (await res.json()) as T & { error?: { code: string; message: string } };
  if (!res.ok) throw new ApiError(body.error?.message ?? `HTTP ${res.status}`);
  return body;
}
