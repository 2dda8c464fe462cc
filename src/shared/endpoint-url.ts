import { z } from 'zod';
import { isLoopbackHost } from './ip.ts';

/**
 * Why an endpoint URL is refused, or undefined when it is fine. EntryGuard sends cloud credentials
 * (signed requests, bearer tokens, key grants) to these URLs, so they must be https; plain http is
 * allowed only to this machine (an emulator, a local proxy), where nobody on the path can read it.
 * `path: false` is for API base URLs whose SDK keeps only scheme, host and port.
 */
export function endpointUrlProblem(value: string, opts: { path?: boolean } = {}): string | undefined {
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    return 'is not an absolute URL (like https://host.example.com)';
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') return 'must start with https://';
  if (u.protocol === 'http:' && !isLoopbackHost(u.hostname)) {
    return `must use https:// (credentials are sent to it); http:// is allowed only to this machine (127.0.0.1, ::1, localhost), not ${u.hostname}`;
  }
  if (u.username || u.password) return 'must not contain a user name or password';
  if (u.search || u.hash) return 'must not have a query (?…) or fragment (#…)';
  if (opts.path === false && u.pathname !== '/') return 'must be only scheme, host and port (no path)';
  return undefined;
}

/** A validated endpoint URL, returned without a trailing slash. */
export const EndpointUrl = (opts: { path?: boolean } = {}) =>
  z
    .string()
    .superRefine((value, ctx) => {
      const problem = endpointUrlProblem(value, opts);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    })
    .transform((value) => {
      const u = new URL(value);
      return `${u.origin}${u.pathname.replace(/\/+$/, '')}`;
    });
