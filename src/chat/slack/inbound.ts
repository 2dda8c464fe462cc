import { z } from 'zod';

/** What Slack POSTs: form fields (slash commands), a form `payload` of JSON (interactivity), or JSON (events). */
export type SlackBody = Record<string, unknown> & { type?: unknown; challenge?: unknown };

/**
 * Parses a verified request body. Returns undefined for anything unreadable (answered 400).
 * Content types are compared by their media type only, so `; charset=utf-8` is accepted too.
 */
export function parseSlackBody(contentType: string | undefined, raw: string): SlackBody | undefined {
  const media = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  try {
    if (media === 'application/json') return asObject(JSON.parse(raw));
    if (media !== 'application/x-www-form-urlencoded') return undefined;
    const form = Object.fromEntries(new URLSearchParams(raw));
    return typeof form.payload === 'string' ? asObject(JSON.parse(form.payload)) : form;
  } catch {
    return undefined;
  }
}

const asObject = (v: unknown): SlackBody | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as SlackBody) : undefined);

const Interaction = z.object({
  trigger_id: z.string().optional(),
  user: z.object({ id: z.string() }).optional(),
  actions: z.array(z.object({ action_id: z.string(), action_ts: z.string().optional() })).optional(),
});

/**
 * Identifies one user interaction across Slack's retries of it: a command by its trigger id, a
 * click by user + action + action_ts. Two clicks are two keys (the engine makes them safe); a
 * retry of one is the same key.
 */
export function replayKey(body: SlackBody): string | undefined {
  const b = Interaction.safeParse(body);
  if (!b.success) return undefined;
  const action = b.data.actions?.[0];
  if (action?.action_ts && b.data.user) return `action:${b.data.user.id}:${action.action_id}:${action.action_ts}`;
  const trigger = b.data.trigger_id ?? (typeof body.trigger_id === 'string' ? body.trigger_id : undefined);
  return trigger ? `trigger:${trigger}` : undefined;
}
