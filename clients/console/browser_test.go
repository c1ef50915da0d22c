package console_test

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/livecast/sessions/app"
	"github.com/livecast/sessions/local"
	"github.com/livecast/sessions/local/motoserver"
)

// browserRequired turns "no Chromium here" from a skip into a failure, so CI
// (which installs it) always runs these tests.
const browserRequired = "CONSOLE_BROWSER_REQUIRED"

// waitLimit bounds every wait for something a person would see.
const waitLimit = 20 * time.Second

// chromium finds the browser or skips (fails when it is required).
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	const hint = "no Chromium installed (apt-get install -y chromium)"
	if os.Getenv(browserRequired) == "1" {
		t.Fatalf("%s, and %s=1 requires the browser tests", hint, browserRequired)
	}
	t.Skipf("%s: the console's browser tests are skipped; set %s=1 to make this a failure", hint, browserRequired)
	return ""
}

var tableSeq atomic.Int64

// moto is the package's DynamoDB API, started by the first test that needs
// one (a run without Chromium may need none) and stopped by TestMain.
var moto struct {
	once   sync.Once
	server *motoserver.Server
	err    error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if moto.server != nil {
		moto.server.Stop()
	}
	os.Exit(code)
}

// startLocal runs the whole system as `sessions local` does, with its own
// tables, and returns the console's address.
func startLocal(t *testing.T) string {
	t.Helper()
	return startLocalSystem(t).Gateway.HTTPURL()
}

func startLocalSystem(t *testing.T) *local.System {
	t.Helper()
	moto.once.Do(func() { moto.server, moto.err = motoserver.Start() })
	require.NoError(t, moto.err)
	prefix := fmt.Sprintf("console%d-%d-", time.Now().UnixNano(), tableSeq.Add(1))
	env := map[string]string{
		"SESSIONS_TABLE": prefix + "Sessions", "CONNECTIONS_TABLE": prefix + "Connections", "RATE_LIMITS_TABLE": prefix + "RateLimits",
		"AUDIO_STREAM_NAME": prefix + "Audio", "AWS_REGION": "us-east-1",
	}
	cfg, err := app.FromEnv(func(name string) (string, bool) { v, ok := env[name]; return v, ok })
	require.NoError(t, err)
	t.Setenv("AWS_ENDPOINT_URL_DYNAMODB", moto.server.URL)
	t.Setenv("AWS_ENDPOINT_URL_KINESIS", moto.server.URL) // local mode creates the audio stream
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	awsCfg, err := app.LoadAWS(context.Background(), cfg.Region, true)
	require.NoError(t, err)
	// The loopback stands in for the pipeline, so the microphone's audio comes
	// back to the listeners' pages as it would on AWS.
	local, err := local.Start(context.Background(), cfg, awsCfg, local.Options{AudioLoopback: true, LoopbackPoll: 50 * time.Millisecond})
	require.NoError(t, err)
	t.Cleanup(func() {
		_ = local.Close()
		_ = local.Graph.Store.DeleteTables(context.Background())
		_ = local.Graph.AudioStream.Delete(context.Background())
	})
	return local
}

// browser starts headless Chromium with a throwaway profile and a fake
// microphone; cancelling the returned context stops the process.
func browser(t *testing.T, execPath string) context.Context {
	t.Helper()
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(execPath),
		chromedp.NoSandbox,
		chromedp.Headless,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("use-fake-ui-for-media-stream", true),
		chromedp.Flag("use-fake-device-for-media-stream", true),
		chromedp.Flag("autoplay-policy", "no-user-gesture-required"),
		chromedp.WindowSize(1000, 1300),
	)
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	require.NoError(t, chromedp.Do(ctx), "start Chromium")
	return ctx
}

// tab is one page a person looks at.
type tab struct {
	t     *testing.T
	name  string
	ctx   context.Context
	close context.CancelFunc
}

func openTab(t *testing.T, browserCtx context.Context, name, url string) *tab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browserCtx)
	tb := &tab{t: t, name: name, ctx: ctx, close: cancel}
	t.Cleanup(cancel)
	// The first run opens the tab for the life of its context: no timeout.
	require.NoError(t, chromedp.Do(ctx), "open a tab for the %s", name)
	tb.do(chromedp.Navigate(url))
	return tb
}

func (tb *tab) do(steps ...chromedp.Action[chromedp.Void]) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, waitLimit)
	defer cancel()
	require.NoError(tb.t, chromedp.Do(ctx, steps...), "%s", tb.name)
}

func (tb *tab) click(id string) { tb.t.Helper(); tb.do(chromedp.Click(chromedp.CSS("#" + id))) }

func (tb *tab) text(selector string) string {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, waitLimit)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](fmt.Sprintf(`(document.querySelector(%q)?.textContent ?? '').trim()`, selector)))
	require.NoError(tb.t, err)
	return s
}

