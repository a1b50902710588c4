// An echo server on Node's ws with permessage-deflate, for bench/bench_harness_cpu.py:
//   node node_echo.js WS_PACKAGE_DIR
// Listens on 127.0.0.1 on a free port, prints "listening on PORT", echoes every message
// with its type. Messages of every size are compressed (threshold 0).
"use strict";
const path = require("path");
const WebSocket = require(path.resolve(process.argv[2], "node_modules", "ws"));

const server = new WebSocket.WebSocketServer({
  host: "127.0.0.1",
  port: 0,
  maxPayload: 0,
  perMessageDeflate: { threshold: 0 },
});
server.on("listening", () => {
  console.log("listening on " + server.address().port);
});
server.on("connection", (ws) => {
  ws.on("message", (data, isBinary) => ws.send(data, { binary: isBinary }));
  ws.on("error", () => ws.terminate());
});
process.on("SIGTERM", () => process.exit(0));
