import type postgres from 'postgres';

/**
 * Two database roles (README "Database roles"): the owner runs migrations and owns every object;
 * the application connects as a role that owns nothing and may only read and append to the
 * audit trail. A role that owns a table may disable its triggers, so the append-only rule holds
 * against the application only when the application is not the owner.
 */
export interface LoginRole {
  name: string;
  password: string;
}

/** The schemas whose objects belong to the owner: ours, drizzle's journal, graphile-worker's. */
export const OWNED_SCHEMAS = ['public', 'drizzle', 'graphile_worker'] as const;

/**
 * What the application role may do, applied by the owner after every migration (so new tables
 * are covered without anyone remembering). Idempotent; one transaction, so the application never
 * sees the audit table with more than INSERT and SELECT.
 */
export const APP_GRANTS = [
  'grant usage on schema public to :app',
  'grant select, insert, update, delete on all tables in schema public to :app',
  'grant usage, select on all sequences in schema public to :app',
  // Evidence: appended and read, never changed. The chain is written by the owner's functions only.
  'revoke all on audit_events, audit_chain, audit_chain_heads, audit_pending from :app',
  'grant select, insert on audit_events to :app',
  'grant select on audit_chain, audit_chain_heads, audit_pending to :app',
  // To tell whether the schema is current before serving (it never migrates itself).
  'grant usage on schema drizzle to :app',
  'grant select on drizzle.__drizzle_migrations to :app',
  // graphile-worker: the app runs jobs (claims, completes, reschedules, adds) but its schema is the owner's.
  'grant usage on schema graphile_worker to :app',
  'grant select, insert, update, delete on all tables in schema graphile_worker to :app',
  'revoke insert, update, delete on graphile_worker.migrations from :app',
  'grant usage, select, update on all sequences in schema graphile_worker to :app',
  'grant execute on all functions in schema graphile_worker to :app',
  // graphile-worker turns on row-level security for its tables and adds no policy: it expects to
  // run as their owner. One policy per table lets the application role see and change every row.
  `do $$
   declare r record;
   begin
     for r in select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
               where n.nspname = 'graphile_worker' and c.relkind in ('r', 'p') and c.relrowsecurity
                 and not exists (select 1 from pg_policy p where p.polrelid = c.oid and p.polname = :appLiteral) loop
       execute format('create policy %I on graphile_worker.%I for all to %I using (true) with check (true)', :appLiteral, r.relname, :appLiteral);
     end loop;
   end $$`,
] as const;

/** Applies APP_GRANTS for `appRole`, on a connection of the owner (inside its transaction). */
export async function grantAppAccess(owner: postgres.Sql | postgres.TransactionSql, appRole: string): Promise<void> {
  const [me] = await owner<{ user: string }[]>`select current_user as user`;
  if (me?.user === appRole) throw new Error(`the application role "${appRole}" is the migrations owner; use two different roles (README "Database roles")`);
  const app = quoteIdent(appRole);
  for (const statement of APP_GRANTS) await owner.unsafe(statement.replaceAll(':appLiteral', quoteLiteral(appRole)).replaceAll(':app', app));
}

export interface AuditProtection {
  /** True when the connected role can neither change audit events nor disable the trigger that refuses it. */
  protected: boolean;
  role: string;
  /** Why not, for a warning. */
  problem?: string;
  /** The schema was never migrated. */
  missing?: boolean;
}

/** Whether the connected role could rewrite the audit trail (owns it, is a superuser, or may UPDATE/DELETE/TRUNCATE). */
export async function auditProtection(sql: postgres.Sql): Promise<AuditProtection> {
  const [row] = await sql<{ role: string; superuser: boolean; exists: boolean; owner: boolean | null; writes: boolean | null }[]>`
    select current_user as role, c.oid is not null as exists,
           (select rolsuper from pg_roles where rolname = current_user) as superuser,
           pg_has_role(current_user, c.relowner, 'USAGE') as owner,
           has_table_privilege(c.oid, 'UPDATE, DELETE, TRUNCATE') as writes
      from (select 1) one left join pg_class c on c.oid = to_regclass('public.audit_events')`;
  const role = row?.role ?? 'unknown';
  if (!row?.exists) return { protected: false, role, missing: true, problem: 'audit_events does not exist yet (the schema was never migrated)' };
  if (row.superuser) return { protected: false, role, problem: `the role "${role}" is a superuser` };
  if (row.owner) return { protected: false, role, problem: `the role "${role}" owns audit_events (it may disable the trigger that refuses changes)` };
  if (row.writes) return { protected: false, role, problem: `the role "${role}" may UPDATE, DELETE or TRUNCATE audit_events` };
  return { protected: true, role };
}

