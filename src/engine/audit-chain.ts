import { createHash } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { Db, DbOrTx } from '../db/client.ts';

/** The chain of events that belong to no organization (startup, CLI). */
export const NO_ORG_CHAIN = '00000000-0000-0000-0000-000000000000';

/** One link of a chain with its event's fields, each as Postgres renders it to text (see LINK_COLUMNS); `id` null when the event is gone. */
export interface ChainedEvent {
  eventId: string;
  seq: string;
  prevHash: string | null;
  hash: string;
  id: string | null;
  orgId: string | null;
  at: string;
  actorType: string;
  actorId: string | null;
  actorLabel: string | null;
  action: string;
  targetType: string | null;
  targetId: string | null;
  result: string;
  ip: string | null;
  details: string;
}

/**
 * The canonical encoding, the same as the trigger's in migrations/0007_audit_chain_trigger.sql
 * and computed here again so that verification never trusts code stored in the database:
 * 'entryguard-audit-v1', then per field '|-' for null or '|<UTF-8 byte length>:<text>'.
 */
export function auditEventHash(e: Omit<ChainedEvent, 'hash' | 'eventId'>): string {
  const field = (v: string | null) => (v === null ? '|-' : `|${Buffer.byteLength(v, 'utf8')}:${v}`);
  const fields = [e.seq, e.id, e.orgId, e.at, e.actorType, e.actorId, e.actorLabel, e.action, e.targetType, e.targetId, e.result, e.ip, e.details, e.prevHash];
  return createHash('sha256').update(`entryguard-audit-v1${fields.map(field).join('')}`, 'utf8').digest('hex');
}

/** A link and its event as text, in the forms the encoding takes (`at` in UTC with microseconds, jsonb's own text). */
const LINK_COLUMNS = sql.raw(`l.event_id::text as "eventId", l.seq::text as "seq", l.prev_hash as "prevHash", l.hash,
  e.id::text as "id", e.org_id::text as "orgId", to_char(e.at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as "at",
  e.actor_type as "actorType", e.actor_id as "actorId", e.actor_label as "actorLabel", e.action, e.target_type as "targetType",
  e.target_id as "targetId", e.result, e.ip, e.details::text as "details"`);

export interface ChainBreak {
  /** The first event that does not fit (null when the chain's end is what is wrong). */
  eventId: string | null;
  seq: number | null;
  problem: string;
}

export interface ChainReport {
  /** An organization id, or NO_ORG_CHAIN. */
  chainId: string;
  events: number;
  /** The hash of the last link read, to record elsewhere and compare later. */
  headHash: string | null;
  broken?: ChainBreak;
}

const BATCH = 1000;
/** An event may wait this long to be sealed into its chain before verify calls it broken. */
export const SEAL_GRACE_SECONDS = 300;

/**
 * Links the events written since the last call into their chains (the database's audit_seal(),
 * run as the schema owner) and returns how many. Every worker runs it every second; it is safe to
 * run anywhere, any number of times at once. Sealing after the commit, not during it, is what
 * lets the transactions of one organization commit side by side.
 */
export async function sealAuditEvents(db: DbOrTx, maxEvents = 10_000): Promise<number> {
  const [row] = await db.execute<{ n: number }>(sql`select audit_seal(${maxEvents}::int) as n`);
  return Number(row?.n ?? 0);
}

/**
 * Reads one organization's chain in order, on one snapshot (events committing meanwhile are
 * not half seen), and reports its first broken link: an event changed after it was written (its
 * content no longer matches its hash), removed (its link remains, or a gap in the sequence), a
 * link that does not follow its predecessor, a chain that ends before its recorded head, or an
 * event with no link at all (inserted outside EntryGuard). Read-only.
 */
export async function verifyAuditChain(db: Db, chainId: string, opts: { batch?: number } = {}): Promise<ChainReport> {
  return db.transaction((tx) => verifyInSnapshot(tx, chainId, opts.batch ?? BATCH), { isolationLevel: 'repeatable read', accessMode: 'read only' });
}

async function verifyInSnapshot(tx: DbOrTx, chainId: string, batch: number): Promise<ChainReport> {
  let prev: ChainedEvent | undefined;
  let events = 0;
  for (;;) {
    const after = prev ? sql`and l.seq > ${prev.seq}::bigint` : sql``;
    const rows = await tx.execute<ChainedEvent & Record<string, unknown>>(
      sql`select ${LINK_COLUMNS} from audit_chain l left join audit_events e on e.id = l.event_id where l.chain_id = ${chainId}::uuid ${after} order by l.seq limit ${batch}`,
    );
    for (const link of rows) {
      events++;
      const problem = linkProblem(prev, link);
      if (problem) return { chainId, events, headHash: prev?.hash ?? null, broken: { eventId: link.eventId, seq: Number(link.seq), problem } };
      prev = link;
    }
    if (rows.length < batch) break;
  }
  const report: ChainReport = { chainId, events, headHash: prev?.hash ?? null };
  const broken = (await endProblem(tx, chainId, prev)) ?? (await unlinkedEvent(tx, chainId));
  return broken ? { ...report, broken } : report;
}

