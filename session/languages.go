package session

import "regexp"

var iso6391 = regexp.MustCompile(`^[a-z]{2}$`)

// sourceLanguages are the ISO 639-1 codes Amazon Transcribe streaming can
// recognise: a speaker must talk in one of them.
func sourceLanguages() map[string]bool {
	return set("af", "ar", "ca", "cs", "da", "de", "el", "en", "es", "eu", "fa", "fi", "fr", "gl", "he", "hi", "hr",
		"id", "it", "ja", "ko", "lv", "ms", "nl", "no", "pl", "pt", "ro", "ru", "sk", "so", "sr", "sv", "th",
		"tl", "uk", "vi", "zh", "zu")
}

// targetLanguages are the ISO 639-1 codes Amazon Translate can translate into
// AND Amazon Polly has a neural voice for: a listener needs both.
func targetLanguages() map[string]bool {
	return set("ar", "ca", "cs", "da", "de", "en", "es", "fi", "fr", "hi", "it", "ja", "ko", "nl", "no", "pl",
		"pt", "sv", "tr", "zh")
}

func set(items ...string) map[string]bool {
	m := make(map[string]bool, len(items))
	for _, it := range items {
		m[it] = true
	}
	return m
}
