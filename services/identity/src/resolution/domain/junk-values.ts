/**
 * Values real SDKs send when an identifier is missing: they would glue every anonymous visitor
 * of a workspace into one profile, so they never become identifiers, whatever the type.
 */
const JUNK_WORDS = new Set([
  '',
  'null',
  'nil',
  'undefined',
  'none',
  'nan',
  '[object object]',
  'anonymous',
  'guest',
  'true',
  'false',
  '-1',
  'unknown',
  'n/a',
  '{}',
  '[]',
]);

/** Only zeros (`0`, `00000000-0000-0000-0000-000000000000`) or only dashes/dots. */
const ONLY_ZEROS_OR_DASHES = /^[0\-._:\s]+$/;
const QUOTES = /^(["'`])(.*)\1$/s;

/**
 * Whether `raw` is a value SDKs send for "no value": case-insensitive, whitespace around it
 * ignored, also when wrapped in quotes once or more (`"null"`, `'undefined'`, `"'None'"`).
 */
export function isJunkValue(raw: string): boolean {
  let value = raw.trim();
  for (let match = QUOTES.exec(value); match; match = QUOTES.exec(value)) {
    value = (match[2] ?? '').trim();
  }
  return JUNK_WORDS.has(value.toLowerCase()) || ONLY_ZEROS_OR_DASHES.test(value);
}
