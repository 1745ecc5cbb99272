import { isUtf8 } from 'node:buffer';
import { gunzipSync } from 'node:zlib';
import { DomainError } from '@cdp/contracts';

export interface DecodedBody {
  readonly value: Record<string, unknown>;
  /** Bytes of the JSON after decompression. */
  readonly bytes: number;
  /** The JSON text `value` was parsed from. */
  readonly text: string;
  /** Every byte of the body is ASCII (so the text has as many characters as bytes). */
  readonly ascii: boolean;
}

/**
 * Turns the raw body of a collection call into a JSON object: optional gzip (bounded, so a
 * zip bomb stops at the limit), strict UTF-8 (invalid bytes are refused, not replaced), JSON.
 * Every failure is a 4xx DomainError naming what is wrong; nothing here can throw anything else.
 */
export function decodeCollectBody(
  raw: unknown,
  contentEncoding: string | undefined,
  maxBytes: number,
): DecodedBody {
  let bytes: Buffer;
  if (Buffer.isBuffer(raw)) bytes = raw;
  else if (typeof raw === 'string') bytes = Buffer.from(raw, 'utf8');
  else if (raw === undefined || raw === null)
    throw new DomainError('invalid', 'request.empty_body', 'the request body is empty');
  else throw new DomainError('unsupported', 'request.unsupported_media_type', 'send JSON');

  const encoding = contentEncoding?.trim().toLowerCase();
  if (encoding === 'gzip' || encoding === 'x-gzip') bytes = gunzip(bytes, maxBytes);
  else if (encoding !== undefined && encoding !== '' && encoding !== 'identity')
    throw new DomainError(
      'unsupported',
      'request.unsupported_encoding',
      `Content-Encoding ${encoding} is not supported (use gzip)`,
    );

  if (bytes.length > maxBytes) throw tooLarge(bytes.length, maxBytes);
  if (bytes.length === 0)
    throw new DomainError('invalid', 'request.empty_body', 'the request body is empty');
  if (!isUtf8(bytes))
    throw new DomainError('invalid', 'request.invalid_utf8', 'the request body is not valid UTF-8');
  const text = bytes.toString('utf8');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new DomainError(
      'invalid',
      'request.invalid_json',
      `the request body is not valid JSON: ${(error as Error).message}`,
    );
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new DomainError(
      'invalid',
      'request.invalid_json',
      'the request body must be a JSON object',
    );
  return {
    value: value as Record<string, unknown>,
    bytes: bytes.length,
    text,
    ascii: text.length === bytes.length,
  };
}

function gunzip(bytes: Buffer, maxBytes: number): Buffer {
  try {
    return gunzipSync(bytes, { maxOutputLength: maxBytes + 1 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE')
      throw tooLarge(maxBytes + 1, maxBytes);
    throw new DomainError(
      'invalid',
      'request.invalid_gzip',
      'the gzip body cannot be decompressed',
    );
  }
}

function tooLarge(bytes: number, maxBytes: number): DomainError {
  return new DomainError(
    'too_large',
    'request.too_large',
    `the request body is larger than ${maxBytes} bytes`,
    { bytes, limit: maxBytes },
  );
}

/** The write key of HTTP Basic credentials (`<writeKey>:` base64), or undefined. */
export function writeKeyFromAuthorization(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const match = /^\s*basic\s+([A-Za-z0-9+/=_-]+)\s*$/i.exec(header);
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const key = colon === -1 ? decoded : decoded.slice(0, colon);
  return key === '' ? undefined : key;
}
