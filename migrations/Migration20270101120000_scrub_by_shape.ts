import { Migration } from '@mikro-orm/migrations';
import { JSONB_SCRUB as JSONB_SCRUB_BEFORE, TEXT_SCRUB as TEXT_SCRUB_BEFORE } from './Migration20261205120000_member_erasure';
import { CHOOSE_FOLD } from './Migration20261215090000_member_search_fold_forms';

/**
 * An erasure's scrub (`jsonb_scrub`, `text_scrub`) by the shape of what it scrubs.
 *
 * Before, every string of a stored webhook payload or audit entry had each personal value
 * replaced wherever it occurred inside it: a member with externalId `2026` had its events'
 * `occurredAt` turned into `[erased]-12-06T…` and an order id `SO-20261206-0042` into
 * `SO-[erased]1206-0042`, while the ledger kept the order id as it was. And only the value as
 * stored was found: `marta kowalska`, `MARTA@EXAMPLE.COM` or the phone's digits without its
 * spaces stayed in a reason.
 *
 * Now:
 * - `jsonb_scrub`: a string equal to a personal value is null, wherever it is (as before); an
 *   instant or a date, and the value of an identifier's key (`id`, `…Id`, `…Ids`, `…Code`,
 *   `…Tier`, `code`, `type`, `kind`, `status`, `mode`, `reference`, `source`, `fields`,
 *   `endpoint`, `tier`, `reward`, `campaign`, `currency`), is otherwise kept as it is: the ledger keeps those; any other string (a reason,
 *   a name, a note) goes through `text_scrub`.
 * - `text_scrub`: each value is found whatever its case (a letter beyond ASCII too), as a whole word (no letter or digit of
 *   ASCII just before or after it), of 3 characters or more (2 for a value with a character
 *   beyond ASCII: most Chinese names); a value written as digits with separators (a phone, a
 *   date) is found in any grouping of its digits (spaces, dots, dashes, parentheses, a leading
 *   `+` or `(`), its last 8 digits with any of the digits before them.
 */
export const SCRUB_PATTERN = `create or replace function scrub_pattern(v text) returns text language plpgsql immutable as $$
      declare
        d text := regexp_replace(v, '[^0-9]', '', 'g');
        p text := '';
        c text;
        keep int;
      begin
        if v ~ '^[+]?[0-9 ().-]+$' and length(d) >= 7 then
          -- Any grouping of the digits; the last 8 required, any of those before them taken too.
          keep := greatest(length(d) - 8, 0);
          for i in 1 .. keep loop
            p := '(?:' || p || substr(d, i, 1) || '[ ().-]*)?';
          end loop;
          for i in keep + 1 .. length(d) loop
            p := p || substr(d, i, 1) || case when i < length(d) then '[ ().-]*' else '' end;
          end loop;
          return '(^|[^0-9+(])[+(]?' || p || '(?![0-9])';
        end if;
        if length(v) < 3 and (length(v) < 2 or v ~ '^[ -~]*$') then return null; end if;
        -- Character by character: ASCII punctuation escaped (the 'i' flag folds ASCII letters),
        -- a letter beyond ASCII as the class of its cases (scrub_case_class).
        foreach c in array regexp_split_to_array(v, '') loop
          p := p || case when c ~ '^[][!"#$%&''()*+,./:;<=>?@\\\\^_\`{|}~-]$' then '\\' || c when c ~ '^[ -~]$' then c else scrub_case_class(c) end;
        end loop;
        return '(^|[^A-Za-z0-9])' || p || '(?![A-Za-z0-9])';
      end $$;`;

/**
 * A letter beyond ASCII as a bracket of its lower and upper case under the collation
 * member_search_fold lowers under (the embedded server's database is `C`, where the 'i' flag
 * folds ASCII only: "élodie" did not match "Élodie"); any other character as itself.
 */
export const SCRUB_CASE_CLASS = `do $do$
      declare fold text := ${CHOOSE_FOLD};
      begin
        execute format('create or replace function scrub_case_class(c text) returns text language sql immutable strict parallel safe as %L',
          format('select case when length(lower(c %1$s)) = 1 and length(upper(c %1$s)) = 1 and (lower(c %1$s) <> c or upper(c %1$s) <> c)
            then ''['' || c || lower(c %1$s) || upper(c %1$s) || '']'' else c end', fold));
      end
    $do$;`;

export const TEXT_SCRUB = `create or replace function text_scrub(t text, vals text[]) returns text language plpgsql immutable as $$
      declare
        v text;
        p text;
      begin
        if t is null then return null; end if;
        -- Longest first: a name before the part of it that is a value too.
        foreach v in array (select coalesce(array_agg(x order by length(x) desc, x), '{}') from unnest(vals) x) loop
          p := scrub_pattern(v);
          if p is not null then t := regexp_replace(t, p, '\\1[erased]', 'gi'); end if;
        end loop;
        return t;
      end $$;`;

export const JSONB_SCRUB = `create or replace function jsonb_scrub_at(j jsonb, vals text[], k text) returns jsonb language plpgsql immutable as $$
      begin
        return case jsonb_typeof(j)
          when 'object' then (select coalesce(jsonb_object_agg(e.key, jsonb_scrub_at(e.value, vals, e.key)), '{}'::jsonb) from jsonb_each(j) e)
          when 'array' then (select coalesce(jsonb_agg(jsonb_scrub_at(a.value, vals, k) order by a.n), '[]'::jsonb) from jsonb_array_elements(j) with ordinality a(value, n))
          when 'string' then case
            when (j #>> '{}') = any(vals) then 'null'::jsonb
            when k ~ '^(id|code|type|kind|status|mode|reference|source|fields|endpoint|tier|reward|campaign|currency)$' or k ~ '(Id|Ids|Code|Tier)$'
              or (j #>> '{}') ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}([.][0-9]+)?)?(Z|[+-][0-9]{2}(:?[0-9]{2})?)?)?$' then j
            else to_jsonb(text_scrub(j #>> '{}', vals)) end
          else j end;
      end $$;
    create or replace function jsonb_scrub(j jsonb, vals text[]) returns jsonb language sql immutable as $$ select jsonb_scrub_at(j, vals, null) $$;`;

export class Migration20270101120000_scrub_by_shape extends Migration {
  override async up(): Promise<void> {
    this.addSql(SCRUB_CASE_CLASS);
    this.addSql(SCRUB_PATTERN);
    this.addSql(TEXT_SCRUB);
    this.addSql(JSONB_SCRUB);
  }

  override async down(): Promise<void> {
    this.addSql(JSONB_SCRUB_BEFORE);
    this.addSql('drop function if exists jsonb_scrub_at(jsonb, text[], text);');
    this.addSql(TEXT_SCRUB_BEFORE);
    this.addSql('drop function if exists scrub_pattern(text);');
    this.addSql('drop function if exists scrub_case_class(text);');
  }
}
