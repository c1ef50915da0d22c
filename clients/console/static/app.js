// Picks the view: a join link (/?session=<id>) opens the listener view,
// anything else the speaker view.
import { startListenerView } from './listener.js';
import { startSpeakerView } from './speaker.js';

const sessionId = new URLSearchParams(location.search).get('session');
if (sessionId !== null) {
  startListenerView(sessionId);
} else {
  startSpeakerView();
}
