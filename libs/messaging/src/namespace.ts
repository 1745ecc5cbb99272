const NAMESPACE_RE = /^[A-Za-z0-9_-]+$/;

/**
 * Isolates subjects and streams of one deployment (or one test file) from every other on the
 * same NATS server. With namespace `t42`, subject `cdp.x.y` becomes `t42.cdp.x.y` and stream
 * `EVENTS` becomes `t42_EVENTS`. The empty namespace is the identity (production).
 *
 * Handlers and publishers only ever see un-prefixed names: the transport prefixes on the way out
 * and strips on the way in.
 */
export class Namespace {
  private constructor(readonly value: string) {}

  /** The identity namespace (no prefix). */
  static readonly none = new Namespace('');

  static of(value: string): Namespace {
    if (value !== '' && !NAMESPACE_RE.test(value)) {
      throw new Error(`invalid namespace "${value}": use letters, digits, "_" or "-"`);
    }
    return value === '' ? Namespace.none : new Namespace(value);
  }

  get isEmpty(): boolean {
    return this.value === '';
  }

  /** `cdp.x.y` → `ns.cdp.x.y` (patterns with `*`/`>` work the same way). */
  subject(subject: string): string {
    return this.isEmpty ? subject : `${this.value}.${subject}`;
  }

  /** `ns.cdp.x.y` → `cdp.x.y`; a subject outside the namespace is returned unchanged. */
  stripSubject(subject: string): string {
    const prefix = `${this.value}.`;
    return !this.isEmpty && subject.startsWith(prefix) ? subject.slice(prefix.length) : subject;
  }

  /** `EVENTS` → `ns_EVENTS`. */
  stream(name: string): string {
    return this.isEmpty ? name : `${this.value}_${name}`;
  }

  /** `ns_EVENTS` → `EVENTS`; a name outside the namespace is returned unchanged. */
  stripStream(name: string): string {
    const prefix = `${this.value}_`;
    return !this.isEmpty && name.startsWith(prefix) ? name.slice(prefix.length) : name;
  }

  toString(): string {
    return this.value;
  }
}
