// Package console is the page local mode serves at "/": a speaker view
// (sign in with a dev token, create a session, share its link and QR code,
// watch the audience, pause, end, talk) and a listener view (join by link,
// pick a language, see the state, hear the audio). It is a client of the
// protocol like any other, built on the JavaScript library's browser bundle
// (clients/js), so it lives beside it under clients/ rather than in the
// gateway, which stands in for API Gateway and serves nothing of its own.
package console
