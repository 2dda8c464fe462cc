import { createHash } from 'node:crypto';
import type http from 'node:http';
import type { Duplex } from 'node:stream';

/**
 * The Socket Mode side of the fake Slack: a minimal WebSocket server (RFC 6455 text frames,
 * enough for Slack's envelopes) on the fake's HTTP server. Slack sends `hello`, then envelopes;
 * the app answers each with `{ envelope_id, payload? }`.
 */
export function attachSocketMode(server: http.Server) {
  const sockets = new Set<Duplex>();
  const received: Record<string, unknown>[] = [];
  let waiters: (() => void)[] = [];

  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex) => {
    const key = req.headers['sec-websocket-key'];
    if (!key) return socket.destroy();
    const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
    sockets.add(socket);
    let buffer = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      for (let frame = readFrame(buffer); frame; frame = readFrame(buffer)) {
        buffer = buffer.subarray(frame.length);
        if (frame.opcode === 0x8) return socket.end();
        if (frame.opcode === 0x9) socket.write(encodeFrame(frame.payload, 0xa)); // ping → pong
        if (frame.opcode === 0x1) {
          received.push(JSON.parse(frame.payload.toString('utf8')) as Record<string, unknown>);
          waiters.forEach((w) => w());
          waiters = [];
        }
      }
    });
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => sockets.delete(socket));
    send(socket, { type: 'hello', num_connections: 1, debug_info: { host: 'fake' }, connection_info: { app_id: 'A444' } });
  });

  const send = (socket: Duplex, msg: unknown) => socket.write(encodeFrame(Buffer.from(JSON.stringify(msg)), 0x1));

  return {
    connected: () => sockets.size,
    /** Frames the app sent (acks), oldest first. */
    received,
    /** Delivers an envelope to every connected app. */
    deliver: (envelope: Record<string, unknown>) => sockets.forEach((s) => send(s, envelope)),
    async waitFor(pred: (m: Record<string, unknown>) => boolean, ms = 5000) {
      const end = Date.now() + ms;
      while (!received.some(pred)) {
        if (Date.now() > end) throw new Error(`no such Socket Mode frame; got ${JSON.stringify(received)}`);
        await new Promise<void>((r) => {
          waiters.push(r);
          setTimeout(r, 50);
        });
      }
      return received.find(pred)!;
    },
    closeAll: () => sockets.forEach((s) => s.destroy()),
  };
}

function readFrame(buf: Buffer): { opcode: number; payload: Buffer; length: number } | undefined {
  if (buf.length < 2) return undefined;
  const opcode = buf[0]! & 0x0f;
  const masked = (buf[1]! & 0x80) !== 0;
  let len = buf[1]! & 0x7f;
  let offset = 2;
  if (len === 126) {
    if (buf.length < 4) return undefined;
    len = buf.readUInt16BE(2);
    offset = 4;
  } else if (len === 127) {
    if (buf.length < 10) return undefined;
    len = Number(buf.readBigUInt64BE(2));
    offset = 10;
  }
  const maskLen = masked ? 4 : 0;
  if (buf.length < offset + maskLen + len) return undefined;
  const mask = buf.subarray(offset, offset + maskLen);
  const payload = Buffer.from(buf.subarray(offset + maskLen, offset + maskLen + len));
  if (masked) for (let i = 0; i < payload.length; i++) payload[i] = payload[i]! ^ mask[i % 4]!;
  return { opcode, payload, length: offset + maskLen + len };
}

function encodeFrame(payload: Buffer, opcode: number): Buffer {
  const head =
    payload.length < 126
      ? Buffer.from([0x80 | opcode, payload.length])
      : Buffer.from([0x80 | opcode, 126, payload.length >> 8, payload.length & 0xff]);
  if (payload.length > 0xffff) throw new Error('frame too large for this fake');
  return Buffer.concat([head, payload]);
}
