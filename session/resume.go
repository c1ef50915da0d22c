package session

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
)

// A resume token names the seat it takes back and proves the bearer got it
// from that seat's welcome: "<connection id, base64url>.<secret, base64url>".
// Only the secret's SHA-256 is stored, so a reader of the table cannot
// forge a token; naming the connection lets a reclaim be one conditional
// transaction with no lookup.
const resumeSecretBytes = 24

var b64 = base64.RawURLEncoding

func newResumeToken(connectionID string) (token, hash string, err error) {
	secret := make([]byte, resumeSecretBytes)
	if _, err := rand.Read(secret); err != nil {
		return "", "", fmt.Errorf("resume token: %w", err)
	}
	return b64.EncodeToString([]byte(connectionID)) + "." + b64.EncodeToString(secret), hashSecret(secret), nil
}

// parseResumeToken returns the connection a token names and the hash its
// record must carry; ok is false for anything that is not a token.
func parseResumeToken(token string) (connectionID, hash string, ok bool) {
	idPart, secretPart, found := strings.Cut(token, ".")
	if !found {
		return "", "", false
	}
	id, err1 := b64.DecodeString(idPart)
	secret, err2 := b64.DecodeString(secretPart)
	if err1 != nil || err2 != nil || len(id) == 0 || len(id) > 128 || len(secret) != resumeSecretBytes {
		return "", "", false
	}
	return string(id), hashSecret(secret), true
}

func hashSecret(secret []byte) string {
	sum := sha256.Sum256(secret)
	return hex.EncodeToString(sum[:])
}
