// The official OpenAI client library (npm "openai") against palign serve: list the models, one chat
// completion and the same one streamed; prints one JSON line for the test to check.
// usage: node openai_client.cjs BASE_URL MODEL
const OpenAI = require('openai');

async function main() {
  const [url, model] = process.argv.slice(2);
  const client = new OpenAI({ baseURL: url + '/v1', apiKey: 'none', maxRetries: 0 });
  const models = [];
  for await (const m of client.models.list()) models.push(m.id);
  const req = { model, messages: [{ role: 'user', content: 'You worry about things.' }], max_tokens: 12, temperature: 0 };
  const r = await client.chat.completions.create(req);
  const stream = await client.chat.completions.create({ ...req, stream: true });
  let streamed = '';
  let finish = null;
  for await (const chunk of stream) {
    const c = chunk.choices[0];
    if (!c) continue;
    streamed += c.delta?.content ?? '';
    if (c.finish_reason) finish = c.finish_reason;
  }
  let notFound = null;
  try {
    await client.chat.completions.create({ ...req, model: 'nobody' });
  } catch (e) {
    notFound = { status: e.status, code: e.code ?? e.error?.code ?? null };
  }
  console.log(JSON.stringify({
    models, content: r.choices[0].message.content, finish: r.choices[0].finish_reason,
    usage: r.usage, streamed, stream_finish: finish, not_found: notFound,
  }));
}

main().catch((e) => { console.error('openai_client:', e.message); process.exit(1); });
