import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ExportResult, WindowedJob } from '@windowed/core';
import { unzipSync } from 'fflate';
import { stringify } from 'yaml';
import type { FcCodePackage } from './bundle.js';
import type { ResolvedFcDeployOptions } from './options.js';
import { planFcDeployment } from './plan.js';

/**
 * A Serverless Devs `s.yaml` for the `fc3` component (FC 3.0: a function without a service) with
 * exactly what the FC 3.0 plan creates: the function, its timer trigger (cron with `CRON_TZ`), and
 * `asyncInvokeConfig` with the `onFailure` destination. Every value comes from the plan's requests.
 * The fc3 component's YAML mirrors the FC 3.0 API's fields (CreateFunctionInput, CreateTriggerInput
 * with `triggerConfig` as an object the component serializes, PutAsyncInvokeConfigInput):
 * https://www.alibabacloud.com/help/en/functioncompute/fc-3-0/developer-reference/api-fc-2023-03-30-createfunction
 */
export function serverlessDevsYaml(
  job: Pick<WindowedJob, 'name' | 'windowSpec'>,
  options: ResolvedFcDeployOptions,
): Record<string, unknown> {
  const plan = planFcDeployment(job, { ...options, fcVersion: 3 }, {});
  const body = (api: string) =>
    (plan.steps.find((s) => s.api === api)?.input.body ?? {}) as Record<string, unknown>;
  const { code: _code, ...fn } = body('CreateFunction');
  const trigger = body('CreateTrigger');
  const asyncConfig = body('PutAsyncInvokeConfig');
  return {
    edition: '3.0.0',
    name: `windowed-${job.name.replaceAll('_', '-')}`,
    access: 'default',
    resources: {
      [options.functionName.replaceAll('_', '-')]: {
        component: 'fc3',
        props: {
          region: options.region,
          ...fn,
          code: './code',
          triggers: [
            {
              triggerName: trigger.triggerName,
              triggerType: trigger.triggerType,
              qualifier: options.qualifier,
              triggerConfig: JSON.parse(String(trigger.triggerConfig)),
            },
          ],
          asyncInvokeConfig: { ...asyncConfig, qualifier: options.qualifier },
        },
      },
    },
  };
}

/** Writes s.yaml and the code (code/index.js, what `windowed deploy` uploads) to `outDir`. */
export function exportServerlessDevs(
  job: Pick<WindowedJob, 'name' | 'windowSpec'>,
  options: ResolvedFcDeployOptions,
  code: FcCodePackage,
  outDir: string,
): ExportResult {
  const dir = resolve(outDir);
  mkdirSync(join(dir, 'code'), { recursive: true });
  const text = `# windowed job ${job.name}, exported by \`windowed export --target aliyun --format s\`\n${stringify(serverlessDevsYaml(job, options))}`;
  writeFileSync(join(dir, 's.yaml'), text);
  const files: ExportResult['files'] = [{ path: 's.yaml', bytes: Buffer.byteLength(text) }];
  for (const [name, bytes] of Object.entries(unzipSync(code.zip))) {
    writeFileSync(join(dir, 'code', name), bytes);
    files.push({ path: `code/${name}`, bytes: bytes.byteLength });
  }
  return {
    target: 'aliyun',
    format: 's',
    files,
    notes: [
      'Deploy with Serverless Devs: `s deploy` in that folder. The fc3 component deploys FC 3.0, whose handler is `fcAsyncHandler(job)`.',
      ...(options.fcVersion === 2
        ? [
            'The target deploys FC 2.0 (fcVersion 2); the export is for FC 3.0: export an fcAsyncHandler entry.',
          ]
        : []),
    ],
  };
}
