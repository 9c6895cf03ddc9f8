// The node:http shell both bare baselines share: read a GraphQL-shaped JSON body, hand its
// `variables.input` to the handler, answer `{ data: { [field]: result } }`. An error the
// handler maps (`refusal`) is a 200 with a GraphQL-style error, as the app answers it;
// anything else is a 500.
import http from 'node:http';

export function serveBare(opts: {
  field: string;
  handle: (input: Record<string, unknown>) => Promise<unknown>;
  refusal?: (err: unknown) => { message: string; code: string } | null;
}): void {
  http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (d) => chunks.push(d));
    const answer = async () => {
      try {
        const { variables } = JSON.parse(Buffer.concat(chunks).toString());
        const result = await opts.handle(variables.input);
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ data: { [opts.field]: result } }));
      } catch (err) {
        const refused = opts.refusal?.(err);
        if (refused) {
          res.writeHead(200, { 'content-type': 'application/json' })
            .end(JSON.stringify({ errors: [{ message: refused.message, extensions: { code: refused.code } }], data: null }));
        } else {
          res.writeHead(500).end(JSON.stringify({ errors: [{ message: String(err) }] }));
        }
      }
    };
    // Fire-and-forget: answer() catches what the handler throws and answers it.
    req.on('end', () => void answer());
  }).listen(Number(process.env.PORT), () => process.send?.('ready'));
}
