import { AuditEntry } from '../modules/audit/audit-entry.entity';
import { Member } from '../modules/members/member.entity';
import { Program } from '../modules/program/program.entity';
import { Tier } from '../modules/tiers/tier.entity';

/** Every entity the ORM knows; each module adds its own here. */
export const entities = [Program, Tier, Member, AuditEntry];
