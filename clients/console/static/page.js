// Small helpers shared by both views.

/** Where the service's WebSocket API is: this host, any stage path. */
export function webSocketURL() {
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  return `${scheme}://${location.host}/local`;
}

/** Shows a problem to the person (role=alert), or clears it with ''. */
export function showProblem(text) {
  document.getElementById('problem').textContent = text;
}

/** A ProtocolError's code and message, or any error's message. */
export function describe(err) {
  if (err && typeof err.code === 'string') return `${err.code}: ${err.message}`;
  return String(err && err.message ? err.message : err);
}

export function byId(id) {
  const el = document.getElementById(id);
  if (el === null) throw new Error(`the page has no #${id}`);
  return el;
}

/** 14:03:07 for a Unix-ms timestamp. */
export function clockTime(ms) {
  return new Date(ms).toLocaleTimeString('en-GB', { hour12: false });
}
