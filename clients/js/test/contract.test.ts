// The library's message types are generated from api/asyncapi.yaml
// (scripts/gen-messages.mjs into src/wire.ts): this fails when the two differ.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';

import { pathToFileURL } from 'node:url';

import { parse } from 'yaml';

import { repoRoot } from './harness.js';

const js = path.join(repoRoot(), 'clients', 'js');
const script = path.join(js, 'scripts', 'gen-messages.mjs');
const contract = path.join(repoRoot(), 'api', 'asyncapi.yaml');

/** The generator, in this process (the CLI is run once, by the first test). */
const { generate: generateFrom } = (await import(pathToFileURL(script).href)) as { generate: (doc: unknown) => string };

type Doc = { components: { schemas: Record<string, { required?: string[]; properties: Record<string, Record<string, unknown>> }> } };

describe('the message types and the contract', () => {
  it('src/wire.ts is exactly what api/asyncapi.yaml generates (npm run gen rewrites it)', () => {
    execFileSync(process.execPath, [script, '--check'], { stdio: ['ignore', 'pipe', 'pipe'] });
  });

  it('the generated file is the checked-in one, generated in this process too', () => {
    assert.equal(generateFrom(parse(readFileSync(contract, 'utf8'))), readFileSync(path.join(js, 'src', 'wire.ts'), 'utf8'));
  });

  // The check is only as good as what the generator reads: each kind of
  // change to the contract must change the generated types.
  const changes: Array<[string, (doc: Doc) => void]> = [
    ['a field removed', (d) => delete d.components.schemas.broadcastState!.properties.stateVersion],
    ['a field made optional', (d) => (d.components.schemas.audioData!.required = d.components.schemas.audioData!.required!.filter((f) => f !== 'sequence'))],
    ['a type changed', (d) => (d.components.schemas.sessionStatus!.properties.isActive = { type: 'string' })],
    ['an enum value added', (d) => ((d.components.schemas.sessionEnded!.properties.reason as { enum: string[] }).enum.push('somethingElse'))],
    ['an error code added', (d) => ((d.components.schemas.errorCode as unknown as { enum: string[] }).enum.push('NEW_CODE'))],
  ];
  for (const [what, change] of changes) {
    it(`${what} in the contract changes the generated types`, () => {
      const doc = parse(readFileSync(contract, 'utf8')) as Doc;
      const before = generateFrom(doc);
      change(doc);
      assert.notEqual(generateFrom(doc), before);
    });
  }

  it('every message the service sends has a type, and the v1.2 fields are there', () => {
    const wire = readFileSync(path.join(js, 'src', 'wire.ts'), 'utf8');
    const doc = parse(readFileSync(contract, 'utf8')) as { components: { messages: Record<string, unknown> } };
    const sent = Object.keys(doc.components.messages).filter((m) => wire.includes(`type: '${m}';`));
    assert.ok(sent.length >= 17, `${sent.length} message types: ${sent.join(', ')}`);
    for (const m of ['broadcastState', 'sessionPaused', 'sessionResumed', 'speakerDisconnected', 'speakerReconnected', 'listenerCount', 'sessionEnded']) {
      const start = wire.indexOf(`type: '${m}';`);
      const body = wire.slice(start, wire.indexOf('\n}\n', start));
      assert.match(body, /\n {2}stateVersion: number;/, `${m} carries stateVersion`);
    }
  });
});
