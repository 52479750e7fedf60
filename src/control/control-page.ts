import type { FastifyInstance } from 'fastify';

/** Everything the control journey loads lives under this path, open without auth and unlimited. */
export const CONTROL_PREFIX = '/control/';

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>pulse control page</title>
<script src="/control/control.js" defer></script>
</head>
<body>
<h1>pulse control page</h1>
<p>pulse's control journey runs against this page to tell a sick prober from a broken product.</p>
<label>word <input id="word" name="word" autocomplete="off"></label>
<button id="echo" type="button">Echo</button>
<p id="answer" role="status"></p>
</body>
</html>
`;

// Same-origin fetch of the typed word; the answer comes back from the server, not from the page.
const SCRIPT = `document.getElementById('echo').addEventListener('click', async () => {
  const answer = document.getElementById('answer');
  answer.textContent = 'asking';
  try {
    const response = await fetch('/control/echo?word=' + encodeURIComponent(document.getElementById('word').value), { cache: 'no-store' });
    const body = await response.json();
    answer.textContent = response.ok ? 'echo: ' + body.echo : 'failed: HTTP ' + response.status;
  } catch (error) {
    answer.textContent = 'failed: ' + error;
  }
});
`;

const CSP = "default-src 'none'; script-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** The small page pulse serves itself for its control journey: a heading, a button, a script and a fetch. */
export function registerControlPage(app: FastifyInstance): void {
  app.get(CONTROL_PREFIX, async (_request, reply) =>
    reply.type('text/html; charset=utf-8').header('content-security-policy', CSP).header('cache-control', 'no-store').send(PAGE),
  );
  app.get(`${CONTROL_PREFIX}control.js`, async (_request, reply) =>
    reply.type('text/javascript; charset=utf-8').header('cache-control', 'no-store').send(SCRIPT),
  );
  app.get<{ Querystring: { word?: string } }>(`${CONTROL_PREFIX}echo`, async (request, reply) => {
    const word = typeof request.query.word === 'string' ? request.query.word.slice(0, 64) : '';
    return reply.header('cache-control', 'no-store').send({ echo: word });
  });
}
