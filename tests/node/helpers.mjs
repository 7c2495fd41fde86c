// Shared by the node tests: the release browser module, loaded in node from its bytes.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const WASM_DIR = path.join(ROOT, 'build/wasm');

export async function loadModule() {
  const { default: create } = await import(path.join(WASM_DIR, 'atnat.mjs'));
  return create({ wasmBinary: fs.readFileSync(path.join(WASM_DIR, 'atnat.wasm')) });
}

// An engine as the page's worker makes it: able to replace its module if a call traps.
export async function loadEngine() {
  const { default: create } = await import(path.join(WASM_DIR, 'atnat.mjs'));
  const { createEngine } = await import(path.join(ROOT, 'wasm/engine.js'));
  return createEngine(create, fs.readFileSync(path.join(WASM_DIR, 'atnat.wasm')));
}

export function readBytes(relative) {
  return new Uint8Array(fs.readFileSync(path.join(ROOT, relative)));
}

// Runs the native CLI (built by the native-release preset) and parses its --json output.
import { execFileSync } from 'node:child_process';
export const CLI = process.env.ATNAT_CLI ?? path.join(ROOT, 'build/native-release/atnat');
export function cliJson(args) {
  return JSON.parse(execFileSync(CLI, [...args, '--json'], { cwd: ROOT, encoding: 'utf8' }));
}
