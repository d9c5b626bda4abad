// Runs generated ES modules for tests/test_js_target.py, one request per line.
//
// Request:  {"module": "<the module's text>", "points": [[1, 2], ...],
//            "dout": 1.0, "trace": "<optional: a trace function's text>"}
// Response: {"results": [{"value": v, "grads": [...]}, ...]}, or {"error": "..."}
// Numbers JSON cannot carry (NaN, Infinity) travel as strings.
import { createInterface } from "node:readline";

const encode = (key, value) =>
  typeof value === "number" && !Number.isFinite(value) ? String(value) : value;

for await (const line of createInterface({ input: process.stdin })) {
  let reply;
  try {
    const request = JSON.parse(line);
    const url =
      "data:text/javascript;base64," +
      Buffer.from(request.module).toString("base64");
    const module = await import(url);
    const results = request.points.map((point) => ({
      value: module.forward(...point),
      grads: module.backward(...point, request.dout ?? 1.0),
    }));
    reply = { results };
  } catch (error) {
    reply = { error: String(error) };
  }
  console.log(JSON.stringify(reply, encode));
}
