import { describe, expect, it } from 'vitest';
import { OperationFailed, toProviderError, type ErrorContext } from '../../src/cloud/gcp-firewall/errors.ts';
import { ProviderError } from '../../src/engine/ports.ts';

const ctx: ErrorContext = { action: 'update', project: 'p1', target: 'eg-ssh-v4', credential: 'gcp-prod' };

/** The shape gax 6 gives compute REST errors: gRPC code, HTTP status, clean message (see notes §3.5). */
function gax(code: number, httpStatusCode: number | undefined, message: string) {
  return Object.assign(new Error(message), { code, httpStatusCode });
}

describe('toProviderError', () => {
  it.each([
    [gax(8, 429, 'Rate Limit Exceeded'), 'RATE_LIMITED', true],
    [gax(7, 403, "Quota exceeded for quota metric 'Queries' and limit 'Queries per minute'"), 'RATE_LIMITED', true],
    [gax(14, 503, 'Backend Error'), 'UNAVAILABLE', true],
    [gax(13, 500, 'Internal Error'), 'UNAVAILABLE', true],
    [gax(4, undefined, 'Total timeout of API google.cloud.compute.v1.Firewalls exceeded 2000 milliseconds'), 'TIMEOUT', true],
    [gax(14, undefined, 'request to http://x/ failed, reason: connect ECONNREFUSED 127.0.0.1:1'), 'NETWORK_ERROR', true],
    [Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }), 'NETWORK_ERROR', true],
    [gax(3, 400, "The resource 'projects/p1/global/firewalls/eg-ssh-v4' is not ready"), 'RESOURCE_NOT_READY', true],
    [gax(10, 409, "The resource 'projects/p1/global/firewalls/eg-ssh-v4' already exists"), 'CONFLICT', true],
    [gax(16, 401, 'Request had invalid authentication credentials.'), 'UNAUTHENTICATED', false],
    [gax(7, 403, "Required 'compute.firewalls.update' permission for 'projects/p1/global/firewalls/eg-ssh-v4'"), 'PERMISSION_DENIED', false],
    [gax(7, 403, "Quota 'FIREWALLS' exceeded.  Limit: 200.0 globally."), 'QUOTA_EXCEEDED', false],
    [gax(5, 404, "The resource 'projects/p1/global/networks/prod' was not found"), 'NETWORK_NOT_FOUND', false],
    [gax(5, 404, "The resource 'projects/p1' was not found"), 'NOT_FOUND', false],
    [gax(5, 404, "The resource 'projects/p1/global/firewalls/eg-ssh-v4' was not found"), 'RULE_NOT_FOUND', true],
    [gax(3, 400, "Invalid value for field 'resource.sourceRanges[0]': '1.2.3.4/33'."), 'INVALID_REQUEST', false],
    [Object.assign(new Error('invalid_grant: Invalid JWT Signature.'), { status: 400 }), 'CREDENTIAL_REJECTED', false],
    [new OperationFailed([{ code: 'QUOTA_EXCEEDED', message: "Quota 'FIREWALLS' exceeded." }], 403), 'QUOTA_EXCEEDED', false],
    [new OperationFailed([{ code: 'RESOURCE_NOT_READY', message: 'not ready' }], 400), 'RESOURCE_NOT_READY', true],
    [new OperationFailed([{ code: 'INTERNAL_ERROR', message: 'Internal error.' }], 500), 'OPERATION_FAILED', true],
    [new OperationFailed([{ code: 'INVALID_FIELD_VALUE', message: 'bad' }], 400), 'OPERATION_FAILED', false],
    [gax(400, undefined, '{"error":{"code":400,"message":"Invalid value for field \'resource.priority\'"}}'), 'INVALID_REQUEST', false],
    [new Error('something odd'), 'UNEXPECTED', true],
  ])('%#: maps to %s', (err, code, retryable) => {
    const mapped = toProviderError(err, ctx);
    expect(mapped).toBeInstanceOf(ProviderError);
    expect(mapped).toMatchObject({ code, retryable });
    // Only a plain summary travels on: no SDK error object (gaxios ones hold the request headers).
    expect(mapped.cause).toBeInstanceOf(Error);
    if (!(err instanceof OperationFailed)) expect(Object.getPrototypeOf(mapped.cause)).toBe(Error.prototype);
    expect(mapped.message.length).toBeGreaterThan(10);
  });

  it('says what to grant and to whom when permission is denied', () => {
    const mapped = toProviderError(gax(7, 403, "Required 'compute.firewalls.create' permission for 'projects/p1/global/firewalls/x'"), ctx);
    expect(mapped.message).toContain("Required 'compute.firewalls.create' permission");
    expect(mapped.message).toContain('credential "gcp-prod"');
    expect(mapped.message).toContain('roles/compute.securityAdmin');
  });

  it('unwraps the raw JSON body older gax versions put in the message', () => {
    const mapped = toProviderError(gax(400, undefined, '{"error":{"code":400,"message":"Invalid value for field \'resource.priority\'"}}'), ctx);
    expect(mapped.message).toContain("Invalid value for field 'resource.priority'");
    expect(mapped.message).not.toContain('{"error"');
  });

  it('passes ProviderErrors through unchanged', () => {
    const original = new ProviderError('FOREIGN_RULE', 'not ours', { retryable: false });
    expect(toProviderError(original, ctx)).toBe(original);
  });
});
