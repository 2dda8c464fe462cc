import net from 'node:net';

/**
 * Tests talk to nothing but 127.0.0.1 / ::1. Every TCP connection (node:http, undici's fetch, the
 * SDKs, Postgres) goes through net.Socket#connect, so guarding it catches them all. Credential
 * chains must never reach a cloud metadata address either.
 */
process.env.AWS_EC2_METADATA_DISABLED = 'true';
process.env.NO_GCE_CHECK = 'true';
process.env.METADATA_SERVER_DETECTION = 'none';

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost', '::ffff:127.0.0.1']);
const original = net.Socket.prototype.connect;

net.Socket.prototype.connect = function guardedConnect(this: net.Socket, ...args: unknown[]) {
  const first = args[0];
  const opts = (Array.isArray(first) ? first[0] : first) as { host?: string; path?: string; port?: number } | number | string;
  let host: string | undefined;
  if (typeof opts === 'object' && opts !== null) host = opts.path ? undefined : (opts.host ?? 'localhost');
  else if (typeof opts === 'number') host = typeof args[1] === 'string' ? args[1] : 'localhost';
  if (host !== undefined && !LOOPBACK.has(host) && !host.startsWith('127.')) {
    throw new Error(`test tried to connect to ${host}: only loopback connections are allowed in tests`);
  }
  return (original as (...a: unknown[]) => net.Socket).apply(this, args);
} as typeof net.Socket.prototype.connect;