// see waits until the element's text satisfies match, as a person waits to
// see it, and fails with what the page shows instead.
func (tb *tab) see(selector, what string, match func(string) bool) {
	tb.t.Helper()
	deadline := time.Now().Add(waitLimit)
	var last string
	for time.Now().Before(deadline) {
		if last = tb.text(selector); match(last) {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	tb.t.Fatalf("%s: %s shows %q, want %s (problem shown: %q)", tb.name, selector, last, what, tb.text("#problem"))
}

func (tb *tab) seeText(selector, want string) {
	tb.t.Helper()
	tb.see(selector, fmt.Sprintf("%q", want), func(s string) bool { return s == want })
}

func (tb *tab) screenshot(file string) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, waitLimit)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	require.NoError(tb.t, err)
	dir := filepath.Join(repoRoot(tb.t), "build")
	require.NoError(tb.t, os.MkdirAll(dir, 0o755))
	require.NoError(tb.t, os.WriteFile(filepath.Join(dir, file), png, 0o644))
	tb.t.Logf("screenshot: build/%s", file)
}

func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	require.NoError(t, err)
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		require.NotEqual(t, dir, parent, "no go.mod above the test")
		dir = parent
	}
}

var sessionIDPattern = regexp.MustCompile(`^[a-z]+-[a-z]+-[1-9][0-9]{2}$`)

// TestASpeakerAndTwoListenersUseTheConsole plays what people do with the
// console in a real browser: a speaker creates a session, two listeners
// join by its link, the audience follows them, a pause reaches the
// listeners (and a third who joins while it lasts), one listener leaves, the
// speaker ends the session.
func TestASpeakerAndTwoListenersUseTheConsole(t *testing.T) {
	execPath := chromium(t)
	local := startLocalSystem(t)
	base := local.Gateway.HTTPURL()
	ctx := browser(t, execPath)

	speaker := openTab(t, ctx, "speaker", base+"/")
	speaker.do(chromedp.SetValue(chromedp.CSS("#speaker-name"), "alice"))
	speaker.click("create-session")
	speaker.see("#session-id", "a session id", sessionIDPattern.MatchString)
	id := speaker.text("#session-id")
	joinLink := base + "/?session=" + id
	speaker.seeText("#join-link", joinLink)
	speaker.seeText("#speaker-state", "open")
	speaker.seeText("#audience-total", "0")
	qrWidth, err := chromedp.Run(speaker.ctx, chromedp.Poll[int](`document.getElementById('join-qr').naturalWidth`, chromedp.WithPollingTimeout(waitLimit)))
	require.NoError(t, err, "the QR code image loads")
	assert.Positive(t, qrWidth)

	es := openTab(t, ctx, "Spanish listener", joinLink)
	es.seeText("#listen-session", id)
	es.do(chromedp.SetValue(chromedp.CSS("#target-language"), "es"))
	es.click("join-session")
	es.seeText("#listener-state", "open")
	speaker.seeText("#audience-total", "1")
	speaker.seeText(`#audience tr[data-language="es"] td:last-child`, "1")

	fr := openTab(t, ctx, "French listener", joinLink)
	fr.do(chromedp.SetValue(chromedp.CSS("#target-language"), "fr"))
	fr.click("join-session")
	fr.seeText("#listener-state", "open")
	speaker.seeText("#audience-total", "2")
	speaker.seeText(`#audience tr[data-language="fr"] td:last-child`, "1")

	t.Run("a listener switching language moves in the audience", func(t *testing.T) {
		fr.do(chromedp.Evaluate[chromedp.Void](`(() => { const s = document.getElementById('change-language'); s.value = 'de'; s.dispatchEvent(new Event('change')); })()`))
		fr.see("#messages", "languageChanged", func(s string) bool { return strings.Contains(s, "languageChanged (de)") })
		speaker.seeText(`#audience tr[data-language="de"] td:last-child`, "1")
		speaker.seeText(`#audience tr[data-language="fr"]`, "")
		speaker.seeText("#audience-total", "2")
	})

	t.Run("audio for a language plays for its listeners only", func(t *testing.T) {
		// What the audio pipeline does: a fan-out of audioData to one language.
		tone := base64.StdEncoding.EncodeToString(sineTone(16000, 440, 100*time.Millisecond))
		for seq := range 3 {
			event := fmt.Sprintf(`{"sessionService":"broadcast","sessionId":%q,"targetLanguage":"es","payload":{"type":"audioData","timestamp":%d,"sessionId":%q,"targetLanguage":"es","audioData":%q,"sequence":%d,"sampleRate":16000,"encoding":"pcm16"}}`,
				id, time.Now().UnixMilli(), id, tone, seq)
			_, err := local.Invoke(context.Background(), []byte(event))
			require.NoError(t, err)
		}
		es.seeText("#audio-chunks", "3")
		fr.seeText("#audio-chunks", "0")
	})

	t.Run("a pause reaches every listener, one who joins meanwhile too, and a resume lifts it", func(t *testing.T) {
		speaker.click("pause")
		speaker.seeText("#broadcast-state", "paused")
		speaker.seeText("#pause", "Resume")
		for _, l := range []*tab{es, fr} {
			l.seeText("#listener-broadcast", "paused")
			l.see("#messages", "sessionPaused listed", func(s string) bool { return strings.Contains(s, "sessionPaused") })
		}
		late := openTab(t, ctx, "listener joining the paused broadcast", joinLink)
		late.do(chromedp.SetValue(chromedp.CSS("#target-language"), "it"))
		late.click("join-session")
		late.seeText("#listener-broadcast", "paused")
		speaker.seeText("#audience-total", "3")
		late.click("leave")
		late.seeText("#listener-state", "closed")
		speaker.seeText("#audience-total", "2")
		speaker.screenshot("console-speaker-paused.png")
		es.screenshot("console-listener-paused.png")
		speaker.click("pause")
		speaker.seeText("#broadcast-state", "live")
		for _, l := range []*tab{es, fr} {
			l.seeText("#listener-broadcast", "live")
		}
	})

	t.Run("the microphone's audio reaches a listener's page through sendAudio, the stream and the loopback", func(t *testing.T) {
		heard, err := strconv.Atoi(es.text("#audio-chunks"))
		require.NoError(t, err)
		speaker.click("microphone")
		speaker.see("#microphone-state", "audio flowing", func(s string) bool { return chunksSent(s) >= 10 })
		es.see("#audio-chunks", fmt.Sprintf("more than the %d chunks heard before", heard), func(s string) bool {
			n, err := strconv.Atoi(s)
			return err == nil && n > heard
		})
		speaker.click("microphone")
		speaker.seeText("#microphone-state", "Microphone off")
		speaker.seeText("#problem", "")
	})

	t.Run("a listener closing the page leaves the audience", func(t *testing.T) {
		fr.close()
		speaker.seeText("#audience-total", "1")
		speaker.seeText(`#audience tr[data-language="de"]`, "")
		speaker.screenshot("console-speaker.png")
	})

	t.Run("the end reaches the listener", func(t *testing.T) {
		speaker.click("end-session")
		speaker.see("#broadcast-state", "ended", func(s string) bool { return strings.HasPrefix(s, "ended (") })
		es.seeText("#listener-broadcast", "ended (speakerEnded)")
		es.seeText("#listener-state", "closed")
		leaveDisabled, err := chromedp.Run(es.ctx, chromedp.Evaluate[bool](`document.getElementById('leave').disabled && document.getElementById('change-language').disabled`))
		require.NoError(t, err)
		assert.True(t, leaveDisabled, "an ended session leaves nothing to switch or leave")
		es.see("#messages", "sessionEnded listed", func(s string) bool { return strings.Contains(s, "sessionEnded") })
		es.screenshot("console-listener.png")
	})
}

