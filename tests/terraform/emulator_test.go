package terraform

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
)

// emulator reads what Terraform built straight from moto: through the SDK
// clients the module already depends on, and through signed calls for the
// other services.
type emulator struct {
	endpoint string
	cfg      aws.Config
	dynamo   *dynamodb.Client
	lambda   *lambda.Client
	http     *http.Client
}

func newEmulator(endpoint string) *emulator {
	creds := credentials.NewStaticCredentialsProvider("test", "test", "")
	cfg := aws.Config{Region: region, Credentials: creds, BaseEndpoint: aws.String(endpoint)}
	return &emulator{
		endpoint: endpoint,
		cfg:      cfg,
		dynamo:   dynamodb.NewFromConfig(cfg),
		lambda:   lambda.NewFromConfig(cfg),
		http:     &http.Client{Timeout: 30 * time.Second},
	}
}

// rest calls a REST-JSON API (API Gateway) and decodes its answer.
func (e *emulator) rest(service, method, path string, out any) error {
	return e.call(service, method, path, nil, nil, out)
}

// awsJSON calls an AWS JSON 1.1 operation (X-Amz-Target), as EventBridge,
// Kinesis and CloudWatch Logs speak.
func (e *emulator) awsJSON(service, target string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	hdr := http.Header{"Content-Type": {"application/x-amz-json-1.1"}, "X-Amz-Target": {target}}
	return e.call(service, http.MethodPost, "/", hdr, body, out)
}

// awsJSON0 calls an AWS JSON 1.0 operation, as SQS speaks.
func (e *emulator) awsJSON0(service, target string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	hdr := http.Header{"Content-Type": {"application/x-amz-json-1.0"}, "X-Amz-Target": {target}}
	return e.call(service, http.MethodPost, "/", hdr, body, out)
}

// query calls an AWS query-protocol operation (form in, XML out), as IAM,
// CloudWatch and SNS speak.
func (e *emulator) query(service, apiVersion string, form url.Values, out any) error {
	form.Set("Version", apiVersion)
	hdr := http.Header{"Content-Type": {"application/x-www-form-urlencoded; charset=utf-8"}}
	return e.call(service, http.MethodPost, "/", hdr, []byte(form.Encode()), out)
}

// call sends a SigV4-signed request for service (moto picks the service from
// the signature's scope) and decodes a JSON or XML answer.
func (e *emulator) call(service, method, path string, hdr http.Header, body []byte, out any) error {
	ctx := context.Background()
	req, err := http.NewRequestWithContext(ctx, method, e.endpoint+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	sum := sha256.Sum256(body)
	creds := aws.Credentials{AccessKeyID: "test", SecretAccessKey: "test"}
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), service, region, time.Now()); err != nil {
		return err
	}
	resp, err := e.http.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", service, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return &apiError{status: resp.StatusCode, call: service + " " + method + " " + path, body: string(data), errorType: resp.Header.Get("X-Amzn-Errortype")}
	}
	if strings.Contains(resp.Header.Get("Content-Type"), "xml") || bytes.HasPrefix(bytes.TrimSpace(data), []byte("<")) {
		return xml.Unmarshal(data, out)
	}
	return json.Unmarshal(data, out)
}

// apiError is an AWS API's refusal, kept apart so that a check can tell
// "not found" from a broken call.
type apiError struct {
	status    int
	call      string
	body      string
	errorType string // X-Amzn-ErrorType, when the service sends it
}

func (e *apiError) Error() string { return fmt.Sprintf("%s: %d: %s", e.call, e.status, e.body) }

var (
	xmlCode  = regexp.MustCompile(`<Code>([^<]+)</Code>`)
	jsonType = regexp.MustCompile(`"(?:__type|code|Code)"\s*:\s*"(?:[^"#]*#)?([^"]+)"`)
)

// code is the AWS error code of the answer: from the X-Amzn-ErrorType
// header (JSON services), a JSON body's __type, or a query service's XML
// <Code>, without namespace or trailing ":..." details.
func (e *apiError) code() string {
	c := e.errorType
	if c == "" {
		if m := jsonType.FindStringSubmatch(e.body); m != nil {
			c = m[1]
		} else if m := xmlCode.FindStringSubmatch(e.body); m != nil {
			c = m[1]
		}
	}
	c, _, _ = strings.Cut(c, ":")
	if i := strings.LastIndex(c, "#"); i >= 0 {
		c = c[i+1:]
	}
	return c
}

// tagStream puts tags on a Kinesis stream. moto 5.2.1 drops the Tags of
// CreateStream, which Kinesis itself keeps; the apply test puts back what
// Terraform sent, so that its re-plan compares like with like.
func (e *emulator) tagStream(name string, tags map[string]string) error {
	var out struct{}
	return e.awsJSON("kinesis", "Kinesis_20131202.AddTagsToStream", map[string]any{"StreamName": name, "Tags": tags}, &out)
}

// createTopic creates an SNS topic outside Terraform (a team's pager topic
// the alarms may be pointed at) and returns its ARN.
func (e *emulator) createTopic(name string) (string, error) {
	var out struct {
		Arn string `xml:"CreateTopicResult>TopicArn"`
	}
	if err := e.query("sns", "2010-03-31", url.Values{"Action": {"CreateTopic"}, "Name": {name}}, &out); err != nil {
		return "", err
	}
	return out.Arn, nil
}
