package integration

import (
	"context"
	"fmt"
	"log"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// chromium starts headless Chromium with a fresh profile and the flags
// every test here wants, plus extra, and returns the context of its first
// tab. Chromium is closed and its profile removed when tb ends.
func chromium(tb testing.TB, name string, extra ...chromedp.ExecAllocatorOption) context.Context {
	tb.Helper()
	// The profile is removed after Chromium has exited (tb.TempDir would
	// race with the browser's last writes).
	profile, err := os.MkdirTemp("", "veil-chromium-")
	if err != nil {
		tb.Fatal(err)
	}
	opts := append([]chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath),
		chromedp.Flag("headless", "new"),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(1280, 1000),
	}, extra...)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	// chromedp reports the missing top-level frame of a worker or frame it
	// attaches to as an error; it is none here.
	quiet := chromedp.WithErrorf(func(format string, args ...any) {
		if msg := fmt.Sprintf(format, args...); !strings.Contains(msg, "no top-level frame") {
			log.Printf("%s: chromedp: %s", name, msg) // not tb.Logf: chromedp may report after the test
		}
	})
	ctx, cancel := chromedp.NewContext(actx, quiet)
	tb.Cleanup(func() {
		closeCtx, stop := context.WithTimeout(ctx, 10*time.Second)
		defer stop()
		_ = chromedp.Cancel(closeCtx) // closes the browser and waits for it
		cancel()
		cancelAlloc()
		for i := 0; ; i++ {
			err := os.RemoveAll(profile)
			if err == nil || i == 20 {
				if err != nil {
					tb.Logf("removing the Chromium profile: %v", err)
				}
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
	})
	if err := chromedp.Run(ctx, chromedp.Navigate("about:blank")); err != nil {
		tb.Fatalf("%s: starting Chromium: %v", name, err)
	}
	return ctx
}
