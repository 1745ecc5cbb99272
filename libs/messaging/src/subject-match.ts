/**
 * NATS subject wildcards: `*` matches exactly one token, `>` (last token only) matches one or
 * more tokens.
 */
export function subjectMatches(pattern: string, subject: string): boolean {
  const p = pattern.split('.');
  const s = subject.split('.');
  for (let i = 0; i < p.length; i++) {
    const token = p[i];
    if (token === '>') return i === p.length - 1 && s.length > i;
    const actual = s[i];
    if (actual === undefined) return false;
    if (token !== '*' && token !== actual) return false;
  }
  return p.length === s.length;
}

/**
 * Whether every subject matched by `pattern` is also matched by `filter` (e.g. a consumer filter
 * must be covered by its stream's subjects, else the server rejects the consumer).
 */
export function subjectCovers(filter: string, pattern: string): boolean {
  const f = filter.split('.');
  const p = pattern.split('.');
  for (let i = 0; i < f.length; i++) {
    const ft = f[i];
    if (ft === '>') return p.length > i;
    const pt = p[i];
    if (pt === undefined || pt === '>') return false;
    if (ft === '*') continue;
    if (pt === '*' || pt !== ft) return false;
  }
  return f.length === p.length;
}

/** Whether a string is a valid NATS subject or pattern (non-empty tokens, `>` last only). */
export function isValidSubject(subject: string): boolean {
  if (subject.length === 0 || /\s/.test(subject)) return false;
  const tokens = subject.split('.');
  return tokens.every((t, i) => {
    if (t.length === 0) return false;
    if (t === '>') return i === tokens.length - 1;
    return t === '*' || !/[*>]/.test(t);
  });
}
