import { z } from 'zod';

/** The access check ("why can't I connect?") and address changes, as the REST API shows them. */
export const AccessCheckJson = z.object({
  sessionId: z.string(),
  state: z.string().describe('The session state (see Session.state)'),
  expiresAt: z.string().nullable(),
  addresses: z.array(z.string()).describe('Every address (CIDR) the session holds'),
  seen: z.array(z.string()).describe('The address this request came from'),
  newAddresses: z.array(z.string()).describe('Seen addresses the session does not hold: what a move or an add would open'),
  resources: z.array(
    z.object({
      name: z.string(),
      kind: z.string(),
      opens: z.array(z.string()).describe('What the resource opens: "tcp/5432", "udp (all ports)", "all traffic"'),
      repairing: z.boolean().describe('A rule was missing or altered in the cloud; a repair was queued'),
      unreadable: z.string().optional().describe('Why the firewall could not be read right now'),
      rules: z.array(
        z.object({
          cidr: z.string(),
          ipVersion: z.union([z.literal(4), z.literal(6)]),
          state: z.string().describe('What EntryGuard recorded: PENDING, APPLIED, FAILED …'),
          inCloud: z.enum(['present', 'missing', 'altered', 'not-open', 'unknown']).describe('Read live from the cloud just now'),
          problems: z.array(z.string()),
        }),
      ),
    }),
  ),
  verdicts: z.array(
    z.object({
      kind: z.enum(['ok', 'address-changed', 'family-mismatch', 'rule-missing', 'ports', 'not-live', 'cannot-read', 'failed']),
      text: z.string().describe('In plain words, for the person'),
    }),
  ),
});

export const AddressChangeBody = z.strictObject({
  mode: z.enum(['move', 'add']).describe('move: release the session\'s address of this IP family and open this one; add: open this one too'),
});

export const AddressChangeResult = z.object({
  sessionId: z.string(),
  address: z.string().describe('The address now being opened (this request\'s)'),
  released: z.array(z.string()).describe('Addresses let go (removed from the firewalls unless another live session holds them)'),
  addresses: z.array(z.string()),
});
