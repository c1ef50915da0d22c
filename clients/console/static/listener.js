// The listener view: opened from a join link (/?session=<id>), pick a
// language, see the state and the messages, hear the audio.
import { ListenerClient } from './sessions.browser.js';
import { Player } from './audio.js';
import { fillLanguages, preferredLanguage, TARGET_LANGUAGES } from './languages.js';
import { byId, clockTime, describe, showProblem, webSocketURL } from './page.js';

const SESSION_ID = /^[a-z]+-[a-z]+-[1-9][0-9]{2}$/;
const SHOWN_MESSAGES = 100;

export function startListenerView(sessionId) {
  byId('listener-view').hidden = false;
  byId('listen-session').textContent = sessionId;
  if (!SESSION_ID.test(sessionId)) {
    showProblem(`"${sessionId}" is not a session id (they look like faithful-shepherd-427).`);
    byId('join-session').disabled = true;
    return;
  }
  const wanted = new URLSearchParams(location.search).get('lang');
  const initial = TARGET_LANGUAGES.includes(wanted) ? wanted : preferredLanguage(TARGET_LANGUAGES, 'es');
  fillLanguages(byId('target-language'), TARGET_LANGUAGES, initial);
  const form = byId('join-form');
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void join(form, sessionId);
  });
}

async function join(form, sessionId) {
  const button = byId('join-session');
  button.disabled = true;
  showProblem('');
  const targetLanguage = byId('target-language').value;
  const player = new Player(); // created on the click, so the browser lets it play
  const listener = new ListenerClient({ url: webSocketURL(), sessionId, targetLanguage });
  const view = new Listening(listener, player);
  try {
    await listener.connect();
    view.show(listener.targetLanguage);
    form.hidden = true;
    // Joining a paused broadcast: the welcome does not say, the status does.
    listener.getStatus().then(
      (status) => view.setBroadcast({ paused: status.broadcastState.paused }),
      () => {}, // the next change says it anyway
    );
  } catch (err) {
    player.close();
    // Browsers hide a refused upgrade's status and body, so the library can
    // only say the connection failed: name the likely causes.
    const why = err.code === 'CONNECTION_FAILED' ? 'the service refused the connection (the session may have ended, or be full)' : describe(err);
    showProblem(`Could not join ${sessionId}: ${why}`);
    button.disabled = false;
  }
}

class Listening {
  constructor(listener, player) {
    this.listener = listener;
    this.player = player;
    this.chunks = 0;
    listener.on('state', (state) => {
      byId('listener-state').value = state;
      // A closed client stays closed: nothing left to switch or leave.
      if (state === 'closed') for (const id of ['change-language', 'leave']) byId(id).disabled = true;
    });
    // What the broadcast is, most telling first: ended, speaker away, paused, live.
    this.broadcast = { paused: false, awayUntil: undefined, endReason: undefined };
    listener.on('sessionPaused', () => this.setBroadcast({ paused: true }));
    listener.on('sessionResumed', () => this.setBroadcast({ paused: false }));
    listener.on('speakerDisconnected', (msg) => this.setBroadcast({ awayUntil: msg.reconnectDeadline }));
    listener.on('speakerReconnected', () => this.setBroadcast({ awayUntil: undefined }));
    listener.on('sessionEnded', (msg) => this.setBroadcast({ endReason: msg.reason }));
    listener.on('languageChanged', (msg) => {
      byId('change-language').value = msg.targetLanguage;
    });
    listener.on('audioData', (msg) => {
      if (this.player.play(msg.audioData, msg.sampleRate, msg.encoding)) {
        byId('audio-chunks').value = String(++this.chunks);
      }
    });
    listener.on('message', (msg) => this.log(msg));
    listener.on('error', (err) => showProblem(describe(err)));
  }

  /** Shows the joined session; called once, when the join succeeded. */
  show(targetLanguage) {
    byId('change-language').addEventListener('change', (event) => void this.changeLanguage(event.target.value));
    // Closing the page is leaving: say so (1000) so the seat is released at
    // once rather than held for a reconnection that will not come.
    window.addEventListener('pagehide', () => this.listener.close());
    byId('leave').addEventListener('click', () => {
      this.listener.close();
      this.player.close();
    });
    fillLanguages(byId('change-language'), TARGET_LANGUAGES, targetLanguage);
    // A failed attempt before this one closed its own client and disabled these.
    for (const id of ['change-language', 'leave']) byId(id).disabled = false;
    byId('listener-live').hidden = false;
  }

  setBroadcast(change) {
    const b = Object.assign(this.broadcast, change);
    let text = 'live';
    if (b.endReason !== undefined) text = `ended (${b.endReason})`;
    else if (b.awayUntil !== undefined) text = `speaker away, waiting until ${clockTime(b.awayUntil)}`;
    else if (b.paused) text = 'paused';
    byId('listener-broadcast').value = text;
  }

  async changeLanguage(targetLanguage) {
    try {
      await this.listener.changeLanguage(targetLanguage);
    } catch (err) {
      showProblem(`Could not switch language: ${describe(err)}`);
      byId('change-language').value = this.listener.targetLanguage;
    }
  }

  /** Adds a line per message; heartbeats and audio would drown the rest. */
  log(msg) {
    if (msg.type === 'heartbeatAck' || msg.type === 'audioData') return;
    const li = document.createElement('li');
    li.dataset.type = msg.type;
    const when = typeof msg.timestamp === 'number' ? clockTime(msg.timestamp) : '';
    const detail = msg.reason ?? msg.targetLanguage ?? msg.code ?? '';
    li.textContent = `${when} ${msg.type}${detail ? ` (${detail})` : ''}`;
    const list = byId('messages');
    list.append(li);
    while (list.children.length > SHOWN_MESSAGES) list.firstElementChild.remove();
  }
}