/** Why `link` does not follow `prev` in a chain, or undefined when it does. */
function linkProblem(prev: ChainedEvent | undefined, link: ChainedEvent): string | undefined {
  const expected = prev ? Number(prev.seq) + 1 : 1;
  const seq = Number(link.seq);
  if (seq > expected) {
    const missing = seq - expected === 1 ? `seq ${expected} is` : `seq ${expected} to ${seq - 1} are`;
    return `event ${link.eventId} has seq ${seq}: ${missing} missing before it (removed)`;
  }
  if (seq < expected) return `event ${link.eventId} repeats seq ${seq} of event ${prev?.eventId}: one of them was inserted outside EntryGuard`;
  if (link.id === null) return `event ${link.eventId} (seq ${seq}) was removed: its link remains`;
  if (link.prevHash !== (prev?.hash ?? null)) {
    return `event ${link.eventId} does not link to ${prev ? `event ${prev.eventId}` : 'the start of the chain'}: its prev_hash differs from that link's hash (a link before it was replaced)`;
  }
  const { hash, eventId: _eventId, ...content } = link;
  if (auditEventHash(content) !== hash) return `event ${link.eventId} was changed after it was written: its content no longer matches its hash`;
  return undefined;
}

/** The chain must end where EntryGuard last wrote it. */
async function endProblem(tx: DbOrTx, chainId: string, last: ChainedEvent | undefined): Promise<ChainBreak | undefined> {
  const [head] = await tx.execute<{ seq: string; hash: string | null; eventId: string | null }>(
    sql`select seq::text as "seq", hash, event_id::text as "eventId" from audit_chain_heads where chain_id = ${chainId}::uuid`,
  );
  const lastSeq = last ? Number(last.seq) : 0;
  if (!head) return last ? { eventId: null, seq: null, problem: 'the chain has links but no recorded head (written outside EntryGuard)' } : undefined;
  if (Number(head.seq) > lastSeq) {
    return { eventId: head.eventId, seq: Number(head.seq), problem: `the chain ends at seq ${lastSeq} but EntryGuard last wrote seq ${head.seq} (event ${head.eventId}): events at its end were removed` };
  }
  if (Number(head.seq) < lastSeq || head.hash !== (last?.hash ?? null)) {
    return { eventId: last?.eventId ?? null, seq: lastSeq, problem: `the chain's last link does not match the head EntryGuard recorded (seq ${head.seq}, event ${head.eventId}): links were appended or replaced outside EntryGuard` };
  }
  return undefined;
}

/**
 * An event of this chain without a link was never chained by EntryGuard (or its link was
 * removed) — unless it is waiting to be sealed, which it may do for SEAL_GRACE_SECONDS.
 */
async function unlinkedEvent(tx: DbOrTx, chainId: string): Promise<ChainBreak | undefined> {
  const inChain = chainId === NO_ORG_CHAIN ? sql`e.org_id is null` : sql`e.org_id = ${chainId}::uuid`;
  const [row] = await tx.execute<{ id: string; pending: boolean }>(
    sql`select e.id::text as id, exists (select 1 from audit_pending p where p.event_id = e.id) as pending from audit_events e
        where ${inChain} and not exists (select 1 from audit_chain l where l.event_id = e.id)
          and not (e.at > now() - make_interval(secs => ${SEAL_GRACE_SECONDS}) and exists (select 1 from audit_pending p where p.event_id = e.id))
        order by e.id limit 1`,
  );
  if (!row) return undefined;
  const problem = row.pending
    ? `event ${row.id} was never sealed into the chain (waiting for over ${SEAL_GRACE_SECONDS / 60} minutes: is any worker running?)`
    : `event ${row.id} is not in the chain: it was inserted outside EntryGuard`;
  return { eventId: row.id, seq: null, problem };
}

/** Every chain (or one organization's), with the organizations that have none left out. */
export async function listAuditChains(db: DbOrTx, opts: { orgId?: string | undefined } = {}): Promise<string[]> {
  if (opts.orgId) return [opts.orgId];
  const rows = await db.execute<{ chain: string }>(sql`
    select chain_id::text as chain from audit_chain_heads
    union select distinct coalesce(org_id, ${NO_ORG_CHAIN}::uuid)::text from audit_events
    order by 1`);
  return rows.map((r) => r.chain);
}
