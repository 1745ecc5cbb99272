// Realistic Segment `track` events for the ingestion benchmark, built so that the load generator
// spends almost no CPU per request: each request body is a pre-rendered template split around
// its per-request fields (messageId per event, sentAt per batch), then joined with fresh values.
import { randomBytes } from 'node:crypto';

const PRODUCTS = [
  ['sku-10452', 'Trail Running Shoe', 'Footwear', 129.99],
  ['sku-20817', 'Merino Base Layer', 'Apparel', 74.5],
  ['sku-31100', 'Carbon Trekking Poles', 'Equipment', 159],
  ['sku-40021', 'Insulated Water Bottle', 'Accessories', 29.95],
  ['sku-52377', 'Two-Person Tent', 'Camping', 349],
];
const EVENTS = ['Product Viewed', 'Product Added', 'Checkout Started', 'Order Completed'];
const USER_AGENTS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/126.0',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X)',
];
const LOCALES = ['de-DE', 'en-US', 'fr-FR', 'ru-RU'];

const MESSAGE_ID = '@@messageId@@';
const SENT_AT = '@@sentAt@@';

/** A pseudo-random but reproducible choice (templates are the same in every run). */
function pick(list, n) {
  return list[n % list.length];
}

/** One track event with the messageId left as a placeholder. */
export function trackEvent(n, timestamp, messageId = MESSAGE_ID) {
  const [sku, name, category, price] = pick(PRODUCTS, n * 7 + 3);
  const person = (n * 2654435761) % 50_000;
  const event = {
    type: 'track',
    messageId,
    anonymousId: `${person.toString(16).padStart(8, '0')}-4b1e-4c2a-9d3f-${(person * 31).toString(16).padStart(12, '0')}`,
    ...(n % 2 === 0 ? { userId: `user-${person}` } : {}),
    event: pick(EVENTS, n),
    properties: {
      product_id: sku,
      name,
      category,
      price,
      currency: 'EUR',
    },
    context: {
      library: { name: 'analytics-node', version: '2.3.0' },
      ip: `203.0.113.${n % 250}`,
      userAgent: pick(USER_AGENTS, n),
      locale: pick(LOCALES, n),
    },
    timestamp,
  };
  return event;
}

/**
 * `count` request templates of `batchSize` events each. `render(t, ids, sentAt)` returns the JSON
 * body of template `t` with the given message ids (one per event) and batch `sentAt`.
 */
export function batchTemplates(count, batchSize) {
  const timestamp = new Date().toISOString();
  const templates = [];
  let n = 0;
  for (let t = 0; t < count; t++) {
    const batch = [];
    for (let i = 0; i < batchSize; i++) batch.push(trackEvent(n++, timestamp));
    const json = JSON.stringify({ batch, sentAt: SENT_AT });
    // Split around every placeholder: parts[0] id parts[1] id ... parts[k] sentAt parts[k+1].
    const parts = json.split(/@@messageId@@|@@sentAt@@/);
    if (parts.length !== batchSize + 2)
      throw new Error(`template split into ${parts.length} parts`);
    templates.push(parts);
  }
  return {
    count,
    /** Average bytes of one event in the rendered JSON, given the length of a message id. */
    eventBytes(idLength) {
      const templateBytes = templates.reduce((s, p) => s + p.join('').length, 0) / count;
      return Math.round((templateBytes + batchSize * idLength) / batchSize);
    },
    render(t, nextId, sentAt) {
      const parts = templates[t % count];
      let out = parts[0];
      for (let i = 1; i <= batchSize; i++) out += nextId() + parts[i];
      return out + sentAt + parts[batchSize + 1];
    },
  };
}

/**
 * A generator of run-unique, UUID-shaped message ids (36 chars, as the SDKs send):
 * 8 random hex chars per generator process, then a counter.
 */
export function messageIds() {
  const prefix = randomBytes(4).toString('hex');
  let counter = 0;
  return () => {
    const c = (counter++).toString(16).padStart(16, '0');
    return `${prefix}-${c.slice(0, 4)}-4${c.slice(4, 7)}-8${c.slice(7, 10)}-${c.slice(4)}`;
  };
}
export const MESSAGE_ID_LENGTH = 36;
