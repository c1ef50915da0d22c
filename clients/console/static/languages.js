// The languages local mode accepts (session/languages.go): a speaker talks in
// a source language, a listener hears a target language.
export const SOURCE_LANGUAGES = ['af', 'ar', 'ca', 'cs', 'da', 'de', 'el', 'en', 'es', 'eu', 'fa', 'fi', 'fr', 'gl', 'he', 'hi', 'hr',
  'id', 'it', 'ja', 'ko', 'lv', 'ms', 'nl', 'no', 'pl', 'pt', 'ro', 'ru', 'sk', 'so', 'sr', 'sv', 'th', 'tl', 'uk', 'vi', 'zh', 'zu'];
export const TARGET_LANGUAGES = ['ar', 'ca', 'cs', 'da', 'de', 'en', 'es', 'fi', 'fr', 'hi', 'it', 'ja', 'ko', 'nl', 'no', 'pl',
  'pt', 'sv', 'tr', 'zh'];

const names = new Intl.DisplayNames(['en'], { type: 'language' });

/** "Spanish (es)": the name for people, the code for developers. */
export function languageLabel(code) {
  return `${names.of(code) ?? code} (${code})`;
}

/** Fills a select with codes, selecting `selected`. */
export function fillLanguages(select, codes, selected) {
  select.replaceChildren(...codes.map((code) => new Option(languageLabel(code), code, code === selected, code === selected)));
}

/** The browser's language when it is one of codes, else fallback. */
export function preferredLanguage(codes, fallback) {
  const mine = (navigator.language || '').slice(0, 2).toLowerCase();
  return codes.includes(mine) ? mine : fallback;
}
