// Browsers run service workers, which Playwright's trace viewer is built on, only in a secure
// context: a page reached over https, or on a loopback host. pulse cannot ask the browser, so it
// judges from how the request reached it; a wrong guess only changes which way to the trace is offered.
import { isIPv4 } from 'node:net';

export interface Reached {
  /** The protocol of the connection to pulse (`http` unless pulse itself terminated TLS). */
  protocol: string;
  /** The Host header, with its port. */
  host: string | undefined;
  /** X-Forwarded-Proto from a proxy in front, which may have terminated TLS. */
  forwardedProto?: string | undefined;
  /** The host of PULSE_PUBLIC_URL when it is https (httpsPublicHost): people reach pulse there over https. */
  httpsPublicHost?: string | undefined;
}

export interface Reach {
  /** The page that asked is in a secure context, so that the trace viewer can run there. */
  secure: boolean;
  /** The browser's side of the connection is https: pulse's own TLS, a proxy's, or the https public URL it was reached at. */
  https: boolean;
}

/** The host of an https public URL, worked out once; undefined for none, or one over plain http. */
export function httpsPublicHost(publicUrl: string | undefined): string | undefined {
  // The setting is validated at start; anything that still is not a URL has no https host.
  if (publicUrl === undefined || !URL.canParse(publicUrl)) return undefined;
  const url = new URL(publicUrl);
  return url.protocol === 'https:' ? url.hostname : undefined;
}

/** How the browser reached pulse: over https, and whether in a secure context. */
export function reachOf(reached: Reached): Reach {
  const hostname = hostnameOf(reached.host);
  const https =
    reached.protocol === 'https' ||
    reached.forwardedProto?.split(',')[0]?.trim().toLowerCase() === 'https' ||
    (hostname !== undefined && hostname === reached.httpsPublicHost);
  return { https, secure: https || (hostname !== undefined && isLoopback(hostname)) };
}

function hostnameOf(host: string | undefined): string | undefined {
  if (!host) return undefined;
  try {
    const url = new URL(`http://${host}`);
    // The whole header must be a host and a port, nothing more (no user, path or query slipped in).
    const plain = url.username === '' && url.password === '' && url.pathname === '/' && url.search === '' && url.hash === '';
    return plain ? url.hostname : undefined;
  } catch {
    return undefined;
  }
}

/** What browsers count as a potentially trustworthy host over plain http. */
function isLoopback(hostname: string): boolean {
  if (hostname === 'localhost' || hostname.endsWith('.localhost')) return true;
  if (hostname === '[::1]') return true;
  return isIPv4(hostname) && hostname.startsWith('127.');
}
