import { createOperations } from '../../src/operations/operations.ts';
import { PauseBook } from '../../src/operations/pauses.ts';
import { openRunStore } from '../../src/store/run-store.ts';
import { createWebServer } from '../../src/web/server.ts';
import { registerUi } from '../../src/web/ui.ts';
import { makeTempDir, removeDir } from './temp.ts';

/**
 * The paths pulse's web server answers GET on, as its own router declares them (e.g.
 * `/runs/:id`, `/artifacts/*`): the real server and UI are built in this process over an empty
 * store, asked for their routes and closed without listening.
 */
export async function webGetRoutes(): Promise<string[]> {
  const dataDir = makeTempDir('pulse-routes-');
  const store = openRunStore({ dataDir });
  try {
    const app = await createWebServer({
      metrics: { contentType: 'text/plain', metrics: () => Promise.resolve('') },
      readiness: () => ({ ready: true, checks: {} }),
      routes: (app) =>
        registerUi(app, {
          store: store.queries,
          journeys: [],
          artifactsRoot: dataDir,
          config: {
            location: 'routes',
            publicUrl: undefined,
            auth: { token: undefined, user: undefined, password: undefined, metrics: false },
            allowOpenWrites: false,
          },
          operations: createOperations({
            journeys: [],
            pauses: new PauseBook({ store: store.pauses }),
            trigger: () => ({ error: 'unknown' }),
            onPausesChanged: () => undefined,
            log: { info: () => undefined },
          }),
          prober: undefined,
        }),
    });
    await app.ready();
    const tree = app.printRoutes({ method: 'GET' });
    await app.close();
    return routesOf(tree);
  } finally {
    store.close();
    removeDir(dataDir);
  }
}

/**
 * Reads Fastify's printed route tree: each line is one segment under the line above it at one
 * level less of indentation (four characters a level); a line ending in "(GET)" is a route.
 */
export function routesOf(tree: string): string[] {
  const routes: string[] = [];
  const prefixes: string[] = [];
  for (const line of tree.split('\n')) {
    const match = /^(.*?)(?:└──|├──) (.+?)(?: \(([A-Z, ]+)\))?$/.exec(line);
    if (!match) continue;
    const depth = match[1]!.length / 4;
    const path = `${prefixes[depth - 1] ?? ''}${match[2]}`;
    prefixes[depth] = path;
    prefixes.length = depth + 1;
    if (match[3]?.split(', ').includes('GET')) routes.push(path);
  }
  return routes;
}
