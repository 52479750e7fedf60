import { html, raw, type HtmlValue, type SafeHtml } from '../../html.ts';

const STYLE = raw(`
  :root { --ok: #1a7f37; --bad: #cf222e; --err: #9a6700; --warn: #f0b429; --skip: #8c959f; --fg: #1f2328; --muted: #59636e; --line: #d1d9e0; }
  * { box-sizing: border-box; }
  body { margin: 0; font: 14px/1.45 system-ui, sans-serif; color: var(--fg); background: #f6f8fa; }
  header { background: #0d1117; color: #fff; padding: 10px 24px; display: flex; flex-wrap: wrap; gap: 4px 16px; align-items: baseline; }
  header a { color: #fff; text-decoration: none; font-weight: 600; }
  header .where { color: #9198a1; font-size: 12px; }
  main { padding: 20px 24px; max-width: 1200px; overflow-wrap: break-word; }
  h1 { font-size: 20px; margin: 0 0 12px; }
  h2 { font-size: 16px; margin: 24px 0 8px; }
  table { border-collapse: collapse; width: 100%; background: #fff; border: 1px solid var(--line); }
  th, td { text-align: left; padding: 6px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
  th { background: #f0f3f6; font-weight: 600; font-size: 12px; color: var(--muted); }
  /* A box of its own for what may be wider than a phone (every table): it scrolls sideways inside, the page never does. */
  .scroll-box { max-width: 100%; overflow-x: auto; }
  /* Ids, names, URLs and error text with no space to wrap at break anywhere, even in a table cell; the text stays whole to copy. */
  code, .breakable { overflow-wrap: anywhere; }
  /* A figure and its unit ("120 ms", "4.2 KiB") stay on one line. */
  .figure { white-space: nowrap; }
  a { color: #0969da; }
  .badge { display: inline-block; padding: 1px 8px; border-radius: 10px; color: #fff; font-weight: 600; font-size: 12px; }
  .success, .up { background: var(--ok); } .failure, .down { background: var(--bad); } .error { background: var(--err); } .skipped, .unknown { background: var(--skip); }
  .badge.degraded, .strip a.degraded { background: var(--warn); color: var(--fg); }
  tr.degraded-step td { background: #fff8e1; }
  tr.near-miss td { background: #fff8e1; font-weight: 600; }
  .strip { display: flex; gap: 2px; }
  .strip a { width: 9px; height: 18px; border-radius: 2px; display: block; }
  .muted { color: var(--muted); }
  pre.error { white-space: pre-wrap; overflow-wrap: anywhere; background: #fff5f5; border: 1px solid #ffcecb; padding: 10px; overflow-x: auto; }
  .facts { display: grid; grid-template-columns: max-content minmax(0, 1fr); gap: 4px 16px; background: #fff; border: 1px solid var(--line); padding: 10px 14px; }
  .facts dt { color: var(--muted); } .facts dd { margin: 0; }
  .waterfall td.bar { width: 60%; }
  .waterfall .track { position: relative; height: 16px; min-width: 60px; background: #f0f3f6; }
  .waterfall .seg { position: absolute; top: 0; bottom: 0; min-width: 2px; }
  .passed { background: var(--ok); } .failed { background: var(--bad); }
  tr.failed-step td { background: #fff5f5; font-weight: 600; }
  img.screenshot { display: block; max-width: 100%; height: auto; border: 1px solid var(--line); background: #fff; }
  .note { background: #fff8c5; border: 1px solid #d4a72c; padding: 8px 12px; }
  .controls { display: flex; flex-wrap: wrap; gap: 8px 16px; align-items: center; margin: 12px 0; } .controls form { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; }
  input, select, button { max-width: 100%; }
  code { background: #eff1f3; padding: 1px 4px; border-radius: 4px; }
  /* A phone: less padding, and the facts' labels above their values so a long value has the whole width. */
  @media (max-width: 600px) {
    header { padding: 10px 12px; }
    main { padding: 12px; }
    th, td { padding: 5px 8px; }
    /* A column too narrow to read makes its table scroll instead. */
    .scroll-box th, .scroll-box td { min-width: 5em; }
    .scroll-box td.breakable, .scroll-box td:has(> .breakable, > code) { min-width: 12em; }
    .waterfall td.bar { width: 35%; }
    .facts { grid-template-columns: minmax(0, 1fr); gap: 0; }
    .facts dd + dt { margin-top: 6px; }
  }
`);

export interface LayoutOptions {
  title: string;
  location: string;
  /** Seconds between automatic reloads (overview only); no script needed. */
  refreshSeconds?: number;
}

export function layout(options: LayoutOptions, body: HtmlValue): SafeHtml {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
${options.refreshSeconds ? html`<meta http-equiv="refresh" content="${options.refreshSeconds}">` : ''}
<title>${options.title} · pulse</title>
<style>${STYLE}</style>
</head>
<body>
<header><a href="/">pulse</a><span class="where">location ${options.location}</span></header>
<main>
${body}
</main>
</body>
</html>`;
}

export function statusBadge(status: string, label = status): SafeHtml {
  return html`<span class="badge ${status}">${label}</span>`;
}
