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
  /** PULSE_PUBLIC_URL: an https address people reach pulse at. */
  publicUrl?: string | undefined;
}

/** Whether the page that asked is in a secure context, so that the trace viewer can run there. */
export function reachedSecurely(reached: Reached): boolean {
  const hostname = hostnameOf(reached.host);
  return reachedOverHttps(reached) || (hostname !== undefined && isLoopback(hostname));
}

/** Whether the browser's side of the connection is https: pulse's own TLS, a proxy's, or the https public URL it was reached at. */
export function reachedOverHttps(reached: Reached): boolean {
  if (reached.protocol === 'https') return true;
  if (reached.forwardedProto?.split(',')[0]?.trim().toLowerCase() === 'https') return true;
  const hostname = hostnameOf(reached.host);
  if (hostname === undefined || reached.publicUrl === undefined) return false;
  try {
    const publicUrl = new URL(reached.publicUrl);
    return publicUrl.protocol === 'https:' && publicUrl.hostname === hostname;
  } catch {
    return false;
  }
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
