/** An AccessKey pair, or an STS token (what FC hands a function whose service has a RAM role). */
export interface AliyunCredentials {
  accessKeyId: string;
  accessKeySecret: string;
  securityToken?: string;
}

let functionCredentials: AliyunCredentials | undefined;

/**
 * Records the STS credentials FC passes in `context.credentials` (the service role's token).
 * `fcHandler` / `fcAsyncHandler` call this at the start of every invocation — FC rotates the token,
 * so the latest invocation's copy always wins. Call it yourself when you write your own handler
 * and want the SLS source to use the function's role; call it with `undefined` to forget them.
 *
 * Precedence for an SLS source: its own `accessKeyId`/`accessKeySecret` options, then these,
 * then `ALIBABA_CLOUD_ACCESS_KEY_ID` / `ALIBABA_CLOUD_ACCESS_KEY_SECRET` /
 * `ALIBABA_CLOUD_SECURITY_TOKEN`.
 */
export function setFcCredentials(credentials: AliyunCredentials | undefined): void {
  functionCredentials = isComplete(credentials) ? { ...credentials } : undefined;
}

/** The credentials `setFcCredentials` recorded, if any. */
export function getFcCredentials(): AliyunCredentials | undefined {
  return functionCredentials;
}

export function credentialsFromEnv(env: NodeJS.ProcessEnv = process.env): AliyunCredentials | undefined {
  const accessKeyId = env.ALIBABA_CLOUD_ACCESS_KEY_ID;
  const accessKeySecret = env.ALIBABA_CLOUD_ACCESS_KEY_SECRET;
  if (!accessKeyId || !accessKeySecret) return undefined;
  const securityToken = env.ALIBABA_CLOUD_SECURITY_TOKEN;
  return { accessKeyId, accessKeySecret, ...(securityToken ? { securityToken } : {}) };
}

function isComplete(credentials: AliyunCredentials | undefined): credentials is AliyunCredentials {
  return Boolean(credentials?.accessKeyId && credentials.accessKeySecret);
}
