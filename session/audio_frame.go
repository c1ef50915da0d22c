package session

import (
	"encoding/base64"
	"regexp"
)

// encodingPattern keeps the optional encoding name a short token.
var encodingPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._/-]{0,31}$`)

// Sample rates the pipeline can be asked to handle.
const (
	minSampleRate = 8000
	maxSampleRate = 192000
)

// parseAudio validates a frame's fields and decodes its audio. Session and
// sequence come from the ingress.
func parseAudio(req AudioRequest, maxBytes int, words idWords) (AudioChunk, error) {
	switch {
	case req.SessionID == "":
		return AudioChunk{}, invalidParam("sessionId", "Missing required parameter: sessionId")
	case !words.valid(req.SessionID):
		return AudioChunk{}, &Error{Code: CodeInvalidSessionID, Field: "sessionId", Message: "Session id must look like faithful-shepherd-427"}
	case req.AudioData == "":
		return AudioChunk{}, invalidParam("audioData", "Missing required parameter: audioData")
	case base64.StdEncoding.DecodedLen(len(req.AudioData)) > maxBytes+2:
		// Checked before decoding, so an oversized frame costs no allocation.
		return AudioChunk{}, invalidParam("audioData", "audioData must decode to at most %d bytes", maxBytes)
	}
	audio, err := base64.StdEncoding.Strict().DecodeString(req.AudioData)
	switch {
	case err != nil:
		return AudioChunk{}, invalidParam("audioData", "audioData must be standard base64")
	case len(audio) > maxBytes:
		return AudioChunk{}, invalidParam("audioData", "audioData must decode to at most %d bytes", maxBytes)
	case len(audio) == 0:
		return AudioChunk{}, invalidParam("audioData", "audioData must not be empty")
	}
	chunk := AudioChunk{SessionID: req.SessionID, ReceivedAt: req.ReceivedAt, Audio: audio, SequenceAssigned: req.Sequence == nil}
	if req.Sequence != nil {
		if *req.Sequence < 0 {
			return AudioChunk{}, invalidParam("sequence", "sequence must be a whole number from 0")
		}
		chunk.Sequence = *req.Sequence
	}
	if req.SampleRate != nil {
		if *req.SampleRate < minSampleRate || *req.SampleRate > maxSampleRate {
			return AudioChunk{}, invalidParam("sampleRate", "sampleRate must be from %d to %d", minSampleRate, maxSampleRate)
		}
		chunk.SampleRate = *req.SampleRate
	}
	if req.Encoding != "" {
		if !encodingPattern.MatchString(req.Encoding) {
			return AudioChunk{}, invalidParam("encoding", "encoding must be a short name such as pcm16")
		}
		chunk.Encoding = req.Encoding
	}
	return chunk, nil
}
