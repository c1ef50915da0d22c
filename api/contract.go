package api

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"
)

//go:embed asyncapi.yaml
var document []byte

// Document returns the AsyncAPI document (YAML), as published.
func Document() []byte { return bytes.Clone(document) }

// documentURL names the document inside the schema compiler; references in
// it are relative to it.
const documentURL = "urn:livecast:sessions:asyncapi"

// Contract holds the compiled schemas of Document. It is safe for concurrent
// use.
type Contract struct {
	actions map[string]*jsonschema.Schema // client frames by action
	types   map[string]*jsonschema.Schema // service frames by type
	queries map[string]*jsonschema.Schema // $connect queries by purpose
	// queryTypes is the JSON type each query parameter is declared with, so
	// query strings can be decoded before validation.
	queryTypes map[string]string
	// audioRecordHeader is the header of an audio stream record (Kinesis).
	audioRecordHeader *jsonschema.Schema
	// controlRecordHeader is the header of a control record on that stream.
	controlRecordHeader *jsonschema.Schema
}

// asyncAPI is the part of the document the validator needs to find schemas.
type asyncAPI struct {
	Operations map[string]struct {
		Action   string `json:"action"`
		Messages []ref  `json:"messages"`
	} `json:"operations"`
	Channels map[string]struct {
		Messages map[string]ref `json:"messages"`
		Bindings struct {
			WS struct {
				Query struct {
					Properties map[string]struct {
						Type string `json:"type"`
					} `json:"properties"`
					OneOf []ref `json:"oneOf"`
				} `json:"query"`
			} `json:"ws"`
		} `json:"bindings"`
	} `json:"channels"`
	Components struct {
		Messages map[string]struct {
			Payload ref `json:"payload"`
		} `json:"messages"`
	} `json:"components"`
}

type ref struct {
	Ref string `json:"$ref"`
}

// Load compiles the embedded document.
func Load() (*Contract, error) {
	return compile(document)
}

func compile(yamlDoc []byte) (*Contract, error) {
	var tree any
	if err := yaml.Unmarshal(yamlDoc, &tree); err != nil {
		return nil, fmt.Errorf("api: parse asyncapi.yaml: %w", err)
	}
	raw, err := json.Marshal(tree)
	if err != nil {
		return nil, fmt.Errorf("api: asyncapi.yaml is not JSON-compatible: %w", err)
	}
	var doc asyncAPI
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("api: read asyncapi.yaml: %w", err)
	}
	instance, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("api: read asyncapi.yaml: %w", err)
	}
	// AsyncAPI 3.0's Schema Object is a superset of JSON Schema draft 07.
	compiler := jsonschema.NewCompiler()
	compiler.DefaultDraft(jsonschema.Draft7)
	compiler.AssertFormat()
	compiler.AssertContent()
	if err := compiler.AddResource(documentURL, instance); err != nil {
		return nil, fmt.Errorf("api: load asyncapi.yaml: %w", err)
	}
	c := &Contract{
		actions:    map[string]*jsonschema.Schema{},
		types:      map[string]*jsonschema.Schema{},
		queries:    map[string]*jsonschema.Schema{},
		queryTypes: map[string]string{},
	}
	for name, op := range doc.Operations {
		target := c.types
		if op.Action == "receive" { // what the service receives is what clients send
			target = c.actions
		}
		for _, m := range op.Messages {
			key, sch, err := compileMessage(compiler, doc, m.Ref)
			if err != nil {
				return nil, fmt.Errorf("api: operation %s: %w", name, err)
			}
			target[key] = sch
		}
	}
	if c.audioRecordHeader, err = compiler.Compile(documentURL + "#/components/schemas/audioRecordHeader"); err != nil {
		return nil, fmt.Errorf("api: audio record header: %w", err)
	}
	if c.controlRecordHeader, err = compiler.Compile(documentURL + "#/components/schemas/controlRecordHeader"); err != nil {
		return nil, fmt.Errorf("api: control record header: %w", err)
	}
	for _, ch := range doc.Channels {
		for name, p := range ch.Bindings.WS.Query.Properties {
			c.queryTypes[name] = p.Type
		}
		for _, q := range ch.Bindings.WS.Query.OneOf {
			sch, err := compiler.Compile(documentURL + q.Ref)
			if err != nil {
				return nil, fmt.Errorf("api: query %s: %w", q.Ref, err)
			}
			c.queries[strings.TrimPrefix(q.Ref, "#/components/schemas/")] = sch
		}
	}
	return c, nil
}

// compileMessage follows an operation's reference to a channel message, then
// to its component, and compiles the payload. The key is the component's
// name, which is the message's action or type.
func compileMessage(compiler *jsonschema.Compiler, doc asyncAPI, channelRef string) (string, *jsonschema.Schema, error) {
	parts := strings.Split(strings.TrimPrefix(channelRef, "#/channels/"), "/messages/")
	if len(parts) != 2 {
		return "", nil, fmt.Errorf("message reference %q is not #/channels/<channel>/messages/<message>", channelRef)
	}
	msgRef := doc.Channels[parts[0]].Messages[parts[1]].Ref
	name, ok := strings.CutPrefix(msgRef, "#/components/messages/")
	if !ok {
		return "", nil, fmt.Errorf("channel message %q does not reference a component message", channelRef)
	}
	payload := doc.Components.Messages[name].Payload.Ref
	if payload == "" {
		return "", nil, fmt.Errorf("message %s has no payload reference", name)
	}
	sch, err := compiler.Compile(documentURL + payload)
	if err != nil {
		return "", nil, fmt.Errorf("message %s: %w", name, err)
	}
	return name, sch, nil
}

// Actions lists every action a client may send, sorted.
func (c *Contract) Actions() []string { return sortedKeys(c.actions) }

// MessageTypes lists every message type the service may send, sorted.
func (c *Contract) MessageTypes() []string { return sortedKeys(c.types) }

func sortedKeys(m map[string]*jsonschema.Schema) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// MustLoad is Load for callers that cannot go on without the contract
// (tests); the embedded document compiling is checked by this package's tests.
func MustLoad() *Contract {
	c, err := Load()
	if err != nil {
		panic(err)
	}
	return c
}
