// Microphone capture into small PCM chunks (for sendAudio) and playback of
// the audioData chunks a listener receives. Both use 16-bit signed
// little-endian mono PCM, named pcm16 on the wire.

export const ENCODING = 'pcm16';
// Names other senders use for the same bytes; a chunk without a name is taken to be these.
const PCM16_NAMES = new Set([ENCODING, 'pcm_s16le', 's16le', 'pcm']);
const CAPTURE_RATE = 16000;
const CHUNK_MS = 100; // 3.2 KB of audio per frame at 16 kHz: far under the 32 KB frame limit

/**
 * Starts the microphone; onChunk(bytes, sampleRate) gets every chunk.
 * Resolves with { sampleRate, stop() }.
 */
export async function startMicrophone(onChunk) {
  const stream = await navigator.mediaDevices.getUserMedia({ audio: { channelCount: 1, echoCancellation: true, noiseSuppression: true } });
  let ctx;
  let source;
  try {
    ctx = new AudioContext({ sampleRate: CAPTURE_RATE });
    source = ctx.createMediaStreamSource(stream);
  } catch {
    // Some browsers refuse to resample a microphone: take its own rate, the
    // frames say which.
    await ctx?.close();
    ctx = new AudioContext();
    source = ctx.createMediaStreamSource(stream);
  }
  await ctx.audioWorklet.addModule('/console/capture-worklet.js');
  const chunkSamples = Math.round((ctx.sampleRate * CHUNK_MS) / 1000);
  const node = new AudioWorkletNode(ctx, 'pcm-capture', { processorOptions: { chunkSamples } });
  node.port.onmessage = (event) => onChunk(new Uint8Array(event.data), ctx.sampleRate);
  // A silent path to the output keeps the graph pulling the worklet.
  const silence = ctx.createGain();
  silence.gain.value = 0;
  source.connect(node).connect(silence).connect(ctx.destination);
  return {
    sampleRate: ctx.sampleRate,
    stop() {
      node.port.onmessage = null;
      for (const track of stream.getTracks()) track.stop();
      void ctx.close();
    },
  };
}

/** Plays PCM chunks back to back, in arrival order. Create it from a click: browsers only start audio after a gesture. */
export class Player {
  constructor() {
    this.ctx = new AudioContext();
    this.next = 0;
  }

  /** Plays one base64 chunk; returns false for an encoding it cannot play. */
  play(base64, sampleRate = CAPTURE_RATE, encoding = ENCODING) {
    if (!PCM16_NAMES.has(encoding)) return false;
    const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
    const samples = Math.floor(bytes.length / 2);
    if (samples === 0) return true;
    const view = new DataView(bytes.buffer, bytes.byteOffset, samples * 2);
    const buffer = this.ctx.createBuffer(1, samples, sampleRate);
    const channel = buffer.getChannelData(0);
    for (let i = 0; i < samples; i++) channel[i] = view.getInt16(i * 2, true) / 0x8000;
    const src = this.ctx.createBufferSource();
    src.buffer = buffer;
    src.connect(this.ctx.destination);
    // A short lead absorbs network jitter; chunks that arrive late start at once.
    const at = Math.max(this.ctx.currentTime + 0.05, this.next);
    src.start(at);
    this.next = at + buffer.duration;
    return true;
  }

  close() {
    void this.ctx.close();
  }
}
