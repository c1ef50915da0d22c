// The speaker view: sign in with a dev token, create a session, share it,
// watch the audience, pause and resume, talk, end.
import { SpeakerClient } from './sessions.browser.js';
import { ENCODING, startMicrophone } from './audio.js';
import { fillLanguages, languageLabel, preferredLanguage, SOURCE_LANGUAGES } from './languages.js';
import { byId, describe, showProblem, webSocketURL } from './page.js';

export function startSpeakerView() {
  byId('speaker-view').hidden = false;
  fillLanguages(byId('source-language'), SOURCE_LANGUAGES, preferredLanguage(SOURCE_LANGUAGES, 'en'));
  const form = byId('create-form');
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void createSession(form);
  });
}

async function createSession(form) {
  const button = byId('create-session');
  button.disabled = true;
  showProblem('');
  try {
    const token = await devToken(byId('speaker-name').value.trim());
    const speaker = new SpeakerClient({
      url: webSocketURL(),
      token,
      sourceLanguage: byId('source-language').value,
      qualityTier: byId('quality-tier').value,
    });
    const live = new LiveSession(speaker);
    const welcome = await speaker.connect();
    live.show(welcome);
    form.hidden = true;
  } catch (err) {
    showProblem(`Could not create a session: ${describe(err)}`);
    button.disabled = false;
  }
}

/** Local mode's issuer mints a speaker token for a name (loopback only). */
async function devToken(sub) {
  const res = await fetch('/dev/token', { method: 'POST', body: new URLSearchParams({ sub }) });
  const body = await res.json().catch(() => ({}));
  if (!res.ok || typeof body.token !== 'string') {
    throw new Error(`POST /dev/token answered ${res.status} ${body.error ?? body.message ?? ''}`.trim());
  }
  return body.token;
}

class LiveSession {
  constructor(speaker) {
    this.speaker = speaker;
    this.microphone = undefined;
    this.chunksSent = 0;
    this.ended = false;
    speaker.on('state', (state) => {
      byId('speaker-state').value = state;
    });
    speaker.on('listenerCount', (msg) => this.showAudience(msg.total, msg.byLanguage));
    speaker.on('broadcastState', (msg) => this.showBroadcast(msg.paused));
    speaker.on('sessionEnded', (msg) => this.showEnded(msg.reason));
    speaker.on('error', (err) => this.onError(err));
  }

  /** Shows the live session; called once, when it is created. */
  show(welcome) {
    byId('pause').addEventListener('click', () => void this.togglePause());
    byId('microphone').addEventListener('click', () => void this.toggleMicrophone());
    byId('end-session').addEventListener('click', () => void this.end());
    const id = welcome.sessionId;
    byId('session-id').value = id;
    const link = new URL(`/?session=${encodeURIComponent(id)}`, location.href).href;
    const a = byId('join-link');
    a.href = link;
    a.textContent = link;
    byId('join-qr').src = `/console/qr.svg?text=${encodeURIComponent(link)}`;
    byId('speaker-live').hidden = false;
    this.showAudience(0, {});
    // The audience may already be there (a refreshed page, a resumed link).
    this.speaker.getStatus().then(
      (status) => {
        this.showAudience(status.listenerCount, status.byLanguage);
        this.showBroadcast(status.broadcastState.paused);
      },
      () => {}, // the counts arrive with the next change anyway
    );
  }

  showAudience(total, byLanguage) {
    byId('audience-total').value = String(total);
    const rows = Object.entries(byLanguage)
      .filter(([, n]) => n > 0)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([code, n]) => {
        const tr = document.createElement('tr');
        tr.dataset.language = code;
        const name = document.createElement('td');
        name.textContent = languageLabel(code);
        const count = document.createElement('td');
        count.textContent = String(n);
        tr.append(name, count);
        return tr;
      });
    byId('audience').tBodies[0].replaceChildren(...rows);
  }

  showBroadcast(paused) {
    byId('broadcast-state').value = paused ? 'paused' : 'live';
    const button = byId('pause');
    button.setAttribute('aria-pressed', String(paused));
    button.textContent = paused ? 'Resume' : 'Pause';
  }

  async togglePause() {
    const paused = byId('pause').getAttribute('aria-pressed') === 'true';
    try {
      const state = paused ? await this.speaker.resume() : await this.speaker.pause();
      this.showBroadcast(state.paused);
    } catch (err) {
      showProblem(`Could not ${paused ? 'resume' : 'pause'}: ${describe(err)}`);
    }
  }

  async toggleMicrophone() {
    const button = byId('microphone');
    if (this.microphone !== undefined) {
      this.stopMicrophone('Microphone off');
      return;
    }
    button.disabled = true;
    try {
      let sequence = 0;
      this.microphone = await startMicrophone((bytes, sampleRate) => {
        if (this.speaker.sendAudio(bytes, { sequence: sequence++, sampleRate, encoding: ENCODING })) this.chunksSent++;
        byId('microphone-state').value = `Microphone on: ${this.chunksSent} chunks sent`;
      });
      button.setAttribute('aria-pressed', 'true');
      button.textContent = 'Stop microphone';
      byId('microphone-state').value = `Microphone on (${this.microphone.sampleRate} Hz)`;
    } catch (err) {
      showProblem(`No microphone: ${describe(err)}`);
    } finally {
      button.disabled = this.ended;
    }
  }

  stopMicrophone(note) {
    this.microphone?.stop();
    this.microphone = undefined;
    const button = byId('microphone');
    button.setAttribute('aria-pressed', 'false');
    button.textContent = 'Start microphone';
    byId('microphone-state').value = note;
  }

  onError(err) {
    if (err.code === 'INVALID_ACTION' && this.microphone !== undefined) {
      // A v1.0 service has no sendAudio route: say so once instead of per chunk.
      this.stopMicrophone('Microphone off: this service does not take audio (sendAudio is v1.1)');
      return;
    }
    showProblem(describe(err));
  }

  async end() {
    byId('end-session').disabled = true;
    try {
      const ended = await this.speaker.endSession();
      this.showEnded(ended.reason);
    } catch (err) {
      if (err.code !== 'INVALID_ACTION') {
        showProblem(`Could not end the session: ${describe(err)}`);
        byId('end-session').disabled = false;
        return;
      }
      // A v1.0 service has no endSession: the speaker closing with 1000 ends
      // the session just as deliberately (listeners get speakerDisconnected).
      this.speaker.close();
      this.showEnded('speakerDisconnected');
    }
  }

  showEnded(reason) {
    if (this.ended) return;
    this.ended = true;
    this.stopMicrophone('Microphone off');
    byId('broadcast-state').value = `ended (${reason})`;
    for (const id of ['pause', 'microphone', 'end-session']) byId(id).disabled = true;
  }
}
