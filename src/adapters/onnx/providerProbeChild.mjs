// Child process of providerProbe.ts: creates and runs a session on one execution provider and prints one JSON
// line ({"ok":true} or {"ok":false,"error":"..."}). A separate process, so native warnings (Dawn/Vulkan,
// CUDA loader) land in a captured stderr instead of the user's terminal, and a crashing driver cannot take
// the caller down. Usage: node providerProbeChild.mjs <provider> < model.onnx
import * as ort from 'onnxruntime-node';

const provider = process.argv[2];
const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
try {
  const session = await ort.InferenceSession.create(new Uint8Array(Buffer.concat(chunks)), { executionProviders: [provider] });
  const x = new ort.Tensor('float32', new Float32Array([1, 2, 3, 4]), [1, 4]);
  const out = await session.run({ [session.inputNames[0]]: x });
  const y = out[session.outputNames[0]].data;
  if (y[3] !== 5) throw new Error(`probe graph computed ${y[3]} instead of 5`);
  await session.release();
  process.stdout.write(`${JSON.stringify({ ok: true })}\n`);
} catch (err) {
  process.stdout.write(`${JSON.stringify({ ok: false, error: String(err?.message ?? err) })}\n`);
}
