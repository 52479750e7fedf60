import { request, type IncomingHttpHeaders } from 'node:http';

/** An answer as it came over the wire: nothing decompressed, nothing followed. */
export interface RawAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  bytes: Buffer;
  /** The bytes as latin1 text: one character per byte, for matching markers in any body. */
  body: string;
}

/**
 * A GET of `requestPath` on `base` with exactly the headers given (a Host of the test's choosing,
 * an Accept-Encoding or none): fetch() would add its own, decompress and refuse some paths.
 */
export function rawGet(base: string, requestPath: string, headers: Record<string, string> = {}): Promise<RawAnswer> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path: requestPath, headers, timeout: 30_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const bytes = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, bytes, body: bytes.toString('latin1') });
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${requestPath} did not answer within 30 s`)));
    req.on('error', reject);
    req.end();
  });
}
