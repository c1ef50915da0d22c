package api

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

// docs/PROTOCOL.md is the protocol in prose and api/asyncapi.yaml the same
// protocol for machines: the prose's tables name exactly the actions,
// message types and error codes of the contract.
func TestProtocolProseNamesWhatTheContractHas(t *testing.T) {
	doc, err := os.ReadFile("../docs/PROTOCOL.md")
	require.NoError(t, err)
	c := MustLoad()

	assert.Equal(t, c.Actions(), firstCells(t, string(doc), "## Client → service", true), "actions")
	types := slices.DeleteFunc(c.MessageTypes(), func(s string) bool { return s == "audioRecord" })
	assert.Equal(t, types, firstCells(t, string(doc), "## Service → client", true), "message types")
	codes := documentErrorCodes(t)
	slices.Sort(codes)
	assert.Equal(t, codes, firstCells(t, string(doc), "## Error codes", false), "error codes")
}

var backticked = regexp.MustCompile("`([A-Za-z$]+)`")

// firstCells returns the names in the first column of the table under the
// heading that starts with heading, sorted: the backticked ones when quoted, else the bare cell.
func firstCells(t *testing.T, doc, heading string, quoted bool) []string {
	t.Helper()
	_, section, found := strings.Cut(doc, heading)
	require.True(t, found, "docs/PROTOCOL.md has %q", heading)
	if next := strings.Index(section, "\n## "); next >= 0 {
		section = section[:next]
	}
	var names []string
	rows := false // past the header and its separator
	for _, line := range strings.Split(section, "\n") {
		cells := strings.Split(line, "|")
		if len(cells) < 3 {
			continue
		}
		first := strings.TrimSpace(cells[1])
		if strings.HasPrefix(first, "---") {
			rows = true
			continue
		}
		if !rows {
			continue
		}
		if !quoted {
			names = append(names, first)
			continue
		}
		for _, m := range backticked.FindAllStringSubmatch(first, -1) {
			names = append(names, m[1])
		}
	}
	require.NotEmpty(t, names, "a table under %q", heading)
	if quoted {
		names = slices.DeleteFunc(names, func(n string) bool { return n == "$default" })
	}
	slices.Sort(names)
	return names
}

// documentErrorCodes is the contract's errorCode enum.
func documentErrorCodes(t *testing.T) []string {
	t.Helper()
	var doc struct {
		Components struct {
			Schemas struct {
				ErrorCode struct {
					Enum []string `yaml:"enum"`
				} `yaml:"errorCode"`
			} `yaml:"schemas"`
		} `yaml:"components"`
	}
	require.NoError(t, yaml.Unmarshal(Document(), &doc))
	return doc.Components.Schemas.ErrorCode.Enum
}
