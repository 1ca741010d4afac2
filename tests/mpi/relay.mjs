// A TCP relay between network namespaces, through a Unix socket (path
// sockets cross namespaces: the file system is shared):
//   node relay.mjs listen PORT SOCK   in a host's namespace: 127.0.0.1:PORT -> SOCK
// and relayTo(SOCK, PORT) in the test's process: SOCK -> 127.0.0.1:PORT.
// So the S3 server the test runs on its own loopback is, on every host,
// at the same http://127.0.0.1:PORT the request signatures name.
import net from 'node:net';

function pipe(a, b) {
  a.pipe(b);
  b.pipe(a);
  a.on('error', () => b.destroy());
  b.on('error', () => a.destroy());
  a.on('close', () => b.destroy());
  b.on('close', () => a.destroy());
}

export function relayTo(sock, port) {
  const server = net.createServer((c) => pipe(c, net.connect(port, '127.0.0.1')));
  return new Promise((resolve) => server.listen(sock, () => resolve(server)));
}

if (process.argv[2] === 'listen') {
  const [port, sock] = [Number(process.argv[3]), process.argv[4]];
  net.createServer((c) => pipe(c, net.connect(sock))).listen(port, '127.0.0.1', () => console.log('ready'));
  process.stdin.resume();
  process.stdin.on('end', () => process.exit(0)); // ends with the test
}
