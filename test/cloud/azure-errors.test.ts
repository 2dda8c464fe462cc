import { describe, expect, it } from 'vitest';
import { toProviderError } from '../../src/cloud/azure-nsg/errors.ts';
import { ProviderError } from '../../src/engine/ports.ts';

/** The one mapping function, fed the shapes the SDK really throws (see notes/cloud-fakes.md §2.3). */

const ctx = { nsg: 'rg-prod/nsg-web', action: 'write rule entryguard-x-tcp-v4' };
const rest = (statusCode: number, code: string, message = 'msg') =>
  Object.assign(new Error(message), { name: 'RestError', statusCode, code });

describe('toProviderError', () => {
  it.each([
    [rest(429, 'TooManyRequests'), 'THROTTLED', true],
    [rest(409, 'AnotherOperationInProgress'), 'CONFLICT', true],
    [rest(409, 'SomethingElse'), 'CONFLICT', true],
    [rest(503, 'ServiceUnavailable'), 'UNAVAILABLE', true],
    [rest(500, 'Whatever'), 'UNAVAILABLE', true],
    [rest(401, 'InvalidAuthenticationToken'), 'AUTH_FAILED', false],
    [rest(403, 'AuthorizationFailed'), 'FORBIDDEN', false],
    [rest(403, 'LinkedAuthorizationFailed'), 'FORBIDDEN', false],
    [rest(404, 'ResourceNotFound'), 'NOT_FOUND', false],
    [rest(404, 'ResourceGroupNotFound'), 'NOT_FOUND', false],
    [rest(400, 'SecurityRuleCountLimitReached'), 'QUOTA_EXCEEDED', false],
    [rest(400, 'SecurityRuleAddressesOrPortsPerSecurityGroupLimitReached'), 'QUOTA_EXCEEDED', false],
    [rest(400, 'SecurityRulesPerNetworkSecurityGroupLimitReached'), 'QUOTA_EXCEEDED', false],
    [rest(400, 'SomeNewLimitReached'), 'QUOTA_EXCEEDED', false],
    [rest(400, 'SecurityRuleConflict'), 'PRIORITY_CONFLICT', false],
    [rest(400, 'SecurityRuleInvalidAddressPrefix'), 'INVALID_RULE', false],
    [rest(400, 'ResourceCannotContainAddressPrefixesFromDifferentAddressFamilies'), 'INVALID_RULE', false],
    [rest(400, 'InvalidRequestFormat'), 'INVALID_RULE', false],
  ])('maps %s', (err, code, retryable) => {
    expect(toProviderError(err, ctx)).toMatchObject({ code, retryable });
  });

  it('reads the ARM code out of a failed long-running operation', () => {
    const transient = new Error('The long-running operation has failed. InternalServerError. An error occurred.');
    expect(toProviderError(transient, ctx)).toMatchObject({ code: 'UNAVAILABLE', retryable: true });
    const conflict = new Error('The long-running operation has failed. AnotherOperationInProgress. Another operation is in progress.');
    expect(toProviderError(conflict, ctx)).toMatchObject({ code: 'CONFLICT', retryable: true });
    const quota = new Error('The long-running operation has failed. SecurityRuleCountLimitReached. A security group cannot have more than 1000 security rules.');
    expect(toProviderError(quota, ctx)).toMatchObject({ code: 'QUOTA_EXCEEDED', retryable: false });
    expect(toProviderError(quota, ctx).message).toContain('1000 security rules');
  });

  it('maps timeouts, network and TLS failures', () => {
    const abort = Object.assign(new Error('The operation was aborted.'), { name: 'AbortError' });
    expect(toProviderError(abort, ctx)).toMatchObject({ code: 'TIMEOUT', retryable: true });
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { name: 'RestError', code: 'ECONNREFUSED' });
    expect(toProviderError(refused, ctx)).toMatchObject({ code: 'NETWORK_ERROR', retryable: true });
    const tls = Object.assign(new Error('self-signed certificate'), { name: 'RestError', code: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
    expect(toProviderError(tls, ctx)).toMatchObject({ code: 'TLS_ERROR', retryable: false });
  });

  it('maps Entra ID failures: rejected credentials are permanent, an unreachable authority is not', () => {
    const wrong = Object.assign(new Error('invalid_client: ... Description: AADSTS7000215: Invalid client secret provided. Trace ID: 1'), {
      name: 'AuthenticationRequiredError',
      cause: { status: 401 },
    });
    const mapped = toProviderError(wrong, ctx);
    expect(mapped).toMatchObject({ code: 'AUTH_FAILED', retryable: false });
    expect(mapped.message).toContain('AADSTS7000215: Invalid client secret provided.');
    const down = Object.assign(new Error('endpoints_resolution_error: see …'), { name: 'CredentialUnavailableError' });
    expect(toProviderError(down, ctx)).toMatchObject({ code: 'AUTH_UNAVAILABLE', retryable: true });
    const none = Object.assign(new Error('DefaultAzureCredential failed to retrieve a token'), { name: 'CredentialUnavailableError' });
    expect(toProviderError(none, ctx)).toMatchObject({ code: 'CREDENTIAL_UNAVAILABLE', retryable: false });
  });

  it('writes a message an admin can act on, and passes ProviderErrors through', () => {
    const e = toProviderError(rest(403, 'AuthorizationFailed', "The client 'abc' does not have authorization to perform action 'Microsoft.Network/networkSecurityGroups/securityRules/write'"), ctx);
    expect(e.message).toContain('rg-prod/nsg-web');
    expect(e.message).toContain('securityRules/write');
    expect(e.message).toContain('README');
    expect(e.cause).toBeUndefined(); // no SDK object leaves cloud/
    const own = new ProviderError('QUOTA_EXCEEDED', 'x', { retryable: false });
    expect(toProviderError(own, ctx)).toBe(own);
    expect(toProviderError(rest(400, 'toString'), ctx)).toMatchObject({ code: 'INVALID_RULE' });
  });
});
