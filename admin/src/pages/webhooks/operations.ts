import { graphql } from '../../gql';

/**
 * The Webhooks page's operations: the endpoints and the event types (one request), the
 * delivery log (the second, paged), and the actions on an endpoint or a delivery.
 */
export const WebhookEndpointFields = graphql(`
  fragment WebhookEndpointFields on WebhookEndpoint {
    id
    url
    eventTypes
    active
    secretHint
    createdAt
  }
`);

export const WebhooksPageQuery = graphql(`
  query WebhooksPage {
    webhookEndpoints {
      ...WebhookEndpointFields
    }
    webhookEventTypes
  }
`);

export const WebhookDeliveryFields = graphql(`
  fragment WebhookDeliveryFields on WebhookDelivery {
    id
    endpointId
    eventId
    eventType
    status
    attempts
    lastStatusCode
    lastError
    nextAttemptAt
    createdAt
    deliveredAt
  }
`);

export const WebhookDeliveriesQuery = graphql(`
  query WebhookDeliveries($endpointId: ID, $status: WebhookDeliveryStatus, $first: Int!, $after: String) {
    webhookDeliveries(endpointId: $endpointId, status: $status, first: $first, after: $after) {
      edges {
        cursor
        node {
          ...WebhookDeliveryFields
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
`);

export const CreateWebhookEndpointMutation = graphql(`
  mutation CreateWebhookEndpoint($input: WebhookEndpointInput!, $idempotencyKey: String) {
    createWebhookEndpoint(input: $input, idempotencyKey: $idempotencyKey) {
      secret
      endpoint {
        ...WebhookEndpointFields
      }
    }
  }
`);

export const UpdateWebhookEndpointMutation = graphql(`
  mutation UpdateWebhookEndpoint($id: ID!, $input: WebhookEndpointInput!) {
    updateWebhookEndpoint(id: $id, input: $input) {
      ...WebhookEndpointFields
    }
  }
`);

export const RotateWebhookSecretMutation = graphql(`
  mutation RotateWebhookSecret($id: ID!, $idempotencyKey: String) {
    rotateWebhookSecret(id: $id, idempotencyKey: $idempotencyKey) {
      secret
      endpoint {
        ...WebhookEndpointFields
      }
    }
  }
`);

export const SetWebhookEndpointActiveMutation = graphql(`
  mutation SetWebhookEndpointActive($id: ID!, $active: Boolean!) {
    setWebhookEndpointActive(id: $id, active: $active) {
      ...WebhookEndpointFields
    }
  }
`);

export const DeleteWebhookEndpointMutation = graphql(`
  mutation DeleteWebhookEndpoint($id: ID!) {
    deleteWebhookEndpoint(id: $id)
  }
`);

export const PingWebhookEndpointMutation = graphql(`
  mutation PingWebhookEndpoint($id: ID!) {
    pingWebhookEndpoint(id: $id) {
      ...WebhookDeliveryFields
    }
  }
`);

export const RedeliverWebhookMutation = graphql(`
  mutation RedeliverWebhook($deliveryId: ID!) {
    redeliverWebhook(deliveryId: $deliveryId) {
      ...WebhookDeliveryFields
    }
  }
`);