// sineTone is d of a pure tone as 16-bit little-endian PCM.
func sineTone(rate, hz int, d time.Duration) []byte {
	n := int(d.Seconds() * float64(rate))
	pcm := make([]byte, 2*n)
	for i := range n {
		v := int16(8000 * math.Sin(2*math.Pi*float64(hz)*float64(i)/float64(rate)))
		binary.LittleEndian.PutUint16(pcm[2*i:], uint16(v))
	}
	return pcm
}

var chunksPattern = regexp.MustCompile(`(\d+) chunks sent`)

func chunksSent(state string) int {
	m := chunksPattern.FindStringSubmatch(state)
	if m == nil {
		return 0
	}
	var n int
	fmt.Sscan(m[1], &n)
	return n
}

// TestAJoinLinkToNoSessionSaysSo: a listener opening a stale link learns
// why nothing plays.
func TestAJoinLinkToNoSessionSaysSo(t *testing.T) {
	execPath := chromium(t)
	base := startLocal(t)
	ctx := browser(t, execPath)

	stale := openTab(t, ctx, "listener with a stale link", base+"/?session=quiet-river-123")
	stale.click("join-session")
	stale.see("#problem", "the join refused", func(s string) bool {
		return strings.HasPrefix(s, "Could not join quiet-river-123:") && strings.Contains(s, "may have ended")
	})
	retry, err := chromedp.Run(stale.ctx, chromedp.Evaluate[bool](`!document.getElementById('join-session').disabled`))
	require.NoError(t, err)
	assert.True(t, retry, "the listener may try again")

	bad := openTab(t, ctx, "listener with a mangled link", base+"/?session=not%20a%20session")
	bad.see("#problem", "the link refused", func(s string) bool { return strings.Contains(s, "is not a session id") })
	disabled, err := chromedp.Run(bad.ctx, chromedp.Evaluate[bool](`document.getElementById('join-session').disabled`))
	require.NoError(t, err)
	assert.True(t, disabled, "a link without a session id cannot be joined")
}
