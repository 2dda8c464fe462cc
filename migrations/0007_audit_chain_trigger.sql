-- A tamper-evident audit trail: every event gets a link in audit_chain, chained to the previous
-- event of its organization (events of no organization form one chain, the zero uuid).
--
-- Canonical encoding (engine/audit-chain.ts repeats it to verify, never trusting this code):
--   'entryguard-audit-v1' followed, for each of seq, id, org_id, at, actor_type, actor_id,
--   actor_label, action, target_type, target_id, result, ip, details, prev_hash, by
--   '|-' for NULL, else '|' || <UTF-8 byte length> || ':' || <value as text>
-- with `at` as UTC 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"' and `details` as jsonb's own text form.
-- hash = lowercase hex sha256 of the UTF-8 bytes of that string.
CREATE FUNCTION audit_field(v text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE
  SET search_path = pg_catalog, pg_temp AS $$
  SELECT CASE WHEN v IS NULL THEN '|-' ELSE '|' || octet_length(convert_to(v, 'UTF8')) || ':' || v END
$$;
--> statement-breakpoint
CREATE FUNCTION audit_event_hash(e audit_events, seq bigint, prev_hash text) RETURNS text LANGUAGE sql STABLE
  SET search_path = pg_catalog, public, pg_temp AS $$
  SELECT encode(sha256(convert_to(
    'entryguard-audit-v1'
      || audit_field(seq::text) || audit_field(e.id::text) || audit_field(e.org_id::text)
      || audit_field(to_char(e.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'))
      || audit_field(e.actor_type) || audit_field(e.actor_id) || audit_field(e.actor_label)
      || audit_field(e.action) || audit_field(e.target_type) || audit_field(e.target_id)
      || audit_field(e.result) || audit_field(e.ip) || audit_field(e.details::text)
      || audit_field(prev_hash),
    'UTF8')), 'hex')
$$;
--> statement-breakpoint
-- Runs as the schema owner (SECURITY DEFINER): the application role may not write links or
-- heads. A deferred constraint trigger runs when the event's transaction commits, so a
-- transaction holds its organization's head row (which orders the chain: two commits are
-- linked one after the other, never both after the same predecessor) only for its commit, not
-- from its audit write on. A REPEATABLE READ transaction that lost that race gets a
-- serialization failure and runs again.
CREATE FUNCTION audit_events_chain() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
  SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  chain uuid := coalesce(NEW.org_id, '00000000-0000-0000-0000-000000000000'::uuid);
  head audit_chain_heads%ROWTYPE;
  link text;
BEGIN
  SELECT * INTO head FROM audit_chain_heads WHERE chain_id = chain FOR UPDATE;
  IF NOT FOUND THEN
    INSERT INTO audit_chain_heads (chain_id, seq) VALUES (chain, 0) ON CONFLICT DO NOTHING;
    SELECT * INTO head FROM audit_chain_heads WHERE chain_id = chain FOR UPDATE;
  END IF;
  link := audit_event_hash(NEW, head.seq + 1, head.hash);
  INSERT INTO audit_chain (event_id, chain_id, seq, prev_hash, hash) VALUES (NEW.id, chain, head.seq + 1, head.hash, link);
  UPDATE audit_chain_heads SET seq = head.seq + 1, hash = link, event_id = NEW.id WHERE chain_id = chain;
  RETURN NULL;
END;
$$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION audit_events_chain() FROM PUBLIC;
--> statement-breakpoint
-- One refusal for both evidence tables.
CREATE OR REPLACE FUNCTION audit_events_refuse_change() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION '% is append-only (% refused)', TG_TABLE_NAME, TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
--> statement-breakpoint
CREATE TRIGGER audit_chain_append_only BEFORE UPDATE OR DELETE ON audit_chain FOR EACH ROW EXECUTE FUNCTION audit_events_refuse_change();
--> statement-breakpoint
CREATE TRIGGER audit_chain_no_truncate BEFORE TRUNCATE ON audit_chain FOR EACH STATEMENT EXECUTE FUNCTION audit_events_refuse_change();
--> statement-breakpoint
-- Events written before the chain existed are linked now, in the order they were written.
DO $$
DECLARE
  r record;
  chain uuid;
  n bigint := 0;
  prev text;
  last_id bigint;
BEGIN
  FOR r IN SELECT e AS ev, coalesce(e.org_id, '00000000-0000-0000-0000-000000000000'::uuid) AS c FROM audit_events e ORDER BY 2, e.id LOOP
    IF chain IS DISTINCT FROM r.c THEN
      IF chain IS NOT NULL THEN
        INSERT INTO audit_chain_heads (chain_id, seq, hash, event_id) VALUES (chain, n, prev, last_id);
      END IF;
      chain := r.c;
      n := 0;
      prev := NULL;
    END IF;
    n := n + 1;
    INSERT INTO audit_chain (event_id, chain_id, seq, prev_hash, hash) VALUES ((r.ev).id, chain, n, prev, audit_event_hash(r.ev, n, prev))
      RETURNING hash INTO prev;
    last_id := (r.ev).id;
  END LOOP;
  IF chain IS NOT NULL THEN
    INSERT INTO audit_chain_heads (chain_id, seq, hash, event_id) VALUES (chain, n, prev, last_id);
  END IF;
END;
$$;
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER audit_events_chain AFTER INSERT ON audit_events DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW EXECUTE FUNCTION audit_events_chain();
