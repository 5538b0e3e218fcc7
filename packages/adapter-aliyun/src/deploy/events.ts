import type { PlatformEvents } from '@windowed/core';

export interface AliyunEventOptions {
  triggerName?: string;
  /** The text configured on the timer (`payload`). */
  payload?: string;
}

/**
 * The timer trigger's event: `{ triggerTime, triggerName, payload }`, `triggerTime` ISO-8601 UTC
 * with second precision, handed to a Node.js event handler as a Buffer (FC 2.0 and 3.0 alike).
 * FC carries neither a delivery id nor an attempt count in it.
 * https://help.aliyun.com/document_detail/2513615.html
 */
export function aliyunEvents(options: AliyunEventOptions = {}): PlatformEvents {
  return {
    scheduled: (time) =>
      JSON.stringify({
        triggerTime: `${time.toISOString().slice(0, 19)}Z`,
        triggerName: options.triggerName ?? 'windowed-timer',
        payload: options.payload ?? '',
      }),
    deliver: (eventJson) => Buffer.from(eventJson, 'utf8'),
    malformed: [
      Buffer.from('not json'),
      Buffer.alloc(0),
      Buffer.from('{}'),
      Buffer.from(JSON.stringify({ triggerTime: '2026-11-27T02:01:00', triggerName: 't', payload: '' })),
      Buffer.from(JSON.stringify({ triggerTime: 'yesterday', triggerName: 't', payload: '' })),
      Buffer.from(JSON.stringify({ scheduledTime: 'now' })),
      Buffer.from('[1,2,3]'),
      null,
      42,
    ],
  };
}