/**
 * As a superuser: the two login roles exist with these passwords (created or updated), neither
 * may create roles or databases, and `database` belongs to the owner together with everything in
 * OWNED_SCHEMAS (a database migrated before the roles existed is handed over once). Safe when
 * several processes do it at once.
 */
export async function setUpRoles(admin: postgres.Sql, database: string, roles: { owner: LoginRole; app: LoginRole }): Promise<void> {
  for (const role of [roles.owner, roles.app]) await ensureLoginRole(admin, role);
  const owner = quoteIdent(roles.owner.name);
  const [db] = await admin<{ owner: string }[]>`select r.rolname as owner from pg_database d join pg_roles r on r.oid = d.datdba where d.datname = ${database}`;
  if (!db) {
    await admin.unsafe(`create database ${quoteIdent(database)} owner ${owner}`).catch((err: { code?: string }) => {
      if (err.code !== '42P04') throw err; // created by another process meanwhile
    });
  } else if (db.owner !== roles.owner.name) await admin.unsafe(`alter database ${quoteIdent(database)} owner to ${owner}`);
}

async function ensureLoginRole(admin: postgres.Sql, role: LoginRole): Promise<void> {
  const ident = quoteIdent(role.name);
  const options = `login nosuperuser nocreatedb nocreaterole noreplication nobypassrls password ${quoteLiteral(role.password)}`;
  // Roles belong to the whole server: another process may create or alter the same one at the
  // same moment ("already exists", "tuple concurrently updated"); the next attempt settles it.
  for (let attempt = 1; ; attempt++) {
    try {
      const [exists] = await admin`select 1 from pg_roles where rolname = ${role.name}`;
      await admin.unsafe(`${exists ? 'alter' : 'create'} role ${ident} with ${options}`);
      return;
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (attempt >= 5 || !['42710', 'XX000', '40001'].includes(code ?? '')) throw err;
      await new Promise((r) => setTimeout(r, 20 * attempt));
    }
  }
}

/**
 * As a superuser connected to the database: every table, view, sequence, function and type in
 * OWNED_SCHEMAS, and those schemas, belong to `owner`. For databases migrated by the superuser
 * before the owner role existed; a no-op afterwards.
 */
export async function adoptObjects(admin: postgres.Sql, owner: string): Promise<void> {
  await admin.unsafe(`
    do $$
    declare
      r record;
      target oid := (select oid from pg_roles where rolname = ${quoteLiteral(owner)});
      schemas text[] := array[${OWNED_SCHEMAS.map(quoteLiteral).join(', ')}];
    begin
      for r in select n.nspname from pg_namespace n where n.nspname = any(schemas) and n.nspname <> 'public' and n.nspowner <> target loop
        execute format('alter schema %I owner to %I', r.nspname, ${quoteLiteral(owner)});
      end loop;
      -- Sequences owned by a column follow their table.
      for r in select n.nspname, c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
                where n.nspname = any(schemas) and c.relowner <> target and c.relkind in ('r', 'p', 'v', 'm', 'S')
                  and not (c.relkind = 'S' and exists (select 1 from pg_depend d where d.objid = c.oid and d.deptype in ('a', 'i'))) loop
        execute format('alter table %I.%I owner to %I', r.nspname, r.relname, ${quoteLiteral(owner)});
      end loop;
      for r in select p.oid::regprocedure as fn from pg_proc p join pg_namespace n on n.oid = p.pronamespace
                where n.nspname = any(schemas) and p.proowner <> target loop
        execute format('alter routine %s owner to %I', r.fn, ${quoteLiteral(owner)});
      end loop;
      for r in select t.oid::regtype as ty from pg_type t join pg_namespace n on n.oid = t.typnamespace
                where n.nspname = any(schemas) and t.typowner <> target and t.typtype in ('c', 'e', 'd')
                  and (t.typrelid = 0 or (select relkind from pg_class where oid = t.typrelid) = 'c') loop
        execute format('alter type %s owner to %I', r.ty, ${quoteLiteral(owner)});
      end loop;
    end $$`);
}

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

function quoteLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}
