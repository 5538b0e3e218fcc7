import { WindowedError } from '@windowed/core';
import type { FcClientOptions } from './fc-api.js';
import type { FcPlanStep } from './plan.js';

/** The RAM calls `role: { create: true }` makes (`@alicloud/ram20150501`, RPC API 2015-05-01). */
export interface RamApi {
  /** Whether the role exists, and whether the policy exists and is attached to it. */
  discover(
    roleName: string,
    policyName: string,
  ): Promise<{ role: boolean; policy: boolean; attached: boolean }>;
  call(step: FcPlanStep): Promise<unknown>;
}

/** The name of the custom policy the deploy attaches to a role it creates. */
export const ramPolicyName = (roleName: string) => `${roleName}-policy`.slice(0, 128);

/**
 * RAM through the official `@alicloud/ram20150501` client; `endpoint` overrides `ram.aliyuncs.com`.
 * https://www.alibabacloud.com/help/en/ram/developer-reference/api-ram-2015-05-01-createrole
 */
export async function createRamApi(options: Omit<FcClientOptions, 'accountId' | 'region'>): Promise<RamApi> {
  const accessKeyId = options.accessKeyId ?? process.env.ALIBABA_CLOUD_ACCESS_KEY_ID;
  const accessKeySecret = options.accessKeySecret ?? process.env.ALIBABA_CLOUD_ACCESS_KEY_SECRET;
  if (!accessKeyId || !accessKeySecret)
    throw new WindowedError(
      'INVALID_CONFIG',
      'Creating the RAM role needs credentials: set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET.',
    );
  let sdk: typeof import('@alicloud/ram20150501');
  try {
    sdk = await import('@alicloud/ram20150501');
  } catch (cause) {
    throw new WindowedError(
      'MISSING_DEPENDENCY',
      'role: { create: true } needs @alicloud/ram20150501. Run: npm install --save-dev @alicloud/ram20150501',
      { cause },
    );
  }
  const Client = (sdk.default as unknown as { default?: typeof sdk.default }).default ?? sdk.default;
  const endpoint = options.endpoint ? new URL(options.endpoint) : undefined;
  const client = new Client({
    accessKeyId,
    accessKeySecret,
    ...(options.securityToken ? { securityToken: options.securityToken } : {}),
    endpoint: endpoint ? endpoint.host : 'ram.aliyuncs.com',
    protocol: endpoint ? endpoint.protocol.replace(':', '') : 'https',
  } as never);
  const absent = async (call: () => Promise<unknown>) => {
    try {
      await call();
      return true;
    } catch (error) {
      if (/EntityNotExist/.test(String((error as { code?: unknown })?.code ?? (error as Error)?.message)))
        return false;
      throw error;
    }
  };
  return {
    async discover(roleName, policyName) {
      const role = await absent(() => client.getRole(new sdk.GetRoleRequest({ roleName })));
      const policy = await absent(() =>
        client.getPolicy(new sdk.GetPolicyRequest({ policyName, policyType: 'Custom' })),
      );
      let attached = false;
      if (role) {
        const listed = await client.listPoliciesForRole(new sdk.ListPoliciesForRoleRequest({ roleName }));
        attached = (listed.body?.policies?.policy ?? []).some((p) => p.policyName === policyName);
      }
      return { role, policy, attached };
    },
    call(step) {
      // The plan shows RAM's parameter names (RoleName, …); the SDK's request models take them camelCased.
      const b = Object.fromEntries(
        Object.entries(step.input.body).map(([k, v]) => [k[0]!.toLowerCase() + k.slice(1), v]),
      );
      switch (step.api) {
        case 'CreateRole':
          return client.createRole(new sdk.CreateRoleRequest(b));
        case 'UpdateRole':
          return client.updateRole(new sdk.UpdateRoleRequest(b));
        case 'CreatePolicy':
          return client.createPolicy(new sdk.CreatePolicyRequest(b));
        case 'CreatePolicyVersion':
          return client.createPolicyVersion(new sdk.CreatePolicyVersionRequest(b));
        case 'AttachPolicyToRole':
          return client.attachPolicyToRole(new sdk.AttachPolicyToRoleRequest(b));
      }
      throw new WindowedError('DEPLOY_FAILED', `${step.api} is not a RAM operation.`);
    },
  };
}
