/**
 * Block Kit's limits as Slack enforces them (api.slack.com/reference/block-kit: blocks, block
 * elements, composition objects, surfaces), written out here independently of the app's own
 * constants so a test catches a builder that forgot one. Returns the problems found (empty: valid).
 * The fake Web API answers `invalid_blocks` for any, as Slack does.
 */
type Obj = Record<string, unknown>;

const LIMITS = { messageBlocks: 50, viewBlocks: 100, text: 3000, field: 2000, fields: 10, header: 150, button: 75, value: 2000, url: 3000,
  contextElements: 10, actionsElements: 25, optionText: 75, optionValue: 150, options: 100, blockId: 255, actionId: 255, title: 24, label: 2000, placeholder: 150, fallbackText: 40_000 };

const len = (s: unknown) => (typeof s === 'string' ? [...s].length : 0);
const textOf = (t: unknown) => (t && typeof t === 'object' ? (t as Obj).text : undefined);

export function blockKitProblems(surface: { text?: unknown; blocks?: unknown; type?: unknown; title?: unknown; submit?: unknown; close?: unknown }): string[] {
  const out: string[] = [];
  const over = (what: string, s: unknown, max: number) => {
    if (len(s) > max) out.push(`${what}: ${len(s)} > ${max}`);
  };
  const isView = surface.type === 'modal' || surface.type === 'home';
  const blocks = Array.isArray(surface.blocks) ? (surface.blocks as Obj[]) : [];
  if (!isView) over('message text', surface.text, LIMITS.fallbackText);
  if (blocks.length > (isView ? LIMITS.viewBlocks : LIMITS.messageBlocks)) out.push(`blocks: ${blocks.length}`);
  if (isView) for (const k of ['title', 'submit', 'close'] as const) over(`view ${k}`, textOf(surface[k]), LIMITS.title);
  const ids = new Set<string>();
  blocks.forEach((b, i) => {
    const at = `block ${i} (${String(b.type)})`;
    if (typeof b.block_id === 'string') {
      over(`${at} block_id`, b.block_id, LIMITS.blockId);
      if (ids.has(b.block_id)) out.push(`${at}: duplicate block_id ${b.block_id}`);
      ids.add(b.block_id);
    }
    switch (b.type) {
      case 'section': {
        if (!b.text && !b.fields) out.push(`${at}: neither text nor fields`);
        if (b.text && len(textOf(b.text)) === 0) out.push(`${at}: empty text`);
        over(`${at} text`, textOf(b.text), LIMITS.text);
        const fields = (b.fields as unknown[] | undefined) ?? [];
        if (fields.length > LIMITS.fields) out.push(`${at}: ${fields.length} fields`);
        fields.forEach((f, j) => over(`${at} field ${j}`, textOf(f), LIMITS.field));
        if (b.accessory) element(`${at} accessory`, b.accessory as Obj);
        break;
      }
      case 'header':
        over(`${at} text`, textOf(b.text), LIMITS.header);
        break;
      case 'context': {
        const els = (b.elements as Obj[] | undefined) ?? [];
        if (els.length === 0 || els.length > LIMITS.contextElements) out.push(`${at}: ${els.length} elements`);
        els.forEach((e, j) => over(`${at} element ${j}`, e.text, LIMITS.text));
        break;
      }
      case 'actions': {
        const els = (b.elements as Obj[] | undefined) ?? [];
        if (els.length === 0 || els.length > LIMITS.actionsElements) out.push(`${at}: ${els.length} elements`);
        els.forEach((e, j) => element(`${at} element ${j}`, e));
        break;
      }
      case 'input':
        over(`${at} label`, textOf(b.label), LIMITS.label);
        if (b.element) element(`${at} element`, b.element as Obj);
        break;
      case 'divider':
        break;
      default:
        out.push(`${at}: unexpected block type`);
    }
  });
  function element(at: string, e: Obj) {
    if (typeof e.action_id === 'string') over(`${at} action_id`, e.action_id, LIMITS.actionId);
    if (e.type === 'button') {
      over(`${at} text`, textOf(e.text), LIMITS.button);
      over(`${at} value`, e.value, LIMITS.value);
      over(`${at} url`, e.url, LIMITS.url);
      if (e.confirm) {
        const c = e.confirm as Obj;
        over(`${at} confirm title`, textOf(c.title), 100);
        over(`${at} confirm text`, textOf(c.text), 300);
        over(`${at} confirm button`, textOf(c.confirm), 30);
        over(`${at} deny button`, textOf(c.deny), 30);
      }
    }
    if (e.type === 'static_select' || e.type === 'radio_buttons') {
      const options = (e.options as Obj[] | undefined) ?? [];
      if (options.length === 0 || options.length > LIMITS.options) out.push(`${at}: ${options.length} options`);
      options.forEach((o, j) => {
        over(`${at} option ${j} text`, textOf(o.text), LIMITS.optionText);
        over(`${at} option ${j} value`, o.value, LIMITS.optionValue);
      });
      over(`${at} placeholder`, textOf(e.placeholder), LIMITS.placeholder);
    }
    if (e.type === 'plain_text_input') over(`${at} placeholder`, textOf(e.placeholder), LIMITS.placeholder);
  }
  return out;
}
