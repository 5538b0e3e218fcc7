import { WindowedError } from '@windowed/core';

/**
 * The SDK's default credential chain found nothing: environment variables, the shared files of
 * AWS_PROFILE, SSO, web identity, container and instance metadata all came up empty
 * (https://docs.aws.amazon.com/sdk-for-javascript/v3/developer-guide/setting-credentials-node.html).
 * It rejects with a `CredentialsProviderError` (@smithy/property-provider).
 */
export function isMissingCredentials(error: unknown): boolean {
  return (error as Error | null)?.name === 'CredentialsProviderError';
}

/** `INVALID_CONFIG` naming the variables to set: what a person does about no credentials. */
export function missingCredentials(action: string, cause: unknown, dryRun = false): WindowedError {
  return new WindowedError(
    'INVALID_CONFIG',
    `${action} needs AWS credentials and the SDK found none: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for temporary credentials), or AWS_PROFILE to a profile of ~/.aws/config${dryRun ? ', or plan with --dry-run' : ''}.`,
    { cause },
  );
}
