import type { FieldError } from './import-job';

/** One NDJSON line as a raw event: a JSON object, or why it is not one. */
export function parseNdjsonLine(
  text: string,
): { event: Record<string, unknown> } | { errors: FieldError[] } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : 'invalid JSON';
    return { errors: [{ field: '(line)', message: `invalid JSON: ${reason}` }] };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return {
      errors: [{ field: '(line)', message: 'expected a JSON object (one event per line)' }],
    };
  return { event: value as Record<string, unknown> };
}

/** Blank lines (and a trailing `\r`) carry no row. */
export function isBlankLine(text: string): boolean {
  return text.trim() === '';
}
