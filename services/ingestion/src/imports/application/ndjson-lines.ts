/** One line of a text stream, numbered from 1, or the note that it was too long to keep. */
export type TextLine =
  | { readonly line: number; readonly text: string }
  | { readonly line: number; readonly tooLong: true; readonly bytes: number };

/**
 * Splits a byte stream into lines without holding more than one line (`maxLineBytes`) in memory:
 * a longer line is reported as too long and its bytes are dropped as they arrive. Lines are
 * decoded as UTF-8 whole, so a character split across chunks stays intact. `\r\n` works too.
 * Pulling lines drives the stream: the consumer's pace is the backpressure.
 */
export async function* splitLines(
  chunks: AsyncIterable<Buffer | Uint8Array | string>,
  maxLineBytes: number,
): AsyncGenerator<TextLine> {
  let parts: Buffer[] = [];
  let size = 0;
  let overflow = false;
  let line = 0;
  const finish = (): TextLine => {
    line++;
    const result: TextLine = overflow
      ? { line, tooLong: true, bytes: size }
      : { line, text: stripCr(Buffer.concat(parts, size).toString('utf8')) };
    parts = [];
    size = 0;
    overflow = false;
    return result;
  };
  for await (const chunk of chunks) {
    const buffer =
      typeof chunk === 'string'
        ? Buffer.from(chunk)
        : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let start = 0;
    while (start < buffer.length) {
      const newline = buffer.indexOf(0x0a, start);
      const end = newline === -1 ? buffer.length : newline;
      const piece = buffer.subarray(start, end);
      if (!overflow && size + piece.length > maxLineBytes) {
        overflow = true;
        parts = [];
      }
      if (!overflow) parts.push(Buffer.from(piece)); // copy: the chunk may be reused
      size += piece.length;
      if (newline === -1) break;
      yield finish();
      start = newline + 1;
    }
  }
  if (size > 0 || overflow) yield finish();
}

function stripCr(text: string): string {
  return text.endsWith('\r') ? text.slice(0, -1) : text;
}
