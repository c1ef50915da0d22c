// Command sessions is the whole session service in one binary: inside AWS
// Lambda it serves every route of the WebSocket API; `sessions local` runs the
// whole system on this machine; `sessions token` mints a local speaker token.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	lambdasvc "github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/livecast/sessions/app"
	"github.com/livecast/sessions/auth"
	"github.com/livecast/sessions/local"
	"github.com/livecast/sessions/local/gateway"
	"github.com/livecast/sessions/router"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "sessions:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if os.Getenv("AWS_LAMBDA_RUNTIME_API") != "" {
		return runLambda()
	}
	if len(args) == 0 {
		return errors.New("usage: sessions local [-addr 127.0.0.1:8080] | sessions token -sub NAME")
	}
	switch args[0] {
	case "local":
		return runLocal(args[1:])
	case "token":
		return runToken(args[1:])
	default:
		return fmt.Errorf("unknown command %q (want local or token)", args[0])
	}
}

// runLambda builds everything once per process; each invocation only routes.
func runLambda() error {
	cfg, err := app.FromEnv(os.LookupEnv)
	if err != nil {
		return err
	}
	var missing []string
	for name, v := range map[string]string{"USER_POOL_ID": cfg.UserPoolID, "CLIENT_ID": cfg.ClientID, "WEBSOCKET_ENDPOINT": cfg.WebSocketEndpoint, "AWS_LAMBDA_FUNCTION_NAME": cfg.FunctionName} {
		if v == "" {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("missing environment: %s", strings.Join(missing, ", "))
	}
	awsCfg, err := app.LoadAWS(context.Background(), cfg.Region, false)
	if err != nil {
		return err
	}
	logger := app.NewLogger(os.Stdout, cfg.LogLevel)
	graph := app.Build(cfg, app.Parts{
		AWS:                awsCfg,
		ManagementEndpoint: cfg.WebSocketEndpoint,
		// The JWKS is fetched on the first speaker token, never at start:
		// listener cold starts stay free of it.
		Verifier:  auth.NewVerifier(auth.Config{Issuer: auth.CognitoIssuer(cfg.Region, cfg.UserPoolID), ClientID: cfg.ClientID}),
		Scheduler: router.SelfInvoker{Client: lambdasvc.NewFromConfig(awsCfg), FunctionName: cfg.FunctionName},
		Logger:    logger,
		Metrics:   os.Stdout,
	})
	lambda.Start(graph.Router.Handle)
	return nil
}

func runLocal(args []string) error {
	fs := flag.NewFlagSet("local", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:8080", "listen address of the local WebSocket API")
	idle := fs.Duration("idle-timeout", 10*time.Minute, "close connections without client messages for this long (API Gateway: 10m)")
	clientID := fs.String("client-id", "local-client", "audience of locally minted speaker tokens")
	loopback := fs.Bool("audio-loopback", false, "stand in for the translation pipeline: fan each speaker's audio out to the session's listeners, untranslated")
	var faults gateway.Faults
	fs.DurationVar(&faults.Latency, "post-latency", 0, "add this latency to every @connections request, as from Lambda on AWS (model: 20ms)")
	fs.Float64Var(&faults.GoneShare, "post-gone-share", 0, "answer this share (0..1) of @connections POSTs 410 GoneException")
	fs.Float64Var(&faults.ThrottleShare, "post-throttle-share", 0, "answer this share (0..1) of @connections POSTs 429 LimitExceededException")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := app.FromEnv(os.LookupEnv)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	awsCfg, err := app.LoadAWS(ctx, cfg.Region, true)
	if err != nil {
		return err
	}
	logger := app.NewLogger(os.Stdout, cfg.LogLevel)
	sys, err := local.Start(ctx, cfg, awsCfg, local.Options{Addr: *addr, IdleTimeout: *idle, ClientID: *clientID, Logger: logger, Metrics: os.Stdout, AudioLoopback: *loopback, ConnectionsFaults: faults})
	if err != nil {
		return err
	}
	printWelcome(os.Stderr, sys, *loopback)
	<-ctx.Done()
	return sys.Close()
}

func printWelcome(w io.Writer, l *local.System, loopback bool) {
	base, ws := l.Gateway.HTTPURL(), l.Gateway.URL()
	audio := "the stream only (start with -audio-loopback to hear it as a listener)"
	if loopback {
		audio = "the stream, and back to the session's listeners as audioData (loopback)"
	}
	fmt.Fprintf(w, `
Session service running locally.
  Console:         %[1]s/  (speak, share the link, listen: in a browser)
  WebSocket API:   %[2]s
  @connections:    %[3]s/@connections/{connectionId}
  JWKS:            %[1]s/.well-known/jwks.json

Get a speaker token:
  curl -s -X POST -d sub=alice -d email=alice@example.com %[1]s/dev/token
  (or: go run . token -url %[1]s -sub alice)

Speaker:  %[2]s?action=createSession&sourceLanguage=en&qualityTier=standard&token=TOKEN
Listener: %[2]s?action=joinSession&sessionId=SESSION_ID&targetLanguage=es
Then send {"action":"heartbeat"} every 30 s. Ctrl-C stops.
Speaker audio: {"action":"sendAudio","sessionId":"...","audioData":"<base64>"} goes to
  Kinesis stream %[4]q: %[5]s.

`, base, ws, l.Gateway.ManagementEndpoint(), l.Graph.AudioStream.Name(), audio)
}

func runToken(args []string) error {
	fs := flag.NewFlagSet("token", flag.ContinueOnError)
	base := fs.String("url", "http://127.0.0.1:8080", "base URL of a running local mode")
	sub := fs.String("sub", "", "user id (required)")
	email := fs.String("email", "", "email claim")
	ttl := fs.Int("ttl", 3600, "lifetime in seconds; negative mints an expired token")
	if err := fs.Parse(args); err != nil {
		return err
	}
	form := url.Values{"sub": {*sub}, "ttlSeconds": {fmt.Sprint(*ttl)}}
	if *email != "" {
		form.Set("email", *email)
	}
	resp, err := http.PostForm(strings.TrimRight(*base, "/")+"/dev/token", form)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("token: %s: %s", resp.Status, body)
	}
	_, err = fmt.Println(string(body))
	return err
}
