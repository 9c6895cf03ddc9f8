import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A stand-in for a pooler that accepts only the startup parameters it knows (PgBouncer before
 * 1.20 refuses `options` with `FATAL: unsupported startup parameter: options`): a TCP proxy to
 * PostgreSQL that reads each connection's startup message and refuses one that carries
 * `options`; anything else goes through untouched (TLS is declined).
 */
export async function startStrictPooler(upstream: { host: string; port: number }): Promise<{ port: number; refused: string[]; close(): Promise<void> }> {
  const refused: string[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => {});
    let buffered = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (buffered.length < 8 || buffered.length < buffered.readInt32BE(0)) return;
      const length = buffered.readInt32BE(0);
      const code = buffered.readInt32BE(4);
      if (code === 80877103 || code === 80877104) { // SSLRequest, GSSENCRequest: not here
        buffered = buffered.subarray(length);
        client.write('N');
        if (buffered.length) onData(Buffer.alloc(0));
        return;
      }
      client.off('data', onData);
      const fields = buffered.subarray(8, length).toString('utf8').split('\u0000');
      const names = fields.filter((_, i) => i % 2 === 0 && fields[i] !== '');
      const unsupported = names.find((n) => n === 'options');
      if (unsupported) {
        refused.push(fields[fields.indexOf(unsupported) + 1]);
        const message = Buffer.from(`SFATAL\u0000C08P01\u0000Munsupported startup parameter: ${unsupported}\u0000\u0000`);
        const header = Buffer.alloc(5);
        header.write('E');
        header.writeInt32BE(message.length + 4, 1);
        client.end(Buffer.concat([header, message]));
        return;
      }
      const server = connect(upstream.port, upstream.host);
      sockets.add(server);
      server.on('close', () => { sockets.delete(server); client.destroy(); });
      server.on('error', () => client.destroy());
      client.on('close', () => server.destroy());
      server.write(buffered);
      client.pipe(server);
      server.pipe(client);
    };
    client.on('data', onData);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    port, refused,
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}
