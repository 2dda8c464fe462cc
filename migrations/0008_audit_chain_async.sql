-- The chain is sealed shortly after commit, not during it. Chaining inside each commit made every
-- transaction of an organization that writes an audit event (every start, stop, extend) wait for
-- the organization's chain head: one commit at a time per organization. Now an insert only notes
-- the event in audit_pending (insert-only, no shared row), and audit_seal(), run by every worker
-- every second and on demand, links the pending events of each chain in id order under the head's
-- lock. Both run as the schema owner (SECURITY DEFINER): the application role can neither write
-- links nor touch audit_pending. An event stays unsealed for about a second; `audit verify`
-- reports one left unsealed for longer as broken.
CREATE TABLE audit_pending (
  event_id bigint PRIMARY KEY,
  chain_id uuid NOT NULL
);
--> statement-breakpoint
CREATE INDEX audit_pending_chain ON audit_pending (chain_id, event_id);
--> statement-breakpoint
DROP TRIGGER audit_events_chain ON audit_events;
--> statement-breakpoint
DROP FUNCTION audit_events_chain();
--> statement-breakpoint
CREATE FUNCTION audit_events_pending() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
  SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
  INSERT INTO audit_pending (event_id, chain_id) VALUES (NEW.id, coalesce(NEW.org_id, '00000000-0000-0000-0000-000000000000'::uuid));
  RETURN NULL;
END;
$$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION audit_events_pending() FROM PUBLIC;
--> statement-breakpoint
CREATE TRIGGER audit_events_pending AFTER INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION audit_events_pending();
--> statement-breakpoint
-- Links up to `max_events` pending events, chain by chain, each chain under its head's lock (two
-- sealers never link the same event or fork a chain). Returns how many it linked.
CREATE FUNCTION audit_seal(max_events int DEFAULT 10000) RETURNS int LANGUAGE plpgsql SECURITY DEFINER
  SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  chain uuid;
  head audit_chain_heads%ROWTYPE;
  ev audit_events;
  link text;
  linked int := 0;
BEGIN
  -- Heads are locked in one order, so two sealers wait for each other but never deadlock.
  FOR chain IN SELECT DISTINCT chain_id FROM audit_pending ORDER BY chain_id LOOP
    EXIT WHEN linked >= max_events;
    INSERT INTO audit_chain_heads (chain_id, seq) VALUES (chain, 0) ON CONFLICT DO NOTHING;
    SELECT * INTO head FROM audit_chain_heads WHERE chain_id = chain FOR UPDATE;
    FOR ev IN
      SELECT e.* FROM audit_pending p JOIN audit_events e ON e.id = p.event_id
      WHERE p.chain_id = chain ORDER BY e.id LIMIT max_events - linked
    LOOP
      link := audit_event_hash(ev, head.seq + 1, head.hash);
      INSERT INTO audit_chain (event_id, chain_id, seq, prev_hash, hash) VALUES (ev.id, chain, head.seq + 1, head.hash, link);
      DELETE FROM audit_pending WHERE event_id = ev.id;
      head.seq := head.seq + 1;
      head.hash := link;
      head.event_id := ev.id;
      linked := linked + 1;
    END LOOP;
    UPDATE audit_chain_heads SET seq = head.seq, hash = head.hash, event_id = head.event_id WHERE chain_id = chain;
  END LOOP;
  RETURN linked;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER audit_pending_no_truncate BEFORE TRUNCATE ON audit_pending FOR EACH STATEMENT EXECUTE FUNCTION audit_events_refuse_change();
