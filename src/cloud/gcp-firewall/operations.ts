import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { protos } from '@google-cloud/compute';
import { ProviderError } from '../../engine/ports.ts';
import { withFreshToken, type GcpClients } from './clients.ts';
import { OperationFailed, toProviderError, type ErrorContext } from './errors.ts';

export type Operation = protos.google.cloud.compute.v1.IOperation;

export interface GcpSettings {
  /** Deadline of one API request (reads are retried by the SDK inside it). */
  timeoutMs: number;
  /** How long one mutation's operation may run before the call gives up (retryable). */
  operationTimeoutMs: number;
  /** First backoff step for in-call retries; doubles each time. */
  retryDelayMs: number;
  /** Attempts of one family's read-plan-write cycle when the rule is busy or changed underneath. */
  maxAttempts: number;
}

/** Failures after which re-sending the very same request is safe and useful: the requestId dedupes it. */
const TRANSPORT = new Set(['UNAVAILABLE', 'NETWORK_ERROR', 'TIMEOUT']);
const RESENDS = 2;

/**
 * Sends one insert/patch/delete under a fresh requestId and waits for its operation. If the
 * request fails in transport (5xx, reset, timeout) it may still have been applied, so it is sent
 * again with the SAME requestId: Compute Engine then returns the original operation instead of
 * applying the change twice. The SDK itself never retries mutations.
 */
export async function mutate(
  clients: GcpClients,
  settings: GcpSettings,
  ctx: ErrorContext,
  send: (requestId: string, call: { timeout: number }) => Promise<Operation>,
): Promise<Operation> {
  const requestId = randomUUID();
  for (let attempt = 0; ; attempt++) {
    let op: Operation;
    try {
      op = await withFreshToken(clients, () => send(requestId, { timeout: settings.timeoutMs }));
    } catch (err) {
      const mapped = toProviderError(err, ctx);
      if (!TRANSPORT.has(mapped.code) || attempt >= RESENDS) throw mapped;
      await sleep(settings.retryDelayMs * 2 ** attempt);
      continue;
    }
    return waitDone(clients, settings, ctx, op);
  }
}

/**
 * Polls `globalOperations.wait` (which blocks server-side for up to ~2 minutes) until DONE, then
 * surfaces `op.error`: a failed operation does not make `wait` throw.
 */
export async function waitDone(clients: GcpClients, settings: GcpSettings, ctx: ErrorContext, first: Operation): Promise<Operation> {
  const deadline = Date.now() + settings.operationTimeoutMs;
  let op = first;
  let transient = 0;
  while (String(op.status) !== 'DONE') {
    const left = deadline - Date.now();
    if (left <= 0 || !op.name) {
      throw new ProviderError(
        'TIMEOUT',
        `Operation ${op.name ?? '(unnamed)'} on "${ctx.target}" was still running after ${Math.round(settings.operationTimeoutMs / 1000)}s; the change will be checked again.`,
        { retryable: true },
      );
    }
    try {
      const name = op.name;
      [op] = await withFreshToken(clients, () => clients.operations.wait({ project: ctx.project, operation: name }, { timeout: left }));
    } catch (err) {
      const mapped = toProviderError(err, { ...ctx, action: 'wait', target: op.name ?? undefined });
      // wait is a read: transport failures are simply polled again while time is left.
      if (!TRANSPORT.has(mapped.code) && mapped.code !== 'RATE_LIMITED') throw mapped;
      await sleep(Math.min(settings.retryDelayMs * 2 ** transient++, Math.max(0, deadline - Date.now())));
    }
  }
  if (op.error?.errors?.length) {
    throw new OperationFailed(op.error.errors, op.httpErrorStatusCode ?? undefined);
  }
  return op;
}
