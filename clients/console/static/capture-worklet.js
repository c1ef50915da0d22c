// Runs on the audio thread: turns the microphone's float samples into
// 16-bit little-endian PCM chunks of processorOptions.chunkSamples samples
// and posts each chunk's bytes to the page.
class PcmCapture extends AudioWorkletProcessor {
  constructor(options) {
    super();
    this.chunkSamples = options.processorOptions.chunkSamples;
    this.chunk = new Int16Array(this.chunkSamples);
    this.filled = 0;
  }

  process(inputs) {
    const samples = inputs[0] && inputs[0][0];
    if (samples) {
      for (let i = 0; i < samples.length; i++) {
        const s = Math.max(-1, Math.min(1, samples[i]));
        this.chunk[this.filled++] = s < 0 ? s * 0x8000 : s * 0x7fff;
        if (this.filled === this.chunkSamples) {
          // The buffer is handed over, not copied: it is unusable here after.
          const bytes = this.chunk.buffer;
          this.port.postMessage(bytes, [bytes]);
          this.chunk = new Int16Array(this.chunkSamples);
          this.filled = 0;
        }
      }
    }
    return true;
  }
}

registerProcessor('pcm-capture', PcmCapture);
