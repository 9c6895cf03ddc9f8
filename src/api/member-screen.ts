import {
  getArgumentValues, getDirectiveValues, getNamedType, GraphQLIncludeDirective, GraphQLObjectType, GraphQLSkipDirective, Kind,
  type FieldNode, type FragmentSpreadNode, type GraphQLResolveInfo, type InlineFragmentNode, type SelectionSetNode,
} from 'graphql';
import type { ScreenParts } from '../modules/members/member-screen.service';

/** expiringPoints' window as the screen prefetches it: within 0 to 10 years (the field resolver refuses other values, and keys its load the same way). */
export function expiringWindow(withinDays: number): number {
  return Math.max(0, Math.min(withinDays, 3650));
}

/**
 * What a query asks of the Member a root field returns (`me`, `member`, `memberByExternalId`):
 * which of its fields that read other tables, and the windows of each expiringPoints (aliases,
 * variables and defaults applied as execution will). Fields under fragments and inline fragments
 * count; a field that @skip or @include leaves out does not. Each named fragment is read once:
 * linear in the document.
 */
export function screenParts(info: GraphQLResolveInfo): ScreenParts {
  const member = getNamedType(info.returnType);
  const expiringField = member instanceof GraphQLObjectType ? member.getFields().expiringPoints : undefined;
  const parts = { tier: false, balances: false, progress: false, tags: false, benefits: false };
  const expiringDays = new Set<number>();
  const fragmentsRead = new Set<string>();
  const visit = (set: SelectionSetNode | undefined): void => {
    for (const node of set?.selections ?? []) {
      if (!included(node, info.variableValues)) continue;
      if (node.kind === Kind.INLINE_FRAGMENT) visit(node.selectionSet);
      else if (node.kind === Kind.FRAGMENT_SPREAD) {
        if (fragmentsRead.has(node.name.value)) continue;
        fragmentsRead.add(node.name.value);
        visit(info.fragments[node.name.value]?.selectionSet);
      } else {
        switch (node.name.value) {
          case 'tier': parts.tier = true; break;
          case 'pointsBalance': case 'pendingPoints': case 'lifetimePoints': parts.balances = true; break;
          case 'tierProgress': parts.progress = true; break;
          case 'tags': parts.tags = true; break;
          case 'benefits': parts.benefits = true; break;
          case 'expiringPoints': {
            if (!expiringField) break;
            expiringDays.add(expiringWindow((getArgumentValues(expiringField, node, info.variableValues) as { withinDays: number }).withinDays));
            break;
          }
        }
      }
    }
  };
  for (const node of info.fieldNodes) visit(node.selectionSet);
  return { ...parts, expiringDays: [...expiringDays] };
}

function included(node: FieldNode | FragmentSpreadNode | InlineFragmentNode, variables: GraphQLResolveInfo['variableValues']): boolean {
  if (!node.directives?.length) return true;
  if (getDirectiveValues(GraphQLSkipDirective, node, variables)?.if === true) return false;
  return getDirectiveValues(GraphQLIncludeDirective, node, variables)?.if !== false;
}
