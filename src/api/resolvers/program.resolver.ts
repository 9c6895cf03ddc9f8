import { Arg, Authorized, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import type { GraphQLContext } from '../context';
import { requireActor } from '../guards';
import { ProgramInput } from '../types/inputs';
import { Program } from '../types/objects';

@Resolver(() => Program)
export class ProgramResolver {
  @Authorized()
  @Query(() => Program)
  program(@Ctx() ctx: GraphQLContext) {
    return ctx.services.program.get();
  }

  @Authorized('admin')
  @Mutation(() => Program)
  updateProgram(@Arg('input', () => ProgramInput) input: ProgramInput, @Ctx() ctx: GraphQLContext) {
    return ctx.services.program.update(requireActor(ctx), input);
  }
}
