import { Arg, Authorized, Ctx, ID, Int, Mutation, Query, Resolver } from 'type-graphql';
import { pageSize } from '../../common/pagination';
import { connectionOf } from '../connection';
import type { GraphQLContext } from '../context';
import { requireActor } from '../guards';
import { WebhookDeliveryStatus } from '../types/enums';
import { WebhookEndpointInput } from '../types/inputs';
import { WebhookDelivery, WebhookDeliveryConnection, WebhookEndpoint, WebhookEndpointWithSecret } from '../types/objects';

/** Webhook endpoints, their delivery log, ping and redelivery: admins only. */
@Resolver()
export class WebhookResolver {
  @Authorized('admin')
  @Query(() => [String])
  webhookEventTypes(@Ctx() ctx: GraphQLContext): string[] {
    return ctx.services.webhookEndpoints.eventTypes();
  }

  @Authorized('admin')
  @Query(() => [WebhookEndpoint])
  webhookEndpoints(@Ctx() ctx: GraphQLContext) {
    return ctx.services.webhookEndpoints.endpoints();
  }

  @Authorized('admin')
  @Query(() => WebhookDeliveryConnection, { description: 'The delivery log, newest first.' })
  async webhookDeliveries(
    @Arg('endpointId', () => ID, { nullable: true }) endpointId: string | null,
    @Arg('status', () => WebhookDeliveryStatus, { nullable: true }) status: WebhookDeliveryStatus | null,
    @Arg('first', () => Int, { nullable: true, defaultValue: 50 }) first: number,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Ctx() ctx: GraphQLContext,
  ): Promise<WebhookDeliveryConnection> {
    const page = await ctx.services.webhookEndpoints.deliveries({ endpointId: endpointId ?? null, status: status ?? null }, pageSize(first, 50), after);
    return connectionOf(page, (node) => node as WebhookDelivery);
  }

  @Authorized('admin')
  @Mutation(() => WebhookEndpointWithSecret)
  createWebhookEndpoint(
    @Arg('input', () => WebhookEndpointInput) input: WebhookEndpointInput,
    @Arg('idempotencyKey', () => String, { nullable: true, description: 'A retry with the same key and settings gets the endpoint (and secret) the first call made' }) idempotencyKey: string | null,
    @Ctx() ctx: GraphQLContext,
  ) {
    return ctx.services.webhookEndpoints.create(requireActor(ctx), input, idempotencyKey ?? null);
  }

  @Authorized('admin')
  @Mutation(() => WebhookEndpoint)
  updateWebhookEndpoint(@Arg('id', () => ID) id: string, @Arg('input', () => WebhookEndpointInput) input: WebhookEndpointInput, @Ctx() ctx: GraphQLContext) {
    return ctx.services.webhookEndpoints.update(requireActor(ctx), id, input);
  }

  @Authorized('admin')
  @Mutation(() => WebhookEndpointWithSecret)
  rotateWebhookSecret(
    @Arg('id', () => ID) id: string,
    @Arg('idempotencyKey', () => String, { nullable: true, description: "A retry of the endpoint's last rotation with its key gets that rotation's secret, rotating nothing" }) idempotencyKey: string | null,
    @Ctx() ctx: GraphQLContext,
  ) {
    return ctx.services.webhookEndpoints.rotate(requireActor(ctx), id, idempotencyKey ?? null);
  }

  @Authorized('admin')
  @Mutation(() => WebhookEndpoint)
  setWebhookEndpointActive(@Arg('id', () => ID) id: string, @Arg('active') active: boolean, @Ctx() ctx: GraphQLContext) {
    return ctx.services.webhookEndpoints.setActive(requireActor(ctx), id, active);
  }

  @Authorized('admin')
  @Mutation(() => Boolean)
  deleteWebhookEndpoint(@Arg('id', () => ID) id: string, @Ctx() ctx: GraphQLContext) {
    return ctx.services.webhookEndpoints.delete(requireActor(ctx), id);
  }

  @Authorized('admin')
  @Mutation(() => WebhookDelivery, { description: 'Sends a webhook.ping event to this endpoint only.' })
  pingWebhookEndpoint(@Arg('id', () => ID) id: string, @Ctx() ctx: GraphQLContext) {
    return ctx.services.webhookEndpoints.ping(requireActor(ctx), id);
  }

  @Authorized('admin')
  @Mutation(() => WebhookDelivery)
  redeliverWebhook(@Arg('deliveryId', () => ID) deliveryId: string, @Ctx() ctx: GraphQLContext) {
    return ctx.services.webhookEndpoints.redeliver(requireActor(ctx), deliveryId);
  }
}
