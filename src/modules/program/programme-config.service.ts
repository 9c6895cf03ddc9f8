import type { EntityManager } from '@mikro-orm/postgresql';
import type { AppEntityManager } from '../../db/entity-manager';
import { configRows, configVersion, type ConfigRows } from './program.repository';

export type { ConfigBenefitVersion, ConfigRung } from './program.repository';

/**
 * The configuration a purchase decides with (the programme's settings, the tier ladder, the
 * POINTS_MULTIPLIER benefits' versions), and the config_version it was read at.
 */
export type ProgrammeConfig = Readonly<ConfigRows>;

/**
 * The configuration held in memory, one per connection pool (so per instance, shared by its
 * requests), and never trusted on its own: whoever decides with it carries its version to the
 * database in the same round trip as the facts (purchase_facts compares it with config_version,
 * which every configuration change moves in its own transaction) and reloads when it moved.
 * A change made by another instance, or by hand, is seen by the next purchase that starts
 * after it has committed; no NOTIFY has to arrive first.
 */
export class ProgrammeConfigCache {
  private held: ProgrammeConfig | null = null;
  private loading: Promise<ProgrammeConfig> | null = null;

  /** The held configuration; read from the database the first time (one statement). */
  async get(em: EntityManager): Promise<ProgrammeConfig> {
    if (this.held) return this.held;
    this.loading ??= configRows(em).then((c) => this.keep(c)).finally(() => { this.loading = null; });
    return this.loading;
  }

  /** Reads it again on `em` (in the caller's transaction: the version and the rows of one snapshot). */
  async reload(em: EntityManager): Promise<ProgrammeConfig> {
    return this.keep(await configRows(em));
  }

  /** The held configuration after checking its version on `em` (one statement; a second when it moved). */
  async current(em: EntityManager): Promise<ProgrammeConfig> {
    const held = await this.get(em);
    return (await configVersion(em)) === held.version ? held : this.reload(em);
  }

  /** Keeps the newer of what is held and `c` (versions only go up). */
  private keep(c: ProgrammeConfig): ProgrammeConfig {
    if (!this.held || BigInt(c.version) >= BigInt(this.held.version)) this.held = c;
    return c;
  }
}

const caches = new WeakMap<object, ProgrammeConfigCache>();

/** The cache of the instance `em` belongs to (its connection pool). */
export function programmeConfigOf(em: EntityManager): ProgrammeConfigCache {
  const pool = (em as unknown as AppEntityManager).pool();
  let cache = caches.get(pool);
  if (!cache) caches.set(pool, (cache = new ProgrammeConfigCache()));
  return cache;
}
