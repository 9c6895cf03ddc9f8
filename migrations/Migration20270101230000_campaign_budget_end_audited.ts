import { Migration } from '@mikro-orm/migrations';
import { rewriteFunctions } from './Migration20261228090000_webhook_fanout';

/**
 * A campaign ended by its budget (BUDGET_SPENT) is audited as its other ends are: a
 * `campaign.end` entry by the system (before ACTIVE, after ENDED with its reason), written by the
 * award that ended it, in that award's transaction, at its instant (the entry's `at` and the
 * campaign's `ended_at` are both the transaction's now()). Only the award whose update found the
 * campaign ACTIVE writes it: concurrent awards the budget also refused find it ENDED and write
 * nothing. Before, an operator saw `campaign.end` for an admin's end and for an end date, and
 * nothing for a spent budget (audit 97).
 */
const ENDS = String.raw`(update campaign set status = 'ENDED', ended_reason = 'BUDGET_SPENT', ended_at = now\(\), updated_at = now\(\)\s+where id = c\.id and status = 'ACTIVE';)`;
const ENTRY = `if found then
              insert into audit_entry (actor, action, entity, entity_id, before, after, at)
                values ('admin:system', 'campaign.end', 'Campaign', c.code, '{"status": "ACTIVE"}', '{"status": "ENDED", "endedReason": "BUDGET_SPENT"}', now());
            end if;`;
const ENDS_AUDITED = String.raw`(update campaign set status = 'ENDED', ended_reason = 'BUDGET_SPENT', ended_at = now\(\), updated_at = now\(\)\s+where id = c\.id and status = 'ACTIVE';)\s+if found then\s+insert into audit_entry \(actor, action, entity, entity_id, before, after, at\)[^;]*;\s+end if;`;

const check = (expected: 'audited' | 'not audited') => `do $$ begin
    if ${expected === 'audited' ? 'not ' : ''}exists (select 1 from pg_proc p join pg_namespace n on n.oid = p.pronamespace
        where n.nspname = current_schema() and p.proname = 'campaign_effects' and p.prosrc like '%''campaign.end''%') then
      raise exception 'campaign_effects is not %', ${expected === 'audited' ? "'audited'" : "'back to unaudited'"};
    end if;
  end $$;`;

export class Migration20270101230000_campaign_budget_end_audited extends Migration {
  override async up(): Promise<void> {
    this.addSql(rewriteFunctions(ENDS, String.raw`\1` + '\n            ' + ENTRY));
    this.addSql(check('audited'));
  }

  override async down(): Promise<void> {
    this.addSql(rewriteFunctions(ENDS_AUDITED, String.raw`\1`));
    this.addSql(check('not audited'));
  }
}
