// The machine's npm settings for an image build, passed as two build secrets (never a layer):
// `npmrc` (registry, proxies, scoped registries and their credentials, cafile) and `npm-ca` (the
// CA bundle npm trusts). The Dockerfile mounts them at /root/.npmrc and /run/secrets/npm-ca for
// its `npm ci` runs. Only settings that say where the registry is and how to reach it are taken:
// paths of this machine (nodedir, cache, prefix) mean nothing inside the build.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** Where the CA bundle is mounted in the build; the npmrc's cafile points there. */
export const CA_TARGET = '/run/secrets/npm-ca';

const CARRIED_KEYS = ['registry', 'proxy', 'https-proxy', 'noproxy', 'strict-ssl'];
/** Lines of an .npmrc carried as they are: scoped registries and per-registry credentials. */
const CARRIED_LINE = /^\s*(@[^:=\s]+:registry|\/\/[^=\s]+:(_authToken|_auth|username|_password))\s*=/;

export interface NpmSettings {
  /** `npm config get <key>`: undefined when unset. */
  get(key: string): string | undefined;
  /** .npmrc files whose scoped registries and credentials are carried: user, project. */
  files: readonly string[];
  env: NodeJS.ProcessEnv;
}

export interface BuildSecrets {
  npmrc: string;
  /** The CA bundle's contents, or undefined when npm uses its own. */
  ca: Buffer | undefined;
}

export function npmBuildSecrets(settings: NpmSettings): BuildSecrets {
  const lines: string[] = [];
  for (const key of CARRIED_KEYS) {
    const value = settings.get(key);
    if (value !== undefined) lines.push(`${key}=${value}`);
  }
  for (const file of settings.files) {
    if (!existsSync(file)) continue;
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      // npm fills in ${VAR} from its environment, which the build does not have: fill it in here.
      if (CARRIED_LINE.test(line)) lines.push(line.trim().replace(/\$\{([A-Za-z0-9_]+)\}/g, (_, name: string) => settings.env[name] ?? ''));
    }
  }
  const cafile = settings.get('cafile') ?? settings.env.NODE_EXTRA_CA_CERTS;
  const ca = cafile && existsSync(cafile) ? readFileSync(cafile) : undefined;
  if (ca) lines.push(`cafile=${CA_TARGET}`);
  return { npmrc: `${lines.join('\n')}\n`, ca };
}

/** Writes both secrets into dir (which the caller keeps private and removes) and returns the build flags. */
export function writeBuildSecrets(dir: string, secrets: BuildSecrets): string[] {
  const npmrc = path.join(dir, 'npmrc');
  const ca = path.join(dir, 'npm-ca');
  writeFileSync(npmrc, secrets.npmrc, { mode: 0o600 });
  writeFileSync(ca, secrets.ca ?? '', { mode: 0o600 });
  return ['--secret', `id=npmrc,src=${npmrc}`, '--secret', `id=npm-ca,src=${ca}`];
}
