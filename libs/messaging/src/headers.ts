import { headers as natsHeaders, type MsgHdrs } from '@nats-io/nats-core';
import type { HeaderCarrier } from '@cdp/observability';

/** Adapts NATS headers to the observability carrier (NATS returns "" for a missing header). */
export function headerCarrier(h: MsgHdrs | undefined): HeaderCarrier {
  return {
    get: (name) => {
      const v = h?.get(name);
      return v === undefined || v === '' ? undefined : v;
    },
    set: (name, value) => h?.set(name, value),
  };
}

/** First value of every header, keys as sent. */
export function headersToRecord(h: MsgHdrs | undefined): Readonly<Record<string, string>> {
  const out: Record<string, string> = {};
  if (!h) return out;
  for (const [key, values] of h) {
    const first = values[0];
    if (first !== undefined) out[key] = first;
  }
  return out;
}

export function toMsgHdrs(pairs: Iterable<readonly [string, string]>): MsgHdrs {
  const h = natsHeaders();
  for (const [k, v] of pairs) h.append(k, v);
  return h;
}

export function header(h: MsgHdrs | undefined, name: string): string | undefined {
  const v = h?.get(name);
  return v === undefined || v === '' ? undefined : v;
}
