import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Program } from './program.entity';

/** The programme's settings row (id 1, from the first migration on). */
const SETTINGS_ID = 1;

export function programSettings(em: EntityManager): Promise<Program> {
  return em.findOneOrFail(Program, SETTINGS_ID);
}

/** Lock: the settings row (`for update`), for an update of the settings in the caller's transaction. */
export function lockProgram(tx: EntityManager): Promise<Program> {
  return tx.findOneOrFail(Program, SETTINGS_ID, { lockMode: LockMode.PESSIMISTIC_WRITE });
}
