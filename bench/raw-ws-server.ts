// The fan-out baseline: a bare `ws` server that broadcasts the bytes it is given to every
// connected socket. POST /broadcast with the frame as the body; it answers once every send
// is queued. No GraphQL, no pub/sub, no database.
import http from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';

const port = Number(process.env.PORT);
const sockets = new Set<WebSocket>();
const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    if (req.url !== '/broadcast') return void res.writeHead(404).end();
    const frame = Buffer.concat(chunks).toString();
    for (const socket of sockets) socket.send(frame);
    res.writeHead(200).end(String(sockets.size));
  });
});
const wss = new WebSocketServer({ server, path: '/graphql' });
wss.on('connection', (socket) => {
  sockets.add(socket);
  socket.on('close', () => sockets.delete(socket));
});
server.listen(port, '127.0.0.1', () => process.send?.('ready'));
