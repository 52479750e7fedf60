/**
 * The npm settings `npm run test:image` hands to the image build as secrets: where the registry
 * is and how to reach it, nothing that names a path of this machine.
 */
import assert from 'node:assert/strict';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { CA_TARGET, npmBuildSecrets, writeBuildSecrets } from '../../../scripts/npm-build-secrets.ts';
import { tempDir } from '../../support/temp.ts';

test('registry, proxy, scoped registries, credentials and the CA go in; machine paths stay out', (t) => {
  const dir = tempDir(t);
  const userrc = path.join(dir, 'user.npmrc');
  const ca = path.join(dir, 'ca.pem');
  writeFileSync(ca, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
  writeFileSync(
    userrc,
    ['nodedir=/usr', 'cache=/root/.npm', '@corp:registry=https://npm.corp.example/', '//npm.corp.example/:_authToken=${CORP_TOKEN}', 'fund=false'].join('\n'),
  );
  const config: Record<string, string> = { registry: 'https://mirror.example/npm/', 'https-proxy': 'http://proxy.example:3128', cafile: ca, nodedir: '/usr' };
  const secrets = npmBuildSecrets({ get: (key) => config[key], files: [userrc, path.join(dir, 'no-such.npmrc')], env: { CORP_TOKEN: 's3cr3t' } });
  assert.deepEqual(secrets.npmrc.trim().split('\n'), [
    'registry=https://mirror.example/npm/',
    'https-proxy=http://proxy.example:3128',
    '@corp:registry=https://npm.corp.example/',
    '//npm.corp.example/:_authToken=s3cr3t',
    `cafile=${CA_TARGET}`,
  ]);
  assert.equal(secrets.ca?.toString(), readFileSync(ca, 'utf8'));

  const out = tempDir(t);
  const flags = writeBuildSecrets(out, secrets);
  assert.deepEqual(flags, ['--secret', `id=npmrc,src=${path.join(out, 'npmrc')}`, '--secret', `id=npm-ca,src=${path.join(out, 'npm-ca')}`]);
  assert.equal(statSync(path.join(out, 'npmrc')).mode & 0o777, 0o600, 'the token is readable by its owner only');
});

test('no cafile: npm keeps its own CAs, and the build gets an empty bundle it does not use', (t) => {
  const secrets = npmBuildSecrets({ get: (key) => (key === 'registry' ? 'https://registry.npmjs.org/' : undefined), files: [], env: {} });
  assert.equal(secrets.npmrc, 'registry=https://registry.npmjs.org/\n');
  assert.equal(secrets.ca, undefined);
  const out = tempDir(t);
  writeBuildSecrets(out, secrets);
  assert.equal(readFileSync(path.join(out, 'npm-ca'), 'utf8'), '');
});
