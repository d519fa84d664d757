/** How a participant's answer body is read: by the coordinator, for a step's
 * output, and by the conformance kit, which must see what the coordinator sees. */

/** Reads at most `maxBytes` of a response body; past that the stream is
 * dropped and what was read is kept. */
export async function readCappedBody(body: AsyncIterable<Buffer> & { destroy(): void }, maxBytes: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > maxBytes) {
      body.destroy();
      break;
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** JSON when it parses, else the text itself; an empty body is null. */
export function parseJsonOrText(text: string): unknown {
  if (text.length === 0) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
