// The artifact layout, shared by the runner that writes evidence, the store and retention that
// size and prune it, and the log and UI that link to it: `<dataDir>/artifacts/<journey>/<runId>/`,
// each file named in a RunResult by its path relative to the artifacts root, served under /artifacts/.
import path from 'node:path';

/** URL path under which the daemon serves the artifacts root. */
export const ARTIFACTS_URL_PREFIX = '/artifacts/';

/** Where evidence files live; Artifacts paths are relative to it. */
export function artifactsDir(dataDir: string): string {
  return path.join(dataDir, 'artifacts');
}

/** The folder that holds every artifact of one run, and nothing else. */
export function runArtifactsDir(root: string, journey: string, runId: string): string {
  return path.join(root, journey, runId);
}

/** Link to one artifact (a path relative to the root, as in RunResult.artifacts), after `base` (the public URL) if given. */
export function artifactUrl(file: string, base = ''): string {
  return `${base}${ARTIFACTS_URL_PREFIX}${file.split('/').map(encodeURIComponent).join('/')}`;
}
