// Kept sessions at rest: one file per session in <data>/sessions, AES-256-GCM with the key from
// PULSE_SESSION_KEY and the session's name as authenticated data, so a file can be neither read
// without the key nor passed off as another session's. A file that does not open (another key,
// damaged, planted) is discarded with a log line and the journey signs in anew; it never stops a run.
// Nor does one that is not a regular file (a FIFO, a device, a link): it is never waited on or read.
import { createCipheriv, createDecipheriv, randomBytes, scryptSync } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { describeError } from '../errors.ts';
import { openRegularFile } from '../regular-file.ts';
import type { SessionState } from '../worker-protocol.ts';

/** A kept sign-in: the browser state it left, and when (epoch ms), which its TTL counts from. */
export interface KeptSession {
  state: SessionState;
  signedInAt: number;
}

export interface VaultLog {
  warn(fields: object, message: string): void;
}

const FORMAT = 'pulse-session-1';
/** A storage state of cookies and local storage is kilobytes; a file this big is not one of ours. */
const MAX_FILE_BYTES = 4 * 1024 * 1024;
const SALT_BYTES = 16;
const IV_BYTES = 12;
/** scrypt's cost for a passphrase: 2^15 takes a tenth of a second and 32 MiB, once per salt. */
const SCRYPT = { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 } as const;

const sealedFile = z.strictObject({
  format: z.literal(FORMAT),
  salt: z.base64(),
  iv: z.base64(),
  tag: z.base64(),
  data: z.base64(),
});

const keptSession = z.object({
  signedInAt: z.number().finite(),
  state: z.object({
    cookies: z.array(z.looseObject({ name: z.string(), value: z.string() })),
    origins: z.array(z.looseObject({ origin: z.string(), localStorage: z.array(z.object({ name: z.string(), value: z.string() })) })),
  }),
});

/**
 * The key as given: 64 hex digits or the base64 of 32 bytes are the key itself; anything else is
 * a passphrase, stretched with scrypt and a salt kept in each file.
 */
export function sessionKeyOf(given: string): { raw: Buffer } | { passphrase: string } {
  const trimmed = given.trim();
  if (/^[0-9a-fA-F]{64}$/.test(trimmed)) return { raw: Buffer.from(trimmed, 'hex') };
  if (/^[A-Za-z0-9+/]{43}=?$/.test(trimmed)) {
    const raw = Buffer.from(trimmed, 'base64');
    if (raw.length === 32) return { raw };
  }
  return { passphrase: given };
}

export class SessionVault {
  readonly #dir: string;
  readonly #key: { raw: Buffer } | { passphrase: string };
  readonly #log: VaultLog | undefined;
  /** Derived keys by salt (hex): a passphrase is stretched once per salt, not per read. */
  readonly #derived = new Map<string, Buffer>();
  /** The salt of the files this process writes. */
  readonly #salt = randomBytes(SALT_BYTES);

  constructor(options: { dataDir: string; key: string; log?: VaultLog }) {
    this.#dir = path.join(options.dataDir, 'sessions');
    this.#key = sessionKeyOf(options.key);
    this.#log = options.log;
  }

  /** The file a session is kept in. */
  fileOf(name: string): string {
    return path.join(this.#dir, `${name}.session`);
  }

  /** The kept session, or undefined when there is none or its file does not open (then it is removed). */
  async read(name: string): Promise<KeptSession | undefined> {
    const file = this.fileOf(name);
    let text: string;
    try {
      const opened = await openRegularFile(file);
      if (!opened) return await this.#discard(name, 'it is not a regular file (a link, a FIFO, a device or a directory)');
      const { handle } = opened;
      try {
        const { size } = opened.stat;
        if (size > MAX_FILE_BYTES) return await this.#discard(name, `it is ${size} bytes, more than a kept session ever is`);
        text = await handle.readFile('utf8');
      } finally {
        await handle.close();
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      return this.#discard(name, `it could not be read: ${describeError(error).message}`);
    }
    try {
      return this.#open(name, text);
    } catch {
      return this.#discard(name, 'it does not open with PULSE_SESSION_KEY (written with another key, damaged, or not written by pulse)');
    }
  }

  /** Writes a session's file, readable by this user only, replacing the last one at once. */
  async write(name: string, kept: KeptSession): Promise<void> {
    await mkdir(this.#dir, { recursive: true, mode: 0o700 });
    const file = this.fileOf(name);
    const temporary = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    try {
      await writeFile(temporary, this.#seal(name, kept), { mode: 0o600, flag: 'wx' });
      await rename(temporary, file);
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }
  }

  async remove(name: string): Promise<void> {
    await rm(this.fileOf(name), { force: true });
  }

  #seal(name: string, kept: KeptSession): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#keyFor(this.#salt), iv);
    cipher.setAAD(additionalData(name));
    const data = Buffer.concat([cipher.update(JSON.stringify(kept), 'utf8'), cipher.final()]);
    return JSON.stringify({
      format: FORMAT,
      salt: this.#salt.toString('base64'),
      iv: iv.toString('base64'),
      tag: cipher.getAuthTag().toString('base64'),
      data: data.toString('base64'),
    });
  }

  /** Throws when the file is not a session sealed with this key under this name. */
  #open(name: string, text: string): KeptSession {
    const sealed = sealedFile.parse(JSON.parse(text));
    const iv = Buffer.from(sealed.iv, 'base64');
    const tag = Buffer.from(sealed.tag, 'base64');
    const salt = Buffer.from(sealed.salt, 'base64');
    if (iv.length !== IV_BYTES || tag.length !== 16 || salt.length !== SALT_BYTES) throw new Error('malformed');
    const decipher = createDecipheriv('aes-256-gcm', this.#keyFor(salt), iv, { authTagLength: 16 });
    decipher.setAAD(additionalData(name));
    decipher.setAuthTag(tag);
    const plain = Buffer.concat([decipher.update(Buffer.from(sealed.data, 'base64')), decipher.final()]).toString('utf8');
    return keptSession.parse(JSON.parse(plain)) as KeptSession;
  }

  #keyFor(salt: Buffer): Buffer {
    if ('raw' in this.#key) return this.#key.raw;
    const id = salt.toString('hex');
    let key = this.#derived.get(id);
    if (!key) this.#derived.set(id, (key = scryptSync(this.#key.passphrase, salt, 32, SCRYPT)));
    return key;
  }

  async #discard(name: string, why: string): Promise<undefined> {
    this.#log?.warn(
      { event: 'session_discarded', session: name, file: this.fileOf(name) },
      `the kept session ${name} was discarded: ${why}; the next run signs in anew`,
    );
    await rm(this.fileOf(name), { force: true }).catch(() => undefined);
    return undefined;
  }
}

function additionalData(name: string): Buffer {
  return Buffer.from(`${FORMAT}:${name}`, 'utf8');
}
