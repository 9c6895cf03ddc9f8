import type { EntityManager } from '@mikro-orm/postgresql';
import DataLoader from 'dataloader';
import { Member, type MemberView } from './member.entity';
import { isUuid } from './members.service';

export function createMemberLoaders(em: EntityManager) {
  const byId = new DataLoader<string, MemberView | null>(async (ids) => {
    const valid = ids.filter(isUuid);
    const found = valid.length ? await em.find(Member, { id: { $in: valid } }) : [];
    const map = new Map(found.map((m) => [m.id, m]));
    return ids.map((id) => map.get(id) ?? null);
  });
  return { byId };
}
export type MemberLoaders = ReturnType<typeof createMemberLoaders>;
