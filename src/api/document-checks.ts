import type { RequestHandler } from 'express';
import { GraphQLError, type DocumentNode, type GraphQLSchema } from 'graphql';
import { performance } from 'node:perf_hooks';
import { parse as parseUrl } from 'node:url';
import { checkDocument, checkOperationCost, type CheckOptions, type OperationRequest, type QueryLimits } from './plugins/limits';

/** Documents remembered once checked: at most this many, of at most this many characters. */
const KNOWN_DOCUMENTS = 1000;
const KNOWN_MAX_LENGTH = 10_000;
/** Checks waiting for the budget past which a new document is refused at once (503). */
export const MAX_WAITING = 200;

type Checked = { document: DocumentNode } | { errors: readonly GraphQLError[] };

const busy = () => new GraphQLError('Too many new documents are waiting to be checked; retry later', {
  extensions: { code: 'SERVICE_UNAVAILABLE', http: { status: 503 } },
});

/**
 * Checking a document the server has not seen costs CPU whoever sends it, and a client that
 * loops on new documents (every one refused) would otherwise take the event loop from the
 * members whose known queries skip the check. These checks get at most `share` of the event
 * loop over time, with one second's worth banked for bursts, in arrival order.
 */
export class CheckBudget {
  private bank: number;
  private last = performance.now();
  private tail: Promise<unknown> = Promise.resolve();
  private waiting = 0;

  constructor(private readonly share: number) {
    this.bank = this.maxBank;
  }

  private get maxBank(): number {
    return 1000 * this.share;
  }

  /** Runs `check` when the budget allows it; undefined when too many are waiting already. */
  run<T>(check: () => T): Promise<T> | undefined {
    if (this.share >= 1) return Promise.resolve(check());
    if (this.waiting >= MAX_WAITING) return undefined;
    this.waiting++;
    const turn = this.tail.then(() => this.available()).then(() => {
      const started = performance.now();
      try {
        return check();
      } finally {
        this.bank -= performance.now() - started;
        this.waiting--;
      }
    });
    this.tail = turn.catch(() => undefined);
    return turn;
  }

  /** Resolves once the bank holds time again (refilled at `share` ms per ms). */
  private async available(): Promise<void> {
    this.refill();
    if (this.bank >= 0) return;
    // Unreferenced: a waiting check does not keep a stopping process alive.
    await new Promise((resolve) => setTimeout(resolve, -this.bank / this.share).unref());
    this.refill();
  }

  private refill(): void {
    const now = performance.now();
    this.bank = Math.min(this.maxBank, this.bank + (now - this.last) * this.share);
    this.last = now;
  }
}

/**
 * The checks a document passes before anything runs, the same for HTTP and WebSocket:
 * tokens, shape and validation (checkDocument), for a document not seen before within the
 * CPU budget; then, on the WebSocket path, the operation's cost (over HTTP Apollo's
 * costLimitPlugin prices it, as it sees every request including persisted ones).
 */
export class DocumentChecks {
  private readonly known = new Map<string, DocumentNode>();
  private readonly budget: CheckBudget;

  constructor(private readonly schema: GraphQLSchema, private readonly limits: QueryLimits, private readonly options: CheckOptions & { share: number }) {
    this.budget = new CheckBudget(options.share);
  }

  /** The checked document for this text: remembered, or checked within the budget. */
  async document(source: string): Promise<Checked> {
    const known = this.known.get(source);
    if (known) return { document: known };
    const checked = await (this.budget.run(() => checkDocument(this.schema, source, this.limits, this.options)) ?? { errors: [busy()] });
    if ('document' in checked && source.length <= KNOWN_MAX_LENGTH) {
      if (this.known.size >= KNOWN_DOCUMENTS) this.known.clear();
      this.known.set(source, checked.document);
    }
    return checked;
  }

  /** The whole check of one WebSocket operation; never throws. */
  async operation(request: OperationRequest): Promise<Checked> {
    const checked = await this.document(request.query);
    if ('errors' in checked) return checked;
    const cost = checkOperationCost(this.schema, checked.document, request, this.limits);
    return cost ? { errors: [cost] } : checked;
  }

  /**
   * HTTP: refuses what checkDocument refuses before Apollo sees the request (Apollo runs its
   * own validation rules in the same pass as graphql-js's, too late for a document built to
   * make those slow). Apollo parses and validates an accepted document once more, once per
   * text: its document cache keeps it.
   */
  middleware(format: (error: GraphQLError) => unknown): RequestHandler {
    return (req, res, next) => {
      const source = querySource(req);
      if (typeof source !== 'string') return next();
      this.document(source).then((checked) => {
        if ('document' in checked) return next();
        const status = (checked.errors[0].extensions.http as { status?: number } | undefined)?.status ?? 400;
        if (status === 503) res.setHeader('retry-after', '1');
        res.status(status).json({ errors: checked.errors.map(format) });
      }, next);
    };
  }
}

/**
 * The GraphQL document of an HTTP request, read as Apollo reads it (POST body, or GET's `query`
 * given once). GET's search is taken as @as-integrations/express5 takes it (`url.parse`: it ends
 * at a `#`), not from everything after the `?`: with `?query=<doc>#&query=x` the two readings
 * differed, these checks saw two values and let the request through, and Apollo ran `<doc>`.
 */
function querySource(req: Parameters<RequestHandler>[0]): unknown {
  if (req.method === 'GET') {
    const values = new URLSearchParams(parseUrl(req.url).search ?? '').getAll('query');
    return values.length === 1 ? values[0] : undefined;
  }
  return req.body && typeof req.body === 'object' && !Array.isArray(req.body) ? (req.body as { query?: unknown }).query : undefined;
}
