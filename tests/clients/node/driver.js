// Autobahn's client driver loop with Node's ws: node driver.js BASE_URL AGENT
// Prints the number of cases run as its last word; every wait has a timeout.
"use strict";
const WebSocket = require("ws");

const [base, agent] = process.argv.slice(2);
const idle = parseInt(process.env.WSCONFORM_IDLE_MS || "10000", 10);

function open(url, onMessage) {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { perMessageDeflate: false, maxPayload: 0 });
    let timer = null;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => ws.terminate(), idle);
    };
    ws.on("open", arm);
    ws.on("message", (data, isBinary) => {
      arm();
      onMessage(ws, data, isBinary);
    });
    ws.on("error", () => {});
    ws.on("close", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

async function main() {
  let count = 0;
  await open(`${base}/getCaseCount`, (ws, data) => {
    count = parseInt(data.toString(), 10);
  });
  const name = encodeURIComponent(agent);
  for (let n = 1; n <= count; n++) {
    await open(`${base}/runCase?case=${n}&agent=${name}`, (ws, data, isBinary) => {
      ws.send(data, { binary: isBinary });
    });
  }
  await open(`${base}/updateReports?agent=${name}`, () => {});
  console.log(`cases ${count}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
